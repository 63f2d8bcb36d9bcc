"""Audio input: decode files in blocks, downmix to mono, resample with soxr.

Everything here streams: a file is read ``block_s`` seconds at a time, so memory stays
flat however long the file is. :class:`Resampler` is chunk-invariant (soxr's stream
resampler gives the same samples whatever the block sizes), which is what lets the
streaming API equal the offline call.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from drumscribe.errors import AudioError

__all__ = [
    "AUDIO_EXTENSIONS",
    "DEFAULT_BLOCK_S",
    "AudioInfo",
    "Resampler",
    "file_sha256",
    "iter_array_blocks",
    "iter_file_blocks",
    "probe_audio",
    "to_mono",
]

#: File extensions the CLI accepts as audio (anything libsndfile decodes works via the API).
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")
#: Seconds of audio decoded per block.
DEFAULT_BLOCK_S = 10.0
#: More channels than this in an array is taken for a (samples, channels) mix-up.
MAX_CHANNELS = 64
_HASH_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What a file header says.

    Attributes
    ----------
    path : str
    sample_rate : int
        Hz.
    channels : int
    frames : int
        Samples per channel.
    format : str
        libsndfile's major format name (``WAV``, ``FLAC``, ``OGG``, ``MP3``, ...).
    """

    path: str
    sample_rate: int
    channels: int
    frames: int
    format: str

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate


def probe_audio(path: str | os.PathLike[str]) -> AudioInfo:
    """Read a file's header.

    Raises
    ------
    AudioError
        If the file is missing, empty, or not audio libsndfile can decode.
    """
    p = Path(path)
    if not p.exists():
        raise AudioError(f"{p}: no such file")
    if p.is_dir():
        raise AudioError(f"{p}: is a folder, not an audio file")
    if p.stat().st_size == 0:
        raise AudioError(f"{p}: empty file (0 bytes)")
    try:
        info = sf.info(str(p))
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioError(f"{p}: not a readable audio file ({_clean(exc)})") from None
    if info.samplerate <= 0 or info.channels <= 0:
        raise AudioError(f"{p}: invalid header ({info.samplerate} Hz, {info.channels} channels)")
    return AudioInfo(
        str(p), int(info.samplerate), int(info.channels), max(0, int(info.frames)), str(info.format)
    )


def _clean(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def to_mono(block: np.ndarray) -> np.ndarray:
    """Average channels: (samples, channels) or (samples,) -> (samples,) float32."""
    if block.ndim == 1:
        return np.asarray(block, dtype=np.float32)
    return np.asarray(block.mean(axis=1, dtype=np.float64), dtype=np.float32)


def _check_finite(block: np.ndarray, where: str) -> None:
    if not np.all(np.isfinite(block)):
        raise AudioError(f"{where}: audio contains NaN or infinite samples")


class Resampler:
    """Chunk-invariant mono resampler (soxr stream, HQ), a pass-through at equal rates.

    Parameters
    ----------
    in_rate, out_rate : int
        Sample rates in Hz.
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self.in_rate = int(in_rate)
        self.out_rate = int(out_rate)
        self._stream = (
            None
            if self.in_rate == self.out_rate
            else soxr.ResampleStream(self.in_rate, self.out_rate, 1, dtype="float32", quality="HQ")
        )

    def __call__(self, block: np.ndarray, *, last: bool = False) -> np.ndarray:
        """Resample the next mono block (samples,) float32; ``last`` flushes the filter."""
        block = np.ascontiguousarray(block, dtype=np.float32)
        if self._stream is None:
            return block
        return np.asarray(self._stream.resample_chunk(block, last=last), dtype=np.float32)


def iter_file_blocks(
    path: str | os.PathLike[str], *, sample_rate: int, block_s: float = DEFAULT_BLOCK_S
) -> Iterator[np.ndarray]:
    """Decode a file block by block into mono float32 at ``sample_rate``.

    Yields
    ------
    numpy.ndarray
        Shape (samples,), float32. The last block flushes the resampler.

    Raises
    ------
    AudioError
        Naming the file, if it cannot be opened, is truncated or holds NaN/inf.
    """
    info = probe_audio(path)
    block_frames = max(1, round(block_s * info.sample_rate))
    resample = Resampler(info.sample_rate, sample_rate)
    try:
        with sf.SoundFile(str(path)) as fh:
            while True:
                data = fh.read(block_frames, dtype="float32", always_2d=True)
                last = data.shape[0] < block_frames
                _check_finite(data, str(path))
                out = resample(to_mono(data), last=last)
                if out.size:
                    yield out
                if last:
                    return
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioError(f"{path}: decoding failed, file truncated or corrupt ({_clean(exc)})") from None


def iter_array_blocks(
    audio: np.ndarray,
    *,
    sample_rate: int,
    target_rate: int,
    block_s: float = DEFAULT_BLOCK_S,
    name: str = "<array>",
) -> Iterator[np.ndarray]:
    """Blocks of an in-memory signal, mono float32 at ``target_rate``.

    Parameters
    ----------
    audio : numpy.ndarray
        Shape (samples,) or (channels, samples), any real dtype (integers are scaled to
        [-1, 1)).
    sample_rate : int
        Rate of ``audio`` in Hz.
    """
    arr = np.asarray(audio)
    if arr.ndim not in (1, 2):
        raise AudioError(f"{name}: audio must have shape (samples,) or (channels, samples), got {arr.shape}")
    if arr.ndim == 2 and arr.shape[0] > MAX_CHANNELS:
        raise AudioError(
            f"{name}: {arr.shape[0]} channels; arrays are (channels, samples) — transpose a (samples, channels) array"
        )
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise AudioError(f"{name}: audio dtype {arr.dtype} is not numeric")
    if not isinstance(sample_rate, int | np.integer) or sample_rate <= 0:
        raise AudioError(f"{name}: sample_rate must be a positive integer, got {sample_rate!r}")
    if np.issubdtype(arr.dtype, np.integer):
        scale = float(2 ** (8 * arr.dtype.itemsize - 1))
        arr = arr.astype(np.float32) / scale
    mono = (
        arr.astype(np.float32, copy=False)
        if arr.ndim == 1
        else arr.mean(axis=0, dtype=np.float64).astype(np.float32)
    )
    _check_finite(mono, name)
    resample = Resampler(int(sample_rate), target_rate)
    step = max(1, round(block_s * int(sample_rate)))
    n = mono.shape[0]
    if n == 0:
        return
    for start in range(0, n, step):
        last = start + step >= n
        out = resample(mono[start : start + step], last=last)
        if out.size:
            yield out


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_BLOCK):
            digest.update(chunk)
    return digest.hexdigest()
