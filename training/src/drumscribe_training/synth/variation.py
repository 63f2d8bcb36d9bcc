"""Per-clip re-voicing of a kit's pieces: one sampled kit, many virtual kits.

The held-out kits the default model does worst on differ from the training kits piece by
piece, not as a whole: a TR-808's toms are short sine blips, a lo-fi kit's ride is a muted
0.4 s cymbal (docs/model/MODEL.md, "Per held-out kit"). Augmentation's pitch shift moves the whole mix
at once; a :class:`PieceVariation` instead re-tunes one lane group's one-shots (resampling,
as a sampler does: up is shorter) and fades their tails with an extra exponential decay,
each group drawn on its own, once per clip; optionally a high shelf makes them brighter or
darker (a dark ride bow against the bright rides most training kits have). The three toms
share one draw, so their order (high above mid above low) is kept. Labels do not change: a
re-voiced snare is a snare, and the onset stays where it was (the fade starts at the
one-shot's first sample).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from drumscribe_training.synth.kitmodel import pitch_shift

__all__ = ["LANE_GROUPS", "PieceVariation", "Voicing"]

# lanes re-voiced together (one draw per group and clip), in the order the draws are made
LANE_GROUPS: dict[str, tuple[str, ...]] = {
    "kick": ("kick",),
    "snare": ("snare",),
    "hihat": ("hihat",),
    "toms": ("hi_tom", "mid_tom", "low_tom"),
    "crash": ("crash",),
    "ride": ("ride",),
}

#: Corner frequency (Hz) of the high shelf when none is given (``data.piece_shelf_hz``).
DEFAULT_SHELF_HZ = 3000.0


@dataclass(frozen=True)
class Voicing:
    """How one lane's one-shots are changed for a clip.

    Attributes
    ----------
    semitones : float
        Re-tuning by resampling (positive: higher and shorter).
    decay_s : float or None
        Time constant (s) of an extra exponential fade from the one-shot's first sample;
        None leaves the tail as sampled.
    shelf_db : float
        Gain (dB) of a high shelf at ``shelf_hz`` (negative: darker); 0 leaves the
        spectrum alone. The shelved one-shot keeps the original's peak.
    shelf_hz : float
        The shelf's corner frequency in Hz.
    """

    semitones: float
    decay_s: float | None
    shelf_db: float = 0.0
    shelf_hz: float = DEFAULT_SHELF_HZ

    def apply(self, shot: np.ndarray, sample_rate: int) -> np.ndarray:
        """The re-voiced one-shot, float32 in the input's scale, shape ``[samples']``."""
        x = np.asarray(shot, dtype=np.float32)
        if self.semitones != 0.0:
            x = pitch_shift(x, self.semitones, sample_rate)
        if self.decay_s is not None:
            t = np.arange(x.shape[0], dtype=np.float32) / np.float32(self.decay_s * sample_rate)
            x = x * np.exp(-t)
        if self.shelf_db != 0.0:
            import pedalboard

            shelf = pedalboard.HighShelfFilter(cutoff_frequency_hz=self.shelf_hz, gain_db=self.shelf_db)
            peak = float(np.max(np.abs(x))) if x.size else 0.0
            y = shelf(x[None, :], float(sample_rate))[0]
            y_peak = float(np.max(np.abs(y))) if y.size else 0.0
            x = (y * (peak / y_peak) if y_peak > 0.0 else y).astype(np.float32)
        return x


@dataclass(frozen=True)
class PieceVariation:
    """Random per-clip voicings of the lane groups (:data:`LANE_GROUPS`).

    Parameters
    ----------
    probability : float
        Chance, per lane group and clip, that the group is re-voiced (0 = off: no random
        numbers are drawn, so renders stay byte-identical to a renderer without it).
    semitones : (float, float)
        Range of the uniform re-tuning, in semitones.
    decay_s : (float, float)
        Range of the fade's time constant in seconds, drawn log-uniformly.
    decay_probability : float
        Chance that a re-voiced group's tails are also faded.
    groups : tuple of str
        The lane groups that may be re-voiced (keys of :data:`LANE_GROUPS`; default all).
    shelf_db : (float, float)
        Range (dB, uniform) of a re-voiced group's high-shelf gain; ``(0, 0)`` (the default)
        draws nothing, so renders stay as without the option.
    shelf_hz : float
        The shelf's corner frequency in Hz.
    group_semitones : dict of str to (float, float)
        Re-tuning ranges of some groups in place of ``semitones`` (e.g. wider for the toms,
        whose shared draw keeps their order); the same one draw per group is made.
    """

    probability: float
    semitones: tuple[float, float]
    decay_s: tuple[float, float]
    decay_probability: float
    groups: tuple[str, ...] = tuple(LANE_GROUPS)
    shelf_db: tuple[float, float] = (0.0, 0.0)
    shelf_hz: float = DEFAULT_SHELF_HZ
    group_semitones: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("probability", "decay_probability"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"piece variation {name} must be within 0..1, got {v}")
        for where, (lo, hi) in [("semitones", self.semitones)] + [
            (f"semitones of {g}", r) for g, r in self.group_semitones.items()
        ]:
            if lo > hi:
                raise ValueError(f"piece variation {where} must be (low, high), got {(lo, hi)}")
        lo, hi = self.decay_s
        if not 0.0 < lo <= hi:
            raise ValueError(f"piece variation decay_s must be 0 < low <= high, got {self.decay_s}")
        lo, hi = self.shelf_db
        if lo > hi:
            raise ValueError(f"piece variation shelf_db must be (low, high), got {self.shelf_db}")
        if not self.shelf_hz > 0.0:
            raise ValueError(f"piece variation shelf_hz must be > 0, got {self.shelf_hz}")
        unknown = sorted((set(self.groups) | set(self.group_semitones)) - set(LANE_GROUPS))
        if unknown:
            raise ValueError(f"piece variation groups {unknown} unknown (known: {list(LANE_GROUPS)})")

    def shelves(self) -> bool:
        """Whether re-voiced groups get a high shelf (``shelf_db`` is not ``(0, 0)``)."""
        return self.shelf_db != (0.0, 0.0)

    def draw(self, rng: np.random.Generator) -> dict[str, Voicing]:
        """The voicing of every re-voiced lane for one clip (lane name -> :class:`Voicing`)."""
        if self.probability <= 0.0:
            return {}
        out: dict[str, Voicing] = {}
        for group, lanes in LANE_GROUPS.items():
            if group not in self.groups or rng.random() >= self.probability:
                continue
            semitones = float(rng.uniform(*self.group_semitones.get(group, self.semitones)))
            decay = None
            if rng.random() < self.decay_probability:
                lo, hi = self.decay_s
                decay = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
            shelf = float(rng.uniform(*self.shelf_db)) if self.shelves() else 0.0
            for lane in lanes:
                out[lane] = Voicing(semitones, decay, shelf_db=shelf, shelf_hz=self.shelf_hz)
        return out
