"""Tick timelines for the tick-based formats (``notes.mid``, ``.chart``, General MIDI).

Game formats count time in ticks from tick 0 = 0 s, with tempo changes at ticks. The chart's
tempo map starts at its first beat, which is usually a little after 0 s; to keep the beats
on whole-beat ticks (so the games draw bar lines on the music), the timeline opens with a
*lead-in*: ``n`` beats, ``n`` the number of beats of the first tempo that fit before the
first beat (at least 1), at the tempo that makes them last exactly until the first beat.
Every tempo segment then starts at tick ``(n + beat) * resolution``. A first beat closer
to 0 s than half a tick needs no lead-in. (Estimated tempo maps never start closer to 0 s
than a quarter beat unless exactly at 0, so the lead-in tempo stays within about 4x the
first tempo; a user's tempo map is written as given.)

Each format stores tempi with limited precision (``.chart``: thousandths of a bpm; MIDI:
whole microseconds per beat). A timeline converts with the tempi *as written*, so
seconds -> tick -> seconds round-trips within one tick in every format.

Bars: time-signature events follow the chart's downbeats: a pickup bar from tick 0 to the
first downbeat (lead-in included), then one event wherever the bar length (beats between
downbeats) changes. Beats are quarter notes (denominator 4).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from drumscribe.charts.records import Beat
from drumscribe.charts.tempo import TempoMap

__all__ = [
    "TickBeat",
    "TickTempo",
    "TickTimeSignature",
    "Timeline",
    "build_timeline",
    "round_bpm_chart",
    "round_bpm_midi",
]


@dataclass(frozen=True, slots=True)
class TickTempo:
    """A tempo change at a tick.

    Attributes
    ----------
    tick : int
        Position in ticks.
    bpm : float
        Tempo as the format stores it, beats per minute.
    time_s : float
        Time of ``tick`` in seconds.
    """

    tick: int
    bpm: float
    time_s: float


@dataclass(frozen=True, slots=True)
class TickTimeSignature:
    """A time-signature change at a tick (``numerator`` beats of 1/``denominator``)."""

    tick: int
    numerator: int
    denominator: int = 4


@dataclass(frozen=True, slots=True)
class TickBeat:
    """One beat line at a tick; ``downbeat`` on the first beat of a bar."""

    tick: int
    downbeat: bool


def round_bpm_chart(bpm: float) -> float:
    """A tempo as a ``.chart`` stores it (``B`` = thousandths of a bpm)."""
    return max(1, round(bpm * 1000.0)) / 1000.0


def round_bpm_midi(bpm: float) -> float:
    """A tempo as MIDI stores it (whole microseconds per quarter note)."""
    return 60_000_000.0 / max(1, round(60_000_000.0 / bpm))


@dataclass(frozen=True)
class Timeline:
    """Ticks <-> seconds for one file.

    Attributes
    ----------
    resolution : int
        Ticks per beat.
    tempos : tuple of TickTempo
        Sorted, the first at tick 0.
    time_signatures : tuple of TickTimeSignature
        Sorted, the first at tick 0.
    lead_beats : int
        Beats before the chart's first beat (0 when it is at 0 s).
    """

    resolution: int
    tempos: tuple[TickTempo, ...]
    time_signatures: tuple[TickTimeSignature, ...]
    lead_beats: int = 0
    #: Ticks and times of the tempo events, made once (a per-hit query is a bisection).
    _ticks: list[int] = field(init=False, repr=False, compare=False)
    _times: list[float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_ticks", [t.tick for t in self.tempos])
        object.__setattr__(self, "_times", [t.time_s for t in self.tempos])

    @classmethod
    def from_tempo_events(
        cls,
        resolution: int,
        events: Sequence[tuple[int, float]],
        time_signatures: Sequence[TickTimeSignature] = (),
        *,
        lead_beats: int = 0,
    ) -> Timeline:
        """Build from ``(tick, bpm)`` pairs (sorted; a 120 bpm default fills tick 0)."""
        if resolution <= 0:
            raise ValueError(f"resolution must be > 0, got {resolution}")
        evs = sorted(events, key=lambda e: e[0])
        if not evs or evs[0][0] > 0:
            evs.insert(0, (0, 120.0))
        tempos: list[TickTempo] = []
        for tick, bpm in evs:
            if bpm <= 0 or not math.isfinite(bpm):
                raise ValueError(f"tempo at tick {tick} must be > 0 bpm, got {bpm}")
            if tempos and tick == tempos[-1].tick:
                tempos[-1] = TickTempo(tick, bpm, tempos[-1].time_s)
                continue
            if tempos:
                prev = tempos[-1]
                t = prev.time_s + (tick - prev.tick) / resolution * 60.0 / prev.bpm
            else:
                t = 0.0
            tempos.append(TickTempo(int(tick), float(bpm), t))
        ts = tuple(sorted(time_signatures, key=lambda s: s.tick)) or (TickTimeSignature(0, 4, 4),)
        if ts[0].tick != 0:
            ts = (TickTimeSignature(0, 4, 4), *ts)
        return cls(resolution, tuple(tempos), ts, lead_beats)

    def time_at(self, tick: float) -> float:
        """Seconds at a tick."""
        k = max(0, bisect.bisect_right(self._ticks, tick) - 1)
        seg = self.tempos[k]
        return seg.time_s + (tick - seg.tick) / self.resolution * 60.0 / seg.bpm

    def tick_at(self, time_s: float) -> int:
        """Nearest tick to a time (>= 0)."""
        k = max(0, bisect.bisect_right(self._times, time_s) - 1)
        seg = self.tempos[k]
        return max(0, round(seg.tick + (time_s - seg.time_s) * seg.bpm / 60.0 * self.resolution))

    def seconds_per_tick(self, tick: int) -> float:
        """Length of one tick at ``tick``, seconds."""
        seg = self.tempos[max(0, bisect.bisect_right(self._ticks, tick) - 1)]
        return 60.0 / seg.bpm / self.resolution

    def beats(self, end_tick: int) -> tuple[TickBeat, ...]:
        """Beat lines every ``resolution`` ticks from 0 to ``end_tick``, downbeats from the
        time signatures."""
        out: list[TickBeat] = []
        sigs = list(self.time_signatures)
        k = 0
        bar_start = 0
        for tick in range(0, max(0, end_tick) + 1, self.resolution):
            while k + 1 < len(sigs) and sigs[k + 1].tick <= tick:
                k += 1
                bar_start = sigs[k].tick
            beats_in = (tick - bar_start) // self.resolution
            out.append(TickBeat(tick, beats_in % sigs[k].numerator == 0))
        return tuple(out)


def _time_signatures(
    beat_ticks: Sequence[tuple[int, bool]], resolution: int, default_numerator: int, denominator: int
) -> list[TickTimeSignature]:
    downs = sorted({t for t, d in beat_ticks if d})
    if not downs:
        return [TickTimeSignature(0, default_numerator, denominator)]
    sigs: list[TickTimeSignature] = []

    def add(tick: int, num: int) -> None:
        if not 1 <= num <= 32:
            num = default_numerator
        if sigs and sigs[-1].numerator == num:
            return
        sigs.append(TickTimeSignature(tick, num, denominator))

    if downs[0] > 0:
        add(0, max(1, round(downs[0] / resolution)))
    last_full = default_numerator
    for i, tick in enumerate(downs):
        if i + 1 < len(downs):
            last_full = max(1, round((downs[i + 1] - tick) / resolution))
        add(tick, last_full)
    if sigs[0].tick != 0:
        sigs.insert(0, TickTimeSignature(0, default_numerator, denominator))
    return sigs


def build_timeline(
    tempo_map: TempoMap,
    *,
    resolution: int,
    round_bpm: Callable[[float], float] = round_bpm_midi,
    beats: Sequence[Beat] = (),
    beats_per_bar: int = 4,
) -> Timeline:
    """The tick timeline of a chart's tempo map and beat grid.

    Parameters
    ----------
    tempo_map : TempoMap
        The chart's tempo map.
    resolution : int
        Ticks per beat (192 for ``.chart``, 480 for ``.mid``).
    round_bpm : callable
        The format's tempo rounding (:func:`round_bpm_chart`, :func:`round_bpm_midi`).
    beats : sequence of Beat
        The beat grid; its downbeats place the bar lines. Empty: bars of ``beats_per_bar``
        from the first beat.
    beats_per_bar : int
        Bar length where the downbeats do not say.
    """
    seg0 = tempo_map.segments[0]
    events: list[tuple[int, float]] = []
    lead = 0
    half_tick_s = 0.5 * seg0.period_s / resolution
    if seg0.time_s > half_tick_s:  # closer to 0 s than half a tick: no lead-in needed
        lead = max(1, round(seg0.time_s / seg0.period_s))
        events.append((0, round_bpm(60.0 * lead / seg0.time_s)))
    for s in tempo_map.segments:
        tick = round((lead + s.beat - seg0.beat) * resolution)
        events.append((tick, round_bpm(s.bpm)))
    # a tempo written at a tick that an earlier one already took: keep the later
    dedup: dict[int, float] = {}
    for tick, bpm in events:
        dedup[tick] = bpm
    tempo_events = sorted(dedup.items())
    plain = Timeline.from_tempo_events(resolution, tempo_events, lead_beats=lead)
    if beats:
        positions = [float(tempo_map.beat_at(b.time_s)) for b in beats]
        beat_ticks = [
            (round(lead + p - seg0.beat) * resolution, b.downbeat)
            for p, b in zip(positions, beats, strict=True)
        ]
    else:
        beat_ticks = [((lead + k) * resolution, k % beats_per_bar == 0) for k in range(beats_per_bar + 1)]
    sigs = _time_signatures(beat_ticks, resolution, beats_per_bar, 4)
    return Timeline(resolution, plain.tempos, tuple(sigs), lead)
