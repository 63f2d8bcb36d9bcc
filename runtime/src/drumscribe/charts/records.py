"""Frozen records shared by the chart modules: tempo segments, beats, chart hits, reports.

Every event is a named, frozen dataclass (no positional tuples). Times are seconds from
the start of the audio, beat positions are in beats (quarter notes in x/4) counted from
the first beat of the tempo map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from drumscribe.contract import LANES

__all__ = [
    "DIFFICULTIES",
    "Beat",
    "ChartHit",
    "QuantizeReport",
    "TempoSegment",
    "TimeSignature",
]

#: Difficulty names, hardest first (the order the JSON chart and the game formats use).
DIFFICULTIES: tuple[str, ...] = ("expert", "hard", "medium", "easy")


def _finite(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


@dataclass(frozen=True, slots=True)
class TempoSegment:
    """A constant-tempo stretch of the tempo map, lasting until the next segment.

    Attributes
    ----------
    time_s : float
        Start of the segment in seconds, >= 0.
    bpm : float
        Tempo in beats (quarter notes) per minute, in (0, 1000].
    beat : float
        Beat position where the segment starts (0 for the first segment), >= 0.
    """

    time_s: float
    bpm: float
    beat: float = 0.0

    def __post_init__(self) -> None:
        _finite("TempoSegment.time_s", self.time_s)
        _finite("TempoSegment.bpm", self.bpm)
        _finite("TempoSegment.beat", self.beat)
        if not 0.0 <= self.time_s <= 86400.0:
            raise ValueError(f"TempoSegment.time_s must be in 0..86400 s, got {self.time_s!r}")
        if not 0.0 < self.bpm <= 1000.0:
            raise ValueError(f"TempoSegment.bpm must be in (0, 1000], got {self.bpm!r}")
        if not 0.0 <= self.beat <= 1_000_000.0:
            raise ValueError(f"TempoSegment.beat must be in 0..1e6, got {self.beat!r}")

    @property
    def period_s(self) -> float:
        """Length of one beat in seconds."""
        return 60.0 / self.bpm


@dataclass(frozen=True, slots=True)
class Beat:
    """One beat of the beat grid.

    Attributes
    ----------
    time_s : float
        Time of the beat in seconds.
    downbeat : bool
        True on the first beat of a bar.
    """

    time_s: float
    downbeat: bool = False

    def __post_init__(self) -> None:
        _finite("Beat.time_s", self.time_s)
        if self.time_s < 0:
            raise ValueError(f"Beat.time_s must be >= 0, got {self.time_s!r}")


@dataclass(frozen=True, slots=True)
class TimeSignature:
    """The chart's nominal time signature (bar length of the beat grid).

    Attributes
    ----------
    numerator : int
        Beats per bar, 1..32.
    denominator : int
        Note value of one beat: 1, 2, 4, 8, 16 or 32.
    """

    numerator: int = 4
    denominator: int = 4

    def __post_init__(self) -> None:
        if isinstance(self.numerator, bool) or not isinstance(self.numerator, int):
            raise ValueError(f"time signature numerator must be an integer, got {self.numerator!r}")
        if not 1 <= self.numerator <= 32:
            raise ValueError(f"time signature numerator must be 1..32, got {self.numerator}")
        if self.denominator not in (1, 2, 4, 8, 16, 32):
            raise ValueError(
                f"time signature denominator must be 1, 2, 4, 8, 16 or 32, got {self.denominator!r}"
            )


@dataclass(frozen=True, slots=True, order=True)
class ChartHit:
    """One note of a chart.

    Ordering sorts by time, then lane.

    Attributes
    ----------
    time_s : float
        Chart time in seconds (on the grid when quantised).
    lane : int
        Lane index 0..7 (see :data:`drumscribe.contract.LANES`).
    velocity : int
        MIDI velocity 1..127.
    raw_time_s : float or None
        The transcribed time before quantisation, seconds.
    beat : float or None
        Beat position of :attr:`time_s` on the tempo map; None before the first beat.
    """

    time_s: float
    lane: int
    velocity: int = 100
    raw_time_s: float | None = None
    beat: float | None = None

    def __post_init__(self) -> None:
        _finite("ChartHit.time_s", self.time_s)
        if not 0.0 <= self.time_s <= 86400.0:
            raise ValueError(f"ChartHit.time_s must be in 0..86400 s, got {self.time_s!r}")
        if isinstance(self.lane, bool) or not isinstance(self.lane, int) or not 0 <= self.lane < len(LANES):
            raise ValueError(f"ChartHit.lane must be an integer 0..{len(LANES) - 1}, got {self.lane!r}")
        if (
            isinstance(self.velocity, bool)
            or not isinstance(self.velocity, int)
            or not 1 <= self.velocity <= 127
        ):
            raise ValueError(f"ChartHit.velocity must be an integer 1..127, got {self.velocity!r}")
        if self.raw_time_s is not None:
            _finite("ChartHit.raw_time_s", self.raw_time_s)
            if not 0.0 <= self.raw_time_s <= 86400.0:
                raise ValueError(f"ChartHit.raw_time_s must be in 0..86400 s, got {self.raw_time_s!r}")
        if self.beat is not None:
            _finite("ChartHit.beat", self.beat)
            if self.beat < 0:
                raise ValueError(f"ChartHit.beat must be >= 0, got {self.beat!r}")

    @property
    def drum(self) -> str:
        """Lane name (``"kick"``, ``"snare"``, ...)."""
        return LANES[self.lane].name


@dataclass(frozen=True, slots=True)
class QuantizeReport:
    """What quantisation did.

    Attributes
    ----------
    grid : str or None
        The grid(s), e.g. ``"1/16"`` or ``"1/16+1/12"``; None when not quantised.
    tolerance_s : float
        Largest shift allowed, seconds.
    snapped : int
        Hits moved onto the grid.
    kept : int
        Hits left at their transcribed time (farther than the tolerance from the grid, or
        no grid).
    max_shift_s : float
        Largest shift applied, seconds.
    merged : int
        Hits dropped because they landed on the same grid point as a louder hit of the
        same lane (counted in ``snapped``). Not part of the JSON chart.
    """

    grid: str | None
    tolerance_s: float
    snapped: int
    kept: int
    max_shift_s: float
    merged: int = 0
