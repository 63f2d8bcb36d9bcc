"""A tiny E-GMD-shaped folder for tests and benchmarks (decaying noise bursts + MIDI).

:func:`write_tiny_egmd` writes ``e-gmd-v1.0.0.csv`` with E-GMD's exact header, 44.1 kHz
wav files and matching ``.midi`` files (Roland notes, 120 bpm) under ``drummerN/sessionM/``,
optionally plus corrupt pairs (a text file named .wav, a missing .midi, a truncated wav, a
MIDI longer than its audio). Every hit is a short decaying noise burst starting exactly at
its MIDI time, so label alignment can be checked against the audio.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drumscribe_training.data.egmd import CSV_HEADER, INDEX_CSV_NAME

__all__ = ["HIT_NOTES", "PLAIN_NOTES", "SOURCE_RATE", "TinyPair", "write_tiny_egmd"]

#: E-GMD's audio rate.
SOURCE_RATE = 44100
TICKS_PER_BEAT = 480
TEMPO_BPM = 120
#: Roland notes drawn for hits (every lane, plus an ignored clap 39 and an unknown 99).
HIT_NOTES: tuple[int, ...] = (36, 38, 42, 46, 48, 45, 43, 49, 51, 37, 44, 53)
#: Notes of the "plain" pairs: kick, snare, hi-hat only (no rare lane).
PLAIN_NOTES: tuple[int, ...] = (36, 38, 42, 46)
IGNORED_NOTE = 39
UNKNOWN_NOTE = 99


@dataclass(frozen=True)
class TinyPair:
    """One written pair: its CSV fields and its hits ``(time_s, note, velocity)``."""

    audio_filename: str
    midi_filename: str
    split: str
    hits: tuple[tuple[float, int, int], ...]
    duration: float


def _burst(rng: np.random.Generator, n: int, amp: float) -> np.ndarray:
    decay = np.exp(-np.arange(n) / (0.01 * SOURCE_RATE))
    return (rng.standard_normal(n) * decay * amp).astype(np.float32)


def _write_midi(path: Path, hits: list[tuple[float, int, int]], extra: list[int]) -> None:
    import mido

    mid = mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(TEMPO_BPM), time=0))
    ticks_per_s = TICKS_PER_BEAT * TEMPO_BPM / 60.0
    msgs: list[tuple[int, mido.Message]] = []
    for t, note, vel in hits:
        tick = round(t * ticks_per_s)
        msgs.append((tick, mido.Message("note_on", channel=9, note=note, velocity=vel)))
        msgs.append((tick + 10, mido.Message("note_off", channel=9, note=note, velocity=0)))
    for k, note in enumerate(extra):
        tick = round((0.1 + 0.05 * k) * ticks_per_s)
        msgs.append((tick, mido.Message("note_on", channel=9, note=note, velocity=80)))
        msgs.append((tick + 10, mido.Message("note_off", channel=9, note=note, velocity=0)))
    msgs.append((round(0.5 * ticks_per_s), mido.Message("control_change", channel=9, control=4, value=64)))
    msgs.sort(key=lambda m: m[0])
    last = 0
    for tick, msg in msgs:
        track.append(msg.copy(time=tick - last))
        last = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    mid.save(str(path))


def write_tiny_egmd(
    root: str | Path,
    *,
    n_train: int = 6,
    n_val: int = 2,
    n_test: int = 2,
    duration_s: float = 3.0,
    hits_per_s: float = 4.0,
    seed: int = 0,
    corrupt: bool = False,
    plain_train: int = 0,
) -> tuple[Path, tuple[TinyPair, ...]]:
    """Write a tiny E-GMD-shaped dataset.

    Parameters
    ----------
    root : path-like
        Folder to create (may exist).
    n_train, n_val, n_test : int
        Good pairs per CSV split; they are spread over drummers 1-3 and two sessions each
        (the val/test pairs in their own sessions, so grouped splits have groups to use).
    duration_s : float
        Audio length of each pair.
    hits_per_s : float
        Mean hit rate; hits sit on a 1/16 grid at 120 bpm.
    seed : int
        Random seed (the folder is a pure function of the arguments).
    corrupt : bool
        Also add four bad training rows: ``text_as_wav``, ``missing_midi``,
        ``truncated_wav`` and ``midi_longer``.
    plain_train : int
        How many of the training pairs (the first ones) use only kick, snare and hi-hat
        notes, so that they hold no rare-lane hit.

    Returns
    -------
    root : Path
    pairs : tuple of TinyPair
        The good pairs, in CSV order.
    """
    import soundfile as sf

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_samples = round(duration_s * SOURCE_RATE)
    grid = 60.0 / TEMPO_BPM / 4
    # 0.053 s + k/8 s: never half-way between two 10 ms frames, so rounding is unambiguous
    slots = np.arange(0.053, duration_s - 0.2, grid)
    rows: list[dict[str, str]] = []
    pairs: list[TinyPair] = []
    kits = ("Acoustic Kit", "Jazz Funk", "808 Simple")

    def add_row(
        split: str, k: int, drummer: int, session: str, *, kind: str = "good", plain: bool = False
    ) -> None:
        style = "funk/groove1" if k % 2 == 0 else "rock"
        beat_type = "beat" if k % 3 else "fill"
        stem = f"{k + 1}_{style.replace('/', '-')}_{TEMPO_BPM}_{beat_type}_4-4_{k % 3 + 1}"
        folder = f"drummer{drummer}/{session}"
        (root / folder).mkdir(parents=True, exist_ok=True)
        audio_rel, midi_rel = f"{folder}/{stem}.wav", f"{folder}/{stem}.midi"
        n_hits = max(1, int(rng.poisson(hits_per_s * duration_s)))
        times = np.sort(rng.choice(slots, size=min(n_hits, len(slots)), replace=False))
        notes = PLAIN_NOTES if plain else HIT_NOTES
        hits = [(float(t), int(rng.choice(notes)), int(rng.integers(20, 128))) for t in times]
        audio = np.zeros(n_samples, dtype=np.float32)
        for t, _note, vel in hits:
            start = round(t * SOURCE_RATE)
            n = min(int(0.08 * SOURCE_RATE), n_samples - start)
            audio[start : start + n] += _burst(rng, n, 0.6 * vel / 127)
        audio = np.clip(audio, -1.0, 1.0)
        extra = [IGNORED_NOTE, UNKNOWN_NOTE] if k % 2 == 0 else []
        if kind == "text_as_wav":
            (root / audio_rel).write_text("this is not audio\n", encoding="utf-8")
            _write_midi(root / midi_rel, hits, extra)
        elif kind == "missing_midi":
            sf.write(root / audio_rel, audio, SOURCE_RATE, subtype="PCM_16")
        elif kind == "truncated_wav":
            sf.write(root / audio_rel, audio, SOURCE_RATE, subtype="PCM_16")
            data = (root / audio_rel).read_bytes()
            (root / audio_rel).write_bytes(data[:30])
            _write_midi(root / midi_rel, hits, extra)
        elif kind == "midi_longer":
            short = audio[: SOURCE_RATE // 4]
            sf.write(root / audio_rel, short, SOURCE_RATE, subtype="PCM_16")
            late = [*hits, (duration_s + 2.0, 36, 100)]
            _write_midi(root / midi_rel, late, extra)
        else:
            sf.write(root / audio_rel, audio, SOURCE_RATE, subtype="PCM_16")
            _write_midi(root / midi_rel, hits, extra)
            pairs.append(TinyPair(audio_rel, midi_rel, split, tuple(hits), duration_s))
        csv_split = {"val": "validation"}.get(split, split)
        rows.append(
            {
                "drummer": f"drummer{drummer}",
                "session": f"drummer{drummer}/{session}",
                "id": f"drummer{drummer}/{session}/{stem.rsplit('_', 1)[0]}",
                "style": style,
                "bpm": str(TEMPO_BPM),
                "beat_type": beat_type,
                "time_signature": "4-4",
                "duration": f"{duration_s:.6f}",
                "split": csv_split,
                "midi_filename": midi_rel,
                "audio_filename": audio_rel,
                "kit_name": kits[k % len(kits)],
            }
        )

    k = 0
    for i in range(n_train):
        add_row("train", k, 1 + i % 3, f"session{1 + (i // 3) % 2}", plain=i < plain_train)
        k += 1
    for i in range(n_val):
        add_row("val", k, 1 + i % 3, "session3")
        k += 1
    for i in range(n_test):
        add_row("test", k, 1 + i % 3, "eval_session")
        k += 1
    if corrupt:
        for kind in ("text_as_wav", "missing_midi", "truncated_wav", "midi_longer"):
            add_row("train", k, 1, "session1", kind=kind)
            k += 1
    with open(root / INDEX_CSV_NAME, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(CSV_HEADER))
        writer.writeheader()
        writer.writerows(rows)
    return root, tuple(pairs)
