"""An open-ended family of drum kits synthesised in code, for training only.

Kit ``i`` (named ``synthkit-007`` for ``i = 7``) is a seeded, deterministic function of
``i``: :func:`design_synth_kit` draws its musically plausible random parameters and
:func:`build_synth_kit` renders its one-shots (no files, no packages). Every kit plays
all 22 Roland notes of the note map with 2 or 3 velocity layers (louder and brighter
with velocity) and 2 round-robin variants per piece:

- kick: an exponential sine sweep (sometimes a long TR-808-like boom, sometimes
  saturated) with a band-passed noise click and sometimes a beater tone;
- snare: one or two gliding tonal modes plus band-passed noise (random balance, decay,
  brightness); rim shot = brighter snare plus a rim click; cross-stick = a short woody
  click of inharmonic partials;
- hi-hats: TR-808-style square oscillators, inharmonic sines and/or high-passed noise,
  closed/closed-edge/pedal short, open/open-edge long (choked by the mixer as for
  sampled kits);
- toms: one drum design (sine, triangle or membrane modes with inharmonic ratios,
  pitch glide, optional noise and click) at three pitches with random intervals of
  2.5-7 semitones, so high > mid > low always (what the lanes mean); rims add a click;
- crashes: inharmonic partial clusters plus long washy noise; rides: a partial cluster
  with a defined ping, a stick transient and medium sustain (sometimes muted); the bell
  a few strong bell partials.

Some kits are *lo-fi* (sample-and-hold at 8-22 kHz and/or 6-10 bit quantisation), some
saturated or darkened, so the family spans clean electronic, round acoustic-like and
crunchy sampler-like timbres. One-shots start at their onset (sample 0).

These kits are never registered for validation or test (held-out sampled kits only);
they are opt-in for the train split (``--synth-kits N``, ``data.synth_kits``; see
docs/DATA.md). Changing the synthesis changes every data set rendered with these kits: bump
:data:`SYNTH_KIT_VERSION` when it does.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from drumscribe_training.synth.dsp import (
    bitcrush,
    filt,
    glide_phase,
    hold_resample,
    osc_bank,
)
from drumscribe_training.synth.events import SAMPLE_RATE
from drumscribe_training.synth.kitmodel import Kit, RawLayer, RawVoice, pack_kit

__all__ = [
    "SYNTH_KIT_PREFIX",
    "SYNTH_KIT_VERSION",
    "build_synth_kit",
    "design_synth_kit",
    "synth_kit_index",
    "synth_kit_name",
    "synth_kit_names",
]

#: Kit names are ``synthkit-`` plus the index, at least 3 digits (``synthkit-007``).
SYNTH_KIT_PREFIX = "synthkit-"
#: Bump when the same index would give different one-shots.
SYNTH_KIT_VERSION = 1

_SEED = 0x5D7C_1A75
_SR = SAMPLE_RATE
_NAME_RE = re.compile(r"synthkit-(\d+)")
_MEMBRANE = (1.0, 1.594, 2.136, 2.296, 2.653, 2.918)  # circular membrane mode ratios
_GROUPS = 3  # partial groups of a cymbal that a strike weighs separately
_TR808 = (1.0, 1.4827, 1.8003, 2.5461, 2.6303, 3.8967)  # TR-808 metal oscillators / 205.3 Hz

#: Parameters of one piece (JSON-able values).
Params = dict[str, Any]
#: Piece name -> parameters, as drawn by :func:`design_synth_kit`.
Design = dict[str, Params]


# ---------------------------------------------------------------------------- names


def synth_kit_name(index: int) -> str:
    """The name of synthesised kit ``index`` (``synthkit-007``)."""
    if index < 0:
        raise ValueError(f"synthesised kit index must be >= 0, got {index}")
    return f"{SYNTH_KIT_PREFIX}{index:03d}"


def synth_kit_index(name: str) -> int | None:
    """The index of a synthesised kit's canonical name, or None for any other name."""
    m = _NAME_RE.fullmatch(name)
    if m is None:
        return None
    index = int(m.group(1))
    return index if synth_kit_name(index) == name else None


def synth_kit_names(count: int) -> tuple[str, ...]:
    """``synthkit-000`` .. ``synthkit-{count-1}``."""
    if count < 0:
        raise ValueError(f"the number of synthesised kits must be >= 0, got {count}")
    return tuple(synth_kit_name(i) for i in range(count))


# ---------------------------------------------------------------------------- design


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _logu(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _chance(rng: np.random.Generator, p: float) -> bool:
    return bool(rng.random() < p)


def _cymbal(rng: np.random.Generator, *, ride: bool, muted: bool) -> Params:
    k = int(rng.integers(8, 17) if ride else rng.integers(12, 25))
    f_lo = _logu(rng, 400, 1200) if ride else _logu(rng, 300, 900)
    f_hi = _logu(rng, 4000, 10000) if ride else _logu(rng, 5000, 12000)
    decay = _logu(rng, 0.6, 2.0) if ride else _logu(rng, 0.8, 2.2)
    if muted:
        decay = _logu(rng, 0.12, 0.35)
    d: Params = {
        "freqs": sorted(_logu(rng, f_lo, f_hi) for _ in range(k)),
        "amps": [_u(rng, 0.3, 1.0) for _ in range(k)],
        "decay_scale": [_u(rng, 0.3, 1.0) for _ in range(k)],
        "decay": decay,
        "noise_hp": _logu(rng, 3000, 7000) if ride else _logu(rng, 1500, 5000),
        "noise_lp": _logu(rng, 8000, 16000) if ride else _logu(rng, 7000, 16000),
        "noise": _u(rng, 0.05, 0.35) if ride else _u(rng, 0.8, 2.0),
        "burst": _u(rng, 0.3, 0.9) if ride else _u(rng, 0.3, 1.0),
        "burst_hp": _logu(rng, 2500, 7000) if ride else _logu(rng, 3000, 7000),
        "burst_decay": _logu(rng, 0.004, 0.02) if ride else _logu(rng, 0.02, 0.1),
        "tilt": _u(rng, 0.5, 1.5),  # how much darker the partials get at low velocity
        "edge_bright": _u(rng, 1.2, 1.6),
        "edge_noise": _u(rng, 1.1, 1.6) if not ride else _u(rng, 2.0, 4.0),
        "edge_decay": _u(rng, 1.0, 1.25),
        "muted": muted,
    }
    if ride:
        n_ping = int(rng.integers(2, 5))
        d["ping_freqs"] = sorted(_logu(rng, 2000, 5500) for _ in range(n_ping))
        d["ping_amps"] = [_u(rng, 1.5, 3.0) for _ in range(n_ping)]
    return d


def _design_kit(rng: np.random.Generator) -> Params:
    """Kit-wide parameters: style, velocity layers and the lo-fi/saturation post-processing."""
    style = str(rng.choice(["acoustic", "electronic", "lofi"], p=[0.4, 0.35, 0.25]))
    electronic = style != "acoustic"
    lofi = style == "lofi"
    bits = int(rng.integers(6, 11)) if lofi and _chance(rng, 0.6) else 0
    hold = _logu(rng, 8000, 22050) if lofi and (_chance(rng, 0.6) or not bits) else 0.0
    return {
        "style": style,
        "layers": int(rng.choice([2, 3])),
        "amp_exp": _u(rng, 0.6, 1.1),  # layer amplitude = v ** amp_exp
        "bright_exp": _u(rng, 0.6, 1.6),  # layer brightness cut-off ~ v ** bright_exp
        "drive": _u(rng, 1.5, 4.0) if _chance(rng, 0.35 if electronic else 0.12) else 0.0,
        "dark": _logu(rng, 3500, 9000) if _chance(rng, 0.15) else 0.0,
        "bits": bits,
        "hold_rate": hold,
    }


def _design_kick(rng: np.random.Generator, *, electronic: bool) -> Params:
    boom = _chance(rng, 0.5 if electronic else 0.15)
    return {
        "boom": boom,
        "f_end": _u(rng, 38, 70),
        "ratio": _logu(rng, 1.5, 5.0),
        "tau": _logu(rng, 0.006, 0.06),
        "decay": _u(rng, 0.45, 1.1) if boom else _logu(rng, 0.08, 0.35),
        "drive": _u(rng, 1.2, 5.0) if _chance(rng, 0.35) else 0.0,
        "click": _u(rng, 0.0, 0.6),
        "click_lo": _logu(rng, 1000, 4000),
        "click_width": _u(rng, 1.5, 4.0),
        "click_decay": _logu(rng, 0.001, 0.006),
        "beater": _u(rng, 0.05, 0.3) if _chance(rng, 0.3) else 0.0,
        "beater_f": _logu(rng, 700, 3000),
    }


def _design_snare(rng: np.random.Generator) -> Params:
    return {
        "f": _u(rng, 150, 300),
        "r2": _u(rng, 1.4, 1.8),
        "a2": _u(rng, 0.3, 0.9) if _chance(rng, 0.6) else 0.0,
        "sweep": _u(rng, 1.0, 1.5),
        "tau": _logu(rng, 0.003, 0.03),
        "tone_decay": _logu(rng, 0.03, 0.2),
        "noise_lo": _logu(rng, 600, 3000),
        "noise_hi": _logu(rng, 5000, 16000),
        "noise_decay": _logu(rng, 0.05, 0.35),
        "noise_share": _u(rng, 0.3, 0.9),
        "snap": _u(rng, 0.0, 0.4),
        "rim_f": _u(rng, 1800, 4500),
        "rim_ratios": [1.0, _u(rng, 1.3, 1.8), _u(rng, 2.1, 3.0)],
        "rim_decay": _logu(rng, 0.003, 0.015),
        "rim_level": _u(rng, 0.4, 0.9),
    }


def _design_cross_stick(rng: np.random.Generator) -> Params:
    n_xs = int(rng.integers(3, 5))
    return {
        "freqs": [
            f * r
            for f in [_logu(rng, 350, 1300)]
            for r in [1.0, _u(rng, 1.4, 2.2), _u(rng, 2.3, 3.8), _u(rng, 3.9, 6.0)][:n_xs]
        ],
        "amps": [1.0, _u(rng, 0.3, 0.9), _u(rng, 0.2, 0.7), _u(rng, 0.1, 0.5)][:n_xs],
        "decays": [_logu(rng, 0.008, 0.05) for _ in range(n_xs)],
        "noise": _u(rng, 0.1, 0.6),
        "noise_lo": _logu(rng, 1500, 4000),
        "noise_decay": _logu(rng, 0.002, 0.008),
    }


def _design_hihat(rng: np.random.Generator, *, electronic: bool) -> Params:
    metal = str(rng.choice(["808", "sines", "noise"], p=[0.5, 0.3, 0.2] if electronic else [0.2, 0.5, 0.3]))
    if metal == "808":
        base = _u(rng, 140, 450)
        freqs = [base * r * _u(rng, 0.95, 1.05) for r in _TR808]
    elif metal == "sines":
        lo, hi = _logu(rng, 2500, 5000), _logu(rng, 8000, 15000)
        freqs = sorted(_logu(rng, lo, hi) for _ in range(int(rng.integers(6, 15))))
    else:
        freqs = []
    return {
        "metal": metal,
        "freqs": freqs,
        "metal_share": 0.0 if metal == "noise" else _u(rng, 0.3, 1.0),
        "hp": _logu(rng, 3500, 9000),
        "lp_ratio": _u(rng, 1.6, 3.0),  # low-pass of the hard layer / high-pass
        "closed_decay": _logu(rng, 0.012, 0.06),
        "edge_mult": _u(rng, 1.2, 2.0),
        "pedal_decay": _logu(rng, 0.008, 0.035),
        "pedal_dark": _u(rng, 0.3, 0.6),
        "open_decay": _logu(rng, 0.25, 1.0),
        "open_edge_mult": _u(rng, 0.5, 1.1),
    }


def _design_toms(rng: np.random.Generator, *, electronic: bool) -> Params:
    f_low = _logu(rng, 55, 150)
    up1, up2 = _u(rng, 2.5, 7.0), _u(rng, 2.5, 7.0)
    n_modes = int(rng.integers(2, 7))
    decay_mid = _logu(rng, 0.12, 0.6)
    noisy = _chance(rng, 0.45 if electronic else 0.25)
    clicky = _chance(rng, 0.4 if electronic else 0.2)
    return {
        "f_low": f_low,
        "up_mid": up1,  # semitones low -> mid
        "up_high": up2,  # semitones mid -> high
        "wave": str(rng.choice(["sine", "triangle", "modes"], p=[0.3, 0.2, 0.5])),
        "mode_ratios": [1.0] + [r * _u(rng, 0.97, 1.03) for r in _MEMBRANE[1:n_modes]],
        "mode_amps": [1.0, *sorted((_u(rng, 0.05, 0.6) for _ in range(n_modes - 1)), reverse=True)],
        "sweep": _u(rng, 1.3, 2.2) if _chance(rng, 0.5 if electronic else 0.15) else _u(rng, 1.0, 1.3),
        "tau": min(_logu(rng, 0.02, 0.15), 0.5 * decay_mid),
        "decay_mid": decay_mid,
        "drive": _u(rng, 1.2, 4.0) if _chance(rng, 0.2) else 0.0,
        "noise": _u(rng, 0.2, 0.6) if noisy else _u(rng, 0.0, 0.08),
        "noise_mult": _u(rng, 3.0, 12.0),
        "noise_decay": _logu(rng, 0.02, 0.15),
        "click": _u(rng, 0.2, 0.7) if clicky else _u(rng, 0.0, 0.1),
        "click_f": _logu(rng, 2000, 8000),
        "click_decay": _logu(rng, 0.001, 0.005),
        "rim_level": _u(rng, 0.3, 0.8),
        "rim_f": _logu(rng, 1500, 4000),
        "rim_decay": _logu(rng, 0.004, 0.015),
    }


def _design_bell(rng: np.random.Generator, *, muted: bool) -> Params:
    bell_base = _logu(rng, 500, 1500)
    return {
        "freqs": [
            bell_base * r
            for r in (1.0, _u(rng, 1.45, 1.65), _u(rng, 1.95, 2.3), _u(rng, 2.8, 3.3), _u(rng, 3.9, 4.6))
        ],
        "amps": [1.0, _u(rng, 0.3, 0.8), _u(rng, 0.3, 0.8), _u(rng, 0.1, 0.5), _u(rng, 0.1, 0.4)],
        "decay": _logu(rng, 0.8, 2.5) * (0.3 if muted else 1.0),
        "wash": _u(rng, 0.02, 0.15),
    }


def design_synth_kit(index: int) -> Design:
    """The random parameters of synthesised kit ``index`` (deterministic; JSON-able).

    Returns a mapping piece -> parameters (``kit``, ``kick``, ``snare``, ``cross_stick``,
    ``hihat``, ``toms``, ``crash1``, ``crash2``, ``ride``, ``bell``); frequencies in Hz,
    times in seconds, tom intervals in semitones. The pieces are drawn in that order from
    one random stream (a muted ride, drawn before it, also mutes the bell).
    """
    if index < 0:
        raise ValueError(f"synthesised kit index must be >= 0, got {index}")
    rng = np.random.default_rng([_SEED, index])
    kit = _design_kit(rng)
    electronic = kit["style"] != "acoustic"
    kick = _design_kick(rng, electronic=electronic)
    snare = _design_snare(rng)
    cross_stick = _design_cross_stick(rng)
    hihat = _design_hihat(rng, electronic=electronic)
    toms = _design_toms(rng, electronic=electronic)
    crash1 = _cymbal(rng, ride=False, muted=False)
    crash2 = _cymbal(rng, ride=False, muted=False)
    muted = _chance(rng, 0.2)
    ride = _cymbal(rng, ride=True, muted=muted)
    bell = _design_bell(rng, muted=muted)
    return {
        "kit": kit,
        "kick": kick,
        "snare": snare,
        "cross_stick": cross_stick,
        "hihat": hihat,
        "toms": toms,
        "crash1": crash1,
        "crash2": crash2,
        "ride": ride,
        "bell": bell,
    }


# ---------------------------------------------------------------------------- synthesis


def _n(seconds: float) -> int:
    return max(int(seconds * _SR), 64)


def _t(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64) / _SR


def _env(n: int, decay: float, attack_s: float = 0.0005) -> np.ndarray:
    t = _t(n)
    env = np.exp(-t / decay)
    m = min(n, int(attack_s * _SR))
    if m > 1:
        env[:m] *= np.arange(1, m + 1) / m
    return env


@functools.cache
def _noise_pool() -> np.ndarray:
    """10 s of white noise (fixed seed) that one-shots take random slices of: cheaper than
    drawing fresh noise for every shot, and as deterministic."""
    pool = np.random.default_rng([_SEED, 0xA015E]).standard_normal(10 * _SR)
    pool.setflags(write=False)
    return pool


def _white(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` samples of white noise (a read-only slice of the pool at a random offset)."""
    pool = _noise_pool()
    if n > pool.size:
        return rng.standard_normal(n)
    off = int(rng.integers(0, pool.size - n + 1))
    return pool[off : off + n]


def _band_noise(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    """Band-passed white noise at unit RMS."""
    x = filt(_white(rng, n), "bandpass", (lo, hi))
    return x / (float(np.std(x)) + 1e-12)


def _burst(rng: np.random.Generator, n: int, lo: float, hi: float, decay: float) -> np.ndarray:
    """A short band-passed noise transient, ``n`` samples long (zeros after ~8 decays)."""
    m = min(n, _n(8 * decay))
    out = np.zeros(n)
    out[:m] = _band_noise(rng, m, lo, hi) * np.exp(-_t(m) / decay) / 3.0
    return out


def _weigh(w: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``w @ rows`` in float32 without BLAS (whose thread pool spins on a busy machine)."""
    out: np.ndarray = np.einsum(
        "k,kn->n", np.asarray(w, dtype=np.float32), rows.astype(np.float32, copy=False)
    )
    return out


def _drive(x: np.ndarray, amount: float) -> np.ndarray:
    if amount <= 0:
        return x
    pk = float(np.abs(x).max()) + 1e-12
    out: np.ndarray = np.tanh(amount * x / pk) / np.tanh(amount) * pk
    return out


def _kick(p: Params, rng: np.random.Generator, v: float) -> np.ndarray:
    n = _n(min(1.4, 0.02 + 5 * p["decay"]))
    fe = p["f_end"] * (1 + 0.004 * rng.standard_normal())
    f0 = fe * (1 + (p["ratio"] - 1) * (0.6 + 0.4 * v))
    body = _drive(np.sin(glide_phase(f0, fe, p["tau"], n)), p["drive"]) * _env(n, p["decay"], 0.0003)
    lo = p["click_lo"]
    click = _burst(rng, n, lo, lo * p["click_width"] * (0.5 + 0.5 * v), p["click_decay"])
    x: np.ndarray = body + p["click"] * v * click
    if p["beater"]:
        x += p["beater"] * v * np.sin(2 * np.pi * p["beater_f"] * _t(n)) * _env(n, 0.006, 0.0002)
    return x


def _snare(p: Params, rng: np.random.Generator, v: float, bright_exp: float, *, rim: bool) -> np.ndarray:
    n = _n(min(0.9, 0.02 + 5 * max(p["tone_decay"], p["noise_decay"])))
    f = p["f"] * (1 + 0.005 * rng.standard_normal())
    ph = glide_phase(f * p["sweep"] * (0.8 + 0.2 * v), f, p["tau"], n)
    tone = (np.sin(ph) + p["a2"] * np.sin(p["r2"] * ph)) / (1 + p["a2"]) * _env(n, p["tone_decay"], 0.0003)
    hi = max(p["noise_lo"] * 1.5, p["noise_hi"] * (1.3 if rim else 1.0) * v**bright_exp)
    nz = 0.3 * _band_noise(rng, n, p["noise_lo"], hi) * _env(n, p["noise_decay"], 0.0005)
    share = p["noise_share"]
    x: np.ndarray = (1 - share) * tone * (1.3 if rim else 1.0) + share * nz
    x += p["snap"] * v * _burst(rng, n, 2000, 8000, 0.002)
    if rim:
        rf = p["rim_f"] * np.asarray(p["rim_ratios"])
        click = osc_bank(rf, n, phases=rng.uniform(0, 2 * np.pi, rf.size), decays=[p["rim_decay"]] * rf.size)
        x += p["rim_level"] * (0.5 + 0.5 * v) * click.sum(0) / rf.size
    return x


def _cross_stick(p: Params, rng: np.random.Generator, v: float, bright_exp: float) -> np.ndarray:
    n = _n(0.3)
    fr = np.asarray(p["freqs"]) * (1 + 0.004 * rng.standard_normal(len(p["freqs"])))
    amps = np.asarray(p["amps"]) * (np.arange(fr.size) + 1.0) ** (-1.5 * (1 - v) * bright_exp)
    bank = osc_bank(fr, n, phases=np.zeros(fr.size), decays=p["decays"])
    tone = _weigh(amps, bank) / float(np.sum(p["amps"]))
    tone[:8] *= np.arange(1, 9) / 8.0
    lo = p["noise_lo"]
    x: np.ndarray = tone + p["noise"] * _burst(rng, n, lo, lo * (1.5 + 1.5 * v), p["noise_decay"])
    return x


def _hihat(
    p: Params, rng: np.random.Generator, v: float, bright_exp: float, *, decay: float, dark: float
) -> np.ndarray:
    n = _n(min(1.6, 0.01 + 6 * decay))
    x = _white(rng, n)
    if p["metal"] != "noise":
        fr = np.asarray(p["freqs"]) * (1 + 0.002 * rng.standard_normal(len(p["freqs"])))
        metal = osc_bank(fr, n, phases=rng.uniform(0, 2 * np.pi, fr.size), square=p["metal"] == "808").sum(0)
        metal /= float(np.std(metal)) + 1e-12
        x = p["metal_share"] * metal + (1 - p["metal_share"]) * x
    hp = p["hp"] * dark
    x = filt(x, "highpass", hp, order=4 if p["metal"] == "808" else 2)
    x = filt(x, "lowpass", min(19000.0, max(hp * 1.2, hp * p["lp_ratio"] * v**bright_exp)))
    out: np.ndarray = x * _env(n, decay, 0.0002)
    return out


def _tom(
    p: Params, rng: np.random.Generator, v: float, bright_exp: float, *, f: float, rim: bool
) -> np.ndarray:
    f_mid = p["f_low"] * 2 ** (p["up_mid"] / 12)
    d = p["decay_mid"] * (f_mid / f) ** 0.5
    n = _n(min(1.3, 0.02 + 5 * d))
    f = f * (1 + 0.003 * rng.standard_normal())
    ph = glide_phase(f * (1 + (p["sweep"] - 1) * (0.6 + 0.4 * v)), f, p["tau"], n)
    env = _env(n, d, 0.0005)
    if p["wave"] == "sine":
        body = np.sin(ph) * env
    elif p["wave"] == "triangle":
        body = (2 / np.pi) * np.arcsin(np.sin(ph)) * env
    else:
        ratios, amps = np.asarray(p["mode_ratios"]), np.asarray(p["mode_amps"])
        t = _t(n)
        body = np.zeros(n)
        for r, a in zip(ratios, amps, strict=True):
            body += a * np.sin(r * ph) * np.exp(-t / (d / r**0.7))
        body[:22] *= np.arange(1, 23) / 22.0
        body /= amps.sum()
    body = _drive(body, p["drive"])
    body = filt(body, "lowpass", f * (3 + 25 * v**bright_exp))
    nf = f * p["noise_mult"]
    x: np.ndarray = body + p["noise"] * 0.3 * _band_noise(rng, n, nf / 1.5, nf * 1.5) * _env(
        n, p["noise_decay"]
    )
    cf = p["click_f"]
    x += p["click"] * v * _burst(rng, n, cf / 1.4, cf * 1.4, p["click_decay"])
    if rim:
        rf = p["rim_f"] * np.array([1.0, 1.47, 2.09])
        click = osc_bank(rf, n, phases=rng.uniform(0, 2 * np.pi, 3), decays=[p["rim_decay"]] * 3).sum(0) / 3
        x += p["rim_level"] * (0.5 + 0.5 * v) * click
    return x


class _Cymbal:
    """One cymbal's partials, summed once in frequency groups, and its strikes.

    The partials (sorted by frequency) are summed in :data:`_GROUPS` groups; a strike
    weighs the groups (darker at low velocity, randomly per stroke: where the stick lands)
    and adds band-passed noise wash and a stick transient.
    """

    def __init__(
        self, p: Params, rng: np.random.Generator, *, extra: tuple[list[float], list[float]] | None = None
    ) -> None:
        self.p = p
        decay = float(p["decay"])
        self.n = _n(min(3.0, 0.05 + 4 * decay * float(p.get("edge_decay", 1.0))))
        freqs = list(p["freqs"])
        amps = list(p["amps"])
        decays = [decay * s for s in p.get("decay_scale", [1.0] * len(freqs))]
        cuts = np.linspace(0, len(freqs), min(_GROUPS, len(freqs)) + 1).round().astype(int)
        groups = [slice(int(a), int(b)) for a, b in itertools.pairwise(cuts)]
        if extra is not None:  # the ride's ping: strong partials, long decay, a group of their own
            groups.append(slice(len(freqs), len(freqs) + len(extra[0])))
            freqs += extra[0]
            amps += extra[1]
            decays += [decay] * len(extra[0])
        f = np.asarray(freqs) * (1 + 0.002 * rng.standard_normal(len(freqs)))
        a = np.asarray(amps, dtype=np.float32)
        bank = osc_bank(f, self.n, phases=rng.uniform(0, 2 * np.pi, f.size), decays=decays)
        self.groups = np.stack([_weigh(a[g], bank[g]) for g in groups])
        self.centres = np.array([float(np.exp(np.log(f[g]).mean())) for g in groups])

    def strike(
        self, rng: np.random.Generator, v: float, bright_exp: float, *, edge: bool = False
    ) -> np.ndarray:
        p = self.p
        n = self.n
        tilt = (self.centres / self.centres[0]) ** (-float(p.get("tilt", 1.0)) * (1 - v))
        w = tilt * rng.uniform(0.7, 1.3, tilt.size)  # where the stick lands
        tone = _weigh(w, self.groups)
        tone /= float(np.std(tone[: _SR // 10])) + 1e-12
        x = tone.astype(np.float64)
        bright = float(p.get("edge_bright", 1.0)) if edge else 1.0
        noise_level = float(p.get("noise", 0.0)) * (float(p.get("edge_noise", 1.0)) if edge else 1.0)
        if noise_level > 0:
            decay = float(p["decay"]) * 0.8 * (float(p.get("edge_decay", 1.0)) if edge else 1.0)
            lp = max(float(p["noise_hp"]) * 1.5, float(p["noise_lp"]) * bright * v**bright_exp)
            x += noise_level * _band_noise(rng, n, float(p["noise_hp"]), lp) * _env(n, decay, 0.0003)
        if "burst" in p:
            hp = float(p["burst_hp"])
            x += (
                3
                * float(p["burst"])
                * v
                * _burst(rng, n, hp, min(hp * 3.0, 19000.0), float(p["burst_decay"]))
            )
        x[:10] *= np.arange(1, 11) / 10.0
        return x


# ---------------------------------------------------------------------------- building


_Maker = Callable[[np.random.Generator, float], np.ndarray]


def _post(x: np.ndarray, kit: Params) -> np.ndarray:
    if kit["drive"]:
        x = _drive(x, float(kit["drive"]))
    if kit["dark"]:
        x = filt(x, "lowpass", float(kit["dark"]))
    if kit["hold_rate"]:
        x = hold_resample(x, float(kit["hold_rate"]))
    if kit["bits"]:
        y = bitcrush(x, int(kit["bits"]))
        x = y if np.any(y) else x
    return x


def _voice(
    kit_name: str, name: str, make: _Maker, rng: np.random.Generator, kit: Params, *, max_s: float
) -> RawVoice:
    """Velocity layers x 2 round-robin shots, as synthesised (softer layers darker), scaled
    so that the hard layer peaks near 1 and layer ``v`` is ``v ** amp_exp`` quieter."""
    n_layers = int(kit["layers"])
    levels = [0.45, 1.0] if n_layers == 2 else [0.3, 0.65, 1.0]
    edges = [0.0, 0.5, 1.0] if n_layers == 2 else [0.0, 0.35, 0.7, 1.0]
    raw = [[make(rng, v) for _ in range(2)] for v in levels]
    ref = max(float(np.abs(x).max()) for x in raw[-1]) + 1e-12
    layers = []
    for j, v in enumerate(levels):
        gain = v ** float(kit["amp_exp"]) / ref
        shots = [np.asarray(_post(x * gain * rng.uniform(0.93, 1.0), kit), dtype=np.float32) for x in raw[j]]
        layers.append(RawLayer(edges[j], edges[j + 1], shots))
    return RawVoice(name, layers, ids={f"{kit_name}:{name}"}, relative_velocity=False, max_s=max_s)


def tom_frequencies(design: Design) -> dict[int, float]:
    """Fundamental (end of glide) of the high (48), mid (45) and low (43) tom in Hz."""
    p = design["toms"]
    low = float(p["f_low"])
    mid = low * 2 ** (float(p["up_mid"]) / 12)
    return {43: low, 45: mid, 48: mid * 2 ** (float(p["up_high"]) / 12)}


def build_synth_kit(index: int) -> Kit:
    """Synthesise kit ``index`` (deterministic in ``index``; a fraction of a second).

    Returns a packed :class:`~drumscribe_training.synth.kitmodel.Kit` named
    :func:`synth_kit_name` ``(index)`` with one voice for each of the 22 Roland notes;
    ``kit.info["design"]`` holds the drawn parameters.
    """
    name = synth_kit_name(index)
    design = design_synth_kit(index)
    kit = design["kit"]
    be = float(kit["bright_exp"])
    sn, hh, tm, ks = design["snare"], design["hihat"], design["toms"], design["kick"]
    freqs = tom_frequencies(design)
    cym_rng = np.random.default_rng([_SEED, index, 1000])
    crash1 = _Cymbal(design["crash1"], cym_rng)
    crash2 = _Cymbal(design["crash2"], cym_rng)
    rd = design["ride"]
    ride = _Cymbal(rd, cym_rng, extra=(list(rd["ping_freqs"]), list(rd["ping_amps"])))
    bell_p = dict(design["bell"])
    bell_p["noise"], bell_p["noise_hp"], bell_p["noise_lp"] = bell_p["wash"], rd["noise_hp"], rd["noise_lp"]
    bell_p["burst"], bell_p["burst_hp"], bell_p["burst_decay"] = (
        rd["burst"],
        rd["burst_hp"],
        rd["burst_decay"],
    )
    bell_p["tilt"] = 0.6
    bell = _Cymbal(bell_p, cym_rng)

    def hat(decay: float, dark: float = 1.0) -> _Maker:
        return lambda r, v: _hihat(hh, r, v, be, decay=decay, dark=dark)

    def tom(note: int, rim: bool) -> _Maker:
        return lambda r, v: _tom(tm, r, v, be, f=freqs[note], rim=rim)

    cd = float(hh["closed_decay"])
    od = float(hh["open_decay"])
    pieces: dict[int, tuple[str, _Maker, float]] = {
        36: ("kick", lambda r, v: _kick(ks, r, v), 1.4),
        38: ("snare", lambda r, v: _snare(sn, r, v, be, rim=False), 0.9),
        40: ("snare rim", lambda r, v: _snare(sn, r, v, be, rim=True), 0.9),
        37: ("cross-stick", lambda r, v: _cross_stick(design["cross_stick"], r, v, be), 0.4),
        42: ("hihat closed", hat(cd), 0.5),
        22: ("hihat closed edge", hat(cd * float(hh["edge_mult"]), 0.85), 0.6),
        46: ("hihat open", hat(od), 1.6),
        26: ("hihat open edge", hat(od * float(hh["open_edge_mult"]), 0.85), 1.6),
        44: ("hihat pedal", hat(float(hh["pedal_decay"]), float(hh["pedal_dark"])), 0.3),
        48: ("tom high", tom(48, False), 1.3),
        50: ("tom high rim", tom(48, True), 1.3),
        45: ("tom mid", tom(45, False), 1.3),
        47: ("tom mid rim", tom(45, True), 1.3),
        43: ("tom low", tom(43, False), 1.3),
        58: ("tom low rim", tom(43, True), 1.3),
        49: ("crash", lambda r, v: crash1.strike(r, v, be), 3.0),
        55: ("crash edge", lambda r, v: crash1.strike(r, v, be, edge=True), 3.0),
        57: ("crash 2", lambda r, v: crash2.strike(r, v, be), 3.0),
        52: ("crash 2 edge", lambda r, v: crash2.strike(r, v, be, edge=True), 3.0),
        51: ("ride", lambda r, v: ride.strike(r, v, be), 3.0),
        59: ("ride edge", lambda r, v: ride.strike(r, v, be, edge=True), 3.0),
        53: ("ride bell", lambda r, v: bell.strike(r, v, be), 3.0),
    }
    voices: list[RawVoice] = []
    notes: dict[int, list[int]] = {}
    for note, (vname, make, max_s) in pieces.items():
        rng = np.random.default_rng([_SEED, index, note])
        notes[note] = [len(voices)]
        voices.append(_voice(name, vname, make, rng, kit, max_s=max_s))
    info = {
        "source": "synthesised in code (drumscribe_training.synth.synthkits)",
        "kind": "synth",
        "licence": "generated in code (no samples)",
        "split": "train",
        "index": index,
        "version": SYNTH_KIT_VERSION,
        "design": design,
    }
    return pack_kit(name, voices, notes, info)
