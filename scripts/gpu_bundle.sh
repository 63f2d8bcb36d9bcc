#!/usr/bin/env bash
# Pack what a bare GPU machine needs to run scripts/gpu_stage.sh, into one folder that travels
# with the working tree (keep it out of git: .git/info/exclude):
#   bash scripts/gpu_bundle.sh [DIR] [INIT_CKPT]      # default .devcarry, checkpoints/soup-s2s3/best.ckpt
# DIR/whl/             wheels of the Python packages the GPU image lacks (for PYVER, default 3.12),
#                      at the versions of this machine's environment
# DIR/banks.tar.xz     the train split's one-shot banks (xz -9 in one stream: the FluidR3 presets
#                      share most samples, so 116 MB of banks pack to ~25 MB)
# DIR/groove-midi.tar.xz   the Groove MIDI performances (~2.4 MB)
# DIR/init.ckpt        the starting weights, without optimiser state
# DIR/band-bank/       BANK_MINUTES (default 30; 0 = none) of train-split band parts with their
#                      grooves (drumscribe-train band-bank, ~4 MB per 15 minutes): what mix recipes
#                      need on a machine without the band SoundFonts and espeak-ng
# Held-out kits (validation, test) never travel: the GPU machine renders training data only.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-.devcarry}
INIT=${2:-checkpoints/soup-s2s3/best.ckpt}
PYVER=${PYVER:-3.12}
PACKAGES=(librosa audioread decorator pooch platformdirs pedalboard mir-eval mido soundfile soxr cffi pycparser)
mkdir -p "$DIR/whl"
pins=()
for p in "${PACKAGES[@]}"; do
  v=$(uv pip show "$p" 2>/dev/null | awk '/^Version:/ {print $2}')
  [ -n "$v" ] || { echo "error: $p is not installed here (uv sync first)" >&2; exit 2; }
  pins+=("$p==$v")
done
python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$PYVER" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform any -d "$DIR/whl" "${pins[@]}"
uv run python - "$DIR" "$INIT" <<'PY'
import sys, tarfile, lzma
from pathlib import Path
from drumscribe_training.network.checkpoint import average_checkpoints
from drumscribe_training.synth.gmd import gmd_root
from drumscribe_training.synth.registry import bank_files, kit_names, load_kit, missing_kits

out, init = Path(sys.argv[1]), Path(sys.argv[2])
names = kit_names("train", extra=True)  # the extra kits too: a config may ask for them
if missing_kits(names):
    sys.exit(f"error: kits {missing_kits(names)} are not here; run scripts/setup_kits.sh")
for n in names:
    load_kit(n)  # builds a bank that is not cached yet
def pack(dest: Path, members: list[tuple[Path, str]]) -> None:
    tmp = dest.with_suffix(".part")
    with lzma.open(tmp, "wb", preset=9) as xz, tarfile.open(fileobj=xz, mode="w") as tar:
        for path, arc in members:
            tar.add(path, arcname=arc)
    tmp.replace(dest)
pack(out / "banks.tar.xz", [(f, f.name) for n in names for f in bank_files(n)])
pack(out / "groove-midi.tar.xz", [(gmd_root(), "groove-midi")])
average_checkpoints([init], out / "init.ckpt")
PY
BANK_MINUTES=${BANK_MINUTES:-30}
rm -rf "$DIR/band-bank"
if [ "$BANK_MINUTES" != 0 ]; then
  uv run drumscribe-train band-bank --out "$DIR/band-bank" --minutes "$BANK_MINUTES" \
    --num-workers "$(nproc)" --no-progress
fi
du -sh "$DIR"/* && du -sh "$DIR"
# the device tool carries the tracked tree and the bundle together, 64 MiB at most
tree=$(git ls-files -z | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
# what gpu_stage.sh needs of the tree: all but the bundled models and the reports
lean=$(git ls-files -z | grep -zv -e '^docs/model/reports/' -e '^experiments/reports/' -e '^runtime/src/drumscribe/models/.*\.onnx$' \
  | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
bundle=$(du -sb --exclude=band.npy "$DIR" | cut -f1)
mib=$(( (tree + bundle) / 1048576 )); lean_mib=$(( (lean + bundle) / 1048576 ))
echo "tracked tree + bundle: ${mib} MiB; without the bundled models and reports: ${lean_mib} MiB"
if [ "$lean_mib" -ge 64 ]; then
  echo "error: over the 64 MiB a device call carries even without the models and reports; lower BANK_MINUTES" >&2
  exit 2
elif [ "$mib" -ge 64 ]; then
  echo "warning: over the 64 MiB a device call carries; move runtime/src/drumscribe/models/*/model.onnx, docs/model/reports/" \
       "and experiments/reports/ out of the working tree for the call (gpu_stage.sh needs none of them)" >&2
fi
