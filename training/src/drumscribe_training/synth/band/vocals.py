"""Sung and spoken vocal lines from espeak-ng (a speech synthesizer packaged for Debian).

Sung lines: each syllable is rendered once per (voice, syllable, speed) and cached per
process, its pitch measured, then resampled to the melody note's pitch (varispeed) and
cut to the note. Spoken lines (rap): a few phrases per clip, rendered whole at a speed
that fits two bars, placed on bar lines and repeated like a chorus. Pseudo-lyrics are
drawn from syllables rich in sibilants and plosives (``sources.yaml``).
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
from collections.abc import Sequence

import numpy as np

from drumscribe_training.synth.band.harmony import Grid
from drumscribe_training.synth.band.instruments import band_data
from drumscribe_training.synth.band.parts import Note
from drumscribe_training.synth.band.settings import BandSettings
from drumscribe_training.synth.events import SAMPLE_RATE

__all__ = ["ESPEAK", "espeak_available", "render_vocals", "syllables", "voice_name"]

ESPEAK = "espeak-ng"
_F0_RANGE_HZ = (70.0, 450.0)
_F0_WINDOW = 2048
_TRIM_DB = -40.0
_A4_HZ = 440.0
_A4_MIDI = 69
_PHRASE_BARS = 2
_SYLLABLES_PER_PHRASE = (4, 9)
_FADE_S = 0.03


def espeak_available() -> bool:
    """Whether the espeak-ng program is on PATH."""
    return shutil.which(ESPEAK) is not None


def syllables() -> tuple[str, ...]:
    """The pseudo-lyric syllables."""
    return tuple(str(s) for s in band_data()["syllables"])


def voice_name(rng: np.random.Generator, languages: Sequence[str]) -> tuple[str, bool]:
    """(espeak-ng voice ``lang+variant``, female) drawn from ``languages``."""
    variants = band_data()["voice_variants"]
    female = bool(rng.random() < 0.5)
    pool = variants["female" if female else "male"]
    lang = str(languages[int(rng.integers(len(languages)))])
    return f"{lang}+{pool[int(rng.integers(len(pool)))]}", female


def _espeak(voice: str, text: str, speed: int) -> np.ndarray:
    """Speech as mono float32 at 44.1 kHz, leading and trailing silence trimmed."""
    import soundfile as sf
    import soxr

    out = subprocess.run(
        [ESPEAK, "-v", voice, "-s", str(speed), "-z", "--stdout", text],
        capture_output=True, check=True, timeout=30,
    )  # fmt: skip
    x, sr = sf.read(io.BytesIO(out.stdout), dtype="float32")
    if x.ndim > 1:
        x = x.mean(axis=1)
    if sr != SAMPLE_RATE:
        x = soxr.resample(x, sr, SAMPLE_RATE).astype(np.float32)
    peak = float(np.abs(x).max(initial=0.0))
    if peak <= 0.0:
        return np.zeros(0, dtype=np.float32)
    loud = np.flatnonzero(np.abs(x) > peak * 10 ** (_TRIM_DB / 20))
    return np.ascontiguousarray(x[loud[0] : loud[-1] + 1] / peak, dtype=np.float32)


def _f0(x: np.ndarray) -> float:
    """Pitch (Hz) of the loudest window by autocorrelation; 0 when none is found."""
    if x.size < _F0_WINDOW:
        return 0.0
    hop = _F0_WINDOW // 2
    frames = [x[i : i + _F0_WINDOW] for i in range(0, x.size - _F0_WINDOW + 1, hop)]
    w = frames[int(np.argmax([float(np.sum(f**2)) for f in frames]))].astype(np.float64)
    w = w - w.mean()
    spec = np.fft.rfft(w, 2 * _F0_WINDOW)
    ac = np.fft.irfft(np.abs(spec) ** 2)[:_F0_WINDOW]
    lo = int(SAMPLE_RATE / _F0_RANGE_HZ[1])
    hi = int(SAMPLE_RATE / _F0_RANGE_HZ[0])
    lag = lo + int(np.argmax(ac[lo:hi]))
    return SAMPLE_RATE / lag if ac[lag] > 0 else 0.0


@functools.lru_cache(maxsize=4096)
def _syllable(voice: str, syl: str, speed: int) -> tuple[np.ndarray, float]:
    x = _espeak(voice, syl, speed)
    return x, _f0(x)


def _hz(midi: int) -> float:
    return float(_A4_HZ * 2.0 ** ((midi - _A4_MIDI) / 12.0))


def _place(out: np.ndarray, x: np.ndarray, start: int, gain: float) -> None:
    if start >= out.size or x.size == 0:
        return
    n = min(x.size, out.size - start)
    out[start : start + n] += x[:n] * np.float32(gain)


def _fit(x: np.ndarray, length_s: float) -> np.ndarray:
    n = int(length_s * SAMPLE_RATE)
    if x.size <= n:
        return x
    y = x[:n].copy()
    f = min(n, int(_FADE_S * SAMPLE_RATE))
    y[n - f :] *= np.linspace(1.0, 0.0, f, dtype=np.float32)
    return y


def _lyric(rng: np.random.Generator) -> list[str]:
    syl = syllables()
    return [syl[int(rng.integers(len(syl)))] for _ in range(int(rng.integers(*_SYLLABLES_PER_PHRASE)))]


def render_vocals(
    rng: np.random.Generator, *, voice: str, melody: Sequence[Note], grid: Grid, n_samples: int,
    settings: BandSettings,
) -> tuple[np.ndarray, str, list[float]]:  # fmt: skip
    """A vocal stem.

    Parameters
    ----------
    voice : str
        espeak-ng voice, ``lang+variant``.
    melody : sequence of Note
        The sung line (used when the part is sung).
    grid : Grid
        The clip's grid (spoken phrases start on bar lines).
    n_samples : int
        Length of the stem in samples at 44.1 kHz.

    Returns
    -------
    audio : np.ndarray
        Shape (n_samples,), float32, dry.
    mode : str
        ``"sung"`` or ``"spoken"``.
    onsets_s : list of float
        Onsets of the syllables (sung) or phrases (spoken), seconds.
    """
    s = settings
    out = np.zeros(n_samples, dtype=np.float32)
    onsets: list[float] = []
    lyrics = [_lyric(rng) for _ in range(s.vocal_phrases)]
    if rng.random() < s.vocals_spoken:
        speed = int(rng.integers(s.vocal_speed_wpm[0], s.vocal_speed_wpm[1] + 1))
        phrases = [_espeak(voice, " ".join(_words(rng, ly)), speed) for ly in lyrics]
        for k, bar in enumerate(range(0, grid.n_bars, _PHRASE_BARS)):
            if rng.random() < s.lead_rest:
                continue
            t = grid.time(bar, 0.0)
            if t < 0:
                continue
            x = _fit(phrases[k % len(phrases)], grid.bar_s * _PHRASE_BARS)
            _place(out, x, round(t * SAMPLE_RATE), float(rng.uniform(0.7, 1.0)))
            onsets.append(t)
        return out, "spoken", onsets
    speed = int(s.sung_speed_wpm[int(rng.integers(len(s.sung_speed_wpm)))])
    flat = [sy for ly in lyrics for sy in ly]
    for i, n in enumerate(melody):
        x, f0 = _syllable(voice, flat[i % len(flat)], speed)
        if x.size == 0:
            continue
        ratio = _hz(n.pitch) / f0 if f0 > 0 else 1.0
        pos = np.arange(0.0, x.size - 1, ratio, dtype=np.float64)
        y = np.interp(pos, np.arange(x.size), x).astype(np.float32)
        y = _fit(y, n.duration_s + s.release_fade_s)
        _place(out, y, round(n.time_s * SAMPLE_RATE), n.velocity / 127.0)
        onsets.append(n.time_s)
    return out, "sung", onsets


def _words(rng: np.random.Generator, syl: list[str]) -> list[str]:
    words: list[str] = []
    i = 0
    while i < len(syl):
        k = int(rng.integers(1, 4))
        words.append("".join(syl[i : i + k]))
        i += k
    return words
