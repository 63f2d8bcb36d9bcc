"""Static int8 (QDQ) of the default model's 2-D convolutions against fp32: hits and speed.

Not a test (needs minutes): renders real-like audio (Groove MIDI performances through
synthesised kits, with reference MIDI) for calibration and for scoring, builds the int8
variant with ``drumscribe_exporters.quantize.to_int8_static``, scores fp32 and int8 per lane
(F1 at 50 ms, the card's window) on the rendered set and on the bundled example, and times
``transcribe`` of a 180 s file, fp32 and int8 alternating in one process.

    uv run python experiments/speed/int8_static_ab.py --work /tmp/int8ab [--method minmax]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))

import _bench  # noqa: E402

import drumscribe  # noqa: E402
from drumscribe.audio import iter_file_blocks  # noqa: E402
from drumscribe.contract import LANE_NAMES  # noqa: E402
from drumscribe.model import default_model_path  # noqa: E402

WINDOW_S = 0.05


def render(root: Path, *, hours: float, seed: int, kits: tuple[str, ...]) -> list[tuple[Path, Path]]:
    from drumscribe_training.synth.writer import SynthSettings, write_dataset

    settings = SynthSettings(
        hours=hours, seed=seed, kits=kits, split_kits=False, procedural_fraction=0.0, realism=1.0
    )
    write_dataset(root, settings, num_workers=1, progress=False)
    with (root / "e-gmd-v1.0.0.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    return [(root / r["audio_filename"], root / r["midi_filename"]) for r in rows]


def model_rate(path: Path, sr: int) -> np.ndarray:
    return np.concatenate(list(iter_file_blocks(path, sample_rate=sr)))


def scores(model: drumscribe.Model, pairs: list[tuple[Path, Path]]) -> tuple[dict[str, float], list]:
    from drumscribe_training.config import load_config
    from drumscribe_training.data.egmd import read_onsets
    from drumscribe_training.eval.metrics import OnsetCounts

    classes = load_config().classes
    counts = OnsetCounts()
    all_hits = []
    for wav, mid in pairs:
        hits = drumscribe.transcribe(wav, model=model).hits
        all_hits.append(hits)
        ref = read_onsets(mid, note_map=classes.note_map, ignored_notes=classes.ignored_notes)
        for i, lane in enumerate(LANE_NAMES):
            counts.add(
                i,
                [e.time_s for e in ref.events if e.lane == i],
                [h.time_s for h in hits if h.drum == lane],
                window_s=WINDOW_S,
            )
    s = counts.scores()
    out = {lane: 100 * s.f1[lane] for lane in LANE_NAMES}
    out["micro"] = 100 * s.micro_f1
    return out, all_hits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--method", default="minmax")
    ap.add_argument("--eval-hours", type=float, default=0.1)
    ap.add_argument("--calib-hours", type=float, default=0.03)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--first-conv", action="store_true")
    args = ap.parse_args()
    from drumscribe_exporters.quantize import to_int8_static

    args.work.mkdir(parents=True, exist_ok=True)
    fp32_path = default_model_path()
    fp32 = drumscribe.load_model(fp32_path, cache=False)
    sr = fp32.spec.sample_rate
    t0 = time.perf_counter()
    calib = render(
        args.work / "calib", hours=args.calib_hours, seed=11, kits=("synthkit-090", "synthkit-091")
    )
    evals = render(
        args.work / "eval",
        hours=args.eval_hours,
        seed=12,
        kits=("synthkit-095", "synthkit-096", "synthkit-097"),
    )
    print(
        f"rendered {len(calib)} calibration and {len(evals)} scoring clips in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    win = 8 * sr  # equal windows: the histogram calibrators stack them
    pieces = [
        a[i : i + win] for a in (model_rate(w, sr) for w, _ in calib) for i in range(0, a.size - win + 1, win)
    ]
    int8_path = to_int8_static(
        fp32_path,
        args.work / f"model.int8-{args.method}{'-first' if args.first_conv else ''}.onnx",
        calibration=pieces,
        method=args.method,
        first_conv=args.first_conv,
    )
    int8 = drumscribe.load_model(int8_path, cache=False)
    example = [(REPO / "examples/example_drums.flac", REPO / "examples/example_drums.truth.midi")]
    result: dict[str, object] = {
        "method": args.method,
        "first_conv": args.first_conv,
        "calibration_clips": len(calib),
        "eval_clips": len(evals),
    }
    for name, pairs in (("rendered", evals), ("example", example)):
        a, ha = scores(fp32, pairs)
        b, hb = scores(int8, pairs)
        agree = _bench.hit_agreement([h for hs in ha for h in hs], [h for hs in hb for h in hs])
        result[name] = {"fp32": a, "int8": b, "hit_agreement_F": agree}
        print(name, "agreement F", round(agree, 4))
        for k in a:
            print(f"  {k:8s} fp32 {a[k]:6.2f} int8 {b[k]:6.2f} diff {b[k] - a[k]:+.2f}")
    song = _bench.write_drum_wav(args.work / "song180.wav", 180.0, seed=0)
    times: dict[str, list[float]] = {"fp32": [], "int8": []}
    for m in (fp32, int8):
        drumscribe.transcribe(song, model=m)  # warm-up
    for _ in range(args.rounds):
        for name, m in (("fp32", fp32), ("int8", int8)):
            t = time.perf_counter()
            drumscribe.transcribe(song, model=m)
            times[name].append(time.perf_counter() - t)
    result["times_180s"] = times
    for name, ts in times.items():
        print(f"{name}: best {min(ts):.3f} s ({180 / min(ts):.0f}x), all {[round(t, 3) for t in ts]}")
    print(f"ratio int8/fp32 (best) {min(times['int8']) / min(times['fp32']):.3f}")
    (args.work / f"result-{args.method}{'-first' if args.first_conv else ''}.json").write_text(
        json.dumps(result, indent=2)
    )


if __name__ == "__main__":
    main()
