"""Quantisation: move hits onto a beat grid when they are close enough.

A grid is written ``"1/N"``: N notes per whole note in x/4, so one grid step is ``4 / N``
beats. ``"1/4"`` is quarter notes, ``"1/16"`` sixteenths, ``"1/12"`` eighth-note triplets,
``"1/24"`` sixteenth-note triplets. Several grids join with ``+`` (``"1/16+1/12"``) and a
hit goes to the nearest point of any of them. N is one of 1, 2, 3, 4, 6, 8, 12, 16, 24, 32,
48, 64: every such step is a whole number of ticks at 192 and 480 ticks per beat, so
quantised hits land exactly on ticks in the game formats.

A hit is snapped when the nearest grid point is at most ``tolerance`` seconds away; other
hits keep their transcribed time. Either way :attr:`ChartHit.raw_time_s` keeps the
transcribed time. Two hits of one lane that land on the same grid point become one (the
louder); the report counts them as ``merged``. Then hits closer than
:data:`MIN_NOTE_GAP_S` (20 ms) become one instant (:func:`merge_close_hits`): a drummer's
flam or the transcription's jitter is one chord on a chart, never two notes a few ms apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction

import numpy as np

from drumscribe.charts.records import ChartHit, QuantizeReport
from drumscribe.charts.tempo import TempoMap
from drumscribe.hits import DrumHit

__all__ = [
    "ALLOWED_DIVISIONS",
    "DEFAULT_TOLERANCE_S",
    "MIN_NOTE_GAP_S",
    "format_grid",
    "merge_close_hits",
    "parse_grid",
    "quantize",
]

#: Allowed N in ``"1/N"``.
ALLOWED_DIVISIONS: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
#: Default largest shift, seconds.
DEFAULT_TOLERANCE_S = 0.04
#: Hits closer than this are one instant (a chord), seconds; scan-chart flags notes
#: 15 ms or less apart as ``brokenNote``.
MIN_NOTE_GAP_S = 0.02


def parse_grid(grid: str | Sequence[str] | None) -> tuple[Fraction, ...]:
    """Grid steps in beats.

    Parameters
    ----------
    grid : str, sequence of str, or None
        ``"1/16"``, ``"1/16+1/12"``, ``["1/16", "1/12"]``, or None for no grid.

    Returns
    -------
    tuple of fractions.Fraction
        Step of each grid in beats (empty for None), sorted, without repeats.

    Raises
    ------
    ValueError
        On a malformed grid or an N not in :data:`ALLOWED_DIVISIONS`.
    """
    if grid is None:
        return ()
    parts = grid.split("+") if isinstance(grid, str) else [p for g in grid for p in g.split("+")]
    steps: set[Fraction] = set()
    for part in parts:
        text = part.strip()
        num, sep, den = text.partition("/")
        if sep != "/" or num.strip() != "1" or not den.strip().isdigit():
            raise ValueError(f"grid {text!r} is not of the form 1/N (e.g. 1/16, 1/12)")
        n = int(den)
        if n not in ALLOWED_DIVISIONS:
            raise ValueError(
                f"grid 1/{n} is not supported; use one of " + ", ".join(f"1/{d}" for d in ALLOWED_DIVISIONS)
            )
        steps.add(Fraction(4, n))
    if not steps:
        raise ValueError("empty grid")
    return tuple(sorted(steps))


def format_grid(steps: Sequence[Fraction]) -> str | None:
    """Inverse of :func:`parse_grid`: ``(Fraction(1, 4),)`` -> ``"1/16"``."""
    if not steps:
        return None
    return "+".join(f"1/{int(Fraction(4) / s)}" for s in sorted(steps, reverse=True))


def quantize(
    hits: Sequence[DrumHit | ChartHit],
    tempo_map: TempoMap,
    *,
    grid: str | Sequence[str] | None = "1/16",
    tolerance: float = DEFAULT_TOLERANCE_S,
) -> tuple[tuple[ChartHit, ...], QuantizeReport]:
    """Snap hits to a beat grid.

    Parameters
    ----------
    hits : sequence of DrumHit or ChartHit
        The hits, any order. For a ChartHit its ``raw_time_s`` (when set) is kept as the
        raw time.
    tempo_map : TempoMap
        The beat grid's tempo map; before its first beat the first tempo is extended.
    grid : str, sequence of str, or None
        See :func:`parse_grid`; None keeps every hit where it is.
    tolerance : float
        Largest shift in seconds; hits farther from the grid are kept as they are.

    Returns
    -------
    hits : tuple of ChartHit
        Sorted by time, then lane; times rounded to 1 microsecond; ``beat`` set from the
        tempo map (None before the first beat).
    report : QuantizeReport
        Counts and the largest shift.
    """
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0 seconds, got {tolerance!r}")
    steps = parse_grid(grid)
    n = len(hits)
    times = np.array([h.time_s for h in hits], dtype=np.float64)
    lanes = [h.lane for h in hits]
    vels = [int(h.velocity) for h in hits]
    raws = [
        (h.raw_time_s if isinstance(h, ChartHit) and h.raw_time_s is not None else h.time_s) for h in hits
    ]
    new_t = times.copy()
    new_b = np.asarray(tempo_map.beat_at(times), dtype=np.float64).reshape(-1) if n else np.zeros(0)
    snapped_mask = np.zeros(n, dtype=bool)
    max_shift = 0.0
    if n and steps:
        b = new_b.copy()
        best_shift = np.full(n, np.inf)
        best_t = times.copy()
        best_b = b.copy()
        for step in steps:
            s = float(step)
            g = np.round(b / s) * s
            tg = np.asarray(tempo_map.time_at(g), dtype=np.float64).reshape(-1)
            shift = np.abs(tg - times)
            better = (shift < best_shift) & (tg >= 0)
            best_shift = np.where(better, shift, best_shift)
            best_t = np.where(better, tg, best_t)
            best_b = np.where(better, g, best_b)
        snapped_mask = best_shift <= tolerance + 1e-12
        new_t = np.where(snapped_mask, best_t, times)
        new_b = np.where(snapped_mask, best_b, b)
        if snapped_mask.any():
            max_shift = float(best_shift[snapped_mask].max())
    # build, then merge same-lane hits on the same time
    chosen: dict[tuple[float, int], ChartHit] = {}
    merged = 0
    for i in range(n):
        t = round(float(max(new_t[i], 0.0)), 6)
        beat = round(float(new_b[i]), 6)
        hit = ChartHit(
            time_s=t,
            lane=lanes[i],
            velocity=vels[i],
            raw_time_s=round(float(raws[i]), 6),
            beat=beat + 0.0 if beat >= 0 else None,  # + 0.0: no -0.0 in the JSON
        )
        key = (t, hit.lane)
        if key in chosen:
            merged += 1
            if hit.velocity > chosen[key].velocity:
                chosen[key] = hit
        else:
            chosen[key] = hit
    out, close = merge_close_hits(sorted(chosen.values(), key=lambda h: (h.time_s, h.lane)))
    merged += close
    report = QuantizeReport(
        grid=format_grid(steps),
        tolerance_s=float(tolerance),
        snapped=int(snapped_mask.sum()),
        kept=int(n - snapped_mask.sum()),
        max_shift_s=round(max_shift, 6),
        merged=merged,
    )
    return out, report


def merge_close_hits(
    hits: Sequence[ChartHit], *, window_s: float = MIN_NOTE_GAP_S
) -> tuple[tuple[ChartHit, ...], int]:
    """Make hits closer than ``window_s`` one instant (a chord), one note per lane.

    Hits are grouped in time order: a group starts at its first hit and takes every hit
    within ``window_s`` of it. The group's time is that of a hit that sits on the grid
    (``time_s != raw_time_s``; the loudest such hit) when there is one, else of its first
    hit. Within a group a lane keeps its loudest hit. So three toms transcribed 1 ms apart
    become one three-tom instant (which the difficulty rules then cut to two hands), and no
    two instants of a chart are closer than ``window_s`` (games flag notes closer than
    15 ms as broken).

    Parameters
    ----------
    hits : sequence of ChartHit
        Sorted by time.
    window_s : float
        Smallest gap between two instants, seconds (default :data:`MIN_NOTE_GAP_S`).

    Returns
    -------
    hits : tuple of ChartHit
        Sorted by time, then lane.
    merged : int
        Hits dropped (same lane in one group).
    """
    out: list[ChartHit] = []
    merged = 0
    i = 0
    ordered = sorted(hits, key=lambda h: (h.time_s, h.lane))
    while i < len(ordered):
        j = i + 1
        while j < len(ordered) and ordered[j].time_s - ordered[i].time_s <= window_s + 1e-9:
            j += 1
        group = ordered[i:j]
        i = j
        if len(group) == 1:
            out.append(group[0])
            continue
        on_grid = [h for h in group if h.raw_time_s is not None and h.raw_time_s != h.time_s]
        anchor = max(on_grid, key=lambda h: h.velocity) if on_grid else group[0]
        best: dict[int, ChartHit] = {}
        for h in group:
            if h.lane not in best or h.velocity > best[h.lane].velocity:
                best[h.lane] = h
        merged += len(group) - len(best)
        for h in best.values():
            out.append(replace(h, time_s=anchor.time_s, beat=anchor.beat))
    return tuple(sorted(out, key=lambda h: (h.time_s, h.lane))), merged
