"""Clone Hero ``.chart`` (``notes.chart``): 4-lane pro drums, 192 ticks per beat.

Layout written::

    [Song]        Name, Artist, Charter, Offset = 0, Resolution = 192, MusicStream, ...
    [SyncTrack]   "<tick> = TS <n>" time signatures, "<tick> = B <bpm * 1000>" tempi
    [Events]      "<tick> = E \"section <name>\"" practice sections
    [ExpertDrums] [HardDrums] [MediumDrums] [EasyDrums]
                  "<tick> = N <note> 0" with note 0 kick, 1 red, 2 yellow, 3 blue, 4 green
                  (4-lane; note 5 is the five-lane green and is not used); pads are toms
                  unless flagged: N 66 / 67 / 68 make the yellow / blue / green at that tick
                  a cymbal; N 34-37 mark accents and N 40-43 ghost notes on red..green
                  (33 + pad and 39 + pad). No 2x kick (N 32) is written.
                  "<tick> = S 2 <length>" star power and "S 64 <length>" drum fills
                  (:mod:`~drumscribe.charts.structure`), in every difficulty.

Lanes to gems: see :mod:`~drumscribe.charts.pro_drums` (song.ini says ``pro_drums = True``
so Clone Hero reads the cymbal flags). Tempo map, lead-in and bar lines: see
:mod:`~drumscribe.charts.timeline`; ``B`` holds the tempo in thousandths of a bpm and the
timeline converts with exactly those values.

:func:`read_notes_chart` parses a ``.chart`` and checks its rules: sections in braces,
``[Song]`` with a positive ``Resolution``, ``[SyncTrack]`` with a tempo at tick 0, ticks
never decreasing within a section, known note numbers only, and every flag sitting on a
note of its pad at the same tick.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from drumscribe._io import atomic_write
from drumscribe.charts.chart import Chart
from drumscribe.charts.pro_drums import DrumGem, Pad, ProDrumNote, pro_drum_notes
from drumscribe.charts.records import DIFFICULTIES
from drumscribe.charts.song_ini import DEFAULT_GENRE
from drumscribe.charts.structure import fill_phrases, preview_start_s, song_sections, star_power_phrases
from drumscribe.charts.timeline import TickTimeSignature, Timeline, build_timeline, round_bpm_chart
from drumscribe.errors import ChartError

__all__ = [
    "CHART_RESOLUTION",
    "CYMBAL_FLAG",
    "SECTION_NAMES",
    "ChartFile",
    "chart_text",
    "chart_timeline",
    "read_notes_chart",
    "write_notes_chart",
]

CHART_RESOLUTION = 192
#: Section of each difficulty.
SECTION_NAMES: dict[str, str] = {
    "expert": "ExpertDrums",
    "hard": "HardDrums",
    "medium": "MediumDrums",
    "easy": "EasyDrums",
}
#: Cymbal flag note of each cymbal-capable pad.
CYMBAL_FLAG: dict[Pad, int] = {Pad.YELLOW: 66, Pad.BLUE: 67, Pad.GREEN: 68}
ACCENT_FLAG_BASE = 33
GHOST_FLAG_BASE = 39
DOUBLE_KICK_NOTE = 32
#: ``S`` phrase types: star power and drum fill (activation lane).
STAR_POWER_PHRASE = 2
FILL_PHRASE = 64
_FLAG_TO_PAD = {v: k for k, v in CYMBAL_FLAG.items()}
_LINE = re.compile(r"^\s*(\d+)\s*=\s*([A-Za-z]+)\s*(.*?)\s*$")
_KEY = re.compile(r"^\s*([^=]+?)\s*=\s*(.*?)\s*$")


def chart_timeline(chart: Chart) -> Timeline:
    """The ``.chart`` timeline of a chart (192 ticks per beat, tempi in 1/1000 bpm)."""
    return build_timeline(
        chart.tempo_map,
        resolution=CHART_RESOLUTION,
        round_bpm=round_bpm_chart,
        beats=chart.beats,
        beats_per_bar=chart.time_signature.numerator,
    )


def _quote(text: str) -> str:
    return '"' + " ".join(str(text).split()).replace('"', "'") + '"'


def _gem_lines(g: ProDrumNote) -> list[tuple[int, int]]:
    out = [(g.tick, int(g.pad))]
    if g.cymbal and g.pad in CYMBAL_FLAG:
        out.append((g.tick, CYMBAL_FLAG[g.pad]))
    if g.pad != Pad.KICK and g.dynamic == "accent":
        out.append((g.tick, ACCENT_FLAG_BASE + int(g.pad)))
    if g.pad != Pad.KICK and g.dynamic == "ghost":
        out.append((g.tick, GHOST_FLAG_BASE + int(g.pad)))
    return out


def chart_text(
    chart: Chart,
    *,
    title: str | None = None,
    artist: str | None = None,
    charter: str = "drumscribe",
    audio_name: str | None = "song.ogg",
    genre: str = DEFAULT_GENRE,
) -> str:
    """The ``.chart`` text of a chart (see the module docstring for the layout)."""
    timeline = chart_timeline(chart)
    lines = ["[Song]", "{"]
    song = [
        ("Name", _quote(title or chart.title)),
        ("Artist", _quote(artist or "")),
        ("Charter", _quote(charter)),
        ("Offset", "0"),
        ("Resolution", str(CHART_RESOLUTION)),
        ("Player2", "bass"),
        ("Difficulty", "0"),
        ("PreviewStart", f"{preview_start_s(chart):.3f}"),
        ("PreviewEnd", "0"),
        ("Genre", _quote(genre)),
        ("MediaType", _quote("cd")),
    ]
    if audio_name:
        song.append(("MusicStream", _quote(audio_name)))
    lines += [f"  {k} = {v}" for k, v in song]
    lines += ["}", "[SyncTrack]", "{"]
    sync: list[tuple[int, int, str]] = []
    for ts in timeline.time_signatures:
        value = (
            f"TS {ts.numerator}"
            if ts.denominator == 4
            else f"TS {ts.numerator} {ts.denominator.bit_length() - 1}"
        )
        sync.append((ts.tick, 0, value))
    for tp in timeline.tempos:
        sync.append((tp.tick, 1, f"B {round(tp.bpm * 1000)}"))
    lines += [f"  {tick} = {value}" for tick, _, value in sorted(sync)]
    lines += ["}", "[Events]", "{"]
    lines += [f'  {timeline.tick_at(sec.time_s)} = E "section {sec.name}"' for sec in song_sections(chart)]
    lines.append("}")
    notes, _ = pro_drum_notes(chart.difficulties, timeline)
    spans: list[tuple[int, int, int]] = []  # tick, S type, length
    for kind, phrases in ((STAR_POWER_PHRASE, star_power_phrases(chart)), (FILL_PHRASE, fill_phrases(chart))):
        for ph in phrases:
            start, end = timeline.tick_at(ph.start_s), timeline.tick_at(ph.end_s)
            if end > start:
                spans.append((start, kind, end - start))
    for name in DIFFICULTIES:
        if name not in notes:
            continue
        lines += [f"[{SECTION_NAMES[name]}]", "{"]
        entries = sorted(
            [(tick, 0, note, f"N {note} 0") for g in notes[name] for tick, note in _gem_lines(g)]
            + [(tick, 1, kind, f"S {kind} {length}") for tick, kind, length in spans]
        )
        lines += [f"  {tick} = {value}" for tick, _, _, value in entries]
        lines.append("}")
    return "\r\n".join(lines) + "\r\n"


def write_notes_chart(
    chart: Chart,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    artist: str | None = None,
    charter: str = "drumscribe",
    audio_name: str | None = "song.ogg",
    genre: str = DEFAULT_GENRE,
) -> Path:
    """Write a Clone Hero ``.chart`` atomically.

    Parameters
    ----------
    chart : Chart
        The chart (all its difficulty levels are written).
    path : path-like
        Output, usually ``<song folder>/notes.chart``.
    title, artist : str, optional
        ``Name`` and ``Artist`` in ``[Song]``.
    charter : str
        ``Charter`` in ``[Song]``.
    audio_name : str or None
        ``MusicStream`` (the audio file beside the chart).
    genre : str
        ``Genre`` in ``[Song]``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    text = chart_text(chart, title=title, artist=artist, charter=charter, audio_name=audio_name, genre=genre)
    with atomic_write(path, "w") as fh:
        # newline="\n" in atomic_write: the CRLF above reach the file unchanged
        fh.write(text)
    return Path(path)


# -- reading -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChartFile:
    """A ``.chart`` read back.

    Attributes
    ----------
    path : str
        The file.
    resolution : int
        Ticks per beat.
    song : dict of str to str
        ``[Song]`` values, quotes removed.
    timeline : Timeline
        Tempi and time signatures of ``[SyncTrack]``.
    drums : dict of str to tuple of DrumGem
        Pro-drums gems per difficulty.
    sections : tuple of str
        Section names in file order.
    """

    path: str
    resolution: int
    song: dict[str, str]
    timeline: Timeline
    drums: dict[str, tuple[DrumGem, ...]]
    sections: tuple[str, ...]


def _sections(text: str, where: str) -> list[tuple[str, list[tuple[int, str]]]]:
    out: list[tuple[str, list[tuple[int, str]]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line:
            continue
        if not (line.startswith("[") and line.endswith("]")):
            raise ChartError(f"{where}: line {i}: expected a [Section] header, got {line[:40]!r}")
        name = line[1:-1]
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or lines[i].strip() != "{":
            raise ChartError(f"{where}: line {i + 1}: section [{name}] must open with '{{'")
        i += 1
        body: list[tuple[int, str]] = []
        while True:
            if i >= len(lines):
                raise ChartError(f"{where}: section [{name}] is not closed with '}}'")
            content = lines[i].strip()
            i += 1
            if content == "}":
                break
            if content:
                body.append((i, content))
        out.append((name, body))
    return out


def _events(body: list[tuple[int, str]], section: str, where: str) -> list[tuple[int, str, str, int]]:
    events = []
    last = -1
    for lineno, content in body:
        m = _LINE.match(content)
        if not m:
            raise ChartError(
                f"{where}: line {lineno}: [{section}] entry must be '<tick> = <type> <values>', got {content[:40]!r}"
            )
        tick = int(m.group(1))
        if tick < last:
            raise ChartError(f"{where}: line {lineno}: [{section}] tick {tick} comes after tick {last}")
        last = tick
        events.append((tick, m.group(2), m.group(3), lineno))
    return events


def _int_value(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{what} must be an integer, got {text!r}") from None


def read_notes_chart(path: str | os.PathLike[str]) -> ChartFile:
    """Read a ``.chart`` and check it against the format's rules.

    Raises
    ------
    ChartError
        Naming the file, the line and the broken rule.
    """
    p = Path(path)
    where = str(p)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ChartError(f"{p}: no such chart file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ChartError(f"{p}: cannot read the chart ({exc})") from None
    sections = _sections(text, where)
    names = [n for n, _ in sections]
    for required in ("Song", "SyncTrack"):
        if required not in names:
            raise ChartError(f"{where}: no [{required}] section")
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ChartError(f"{where}: section [{dup}] appears twice")
    by_name = dict(sections)
    song: dict[str, str] = {}
    for lineno, content in by_name["Song"]:
        m = _KEY.match(content)
        if not m:
            raise ChartError(f"{where}: line {lineno}: [Song] entry must be 'Key = value'")
        song[m.group(1)] = m.group(2).strip('"')
    try:
        resolution = _int_value(song.get("Resolution", ""), "Resolution")
        if resolution <= 0:
            raise ValueError(f"Resolution must be > 0, got {resolution}")
        if "Offset" in song:
            float(song["Offset"])
    except ValueError as exc:
        raise ChartError(f"{where}: [Song]: {exc}") from None
    tempos: list[tuple[int, float]] = []
    sigs: list[TickTimeSignature] = []
    for tick, kind, values, lineno in _events(by_name["SyncTrack"], "SyncTrack", where):
        parts = values.split()
        try:
            if kind == "B":
                milli = _int_value(parts[0] if parts else "", "B")
                if milli <= 0:
                    raise ValueError(f"B must be > 0, got {milli}")
                tempos.append((tick, milli / 1000.0))
            elif kind == "TS":
                num = _int_value(parts[0] if parts else "", "TS numerator")
                exp = _int_value(parts[1], "TS denominator exponent") if len(parts) > 1 else 2
                if num <= 0 or not 0 <= exp <= 6:
                    raise ValueError(f"TS {values} is out of range")
                sigs.append(TickTimeSignature(tick, num, 2**exp))
            elif kind != "A":
                raise ValueError(f"unknown [SyncTrack] event {kind!r}")
        except ValueError as exc:
            raise ChartError(f"{where}: line {lineno}: {exc}") from None
    if not tempos or tempos[0][0] != 0:
        raise ChartError(f"{where}: [SyncTrack] needs a tempo (B) at tick 0")
    timeline = Timeline.from_tempo_events(resolution, tempos, sigs)
    drums: dict[str, tuple[DrumGem, ...]] = {}
    for diff, section in SECTION_NAMES.items():
        if section not in by_name:
            continue
        drums[diff] = _parse_drum_section(by_name[section], section, diff, timeline, where)
    return ChartFile(where, resolution, song, timeline, drums, tuple(names))


def _parse_drum_section(
    body: list[tuple[int, str]], section: str, diff: str, timeline: Timeline, where: str
) -> tuple[DrumGem, ...]:
    per_tick: dict[int, dict[int, int]] = defaultdict(dict)  # tick -> note -> line
    for tick, kind, values, lineno in _events(body, section, where):
        if kind in ("S", "E"):
            continue
        if kind != "N":
            raise ChartError(f"{where}: line {lineno}: unknown [{section}] event {kind!r}")
        parts = values.split()
        if len(parts) != 2 or not all(x.isdigit() for x in parts):
            raise ChartError(f"{where}: line {lineno}: a note is 'N <number> <length>', got 'N {values}'")
        note = int(parts[0])
        valid = (
            0 <= note <= 5
            or note == DOUBLE_KICK_NOTE
            or ACCENT_FLAG_BASE < note <= ACCENT_FLAG_BASE + 5
            or GHOST_FLAG_BASE < note <= GHOST_FLAG_BASE + 5
            or note in _FLAG_TO_PAD
        )
        if not valid:
            raise ChartError(f"{where}: line {lineno}: N {note} is not a drums note")
        if note in per_tick[tick]:
            raise ChartError(f"{where}: line {lineno}: N {note} twice at tick {tick}")
        per_tick[tick][note] = lineno
    gems: list[DrumGem] = []
    for tick, notes in sorted(per_tick.items()):
        pads = {n for n in notes if 0 <= n <= 5}
        if DOUBLE_KICK_NOTE in notes:
            pads.add(0)
        for flag, lineno in notes.items():
            target: int | None = None
            if flag in _FLAG_TO_PAD:
                target = int(_FLAG_TO_PAD[flag])
            elif ACCENT_FLAG_BASE < flag <= ACCENT_FLAG_BASE + 5:
                target = flag - ACCENT_FLAG_BASE
            elif GHOST_FLAG_BASE < flag <= GHOST_FLAG_BASE + 5:
                target = flag - GHOST_FLAG_BASE
            if target is not None and target not in pads:
                raise ChartError(
                    f"{where}: line {lineno}: flag N {flag} at tick {tick} has no N {target} to modify"
                )
        if 5 in pads and any(f in notes for f in _FLAG_TO_PAD):
            raise ChartError(f"{where}: tick {tick}: five-lane green (N 5) mixed with pro-drums cymbal flags")
        for pad in sorted(pads):
            if pad == 5:
                raise ChartError(
                    f"{where}: [{section}] tick {tick}: N 5 (five-lane green) in a 4-lane pro-drums chart"
                )
            p = Pad(pad)
            cymbal = p in CYMBAL_FLAG and CYMBAL_FLAG[p] in notes
            dyn = "normal"
            if ACCENT_FLAG_BASE + pad in notes and pad:
                dyn = "accent"
            elif GHOST_FLAG_BASE + pad in notes and pad:
                dyn = "ghost"
            gems.append(DrumGem(diff, tick, timeline.time_at(tick), p, cymbal, dyn))
    return tuple(gems)
