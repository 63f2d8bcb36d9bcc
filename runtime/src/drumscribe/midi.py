"""General MIDI drum files: write hits on channel 10 and read them back (mido)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import mido

from drumscribe._io import atomic_path
from drumscribe.errors import DrumscribeError
from drumscribe.hits import DrumHit
from drumscribe.lanes import GM_DRUM_CHANNEL, LANES

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
    """
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
