"""Song folders that Clone Hero, YARG and Rock Band-style games open.

============  =================================================================
format        files
============  =================================================================
clonehero     ``notes.chart`` + ``song.ini`` + audio
rockband      ``notes.mid`` (PART DRUMS) + ``song.ini`` + audio
yarg          ``notes.mid`` (PART DRUMS and PART ELITE_DRUMS) + ``song.ini`` + audio
============  =================================================================

Audio: the file given (default: the transcription's source) is copied as ``song.ogg``,
``song.mp3``, ``song.opus`` or ``song.wav`` when it already has one of those types, and
otherwise (FLAC, AIFF, ...) converted to ``song.ogg`` (Ogg Vorbis) block by block with
soundfile. Without any audio the folder holds the chart and song.ini only.

Every file name is fixed (titles only go inside the files), so nothing derived from an
input can land outside ``out_dir``; every file is written atomically (temp file, rename).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import soundfile as sf

from drumscribe._io import atomic_path
from drumscribe.charts.chart import Chart, chart_from_transcription
from drumscribe.charts.clonehero import write_notes_chart
from drumscribe.charts.rockband import write_notes_mid
from drumscribe.charts.song_ini import song_ini_fields, write_song_ini
from drumscribe.errors import AudioError, DrumscribeError
from drumscribe.hits import TranscriptionRecord

__all__ = ["AUDIO_COPY_NAMES", "SONG_FORMATS", "write_song_folder"]

#: Song-folder formats.
SONG_FORMATS: tuple[str, ...] = ("clonehero", "rockband", "yarg")
#: Audio types the games play as they are, and the name each is copied to.
AUDIO_COPY_NAMES: dict[str, str] = {
    ".ogg": "song.ogg",
    ".mp3": "song.mp3",
    ".opus": "song.opus",
    ".wav": "song.wav",
}
_BLOCK_FRAMES = 1 << 16


def _inside(folder: Path, name: str) -> Path:
    target = folder / name
    if target.resolve().parent != folder.resolve():
        raise DrumscribeError(f"{target}: refusing to write outside {folder}")
    return target


def _write_audio(src: Path, folder: Path) -> Path:
    if not src.is_file():
        raise AudioError(f"{src}: no such audio file")
    name = AUDIO_COPY_NAMES.get(src.suffix.lower())
    if name is not None:
        target = _inside(folder, name)
        with atomic_path(target) as tmp:
            shutil.copyfile(src, tmp)
        return target
    target = _inside(folder, "song.ogg")
    try:
        with sf.SoundFile(src) as inp, atomic_path(target) as tmp:
            with sf.SoundFile(
                tmp, "w", samplerate=inp.samplerate, channels=inp.channels, format="OGG", subtype="VORBIS"
            ) as out:
                for block in inp.blocks(blocksize=_BLOCK_FRAMES, dtype="float32", always_2d=True):
                    out.write(block)
            # libsndfile buffers encoded pages and does not report a failed write (a full
            # disk): read the result back before it takes the name
            try:
                complete = sf.info(str(tmp)).frames == inp.frames
            except sf.LibsndfileError:
                complete = False
            if not complete:
                raise AudioError(f"{target}: the converted audio is incomplete (is the disk full?)")
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioError(f"{src}: cannot convert the audio to Ogg Vorbis ({exc})") from None
    return target


def write_song_folder(
    transcription: TranscriptionRecord | Chart,
    out_dir: str | os.PathLike[str],
    *,
    format: str,
    audio_path: str | os.PathLike[str] | None = None,
    title: str | None = None,
    artist: str | None = None,
    **chart_options: Any,
) -> list[Path]:
    """Write a song folder for a rhythm game.

    Parameters
    ----------
    transcription : TranscriptionRecord or Chart
        What to chart (a Chart is written as it is; chart options then do not apply).
    out_dir : path-like
        The song folder; created when missing.
    format : {"clonehero", "rockband", "yarg"}
        Which game layout (see the module docstring).
    audio_path : path-like, optional
        Audio to put beside the chart; defaults to ``transcription.source``.
    title, artist : str, optional
        Song name and artist for song.ini and the chart; the title defaults to the audio
        file's stem.
    **chart_options
        Options of :func:`~drumscribe.charts.build_chart` (``bpm``, ``offset_s``,
        ``tempo_map``, ``grid``, ``tolerance``, ``difficulties``, ...).

    Returns
    -------
    list of pathlib.Path
        The files written: the chart, ``song.ini``, then the audio when there is some.

    Raises
    ------
    DrumscribeError
        On an unknown format or an output folder that cannot be made; AudioError when the
        audio is missing or cannot be converted.
    """
    if format not in SONG_FORMATS:
        raise DrumscribeError(
            f"{out_dir}: unknown song format {format!r}; expected one of {', '.join(SONG_FORMATS)}"
        )
    if isinstance(transcription, Chart):
        if chart_options:
            raise TypeError(f"chart options {sorted(chart_options)} only apply to a Transcription")
        chart = transcription
        source = None
    else:
        chart = chart_from_transcription(transcription, **chart_options)
        source = transcription.source
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DrumscribeError(f"{folder}: cannot make the song folder ({exc.strerror or exc})") from None
    if not folder.is_dir():
        raise DrumscribeError(f"{folder}: not a folder")
    audio_src = Path(audio_path) if audio_path is not None else (Path(source) if source else None)
    song_title = title or (audio_src.stem if audio_src else chart.title)
    audio_name = None
    if audio_src is not None:
        suffix = audio_src.suffix.lower()
        audio_name = AUDIO_COPY_NAMES.get(suffix, "song.ogg")
    # audio first: a missing or unreadable file stops before any chart is written
    audio_written = _write_audio(audio_src, folder) if audio_src is not None else None
    written: list[Path] = []
    if format == "clonehero":
        written.append(
            write_notes_chart(
                chart, _inside(folder, "notes.chart"), title=song_title, artist=artist, audio_name=audio_name
            )
        )
    else:
        written.append(
            write_notes_mid(chart, _inside(folder, "notes.mid"), title=song_title, elite=format == "yarg")
        )
    fields = song_ini_fields(chart, title=song_title, artist=artist, elite=format == "yarg")
    written.append(write_song_ini(_inside(folder, "song.ini"), fields))
    if audio_written is not None:
        written.append(audio_written)
    return written
