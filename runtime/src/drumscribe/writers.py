"""Write a :class:`TranscriptionRecord` in one of the output formats.

``midi`` and ``json`` write one file; the song-folder formats (``clonehero``,
``rockband``, ``yarg``) write a folder a game opens (chart, song.ini, audio).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from drumscribe.charts.general_midi import write_midi, write_transcription_midi
from drumscribe.charts.json_chart import write_chart_json
from drumscribe.charts.song_folder import SONG_FORMATS, write_song_folder
from drumscribe.errors import DrumscribeError
from drumscribe.hits import TranscriptionRecord

__all__ = [
    "FILE_FORMATS",
    "FORMATS",
    "SONG_FORMATS",
    "format_for_path",
    "write_midi",
    "write_transcription",
    "write_transcription_midi",
]

#: format -> file extension, for formats that write one file
FILE_FORMATS: dict[str, str] = {"midi": ".mid", "json": ".json"}
FORMATS: tuple[str, ...] = (*FILE_FORMATS, *SONG_FORMATS)

_EXTENSIONS = {".mid": "midi", ".midi": "midi", ".json": "json"}


def format_for_path(path: str | os.PathLike[str]) -> str:
    """Infer the format from an output path's extension (``.mid``/``.midi``/``.json``).

    Raises
    ------
    DrumscribeError
        When the extension names no format.
    """
    suffix = Path(path).suffix.lower()
    try:
        return _EXTENSIONS[suffix]
    except KeyError:
        raise DrumscribeError(
            f"{path}: cannot tell the output format from the extension {suffix or '(none)'!r};"
            f" use .mid or .json, or give --format ({', '.join(FORMATS)})"
        ) from None


def write_transcription(
    transcription: TranscriptionRecord,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    **options: Any,
) -> list[str]:
    """Write ``transcription`` to ``path`` (a file, or a folder for song formats).

    Parameters
    ----------
    transcription : TranscriptionRecord
    path : path-like
        Output file for ``midi``/``json``; output folder for song formats.
    format : str, optional
        One of :data:`FORMATS`; inferred from the extension when None.
    **options
        Chart options (``bpm``, ``offset_s``, ``grid``, ...) passed to the chart builder.

    Returns
    -------
    list of str
        Paths written.
    """
    fmt = format or format_for_path(path)
    if fmt in FILE_FORMATS:  # -o out/json/x.json: make out/json, as song folders make theirs
        parent = Path(path).parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DrumscribeError(
                f"{parent}: cannot make the output folder ({exc.strerror or exc})"
            ) from None
    if fmt == "midi":
        # the estimated tempo map (from the activations when kept), unless a bpm is given
        write_transcription_midi(transcription, path, bpm=options.get("bpm"))
        return [str(path)]
    if fmt == "json":
        write_chart_json(transcription, path, **options)
        return [str(path)]
    if fmt in SONG_FORMATS:
        written = write_song_folder(transcription, path, format=fmt, **options)
        return [str(p) for p in written]
    raise DrumscribeError(f"{path}: unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")
