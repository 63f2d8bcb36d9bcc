"""Tempo maps: seconds <-> beats, the beat grid, and tempo maps from files.

A :class:`TempoMap` is a sorted sequence of :class:`~drumscribe.charts.records.TempoSegment`
(start time, bpm, beat position). Beat positions are continuous: segment ``k + 1`` starts at
the beat where segment ``k`` arrives at that time. Before the first segment the first tempo
is extrapolated (beat positions there are negative).

A tempo map file is either

* JSON: a list of ``{"time_s": .., "bpm": .., "beat": ..}`` objects (``beat`` optional), or
  an object with a ``"tempo_map"`` list (so a drumscribe JSON chart works as a tempo map);
* CSV: columns ``time_s,bpm[,beat]`` with or without that header line; ``#`` starts a
  comment.

Missing ``beat`` values are computed from the segments before them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from drumscribe.charts.records import Beat, TempoSegment
from drumscribe.errors import ChartError

__all__ = ["BEAT_CONSISTENCY_TOLERANCE", "TempoMap", "load_tempo_map", "tempo_map_from"]

#: Largest allowed disagreement (beats) between a segment's ``beat`` and the beat the
#: previous segment reaches at that time.
BEAT_CONSISTENCY_TOLERANCE = 0.01


@dataclass(frozen=True, slots=True)
class TempoMap:
    """A piecewise-constant tempo map.

    Attributes
    ----------
    segments : tuple of TempoSegment
        At least one; strictly increasing ``time_s``; ``beat`` consistent with the
        tempo of the segment before (within :data:`BEAT_CONSISTENCY_TOLERANCE`).
    """

    segments: tuple[TempoSegment, ...]
    #: (times_s, bpm, beat) of the segments as arrays, made once: the queries are vectorised
    #: and a per-hit query costs O(log segments), not O(segments).
    _arrays: tuple[np.ndarray, np.ndarray, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        segs = tuple(self.segments)
        object.__setattr__(self, "segments", segs)
        if not segs:
            raise ValueError("a tempo map needs at least one segment")
        arrays = tuple(
            np.array([getattr(s, k) for s in segs], dtype=np.float64) for k in ("time_s", "bpm", "beat")
        )
        object.__setattr__(self, "_arrays", arrays)
        for k in range(1, len(segs)):
            prev, cur = segs[k - 1], segs[k]
            if not cur.time_s > prev.time_s:
                raise ValueError(
                    f"tempo map segment {k}: time_s {cur.time_s} is not after segment {k - 1} "
                    f"({prev.time_s}); times must strictly increase"
                )
            expect = prev.beat + (cur.time_s - prev.time_s) * prev.bpm / 60.0
            if abs(expect - cur.beat) > BEAT_CONSISTENCY_TOLERANCE:
                raise ValueError(
                    f"tempo map segment {k}: beat {cur.beat} disagrees with segment {k - 1}, "
                    f"which reaches beat {expect:.4f} at {cur.time_s} s"
                )

    # -- construction -----------------------------------------------------------------
    @classmethod
    def constant(cls, bpm: float, *, offset_s: float = 0.0) -> TempoMap:
        """One segment of ``bpm`` beats per minute whose first beat is at ``offset_s``."""
        return cls((TempoSegment(time_s=float(offset_s), bpm=float(bpm), beat=0.0),))

    @classmethod
    def from_points(cls, times_s: Sequence[float], bpms: Sequence[float]) -> TempoMap:
        """Build a map from segment start times and tempi, computing the beat positions."""
        if len(times_s) != len(bpms) or not len(times_s):
            raise ValueError("from_points needs as many tempi as start times, at least one")
        segs = [TempoSegment(time_s=float(times_s[0]), bpm=float(bpms[0]), beat=0.0)]
        for t, b in zip(times_s[1:], bpms[1:], strict=True):
            prev = segs[-1]
            beat = prev.beat + (float(t) - prev.time_s) * prev.bpm / 60.0
            segs.append(TempoSegment(time_s=float(t), bpm=float(b), beat=beat))
        return cls(tuple(segs))

    # -- queries ----------------------------------------------------------------------
    @property
    def first_beat_s(self) -> float:
        """Time of the map's first beat (the offset), seconds."""
        return self.segments[0].time_s

    @property
    def times_s(self) -> np.ndarray:
        """Segment start times, shape (segments,), seconds."""
        return self._arrays[0].copy()

    def _index_for_time(self, t: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self._arrays[0], t, side="right") - 1
        return np.clip(idx, 0, len(self.segments) - 1)

    def beat_at(self, time_s: float | np.ndarray) -> Any:
        """Beat position at a time (negative before the first beat).

        Parameters
        ----------
        time_s : float or numpy.ndarray
            Time(s) in seconds.

        Returns
        -------
        float or numpy.ndarray
            Beat position(s), same shape as ``time_s``.
        """
        t = np.asarray(time_s, dtype=np.float64)
        idx = self._index_for_time(t)
        times, bpms, beats = self._arrays
        start, bpm, beat0 = times[idx], bpms[idx], beats[idx]
        out = beat0 + (t - start) * bpm / 60.0
        return float(out) if out.ndim == 0 else out

    def time_at(self, beat: float | np.ndarray) -> Any:
        """Time in seconds of a beat position (inverse of :meth:`beat_at`)."""
        b = np.asarray(beat, dtype=np.float64)
        times, bpms, beats = self._arrays
        idx = np.clip(np.searchsorted(beats, b, side="right") - 1, 0, len(self.segments) - 1)
        out = times[idx] + (b - beats[idx]) * 60.0 / bpms[idx]
        return float(out) if out.ndim == 0 else out

    def bpm_at(self, time_s: float) -> float:
        """Tempo in force at a time, beats per minute."""
        return self.segments[int(self._index_for_time(np.asarray(time_s)))].bpm

    def beat_times(self, end_s: float) -> np.ndarray:
        """Times of the integer beats from the first beat up to ``end_s`` inclusive.

        Returns
        -------
        numpy.ndarray
            Shape (beats,), seconds, increasing.
        """
        first = self.segments[0].beat
        last = math.floor(float(self.beat_at(max(end_s, self.first_beat_s))) + 1e-9)
        k = np.arange(math.ceil(first - 1e-9), last + 1, dtype=np.float64)
        return np.asarray(self.time_at(k), dtype=np.float64).reshape(-1)

    def beats(self, end_s: float, *, beats_per_bar: int = 4, downbeat_phase: int = 0) -> tuple[Beat, ...]:
        """The beat grid up to ``end_s``: integer beats, every ``beats_per_bar``-th a downbeat.

        Parameters
        ----------
        end_s : float
            Last time to cover, seconds.
        beats_per_bar : int
            Bar length in beats.
        downbeat_phase : int
            Beat index (from the map's first beat) of the first downbeat, modulo the bar.
        """
        times = self.beat_times(end_s)
        return tuple(
            Beat(time_s=round(float(t), 6), downbeat=(k - downbeat_phase) % beats_per_bar == 0)
            for k, t in enumerate(times)
        )

    def shifted_to(self, offset_s: float) -> TempoMap:
        """This map moved in time (by less than one beat) so that a beat falls on ``offset_s``,
        then cut to start there (``offset_s`` becomes beat 0)."""
        b = float(self.beat_at(offset_s))
        delta_beats = b - round(b)
        bpm = self.bpm_at(offset_s)
        delta_s = delta_beats * 60.0 / bpm  # move the map so the nearest beat lands on offset
        moved = [(s.time_s + delta_s, s.bpm, s.beat) for s in self.segments]
        # keep the segment in force at offset_s and all later ones
        idx = 0
        for k, (t, _, _) in enumerate(moved):
            if t <= offset_s + 1e-9:
                idx = k
        t0, bpm0, beat0 = moved[idx]
        base = beat0 + (offset_s - t0) * bpm0 / 60.0
        segs = [TempoSegment(time_s=float(offset_s), bpm=bpm0, beat=0.0)]
        for t, bpm_k, beat_k in moved[idx + 1 :]:
            if t > offset_s + 1e-6 and t <= 86400.0:
                segs.append(TempoSegment(time_s=float(t), bpm=bpm_k, beat=max(0.0, beat_k - base)))
        return TempoMap(tuple(segs))

    def to_list(self) -> list[dict[str, float]]:
        """The segments as JSON-ready dicts (``time_s``, ``bpm``, ``beat``), rounded to 1e-6."""
        return [
            # + 0.0 turns a rounded -0.0 into 0.0 (JSON readers show "-0.0")
            {"time_s": round(s.time_s, 6) + 0.0, "bpm": round(s.bpm, 6), "beat": round(s.beat, 6) + 0.0}
            for s in self.segments
        ]


def _segments_from_rows(rows: Iterable[tuple[float, float, float | None]], where: str) -> TempoMap:
    segs: list[TempoSegment] = []
    for k, (t, bpm, beat) in enumerate(rows):
        if segs and not t > segs[-1].time_s:
            raise ChartError(
                f"{where}: tempo segment {k}: time {t} s is not after {segs[-1].time_s} s; times must strictly increase"
            )
        try:
            if beat is None:
                if segs:
                    prev = segs[-1]
                    beat = prev.beat + (t - prev.time_s) * prev.bpm / 60.0
                else:
                    beat = 0.0
            segs.append(TempoSegment(time_s=t, bpm=bpm, beat=beat))
        except ValueError as exc:
            raise ChartError(f"{where}: tempo segment {k}: {exc}") from None
    if not segs:
        raise ChartError(f"{where}: the tempo map is empty")
    try:
        return TempoMap(tuple(segs))
    except ValueError as exc:
        raise ChartError(f"{where}: {exc}") from None


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ChartError(f"{what} must be a number, got {value!r}")
    return float(value)


def _from_json(data: Any, where: str) -> TempoMap:
    if isinstance(data, dict):
        if "tempo_map" not in data:
            raise ChartError(f"{where}: a JSON tempo map is a list of segments or an object with 'tempo_map'")
        data = data["tempo_map"]
    if not isinstance(data, list):
        raise ChartError(f"{where}: 'tempo_map' must be a list of segments")
    rows: list[tuple[float, float, float | None]] = []
    for k, item in enumerate(data):
        if not isinstance(item, dict):
            raise ChartError(f"{where}: $.tempo_map[{k}] must be an object with time_s and bpm")
        for key in ("time_s", "bpm"):
            if key not in item:
                raise ChartError(f"{where}: $.tempo_map[{k}] lacks '{key}'")
        beat = item.get("beat")
        rows.append(
            (
                _number(item["time_s"], f"{where}: $.tempo_map[{k}].time_s"),
                _number(item["bpm"], f"{where}: $.tempo_map[{k}].bpm"),
                None if beat is None else _number(beat, f"{where}: $.tempo_map[{k}].beat"),
            )
        )
    return _segments_from_rows(rows, where)


def _from_csv(text: str, where: str) -> TempoMap:
    rows: list[tuple[float, float, float | None]] = []
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    columns: list[str] | None = None
    for lineno, rec in enumerate(reader, start=1):
        cells = [c.strip() for c in rec]
        if columns is None and lineno == 1 and cells and not _is_number(cells[0]):
            columns = [c.lower() for c in cells]
            if "time_s" not in columns or "bpm" not in columns:
                raise ChartError(f"{where}: CSV header must name time_s and bpm columns, got {cells}")
            continue
        try:
            if columns is not None:
                row = dict(zip(columns, cells, strict=False))
                t, bpm = float(row["time_s"]), float(row["bpm"])
                beat = float(row["beat"]) if row.get("beat") else None
            else:
                if len(cells) < 2:
                    raise ValueError("need at least time_s,bpm")
                t, bpm = float(cells[0]), float(cells[1])
                beat = float(cells[2]) if len(cells) > 2 and cells[2] else None
        except (ValueError, KeyError) as exc:
            raise ChartError(f"{where}: CSV row {lineno}: cannot read {cells} ({exc})") from None
        rows.append((t, bpm, beat))
    return _segments_from_rows(rows, where)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_tempo_map(path: str | os.PathLike[str]) -> TempoMap:
    """Read a tempo map from a JSON or CSV file (see the module docstring for the layout).

    Raises
    ------
    ChartError
        Naming the file and the problem: unreadable, malformed, unsorted, out of range.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChartError(f"{p}: cannot read the tempo map ({exc})") from None
    stripped = text.lstrip()
    if p.suffix.lower() == ".json" or stripped.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ChartError(
                f"{p}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
        return _from_json(data, str(p))
    return _from_csv(text, str(p))


def tempo_map_from(
    value: TempoMap | Sequence[TempoSegment] | str | os.PathLike[str],
) -> TempoMap:
    """Accept a :class:`TempoMap`, a sequence of :class:`TempoSegment`, or a file path."""
    if isinstance(value, TempoMap):
        return value
    if isinstance(value, (str, os.PathLike)):
        return load_tempo_map(value)
    segs = tuple(value)
    for k, s in enumerate(segs):
        if not isinstance(s, TempoSegment):
            raise TypeError(f"tempo_map[{k}] is {type(s).__name__}, expected TempoSegment")
    try:
        return TempoMap(segs)
    except ValueError as exc:
        raise ChartError(f"tempo_map: {exc}") from None
