"""Which drum hits a model loses when a band plays over them: recall by velocity and by local level.

For each clip of a split with a band part, the model transcribes the full mix at one
drums-to-band level (``mix_parts_at_level``, the terms of ``evaluate --mix-levels``' mix) and the
drums alone at the level they have in that mix, so that only the band differs. Each reference hit is labelled by
its MIDI velocity and by the **local drums-to-band ratio**: the energy of the drum stem against the
energy of the (level-scaled) band part in the 30 ms after the onset, in dB, in the frequency range
where the hit's lane lives (kick: 30-150 Hz, snare and toms: 150-1,000 Hz, cymbals: 3-12 kHz). The
script prints recall per lane group and bin in both conditions, and the share of the hits found
alone and lost in the mix that fall in each bin: if they sit where the band is 10 dB louder than
the drums in that range, the test split asks for hits nobody could hear; if they are evenly
spread, the network is what loses them.

    uv run python experiments/listening/missed_in_mix.py MODEL.onnx --config configs/default_model.yaml \\
        --data-dir data/synth-10h --split test --level-db 0 --out DIR
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import mir_eval
import numpy as np
import soundfile as sf
from scipy.signal import butter, sosfiltfilt

import drumscribe
from drumscribe.contract import LANE_NAMES

WINDOW_S = 0.05
LOCAL_S = 0.03
GROUPS = {
    "kick": (("kick",), (30.0, 150.0)),
    "snare": (("snare",), (150.0, 1000.0)),
    "toms": (("hi_tom", "mid_tom", "low_tom"), (80.0, 1000.0)),
    "hihat": (("hihat",), (3000.0, 12000.0)),
    "crash+ride": (("crash", "ride"), (3000.0, 12000.0)),
}
VELOCITY_BINS = (1, 41, 71, 101, 128)
#: A lost hit's largest activation in the mix within the window, as a share of its lane's threshold.
ACTIVATION_BINS = (0.0, 0.25, 0.5, 0.75, 1.0, np.inf)
RATIO_BINS = (-np.inf, -10.0, -5.0, 0.0, 5.0, 10.0, np.inf)


def _band_energy(signal: np.ndarray, sr: int, lo: float, hi: float) -> np.ndarray:
    sos = butter(4, [lo, min(hi, 0.45 * sr)], btype="bandpass", fs=sr, output="sos")
    return np.cumsum(np.concatenate([[0.0], sosfiltfilt(sos, signal.astype(np.float64)) ** 2]))


def _window_energy(cum: np.ndarray, t: float, sr: int) -> float:
    a = int(t * sr)
    b = min(a + int(LOCAL_S * sr), cum.shape[0] - 1)
    return float(cum[b] - cum[min(a, b)]) + 1e-12


def _matched(ref: np.ndarray, est: np.ndarray) -> np.ndarray:
    """Boolean per reference onset: matched within the window."""
    hit = np.zeros(len(ref), dtype=bool)
    if len(ref) and len(est):
        for i, _ in mir_eval.util.match_events(ref, np.sort(est), WINDOW_S):
            hit[i] = True
    return hit


def _bin(value: float, edges: tuple[float, ...]) -> int:
    return int(np.searchsorted(edges, value, side="right") - 1)


def main() -> None:
    from drumscribe_training.config import load_config
    from drumscribe_training.data.band_mix import mix_parts_at_level
    from drumscribe_training.data.egmd import read_onsets
    from drumscribe_training.eval.evaluate import band_path, select_rows

    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--config", default="configs/default_model.yaml")
    parser.add_argument("--data-dir", default="data/synth-10h")
    parser.add_argument("--split", default="test")
    parser.add_argument("--level-db", type=float, default=0.0)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    cfg = load_config(args.config)
    model = drumscribe.load_model(args.model)
    root = Path(args.data_dir)
    rows = select_rows(cfg, root, args.split)[: args.limit]
    # counts[group][axis][bin] = [found alone, found in mix, total, found alone & lost in mix]
    counts: dict[str, dict[str, dict[int, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    )
    # lost[group][bin]: hits found alone and lost in the mix, by their mix activation / threshold
    lost_acts: dict[str, list[int]] = defaultdict(lambda: [0] * (len(ACTIVATION_BINS) - 1))
    thresholds = model.spec.thresholds
    drum_gain_db: list[float] = []
    clips = 0
    for row in rows:
        band_file = band_path(root, row.audio_filename)
        if band_file is None:
            continue
        drums, sr = sf.read(root / row.audio_filename, dtype="float32", always_2d=True)
        band, _ = sf.read(band_file, dtype="float32", always_2d=True)
        stem = drums.mean(axis=1)
        drums, band = mix_parts_at_level(stem, band.mean(axis=1), level_db=args.level_db, sample_rate=sr)
        mix = drums + band
        drum_gain_db.append(20 * np.log10(np.abs(drums).max() / np.abs(stem).max()))
        ref = read_onsets(
            root / row.midi_filename, note_map=cfg.classes.note_map, ignored_notes=cfg.classes.ignored_notes
        ).events
        alone = drumscribe.transcribe(drums, sample_rate=sr, model=model).hits  # at their level in the mix
        mixed_result = drumscribe.transcribe(mix, sample_rate=sr, model=model, keep_activations=True)
        mixed, acts = mixed_result.hits, mixed_result.activations
        fps = model.spec.frame_rate
        clips += 1
        for group, (lanes, (lo, hi)) in GROUPS.items():
            ids = [LANE_NAMES.index(n) for n in lanes]
            d_cum, b_cum = _band_energy(drums, sr, lo, hi), _band_energy(band, sr, lo, hi)
            for lane in ids:
                events = sorted((e for e in ref if e.lane == lane), key=lambda e: e.time_s)
                times = np.array([e.time_s for e in events])
                got_alone = _matched(times, np.array([h.time_s for h in alone if h.lane == lane]))
                got_mix = _matched(times, np.array([h.time_s for h in mixed if h.lane == lane]))
                for e, a, m in zip(events, got_alone, got_mix, strict=True):
                    if a and not m and acts is not None:
                        f0 = max(int((e.time_s - WINDOW_S) * fps), 0)
                        f1 = int((e.time_s + WINDOW_S) * fps) + 1
                        share = float(acts[f0:f1, lane].max(initial=0.0)) / thresholds[LANE_NAMES[lane]]
                        lost_acts[group][_bin(share, ACTIVATION_BINS)] += 1
                    ratio = 10 * np.log10(
                        _window_energy(d_cum, e.time_s, sr) / _window_energy(b_cum, e.time_s, sr)
                    )
                    for axis, b in (
                        ("velocity", _bin(e.velocity, VELOCITY_BINS)),
                        ("local_db", _bin(ratio, RATIO_BINS)),
                    ):
                        c = counts[group][axis][b]
                        c[0] += int(a)
                        c[1] += int(m)
                        c[2] += 1
                        c[3] += int(a and not m)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    labels = {
        "velocity": [f"{VELOCITY_BINS[i]}-{VELOCITY_BINS[i + 1] - 1}" for i in range(len(VELOCITY_BINS) - 1)],
        "local_db": [
            f"{RATIO_BINS[i]:+.0f}..{RATIO_BINS[i + 1]:+.0f} dB" for i in range(len(RATIO_BINS) - 1)
        ],
    }
    table: dict[str, dict[str, list[dict[str, float | int | str]]]] = {}
    lines = [
        f"# Hits lost in the mix: {args.model}, {args.split}, {clips} clips, drums-to-band {args.level_db:+.0f} dB",
        "",
        "Recall alone / in the mix per bin; `lost` = share of the hits found alone and missed in the mix.",
    ]
    for group, axes in counts.items():
        table[group] = {}
        for axis, bins in axes.items():
            lost_total = sum(c[3] for c in bins.values()) or 1
            rows_out = []
            lines += [
                "",
                f"## {group}, by {axis}",
                "",
                "| bin | hits | recall alone | recall in mix | lost |",
                "|---|---|---|---|---|",
            ]
            for b in sorted(bins):
                a, m, n, lost = bins[b]
                rec = {
                    "bin": labels[axis][b],
                    "hits": n,
                    "recall_alone": a / n,
                    "recall_mix": m / n,
                    "lost_share": lost / lost_total,
                }
                rows_out.append(rec)
                lines.append(
                    f"| {rec['bin']} | {n} | {100 * a / n:.1f} | {100 * m / n:.1f} | {100 * lost / lost_total:.0f} % |"
                )
            table[group][axis] = rows_out
    act_labels = [
        f"{ACTIVATION_BINS[i]:g}-{ACTIVATION_BINS[i + 1]:g}" for i in range(len(ACTIVATION_BINS) - 1)
    ]
    lines += [
        "",
        "## Hits found alone and lost in the mix: their largest mix activation within 50 ms / threshold",
        "",
        f"Drums in the mixes sit {-np.mean(drum_gain_db):.1f} dB below the drums alone on average "
        "(the sum is scaled to fit the peak ceiling).",
        "",
        "| group | " + " | ".join(act_labels) + " |",
        "|---|" + "---|" * len(act_labels),
    ]
    for group, hist in lost_acts.items():
        total = sum(hist) or 1
        lines.append(f"| {group} | " + " | ".join(f"{100 * h / total:.0f} %" for h in hist) + " |")
    table["lost_by_activation"] = {g: dict(zip(act_labels, h, strict=True)) for g, h in lost_acts.items()}  # type: ignore[assignment]
    (out / "results.json").write_text(
        json.dumps(
            {"model": args.model, "level_db": args.level_db, "clips": clips, "groups": table}, indent=1
        )
    )
    (out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
