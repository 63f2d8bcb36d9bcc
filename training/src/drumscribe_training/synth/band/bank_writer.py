"""Writing a band bank (:mod:`~drumscribe_training.synth.band.bank`): grooves drawn as the
on-the-fly renderer draws them, each with its band part from the split's sources.

    build_band_bank("band-bank", minutes=30, num_workers=2)   # drumscribe-train band-bank
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from drumscribe_training.synth.band.bank import (
    BANK_AUDIO,
    BANK_FORMAT,
    BANK_INDEX,
    OPUS_RATES,
    BankEntry,
    entry_to_json,
)
from drumscribe_training.synth.band.settings import BAND_VERSION, BandSettings
from drumscribe_training.synth.events import SAMPLE_RATE
from drumscribe_training.synth.render import ClipRenderer, resample_from_synth

__all__ = ["build_band_bank"]

#: Salt of an entry's generator (entry ``i`` of seed ``s``: ``default_rng([s, i, salt])``).
_ENTRY_SALT = 0xBA4D

_WORKER: dict[str, Any] = {}


def _worker_init(split: str, settings: BandSettings, seed: int, sample_rate: int, entry_s: float) -> None:
    _WORKER.update(
        renderer=ClipRenderer(split=split, sample_rate=sample_rate, kits=("tiny",), split_kits=False),
        split=split, settings=settings, seed=seed, sample_rate=sample_rate, entry_s=entry_s,
    )  # fmt: skip


def _render_entry(i: int) -> tuple[dict[str, Any], np.ndarray]:
    """Entry ``i``: its groove (the on-the-fly renderer's draw) and band part at the bank's rate."""
    from drumscribe_training.synth.band.render import render_band_part

    w = _WORKER
    preroll_s = ClipRenderer.PREROLL_S
    rng = np.random.default_rng([w["seed"], i, _ENTRY_SALT])
    groove = w["renderer"].draw_groove(w["entry_s"], rng)
    n44 = round(w["entry_s"] * SAMPLE_RATE)
    part = render_band_part(
        drum_events=[e for e in groove.events if 0.0 <= e.time_s < w["entry_s"]],
        quarter_s=groove.quarter_s, time_signature=groove.time_signature, drum_style=groove.style,
        n_samples=n44, split=w["split"], rng=rng, settings=w["settings"],
    )  # fmt: skip
    audio = resample_from_synth(part.audio, w["sample_rate"], round(w["entry_s"] * w["sample_rate"]))
    head = {
        "events": tuple(sorted(e for e in groove.events if -preroll_s <= e.time_s < w["entry_s"])),
        "quarter_s": float(groove.quarter_s),
        "time_signature": groove.time_signature,
        "style": groove.style,
        "sources": part.sources,
    }
    return head, audio


def _entries(
    count: int, num_workers: int, init_args: tuple[Any, ...]
) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
    if num_workers <= 1:
        _worker_init(*init_args)
        yield from map(_render_entry, range(count))
        return
    with mp.get_context("spawn").Pool(num_workers, initializer=_worker_init, initargs=init_args) as pool:
        yield from pool.imap(_render_entry, range(count), chunksize=4)


def build_band_bank(
    out: str | Path,
    *,
    minutes: float,
    entry_s: float = 10.0,
    split: str = "train",
    seed: int = 0,
    sample_rate: int = 16000,
    quality: float = 0.9,
    settings: BandSettings | None = None,
    num_workers: int = 1,
    progress: bool = True,
) -> dict[str, Any]:
    """Render a band bank into the new folder ``out``.

    Parameters
    ----------
    out : path-like
        A folder that does not exist yet (written whole or not at all).
    minutes : float
        Band audio to hold; entries of ``entry_s`` (the last whole one past it is kept).
    entry_s : float
        Seconds per entry: the longest crop it serves (a training crop's length times the
        largest time stretch).
    split : {"train", "validation", "test"}
        Grooves and band sources of this split only (training reads train banks only).
    seed : int
        Same seed and settings, same bank (whatever ``num_workers``).
    sample_rate : int
        Hz of the stored audio, one Ogg Opus can hold (:data:`OPUS_RATES`); the model's rate.
    quality : float
        soundfile's Opus ``compression_level``, 0 (largest) .. 1 (smallest); 0.9 is about
        32 kbit/s mono.
    settings : BandSettings, optional
        The band renderer's ranges (default :class:`BandSettings`).
    num_workers : int
        Rendering processes.
    progress : bool
        Show a progress bar (tqdm).

    Returns
    -------
    dict
        ``entries``, ``minutes``, ``bytes`` of ``band.opus``, ``kbit_s``, ``seconds`` spent.

    Raises
    ------
    ValueError
        On a bad argument.
    FileExistsError
        If ``out`` exists.
    BandSourceError
        If ``split`` has no installed SoundFont.
    """
    import time

    import soundfile as sf
    from tqdm import tqdm

    from drumscribe_training.synth.band.instruments import soundfonts_for_split

    if minutes <= 0 or entry_s <= 0:
        raise ValueError("minutes and entry_s must be positive")
    if sample_rate not in OPUS_RATES:
        raise ValueError(f"sample_rate must be one Ogg Opus holds {OPUS_RATES}, got {sample_rate}")
    if not 0.0 <= quality <= 1.0:
        raise ValueError(f"quality must be within 0..1, got {quality}")
    root = Path(out)
    if root.exists():
        raise FileExistsError(f"{root}: exists; a band bank is written into a new folder")
    soundfonts_for_split(split)  # no SoundFont of the split: fail before any worker starts
    settings = settings or BandSettings()
    count = max(1, math.ceil(minutes * 60.0 / entry_s))
    part = root.with_name(root.name + ".part")
    if part.exists():
        shutil.rmtree(part)
    part.mkdir(parents=True)
    t0 = time.perf_counter()
    entries: list[BankEntry] = []
    start = 0
    init = (split, settings, int(seed), int(sample_rate), float(entry_s))
    try:
        with sf.SoundFile(part / BANK_AUDIO, "w", samplerate=sample_rate, channels=1, format="OGG",
                          subtype="OPUS", compression_level=quality) as f:  # fmt: skip
            rows = _entries(count, max(1, int(num_workers)), init)
            for head, audio in tqdm(rows, total=count, desc="band bank", unit="part", disable=not progress):
                f.write(audio)
                entries.append(BankEntry(start=start, length=int(audio.shape[0]), **head))
                start += int(audio.shape[0])
    except BaseException:  # an error or Ctrl-C: no half-written bank left behind
        shutil.rmtree(part, ignore_errors=True)
        raise
    doc = {
        "format": BANK_FORMAT,
        "band_version": BAND_VERSION,
        "split": split,
        "seed": int(seed),
        "sample_rate": int(sample_rate),
        "entry_s": float(entry_s),
        "preroll_s": float(ClipRenderer.PREROLL_S),
        "quality": float(quality),
        "samples": start,
        "settings": settings.as_json(),
        "entries": [entry_to_json(e) for e in entries],
    }
    (part / BANK_INDEX).write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    part.rename(root)
    size = (root / BANK_AUDIO).stat().st_size
    return {
        "entries": len(entries),
        "minutes": round(start / sample_rate / 60.0, 2),
        "bytes": size,
        "kbit_s": round(size * 8 / 1000 / max(start / sample_rate, 1e-9), 1),
        "seconds": round(time.perf_counter() - t0, 1),
    }
