#!/usr/bin/env bash
# Train a candidate on a bare GPU machine for a fixed time, from the bundle of scripts/gpu_bundle.sh:
#   bash scripts/gpu_stage.sh BUNDLE OUT TOTAL_S [CONFIG] [EXPERIMENT]
# (defaults configs/default_model.yaml, the shipped recipe, and gpu-stage). Run from the repository root there.
# 1. installs BUNDLE/whl into /tmp/site (the image's own torch, lightning, h5py stay), unpacks
#    the train kits' banks (DRUMSCRIBE_KIT_CACHE) and Groove MIDI (DRUMSCRIBE_GROOVE_MIDI);
# 2. renders and preprocesses a tiny E-GMD-shaped set there (one train kit): its train split
#    only indexes crops (every training crop is rendered on the fly), its val split is a smoke
#    signal, not a selection set;
# 3. runs scripts/timed_finetune.py with what is left of TOTAL_S (less RESERVE_S, default 120)
#    (with BUNDLE/band-bank, if the bundle has one, as band_mix.bank: mix recipes' band parts),
#    writing OUT/candidate.ckpt (weights only), OUT/summary.json, OUT/events.tb and OUT/stage.log.
# The bundle (~52 MiB with a 30-minute band bank) and the tracked tree travel together under the device tool's 64 MiB: move
# the bundled models (runtime/src/drumscribe/models/*/model.onnx) and the reports (docs/model/reports/,
# experiments/reports/) out of the working tree for the call (none is needed there).
# Judge the candidate afterwards on the real validation split (scripts/build_default_model.sh
# with INSTALL=0). PYTHON (default python3), NUM_WORKERS (default: cores - 2) and FILL (share of the
# training budget the schedule plans, default 0.85: the probe's rate is a guess, 4.0 to 4.7 batches/s
# on the same H200; training is cut short 60 s past the budget, or RESERVE_S - 20 s past it when
# RESERVE_S < 80, so the stop falls inside TOTAL_S) may be set.
set -euo pipefail
START=$(date +%s)
[ $# -ge 3 ] || { echo "usage: bash scripts/gpu_stage.sh BUNDLE OUT TOTAL_S [CONFIG] [EXPERIMENT]" >&2; exit 2; }
BUNDLE=$1; OUT=$2; TOTAL=$3
for f in banks.tar.xz groove-midi.tar.xz init.ckpt; do
  [ -f "$BUNDLE/$f" ] || { echo "error: $BUNDLE/$f not found (make the bundle with scripts/gpu_bundle.sh)" >&2; exit 2; }
done
CONFIG=${4:-configs/default_model.yaml}; EXP=${5:-gpu-stage}
PY=${PYTHON:-python3}
WORKERS=${NUM_WORKERS:-$(( $(nproc) > 3 ? $(nproc) - 2 : 1 ))}
RESERVE=${RESERVE_S:-120}
# training's hard stop (Lightning max_time) falls inside TOTAL_S: 60 s after the planned budget, or
# RESERVE - 20 s when the reserve is smaller (a 25 s reserve once let the stop fall past the call's limit)
OVERRUN=$(( RESERVE >= 80 ? 60 : (RESERVE > 25 ? RESERVE - 20 : 5) ))
mkdir -p "$OUT"
exec > >(tee "$OUT/stage.log") 2>&1
if [ -d "$BUNDLE/whl" ] && [ "${INSTALL_WHEELS:-1}" = 1 ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$BUNDLE"/whl/*.whl
  export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD/runtime/src:$PWD/training/src:${PYTHONPATH:-} PYTHONUNBUFFERED=1
WORK=$(mktemp -d)
mkdir -p "$WORK/kits/banks"
tar xJf "$BUNDLE/banks.tar.xz" -C "$WORK/kits/banks"
tar xJf "$BUNDLE/groove-midi.tar.xz" -C "$WORK"
export DRUMSCRIBE_KIT_CACHE=$WORK/kits DRUMSCRIBE_GROOVE_MIDI=$WORK/groove-midi
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
$PY -m drumscribe_training.cli synth --out "$WORK/mini" --hours 0.05 --seed 3 --kits "FluidR3 Standard" \
  --no-split-kits --clip-seconds 15 30 --num-workers "$WORKERS" --no-progress
$PY -m drumscribe_training.cli preprocess --data-dir "$WORK/mini" --out "$WORK/mini-proc" \
  --splits-dir "$WORK/mini-splits" --num-workers "$WORKERS" --no-progress
LEFT=$(( TOTAL - ($(date +%s) - START) - RESERVE ))
echo "prepared in $(( $(date +%s) - START )) s; training budget ${LEFT} s"
[ "$LEFT" -gt 30 ] || { echo "error: no time left to train (TOTAL_S=$TOTAL)" >&2; exit 3; }
$PY scripts/timed_finetune.py --config "$CONFIG" --experiment-name "$EXP" --data-dir "$WORK/mini-proc" \
  --init-weights "$BUNDLE/init.ckpt" --budget-s "$LEFT" --overrun-s "$OVERRUN" --fill "${FILL:-0.85}" --num-workers "$WORKERS" \
  --out "$OUT/candidate.ckpt" --summary "$OUT/summary.json" ${ACCELERATOR:+--accelerator $ACCELERATOR} \
  $( [ -f "$BUNDLE/band-bank/bank.json" ] && echo --band-bank "$BUNDLE/band-bank" )
ev=$(find logs/"$EXP" -name 'events.out.tfevents*' -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -1 | cut -d' ' -f2-)
[ -z "$ev" ] || cp "$ev" "$OUT/events.tb"
echo "done in $(( $(date +%s) - START )) s"
