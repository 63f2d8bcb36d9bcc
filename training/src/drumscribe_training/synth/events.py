"""Note events and the Roland note map shared by every part of the synthesiser."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from drumscribe.contract import EGMD_SAMPLE_RATE

__all__ = [
    "CLOSED_HIHAT_NOTES",
    "OPEN_HIHAT_NOTES",
    "SAMPLE_RATE",
    "NoteEvent",
    "lane_of_note",
    "note_map",
    "roland_notes",
]

#: Sample rate of everything rendered on disk (E-GMD's rate).
SAMPLE_RATE = EGMD_SAMPLE_RATE

#: Roland notes of the open hi-hat (bow, edge): choked by the next closed/pedal hat.
OPEN_HIHAT_NOTES = frozenset({46, 26})
#: Roland notes that close the hi-hat (closed bow, closed edge, pedal).
CLOSED_HIHAT_NOTES = frozenset({42, 22, 44})


@dataclass(frozen=True, slots=True, order=True)
class NoteEvent:
    """One drum hit.

    Attributes
    ----------
    time_s : float
        Onset in seconds from the start of the clip.
    note : int
        Roland TD-17 / E-GMD note number (see ``classes.note_map`` in the config).
    velocity : int
        MIDI velocity, 1..127.
    """

    time_s: float
    note: int
    velocity: int

    def __post_init__(self) -> None:
        if not 1 <= self.velocity <= 127:
            raise ValueError(f"velocity must be 1..127, got {self.velocity}")
        if not 0 <= self.note <= 127:
            raise ValueError(f"note must be 0..127, got {self.note}")


@functools.cache
def note_map() -> dict[int, str]:
    """Roland note -> lane name, from ``classes.note_map`` of the default config."""
    from drumscribe_training.config import load_config

    return dict(load_config().classes.note_map)


def roland_notes() -> tuple[int, ...]:
    """The Roland note numbers of the note map, sorted (22 notes by default)."""
    return tuple(sorted(note_map()))


def lane_of_note(note: int) -> str | None:
    """Lane name of a Roland note, or None when the note map does not hold it."""
    return note_map().get(note)
