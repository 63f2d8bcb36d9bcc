"""The Groove MIDI Dataset performances (MIDI only), as note events and MIDI files."""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from pathlib import Path

from drumscribe_training.resources import GMD_ENV, groove_midi_root
from drumscribe_training.synth.events import NoteEvent, note_map

__all__ = [
    "GMD_ENV",
    "GmdError",
    "GmdPerformance",
    "gmd_root",
    "load_gmd_index",
    "read_events",
    "read_performance",
]

#: Environment variable naming the Groove MIDI folder (holding info.csv).


class GmdError(FileNotFoundError):
    """The Groove MIDI folder is missing or unreadable."""


@dataclass(frozen=True)
class GmdPerformance:
    """One row of GMD's info.csv."""

    drummer: str
    session: str  # e.g. "drummer1/eval_session"
    id: str  # e.g. "drummer1/eval_session/1"
    style: str  # e.g. "funk/groove1"
    bpm: int
    beat_type: str
    time_signature: str
    midi_path: Path
    duration: float
    split: str

    @property
    def number(self) -> str:
        """The groove's number in its session (``1`` of ``drummer1/eval_session/1``)."""
        return self.id.rsplit("/", 1)[-1]


def gmd_root() -> Path:
    """``$DRUMSCRIBE_GROOVE_MIDI``, else the copy shipped with drumscribe-training."""
    return groove_midi_root()


@functools.cache
def load_gmd_index(root: Path | None = None) -> tuple[GmdPerformance, ...]:
    """Every performance listed in ``info.csv`` (split column kept as GMD has it)."""
    root = root or gmd_root()
    info = root / "info.csv"
    if not info.is_file():
        raise GmdError(
            f"Groove MIDI Dataset not found: {info} does not exist. Set {GMD_ENV} to the "
            "folder holding GMD's info.csv and drummerN/ folders (see docs/DATA.md)"
        )
    out = []
    with open(info, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.append(
                GmdPerformance(
                    drummer=row["drummer"],
                    session=row["session"],
                    id=row["id"],
                    style=row["style"],
                    bpm=int(float(row["bpm"])),
                    beat_type=row["beat_type"],
                    time_signature=row["time_signature"],
                    midi_path=root / row["midi_filename"],
                    duration=float(row["duration"]),
                    split=row["split"],
                )
            )
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def read_performance(path: Path) -> tuple[tuple[NoteEvent, ...], bytes, int]:
    """Note events of a GMD MIDI file and the MIDI to write beside the rendered audio.

    Returns
    -------
    events : tuple of NoteEvent
        Note-ons of notes in the note map, times in seconds from the tempo map.
    midi : bytes
        The performance re-saved with the same ticks, tempo and controllers (CC4
        hi-hat openness kept) but without notes outside the note map, so every note in
        it is heard in the audio.
    dropped : int
        Note-ons outside the note map that were left out.
    """
    import mido

    try:
        mid = mido.MidiFile(path)
    except (OSError, ValueError, EOFError) as exc:
        raise GmdError(f"{path}: cannot read MIDI ({exc})") from None
    keep = note_map()
    events: list[NoteEvent] = []
    t = 0.0
    dropped = 0
    for msg in mid:  # merged tracks; msg.time is the delta in seconds
        t += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            if msg.note in keep:
                events.append(NoteEvent(t, msg.note, int(msg.velocity)))
            else:
                dropped += 1
    events.sort()
    return tuple(events), keep_notes(mid, set(keep)), dropped


def keep_notes(mid: object, keep: set[int]) -> bytes:
    """A MIDI file's bytes without the note events whose note is not in ``keep``.

    ``mid`` is a ``mido.MidiFile``; the timing of everything kept is unchanged (the deltas
    of dropped events carry over to the next kept one).
    """
    import mido

    assert isinstance(mid, mido.MidiFile)
    out = mido.MidiFile(type=mid.type, ticks_per_beat=mid.ticks_per_beat)
    for track in mid.tracks:
        new = mido.MidiTrack()
        carry = 0
        for msg in track:
            if msg.type in ("note_on", "note_off") and msg.note not in keep:
                carry += msg.time
                continue
            new.append(msg.copy(time=msg.time + carry))
            carry = 0
        out.tracks.append(new)
    buf = io.BytesIO()
    out.save(file=buf)
    return buf.getvalue()


@functools.lru_cache(maxsize=4096)
def read_events(path: Path) -> tuple[NoteEvent, ...]:
    """Note-ons of notes in the note map, in seconds; faster than :func:`read_performance`.

    For the on-the-fly renderer (no MIDI to write): it walks the tracks once without
    copying messages. Times honour the tempo map (equal to mido's within 1e-9 s).
    """
    import mido

    try:
        mid = mido.MidiFile(path)
    except (OSError, ValueError, EOFError) as exc:
        raise GmdError(f"{path}: cannot read MIDI ({exc})") from None
    keep = note_map()
    tempos: list[tuple[int, int]] = []
    notes: list[tuple[int, int, int]] = []
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick, msg.tempo))
            elif msg.type == "note_on" and msg.velocity > 0 and msg.note in keep:
                notes.append((tick, msg.note, msg.velocity))
    tempos.sort()
    tpb = mid.ticks_per_beat
    # seconds at each tempo change
    marks: list[tuple[int, float, int]] = [(0, 0.0, 500000)]
    for tick, tempo in tempos:
        t0, s0, tp0 = marks[-1]
        marks.append((tick, s0 + (tick - t0) * tp0 / 1e6 / tpb, tempo))
    out = []
    j = 0
    for tick, note, vel in sorted(notes):
        while j + 1 < len(marks) and marks[j + 1][0] <= tick:
            j += 1
        t0, s0, tp = marks[j]
        out.append(NoteEvent(s0 + (tick - t0) * tp / 1e6 / tpb, note, vel))
    out.sort()
    return tuple(out)
