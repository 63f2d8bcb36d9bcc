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

Built by :func:`~drumscribe_training.synth.band.bank_writer.build_band_bank`; read with::

    bank = BandBank.open("band-bank")
    entry, offset_s = bank.draw(rng, duration_s=4.0)
    band = bank.band(entry, offset_s=offset_s, n_samples=64000, sample_rate=16000)
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from drumscribe._io import atomic_write
from drumscribe.errors import DrumscribeError
from drumscribe_training.synth.dsp import fit_length
from drumscribe_training.synth.events import NoteEvent

__all__ = [
    "BANK_AUDIO",
    "BANK_FORMAT",
    "BANK_INDEX",
    "OPUS_RATES",
    "BandBank",
    "BandBankError",
    "BankEntry",
    "entry_to_json",
]

#: Bump when a bank's files change meaning.
BANK_FORMAT = 1
BANK_INDEX = "bank.json"
BANK_AUDIO = "band.opus"
#: The decoded audio's cache (never carried: rebuilt from :data:`BANK_AUDIO`).
BANK_DECODED = "band.npy"
#: Sample rates Ogg Opus can hold.
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
#: Full scale of the decoded int16 audio.
INT16_SCALE = 32767.0


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
        if not entries:
            raise BandBankError(f"{index}: a band bank with no entries")
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
        x = self.audio[a : min(a + want, e.start + e.length)].astype(np.float32) / np.float32(INT16_SCALE)
        if sample_rate != self.sample_rate:
            import soxr

            x = soxr.resample(x, self.sample_rate, sample_rate, quality="HQ").astype(np.float32)
        return np.asarray(fit_length(x, n_samples), dtype=np.float32)


def entry_to_json(e: BankEntry) -> dict[str, Any]:
    """An entry as ``bank.json`` holds it (times to 10 us)."""
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
    try:
        with atomic_write(cache, "wb") as fh:
            np.save(fh, x)
    except (OSError, DrumscribeError):  # a read-only folder: keep the decoded audio in memory
        return np.asarray(x)
    decoded: np.ndarray = np.load(cache, mmap_mode="r")
    return decoded
