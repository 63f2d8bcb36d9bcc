#!/usr/bin/env bash
# Install the sampled drum kits that `drumscribe-train synth` renders through (see docs/DATA.md).
#
# Idempotent: packages already installed are not fetched again, and the eXaDrums kit is
# unpacked only once. Needs root (or sudo) for apt-get; internet access to Debian mirrors.
#
#   bash scripts/setup_kits.sh            # install everything
#   DRUMSCRIBE_KIT_CACHE=/some/dir bash scripts/setup_kits.sh
#
# Debian packages (KITS.md): hydrogen-drumkits hydrogen-drumkits-effects hydrogen-data
# fluid-soundfont-gm musescore-general-soundfont-small timgm6mb-soundfont
# avldrums.lv2-soundfont; for band parts fluidr3mono-gm-soundfont opl3-soundfont
# csound-soundfont espeak-ng; plus the eXaDrums default kit, unpacked from the exadrums .deb
# (installing exadrums itself would pull in GTK) into $DRUMSCRIBE_KIT_CACHE/exadrums, and the
# extra kits' packages sonic-pi-samples, lmms-common and stk, unpacked the same way into
# $DRUMSCRIBE_KIT_CACHE/packages/PACKAGE.
set -euo pipefail

PACKAGES=(
  hydrogen-drumkits
  hydrogen-drumkits-effects
  hydrogen-data
  fluid-soundfont-gm
  musescore-general-soundfont-small
  timgm6mb-soundfont
  avldrums.lv2-soundfont
  # band parts (DATA.md "Band parts"): melodic SoundFonts per split and the singing voice
  fluidr3mono-gm-soundfont
  opl3-soundfont
  csound-soundfont
  espeak-ng
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

# Packages whose files are only unpacked (apt-get download + dpkg -x, no dependencies pulled
# in) into the kit cache: package -> folder. eXaDrums would pull in GTK; the others are the
# extra kits (docs/DATA.md "Extra kits": Sonic Pi's acoustic kit, LMMS's drum samples, STK's rawwaves).
declare -A UNPACK=(
  [exadrums]="$CACHE/exadrums"
  [sonic-pi-samples]="$CACHE/packages/sonic-pi-samples"
  [lmms-common]="$CACHE/packages/lmms-common"
  [stk]="$CACHE/packages/stk"
)
to_unpack=()
for pkg in "${!UNPACK[@]}"; do
  [ -f "${UNPACK[$pkg]}/.complete" ] || to_unpack+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ] || [ "${#to_unpack[@]}" -gt 0 ]; then
  echo "setup_kits.sh: apt-get update"
  $SUDO apt-get update -qq
fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup_kits.sh: installing ${missing[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup_kits.sh: Debian kit packages already installed"
fi

tmp=""
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
for pkg in "${to_unpack[@]}"; do
  dest="${UNPACK[$pkg]}"
  echo "setup_kits.sh: unpacking $pkg into $dest"
  mkdir -p "$(dirname "$dest")"
  tmp="$(mktemp -d "$(dirname "$dest")/.unpack.XXXXXX")"
  chmod 755 "$tmp"  # apt-get download runs as _apt and must write here
  (cd "$tmp" && apt-get download "$pkg" >/dev/null)
  deb="$(ls "$tmp"/"${pkg}"_*.deb | head -n 1)"
  mkdir -p "$tmp/root"
  dpkg -x "$deb" "$tmp/root"
  rm -rf "$dest"
  mv "$tmp/root" "$dest"
  touch "$dest/.complete"
  rm -rf "$tmp"
  tmp=""
done
[ "${#to_unpack[@]}" -gt 0 ] || echo "setup_kits.sh: unpacked kits already in $CACHE"

echo "setup_kits.sh: done (kit cache: $CACHE)"
