"""Difficulty levels by reduction: expert -> hard -> medium -> easy.

Each level is made from the level above it by *removing* notes, never by adding or moving
them, so every level is a subset of the one above. The rules, applied in this order:

1. **Ghost notes** (velocity <= :data:`GHOST_VELOCITY`, 40) are dropped from hard, medium
   and easy.
2. **Thinning to the beat grid**: a note is kept only when its beat position lies on the
   level's grid for its lane group (within 5 % of a grid step):

   ========  =================  ===================  ==================
   level     hi-hat, ride       toms, crash          kick, snare
   ========  =================  ===================  ==================
   expert    any                any                  any
   hard      1/8 (half beats)   any                  any
   medium    1/4 (beats)        1/8                  1/8
   easy      1/4                1/4                  1/4
   ========  =================  ===================  ==================

   so fast hi-hat and ride runs become eighths, then quarters, and fast fills and double
   kicks go at medium and easy.
3. **Simultaneous notes** (same time): at most 3 notes of which at most 2 hand notes
   (non-kick) on expert and hard (two hands and a foot), 2 and 1 on medium, 1 on easy. The
   notes kept are chosen by lane priority -- snare, kick (the backbone), crash, hi-hat and
   ride, toms -- then velocity.
4. **Note density**: in every window of :data:`DENSITY_WINDOW_S` (1 s) at most 12 notes on
   hard, 8 on medium, 4 on easy (none on expert). Notes are admitted greedily: on-beat notes
   first, then eighths, then sixteenths and triplets, then the rest; within one metrical
   level by lane priority, then velocity, then time.

5. **Always reduced**: when the rules above leave hard, medium or easy equal to the level
   above, the weakest :data:`FORCED_REDUCTION` (1/8) of its notes go -- off-beat before
   on-beat, then by lane priority and velocity -- so no level repeats the one above.

Expert is the quantised transcription with rule 3 applied (a chart nobody can play is not
a chart); the tick-based game formats rely on it (at most two hand notes at once always
fit the three pro-drums colours, see :mod:`drumscribe.charts.pro_drums`).

"Same time" means equal chart times (after quantisation these are exact grid times, and
hits closer than 20 ms are already one instant: :func:`~drumscribe.charts.quantize.merge_close_hits`).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import groupby

import numpy as np

from drumscribe.charts.records import DIFFICULTIES, ChartHit
from drumscribe.charts.tempo import TempoMap
from drumscribe.contract import lane_index

__all__ = [
    "DENSITY_WINDOW_S",
    "FORCED_REDUCTION",
    "GHOST_VELOCITY",
    "LANE_PRIORITY",
    "RULES",
    "DifficultyRules",
    "build_difficulties",
    "reduce_difficulty",
]

#: Velocity at or below which a note is a ghost note.
GHOST_VELOCITY = 40
#: Window of the note-density cap, seconds.
DENSITY_WINDOW_S = 1.0
#: Share of the notes dropped from a level that its rules left equal to the level above
#: (a level is never identical to the one above: scan-chart's ``difficultyNotReduced``).
FORCED_REDUCTION = 0.125

KICK = lane_index("kick")
_TIMEKEEPING = frozenset({lane_index("hihat"), lane_index("ride")})
_BACKBONE = frozenset({lane_index("kick"), lane_index("snare")})

#: Priority of each lane (by index) when notes compete; higher wins.
LANE_PRIORITY: dict[int, int] = {
    lane_index("snare"): 7,
    lane_index("kick"): 6,
    lane_index("crash"): 5,
    lane_index("hihat"): 4,
    lane_index("ride"): 4,
    lane_index("hi_tom"): 3,
    lane_index("mid_tom"): 3,
    lane_index("low_tom"): 3,
}


@dataclass(frozen=True, slots=True)
class DifficultyRules:
    """The reduction rules of one difficulty level.

    Attributes
    ----------
    name : str
        ``"expert"``, ``"hard"``, ``"medium"`` or ``"easy"``.
    max_notes : int
        Notes at one instant, kick included.
    max_hand_notes : int
        Non-kick notes at one instant.
    drop_ghosts : bool
        Drop notes with velocity <= :data:`GHOST_VELOCITY`.
    max_notes_per_window : int or None
        Notes allowed in any window of ``window_s`` seconds; None for no cap.
    window_s : float
        Length of the density window, seconds.
    timekeeping_step : fractions.Fraction or None
        Grid step (beats) for hi-hat and ride notes; None keeps all.
    other_step : fractions.Fraction or None
        Grid step (beats) for toms and crash.
    backbone_step : fractions.Fraction or None
        Grid step (beats) for kick and snare.
    """

    name: str
    max_notes: int
    max_hand_notes: int
    drop_ghosts: bool
    max_notes_per_window: int | None
    window_s: float = DENSITY_WINDOW_S
    timekeeping_step: Fraction | None = None
    other_step: Fraction | None = None
    backbone_step: Fraction | None = None

    def step_for(self, lane: int) -> Fraction | None:
        """Grid step (beats) a note of ``lane`` must sit on, or None."""
        if lane in _TIMEKEEPING:
            return self.timekeeping_step
        if lane in _BACKBONE:
            return self.backbone_step
        return self.other_step


#: The rules of each level (see the module docstring).
RULES: dict[str, DifficultyRules] = {
    "expert": DifficultyRules("expert", 3, 2, False, None),
    "hard": DifficultyRules("hard", 3, 2, True, 12, timekeeping_step=Fraction(1, 2)),
    "medium": DifficultyRules(
        "medium",
        2,
        1,
        True,
        8,
        timekeeping_step=Fraction(1),
        other_step=Fraction(1, 2),
        backbone_step=Fraction(1, 2),
    ),
    "easy": DifficultyRules(
        "easy",
        1,
        1,
        True,
        4,
        timekeeping_step=Fraction(1),
        other_step=Fraction(1),
        backbone_step=Fraction(1),
    ),
}


def _beats(hits: Sequence[ChartHit], tempo_map: TempoMap) -> np.ndarray:
    """Beat position of each hit (from the tempo map where the hit has none)."""
    out = np.empty(len(hits))
    missing = [i for i, h in enumerate(hits) if h.beat is None]
    for i, h in enumerate(hits):
        if h.beat is not None:
            out[i] = h.beat
    if missing:
        out[missing] = np.asarray(tempo_map.beat_at(np.array([hits[i].time_s for i in missing]))).reshape(-1)
    return out


def _on_grid(beat: float, step: Fraction) -> bool:
    x = beat / float(step)
    return abs(x - round(x)) < 0.05


def _metrical_strength(beat: float) -> int:
    for strength, step in ((3, Fraction(1)), (2, Fraction(1, 2))):
        if _on_grid(beat, step):
            return strength
    if _on_grid(beat, Fraction(1, 4)) or _on_grid(beat, Fraction(1, 3)):
        return 1
    return 0


def _limit_chords(hits: Iterable[ChartHit], rules: DifficultyRules) -> list[ChartHit]:
    kept: list[ChartHit] = []
    for _, group in groupby(hits, key=lambda h: h.time_s):
        ranked = sorted(group, key=lambda h: (-LANE_PRIORITY[h.lane], -h.velocity, h.lane))
        chosen: list[ChartHit] = []
        hands = 0
        for h in ranked:
            if len(chosen) >= rules.max_notes:
                break
            if h.lane != KICK:
                if hands >= rules.max_hand_notes:
                    continue
                hands += 1
            chosen.append(h)
        kept.extend(sorted(chosen, key=lambda h: h.lane))
    return kept


def _limit_density(hits: Sequence[ChartHit], beats: np.ndarray, cap: int, window_s: float) -> list[ChartHit]:
    order = sorted(
        range(len(hits)),
        key=lambda i: (
            -_metrical_strength(float(beats[i])),
            -LANE_PRIORITY[hits[i].lane],
            -hits[i].velocity,
            hits[i].time_s,
            hits[i].lane,
        ),
    )
    kept_times: list[float] = []
    kept: list[int] = []
    for i in order:
        t = hits[i].time_s
        # windows [a, a + w) that contain t start at t or at a kept note in (t - w, t]
        lo = bisect.bisect_right(kept_times, t - window_s)
        hi = bisect.bisect_right(kept_times, t)
        starts = [*kept_times[lo:hi], t]
        ok = True
        for a in starts:
            inside = bisect.bisect_left(kept_times, a + window_s) - bisect.bisect_left(kept_times, a)
            if inside + 1 > cap:
                ok = False
                break
        if ok:
            bisect.insort(kept_times, t)
            kept.append(i)
    return [hits[i] for i in sorted(kept)]


def _force_reduction(hits: Sequence[ChartHit], tempo_map: TempoMap) -> tuple[ChartHit, ...]:
    """Drop the weakest :data:`FORCED_REDUCTION` of the notes (at least one): off-beat
    before on-beat, low lane priority, soft, late first."""
    beats = _beats(hits, tempo_map)
    order = sorted(
        range(len(hits)),
        key=lambda i: (
            _metrical_strength(float(beats[i])),
            LANE_PRIORITY[hits[i].lane],
            hits[i].velocity,
            -hits[i].time_s,
        ),
    )
    drop = set(order[: max(1, math.ceil(FORCED_REDUCTION * len(hits)))])
    return tuple(h for i, h in enumerate(hits) if i not in drop)


def reduce_difficulty(
    hits: Sequence[ChartHit],
    level: str,
    *,
    tempo_map: TempoMap,
    rules: DifficultyRules | None = None,
) -> tuple[ChartHit, ...]:
    """Apply one level's rules to the notes of the level above.

    Parameters
    ----------
    hits : sequence of ChartHit
        Notes of the level above (for ``"expert"``: the quantised transcription).
    level : {"expert", "hard", "medium", "easy"}
        The level to make.
    tempo_map : TempoMap
        Gives beat positions to notes whose ``beat`` is None.
    rules : DifficultyRules, optional
        Rules to use instead of :data:`RULES[level] <RULES>`.

    Returns
    -------
    tuple of ChartHit
        A subset of ``hits``, sorted by time, then lane.
    """
    if level not in RULES:
        raise ValueError(f"unknown difficulty {level!r}; expected one of {', '.join(DIFFICULTIES)}")
    r = rules or RULES[level]
    current = sorted(hits, key=lambda h: (h.time_s, h.lane))
    beats = _beats(current, tempo_map)
    keep = []
    for h, b in zip(current, beats, strict=True):
        if r.drop_ghosts and h.velocity <= GHOST_VELOCITY:
            continue
        step = r.step_for(h.lane)
        if step is not None and not _on_grid(float(b), step):
            continue
        keep.append(h)
    keep = _limit_chords(keep, r)
    if r.max_notes_per_window is not None:
        kb = _beats(keep, tempo_map)
        keep = _limit_density(keep, kb, r.max_notes_per_window, r.window_s)
    return tuple(keep)


def build_difficulties(
    expert_hits: Sequence[ChartHit],
    *,
    tempo_map: TempoMap,
    levels: Sequence[str] = DIFFICULTIES,
) -> dict[str, tuple[ChartHit, ...]]:
    """Make the levels by successive reduction (expert, then hard from expert, ...).

    Parameters
    ----------
    expert_hits : sequence of ChartHit
        The quantised transcription.
    tempo_map : TempoMap
        The chart's tempo map.
    levels : sequence of str
        Levels to return; must include ``"expert"``. Levels in between are still made (so
        easy is always a reduction of medium), just not returned.

    Returns
    -------
    dict
        ``{level: hits}`` in :data:`DIFFICULTIES` order.
    """
    wanted = set(levels)
    unknown = wanted - set(DIFFICULTIES)
    if unknown:
        raise ValueError(f"unknown difficulties {sorted(unknown)}; expected among {', '.join(DIFFICULTIES)}")
    if "expert" not in wanted:
        raise ValueError("difficulties must include 'expert'")
    out: dict[str, tuple[ChartHit, ...]] = {}
    current: tuple[ChartHit, ...] = tuple(expert_hits)
    deepest = max(DIFFICULTIES.index(lv) for lv in wanted)
    for level in DIFFICULTIES[: deepest + 1]:
        reduced = reduce_difficulty(current, level, tempo_map=tempo_map)
        if level != "expert" and reduced and set(reduced) == set(current):
            reduced = _force_reduction(reduced, tempo_map)
        current = reduced
        if level in wanted:
            out[level] = current
    return out
