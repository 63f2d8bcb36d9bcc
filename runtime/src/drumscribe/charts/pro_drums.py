"""The 8 lanes on a 4-lane pro-drums kit (Rock Band / Clone Hero / YARG "pro drums").

A pro-drums kit has a kick pedal and four pads, red, yellow, blue and green; yellow, blue and
green each come as a tom or a cymbal. The lanes map to it like this:

=========  =================
lane       pro-drums gem
=========  =================
kick       kick
snare      red
hihat      yellow cymbal
hi_tom     yellow tom
mid_tom    blue tom
low_tom    green tom
crash      green cymbal
ride       blue cymbal
=========  =================

One colour holds one gem at a time (tom or cymbal), so at an instant where a cymbal and
the tom of its colour are both hit (hi-hat with high tom, ride with mid tom, crash with low
tom) the cymbal keeps its colour and the tom moves to the nearest free colour: high tom to
blue then green, mid tom to green then yellow, low tom to blue then yellow. With the at most
two hand notes per instant that every difficulty keeps (see
:mod:`drumscribe.charts.difficulty`) a free colour always exists; a tom that finds none is
left out of the 4-lane formats and counted.

The assignment is made once per tick on the expert notes and reused by the lower levels
(their notes are a subset), so a colour is a tom or a cymbal at a tick in every level, as
the ``notes.mid`` tom markers (which apply to all levels) require.

Dynamics: velocity <= 40 is a ghost note, >= 118 an accent, on the pads only (not the kick).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

from drumscribe.charts.difficulty import GHOST_VELOCITY
from drumscribe.charts.records import ChartHit
from drumscribe.charts.timeline import Timeline
from drumscribe.contract import lane_index

__all__ = [
    "ACCENT_VELOCITY",
    "PRIMARY_GEMS",
    "DrumGem",
    "Pad",
    "ProDrumNote",
    "dynamic_of",
    "lane_of_gem",
    "pro_drum_notes",
]

#: Velocity at or above which a pad note is an accent.
ACCENT_VELOCITY = 118


class Pad(IntEnum):
    """Pro-drums gem colours, numbered as in ``.chart`` (kick 0 .. green 4)."""

    KICK = 0
    RED = 1
    YELLOW = 2
    BLUE = 3
    GREEN = 4


_K, _S, _HH, _HT, _MT, _LT, _CR, _RD = (
    lane_index(n) for n in ("kick", "snare", "hihat", "hi_tom", "mid_tom", "low_tom", "crash", "ride")
)

#: The gem (pad, is-cymbal) of each lane index when nothing collides.
PRIMARY_GEMS: dict[int, tuple[Pad, bool]] = {
    _K: (Pad.KICK, False),
    _S: (Pad.RED, False),
    _HH: (Pad.YELLOW, True),
    _HT: (Pad.YELLOW, False),
    _MT: (Pad.BLUE, False),
    _LT: (Pad.GREEN, False),
    _CR: (Pad.GREEN, True),
    _RD: (Pad.BLUE, True),
}
_TOM_FALLBACK: dict[int, tuple[Pad, ...]] = {
    _HT: (Pad.BLUE, Pad.GREEN),
    _MT: (Pad.GREEN, Pad.YELLOW),
    _LT: (Pad.BLUE, Pad.YELLOW),
}
_GEM_TO_LANE = {gem: lane for lane, gem in PRIMARY_GEMS.items()}


def lane_of_gem(pad: Pad, cymbal: bool) -> int:
    """The lane index a gem stands for when nothing collided (inverse of :data:`PRIMARY_GEMS`)."""
    if pad in (Pad.KICK, Pad.RED):
        cymbal = False
    return _GEM_TO_LANE[(pad, cymbal)]


def dynamic_of(lane: int, velocity: int) -> str:
    """``"ghost"``, ``"accent"`` or ``"normal"`` for a note (the kick is always normal)."""
    if lane == _K:
        return "normal"
    if velocity <= GHOST_VELOCITY:
        return "ghost"
    if velocity >= ACCENT_VELOCITY:
        return "accent"
    return "normal"


@dataclass(frozen=True, slots=True)
class ProDrumNote:
    """One pro-drums gem.

    Attributes
    ----------
    tick : int
        Position in ticks.
    pad : Pad
        Colour.
    cymbal : bool
        Cymbal (True) or tom/snare/kick (False).
    dynamic : str
        ``"normal"``, ``"ghost"`` or ``"accent"``.
    lane : int
        The chart lane the gem came from.
    velocity : int
        The chart velocity, 1..127.
    """

    tick: int
    pad: Pad
    cymbal: bool
    dynamic: str
    lane: int
    velocity: int


@dataclass(frozen=True, slots=True)
class DrumGem:
    """A pro-drums gem read from a file.

    Attributes
    ----------
    difficulty : str
        ``"expert"``, ``"hard"``, ``"medium"`` or ``"easy"``.
    tick : int
        Position, ticks.
    time_s : float
        Position, seconds.
    pad : Pad
        Colour.
    cymbal : bool
        Cymbal or not.
    dynamic : str
        ``"normal"``, ``"ghost"`` or ``"accent"``.
    """

    difficulty: str
    tick: int
    time_s: float
    pad: Pad
    cymbal: bool
    dynamic: str

    @property
    def lane(self) -> int:
        """The lane this gem stands for when nothing collided (see :func:`lane_of_gem`)."""
        return lane_of_gem(self.pad, self.cymbal)


def _assign(lanes: Sequence[int]) -> dict[int, tuple[Pad, bool] | None]:
    """Gems for the lanes hit at one tick."""
    taken: set[Pad] = set()
    out: dict[int, tuple[Pad, bool] | None] = {}
    # cymbals, kick and snare keep their gem; toms go last, high to low
    for lane in sorted(lanes, key=lambda ln: (ln in _TOM_FALLBACK, ln)):
        pad, cym = PRIMARY_GEMS[lane]
        if pad not in taken:
            taken.add(pad)
            out[lane] = (pad, cym)
            continue
        for alt in _TOM_FALLBACK.get(lane, ()):
            if alt not in taken:
                taken.add(alt)
                out[lane] = (alt, False)
                break
        else:
            out[lane] = None
    return out


def _by_tick(hits: Sequence[ChartHit], timeline: Timeline) -> dict[int, dict[int, ChartHit]]:
    """Hits per tick per lane; two hits of one lane on one tick keep the louder."""
    out: dict[int, dict[int, ChartHit]] = defaultdict(dict)
    for h in hits:
        tick = timeline.tick_at(h.time_s)
        cur = out[tick].get(h.lane)
        if cur is None or h.velocity > cur.velocity:
            out[tick][h.lane] = h
    return out


def pro_drum_notes(
    difficulties: Mapping[str, Sequence[ChartHit]], timeline: Timeline
) -> tuple[dict[str, tuple[ProDrumNote, ...]], int]:
    """The pro-drums gems of each difficulty.

    Parameters
    ----------
    difficulties : mapping of str to sequence of ChartHit
        The chart's levels; ``"expert"`` decides the tom/cymbal colours at each tick.
    timeline : Timeline
        Seconds -> ticks.

    Returns
    -------
    notes : dict of str to tuple of ProDrumNote
        Per level, sorted by tick, then pad.
    dropped : int
        Notes (over all levels) that found no free colour.
    """
    expert = _by_tick(difficulties.get("expert", ()), timeline)
    master: dict[tuple[int, int], tuple[Pad, bool] | None] = {}
    for tick, lanes in expert.items():
        for lane, gem in _assign(list(lanes)).items():
            master[(tick, lane)] = gem
    out: dict[str, tuple[ProDrumNote, ...]] = {}
    dropped = 0
    for name, hits in difficulties.items():
        notes: list[ProDrumNote] = []
        for tick, lanes in _by_tick(hits, timeline).items():
            if all((tick, ln) in master for ln in lanes):
                gems = {ln: master[(tick, ln)] for ln in lanes}
            else:  # a level that is not a subset of expert: colour it on its own
                gems = _assign(list(lanes))
            used: set[Pad] = set()
            for lane, h in sorted(lanes.items()):
                gem = gems[lane]
                if gem is None or gem[0] in used:
                    dropped += 1
                    continue
                used.add(gem[0])
                notes.append(
                    ProDrumNote(tick, gem[0], gem[1], dynamic_of(lane, h.velocity), lane, h.velocity)
                )
        out[name] = tuple(sorted(notes, key=lambda n: (n.tick, n.pad)))
    return out, dropped
