"""In-memory drum kits: voices with velocity layers and round-robin one-shots.

A kit is stored once per machine as a *bank*: one int16 ``.npy`` buffer holding every
one-shot back to back (memory-mapped, so loader workers share it through the page cache)
and a JSON index naming the voices, their velocity layers and which Roland notes play
which voice. Every one-shot in a bank starts at its onset: leading silence (and, for
SoundFonts, the synthesiser's start latency) is trimmed at -40 dB below the one-shot's
peak, leaving :data:`PREROLL` samples of fade-in, so a hit placed at sample ``n`` is
heard from sample ``n`` on and the MIDI labels are exact.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from drumscribe.contract import EGMD_SAMPLE_RATE as SAMPLE_RATE

__all__ = [
    "BANK_FORMAT",
    "PREROLL",
    "Kit",
    "Layer",
    "RawLayer",
    "RawVoice",
    "Voice",
    "load_bank",
    "onset_index",
    "pack_kit",
    "pitch_shift",
    "save_bank",
    "trim_one_shot",
]

#: Bump when the bank layout or the trimming changes: old caches are rebuilt.
BANK_FORMAT = 3
#: Samples kept before the -40 dB point (faded in): 8 samples = 0.18 ms at 44.1 kHz.
PREROLL = 8
ONSET_DB = -40.0
TAIL_DB = -70.0


def onset_index(x: np.ndarray, db: float = ONSET_DB) -> int:
    """Index of the first sample whose magnitude reaches ``db`` below the peak of ``x``."""
    mag = np.abs(x)
    peak = float(mag.max()) if mag.size else 0.0
    if peak <= 0.0:
        return 0
    return int(np.argmax(mag >= peak * 10.0 ** (db / 20.0)))


def trim_one_shot(x: np.ndarray, *, max_s: float, sr: int = SAMPLE_RATE) -> tuple[np.ndarray, int]:
    """Trim leading silence and the inaudible tail of a one-shot.

    Returns the trimmed float32 one-shot and the number of samples cut from its start
    (the start latency that was removed).
    """
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0 or not np.any(x):
        raise ValueError("silent one-shot")
    on = onset_index(x)
    start = max(0, on - PREROLL)
    y = x[start:].copy()
    pre = on - start
    if pre > 0:
        y[:pre] *= np.linspace(0.0, 1.0, pre + 1, dtype=np.float32)[:-1]
    mag = np.abs(y)
    peak = float(mag.max())
    loud = np.nonzero(mag >= peak * 10.0 ** (TAIL_DB / 20.0))[0]
    end = int(loud[-1]) + 1 if loud.size else y.size
    end = min(end, int(max_s * sr))
    y = y[:end]
    fade = min(y.size // 4, int(0.03 * sr))
    if fade > 1:
        y[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return y, start


def pitch_shift(x: np.ndarray, semitones: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Shift pitch *and* length like a sampler does (resampling): up is shorter."""
    import soxr

    ratio = 2.0 ** (semitones / 12.0)
    y: np.ndarray = soxr.resample(np.asarray(x, dtype=np.float32), sr * ratio, sr).astype(np.float32)
    return y


@dataclass
class RawLayer:
    """A velocity layer before packing: velocity range as fractions 0..1, one-shots."""

    lo: float
    hi: float
    shots: list[np.ndarray]


@dataclass
class RawVoice:
    name: str
    layers: list[RawLayer]
    ids: set[str] = field(default_factory=set)
    relative_velocity: bool = False
    max_s: float = 2.5


@dataclass(frozen=True)
class Layer:
    lo: float
    hi: float
    shots: tuple[tuple[int, int], ...]  # (offset, length) into the bank buffer, round robin


@dataclass(frozen=True)
class Voice:
    name: str
    layers: tuple[Layer, ...]
    ids: tuple[str, ...]
    relative_velocity: bool

    def pick_layer(self, velocity: int) -> Layer:
        """The layer whose range holds ``velocity`` (or the nearest one)."""
        x = velocity / 127.0
        best = self.layers[0]
        best_d = float("inf")
        for layer in self.layers:
            d = 0.0 if layer.lo <= x <= layer.hi else min(abs(x - layer.lo), abs(x - layer.hi))
            if d < best_d:
                best, best_d = layer, d
        return best

    def candidates(self, velocity: int) -> list[Layer]:
        """All layers whose range holds ``velocity`` (round robin between overlapping layers)."""
        x = velocity / 127.0
        hits = [layer for layer in self.layers if layer.lo <= x <= layer.hi]
        return hits or [self.pick_layer(velocity)]


@dataclass(frozen=True)
class Kit:
    """A loaded kit: a one-shot buffer plus voices and the note -> voices map.

    ``notes[n]`` lists alternative voices for Roland note ``n`` (a clip picks one).
    """

    name: str
    audio: np.ndarray  # int16, 1-D, full scale = peak of each voice's loudest layer
    voices: tuple[Voice, ...]
    notes: dict[int, tuple[int, ...]]
    info: dict[str, object] = field(default_factory=dict, compare=False)

    def shot(self, ref: tuple[int, int]) -> np.ndarray:
        off, n = ref
        return self.audio[off : off + n]

    def voices_for(self, note: int) -> tuple[Voice, ...]:
        return tuple(self.voices[i] for i in self.notes.get(note, ()))

    def sample_ids(self) -> set[str]:
        return {i for v in self.voices for i in v.ids}


def pack_kit(
    name: str,
    voices: Sequence[RawVoice],
    notes: Mapping[int, Sequence[int]],
    info: Mapping[str, object] | None = None,
) -> Kit:
    """Trim, normalise (per voice: loudest one-shot peak = full scale) and pack voices."""
    chunks: list[np.ndarray] = []
    offset = 0
    packed: list[Voice] = []
    latencies: dict[str, float] = {}
    for rv in voices:
        trimmed: list[list[np.ndarray]] = []
        peak = 0.0
        for layer in rv.layers:
            shots = []
            for s in layer.shots:
                y, cut = trim_one_shot(s, max_s=rv.max_s)
                latencies[rv.name] = max(latencies.get(rv.name, 0.0), 1000.0 * cut / SAMPLE_RATE)
                shots.append(y)
                peak = max(peak, float(np.abs(y).max()))
            trimmed.append(shots)
        scale = 32767.0 / peak if peak > 0 else 1.0
        layers = []
        for layer, shots in zip(rv.layers, trimmed, strict=True):
            refs = []
            for y in shots:
                q = np.clip(np.round(y * scale), -32767, 32767).astype(np.int16)
                chunks.append(q)
                refs.append((offset, int(q.size)))
                offset += int(q.size)
            layers.append(Layer(float(layer.lo), float(layer.hi), tuple(refs)))
        layers.sort(key=lambda la: (la.lo, la.hi))
        packed.append(Voice(rv.name, tuple(layers), tuple(sorted(rv.ids)), rv.relative_velocity))
    audio = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    meta = dict(info or {})
    meta["start_latency_ms"] = latencies
    return Kit(name, audio, tuple(packed), {int(k): tuple(v) for k, v in notes.items()}, meta)


def _atomic_write_bytes(path: Path, write: Callable[[BinaryIO], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_bank(kit: Kit, stem: Path, signature: str) -> None:
    """Write ``stem.npy`` and ``stem.json`` atomically (the JSON last: it marks completion)."""
    _atomic_write_bytes(stem.with_suffix(".npy"), lambda fh: np.save(fh, kit.audio))
    index = {
        "format": BANK_FORMAT,
        "signature": signature,
        "name": kit.name,
        "info": kit.info,
        "notes": {str(k): list(v) for k, v in sorted(kit.notes.items())},
        "voices": [
            {
                "name": v.name,
                "ids": list(v.ids),
                "relative_velocity": v.relative_velocity,
                "layers": [
                    {"lo": la.lo, "hi": la.hi, "shots": [list(s) for s in la.shots]} for la in v.layers
                ],
            }
            for v in kit.voices
        ],
    }
    data = json.dumps(index, indent=1, sort_keys=True).encode()
    _atomic_write_bytes(stem.with_suffix(".json"), lambda fh: fh.write(data))


def load_bank(stem: Path, signature: str | None) -> Kit | None:
    """Load a bank written by :func:`save_bank`; None if absent, stale or unreadable.

    ``signature`` None accepts the bank whatever source it was built from (a bank copied
    to a machine that lacks the kit's package)."""
    jpath, npath = stem.with_suffix(".json"), stem.with_suffix(".npy")
    try:
        index = json.loads(jpath.read_text())
    except (OSError, ValueError):
        return None
    if index.get("format") != BANK_FORMAT or signature not in (None, index.get("signature")):
        return None
    try:
        audio = np.load(npath, mmap_mode="r")
    except (OSError, ValueError):
        return None
    voices = tuple(
        Voice(
            v["name"],
            tuple(
                Layer(la["lo"], la["hi"], tuple((int(a), int(b)) for a, b in la["shots"]))
                for la in v["layers"]
            ),
            tuple(v["ids"]),
            bool(v["relative_velocity"]),
        )
        for v in index["voices"]
    )
    notes = {int(k): tuple(v) for k, v in index["notes"].items()}
    return Kit(index["name"], audio, voices, notes, index.get("info", {}))
