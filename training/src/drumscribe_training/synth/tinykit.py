"""A tiny drum kit synthesised in code (no Debian packages, no files).

``kits=["tiny"]`` (or ``--kits tiny``) renders with it: a sine-sweep kick, noise snares,
filtered-noise hi-hats, pitched toms and noisy inharmonic cymbals, two velocity layers
and two round-robin variants per piece. It sounds nothing like a real kit and exists for
tests and for machines without the sampled kits; every one of the 22 Roland notes plays.
"""

from __future__ import annotations

import numpy as np

from drumscribe_training.synth.events import SAMPLE_RATE
from drumscribe_training.synth.kitmodel import Kit, RawLayer, RawVoice, pack_kit

__all__ = ["TINY_KIT_NAME", "build_tiny_kit"]

TINY_KIT_NAME = "tiny"
_SR = SAMPLE_RATE


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * _SR), dtype=np.float64) / _SR


def _env(t: np.ndarray, decay: float) -> np.ndarray:
    return np.exp(-t / decay)


def _sweep(f0: float, f1: float, seconds: float, decay: float, sweep_tau: float) -> np.ndarray:
    t = _t(seconds)
    f = f1 + (f0 - f1) * np.exp(-t / sweep_tau)
    phase = 2 * np.pi * np.cumsum(f) / _SR
    return np.sin(phase) * _env(t, decay)


def _noise(rng: np.random.Generator, seconds: float, decay: float, hp: float = 0.0) -> np.ndarray:
    t = _t(seconds)
    n = rng.standard_normal(t.size)
    if hp > 0:  # crude high-pass: first difference, repeated
        for _ in range(int(hp)):
            n = np.diff(n, prepend=0.0)
        n /= np.abs(n).max() + 1e-12
    return n * _env(t, decay)


def _partials(rng: np.random.Generator, freqs: list[float], seconds: float, decay: float) -> np.ndarray:
    t = _t(seconds)
    out = np.zeros_like(t)
    for f in freqs:
        out += np.sin(2 * np.pi * f * (1 + 0.003 * rng.standard_normal()) * t + rng.uniform(0, 6.28))
    return out * _env(t, decay) / len(freqs)


def _soft(x: np.ndarray) -> np.ndarray:
    """A duller soft layer: one-pole low-pass, 0.5 amplitude."""
    from scipy.signal import lfilter

    a = 0.35
    return 0.5 * lfilter([a], [1.0, a - 1.0], x)


def _voice(name: str, make, rng: np.random.Generator, max_s: float = 2.5) -> RawVoice:  # type: ignore[no-untyped-def]
    hard = [np.asarray(make(rng), dtype=np.float32) for _ in range(2)]
    soft = [np.asarray(_soft(make(rng)), dtype=np.float32) for _ in range(2)]
    return RawVoice(
        name,
        [RawLayer(0.0, 0.5, soft), RawLayer(0.5, 1.0, hard)],
        ids={f"tiny:{name}"},
        max_s=max_s,
    )


def build_tiny_kit() -> Kit:
    """Build the in-code kit (deterministic; about 0.1 s)."""
    rng = np.random.default_rng(20261101)
    click = lambda r, f=3000.0: _partials(r, [f, f * 1.5], 0.01, 0.002)  # noqa: E731

    def pad(x: np.ndarray, n: int) -> np.ndarray:
        out = np.zeros(max(x.size, n))
        out[: x.size] += x
        return out

    def mix(*xs: np.ndarray) -> np.ndarray:
        n = max(x.size for x in xs)
        return sum(pad(x, n) for x in xs)  # type: ignore[return-value]

    specs: dict[int, tuple[str, object, float]] = {
        36: ("kick", lambda r: mix(_sweep(160, 48, 0.6, 0.22, 0.03), 0.3 * click(r, 2500)), 1.0),
        38: (
            "snare",
            lambda r: mix(0.7 * _noise(r, 0.4, 0.09, 1), 0.5 * _sweep(240, 185, 0.3, 0.07, 0.02)),
            1.0,
        ),
        40: (
            "snare rim",
            lambda r: mix(
                0.8 * _noise(r, 0.4, 0.11, 2), 0.4 * _sweep(330, 250, 0.2, 0.05, 0.01), 0.6 * click(r)
            ),
            1.0,
        ),
        37: (
            "cross-stick",
            lambda r: mix(_partials(r, [820, 1710, 2630], 0.12, 0.025), 0.3 * click(r, 4000)),
            1.0,
        ),
        42: ("hihat closed", lambda r: _noise(r, 0.15, 0.025, 3), 1.0),
        22: (
            "hihat closed edge",
            lambda r: mix(_noise(r, 0.2, 0.04, 2), 0.3 * _partials(r, [5200, 7300], 0.1, 0.03)),
            1.0,
        ),
        46: ("hihat open", lambda r: _noise(r, 1.2, 0.35, 3), 1.5),
        26: (
            "hihat open edge",
            lambda r: mix(_noise(r, 1.4, 0.45, 2), 0.2 * _partials(r, [4100, 6900], 1.0, 0.3)),
            1.5,
        ),
        44: ("hihat pedal", lambda r: 0.6 * _noise(r, 0.08, 0.015, 4), 1.0),
        48: ("tom high", lambda r: _sweep(250, 205, 0.8, 0.25, 0.05), 1.2),
        50: ("tom high rim", lambda r: mix(_sweep(265, 215, 0.6, 0.18, 0.04), 0.5 * click(r, 2200)), 1.2),
        45: ("tom mid", lambda r: _sweep(180, 148, 0.9, 0.3, 0.05), 1.2),
        47: ("tom mid rim", lambda r: mix(_sweep(190, 155, 0.7, 0.22, 0.04), 0.5 * click(r, 1900)), 1.2),
        43: ("tom low", lambda r: _sweep(125, 98, 1.1, 0.38, 0.06), 1.5),
        58: ("tom low rim", lambda r: mix(_sweep(132, 102, 0.9, 0.3, 0.05), 0.5 * click(r, 1600)), 1.5),
        49: (
            "crash",
            lambda r: mix(_noise(r, 2.5, 0.8, 2), 0.4 * _partials(r, [3150, 4480, 5870, 7700], 2.0, 0.7)),
            3.0,
        ),
        55: (
            "crash edge",
            lambda r: mix(_noise(r, 2.5, 0.9, 1), 0.3 * _partials(r, [2950, 4210, 6610], 2.0, 0.8)),
            3.0,
        ),
        57: (
            "crash 2",
            lambda r: mix(_noise(r, 2.8, 1.0, 2), 0.4 * _partials(r, [2700, 3960, 5300, 6920], 2.2, 0.9)),
            3.0,
        ),
        52: (
            "crash 2 edge",
            lambda r: mix(_noise(r, 2.8, 1.1, 1), 0.3 * _partials(r, [2500, 3710, 6120], 2.2, 1.0)),
            3.0,
        ),
        51: (
            "ride",
            lambda r: mix(0.25 * _noise(r, 2.0, 0.5, 3), _partials(r, [3420, 4850, 6370, 8110], 2.0, 0.6)),
            3.0,
        ),
        59: (
            "ride edge",
            lambda r: mix(0.5 * _noise(r, 2.0, 0.6, 2), _partials(r, [3180, 4720, 6050], 2.0, 0.7)),
            3.0,
        ),
        53: ("ride bell", lambda r: _partials(r, [2210, 2650, 4460, 5830], 2.0, 0.9), 3.0),
    }
    voices: list[RawVoice] = []
    notes: dict[int, list[int]] = {}
    for note, (name, make, max_s) in specs.items():
        notes[note] = [len(voices)]
        voices.append(_voice(name, make, rng, max_s))
    for v in voices:
        v.relative_velocity = False
    return pack_kit(TINY_KIT_NAME, voices, notes, {"source": "synthesised in code", "licence": "MIT"})
