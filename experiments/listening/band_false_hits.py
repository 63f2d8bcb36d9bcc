"""What in a band part a model hears as drums: false hits per lane, per band instrument role.

A clip's band part alone (``<clip>.band.wav``, no drums) should give no hits at all: every hit a
model finds in it is false. Each band part is rendered again from its manifest seed (the
renderer is reproducible; the script checks the samples against the stored file) to learn which
stems played which notes, and each false hit is put on the role whose note onset is nearest
within 50 ms ("none": no onset near, e.g. a sustained note or a reverb tail). Printed: false hits
per minute of band audio, per lane and per role, and per 100 notes of each role.

    uv run python experiments/listening/band_false_hits.py MODEL.onnx [MODEL.onnx ...] \\
        --data-dir data/synth-10h --split test --out DIR
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf

import drumscribe
from drumscribe.contract import LANE_NAMES

WINDOW_S = 0.05
#: Largest difference (16-bit steps) between a re-rendered band part and the stored one.
REPRODUCE_TOL = 2.0 / 32768


def stems_of(
    root: Path, row: dict[str, str], egmd: dict[str, dict[str, str]]
) -> list[tuple[str, np.ndarray]]:
    """(role, note onsets in seconds) of each stem of a clip's band part, re-rendered."""
    from drumscribe_training.synth.band.clip import midi_quarter_s
    from drumscribe_training.synth.band.manifest import band_rng
    from drumscribe_training.synth.band.render import render_band_part
    from drumscribe_training.synth.band.settings import BandSettings
    from drumscribe_training.synth.gmd import read_performance

    clip = egmd[row["audio_filename"]]
    midi = root / clip["midi_filename"]
    stored, _ = sf.read(root / row["band_filename"], dtype="float32")
    events, _, _ = read_performance(midi)
    part = render_band_part(
        drum_events=events,
        quarter_s=midi_quarter_s(midi),
        time_signature=clip["time_signature"],
        drum_style=clip["style"],
        n_samples=int(stored.shape[0]),
        split=row["split"],
        rng=band_rng(int(row["seed"])),
        settings=BandSettings(),
    )
    worst = float(np.abs(part.audio - stored).max())
    if worst > REPRODUCE_TOL:
        raise SystemExit(f"{row['band_filename']}: re-rendered band part differs by {worst:.2e}")
    return [(st.role, np.asarray(st.onsets_s)) for st in part.stems]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--limit", type=int, default=0, help="first N clips of the split (0: all)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    root = args.data_dir
    with (root / "e-gmd-v1.0.0.csv").open(newline="") as fh:
        egmd = {r["audio_filename"]: r for r in csv.DictReader(fh)}
    with (root / "band-manifest.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == args.split]
    rows = rows[: args.limit] if args.limit else rows
    stems = [stems_of(root, r, egmd) for r in rows]
    minutes = sum(sf.info(root / r["band_filename"]).duration for r in rows) / 60
    notes = Counter(role for clip in stems for role, on in clip for _ in on)
    results: dict[str, object] = {"clips": len(rows), "minutes": round(minutes, 2), "notes": dict(notes)}
    for path in args.models:
        model = drumscribe.load_model(path, cache=False)
        table: dict[str, Counter[str]] = defaultdict(Counter)  # lane -> role -> hits
        for row, clip in zip(rows, stems, strict=True):
            for hit in drumscribe.transcribe(root / row["band_filename"], model=model).hits:
                near = [(float(np.abs(on - hit.time_s).min()), role) for role, on in clip if on.size]
                dist, role = min(near, default=(np.inf, "none"))
                table[hit.drum][role if dist <= WINDOW_S else "none"] += 1
        per_lane = {lane: round(sum(table[lane].values()) / minutes, 1) for lane in LANE_NAMES}
        per_role = Counter[str]()
        for lane in LANE_NAMES:
            per_role.update(table[lane])
        results[str(path)] = {
            "false_hits_per_minute": per_lane,
            "by_lane_and_role": {lane: dict(table[lane]) for lane in LANE_NAMES},
            "per_100_notes": {r: round(100 * per_role[r] / notes[r], 1) for r in notes},
        }
        print(f"{path}: {len(rows)} band parts, {minutes:.1f} min; false hits per minute by lane:")
        print("  " + "  ".join(f"{lane} {v}" for lane, v in per_lane.items()))
        print("  false hits per 100 notes, by role:")
        for r in sorted(notes, key=lambda r: -per_role[r] / notes[r]):
            lanes = ", ".join(f"{lane} {table[lane][r]}" for lane in LANE_NAMES if table[lane][r])
            print(f"    {r:14s} {100 * per_role[r] / notes[r]:5.1f}  ({notes[r]} notes; {lanes})")
        print(f"    {'none':14s} {per_role['none']} hits with no note onset within {WINDOW_S * 1000:.0f} ms")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
