"""Song structure for the game formats: lead-in, practice sections, star power, drum fills,
preview start.

Everything here is derived from a :class:`~drumscribe.charts.chart.Chart` (its bar lines and
expert notes), so a chart read back from JSON gets the same structure as a fresh one.

* **Lead-in** (:func:`lead_in_pad_s`): games want silence before the first note (scan-chart
  flags a note in the first second, ``smallLeadingSilence``; its own text says two). The
  song folder prepends ``pad`` seconds of silence to the audio and shifts the chart by the
  same amount (:func:`shift_chart`); the pad also makes the first beat fall a whole number
  of beats of the first tempo after 0 s, so the lead-in before the first beat is written at
  the song's first tempo, never at a made-up fast one.
* **Sections** (:func:`song_sections`): bars are described by their notes per lane; a bar
  where the next two bars differ most from the two before (novelty) starts a section. Only
  bars on a 4-bar phrase boundary can start one, sections last at least
  :data:`MIN_SECTION_BARS` and at most :data:`MAX_SECTION_BARS` bars. Named by order:
  ``Section 1``, ``Section 2``, ...
* **Star power** (:func:`star_power_phrases`): one bar per phrase of
  :data:`BARS_PER_PHRASE` bars (4 in songs shorter than 16 bars), the bar ending at the
  middle of the phrase; only bars holding a note on every difficulty.
* **Drum fills** (activation lanes, :func:`fill_phrases`): the last bar of each phrase after
  the first star power phrase, up to and including the note on the next downbeat (the
  activation note).
* **Preview** (:func:`preview_start_s`): the start of the section with the most expert notes
  per second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from drumscribe.charts.chart import Chart
from drumscribe.charts.records import Beat, ChartHit, TempoSegment
from drumscribe.charts.tempo import TempoMap
from drumscribe.contract import LANES

__all__ = [
    "BARS_PER_PHRASE",
    "MAX_SECTION_BARS",
    "MIN_LEAD_IN_S",
    "MIN_SECTION_BARS",
    "Phrase",
    "Section",
    "bar_starts",
    "fill_phrases",
    "lead_in_pad_s",
    "preview_start_s",
    "shift_chart",
    "song_sections",
    "star_power_phrases",
]

#: Least time from the start of the audio to the first note in a song folder, seconds.
#: scan-chart 7.0.1 flags less than 1 s (``smallLeadingSilence``; its description says 2 s).
MIN_LEAD_IN_S = 2.0
#: Bars of one phrase (one star power phrase and one fill each).
BARS_PER_PHRASE = 8
#: Shortest and longest practice section, bars.
MIN_SECTION_BARS = 4
MAX_SECTION_BARS = 16
#: Novelty (0..2, L1 distance of normalised lane profiles) that starts a section.
SECTION_NOVELTY = 0.5
#: Bars on each side of a candidate boundary that the novelty compares.
NOVELTY_CONTEXT_BARS = 2


@dataclass(frozen=True, slots=True)
class Section:
    """A practice section: its start, seconds, and its name."""

    time_s: float
    name: str


@dataclass(frozen=True, slots=True)
class Phrase:
    """A span of the chart (star power or drum fill), seconds, ``start_s < end_s``."""

    start_s: float
    end_s: float


def shift_chart(chart: Chart, pad_s: float) -> Chart:
    """The chart ``pad_s`` seconds later: what it is on audio with that much silence
    prepended (beat positions unchanged)."""
    if pad_s <= 0:
        return chart
    tmap = TempoMap(
        tuple(TempoSegment(time_s=s.time_s + pad_s, bpm=s.bpm, beat=s.beat) for s in chart.tempo_map.segments)
    )
    beats = tuple(Beat(time_s=b.time_s + pad_s, downbeat=b.downbeat) for b in chart.beats)

    def moved(h: ChartHit) -> ChartHit:
        raw = None if h.raw_time_s is None else h.raw_time_s + pad_s
        return replace(h, time_s=h.time_s + pad_s, raw_time_s=raw)

    levels = {name: tuple(moved(h) for h in hits) for name, hits in chart.difficulties.items()}
    return replace(
        chart, duration_s=chart.duration_s + pad_s, tempo_map=tmap, beats=beats, difficulties=levels
    )


def _first_note_s(chart: Chart) -> float | None:
    times = [h.time_s for hits in chart.difficulties.values() for h in hits]
    return min(times) if times else None


def lead_in_pad_s(chart: Chart, *, min_lead_in_s: float = MIN_LEAD_IN_S) -> float:
    """Silence to prepend so the first note is at least ``min_lead_in_s`` after the start
    and the first beat is a whole number of beats (of the first tempo) after 0 s.

    Returns 0 when the chart already has the lead-in and its first beat already sits at
    a lead-in tempo within the song's tempo range.
    """
    seg0 = chart.tempo_map.segments[0]
    period = seg0.period_s
    t0 = seg0.time_s
    first = _first_note_s(chart)
    need = 0.0 if first is None else max(0.0, min_lead_in_s - first)
    bpms = [s.bpm for s in chart.tempo_map.segments]
    if need == 0.0:
        lead = max(1, round(t0 / period))
        lead_bpm = 60.0 * lead / t0 if t0 > 0 else seg0.bpm
        if t0 == 0.0 or min(bpms) * 0.999 <= lead_bpm <= max(bpms) * 1.001:
            return 0.0
    n = max(1, math.ceil((t0 + need) / period - 1e-9))
    return max(0.0, n * period - t0)


def bar_starts(chart: Chart) -> list[float]:
    """Times of the chart's bar lines (downbeats), seconds; every ``numerator`` beats from
    the first beat when the beat grid marks none."""
    downs = [b.time_s for b in chart.beats if b.downbeat]
    if downs:
        return downs
    num = chart.time_signature.numerator
    return [b.time_s for k, b in enumerate(chart.beats) if k % num == 0]


def _bar_profiles(chart: Chart, bars: list[float]) -> np.ndarray:
    """(bars, lanes) note counts of the expert level per bar."""
    out = np.zeros((len(bars), len(LANES)))
    edges = np.asarray(bars)
    for h in chart.hits("expert"):
        k = int(np.searchsorted(edges, h.time_s + 1e-6, side="right")) - 1
        if 0 <= k < len(bars):
            out[k, h.lane] += 1
    return out


def _novelty(profiles: np.ndarray, bar: int) -> float:
    before = profiles[max(0, bar - NOVELTY_CONTEXT_BARS) : bar].sum(axis=0)
    after = profiles[bar : bar + NOVELTY_CONTEXT_BARS].sum(axis=0)
    if before.sum() == 0 and after.sum() == 0:
        return 0.0
    if before.sum() == 0 or after.sum() == 0:
        return 2.0
    return float(np.abs(before / before.sum() - after / after.sum()).sum())


def song_sections(chart: Chart) -> tuple[Section, ...]:
    """Practice sections (see the module docstring); at least one, at the song's start."""
    bars = bar_starts(chart)
    first = _first_note_s(chart)
    start = min([t for t in (first, bars[0] if bars else None) if t is not None], default=0.0)
    if len(bars) < 2 * MIN_SECTION_BARS:
        return (Section(time_s=max(0.0, start), name="Section 1"),)
    profiles = _bar_profiles(chart, bars)
    candidates = [b for b in range(MIN_SECTION_BARS, len(bars) - MIN_SECTION_BARS + 1, MIN_SECTION_BARS)]
    scores = {b: _novelty(profiles, b) for b in candidates}
    starts = [0]
    for b in candidates:
        if b - starts[-1] < MIN_SECTION_BARS:
            continue
        if scores[b] >= SECTION_NOVELTY:
            starts.append(b)
            continue
        if b - starts[-1] >= MAX_SECTION_BARS:
            # too long: cut at the most novel phrase boundary since the last start
            window = [c for c in candidates if starts[-1] + MIN_SECTION_BARS <= c <= b]
            starts.append(max(window, key=lambda c: (scores[c], -c)))
    times = [max(0.0, start)] + [bars[b] for b in starts[1:]]
    return tuple(Section(time_s=t, name=f"Section {k + 1}") for k, t in enumerate(times))


def _phrase_bars(n_bars: int) -> int:
    return BARS_PER_PHRASE if n_bars >= 2 * BARS_PER_PHRASE else BARS_PER_PHRASE // 2


def _has_note(hits: tuple[ChartHit, ...], start: float, end: float) -> bool:
    return any(start - 1e-6 <= h.time_s < end - 1e-6 for h in hits)


def star_power_phrases(chart: Chart) -> tuple[Phrase, ...]:
    """Star power phrases (see the module docstring)."""
    bars = bar_starts(chart)
    size = _phrase_bars(len(bars))
    lowest = chart.hits(list(chart.difficulties)[-1])
    out: list[Phrase] = []
    for k in range(0, len(bars) - 1, size):
        mid = k + size // 2 - 1
        for b in (mid, mid - 1, mid + 1):
            if 0 <= b < len(bars) - 1 and _has_note(lowest, bars[b], bars[b + 1]):
                out.append(Phrase(bars[b], bars[b + 1]))
                break
    return tuple(out)


def fill_phrases(chart: Chart) -> tuple[Phrase, ...]:
    """Drum fill (activation) lanes (see the module docstring)."""
    bars = bar_starts(chart)
    size = _phrase_bars(len(bars))
    stars = star_power_phrases(chart)
    if not stars:
        return ()
    expert = chart.hits("expert")
    out: list[Phrase] = []
    for k in range(size, len(bars), size):  # bar k starts a phrase; the fill is bar k - 1
        start, down = bars[k - 1], bars[k]
        if start < stars[0].end_s or any(p.start_s < down and start < p.end_s for p in stars):
            continue
        if not _has_note(expert, start, down):
            continue
        activation = [h.time_s for h in expert if abs(h.time_s - down) < 1e-6]
        end = down + (60.0 / chart.tempo_map.bpm_at(down)) / 8 if activation else down
        out.append(Phrase(start, end))
    return tuple(out)


def preview_start_s(chart: Chart) -> float:
    """Start of the section with the most expert notes per second, seconds."""
    sections = song_sections(chart)
    expert = chart.hits("expert")
    if not expert:
        return 0.0
    ends = [s.time_s for s in sections[1:]] + [max(chart.end_s, expert[-1].time_s + 1e-3)]
    best, best_rate = sections[0].time_s, -1.0
    for s, end in zip(sections, ends, strict=True):
        span = max(1.0, end - s.time_s)
        rate = sum(1 for h in expert if s.time_s <= h.time_s < end) / span
        if rate > best_rate + 1e-9:
            best, best_rate = s.time_s, rate
    return best
