#!/usr/bin/env bash
# Install the sampled drum kits that `drumscribe-train synth` renders through (see DATA.md).
#
# Idempotent: packages already installed are not fetched again, and the eXaDrums kit is
# unpacked only once. Needs root (or sudo) for apt-get; internet access to Debian mirrors.
#
#   bash scripts/setup_kits.sh            # install everything
#   DRUMSCRIBE_KIT_CACHE=/some/dir bash scripts/setup_kits.sh
#
# Debian packages (KITS.md): hydrogen-drumkits hydrogen-drumkits-effects hydrogen-data
# fluid-soundfont-gm musescore-general-soundfont-small timgm6mb-soundfont
# avldrums.lv2-soundfont; plus the eXaDrums default kit, unpacked from the exadrums .deb
# (installing exadrums itself would pull in GTK) into $DRUMSCRIBE_KIT_CACHE/exadrums.
set -euo pipefail

PACKAGES=(
  hydrogen-drumkits
  hydrogen-drumkits-effects
  hydrogen-data
  fluid-soundfont-gm
  musescore-general-soundfont-small
  timgm6mb-soundfont
  avldrums.lv2-soundfont
)

CACHE="${DRUMSCRIBE_KIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/drumscribe/kits}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "setup_kits.sh: must run as root (or with sudo available) to apt-get install" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

exadrums_dir="$CACHE/exadrums"
need_exadrums=0
if [ ! -f "$exadrums_dir/.complete" ]; then
  need_exadrums=1
fi

if [ "${#missing[@]}" -gt 0 ] || [ "$need_exadrums" -eq 1 ]; then
  echo "setup_kits.sh: apt-get update"
  $SUDO apt-get update -qq
fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup_kits.sh: installing ${missing[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup_kits.sh: Debian kit packages already installed"
fi

if [ "$need_exadrums" -eq 1 ]; then
  echo "setup_kits.sh: unpacking the eXaDrums kit into $exadrums_dir"
  mkdir -p "$CACHE"
  tmp="$(mktemp -d "$CACHE/.exadrums.XXXXXX")"
  chmod 755 "$tmp"  # apt-get download runs as _apt and must write here
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download exadrums >/dev/null)
  deb="$(ls "$tmp"/exadrums_*.deb | head -n 1)"
  mkdir -p "$tmp/root"
  dpkg -x "$deb" "$tmp/root"
  rm -rf "$exadrums_dir"
  mv "$tmp/root" "$exadrums_dir"
  touch "$exadrums_dir/.complete"
  rm -rf "$tmp"
  trap - EXIT
else
  echo "setup_kits.sh: eXaDrums kit already unpacked in $exadrums_dir"
fi

echo "setup_kits.sh: done (kit cache: $CACHE)"
