"""Listening check on real band recordings without labels: Frets on Fire song packs (Debian).

Each Frets on Fire song ships as ``song.ogg`` (drums, bass, keys, vocals: everything but the lead
guitar) and ``guitar.ogg``. The full mix is their sum. With no drum labels there is no score, but
one thing can be measured: how much the *guitar* changes what a model hears. The hits a model
finds in ``song.ogg`` are taken as the reference and those it finds in the full mix are matched
to them per lane (50 ms): precision below 1 is hits the guitar added (strums heard as snares,
toms, cymbals), recall below 1 is hits the guitar hid. A model that hears drums through a band
keeps both near 1. Also printed: hits per minute per lane in the full mix (a metal song with
more toms than kicks is a warning).

    apt-get install fretsonfire-songs-muldjord fretsonfire-songs-sectoid   # CC BY-SA, real bands
    uv run python experiments/listening/fof_consistency.py MODEL.onnx [MODEL.onnx ...] --out DIR
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

import drumscribe
from drumscribe.contract import LANE_NAMES

SONGS = Path("/usr/share/games/fretsonfire/data/songs")
WINDOW_S = 0.05


def full_mix(song_dir: Path, out: Path) -> Path:
    """``song.ogg`` + ``guitar.ogg`` summed (peak-limited to 1), written as a WAV."""
    song, rate = sf.read(song_dir / "song.ogg", dtype="float32", always_2d=True)
    guitar, rate_g = sf.read(song_dir / "guitar.ogg", dtype="float32", always_2d=True)
    if rate_g != rate:
        raise SystemExit(f"{song_dir}: song.ogg at {rate} Hz, guitar.ogg at {rate_g} Hz")
    n = min(len(song), len(guitar))
    mix = song[:n] + guitar[:n]
    sf.write(out, mix / max(1.0, float(np.abs(mix).max())), rate)
    return out


def lane_times(hits: list[drumscribe.DrumHit]) -> dict[str, list[float]]:
    by_lane: dict[str, list[float]] = {lane: [] for lane in LANE_NAMES}
    for h in hits:
        by_lane[h.drum].append(h.time_s)
    return by_lane


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True, help="folder for results.json")
    args = ap.parse_args()
    from drumscribe_training.eval.metrics import OnsetCounts

    songs = sorted(p.parent for p in SONGS.glob("*/*/guitar.ogg"))
    if not songs:
        raise SystemExit(f"no Frets on Fire songs under {SONGS} (apt-get install fretsonfire-songs-*)")
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        mixes = [full_mix(s, Path(tmp) / f"{i:02d}.wav") for i, s in enumerate(songs)]
        minutes = sum(sf.info(m).duration for m in mixes) / 60
        for path in args.models:
            model = drumscribe.load_model(path, cache=False)
            counts = OnsetCounts()
            per_minute = dict.fromkeys(LANE_NAMES, 0.0)
            for song, mix in zip(songs, mixes, strict=True):
                ref = lane_times(drumscribe.transcribe(song / "song.ogg", model=model).hits)
                est = lane_times(drumscribe.transcribe(mix, model=model).hits)
                for i, lane in enumerate(LANE_NAMES):
                    counts.add(i, ref[lane], est[lane], window_s=WINDOW_S)
                    per_minute[lane] += len(est[lane]) / minutes
            s = counts.scores()
            row = {
                "precision": {lane: round(100 * s.precision[lane], 1) for lane in LANE_NAMES},
                "recall": {lane: round(100 * s.recall[lane], 1) for lane in LANE_NAMES},
                "f1": {lane: round(100 * s.f1[lane], 1) for lane in LANE_NAMES},
                "micro_precision": round(100 * s.micro_precision, 1),
                "micro_recall": round(100 * s.micro_recall, 1),
                "micro_f1": round(100 * s.micro_f1, 1),
                "hits_per_minute": {lane: round(v, 1) for lane, v in per_minute.items()},
            }
            results[str(path)] = row
            print(
                f"{path}: {len(songs)} songs, {minutes:.1f} min; micro P/R/F (mix vs no-guitar) "
                f"{row['micro_precision']} / {row['micro_recall']} / {row['micro_f1']}"
            )
            for key in ("precision", "recall", "hits_per_minute"):
                print(f"  {key:16s}", "  ".join(f"{lane} {v}" for lane, v in row[key].items()))  # type: ignore[attr-defined]
    (args.out / "results.json").write_text(
        json.dumps({"songs": [str(s) for s in songs], "models": results}, indent=2)
    )


if __name__ == "__main__":
    main()
