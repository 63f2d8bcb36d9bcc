"""The result of :func:`drumscribe.transcribe`: a record with its output methods."""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from typing import Any

from drumscribe.charts import build_chart
from drumscribe.hits import TranscriptionRecord
from drumscribe.writers import write_transcription, write_transcription_midi

__all__ = ["Transcription"]


@dataclass(frozen=True, slots=True)
class Transcription(TranscriptionRecord):
    """The result of transcribing one piece of audio: :class:`~drumscribe.hits.TranscriptionRecord`
    (hits, duration, model information, activations) with its output methods.
    """

    def to_midi(self, path: str | PathLike[str], *, bpm: float | None = None) -> None:
        """Write a General MIDI drum file (channel 10) with the estimated tempo map, or at
        ``bpm``. See :func:`drumscribe.charts.general_midi.write_transcription_midi`."""
        write_transcription_midi(self, path, bpm=bpm)

    def to_chart(self, **options: Any) -> dict[str, Any]:
        """Build the JSON chart v1 as a dict. Options go to :func:`drumscribe.charts.build_chart`."""
        return build_chart(self, **options)

    def write(self, path: str | PathLike[str], *, format: str | None = None, **options: Any) -> list[str]:
        """Write this transcription in a format; ``format`` defaults from the extension.

        Returns
        -------
        list of str
            The paths written.
        """
        return write_transcription(self, path, format=format, **options)
