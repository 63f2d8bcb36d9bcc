"""The PNG chart preview (optional extra drumscribe[preview])."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from drumscribe import Transcription
from drumscribe.charts import chart_from_transcription, render_preview
from drumscribe.charts.preview import ROW_ORDER, preview_figure
from drumscribe.errors import DrumscribeError


def test_preview_png(rich_transcription: Transcription, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.collections import LineCollection, PathCollection

    chart = chart_from_transcription(rich_transcription)
    path = render_preview(chart, tmp_path / "preview.png", seconds_per_row=10.0)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = preview_figure(chart, start_s=0.0, end_s=8.0, seconds_per_row=4.0)
    axes = fig.get_axes()
    assert len(axes) == 2
    dots = [c for ax in axes for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in dots) == sum(1 for h in chart.hits("expert") if h.time_s <= 8.0)
    lines = [c for ax in axes for c in ax.collections if isinstance(c, LineCollection)]
    # every beat up to 8 s; the one at 4.0 s ends the first row and starts the second
    assert sum(len(c.get_segments()) for c in lines) == sum(1 for b in chart.beats if b.time_s <= 8.0) + 1
    assert len(axes[0].get_yticks()) == len(ROW_ORDER)
    with pytest.raises(ValueError, match="empty"):
        preview_figure(chart, start_s=5.0, end_s=5.0)


def test_preview_without_matplotlib_names_the_extra(
    rich_transcription: Transcription, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = chart_from_transcription(rich_transcription)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(DrumscribeError, match=r"drumscribe\[preview\]"):
        render_preview(chart, tmp_path / "p.png")
    assert not (tmp_path / "p.png").exists()
