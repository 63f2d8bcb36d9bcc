"""YARG "elite drums": ``PART ELITE_DRUMS`` in ``notes.mid``, the 8 lanes one to one.

The note layout follows YARG's own reader (YARG.Core, ``MidIOHelper`` /
``Midi_EliteDrums_Preparser`` and ``EliteDrumNote.EliteDrumPad``): each difficulty owns a
block of 24 notes starting two below its kick note

==========  ====  ===========================================================
difficulty  kick  hat pedal = kick - 2, 2x kick = kick - 1 (expert only)
==========  ====  ===========================================================
easy        2
medium      26
hard        50
expert      74
==========  ====  ===========================================================

and within a block the pads are kick +0, snare +1, hi-hat +2, left crash +3, tom 1 +4,
tom 2 +5, tom 3 +6, ride +7, right crash +8. Note ``kick + 14`` (88 on expert) is the
"indifferent hi-hat" range marker; YARG applies it to the hi-hats of every difficulty and
toggles per covering range, so exactly one is written, spanning the whole song.

drumscribe's lanes map directly:

=========  ======================  =================
lane       elite pad               expert note
=========  ======================  =================
kick       kick                    74
snare      snare                   75
hihat      hi-hat (indifferent)    76
hi_tom     tom 1                   78
mid_tom    tom 2                   79
low_tom    tom 3                   80
ride       ride                    81
crash      right crash             82
=========  ======================  =================

The left crash and the hat pedal stay unused (the transcriber has one crash lane and no
pedal lane); the crash goes to the right crash because YARG's 4-lane down-chart turns the
right crash into the green cymbal, which is where drumscribe's PART DRUMS puts it. The
hi-hat is written "indifferent" (any hi-hat input scores) because the model does not tell
open from closed. Velocity 1 / 127 mark ghost / accent notes (with
``[ENABLE_CHART_DYNAMICS]``), as in PART DRUMS; the kick carries no dynamics.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mido

from drumscribe.charts.midi_events import MidiNote, MidiText, MidiTrackData, make_track
from drumscribe.charts.pro_drums import dynamic_of
from drumscribe.charts.timeline import Timeline
from drumscribe.contract import LANE_NAMES, lane_index
from drumscribe.errors import ChartError

if TYPE_CHECKING:
    from drumscribe.charts.chart import Chart

__all__ = [
    "ELITE_KICK_NOTE",
    "ELITE_LANE_OFFSET",
    "ELITE_PAD_NAMES",
    "ELITE_TRACK_NAME",
    "INDIFFERENT_HAT_OFFSET",
    "EliteGem",
    "elite_drums_track",
    "parse_elite_track",
]

ELITE_TRACK_NAME = "PART ELITE_DRUMS"
#: Kick note of each difficulty.
ELITE_KICK_NOTE: dict[str, int] = {"easy": 2, "medium": 26, "hard": 50, "expert": 74}
#: Offset from the kick note of each elite pad (YARG's EliteDrumPad order).
ELITE_PAD_OFFSET: dict[str, int] = {
    "hat_pedal": -2,
    "kick": 0,
    "snare": 1,
    "hihat": 2,
    "left_crash": 3,
    "tom1": 4,
    "tom2": 5,
    "tom3": 6,
    "ride": 7,
    "right_crash": 8,
}
ELITE_PAD_NAMES: tuple[str, ...] = tuple(ELITE_PAD_OFFSET)
#: Elite pad of each drumscribe lane.
LANE_TO_ELITE_PAD: dict[int, str] = {
    lane_index("kick"): "kick",
    lane_index("snare"): "snare",
    lane_index("hihat"): "hihat",
    lane_index("hi_tom"): "tom1",
    lane_index("mid_tom"): "tom2",
    lane_index("low_tom"): "tom3",
    lane_index("ride"): "ride",
    lane_index("crash"): "right_crash",
}
_ELITE_PAD_TO_LANE = {pad: lane for lane, pad in LANE_TO_ELITE_PAD.items()}
#: Offset from the kick note of each lane index.
ELITE_LANE_OFFSET: dict[int, int] = {lane: ELITE_PAD_OFFSET[pad] for lane, pad in LANE_TO_ELITE_PAD.items()}
#: Offset of the "indifferent hi-hat" marker from the kick note.
INDIFFERENT_HAT_OFFSET = 14
DOUBLE_KICK_OFFSET = -1
_DYNAMICS_EVENT = "[ENABLE_CHART_DYNAMICS]"


@dataclass(frozen=True, slots=True)
class EliteGem:
    """An elite-drums note read from a file.

    Attributes
    ----------
    difficulty : str
        ``"expert"``, ``"hard"``, ``"medium"`` or ``"easy"``.
    tick : int
        Position, ticks.
    time_s : float
        Position, seconds.
    pad : str
        Elite pad name (see :data:`ELITE_PAD_NAMES`).
    dynamic : str
        ``"normal"``, ``"ghost"`` or ``"accent"``.
    hat_indifferent : bool
        For hi-hats: inside an "indifferent hi-hat" marker.
    """

    difficulty: str
    tick: int
    time_s: float
    pad: str
    dynamic: str
    hat_indifferent: bool = False

    @property
    def lane(self) -> int | None:
        """The drumscribe lane of this pad (None for the left crash and hat pedal)."""
        return _ELITE_PAD_TO_LANE.get(self.pad)

    @property
    def drum(self) -> str | None:
        """Lane name, or None."""
        lane = self.lane
        return None if lane is None else LANE_NAMES[lane]


def elite_drums_track(chart: Chart, timeline: Timeline, end_tick: int) -> mido.MidiTrack:
    """``PART ELITE_DRUMS`` for a chart (all its levels).

    Parameters
    ----------
    chart : Chart
        The chart.
    timeline : Timeline
        Seconds -> ticks of the file.
    end_tick : int
        Last tick of the song (the hi-hat marker spans 0..end_tick).
    """
    length = timeline.resolution // 8
    loudest: dict[tuple[int, int], tuple[int, int]] = {}  # (tick, pitch) -> (lane, velocity)
    for name, hits in chart.difficulties.items():
        kick = ELITE_KICK_NOTE[name]
        for h in hits:
            key = (timeline.tick_at(h.time_s), kick + ELITE_LANE_OFFSET[h.lane])
            if key not in loudest or h.velocity > loudest[key][1]:
                loudest[key] = (h.lane, h.velocity)
    raw = {
        key: {"ghost": 1, "accent": 127}.get(dynamic_of(lane, vel), 100)
        for key, (lane, vel) in loudest.items()
    }
    by_pitch: dict[int, list[int]] = defaultdict(list)
    for tick, pitch in raw:
        by_pitch[pitch].append(tick)
    notes = []
    for pitch, ticks in by_pitch.items():
        ticks.sort()
        for i, t in enumerate(ticks):
            end = t + length
            if i + 1 < len(ticks):
                end = min(end, ticks[i + 1])
            notes.append(MidiNote(t, max(t + 1, end), pitch, raw[(t, pitch)]))
    marker = ELITE_KICK_NOTE["expert"] + INDIFFERENT_HAT_OFFSET
    notes.append(MidiNote(0, max(1, end_tick), marker, 100))
    return make_track(ELITE_TRACK_NAME, notes=notes, texts=[MidiText(0, _DYNAMICS_EVENT)])


def _known_elite_note(note: int) -> tuple[str, str] | None:
    """(difficulty, role) of a note: role is a pad name, "2x_kick" or "hat_marker"."""
    for diff, kick in ELITE_KICK_NOTE.items():
        off = note - kick
        for pad, o in ELITE_PAD_OFFSET.items():
            if off == o:
                return diff, pad
        if off == DOUBLE_KICK_OFFSET and diff == "expert":
            return diff, "2x_kick"
        if off == INDIFFERENT_HAT_OFFSET:
            return diff, "hat_marker"
    return None


def parse_elite_track(trk: MidiTrackData, timeline: Timeline, where: str) -> dict[str, tuple[EliteGem, ...]]:
    """Elite-drums notes of a ``PART ELITE_DRUMS`` track, per difficulty.

    Raises
    ------
    ChartError
        On a note the elite layout does not define (overdrive 116, fills 120-124 and
        rolls 126/127 are allowed and skipped).
    """
    allowed_specials = {103, 116, *range(120, 125), 126, 127}
    markers: list[MidiNote] = []
    pads: list[tuple[MidiNote, str, str]] = []
    for n in trk.notes:
        role = _known_elite_note(n.note)
        if role is None:
            if n.note in allowed_specials:
                continue
            raise ChartError(
                f"{where}: {ELITE_TRACK_NAME}: note {n.note} at tick {n.tick} is not an elite drums note"
            )
        diff, what = role
        if what == "hat_marker":
            markers.append(n)
        else:
            pads.append((n, diff, "kick" if what == "2x_kick" else what))
    dynamics = any(t.text.strip() in (_DYNAMICS_EVENT, _DYNAMICS_EVENT[1:-1]) for t in trk.texts)
    out: dict[str, list[EliteGem]] = defaultdict(list)
    for n, diff, pad in pads:
        covering = sum(1 for m in markers if m.tick <= n.tick < m.end_tick)
        dyn = "normal"
        if dynamics and pad != "kick":
            dyn = {1: "ghost", 127: "accent"}.get(n.velocity, "normal")
        out[diff].append(
            EliteGem(diff, n.tick, timeline.time_at(n.tick), pad, dyn, pad == "hihat" and covering % 2 == 1)
        )
    return {d: tuple(sorted(g, key=lambda x: (x.tick, ELITE_PAD_OFFSET[x.pad]))) for d, g in out.items()}
