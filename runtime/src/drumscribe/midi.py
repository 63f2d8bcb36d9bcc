"""General MIDI drum files: write hits on channel 10 and read them back (mido)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import mido

from drumscribe._io import atomic_path
from drumscribe.errors import DrumscribeError
from drumscribe.hits import DrumHit
from drumscribe.lanes import GM_DRUM_CHANNEL, LANES

if TYPE_CHECKING:
    from drumscribe.charts.records import Beat, TempoSegment
    from drumscribe.charts.tempo import TempoMap

__all__ = ["DEFAULT_BPM", "NOTE_LENGTH_S", "TICKS_PER_BEAT", "read_midi", "write_midi"]

TICKS_PER_BEAT = 480
DEFAULT_BPM = 120.0
#: Length of each written note (drums are one-shots; GM players ignore note-off on ch. 10).
NOTE_LENGTH_S = 0.05

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
        _write_midi_tempo_map(list(hits), path, tempo_map, beats)
        return
    tempo_bpm = DEFAULT_BPM if bpm is None else float(bpm)
    if not 1.0 <= tempo_bpm <= 1000.0:
        raise DrumscribeError(f"{path}: tempo {tempo_bpm} bpm is outside 1..1000")
    tempo = mido.bpm2tempo(tempo_bpm)
    ticks_per_s = TICKS_PER_BEAT * 1e6 / tempo
    events: list[tuple[int, int, mido.Message]] = []
    for hit in hits:
        start = round(hit.time_s * ticks_per_s)
        stop = start + max(1, round(NOTE_LENGTH_S * ticks_per_s))
        note = hit.gm_note
        # note-offs sort before note-ons at the same tick
        events.append(
            (
                start,
                1,
                mido.Message("note_on", channel=GM_DRUM_CHANNEL, note=note, velocity=int(hit.velocity)),
            )
        )
        events.append((stop, 0, mido.Message("note_off", channel=GM_DRUM_CHANNEL, note=note, velocity=0)))
    events.sort(key=lambda e: (e[0], e[1], e[2].note))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name="drumscribe drums", time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=tempo, time=0))
    track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    now = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    mid = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    mid.tracks.append(track)
    with atomic_path(path) as tmp:
        mid.save(tmp)


def _write_midi_tempo_map(
    hits: list[DrumHit],
    path: str | os.PathLike[str],
    tempo_map: TempoMap | Sequence[TempoSegment],
    beats: Sequence[Beat],
) -> None:
    from drumscribe.charts.tempo import tempo_map_from
    from drumscribe.charts.timeline import build_timeline, round_bpm_midi

    timeline = build_timeline(
        tempo_map_from(tempo_map), resolution=TICKS_PER_BEAT, round_bpm=round_bpm_midi, beats=beats
    )
    events: list[tuple[int, int, int, mido.Message | mido.MetaMessage]] = []
    for ts in timeline.time_signatures:
        msg = mido.MetaMessage("time_signature", numerator=ts.numerator, denominator=ts.denominator)
        events.append((ts.tick, 0, 0, msg))
    for tp in timeline.tempos:
        events.append((tp.tick, 0, 1, mido.MetaMessage("set_tempo", tempo=round(60_000_000 / tp.bpm))))
    # per note: the loudest hit per tick, each ending before the next hit of that note
    starts: dict[int, dict[int, int]] = {}
    for hit in hits:
        tick = timeline.tick_at(hit.time_s)
        per_tick = starts.setdefault(hit.gm_note, {})
        per_tick[tick] = max(per_tick.get(tick, 0), int(hit.velocity))
    for note, per_tick in starts.items():
        ticks = sorted(per_tick)
        for i, start in enumerate(ticks):
            stop = start + max(1, round(NOTE_LENGTH_S / timeline.seconds_per_tick(start)))
            if i + 1 < len(ticks):
                stop = min(stop, ticks[i + 1])
            on = mido.Message("note_on", channel=GM_DRUM_CHANNEL, note=note, velocity=per_tick[start])
            off = mido.Message("note_off", channel=GM_DRUM_CHANNEL, note=note, velocity=0)
            events.append((start, 2, note, on))
            events.append((max(stop, start + 1), 1, note, off))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name="drumscribe drums", time=0))
    now = 0
    for tick, _, _, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    mid = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    mid.tracks.append(track)
    with atomic_path(path) as tmp:
        mid.save(tmp)


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
