#!/usr/bin/env bash
# Install what the bindings tests (tests/bindings, marker `bindings`) need, on Debian 12:
#   C#        mono-mcs, mono-runtime (+ libmono-i18n-west4.0-cil: a culture test uses de-DE)
#   GDScript  godot3-server (Godot 3.2.3 headless)
#   C         gcc, g++, libcjson-dev (cJSON 1.7.15)
#   TS        Node >= 18 (Node 20 is preinstalled on the project's machines; Debian's nodejs
#             is the fallback), then `npm ci --ignore-scripts` in bindings/ts (typescript,
#             @types/node, onnxruntime-node; its postinstall would download CUDA files).
#   scan-chart `npm ci` in tests/charts_scan (the song-folder tests' scanner, see there).
#
# Idempotent and quick when everything is there: apt runs only when a package is missing,
# npm only when bindings/ts/package-lock.json (tests/charts_scan/package-lock.json) changed
# since the last install.
# Usage: bash bindings/install_toolchains.sh   (as root, or with sudo available)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
packages=(mono-mcs mono-runtime libmono-i18n-west4.0-cil godot3-server libcjson-dev gcc g++)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo_cmd=(sudo)
    else
        echo "install_toolchains: not root and no sudo; cannot install Debian packages" >&2
        exit 1
    fi
fi

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install_toolchains: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "install_toolchains: Debian packages already installed"
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
    echo "install_toolchains: Node $node_major is too old (need >= 18; 20 is what the project uses)" >&2
    exit 1
fi

ts="$here/ts"
stamp="$ts/node_modules/.drumscribe-lock.sha256"
want="$(sha256sum "$ts/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$ts/node_modules/.bin/tsc" ]; then
    echo "install_toolchains: bindings/ts/node_modules is current"
else
    echo "install_toolchains: npm ci in bindings/ts"
    (cd "$ts" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
fi

# scan-chart (tests/charts_scan): the Clone Hero community's chart scanner, the oracle of
# tests/runtime/charts/test_charts_scan.py. Its git-hosted dependency is overridden by an
# empty local stand-in (package.json "overrides"), so npm ci needs only the registry, or
# nothing once ~/.npm holds the packages (--prefer-offline).
scan="$here/../tests/charts_scan"
scan_stamp="$scan/node_modules/.drumscribe-lock.sha256"
scan_want="$(sha256sum "$scan/package-lock.json" | cut -d' ' -f1)"
if [ -f "$scan_stamp" ] && [ "$(cat "$scan_stamp")" = "$scan_want" ] && [ -f "$scan/node_modules/scan-chart/package.json" ]; then
    echo "install_toolchains: tests/charts_scan/node_modules is current"
else
    echo "install_toolchains: npm ci in tests/charts_scan (scan-chart)"
    (cd "$scan" && npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error)
    echo "$scan_want" >"$scan_stamp"
fi

echo "install_toolchains: mcs $(mcs --version | awk '{print $NF}'), godot3-server $(godot3-server --version 2>/dev/null | head -n1)," \
     "gcc $(gcc -dumpfullversion), node $(node --version), tsc $("$ts/node_modules/.bin/tsc" --version | awk '{print $NF}')"
