#!/usr/bin/env bash
# Export the default model's checkpoint into the runtime package, tune per-lane thresholds
# on the validation split, evaluate on the held-out-kit test split, and compare variants.
#   bash scripts/build_default_model.sh [CKPT]
# CKPT defaults to the shipped weights: the final weights of the third GPU stage (docs/model/MODEL.md);
# an exported model.onnx works too (its thresholds are tuned again, its variants made).
# CHUNK_S sets the sidecar's inference chunk (30 s: fewer chunk joins and about 5 % less compute per second than 20 s;
# thresholds are tuned and the test split evaluated with it). WORK and REPORTS move the
# exported files and the reports elsewhere; INSTALL=0 leaves the runtime's bundled model alone
# (to compare a candidate with the shipped model first). MIX_LEVELS (default "0 -6") are the
# drums-to-band levels the test split is also scored at as full mixes; the thresholds are tuned
# on validation in every condition at once (MIX_LEVELS="" for drums alone).
# The static int8 variant (model.int8-static.onnx, faster on CPU) is calibrated on validation
# clips, drums alone and with their band parts summed in, and scored on the test split like the
# fp32 model; BUNDLE=int8-static installs it instead of fp32 (issue 25: when every lane is
# within 0.5 point of fp32).
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT=${1:-checkpoints/gpu-s6/best.ckpt}
CHUNK_S=${CHUNK_S:-30}
CONFIG=configs/default_model.yaml
DEST=runtime/src/drumscribe/models/default
WORK=${WORK:-runs/default-model}
REPORTS=${REPORTS:-docs/model/reports/default-model-test}
INSTALL=${INSTALL:-1}
BUNDLE=${BUNDLE:-fp32}
MIX_LEVELS=${MIX_LEVELS-0 -6}
MIX_ARGS=()
[ -z "$MIX_LEVELS" ] || read -r -a MIX_ARGS <<<"--mix-levels $MIX_LEVELS"
mkdir -p "$DEST" "$WORK"

# calibration audio for static int8: 32 validation clips spread over the split, each alone
# and mixed with its band part at 0 dB as evaluation mixes (no band part: the clip alone)
mkdir -p "$WORK/calibration"
uv run python - "$CONFIG" "$WORK/calibration" >"$WORK/calibration.txt" <<'PY'
import sys
from pathlib import Path
import soundfile as sf
from drumscribe_training.config import load_config
from drumscribe_training.data.band_mix import mix_at_level
from drumscribe_training.data.egmd import read_index
from drumscribe_training.synth.band.manifest import band_path
cfg, out = load_config(sys.argv[1]), Path(sys.argv[2])
root = Path(cfg.data.data_dir)
rows = sorted((r for r in read_index(root) if r.split == "val"), key=lambda r: r.audio_filename)
for i, row in enumerate(rows[:: max(1, len(rows) // 32)][:32]):
    drums = root / row.audio_filename
    print(drums)
    band = band_path(root, row.audio_filename)
    if band is not None:
        d, rate = sf.read(drums, dtype="float32", always_2d=True)
        b, _ = sf.read(band, dtype="float32", always_2d=True)
        mix = mix_at_level(d.mean(axis=1), b.mean(axis=1), level_db=0.0, sample_rate=rate)
        sf.write(out / f"mix{i:02d}.wav", mix, rate)
        print(out / f"mix{i:02d}.wav")
PY
mapfile -t CALIBRATION <"$WORK/calibration.txt"
EXPORT_ARGS=(--chunk-s "$CHUNK_S" --name drumscribe-default ${TRAINING_INFO:+--training-info "$TRAINING_INFO"})
case "$CKPT" in *.onnx) EXPORT_ARGS=() ;; esac  # an exported model: its variants only
uv run drumscribe-export "$CKPT" -o "$WORK/model.onnx" --fp16 --int8-static "${CALIBRATION[@]}" \
    "${EXPORT_ARGS[@]}"
uv run drumscribe-train evaluate --config "$CONFIG" --model "$WORK/model.onnx" --split test \
    --tune-thresholds --write-metrics --out "$REPORTS" "${MIX_ARGS[@]}"
# the variants get the tuned thresholds too; int8-static then gets the same test evaluation, its
# scores stored in its own sidecar (the bundled file's metrics are its own)
# (model.fp16.onnx is for GPU providers: onnxruntime's CPU provider crashes on it)
for v in int8-static fp16; do
    uv run python - "$WORK/model.onnx" "$WORK/model.$v.onnx" <<'PY'
import json, sys
from drumscribe.model import sidecar_path
from drumscribe_training.eval.evaluate import write_thresholds
src, dst = sys.argv[1], sys.argv[2]
side = json.loads(sidecar_path(src).read_text())
write_thresholds(dst, side["peak_picking"]["thresholds"], tuned_on=side["threshold_tuning"])
PY
    [ "$v" = fp16 ] || uv run drumscribe-train evaluate --config "$CONFIG" --model "$WORK/model.$v.onnx" \
        --split test --write-metrics --out "$REPORTS-$v" "${MIX_ARGS[@]}"
done
if [ "$INSTALL" = 1 ]; then
    SRC="$WORK/model.onnx"
    [ "$BUNDLE" = fp32 ] || SRC="$WORK/model.$BUNDLE.onnx"
    cp "$SRC" "$DEST/model.onnx"
    cp "$SRC.json" "$DEST/model.onnx.json"
    uv run drumscribe info
fi
