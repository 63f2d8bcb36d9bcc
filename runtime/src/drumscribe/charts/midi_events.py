"""MIDI files as absolute-tick events: build mido tracks and read them back strictly.

Shared by the ``notes.mid`` writers (:mod:`~drumscribe.charts.rockband`,
:mod:`~drumscribe.charts.yarg`). Reading checks the rules every game relies on: the file
parses, every note-on has its note-off on the same channel and pitch, and a pitch never
overlaps itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mido

from drumscribe.errors import ChartError

__all__ = [
    "MidiFileData",
    "MidiNote",
    "MidiText",
    "MidiTrackData",
    "make_track",
    "read_midi_file",
    "text_safe",
]


@dataclass(frozen=True, slots=True)
class MidiNote:
    """A note with its length.

    Attributes
    ----------
    tick, end_tick : int
        Note-on and note-off positions, ticks (``end_tick > tick``).
    note : int
        Pitch 0..127.
    velocity : int
        Note-on velocity 1..127.
    channel : int
        Channel 0..15.
    """

    tick: int
    end_tick: int
    note: int
    velocity: int = 100
    channel: int = 0


@dataclass(frozen=True, slots=True)
class MidiText:
    """A text meta event (``kind`` ``"text"``, ``"lyrics"``, ``"marker"``, ...)."""

    tick: int
    text: str
    kind: str = "text"


@dataclass(frozen=True)
class MidiTrackData:
    """One track read back: name, notes, text events, tempo and time-signature events."""

    name: str | None
    notes: tuple[MidiNote, ...]
    texts: tuple[MidiText, ...]
    tempos: tuple[tuple[int, int], ...] = ()
    time_signatures: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True)
class MidiFileData:
    """A whole file: ticks per beat, type and tracks."""

    path: str
    resolution: int
    type: int
    tracks: tuple[MidiTrackData, ...] = field(default_factory=tuple)

    def track(self, name: str) -> MidiTrackData | None:
        """The first track with this name, or None."""
        for t in self.tracks:
            if t.name == name:
                return t
        return None


def text_safe(text: str) -> str:
    """Text that MIDI meta events can hold (Latin-1, one line)."""
    one_line = " ".join(str(text).split())
    return one_line.encode("latin-1", "replace").decode("latin-1")


def make_track(
    name: str,
    notes: Iterable[MidiNote] = (),
    texts: Iterable[MidiText] = (),
    metas: Sequence[tuple[int, Any]] = (),
) -> mido.MidiTrack:
    """A mido track from absolute-tick events.

    Parameters
    ----------
    name : str
        Track name (meta event at tick 0).
    notes : iterable of MidiNote
        Notes; a note-off sorts before a note-on at the same tick.
    texts : iterable of MidiText
        Text events.
    metas : sequence of (tick, mido.MetaMessage)
        Other meta events (tempo, time signature).
    """
    # events as plain tuples, each mido message made once, with its delta time: a track of an
    # hour of hits holds one message object per event, not two (mido objects are ~0.5 kB)
    events: list[tuple[int, int, int, Any]] = []
    seq = 0
    for tick, msg in metas:
        events.append((int(tick), 0, seq, msg))
        seq += 1
    for t in texts:
        events.append((t.tick, 1, seq, (t.kind, text_safe(t.text))))
        seq += 1
    for n in notes:
        if not n.end_tick > n.tick:
            raise ValueError(f"note {n.note} at tick {n.tick} must end after it starts")
        events.append((n.end_tick, 2, seq, (n.channel, n.note, 0)))
        events.append((n.tick, 3, seq, (n.channel, n.note, n.velocity)))
        seq += 1
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=text_safe(name), time=0))
    now = 0
    for tick, order, _, payload in events:
        delta = tick - now
        if order == 0:
            track.append(payload.copy(time=delta))
        elif order == 1:
            track.append(mido.MetaMessage(payload[0], text=payload[1], time=delta))
        else:
            kind = "note_off" if order == 2 else "note_on"
            track.append(
                mido.Message(kind, channel=payload[0], note=payload[1], velocity=payload[2], time=delta)
            )
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def read_midi_file(path: str | os.PathLike[str]) -> MidiFileData:
    """Read a MIDI file into absolute-tick tracks, checking note pairing.

    Raises
    ------
    ChartError
        Naming the file: not MIDI, or a note without note-off / overlapping itself.
    """
    p = Path(path)
    try:
        mid = mido.MidiFile(p)
    except FileNotFoundError:
        raise ChartError(f"{p}: no such MIDI file") from None
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise ChartError(f"{p}: not a readable MIDI file ({exc})") from None
    if mid.type == 2:
        raise ChartError(f"{p}: MIDI type 2 (independent sequences) is not a chart")
    tracks = []
    for ti, trk in enumerate(mid.tracks):
        now = 0
        name: str | None = None
        open_notes: dict[tuple[int, int], tuple[int, int]] = {}
        notes: list[MidiNote] = []
        texts: list[MidiText] = []
        tempos: list[tuple[int, int]] = []
        sigs: list[tuple[int, int, int]] = []
        for msg in trk:
            now += msg.time
            if msg.type == "track_name" and name is None:
                name = msg.name
            elif msg.type in ("text", "lyrics", "marker", "cue_marker"):
                texts.append(MidiText(now, msg.text, msg.type))
            elif msg.type == "set_tempo":
                tempos.append((now, msg.tempo))
            elif msg.type == "time_signature":
                sigs.append((now, msg.numerator, msg.denominator))
            elif msg.type == "note_on" and msg.velocity > 0:
                key = (msg.channel, msg.note)
                if key in open_notes:
                    raise ChartError(
                        f"{p}: track {ti} ({name}): note {msg.note} at tick {now} starts again before "
                        f"its note-off (from tick {open_notes[key][0]})"
                    )
                open_notes[key] = (now, msg.velocity)
            elif msg.type == "note_off" or (msg.type == "note_on" and msg.velocity == 0):
                key = (msg.channel, msg.note)
                if key not in open_notes:
                    raise ChartError(
                        f"{p}: track {ti} ({name}): note-off of note {msg.note} at tick {now} without a note-on"
                    )
                start, vel = open_notes.pop(key)
                if now <= start:
                    raise ChartError(
                        f"{p}: track {ti} ({name}): note {msg.note} at tick {start} has zero length"
                    )
                notes.append(MidiNote(start, now, msg.note, vel, msg.channel))
        if open_notes:
            (_ch, note), (start, _) = next(iter(open_notes.items()))
            raise ChartError(f"{p}: track {ti} ({name}): note {note} at tick {start} never ends")
        notes.sort(key=lambda n: (n.tick, n.note))
        tracks.append(MidiTrackData(name, tuple(notes), tuple(texts), tuple(tempos), tuple(sigs)))
    return MidiFileData(str(p), int(mid.ticks_per_beat), int(mid.type), tuple(tracks))
