"""General MIDI of a chart: one difficulty's notes on channel 10 with the chart's tempo map."""

from __future__ import annotations

import os
from pathlib import Path

from drumscribe.charts.chart import Chart
from drumscribe.hits import DrumHit
from drumscribe.midi import write_midi

__all__ = ["write_chart_midi"]


def write_chart_midi(chart: Chart, path: str | os.PathLike[str], *, difficulty: str = "expert") -> Path:
    """Write one level of a chart as a General MIDI drum file with the tempo map.

    Parameters
    ----------
    chart : Chart
        The chart.
    path : path-like
        Output ``.mid``, written atomically.
    difficulty : str
        Which level (default ``"expert"``).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    hits = [DrumHit(time_s=h.time_s, drum=h.drum, velocity=h.velocity) for h in chart.hits(difficulty)]
    write_midi(hits, path, tempo_map=chart.tempo_map, beats=chart.beats)
    return Path(path)
