"""``song.ini``: the metadata file Clone Hero, YARG and Phase Shift read beside the chart.

Written (``[song]`` section)::

    name, [artist when given], charter = drumscribe, song_length (ms), diff_drums,
    diff_drums_real, pro_drums = True, five_lane_drums = False, delay = 0,
    preview_start_time (ms, the densest section), [diff_elite_drums for YARG],
    genre (default "Unknown"), loading_phrase

No album or year (a transcription cannot know them), and no artist unless one is given
(``Unknown Artist`` would read as a real name; scan-chart reports the missing values).

``diff_drums`` (0..6) rates the expert level by its notes per second over the span from its
first to last note: below 2 -> 0, 3 -> 1, 4 -> 2, 5.5 -> 3, 7 -> 4, 9 -> 5, else 6.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from drumscribe._io import atomic_write
from drumscribe.charts.chart import Chart
from drumscribe.charts.structure import preview_start_s
from drumscribe.errors import ChartError

__all__ = ["DEFAULT_GENRE", "drums_tier", "read_song_ini", "song_ini_fields", "write_song_ini"]

_TIERS = (2.0, 3.0, 4.0, 5.5, 7.0, 9.0)
#: Genre written when none is given: the audio does not say, and scan-chart counts an
#: empty genre (or its own placeholder, "Unknown Genre") as missing.
DEFAULT_GENRE = "Unknown"


def drums_tier(chart: Chart) -> int:
    """Difficulty tier 0..6 of the chart's expert level (see the module docstring)."""
    hits = chart.hits("expert")
    if len(hits) < 2:
        return 0
    span = max(1.0, hits[-1].time_s - hits[0].time_s)
    nps = len(hits) / span
    return sum(1 for limit in _TIERS if nps >= limit)


def _clean(value: object) -> str:
    """One line, no section brackets at the start."""
    text = " ".join(str(value).split())
    return text.lstrip("[")


def song_ini_fields(
    chart: Chart,
    *,
    title: str | None = None,
    artist: str | None = None,
    elite: bool = False,
    charter: str = "drumscribe",
    genre: str | None = None,
) -> dict[str, str]:
    """The ``[song]`` keys and values for a chart (see the module docstring)."""
    tier = drums_tier(chart)
    fields = {"name": _clean(title or chart.title)}
    if artist:
        fields["artist"] = _clean(artist)
    fields |= {
        "charter": _clean(charter),
        "song_length": str(round(chart.duration_s * 1000)),
        "diff_drums": str(tier),
        "diff_drums_real": str(tier),
        "pro_drums": "True",
        "five_lane_drums": "False",
        "delay": "0",
        "preview_start_time": str(round(preview_start_s(chart) * 1000)),
        "genre": _clean(genre or DEFAULT_GENRE),
        "loading_phrase": "Charted by drumscribe from the audio.",
    }
    if elite:
        fields["diff_elite_drums"] = str(tier)
    return fields


def write_song_ini(path: str | os.PathLike[str], fields: Mapping[str, str]) -> Path:
    """Write ``song.ini`` atomically (a ``[song]`` section, one ``key = value`` per line)."""
    lines = ["[song]"] + [f"{_clean(k)} = {_clean(v)}" for k, v in fields.items()]
    with atomic_write(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return Path(path)


def read_song_ini(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read the ``[song]`` section of a ``song.ini`` (keys lower-cased).

    Raises
    ------
    ChartError
        When the file is unreadable, has no ``[song]`` section, or a line is not
        ``key = value``.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChartError(f"{p}: cannot read song.ini ({exc})") from None
    out: dict[str, str] = {}
    section: str | None = None
    seen_song = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip().lower()
            seen_song = seen_song or section == "song"
            continue
        if "=" not in line:
            raise ChartError(f"{p}: line {lineno}: expected 'key = value', got {line[:40]!r}")
        if section == "song":
            key, _, value = line.partition("=")
            out[key.strip().lower()] = value.strip()
    if not seen_song:
        raise ChartError(f"{p}: no [song] section")
    return out
