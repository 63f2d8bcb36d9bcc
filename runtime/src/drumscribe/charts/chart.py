"""The typed chart (:class:`Chart`) and :func:`build_chart`, transcription -> JSON chart v1.

Building a chart: estimate (or take) the tempo map and beat grid
(:func:`~drumscribe.charts.beat_tracking.estimate_tempo`), quantise the hits
(:func:`~drumscribe.charts.quantize.quantize`), then make the difficulty levels by
reduction (:func:`~drumscribe.charts.difficulty.build_difficulties`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from drumscribe.charts.beat_tracking import estimate_tempo
from drumscribe.charts.difficulty import build_difficulties
from drumscribe.charts.quantize import DEFAULT_TOLERANCE_S, parse_grid, quantize
from drumscribe.charts.records import (
    DIFFICULTIES,
    Beat,
    ChartHit,
    QuantizeReport,
    TempoSegment,
    TimeSignature,
)
from drumscribe.charts.tempo import TempoMap
from drumscribe.contract import LANES
from drumscribe.errors import ChartError
from drumscribe.hits import TranscriptionRecord

__all__ = ["CHART_FORMAT", "CHART_VERSION", "Chart", "build_chart", "chart_from_transcription", "hit_to_dict"]

CHART_FORMAT = "drumscribe-chart"
CHART_VERSION = 1


@dataclass(frozen=True)
class Chart:
    """A drum chart: tempo map, beat grid and difficulty levels of 8-lane notes.

    Attributes
    ----------
    duration_s : float
        Length of the audio, seconds.
    tempo_map : TempoMap
        Tempo segments; the first starts on the first beat.
    beats : tuple of Beat
        The beat grid, sorted by time.
    difficulties : dict of str to tuple of ChartHit
        ``"expert"`` always, then any of ``"hard"``, ``"medium"``, ``"easy"``; notes sorted
        by time, then lane.
    time_signature : TimeSignature
        Nominal bar length.
    quantization : QuantizeReport or None
        What quantisation did, when known.
    audio_file : str or None
        File name of the audio (no folders).
    audio_sha256 : str or None
        SHA-256 of the audio file, 64 lowercase hex digits.
    model : dict
        What made the chart (free-form).
    """

    duration_s: float
    tempo_map: TempoMap
    beats: tuple[Beat, ...]
    difficulties: Mapping[str, tuple[ChartHit, ...]]
    time_signature: TimeSignature = field(default_factory=TimeSignature)
    quantization: QuantizeReport | None = None
    audio_file: str | None = None
    audio_sha256: str | None = None
    model: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "expert" not in self.difficulties:
            raise ValueError("a chart needs an 'expert' difficulty")
        for name in self.difficulties:
            if name not in DIFFICULTIES:
                raise ValueError(f"unknown difficulty {name!r}")
        ordered = {k: tuple(self.difficulties[k]) for k in DIFFICULTIES if k in self.difficulties}
        object.__setattr__(self, "difficulties", ordered)
        object.__setattr__(self, "beats", tuple(self.beats))

    def hits(self, difficulty: str = "expert") -> tuple[ChartHit, ...]:
        """Notes of one difficulty level."""
        try:
            return self.difficulties[difficulty]
        except KeyError:
            raise KeyError(
                f"this chart has no {difficulty!r} level; it has {', '.join(self.difficulties)}"
            ) from None

    @property
    def title(self) -> str:
        """A display name: the audio file's stem, else ``"drumscribe chart"``."""
        return Path(self.audio_file).stem if self.audio_file else "drumscribe chart"

    @property
    def end_s(self) -> float:
        """The later of the duration and the last note, seconds."""
        last = max((h.time_s for hs in self.difficulties.values() for h in hs), default=0.0)
        return max(self.duration_s, last)

    def to_dict(self, *, hits: bool = True) -> dict[str, Any]:
        """The chart as a JSON chart v1 object (valid against ``chart.schema.json``).

        Parameters
        ----------
        hits : bool
            False leaves every difficulty's ``hits`` empty (the JSON writer turns the hits
            into objects a piece at a time, :func:`hit_to_dict`, to keep its memory flat).
        """
        out: dict[str, Any] = {
            "format": CHART_FORMAT,
            "version": CHART_VERSION,
            "lanes": [{"index": ln.index, "name": ln.name, "gm_note": ln.gm_note} for ln in LANES],
            "duration_s": round(float(self.duration_s), 6),
            "audio": {"file": self.audio_file, "sha256": self.audio_sha256},
            "model": _jsonable(dict(self.model)),
            "time_signature": {
                "numerator": self.time_signature.numerator,
                "denominator": self.time_signature.denominator,
            },
            "tempo_map": self.tempo_map.to_list(),
            "beats": [{"time_s": round(b.time_s, 6) + 0.0, "downbeat": bool(b.downbeat)} for b in self.beats],
        }
        if self.quantization is not None:
            q = self.quantization
            out["quantization"] = {
                "grid": q.grid,
                "tolerance_s": round(float(q.tolerance_s), 6),
                "snapped": int(q.snapped),
                "kept": int(q.kept),
                "max_shift_s": round(float(q.max_shift_s), 6),
            }
        out["difficulties"] = {
            name: {"hits": [hit_to_dict(h) for h in track] if hits else []}
            for name, track in self.difficulties.items()
        }
        return out


def hit_to_dict(h: ChartHit) -> dict[str, Any]:
    """One hit as its JSON chart v1 object (times rounded to the microsecond)."""
    # + 0.0 turns a rounded -0.0 into 0.0 (JSON would say "-0.0")
    d: dict[str, Any] = {"time_s": round(h.time_s, 6) + 0.0, "lane": h.lane, "velocity": h.velocity}
    if h.raw_time_s is not None:
        d["raw_time_s"] = round(h.raw_time_s, 6) + 0.0
    if h.beat is not None:
        d["beat"] = round(h.beat, 6) + 0.0
    return d


def _jsonable(value: Any) -> Any:
    """A JSON-safe copy: numpy scalars become numbers, NaN/inf None, other objects strings."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return _jsonable(item())
        except (TypeError, ValueError):
            pass
    return str(value)


def chart_from_transcription(
    transcription: TranscriptionRecord,
    *,
    bpm: float | None = None,
    offset_s: float | None = None,
    tempo_map: TempoMap | Sequence[TempoSegment] | str | os.PathLike[str] | None = None,
    grid: str | Sequence[str] | None = "1/16",
    tolerance: float = DEFAULT_TOLERANCE_S,
    difficulties: Sequence[str] = DIFFICULTIES,
    beats_per_bar: int = 4,
    tempo_source: Literal["auto", "hits", "activations"] = "auto",
) -> Chart:
    """Build a :class:`Chart` from a transcription (see :func:`build_chart` for options).

    Raises
    ------
    ChartError
        On an option out of range (bpm, offset, grid, tolerance, difficulties, ...) or a
        bad tempo-map file; the message names the problem.
    """
    try:
        parse_grid(grid)
        est = estimate_tempo(
            transcription,
            bpm=bpm,
            offset_s=offset_s,
            tempo_map=tempo_map,
            beats_per_bar=beats_per_bar,
            source=tempo_source,
        )
        expert_raw, report = quantize(transcription.hits, est.tempo_map, grid=grid, tolerance=tolerance)
        levels = build_difficulties(expert_raw, tempo_map=est.tempo_map, levels=difficulties)
    except (ValueError, TypeError) as exc:
        raise ChartError(f"{transcription.source or 'chart'}: {exc}") from exc
    sha = transcription.audio_sha256
    return Chart(
        duration_s=float(transcription.duration_s),
        tempo_map=est.tempo_map,
        beats=est.beats,
        difficulties=levels,
        time_signature=TimeSignature(numerator=beats_per_bar, denominator=4),
        quantization=report,
        audio_file=Path(transcription.source).name if transcription.source else None,
        audio_sha256=sha.lower() if sha else None,
        model=dict(transcription.model_info),
    )


def build_chart(
    transcription: TranscriptionRecord,
    *,
    bpm: float | None = None,
    offset_s: float | None = None,
    tempo_map: TempoMap | Sequence[TempoSegment] | str | os.PathLike[str] | None = None,
    grid: str | Sequence[str] | None = "1/16",
    tolerance: float = DEFAULT_TOLERANCE_S,
    difficulties: Sequence[str] = DIFFICULTIES,
    beats_per_bar: int = 4,
    tempo_source: Literal["auto", "hits", "activations"] = "auto",
) -> dict[str, Any]:
    """Build the JSON chart v1 of a transcription.

    Parameters
    ----------
    transcription : TranscriptionRecord
        Hits (and optionally activations) of one piece of audio.
    bpm : float, optional
        Constant tempo, beats per minute, instead of estimating it.
    offset_s : float, optional
        Time of the first beat, seconds.
    tempo_map : TempoMap, sequence of TempoSegment, or path, optional
        A whole tempo map (list of segments or a JSON/CSV file); excludes ``bpm`` and
        ``offset_s``.
    grid : str, sequence of str, or None
        Quantisation grid, ``"1/4"`` .. ``"1/32"``, triplets ``"1/12"``, ``"1/24"``, or
        several joined by ``+``; None to keep transcribed times.
    tolerance : float
        Largest quantisation shift, seconds (default 0.04).
    difficulties : sequence of str
        Levels to include; ``"expert"`` is required.
    beats_per_bar : int
        Bar length in beats (time signature numerator over 4).
    tempo_source : {"auto", "hits", "activations"}
        What tempo estimation listens to.

    Returns
    -------
    dict
        A JSON chart v1 object, valid against ``bindings/chart.schema.json``.
    """
    return chart_from_transcription(
        transcription,
        bpm=bpm,
        offset_s=offset_s,
        tempo_map=tempo_map,
        grid=grid,
        tolerance=tolerance,
        difficulties=difficulties,
        beats_per_bar=beats_per_bar,
        tempo_source=tempo_source,
    ).to_dict()
