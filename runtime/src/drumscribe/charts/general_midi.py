"""General MIDI drum files: hits on channel 10, read back with mido.

One writer serves both a fixed tempo and a chart's tempo map; the tracks are assembled by
:func:`~drumscribe.charts.midi_events.make_track`, as for every MIDI file drumscribe writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import mido

from drumscribe._io import atomic_path
from drumscribe.charts.beat_tracking import estimate_tempo
from drumscribe.charts.chart import Chart
from drumscribe.charts.midi_events import MidiNote, make_track
from drumscribe.charts.records import Beat, TempoSegment
from drumscribe.charts.tempo import TempoMap, tempo_map_from
from drumscribe.charts.timeline import build_timeline, round_bpm_midi
from drumscribe.contract import GM_DRUM_CHANNEL, LANES
from drumscribe.errors import DrumscribeError
from drumscribe.hits import DrumHit, TranscriptionRecord

__all__ = [
    "DEFAULT_BPM",
    "NOTE_LENGTH_S",
    "TICKS_PER_BEAT",
    "read_midi",
    "write_chart_midi",
    "write_midi",
    "write_transcription_midi",
]

TICKS_PER_BEAT = 480
DEFAULT_BPM = 120.0
#: Length of each written note (drums are one-shots; GM players ignore note-off on ch. 10).
NOTE_LENGTH_S = 0.05
#: Tempo range a fixed-tempo file may be written at, bpm.
BPM_RANGE = (1.0, 1000.0)
TRACK_NAME = "drumscribe drums"

_GM_TO_LANE = {lane.gm_note: lane.name for lane in LANES}


def write_midi(
    hits: Iterable[DrumHit],
    path: str | os.PathLike[str],
    *,
    bpm: float | None = None,
    tempo_map: TempoMap | Sequence[TempoSegment] | None = None,
    beats: Sequence[Beat] = (),
) -> None:
    """Write hits as a General MIDI drum track.

    Parameters
    ----------
    hits : iterable of DrumHit
        The hits; any order.
    path : path-like
        Output ``.mid`` file, written atomically.
    bpm : float, optional
        Tempo written into the file (it sets the tick grid, not the hit times, which are
        kept in seconds). Defaults to :data:`DEFAULT_BPM`.
    tempo_map : TempoMap or sequence of TempoSegment, optional
        Write this tempo map instead of one tempo (excludes ``bpm``): tempo changes at
        its segments, beats on whole-beat ticks after a lead-in from 0 s to the first beat
        (see :mod:`drumscribe.charts.timeline`). Hit times are kept in seconds either way.
    beats : sequence of Beat
        With ``tempo_map``: the beat grid whose downbeats place the bar lines.
    """
    if tempo_map is not None:
        if bpm is not None:
            raise DrumscribeError(f"{path}: give either bpm or tempo_map, not both")
        track = _tempo_map_track(list(hits), tempo_map, beats)
    else:
        tempo_bpm = DEFAULT_BPM if bpm is None else float(bpm)
        if not BPM_RANGE[0] <= tempo_bpm <= BPM_RANGE[1]:
            raise DrumscribeError(
                f"{path}: tempo {tempo_bpm} bpm is outside {BPM_RANGE[0]:g}..{BPM_RANGE[1]:g}"
            )
        track = _fixed_tempo_track(hits, tempo_bpm)
    mid = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    mid.tracks.append(track)
    with atomic_path(path) as tmp:
        mid.save(tmp)


def _fixed_tempo_track(hits: Iterable[DrumHit], bpm: float) -> mido.MidiTrack:
    tempo = mido.bpm2tempo(bpm)
    ticks_per_s = TICKS_PER_BEAT * 1e6 / tempo
    notes = []
    for hit in sorted(hits, key=lambda h: (round(h.time_s * ticks_per_s), h.gm_note)):
        start = round(hit.time_s * ticks_per_s)
        stop = start + max(1, round(NOTE_LENGTH_S * ticks_per_s))
        notes.append(MidiNote(start, stop, hit.gm_note, int(hit.velocity), GM_DRUM_CHANNEL))
    metas = [
        (0, mido.MetaMessage("set_tempo", tempo=tempo)),
        (0, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
    ]
    return make_track(TRACK_NAME, notes=notes, metas=metas)


def _tempo_map_track(
    hits: list[DrumHit], tempo_map: TempoMap | Sequence[TempoSegment], beats: Sequence[Beat]
) -> mido.MidiTrack:
    timeline = build_timeline(
        tempo_map_from(tempo_map), resolution=TICKS_PER_BEAT, round_bpm=round_bpm_midi, beats=beats
    )
    metas: list[tuple[int, mido.MetaMessage]] = [
        (ts.tick, mido.MetaMessage("time_signature", numerator=ts.numerator, denominator=ts.denominator))
        for ts in timeline.time_signatures
    ]
    metas += [
        (tp.tick, mido.MetaMessage("set_tempo", tempo=round(60_000_000 / tp.bpm))) for tp in timeline.tempos
    ]
    # per note: the loudest hit per tick, each ending before the next hit of that note
    starts: dict[int, dict[int, int]] = {}
    for hit in hits:
        tick = timeline.tick_at(hit.time_s)
        per_tick = starts.setdefault(hit.gm_note, {})
        per_tick[tick] = max(per_tick.get(tick, 0), int(hit.velocity))
    notes = []
    for note, per_tick in sorted(starts.items()):
        ticks = sorted(per_tick)
        for i, start in enumerate(ticks):
            stop = start + max(1, round(NOTE_LENGTH_S / timeline.seconds_per_tick(start)))
            if i + 1 < len(ticks):
                stop = min(stop, ticks[i + 1])
            notes.append(MidiNote(start, max(stop, start + 1), note, per_tick[start], GM_DRUM_CHANNEL))
    notes.sort(key=lambda n: (n.tick, n.note))
    return make_track(TRACK_NAME, notes=notes, metas=metas)


def write_transcription_midi(
    transcription: TranscriptionRecord, path: str | os.PathLike[str], *, bpm: float | None = None
) -> Path:
    """Write a transcription's hits as General MIDI with its estimated tempo map.

    Parameters
    ----------
    transcription : TranscriptionRecord
        Hits (and, when kept, the activations the tempo is estimated from).
    path : path-like
        Output ``.mid``, written atomically.
    bpm : float, optional
        A constant tempo instead of the estimate (the tick grid only; hit times stay).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if bpm is not None:
        write_midi(transcription.hits, path, bpm=bpm)
    else:
        est = estimate_tempo(transcription)
        write_midi(transcription.hits, path, tempo_map=est.tempo_map, beats=est.beats)
    return Path(path)


def read_midi(path: str | os.PathLike[str]) -> list[DrumHit]:
    """Read the drum hits of a General MIDI file (channel 10, the lanes' GM notes).

    Notes on other channels or not among the 8 lanes' GM notes are skipped.

    Returns
    -------
    list of DrumHit
        Sorted by time, then lane.
    """
    try:
        mid = mido.MidiFile(Path(path))
    except (OSError, EOFError, ValueError, KeyError) as exc:
        raise DrumscribeError(f"{path}: not a readable MIDI file ({exc})") from None
    hits = []
    now = 0.0
    for msg in mid:  # merged tracks, msg.time in seconds (tempo map applied)
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0 and msg.channel == GM_DRUM_CHANNEL:
            drum = _GM_TO_LANE.get(msg.note)
            if drum is not None:
                hits.append(DrumHit(time_s=now, drum=drum, velocity=msg.velocity))
    return sorted(hits)


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
