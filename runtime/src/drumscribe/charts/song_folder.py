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

Lead-in: when the first note comes sooner than
:data:`~drumscribe.charts.structure.MIN_LEAD_IN_S` after the start (or the first beat is
not a whole number of beats after 0 s), the audio is written as ``song.ogg`` with silence
before it and the chart is shifted by as much (:func:`~drumscribe.charts.structure.lead_in_pad_s`).

Rewriting: the files are replaced; in a folder drumscribe wrote before (its song.ini names
drumscribe as charter), its own files that are not written again (``song.ogg`` beside a
new ``song.wav``, ``notes.chart`` beside a new ``notes.mid``) are removed. Anyone else's
chart, ini or audio files are left in place with a :class:`SongFolderWarning`.

Every file name is fixed (titles only go inside the files), so nothing derived from an
input can land outside ``out_dir``; every file is written atomically (temp file, rename).
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from drumscribe._io import atomic_path
from drumscribe.charts.chart import Chart, chart_from_transcription
from drumscribe.charts.clonehero import write_notes_chart
from drumscribe.charts.rockband import write_notes_mid
from drumscribe.charts.song_ini import DEFAULT_GENRE, read_song_ini, song_ini_fields, write_song_ini
from drumscribe.charts.structure import lead_in_pad_s, shift_chart
from drumscribe.errors import AudioError, ChartError, DrumscribeError
from drumscribe.hits import TranscriptionRecord

__all__ = ["AUDIO_COPY_NAMES", "OWNED_NAMES", "SONG_FORMATS", "SongFolderWarning", "write_song_folder"]

#: Song-folder formats.
SONG_FORMATS: tuple[str, ...] = ("clonehero", "rockband", "yarg")
#: Audio types the games play as they are, and the name each is copied to.
AUDIO_COPY_NAMES: dict[str, str] = {
    ".ogg": "song.ogg",
    ".mp3": "song.mp3",
    ".opus": "song.opus",
    ".wav": "song.wav",
}
#: Every file name a song folder of drumscribe's can hold: rewriting a folder that
#: drumscribe wrote removes the ones it does not write again.
OWNED_NAMES: frozenset[str] = frozenset({"notes.chart", "notes.mid", "song.ini", *AUDIO_COPY_NAMES.values()})
#: The charter named in song.ini and the chart.
CHARTER = "drumscribe"
_GAME_SUFFIXES = frozenset({".chart", ".mid", ".ini", ".ogg", ".mp3", ".opus", ".wav"})
_BLOCK_FRAMES = 1 << 16


class SongFolderWarning(UserWarning):
    """A file in a song folder that drumscribe did not write and left in place."""


def _inside(folder: Path, name: str) -> Path:
    target = folder / name
    if target.resolve().parent != folder.resolve():
        raise DrumscribeError(f"{target}: refusing to write outside {folder}")
    return target


def _audio_name(src: Path, pad_s: float) -> str:
    return AUDIO_COPY_NAMES.get(src.suffix.lower(), "song.ogg") if pad_s <= 0 else "song.ogg"


def _write_audio(src: Path, folder: Path, pad_s: float = 0.0) -> Path:
    if not src.is_file():
        raise AudioError(f"{src}: no such audio file")
    name = _audio_name(src, pad_s)
    if pad_s <= 0 and src.suffix.lower() in AUDIO_COPY_NAMES:
        target = _inside(folder, name)
        with atomic_path(target) as tmp:
            shutil.copyfile(src, tmp)
        return target
    target = _inside(folder, name)
    try:
        with sf.SoundFile(src) as inp, atomic_path(target) as tmp:
            pad_frames = round(pad_s * inp.samplerate)
            with sf.SoundFile(
                tmp, "w", samplerate=inp.samplerate, channels=inp.channels, format="OGG", subtype="VORBIS"
            ) as out:
                silence = np.zeros((min(pad_frames, _BLOCK_FRAMES), inp.channels), dtype=np.float32)
                left = pad_frames
                while left > 0:
                    out.write(silence[: min(left, len(silence))])
                    left -= len(silence)
                for block in inp.blocks(blocksize=_BLOCK_FRAMES, dtype="float32", always_2d=True):
                    out.write(block)
            # libsndfile buffers encoded pages and does not report a failed write (a full
            # disk): read the result back before it takes the name
            try:
                complete = sf.info(str(tmp)).frames == inp.frames + pad_frames
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
    genre: str | None = None,
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
        file's stem, the artist is left out when not given.
    genre : str, optional
        Genre for song.ini and the chart (default :data:`~drumscribe.charts.song_ini.DEFAULT_GENRE`).
    **chart_options
        Options of :func:`~drumscribe.charts.build_chart` (``bpm``, ``offset_s``,
        ``tempo_map``, ``grid``, ``tolerance``, ``difficulties``, ...).

    Returns
    -------
    list of pathlib.Path
        The files written: the chart, ``song.ini``, then the audio when there is some.

    Warns
    -----
    SongFolderWarning
        When a chart, song.ini or audio file that drumscribe did not write is left in the
        folder.

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
    ours = _written_by_drumscribe(folder)
    # the lead-in: silence before the audio, the chart shifted by as much (needs the audio)
    pad_s = lead_in_pad_s(chart) if audio_src is not None else 0.0
    chart = shift_chart(chart, pad_s)
    audio_name = _audio_name(audio_src, pad_s) if audio_src is not None else None
    # audio first: a missing or unreadable file stops before any chart is written
    audio_written = _write_audio(audio_src, folder, pad_s) if audio_src is not None else None
    written: list[Path] = []
    if format == "clonehero":
        written.append(
            write_notes_chart(
                chart,
                _inside(folder, "notes.chart"),
                title=song_title,
                artist=artist,
                audio_name=audio_name,
                genre=genre or DEFAULT_GENRE,
            )
        )
    else:
        written.append(
            write_notes_mid(chart, _inside(folder, "notes.mid"), title=song_title, elite=format == "yarg")
        )
    fields = song_ini_fields(chart, title=song_title, artist=artist, elite=format == "yarg", genre=genre)
    written.append(write_song_ini(_inside(folder, "song.ini"), fields))
    if audio_written is not None:
        written.append(audio_written)
    _remove_stale(folder, written, ours=ours)
    return written


def _written_by_drumscribe(folder: Path) -> bool:
    """Whether the folder is empty or its song.ini names drumscribe as the charter."""
    ini = folder / "song.ini"
    if not ini.is_file():
        return not any(folder.iterdir())
    try:
        return read_song_ini(ini).get("charter", "").strip().lower() == CHARTER.lower()
    except ChartError:
        return False


def _remove_stale(folder: Path, written: list[Path], *, ours: bool) -> None:
    """Remove drumscribe's own files that this write did not make again (a ``song.ogg``
    beside a new ``song.wav``, a ``notes.chart`` beside a new ``notes.mid``); leave anyone
    else's chart or audio in place with a :class:`SongFolderWarning`."""
    keep = {p.name for p in written}
    for entry in sorted(folder.iterdir()):
        name = entry.name
        if name in keep or not entry.is_file():
            continue
        if ours and name in OWNED_NAMES:
            entry.unlink(missing_ok=True)
        elif name in OWNED_NAMES or entry.suffix.lower() in _GAME_SUFFIXES:
            warnings.warn(
                f"{entry}: left in place (not written by drumscribe); the game may read it instead of "
                f"{'/'.join(sorted(keep))}",
                SongFolderWarning,
                stacklevel=3,
            )
