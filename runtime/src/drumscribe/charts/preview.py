"""PNG preview of a chart: the 8 lanes against time, with beat and bar lines.

Needs matplotlib, the optional extra ``drumscribe[preview]``; it is imported only when a
preview is drawn, so the runtime itself stays light. The chart is cut into rows of
``seconds_per_row`` seconds stacked top to bottom; each row shows the lanes (cymbals on
top, kick at the bottom), a dot per note whose size follows the velocity, thin lines on the
beats and darker lines on the downbeats.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drumscribe._io import atomic_path
from drumscribe.charts.chart import Chart
from drumscribe.contract import LANES, lane_index
from drumscribe.errors import DrumscribeError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["LANE_COLOURS", "ROW_ORDER", "preview_figure", "render_preview"]

#: Lanes from the top row of a strip to the bottom.
ROW_ORDER: tuple[int, ...] = tuple(
    lane_index(n) for n in ("crash", "ride", "hihat", "hi_tom", "mid_tom", "low_tom", "snare", "kick")
)
#: Dot colour of each lane index.
LANE_COLOURS: dict[int, str] = {
    lane_index("kick"): "#e07b00",
    lane_index("snare"): "#d62728",
    lane_index("hihat"): "#d4b400",
    lane_index("hi_tom"): "#b59a00",
    lane_index("mid_tom"): "#1f5fbf",
    lane_index("low_tom"): "#2a9d3a",
    lane_index("crash"): "#31b547",
    lane_index("ride"): "#3a7fe0",
}
_MAX_ROWS = 400


def _matplotlib() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise DrumscribeError(
            "the PNG chart preview needs matplotlib; install the extra: pip install 'drumscribe[preview]'"
        ) from exc
    return Figure


def preview_figure(
    chart: Chart,
    *,
    difficulty: str = "expert",
    start_s: float | None = None,
    end_s: float | None = None,
    seconds_per_row: float = 16.0,
) -> Figure:
    """Draw a chart on a matplotlib Figure (no pyplot, no display).

    Parameters
    ----------
    chart : Chart
        The chart.
    difficulty : str
        Level to draw.
    start_s, end_s : float, optional
        Time range in seconds; default the whole chart.
    seconds_per_row : float
        Length of one strip, seconds.

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure_cls = _matplotlib()
    if seconds_per_row <= 0:
        raise ValueError(f"seconds_per_row must be > 0, got {seconds_per_row}")
    t0 = 0.0 if start_s is None else max(0.0, float(start_s))
    t1 = chart.end_s if end_s is None else float(end_s)
    if not t1 > t0:
        raise ValueError(f"the preview range {t0}..{t1} s is empty")
    rows = max(1, math.ceil((t1 - t0) / seconds_per_row))
    if rows > _MAX_ROWS:
        raise ValueError(
            f"{rows} rows of {seconds_per_row} s is too many; raise seconds_per_row or narrow the range"
        )
    hits = chart.hits(difficulty)
    fig: Figure = figure_cls(figsize=(14.0, 0.4 + 1.7 * rows), dpi=100)
    fig.suptitle(f"{chart.title} - {difficulty}", fontsize=11)
    y_of = {lane: len(ROW_ORDER) - 1 - i for i, lane in enumerate(ROW_ORDER)}
    for r in range(rows):
        ax = fig.add_subplot(rows, 1, r + 1)
        a, b = t0 + r * seconds_per_row, min(t1, t0 + (r + 1) * seconds_per_row)
        beats = [bt for bt in chart.beats if a <= bt.time_s <= b]
        plain = [bt.time_s for bt in beats if not bt.downbeat]
        downs = [bt.time_s for bt in beats if bt.downbeat]
        if plain:
            ax.vlines(plain, -0.5, len(ROW_ORDER) - 0.5, colors="#cccccc", linewidths=0.6, zorder=1)
        if downs:
            ax.vlines(downs, -0.5, len(ROW_ORDER) - 0.5, colors="#666666", linewidths=1.1, zorder=1)
        for lane in ROW_ORDER:
            pts = [h for h in hits if h.lane == lane and a <= h.time_s < b + (1e-9 if r == rows - 1 else 0.0)]
            if pts:
                ax.scatter(
                    [h.time_s for h in pts],
                    [y_of[lane]] * len(pts),
                    s=[8 + 40 * h.velocity / 127 for h in pts],
                    c=LANE_COLOURS[lane],
                    zorder=2,
                    label=LANES[lane].name,
                )
        ax.set_xlim(a, a + seconds_per_row)
        ax.set_ylim(-0.6, len(ROW_ORDER) - 0.4)
        ax.set_yticks(range(len(ROW_ORDER)))
        ax.set_yticklabels([LANES[lane].label for lane in reversed(ROW_ORDER)], fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        if r == rows - 1:
            ax.set_xlabel("time (s)", fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def render_preview(
    chart: Chart,
    path: str | os.PathLike[str],
    *,
    difficulty: str = "expert",
    start_s: float | None = None,
    end_s: float | None = None,
    seconds_per_row: float = 16.0,
    dpi: int = 100,
) -> Path:
    """Write a PNG preview of a chart, atomically.

    Parameters
    ----------
    chart : Chart
        The chart.
    path : path-like
        Output ``.png``.
    difficulty, start_s, end_s, seconds_per_row
        See :func:`preview_figure`.
    dpi : int
        Pixels per inch (the figure is 14 inches wide).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    DrumscribeError
        When matplotlib (``drumscribe[preview]``) is not installed.
    """
    fig = preview_figure(
        chart, difficulty=difficulty, start_s=start_s, end_s=end_s, seconds_per_row=seconds_per_row
    )
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    return Path(path)
