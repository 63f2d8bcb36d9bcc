"""Band sources (SoundFonts, voices) per split, and cached note renders from SoundFonts.

The catalogue is data: ``sources.yaml`` beside this module. One tinysoundfont synth is
loaded per SoundFont per process, and each note is rendered once per (SoundFont, bank,
program, pitch, velocity bucket, duration bucket) and kept in a bounded cache, so a band
part is mixed in numpy from pre-rendered notes.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from drumscribe_training.synth.events import SAMPLE_RATE

__all__ = [
    "DRUM_BANK",
    "MELODIC_BANK",
    "BandSourceError",
    "NoteRenderer",
    "SoundFontSource",
    "band_data",
    "percussion_keys",
    "soundfonts_for_split",
    "voices_for_split",
]

#: GM bank of melodic presets and of drum kits (only non-kit percussion keys are played).
MELODIC_BANK = 0
DRUM_BANK = 128
_SPLITS = ("train", "validation", "test")
_FLUSH_SAMPLES = 4096
_SILENT = 1e-6
_SILENCE_STRIDE = 16  # samples apart when checking a render for silence


class BandSourceError(RuntimeError):
    """A split has no installed band source (the message names the package to install)."""


@functools.cache
def band_data() -> dict[str, Any]:
    """The parsed ``sources.yaml`` (cached)."""
    import yaml

    text = resources.files(__package__).joinpath("sources.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@dataclass(frozen=True)
class SoundFontSource:
    """One SoundFont of the band catalogue."""

    name: str
    path: str
    package: str
    family: str
    split: str

    def installed(self) -> bool:
        """Whether the file is on this machine."""
        return Path(self.path).is_file()


def _check_split(split: str) -> None:
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")


def soundfonts_for_split(split: str, *, installed_only: bool = True) -> tuple[SoundFontSource, ...]:
    """The SoundFonts a split's band parts may use.

    Raises
    ------
    BandSourceError
        If ``installed_only`` and none of the split's SoundFonts is installed.
    """
    _check_split(split)
    all_sf = tuple(SoundFontSource(**d) for d in band_data()["soundfonts"] if d["split"] == split)
    if not installed_only:
        return all_sf
    have = tuple(s for s in all_sf if s.installed())
    if not have:
        pkgs = " ".join(sorted({s.package for s in all_sf}))
        raise BandSourceError(
            f"no band SoundFont for split {split!r} installed; run scripts/setup_kits.sh "
            f"(needs Debian package {pkgs})"
        )
    return have


def voices_for_split(split: str) -> tuple[str, ...]:
    """The espeak-ng languages a split's vocals may use."""
    _check_split(split)
    return tuple(str(v) for v in band_data()["voices"][split])


def percussion_keys() -> dict[str, tuple[int, ...]]:
    """Non-kit percussion role -> GM percussion keys (bank 128) it may play."""
    return {k: tuple(int(x) for x in v) for k, v in band_data()["percussion"].items()}


@functools.cache
def _synth(path: str) -> tuple[Any, int]:
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=SAMPLE_RATE)
    sfid = synth.sfload(path)
    return synth, int(sfid)


class NoteRenderer:
    """Pre-rendered notes of SoundFont presets, cached per process.

    Parameters
    ----------
    duration_buckets_s : tuple of float
        Held lengths a note is rendered at (the next one up is used, then cut and faded).
    velocity_buckets : tuple of int
        MIDI velocities a note is rendered at (the nearest one; the rest is gain).
    tail_s : float
        Release tail rendered after the note-off, seconds.
    cache_mb : float
        Bytes of rendered notes kept (least recently used dropped first).
    """

    def __init__(
        self,
        *,
        duration_buckets_s: tuple[float, ...],
        velocity_buckets: tuple[int, ...],
        tail_s: float,
        cache_mb: float,
    ) -> None:
        self.duration_buckets_s = duration_buckets_s
        self.velocity_buckets = velocity_buckets
        self.tail_s = tail_s
        self.cache_bytes = int(cache_mb * 2**20)
        self._cache: OrderedDict[tuple[str, int, int, int, int, int], np.ndarray] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def bucket(self, duration_s: float, velocity: int) -> tuple[int, int]:
        """(duration bucket index, velocity bucket) a note is rendered at."""
        last = len(self.duration_buckets_s) - 1
        d = next((i for i, b in enumerate(self.duration_buckets_s) if b >= duration_s), last)
        v = min(self.velocity_buckets, key=lambda b: abs(b - velocity))
        return d, v

    def note(
        self, source: SoundFontSource, *, bank: int, program: int, pitch: int, duration_s: float,
        velocity: int,
    ) -> np.ndarray:  # fmt: skip
        """One note, mono float32 at 44.1 kHz: held for its bucket's length plus the tail.

        Parameters
        ----------
        source : SoundFontSource
            The SoundFont.
        bank, program : int
            The preset: bank 0 (melodic) or 128 (only for non-kit percussion keys).
        pitch : int
            MIDI note (a percussion key in bank 128).
        duration_s : float
            Wanted held length in seconds (picks the bucket).
        velocity : int
            MIDI velocity 1..127 (picks the bucket).

        Returns
        -------
        np.ndarray
            Shape (samples,), float32; the caller cuts it to ``duration_s`` and scales it.
        """
        d, v = self.bucket(duration_s, velocity)
        key = (source.path, bank, program, pitch, v, d)
        got = self._cache.get(key)
        if got is not None:
            self._cache.move_to_end(key)
            self.hits += 1
            return got
        self.misses += 1
        synth, sfid = _synth(source.path)
        drums = bank == DRUM_BANK
        chan = 9 if drums else 0
        synth.sounds_off()
        synth.generate(_FLUSH_SAMPLES)
        synth.program_select(chan, sfid, bank, program, is_drums=drums)
        synth.noteon(chan, pitch, v)
        held = int(self.duration_buckets_s[d] * SAMPLE_RATE)
        a = np.frombuffer(synth.generate(held), dtype=np.float32)
        synth.noteoff(chan, pitch)
        b = np.frombuffer(synth.generate(int(self.tail_s * SAMPLE_RATE)), dtype=np.float32)
        synth.sounds_off()
        stereo = np.concatenate([a, b])
        mono: np.ndarray = (stereo[0::2] + stereo[1::2]) * np.float32(0.5)
        if float(np.abs(mono[::_SILENCE_STRIDE]).max(initial=0.0)) < _SILENT:
            mono = np.zeros(0, dtype=np.float32)
        self._cache[key] = mono
        self._bytes += mono.nbytes
        while self._bytes > self.cache_bytes and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._bytes -= old.nbytes
        return mono


@functools.cache
def note_renderer(
    duration_buckets_s: tuple[float, ...], velocity_buckets: tuple[int, ...], tail_s: float,
    cache_mb: float,
) -> NoteRenderer:  # fmt: skip
    """The process's note renderer for these buckets (one per worker)."""
    return NoteRenderer(
        duration_buckets_s=duration_buckets_s, velocity_buckets=velocity_buckets, tail_s=tail_s,
        cache_mb=cache_mb,
    )  # fmt: skip
