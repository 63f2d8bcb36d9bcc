"""Rock Band / Clone Hero ``notes.mid``: PART DRUMS (pro drums), tempo map, BEAT and EVENTS.

Layout written (480 ticks per beat, MIDI type 1):

* track 0, named after the song: the tempo map (``set_tempo``) and time signatures, with
  the lead-in and bar lines of :mod:`~drumscribe.charts.timeline`;
* ``PART DRUMS``: per difficulty the gems kick, red, yellow, blue, green on notes
  96-100 (expert), 84-88 (hard), 72-76 (medium), 60-64 (easy); yellow, blue and green are
  cymbals unless a tom marker (110 yellow, 111 blue, 112 green) covers them; velocity 1 is
  a ghost note and 127 an accent, enabled by the text event ``[ENABLE_CHART_DYNAMICS]``;
  ``[mix <d> drums0]`` events name the (single) drum stem. Gems last a 32nd note (shorter
  when the same pitch follows sooner); tom markers cover their gem. No 2x-kick (note 95)
  is written: fast kicks stay on note 96, as the transcription has them;
* ``PART ELITE_DRUMS`` when asked (YARG, see :mod:`~drumscribe.charts.yarg`);
  Star power phrases (note 116) and drum fills (notes 120-124, all five) come from
  :mod:`~drumscribe.charts.structure`;
* ``EVENTS``: ``[music_start]`` at tick 0, ``[section <name>]`` practice sections,
  ``[music_end]`` and ``[end]`` on the last whole beat at or before the end of the audio
  (on the last note when that is later);
* ``BEAT``: note 12 on each downbeat and 13 on the other beats, from tick 0 to the end.

Lanes to gems: see :mod:`~drumscribe.charts.pro_drums`.

:func:`read_notes_mid` reads such a file back and checks the rules: one tempo track (tempo
and time signatures only in track 0), a BEAT track starting at tick 0 with notes 12/13 only,
known note numbers only in PART DRUMS, note pairing (no overlaps).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import mido

from drumscribe._io import atomic_path
from drumscribe.charts.chart import Chart
from drumscribe.charts.midi_events import (
    MidiFileData,
    MidiNote,
    MidiText,
    MidiTrackData,
    make_track,
    read_midi_file,
)
from drumscribe.charts.pro_drums import DrumGem, Pad, ProDrumNote, pro_drum_notes
from drumscribe.charts.structure import Phrase, fill_phrases, song_sections, star_power_phrases
from drumscribe.charts.timeline import TickBeat, TickTimeSignature, Timeline, build_timeline, round_bpm_midi
from drumscribe.charts.yarg import EliteGem, elite_drums_track, parse_elite_track
from drumscribe.errors import ChartError

__all__ = [
    "DIFFICULTY_BASE_NOTE",
    "DYNAMICS_EVENT",
    "MID_RESOLUTION",
    "TOM_MARKER",
    "DrumGem",
    "NotesMid",
    "end_tick_of",
    "mid_timeline",
    "read_notes_mid",
    "write_notes_mid",
]

MID_RESOLUTION = 480
#: Note number of the kick gem of each difficulty; red, yellow, blue, green follow.
DIFFICULTY_BASE_NOTE: dict[str, int] = {"expert": 96, "hard": 84, "medium": 72, "easy": 60}
#: Tom marker note of each cymbal-capable colour.
TOM_MARKER: dict[Pad, int] = {Pad.YELLOW: 110, Pad.BLUE: 111, Pad.GREEN: 112}
DYNAMICS_EVENT = "[ENABLE_CHART_DYNAMICS]"
GHOST_MIDI_VELOCITY = 1
ACCENT_MIDI_VELOCITY = 127
NORMAL_MIDI_VELOCITY = 100
BEAT_DOWNBEAT_NOTE = 12
BEAT_OTHER_NOTE = 13
#: Star power phrase (overdrive) and drum fill (activation lane) notes of PART DRUMS.
STAR_POWER_NOTE = 116
FILL_NOTES = (120, 121, 122, 123, 124)
#: How far before the end of the audio ``[end]`` stays at least, seconds (the games and
#: scan-chart round the audio length to whole milliseconds).
END_MARGIN_S = 0.002

# notes PART DRUMS may hold (RB docs): animations 24-51, gems, 2x kick 95, solo 103,
# player phrases 105/106, flam 109, tom markers 110-112, overdrive 116, fills 120-124, rolls 126/127
_KNOWN_DRUM_NOTES = frozenset(
    [
        *range(24, 52),
        *range(60, 65),
        *range(72, 77),
        *range(84, 89),
        *range(95, 101),
        103,
        105,
        106,
        109,
        110,
        111,
        112,
        116,
        *range(120, 125),
        126,
        127,
    ]
)


def mid_timeline(chart: Chart) -> Timeline:
    """The ``notes.mid`` timeline of a chart (480 ticks per beat, MIDI tempo precision)."""
    return build_timeline(
        chart.tempo_map,
        resolution=MID_RESOLUTION,
        round_bpm=round_bpm_midi,
        beats=chart.beats,
        beats_per_bar=chart.time_signature.numerator,
    )


def end_tick_of(chart: Chart, timeline: Timeline) -> int:
    """The ``[end]`` tick: the last whole beat at or before the end of the audio, or the
    last note's tick when that is later (games ignore an ``[end]`` after the audio or
    before the last note: scan-chart's ``badEndEvent``)."""
    r = timeline.resolution
    last_note = max((timeline.tick_at(h.time_s) for hs in chart.difficulties.values() for h in hs), default=0)
    audio_end = timeline.tick_at(chart.duration_s)
    while audio_end > 0 and timeline.time_at(audio_end) > chart.duration_s - END_MARGIN_S:
        audio_end -= 1
    on_beat = (audio_end // r) * r
    return max(last_note, on_beat if on_beat >= last_note else audio_end)


def _velocity(note: ProDrumNote) -> int:
    if note.dynamic == "ghost":
        return GHOST_MIDI_VELOCITY
    if note.dynamic == "accent":
        return ACCENT_MIDI_VELOCITY
    return NORMAL_MIDI_VELOCITY


def _clip_lengths(items: list[tuple[int, int]], length: int) -> dict[tuple[int, int], int]:
    """End tick per (tick, pitch): ``length`` long, but before the next same pitch."""
    ends: dict[tuple[int, int], int] = {}
    by_pitch: dict[int, list[int]] = defaultdict(list)
    for tick, pitch in items:
        by_pitch[pitch].append(tick)
    for pitch, ticks in by_pitch.items():
        ticks = sorted(set(ticks))
        for i, t in enumerate(ticks):
            end = t + length
            if i + 1 < len(ticks):
                end = min(end, ticks[i + 1])
            ends[(t, pitch)] = max(t + 1, end)
    return ends


def tempo_track(timeline: Timeline, title: str) -> mido.MidiTrack:
    """Track 0: tempo and time-signature events."""
    metas: list[tuple[int, mido.MetaMessage]] = []
    for ts in timeline.time_signatures:
        metas.append(
            (ts.tick, mido.MetaMessage("time_signature", numerator=ts.numerator, denominator=ts.denominator))
        )
    for tp in timeline.tempos:
        metas.append((tp.tick, mido.MetaMessage("set_tempo", tempo=round(60_000_000 / tp.bpm))))
    return make_track(title, metas=metas)


def beat_track(timeline: Timeline, end_tick: int) -> mido.MidiTrack:
    """BEAT: 12 on downbeats, 13 on other beats, a 16th long."""
    length = timeline.resolution // 4
    notes = [
        MidiNote(b.tick, b.tick + length, BEAT_DOWNBEAT_NOTE if b.downbeat else BEAT_OTHER_NOTE, 100)
        for b in timeline.beats(end_tick)
    ]
    return make_track("BEAT", notes=notes)


def events_track(end_tick: int, sections: Sequence[tuple[int, str]] = ()) -> mido.MidiTrack:
    """EVENTS: music start, practice sections (``[section <name>]``), music end, end."""
    texts = [MidiText(0, "[music_start]")]
    texts += [MidiText(tick, f"[section {name}]") for tick, name in sections]
    texts += [MidiText(end_tick, "[music_end]"), MidiText(end_tick, "[end]")]
    return make_track("EVENTS", texts=texts)


def _span_ticks(phrases: Sequence[Phrase], timeline: Timeline) -> list[tuple[int, int]]:
    out = []
    for ph in phrases:
        start, end = timeline.tick_at(ph.start_s), timeline.tick_at(ph.end_s)
        if end > start:
            out.append((start, end))
    return out


def drums_track(
    notes: dict[str, tuple[ProDrumNote, ...]],
    timeline: Timeline,
    *,
    star_power: Sequence[tuple[int, int]] = (),
    fills: Sequence[tuple[int, int]] = (),
) -> mido.MidiTrack:
    """PART DRUMS from pro-drums gems, with star power and fill spans (ticks)."""
    gem_len = timeline.resolution // 8
    items: list[tuple[int, int]] = []
    midi_notes: list[tuple[int, int, int]] = []  # tick, pitch, velocity
    for name, gems in notes.items():
        base = DIFFICULTY_BASE_NOTE[name]
        for g in gems:
            pitch = base + int(g.pad)
            items.append((g.tick, pitch))
            midi_notes.append((g.tick, pitch, _velocity(g) if g.pad != Pad.KICK else NORMAL_MIDI_VELOCITY))
    ends = _clip_lengths(items, gem_len)
    out = [MidiNote(t, ends[(t, p)], p, v) for t, p, v in midi_notes]
    # tom markers: one per tom gem (colours agree across levels), ending before the next
    # gem of that colour in any level
    colour_ticks: dict[Pad, list[int]] = defaultdict(list)
    tom_ticks: dict[Pad, set[int]] = defaultdict(set)
    for gems in notes.values():
        for g in gems:
            if g.pad in TOM_MARKER:
                colour_ticks[g.pad].append(g.tick)
                if not g.cymbal:
                    tom_ticks[g.pad].add(g.tick)
    for pad, ticks in tom_ticks.items():
        following = sorted(set(colour_ticks[pad]))
        for t in sorted(ticks):
            nxt = [x for x in following if x > t][:1]
            end = min(t + gem_len, nxt[0]) if nxt else t + gem_len
            out.append(MidiNote(t, max(t + 1, end), TOM_MARKER[pad], 100))
    out += [MidiNote(a, b, STAR_POWER_NOTE, 100) for a, b in star_power]
    out += [MidiNote(a, b, n, 100) for a, b in fills for n in FILL_NOTES]
    texts = [MidiText(0, f"[mix {i} drums0]") for i in range(4)]
    texts.append(MidiText(0, DYNAMICS_EVENT))
    return make_track("PART DRUMS", notes=out, texts=texts)


def write_notes_mid(
    chart: Chart,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    elite: bool = False,
    drums: bool = True,
) -> Path:
    """Write a ``notes.mid`` for Rock Band 3 / Clone Hero / YARG, atomically.

    Parameters
    ----------
    chart : Chart
        The chart (all its difficulty levels are written).
    path : path-like
        Output file, usually ``<song folder>/notes.mid``.
    title : str, optional
        Song name for track 0; defaults to :attr:`Chart.title`.
    elite : bool
        Also write ``PART ELITE_DRUMS`` (YARG's 8-lane drums).
    drums : bool
        Write ``PART DRUMS`` (4-lane pro drums).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    timeline = mid_timeline(chart)
    end = end_tick_of(chart, timeline)
    mid = mido.MidiFile(type=1, ticks_per_beat=MID_RESOLUTION)
    mid.tracks.append(tempo_track(timeline, title or chart.title))
    if drums:
        notes, _ = pro_drum_notes(chart.difficulties, timeline)
        mid.tracks.append(
            drums_track(
                notes,
                timeline,
                star_power=_span_ticks(star_power_phrases(chart), timeline),
                fills=_span_ticks(fill_phrases(chart), timeline),
            )
        )
    if elite:
        mid.tracks.append(elite_drums_track(chart, timeline, end))
    sections = [(timeline.tick_at(sec.time_s), sec.name) for sec in song_sections(chart)]
    mid.tracks.append(events_track(end, sections))
    mid.tracks.append(beat_track(timeline, end))
    with atomic_path(path) as tmp:
        mid.save(tmp)
    return Path(path)


# -- reading -------------------------------------------------------------------------------
@dataclass(frozen=True)
class NotesMid:
    """A ``notes.mid`` read back.

    Attributes
    ----------
    path : str
        The file.
    timeline : Timeline
        Tempo map and time signatures from track 0.
    beats : tuple of TickBeat
        The BEAT track (downbeat = note 12).
    drums : dict of str to tuple of DrumGem, or None
        PART DRUMS gems per difficulty (None without that track).
    elite : dict or None
        PART ELITE_DRUMS notes per difficulty (:class:`~drumscribe.charts.yarg.EliteGem`).
    track_names : tuple of str
        Names of all tracks, in order.
    texts : dict of str to tuple of MidiText
        Text events per track name.
    """

    path: str
    timeline: Timeline
    beats: tuple[TickBeat, ...]
    drums: dict[str, tuple[DrumGem, ...]] | None
    elite: dict[str, tuple[EliteGem, ...]] | None
    track_names: tuple[str, ...]
    texts: dict[str, tuple[MidiText, ...]]

    def beat_times(self) -> list[float]:
        """Beat times from the BEAT track, seconds."""
        return [self.timeline.time_at(b.tick) for b in self.beats]


def timeline_from_midi(data: MidiFileData) -> Timeline:
    """Timeline from track 0 (raises if tempo or time signatures appear elsewhere)."""
    for i, trk in enumerate(data.tracks[1:], start=1):
        if trk.tempos or trk.time_signatures:
            raise ChartError(
                f"{data.path}: track {i} ({trk.name}) holds tempo or time-signature events; only track 0 may"
            )
    if not data.tracks:
        raise ChartError(f"{data.path}: the MIDI file has no tracks")
    t0 = data.tracks[0]
    if t0.tempos and t0.tempos[0][0] != 0:
        raise ChartError(f"{data.path}: the first tempo event is at tick {t0.tempos[0][0]}, not 0")
    sigs = [TickTimeSignature(t, n, d) for t, n, d in t0.time_signatures]
    return Timeline.from_tempo_events(data.resolution, [(t, 60_000_000 / us) for t, us in t0.tempos], sigs)


def _marker_covers(markers: Iterable[MidiNote], tick: int) -> bool:
    return any(m.tick <= tick < m.end_tick for m in markers)


def _parse_drums(trk: MidiTrackData, timeline: Timeline, where: str) -> dict[str, tuple[DrumGem, ...]]:
    for n in trk.notes:
        if n.note not in _KNOWN_DRUM_NOTES:
            raise ChartError(f"{where}: PART DRUMS: note {n.note} at tick {n.tick} is not a drums note")
    dynamics = any(t.text.strip() in (DYNAMICS_EVENT, DYNAMICS_EVENT[1:-1]) for t in trk.texts)
    markers = {pad: [n for n in trk.notes if n.note == note] for pad, note in TOM_MARKER.items()}
    out: dict[str, tuple[DrumGem, ...]] = {}
    for name, base in DIFFICULTY_BASE_NOTE.items():
        gems = []
        for n in trk.notes:
            if base <= n.note <= base + 4:
                pad = Pad(n.note - base)
                cymbal = pad in TOM_MARKER and not _marker_covers(markers[pad], n.tick)
                dyn = "normal"
                if dynamics and pad != Pad.KICK:
                    dyn = {GHOST_MIDI_VELOCITY: "ghost", ACCENT_MIDI_VELOCITY: "accent"}.get(
                        n.velocity, "normal"
                    )
                gems.append(DrumGem(name, n.tick, timeline.time_at(n.tick), pad, cymbal, dyn))
        if gems:
            out[name] = tuple(sorted(gems, key=lambda g: (g.tick, g.pad)))
    return out


def read_notes_mid(path: str | os.PathLike[str]) -> NotesMid:
    """Read a ``notes.mid`` and check it against the format's rules.

    Raises
    ------
    ChartError
        Naming the file and the broken rule.
    """
    data = read_midi_file(path)
    where = data.path
    if data.type != 1:
        raise ChartError(f"{where}: notes.mid must be MIDI type 1, got type {data.type}")
    names = tuple(t.name or "" for t in data.tracks)
    for special in ("PART DRUMS", "PART ELITE_DRUMS", "BEAT", "EVENTS"):
        if names.count(special) > 1:
            raise ChartError(f"{where}: more than one {special} track")
    timeline = timeline_from_midi(data)
    beat = data.track("BEAT")
    beats: tuple[TickBeat, ...] = ()
    if beat is not None:
        bad = [n for n in beat.notes if n.note not in (BEAT_DOWNBEAT_NOTE, BEAT_OTHER_NOTE)]
        if bad:
            raise ChartError(
                f"{where}: BEAT: note {bad[0].note} at tick {bad[0].tick}; only 12 and 13 belong there"
            )
        ticks = [n.tick for n in beat.notes]
        if ticks and ticks[0] != 0:
            raise ChartError(f"{where}: BEAT: the first beat is at tick {ticks[0]}, not 0")
        if len(set(ticks)) != len(ticks):
            raise ChartError(f"{where}: BEAT: two beats on one tick")
        beats = tuple(TickBeat(n.tick, n.note == BEAT_DOWNBEAT_NOTE) for n in beat.notes)
    drums_trk = data.track("PART DRUMS")
    drums = _parse_drums(drums_trk, timeline, where) if drums_trk is not None else None
    elite_trk = data.track("PART ELITE_DRUMS")
    elite = parse_elite_track(elite_trk, timeline, where) if elite_trk is not None else None
    texts = {t.name or "": t.texts for t in data.tracks}
    return NotesMid(where, timeline, beats, drums, elite, names, texts)
