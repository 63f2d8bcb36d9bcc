"""What a causal front-end tells about a hit's drum within the live latency (session 16).

For every hit in the rendered drums-alone clips with no other hit within 30 ms, take the
log-mel frames the live network may read for it (``--frames-before`` frames before the hit's,
its own, whose window ends one hop after the hit, and ``--frames-after`` frames of look-ahead)
plus the onset spectrum (each of those frames' power above the frame before the hit), and fit a
linear probe (logistic regression) from them to the hit's lane: on the validation split's kits,
scored on the test split's kits (no kit in common). Front-ends compared, all at 16 kHz, hop 10 ms:

* ``short``: the shipped live front-end, a 20 ms Hann window ending one hop after the frame;
* ``long-hann``: a 64 ms Hann window ending at the same sample (Böck et al.'s online
  onset detector aligns its windows this way);
* ``long-asym``: a 64 ms window ending at the same sample, rising over 54 ms and falling over
  the last 10 ms, so the newest audio is not faded out;
* ``short+long-asym``: both, as two input channels;
* ``offline``: the offline model's centred 64 ms window with two frames after the hit
  (not causal; the ceiling).

    uv run python experiments/listening/live_window_probe.py --frames-after 1   # the live look-ahead

Results: experiments/NOTES.md "The live model's look-ahead" (session 16).
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score
from sklearn.preprocessing import StandardScaler

from drumscribe.contract import LANE_NAMES
from drumscribe_training.config import load_config
from drumscribe_training.data.egmd import read_onsets
from drumscribe_training.network.frontend import mel_filterbank

SR, HOP, N_MELS, ISOLATION_S = 16000, 160, 64, 0.03
#: Frames the offline (centred, bidirectional) reference reads after the hit's.
OFFLINE_AFTER = 2


def half_hann(n: int, *, rising: bool) -> np.ndarray:
    w = np.hanning(2 * n + 1)[:-1]
    return w[:n] if rising else w[n:]


def windows() -> dict[str, tuple[np.ndarray, int, int]]:
    """name -> (window, n_fft, right_reach): the window ends ``right_reach`` samples past the frame."""
    asym = np.concatenate([half_hann(1024 - 160, rising=True), half_hann(160, rising=False)])
    return {
        "short": (np.hanning(321)[:-1], 512, HOP),
        "long-hann": (np.hanning(1025)[:-1], 1024, HOP),
        "long-asym": (asym, 1024, HOP),
        "offline": (np.hanning(1025)[:-1], 1024, 512),
    }


@functools.cache
def mel_bank(n_fft: int) -> np.ndarray:
    return mel_filterbank(sample_rate=SR, n_fft=n_fft, n_mels=N_MELS, fmin=30.0, fmax=8000.0)


def logmel(audio: np.ndarray, window: np.ndarray, n_fft: int, reach: int) -> np.ndarray:
    """(frames, mels): frame i's window ends at i * HOP + reach."""
    win = len(window)
    padded = np.concatenate([np.zeros(win), audio, np.zeros(win)])
    n_frames = len(audio) // HOP + 1
    # frame i reads [i * HOP + reach - win, i * HOP + reach) of the audio: + win of left padding
    starts = np.arange(n_frames) * HOP + reach
    frames = padded[starts[:, None] + np.arange(win)[None, :]] * window
    power = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2
    return np.log(power @ mel_bank(n_fft).T + 1e-5).astype(np.float32)


def collect(data_dir: Path, names: list[str], *, before: int, after: int, note_map: dict[int, str]):
    fronts = windows()
    last = {k: OFFLINE_AFTER if k == "offline" else after for k in fronts}  # frames read after the hit's
    feats: dict[str, list[np.ndarray]] = {k: [] for k in fronts}
    labels: list[int] = []
    for name in names:
        audio, sr = sf.read(data_dir / name, dtype="float32", always_2d=True)
        audio = soxr.resample(audio.mean(axis=1), sr, SR)
        events = read_onsets((data_dir / name).with_suffix(".midi"), note_map=note_map).events
        times = np.array([e.time_s for e in events])
        specs = {k: logmel(audio, *w) for k, w in fronts.items()}
        for e in events:
            if np.sum(np.abs(times - e.time_s) < ISOLATION_S) != 1:
                continue
            j = round(e.time_s * SR / HOP)
            if j < before or any(j + last[k] >= len(s) for k, s in specs.items()):
                continue
            for k, s in specs.items():
                block = s[j - before : j + last[k] + 1]
                new = np.log(np.maximum(np.exp(block[before:]) - np.exp(block[before - 1]), 0.0) + 1e-5)
                feats[k].append(np.concatenate([block.ravel(), new.ravel()]))
            labels.append(e.lane)
    return {k: np.stack(v) for k, v in feats.items()}, np.array(labels)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=Path("data/synth-mix-3h"))
    ap.add_argument("--splits-dir", type=Path, default=Path("data/splits-mix-3h"))
    ap.add_argument("--frames-before", type=int, default=3)
    ap.add_argument("--frames-after", type=int, default=1, help="the live look-ahead")
    args = ap.parse_args()
    note_map = {int(k): v for k, v in load_config().classes.note_map.items()}
    split = {s: (args.splits_dir / f"{s}_split.txt").read_text().split() for s in ("val", "test")}
    common = dict(before=args.frames_before, after=args.frames_after, note_map=note_map)
    (xtr, ytr), (xte, yte) = (collect(args.data_dir, split[s], **common) for s in ("val", "test"))
    print(f"isolated hits: fit {len(ytr)} (val kits), score {len(yte)} (test kits)")
    combos = {k: [k] for k in windows()} | {"short+long-asym": ["short", "long-asym"]}
    print("| front-end | accuracy | macro F1 | " + " | ".join(LANE_NAMES) + " |")
    for name, parts in combos.items():
        a, b = (np.concatenate([x[p] for p in parts], axis=1) for x in (xtr, xte))
        scaler = StandardScaler().fit(a)
        clf = LogisticRegression(max_iter=2000, C=0.1).fit(scaler.transform(a), ytr)
        pred = clf.predict(scaler.transform(b))
        per = f1_score(yte, pred, labels=range(len(LANE_NAMES)), average=None, zero_division=0)
        macro = f1_score(yte, pred, average="macro")
        lanes = " | ".join(f"{100 * v:.1f}" for v in per)
        print(f"| {name} | {100 * np.mean(pred == yte):.1f} | {100 * macro:.1f} | {lanes} |")
        if name in ("short", "short+long-asym"):
            print(confusion_matrix(yte, pred, labels=range(len(LANE_NAMES))))


if __name__ == "__main__":
    main()
