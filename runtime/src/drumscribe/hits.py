"""Result records: :class:`DrumHit` and :class:`TranscriptionRecord`.

Records import no writer: the writers (:mod:`drumscribe.writers`, :mod:`drumscribe.charts`)
take these records, and :class:`drumscribe.transcription.Transcription` adds the output
methods on top.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drumscribe.contract import DEFAULT_FRAME_RATE, LANE_NAMES, LANES, lane_index

__all__ = ["DrumHit", "TranscriptionRecord"]


@dataclass(frozen=True, slots=True)
class DrumHit:
    """One drum hit.

    Ordering sorts by time, then lane.

    Attributes
    ----------
    time_s : float
        Onset time in seconds from the start of the audio.
    drum : str
        Lane name, one of :data:`drumscribe.LANE_NAMES`.
    velocity : int
        MIDI velocity 1..127.
    """

    time_s: float
    drum: str
    velocity: int = 100

    def __post_init__(self) -> None:
        lane_index(self.drum)  # validates the name
        if not np.isfinite(self.time_s) or self.time_s < 0:
            raise ValueError(f"DrumHit time must be a finite number >= 0, got {self.time_s!r}")
        if not 1 <= int(self.velocity) <= 127:
            raise ValueError(f"DrumHit velocity must be 1..127, got {self.velocity!r}")

    @property
    def lane(self) -> int:
        """Lane index 0..7 of :attr:`drum`."""
        return lane_index(self.drum)

    def sort_key(self) -> tuple[float, int, int]:
        """(time, lane index, velocity): the order of hits everywhere in drumscribe."""
        return (self.time_s, self.lane, self.velocity)

    def __lt__(self, other: DrumHit) -> bool:
        return self.sort_key() < other.sort_key()

    def __le__(self, other: DrumHit) -> bool:
        return self.sort_key() <= other.sort_key()

    def __gt__(self, other: DrumHit) -> bool:
        return self.sort_key() > other.sort_key()

    def __ge__(self, other: DrumHit) -> bool:
        return self.sort_key() >= other.sort_key()

    @property
    def gm_note(self) -> int:
        """General MIDI note of this hit's lane."""
        return LANES[self.lane].gm_note


@dataclass(frozen=True, slots=True)
class TranscriptionRecord:
    """The result of transcribing one piece of audio, as data (no output methods).

    Attributes
    ----------
    hits : tuple of DrumHit
        Hits sorted by time, then lane.
    duration_s : float
        Length of the audio in seconds.
    model_info : dict
        What the model's sidecar says about itself (name, sha256, versions).
    activations : numpy.ndarray or None
        Onset activations, shape (frames, 8), values in [0, 1], at :attr:`frame_rate`;
        kept only when asked for.
    frame_rate : float
        Frames per second of :attr:`activations`.
    source : str or None
        Path of the audio file, when there was one.
    audio_sha256 : str or None
        SHA-256 of the audio file's bytes, when there was a file.
    onset_strength : numpy.ndarray or None
        Shape (frames,), the activations' lanes weighted for tempo estimation
        (:func:`~drumscribe.charts.beat_tracking.lane_onset_strength`), at :attr:`frame_rate`;
        kept only when asked for: what the chart's tempo needs, an eighth of the activations.
    """

    hits: tuple[DrumHit, ...]
    duration_s: float
    model_info: dict[str, Any] = field(default_factory=dict)
    activations: np.ndarray | None = None
    frame_rate: float = DEFAULT_FRAME_RATE
    source: str | None = None
    audio_sha256: str | None = None
    onset_strength: np.ndarray | None = None

    def hits_for(self, drum: str | int) -> tuple[DrumHit, ...]:
        """Hits of one lane, given by name or index."""
        name = LANE_NAMES[lane_index(drum)]
        return tuple(h for h in self.hits if h.drum == name)

    def counts(self) -> dict[str, int]:
        """Number of hits per lane name."""
        out = dict.fromkeys(LANE_NAMES, 0)
        for h in self.hits:
            out[h.drum] += 1
        return out
