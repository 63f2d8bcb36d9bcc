"""A band bank: band parts rendered ahead of time with the grooves they were played to.

On-the-fly band parts (``band_mix.on_the_fly``) need the split's SoundFonts and espeak-ng,
about 250 MB of packages a bare training machine (a lent GPU, a cluster node) does not have,
and cost about 70 ms of CPU per 4 s crop. A bank holds what those crops need in a few MB:
``drumscribe-train band-bank`` draws grooves as the on-the-fly renderer does (procedural or
Groove MIDI windows of one split), renders each one's band part from that split's sources,
and keeps the groove's events (from the pre-roll on), tempo, meter and style beside its band
audio. Training then renders the *drums* of an entry's groove through a random kit on the
fly, and its band part comes from the bank: the bass still locks to the kicks it was played
to, the kit and the mix stay new every time.

Layout of a bank folder::

    bank.json    format, split, seed, sample rate, pre-roll, band settings, and per entry
                 its events [[time_s, note, velocity], ...], quarter_s, meter, style,
                 band sources, and its span of the audio (start, length in samples)
    band.opus    every entry's band part, one after another, mono Ogg Opus at the bank's rate
    band.npy     the audio decoded once (int16), memory-mapped by every loader worker;
                 written on first use, never carried (rebuilt from band.opus)

Build and use::

    build_band_bank("band-bank", minutes=40, num_workers=2)
    bank = BandBank.open("band-bank")
    entry, offset_s = bank.draw(rng, duration_s=4.0)
    band = bank.band(entry, offset_s=offset_s, n_samples=64000, sample_rate=16000)
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from drumscribe.errors import DrumscribeError
from drumscribe_training.synth.band.settings import BAND_VERSION, BandSettings
from drumscribe_training.synth.dsp import fit_length
from drumscribe_training.synth.events import SAMPLE_RATE, NoteEvent

__all__ = [
    "BANK_AUDIO",
    "BANK_FORMAT",
    "BANK_INDEX",
    "BandBank",
    "BandBankError",
    "BankEntry",
    "build_band_bank",
]

#: Bump when a bank's files change meaning.
BANK_FORMAT = 1
BANK_INDEX = "bank.json"
BANK_AUDIO = "band.opus"
#: The decoded audio's cache (never carried: rebuilt from :data:`BANK_AUDIO`).
BANK_DECODED = "band.npy"
#: Sample rates Ogg Opus can hold.
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
#: Salt of an entry's generator (entry ``i`` of seed ``s``: ``default_rng([s, i, salt])``).
_ENTRY_SALT = 0xBA4D
_INT16 = 32767.0


class BandBankError(DrumscribeError):
    """A band bank that is missing, unreadable or of another format (the message names it)."""


@dataclass(frozen=True)
class BankEntry:
    """One groove of a bank and its band part.

    Attributes
    ----------
    events : tuple of NoteEvent
        The groove's hits from ``-preroll_s`` to ``duration_s`` (seconds from the entry's
        start; hits before 0 ring into it and are never labels).
    quarter_s : float
        Seconds per quarter note.
    time_signature, style : str
        E-GMD's meter (``"4-4"``) and the groove's style.
    sources : tuple of str
        SoundFonts and voices the band part was played with.
    start, length : int
        The band part's span of the bank's audio, samples at the bank's rate.
    """

    events: tuple[NoteEvent, ...]
    quarter_s: float
    time_signature: str
    style: str
    sources: tuple[str, ...]
    start: int
    length: int


class BandBank:
    """A built bank, opened for reading (see the module docstring).

    Parameters
    ----------
    path : path-like
        The bank folder.
    meta : dict
        ``bank.json``'s header (everything but the entries).
    entries : sequence of BankEntry
    audio : np.ndarray
        Shape (samples,), int16 at ``meta["sample_rate"]``: every entry's band part.
    """

    def __init__(
        self, path: Path, meta: dict[str, Any], entries: Sequence[BankEntry], audio: np.ndarray
    ) -> None:
        self.path = Path(path)
        self.meta = dict(meta)
        self.entries = tuple(entries)
        self.audio = audio

    @property
    def split(self) -> str:
        """The split whose grooves and band sources the bank was built from."""
        return str(self.meta["split"])

    @property
    def sample_rate(self) -> int:
        """Hz of the stored band audio."""
        return int(self.meta["sample_rate"])

    @property
    def preroll_s(self) -> float:
        """Seconds of events kept before each entry's start."""
        return float(self.meta["preroll_s"])

    @property
    def seconds(self) -> float:
        """Band audio held, seconds."""
        return sum(e.length for e in self.entries) / self.sample_rate

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def open(cls, path: str | Path) -> BandBank:
        """Read ``path/bank.json`` and map the decoded audio (decoding it once if needed).

        Raises
        ------
        BandBankError
            If the folder is not a bank of this format, or its audio does not match its index.
        """
        root = Path(path)
        index = root / BANK_INDEX
        try:
            doc = json.loads(index.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BandBankError(f"{root}: not a band bank (no {BANK_INDEX}; build one with "
                                "drumscribe-train band-bank)") from None  # fmt: skip
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BandBankError(f"{index}: unreadable ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != BANK_FORMAT:
            got = doc.get("format") if isinstance(doc, dict) else None
            raise BandBankError(f"{index}: band bank format {got!r}, this version reads {BANK_FORMAT}")
        try:
            entries = [_entry_from_json(e) for e in doc["entries"]]
            meta = {k: v for k, v in doc.items() if k != "entries"}
            total = int(meta["samples"])
            meta.update(sample_rate=int(meta["sample_rate"]), split=str(meta["split"]),
                        preroll_s=float(meta["preroll_s"]))  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise BandBankError(f"{index}: malformed ({type(exc).__name__}: {exc})") from None
        if sum(e.length for e in entries) != total or any(e.start + e.length > total for e in entries):
            raise BandBankError(f"{index}: entries do not tile its {total} samples")
        audio = _decoded_audio(root, total)
        return cls(root, meta, entries, audio)

    def draw(self, rng: np.random.Generator, *, duration_s: float) -> tuple[int, float]:
        """A random entry and an offset in it with ``duration_s`` of band part after it.

        Returns
        -------
        entry : int
            Index into :attr:`entries`.
        offset_s : float
            Seconds from the entry's start (0 when the entry is shorter than ``duration_s``:
            its band part is then zero-padded at the end).
        """
        i = int(rng.integers(len(self.entries)))
        room = self.entries[i].length / self.sample_rate - duration_s
        return i, float(rng.uniform(0.0, room)) if room > 0 else 0.0

    def events(self, entry: int, *, offset_s: float, duration_s: float) -> list[NoteEvent]:
        """Entry ``entry``'s events from ``offset_s - preroll_s`` to ``offset_s + duration_s``,
        times from ``offset_s``."""
        lo, hi = offset_s - self.preroll_s, offset_s + duration_s
        return [
            NoteEvent(e.time_s - offset_s, e.note, e.velocity)
            for e in self.entries[entry].events
            if lo <= e.time_s < hi
        ]

    def band(self, entry: int, *, offset_s: float, n_samples: int, sample_rate: int) -> np.ndarray:
        """``n_samples`` of entry ``entry``'s band part from ``offset_s``, at ``sample_rate``.

        Returns
        -------
        np.ndarray
            Shape (n_samples,), float32 (zero-padded past the entry's end; resampled with
            soxr when ``sample_rate`` is not the bank's).
        """
        e = self.entries[entry]
        a = e.start + min(round(offset_s * self.sample_rate), e.length)
        want = math.ceil(n_samples * self.sample_rate / sample_rate)
        x = self.audio[a : min(a + want, e.start + e.length)].astype(np.float32) / np.float32(_INT16)
        if sample_rate != self.sample_rate:
            import soxr

            x = soxr.resample(x, self.sample_rate, sample_rate, quality="HQ").astype(np.float32)
        return np.asarray(fit_length(x, n_samples), dtype=np.float32)


def _entry_to_json(e: BankEntry) -> dict[str, Any]:
    return {
        "events": [[round(v.time_s, 5), v.note, v.velocity] for v in e.events],
        "quarter_s": e.quarter_s,
        "time_signature": e.time_signature,
        "style": e.style,
        "sources": list(e.sources),
        "start": e.start,
        "length": e.length,
    }


def _entry_from_json(d: dict[str, Any]) -> BankEntry:
    return BankEntry(
        events=tuple(NoteEvent(float(t), int(n), int(v)) for t, n, v in d["events"]),
        quarter_s=float(d["quarter_s"]),
        time_signature=str(d["time_signature"]),
        style=str(d["style"]),
        sources=tuple(str(s) for s in d["sources"]),
        start=int(d["start"]),
        length=int(d["length"]),
    )


def _decoded_audio(root: Path, total: int) -> np.ndarray:
    """The bank's audio as int16, memory-mapped from ``band.npy`` (decoded and cached on first
    use; kept in memory when the folder is read-only)."""
    import soundfile as sf

    cache, src = root / BANK_DECODED, root / BANK_AUDIO
    if cache.is_file() and src.is_file() and cache.stat().st_mtime >= src.stat().st_mtime:
        try:
            mapped: np.ndarray = np.load(cache, mmap_mode="r")
            if mapped.dtype == np.int16 and mapped.shape == (total,):
                return mapped
        except (OSError, ValueError):
            pass  # a broken cache: decode again
    try:
        x, _ = sf.read(src, dtype="int16", always_2d=False)
    except (OSError, RuntimeError) as exc:  # soundfile raises LibsndfileError (a RuntimeError)
        raise BandBankError(f"{src}: unreadable band audio ({exc})") from None
    if x.shape != (total,):
        raise BandBankError(f"{src}: {x.shape[0]} samples, {BANK_INDEX} says {total}")
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp.npy")
    try:
        np.save(tmp, x)
        tmp.replace(cache)
    except OSError:
        tmp.unlink(missing_ok=True)
        return np.asarray(x)
    decoded: np.ndarray = np.load(cache, mmap_mode="r")
    return decoded


# -- building -------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _worker_init(split: str, settings: BandSettings, seed: int, sample_rate: int, entry_s: float) -> None:
    from drumscribe_training.synth.render import ClipRenderer

    _WORKER.update(
        renderer=ClipRenderer(split=split, sample_rate=sample_rate, kits=("tiny",), split_kits=False),
        split=split, settings=settings, seed=seed, sample_rate=sample_rate, entry_s=entry_s,
    )  # fmt: skip


def _render_entry(i: int) -> tuple[dict[str, Any], np.ndarray]:
    """Entry ``i``: its groove (the on-the-fly renderer's draw) and band part at the bank's rate."""
    from drumscribe_training.synth.band.render import render_band_part
    from drumscribe_training.synth.render import resample_from_synth

    w = _WORKER
    preroll_s = w["renderer"].PREROLL_S
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
        import shutil

        shutil.rmtree(part)
    part.mkdir(parents=True)
    t0 = time.perf_counter()
    entries: list[BankEntry] = []
    start = 0
    init = (split, settings, int(seed), int(sample_rate), float(entry_s))
    with sf.SoundFile(part / BANK_AUDIO, "w", samplerate=sample_rate, channels=1, format="OGG",
                      subtype="OPUS", compression_level=quality) as f:  # fmt: skip
        rows = _entries(count, max(1, int(num_workers)), init)
        for head, audio in tqdm(rows, total=count, desc="band bank", unit="part", disable=not progress):
            f.write(audio)
            entries.append(BankEntry(start=start, length=int(audio.shape[0]), **head))
            start += int(audio.shape[0])
    doc = {
        "format": BANK_FORMAT,
        "band_version": BAND_VERSION,
        "split": split,
        "seed": int(seed),
        "sample_rate": int(sample_rate),
        "entry_s": float(entry_s),
        "preroll_s": _preroll_s(),
        "quality": float(quality),
        "samples": start,
        "settings": settings.as_json(),
        "entries": [_entry_to_json(e) for e in entries],
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


def _preroll_s() -> float:
    from drumscribe_training.synth.render import ClipRenderer

    return float(ClipRenderer.PREROLL_S)
