"""A tiny drum kit synthesised in code (no Debian packages, no files).

``kits=["tiny"]`` (or ``--kits tiny``) renders with it: a sine-sweep kick, noise snares,
filtered-noise hi-hats, pitched toms and noisy inharmonic cymbals, two velocity layers
and two round-robin variants per piece. It sounds nothing like a real kit and exists for
tests and for machines without the sampled kits; every one of the 22 Roland notes plays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from drumscribe_training.synth.dsp import mix, noise, partials, soften, sweep
from drumscribe_training.synth.kitmodel import Kit, RawLayer, RawVoice, pack_kit

__all__ = ["TINY_KIT_NAME", "build_tiny_kit"]

TINY_KIT_NAME = "tiny"

#: One-shot maker: random generator -> float one-shot starting at its onset.
_Make = Callable[[np.random.Generator], np.ndarray]


def _click(r: np.random.Generator, f: float = 3000.0) -> np.ndarray:
    return partials(r, [f, f * 1.5], 0.01, 0.002)


def _voice(name: str, make: _Make, rng: np.random.Generator, max_s: float = 2.5) -> RawVoice:
    hard = [np.asarray(make(rng), dtype=np.float32) for _ in range(2)]
    soft = [np.asarray(soften(make(rng)), dtype=np.float32) for _ in range(2)]
    return RawVoice(
        name,
        [RawLayer(0.0, 0.5, soft), RawLayer(0.5, 1.0, hard)],
        ids={f"tiny:{name}"},
        max_s=max_s,
    )


def build_tiny_kit() -> Kit:
    """Build the in-code kit (deterministic; about 0.1 s)."""
    rng = np.random.default_rng(20261101)
    specs: dict[int, tuple[str, _Make, float]] = {
        36: ("kick", lambda r: mix(sweep(160, 48, 0.6, 0.22, 0.03), 0.3 * _click(r, 2500)), 1.0),
        38: (
            "snare",
            lambda r: mix(0.7 * noise(r, 0.4, 0.09, 1), 0.5 * sweep(240, 185, 0.3, 0.07, 0.02)),
            1.0,
        ),
        40: (
            "snare rim",
            lambda r: mix(
                0.8 * noise(r, 0.4, 0.11, 2), 0.4 * sweep(330, 250, 0.2, 0.05, 0.01), 0.6 * _click(r)
            ),
            1.0,
        ),
        37: (
            "cross-stick",
            lambda r: mix(partials(r, [820, 1710, 2630], 0.12, 0.025), 0.3 * _click(r, 4000)),
            1.0,
        ),
        42: ("hihat closed", lambda r: noise(r, 0.15, 0.025, 3), 1.0),
        22: (
            "hihat closed edge",
            lambda r: mix(noise(r, 0.2, 0.04, 2), 0.3 * partials(r, [5200, 7300], 0.1, 0.03)),
            1.0,
        ),
        46: ("hihat open", lambda r: noise(r, 1.2, 0.35, 3), 1.5),
        26: (
            "hihat open edge",
            lambda r: mix(noise(r, 1.4, 0.45, 2), 0.2 * partials(r, [4100, 6900], 1.0, 0.3)),
            1.5,
        ),
        44: ("hihat pedal", lambda r: 0.6 * noise(r, 0.08, 0.015, 4), 1.0),
        48: ("tom high", lambda r: sweep(250, 205, 0.8, 0.25, 0.05), 1.2),
        50: ("tom high rim", lambda r: mix(sweep(265, 215, 0.6, 0.18, 0.04), 0.5 * _click(r, 2200)), 1.2),
        45: ("tom mid", lambda r: sweep(180, 148, 0.9, 0.3, 0.05), 1.2),
        47: ("tom mid rim", lambda r: mix(sweep(190, 155, 0.7, 0.22, 0.04), 0.5 * _click(r, 1900)), 1.2),
        43: ("tom low", lambda r: sweep(125, 98, 1.1, 0.38, 0.06), 1.5),
        58: ("tom low rim", lambda r: mix(sweep(132, 102, 0.9, 0.3, 0.05), 0.5 * _click(r, 1600)), 1.5),
        49: (
            "crash",
            lambda r: mix(noise(r, 2.5, 0.8, 2), 0.4 * partials(r, [3150, 4480, 5870, 7700], 2.0, 0.7)),
            3.0,
        ),
        55: (
            "crash edge",
            lambda r: mix(noise(r, 2.5, 0.9, 1), 0.3 * partials(r, [2950, 4210, 6610], 2.0, 0.8)),
            3.0,
        ),
        57: (
            "crash 2",
            lambda r: mix(noise(r, 2.8, 1.0, 2), 0.4 * partials(r, [2700, 3960, 5300, 6920], 2.2, 0.9)),
            3.0,
        ),
        52: (
            "crash 2 edge",
            lambda r: mix(noise(r, 2.8, 1.1, 1), 0.3 * partials(r, [2500, 3710, 6120], 2.2, 1.0)),
            3.0,
        ),
        51: (
            "ride",
            lambda r: mix(0.25 * noise(r, 2.0, 0.5, 3), partials(r, [3420, 4850, 6370, 8110], 2.0, 0.6)),
            3.0,
        ),
        59: (
            "ride edge",
            lambda r: mix(0.5 * noise(r, 2.0, 0.6, 2), partials(r, [3180, 4720, 6050], 2.0, 0.7)),
            3.0,
        ),
        53: ("ride bell", lambda r: partials(r, [2210, 2650, 4460, 5830], 2.0, 0.9), 3.0),
    }
    voices: list[RawVoice] = []
    notes: dict[int, list[int]] = {}
    for note, (name, make, max_s) in specs.items():
        notes[note] = [len(voices)]
        voices.append(_voice(name, make, rng, max_s))
    for v in voices:
        v.relative_velocity = False
    return pack_kit(TINY_KIT_NAME, voices, notes, {"source": "synthesised in code", "licence": "MIT"})
