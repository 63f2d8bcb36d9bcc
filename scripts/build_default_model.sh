#!/usr/bin/env bash
# Export the default model's checkpoint into the runtime package, tune per-lane thresholds
# on the validation split, evaluate on the held-out-kit test split, and compare variants.
#   bash scripts/build_default_model.sh [CKPT]
# CKPT defaults to the shipped weights: the final weights of the third GPU stage (docs/model/MODEL.md).
# CHUNK_S sets the sidecar's inference chunk (30 s: fewer chunk joins and about 5 % less compute per second than 20 s;
# thresholds are tuned and the test split evaluated with it). WORK and REPORTS move the
# exported files and the reports elsewhere; INSTALL=0 leaves the runtime's bundled model alone
# (to compare a candidate with the shipped model first). MIX_LEVELS (default "0 -6") are the
# drums-to-band levels the test split is also scored at as full mixes; the thresholds are tuned
# on validation in every condition at once (MIX_LEVELS="" for drums alone).
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT=${1:-checkpoints/gpu-s6/best.ckpt}
CHUNK_S=${CHUNK_S:-30}
CONFIG=configs/default_model.yaml
DEST=runtime/src/drumscribe/models/default
WORK=${WORK:-runs/default-model}
REPORTS=${REPORTS:-docs/model/reports/default-model-test}
INSTALL=${INSTALL:-1}
MIX_LEVELS=${MIX_LEVELS-0 -6}
MIX_ARGS=()
[ -z "$MIX_LEVELS" ] || read -r -a MIX_ARGS <<<"--mix-levels $MIX_LEVELS"
mkdir -p "$DEST" "$WORK"

uv run drumscribe-export "$CKPT" -o "$WORK/model.onnx" --name drumscribe-default --int8 --fp16 \
    --chunk-s "$CHUNK_S" \
    ${TRAINING_INFO:+--training-info "$TRAINING_INFO"}
uv run drumscribe-train evaluate --config "$CONFIG" --model "$WORK/model.onnx" --split test \
    --tune-thresholds --write-metrics --out "$REPORTS" "${MIX_ARGS[@]}"
# the variants get the tuned thresholds too; int8 then gets the same test evaluation
# (model.fp16.onnx is for GPU providers: onnxruntime's CPU provider crashes on it)
for v in int8 fp16; do
    uv run python - "$WORK/model.onnx" "$WORK/model.$v.onnx" <<'PY'
import json, sys
from drumscribe.model import sidecar_path
from drumscribe_training.eval.evaluate import write_thresholds
src, dst = sys.argv[1], sys.argv[2]
side = json.loads(sidecar_path(src).read_text())
write_thresholds(dst, side["peak_picking"]["thresholds"], tuned_on=side["threshold_tuning"])
PY
    [ "$v" = fp16 ] || uv run drumscribe-train evaluate --config "$CONFIG" --model "$WORK/model.$v.onnx" \
        --split test --out "$REPORTS-$v" "${MIX_ARGS[@]}"
done
if [ "$INSTALL" = 1 ]; then
    cp "$WORK/model.onnx" "$DEST/model.onnx"
    cp "$WORK/model.onnx.json" "$DEST/model.onnx.json"
    uv run drumscribe info
fi
