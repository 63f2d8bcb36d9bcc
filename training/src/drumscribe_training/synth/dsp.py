"""Small DSP building blocks for drum one-shots synthesised in code.

Used by the ``tiny`` kit (:mod:`drumscribe_training.synth.tinykit`) and the procedurally
synthesised kits (:mod:`drumscribe_training.synth.synthkits`). Everything works at
:data:`~drumscribe_training.synth.events.SAMPLE_RATE` (44.1 kHz), on mono float arrays
whose sample 0 is the onset, and is vectorised with numpy (scipy for filters).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from drumscribe.contract import EGMD_SAMPLE_RATE as SAMPLE_RATE

__all__ = [
    "bitcrush",
    "exp_env",
    "filt",
    "glide_phase",
    "hold_resample",
    "mix",
    "noise",
    "osc_bank",
    "partials",
    "soften",
    "sweep",
    "time_axis",
]

_SR = SAMPLE_RATE
_TWO_PI = 2.0 * np.pi


def fit_length(x: np.ndarray, n: int) -> np.ndarray:
    """``x`` (samples,) cut to ``n`` samples, or zero-padded at the end to ``n``."""
    if x.shape[0] >= n:
        return x[:n]
    return np.pad(x, (0, n - x.shape[0]))


def time_axis(seconds: float) -> np.ndarray:
    """Sample times in seconds, float64, shape ``(int(seconds * 44100),)``."""
    return np.arange(int(seconds * _SR), dtype=np.float64) / _SR


def exp_env(t: np.ndarray, decay: float) -> np.ndarray:
    """Exponential decay ``exp(-t / decay)`` (``decay`` in seconds, the 1/e time)."""
    return np.exp(-t / decay)


def sweep(f0: float, f1: float, seconds: float, decay: float, sweep_tau: float) -> np.ndarray:
    """A sine whose frequency glides exponentially from ``f0`` to ``f1`` Hz, decaying.

    ``sweep_tau`` is the glide's time constant and ``decay`` the amplitude's, in seconds.
    Returns float64, shape ``(int(seconds * 44100),)``.
    """
    t = time_axis(seconds)
    f = f1 + (f0 - f1) * np.exp(-t / sweep_tau)
    phase = 2 * np.pi * np.cumsum(f) / _SR
    out: np.ndarray = np.sin(phase) * exp_env(t, decay)
    return out


def noise(rng: np.random.Generator, seconds: float, decay: float, hp: float = 0.0) -> np.ndarray:
    """Decaying white noise; ``hp`` first differences make it brighter (crude high-pass)."""
    t = time_axis(seconds)
    n = rng.standard_normal(t.size)
    if hp > 0:  # crude high-pass: first difference, repeated
        for _ in range(int(hp)):
            n = np.diff(n, prepend=0.0)
        n /= np.abs(n).max() + 1e-12
    out: np.ndarray = n * exp_env(t, decay)
    return out


def partials(rng: np.random.Generator, freqs: list[float], seconds: float, decay: float) -> np.ndarray:
    """Sum of sines at ``freqs`` (slightly detuned, random phases), one decay, mean-scaled."""
    t = time_axis(seconds)
    out = np.zeros_like(t)
    for f in freqs:
        out += np.sin(2 * np.pi * f * (1 + 0.003 * rng.standard_normal()) * t + rng.uniform(0, 6.28))
    scaled: np.ndarray = out * exp_env(t, decay) / len(freqs)
    return scaled


def soften(x: np.ndarray) -> np.ndarray:
    """A duller soft layer: one-pole low-pass, 0.5 amplitude."""
    from scipy.signal import lfilter

    a = 0.35
    y: np.ndarray = 0.5 * lfilter([a], [1.0, a - 1.0], x)
    return y


def mix(*xs: np.ndarray) -> np.ndarray:
    """Sum arrays of different lengths (all starting at sample 0); float64."""
    n = max(x.size for x in xs)
    out = np.zeros(n)
    for x in xs:
        out[: x.size] += x
    return out


def glide_phase(f0: float, f1: float, tau: float, n: int) -> np.ndarray:
    """Phase in radians of an exponential glide from ``f0`` to ``f1`` Hz (time constant ``tau`` s).

    ``f(t) = f1 + (f0 - f1) exp(-t / tau)``, integrated in closed form; float64, shape ``(n,)``,
    starting at 0.
    """
    t = np.arange(n, dtype=np.float64) / _SR
    return _TWO_PI * (f1 * t + (f0 - f1) * tau * (1.0 - np.exp(-t / tau)))


def osc_bank(
    freqs: Sequence[float] | np.ndarray,
    n: int,
    *,
    phases: Sequence[float] | np.ndarray | None = None,
    decays: Sequence[float] | np.ndarray | None = None,
    square: bool = False,
) -> np.ndarray:
    """One row per oscillator: fixed-frequency sines (or squares), optionally decaying.

    Parameters
    ----------
    freqs : array-like, shape (k,)
        Frequencies in Hz.
    n : int
        Samples per row.
    phases : array-like, shape (k,), optional
        Start phases in radians (default 0).
    decays : array-like, shape (k,), optional
        Per-row exponential decay times in seconds (default: none).
    square : bool
        Square waves (``sign(sin)``, the TR-808 cymbal and hi-hat oscillators) instead of sines.

    Returns
    -------
    np.ndarray
        float32, shape (k, n). The phase is reduced in float64, the sine taken in float32.
    """
    f = np.asarray(freqs, dtype=np.float64)[:, None]
    t = np.arange(n, dtype=np.float64)[None, :] / _SR
    cycles = f * t
    if phases is not None:
        cycles += np.asarray(phases, dtype=np.float64)[:, None] / _TWO_PI
    cycles -= np.floor(cycles)
    out: np.ndarray = np.sin(np.float32(_TWO_PI) * cycles.astype(np.float32))
    if square:
        out = np.sign(out)
    if decays is not None:
        d = np.asarray(decays, dtype=np.float32)[:, None]
        out *= np.exp(-t.astype(np.float32) / d)
    return out


# Q of the second-order sections of Butterworth filters of order 2 and 4
_BUTTER_Q = {2: (0.7071067811865476,), 4: (0.5411961001461971, 1.3065629648763766)}


def _biquad(kind: str, freq: float, q: float) -> list[float]:
    """One second-order section (b0, b1, b2, 1, a1, a2): bilinear transform, pre-warped
    (R. Bristow-Johnson's audio EQ cookbook)."""
    w0 = _TWO_PI * freq / _SR
    cw, alpha = np.cos(w0), np.sin(w0) / (2.0 * q)
    a0 = 1.0 + alpha
    if kind == "lowpass":
        b = ((1.0 - cw) / 2.0, 1.0 - cw, (1.0 - cw) / 2.0)
    else:
        b = ((1.0 + cw) / 2.0, -(1.0 + cw), (1.0 + cw) / 2.0)
    return [b[0] / a0, b[1] / a0, b[2] / a0, 1.0, -2.0 * cw / a0, (1.0 - alpha) / a0]


def filt(x: np.ndarray, kind: str, freq: float | tuple[float, float], *, order: int = 2) -> np.ndarray:
    """Butterworth ``"lowpass"``, ``"highpass"`` or ``"bandpass"`` filter (causal).

    ``order`` is 2 or 4 (per edge: a ``"bandpass"`` with ``freq=(lo, hi)`` is a high-pass
    at ``lo`` followed by a low-pass at ``hi``, each of that order). Cut-offs (Hz) are
    clamped to 20 Hz .. 0.45 of the sample rate; a low-pass at or above that limit is
    left out. The sections are computed in closed form (no filter design call), so a
    call costs little more than the filtering. Returns float64.
    """
    from scipy.signal import sosfilt

    lo_lim, hi_lim = 20.0, 0.45 * _SR
    if kind == "bandpass":
        assert isinstance(freq, tuple)
        edges = [("highpass", float(freq[0])), ("lowpass", max(float(freq[1]), float(freq[0]) * 1.05))]
    elif kind in ("lowpass", "highpass"):
        edges = [(kind, float(freq))]  # type: ignore[arg-type]
    else:
        raise ValueError(f"unknown filter kind {kind!r}")
    sos = []
    for k, f in edges:
        if k == "lowpass" and f >= hi_lim:
            continue
        f = min(max(f, lo_lim), hi_lim)
        sos += [_biquad(k, f, q) for q in _BUTTER_Q[order]]
    if not sos:
        return np.asarray(x, dtype=np.float64)
    y: np.ndarray = sosfilt(np.asarray(sos), x)
    return y


def hold_resample(x: np.ndarray, rate: float) -> np.ndarray:
    """Sample-and-hold at ``rate`` Hz (no anti-alias filter): the aliasing of old samplers."""
    if rate >= _SR:
        return x
    idx = np.floor(np.floor(np.arange(x.size) * (rate / _SR)) * (_SR / rate)).astype(np.int64)
    held: np.ndarray = x[np.minimum(idx, x.size - 1)]
    return held


def bitcrush(x: np.ndarray, bits: int, *, peak: float = 1.0) -> np.ndarray:
    """Quantise to ``bits`` bits over ``[-peak, peak]`` (no dither)."""
    step = 2.0 * peak / (2**bits)
    y: np.ndarray = np.round(x / step) * step
    return y
