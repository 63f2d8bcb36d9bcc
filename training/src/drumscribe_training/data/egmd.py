"""Reading E-GMD as it is on disk: the index CSV, the ``.midi`` files and the audio.

E-GMD's root holds ``e-gmd-v1.0.0.csv`` and ``drummer1/ ... drummer10/``. The CSV header is,
in this order::

    drummer,session,id,style,bpm,beat_type,time_signature,duration,split,
    midi_filename,audio_filename,kit_name

``id`` repeats across kits, so rows are keyed on ``audio_filename``. MIDI files carry Roland
TD-17 note numbers; :func:`read_onsets` maps them to the 8 lanes through the config's
``classes.note_map`` and counts the notes it cannot map.

Public API
----------
- :func:`find_index_csv`, :func:`read_index` -> tuple of :class:`EGMDRow`
- :func:`read_onsets` -> :class:`MidiOnsets` (events as :class:`OnsetEvent`)
- :func:`lane_lookup` (note -> lane index from a note map of lane names)
- :func:`read_audio` -> mono float32 at a target rate (soxr)
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from drumscribe.contract import lane_index
from drumscribe.errors import DrumscribeError

__all__ = [
    "CSV_HEADER",
    "INDEX_CSV_NAME",
    "EGMDError",
    "EGMDRow",
    "MidiOnsets",
    "OnsetEvent",
    "find_index_csv",
    "lane_lookup",
    "read_audio",
    "read_index",
    "read_onsets",
]

#: The file name of the E-GMD index at the dataset root.
INDEX_CSV_NAME = "e-gmd-v1.0.0.csv"

#: E-GMD's CSV header, in order.
CSV_HEADER: tuple[str, ...] = (
    "drummer",
    "session",
    "id",
    "style",
    "bpm",
    "beat_type",
    "time_signature",
    "duration",
    "split",
    "midi_filename",
    "audio_filename",
    "kit_name",
)

#: CSV split names -> our split names.
SPLIT_NAMES: dict[str, str] = {"train": "train", "validation": "val", "test": "test"}


class EGMDError(DrumscribeError):
    """An E-GMD file (CSV, MIDI or audio) that cannot be read; the message names it."""


@dataclass(frozen=True, slots=True)
class EGMDRow:
    """One row of the E-GMD index (one audio/MIDI pair on one kit).

    Attributes
    ----------
    drummer, session, id, style : str
        As in the CSV (``session`` is e.g. ``"drummer1/eval_session"``).
    bpm : int
        Tempo in beats per minute.
    beat_type, time_signature : str
        ``"beat"`` / ``"fill"`` and e.g. ``"4-4"``.
    duration : float
        Duration in seconds as stated by the CSV.
    split : str
        ``"train"``, ``"val"`` or ``"test"`` (the CSV's ``validation`` becomes ``"val"``).
    midi_filename, audio_filename : str
        Paths relative to the dataset root; ``audio_filename`` is the row's key.
    kit_name : str
        One of the kits E-GMD was rendered on.
    """

    drummer: str
    session: str
    id: str
    style: str
    bpm: int
    beat_type: str
    time_signature: str
    duration: float
    split: str
    midi_filename: str
    audio_filename: str
    kit_name: str

    @property
    def group(self) -> str:
        """The performance group for grouped splits: ``drummer/session``."""
        session = self.session
        if "/" in session:
            return session
        return f"{self.drummer}/{session}"


@dataclass(frozen=True, slots=True)
class OnsetEvent:
    """One drum hit read from a MIDI file.

    Attributes
    ----------
    time_s : float
        Onset time in seconds from the start of the file.
    lane : int
        Lane index 0..7 (see :data:`drumscribe.contract.LANE_NAMES`).
    velocity : int
        MIDI velocity 1..127.
    note : int
        The source (Roland) note number.
    """

    time_s: float
    lane: int
    velocity: int
    note: int


@dataclass(frozen=True, slots=True)
class MidiOnsets:
    """The onsets of one MIDI file, and what could not be mapped.

    Attributes
    ----------
    events : tuple of OnsetEvent
        Mapped hits sorted by time, then lane.
    unmapped : dict
        Source note -> count, for notes neither in the note map nor ignored.
    ignored : dict
        Source note -> count, for notes listed in ``ignored_notes``.
    length_s : float
        Length of the MIDI file in seconds (end of the last track).
    """

    events: tuple[OnsetEvent, ...]
    unmapped: dict[int, int] = field(default_factory=dict)
    ignored: dict[int, int] = field(default_factory=dict)
    length_s: float = 0.0

    @property
    def last_onset_s(self) -> float:
        """Time of the last mapped hit (0.0 when there is none)."""
        return self.events[-1].time_s if self.events else 0.0


def find_index_csv(data_dir: str | Path) -> Path:
    """Return the index CSV of an E-GMD root.

    ``e-gmd-v1.0.0.csv`` is preferred; otherwise the single ``*.csv`` at the root.

    Raises
    ------
    EGMDError
        If the folder is missing or holds no (or several candidate) CSV files.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise EGMDError(f"{root}: E-GMD folder does not exist")
    preferred = root / INDEX_CSV_NAME
    if preferred.is_file():
        return preferred
    candidates = sorted(p for p in root.glob("*.csv") if p.is_file())
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise EGMDError(f"{root}: no {INDEX_CSV_NAME} (or other .csv index) in the E-GMD folder")
    names = ", ".join(p.name for p in candidates)
    raise EGMDError(f"{root}: several CSV files ({names}) and no {INDEX_CSV_NAME}")


def read_index(data_dir: str | Path, *, csv_path: str | Path | None = None) -> tuple[EGMDRow, ...]:
    """Read the E-GMD index CSV into rows, in file order.

    Parameters
    ----------
    data_dir : path-like
        The E-GMD root (CSV + ``drummerN/`` folders).
    csv_path : path-like, optional
        The CSV to read; default :func:`find_index_csv` of ``data_dir``.

    Returns
    -------
    tuple of EGMDRow
        One per row. Paths stay relative to ``data_dir``.

    Raises
    ------
    EGMDError
        If the CSV is missing, its header differs from :data:`CSV_HEADER`, a row has the
        wrong number of fields or a bad number, an unknown split, or an ``audio_filename``
        repeats.
    """
    path = Path(csv_path) if csv_path is not None else find_index_csv(data_dir)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise EGMDError(f"{path}: cannot read the E-GMD index ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise EGMDError(f"{path}: the E-GMD index is not UTF-8 text") from None
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        raise EGMDError(f"{path}: the E-GMD index is empty") from None
    if tuple(h.strip() for h in header) != CSV_HEADER:
        raise EGMDError(
            f"{path}: unexpected CSV header {','.join(header)!r}; expected {','.join(CSV_HEADER)!r}"
        )
    rows: list[EGMDRow] = []
    seen: set[str] = set()
    for line_no, fields in enumerate(reader, start=2):
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(CSV_HEADER):
            raise EGMDError(f"{path}:{line_no}: expected {len(CSV_HEADER)} fields, got {len(fields)}")
        rec = dict(zip(CSV_HEADER, (f.strip() for f in fields), strict=True))
        split = SPLIT_NAMES.get(rec["split"])
        if split is None:
            raise EGMDError(
                f"{path}:{line_no}: unknown split {rec['split']!r} (expected one of {', '.join(SPLIT_NAMES)})"
            )
        try:
            bpm = int(float(rec["bpm"]))
            duration = float(rec["duration"])
        except ValueError:
            raise EGMDError(
                f"{path}:{line_no}: bpm {rec['bpm']!r} / duration {rec['duration']!r} is not a number"
            ) from None
        if not math.isfinite(duration) or duration < 0:
            raise EGMDError(f"{path}:{line_no}: bad duration {rec['duration']!r}")
        key = rec["audio_filename"]
        if not key:
            raise EGMDError(f"{path}:{line_no}: empty audio_filename")
        if key in seen:
            raise EGMDError(f"{path}:{line_no}: audio_filename {key!r} repeats")
        seen.add(key)
        rows.append(
            EGMDRow(
                drummer=rec["drummer"],
                session=rec["session"],
                id=rec["id"],
                style=rec["style"],
                bpm=bpm,
                beat_type=rec["beat_type"],
                time_signature=rec["time_signature"],
                duration=duration,
                split=split,
                midi_filename=rec["midi_filename"],
                audio_filename=key,
                kit_name=rec["kit_name"],
            )
        )
    return tuple(rows)


def lane_lookup(note_map: Mapping[int, str | int]) -> dict[int, int]:
    """Turn a note map (note -> lane name or index) into note -> lane index.

    Raises
    ------
    ValueError
        If a value names no lane.
    """
    return {int(note): lane_index(lane) for note, lane in note_map.items()}


def read_onsets(
    midi_path: str | Path,
    *,
    note_map: Mapping[int, str | int],
    ignored_notes: Iterable[int] = (),
) -> MidiOnsets:
    """Read a MIDI file's note-on events as lane onsets.

    Every note-on with velocity > 0, on any channel and track, is one hit. Times honour
    the file's tempo map.

    Parameters
    ----------
    midi_path : path-like
        A ``.midi`` / ``.mid`` file.
    note_map : mapping
        Source note -> lane name (e.g. ``config.classes.note_map``) or lane index.
    ignored_notes : iterable of int
        Notes dropped without being reported as unknown (counted in ``ignored``).

    Returns
    -------
    MidiOnsets

    Raises
    ------
    EGMDError
        If the file is missing or is not a readable MIDI file.
    """
    import mido

    path = Path(midi_path)
    lanes = lane_lookup(note_map)
    ignored_set = {int(n) for n in ignored_notes}
    try:
        midi = mido.MidiFile(str(path))
        length_s = float(midi.length)
        messages = list(midi)
    except FileNotFoundError:
        raise EGMDError(f"{path}: missing MIDI file") from None
    except OSError as exc:
        raise EGMDError(f"{path}: unreadable MIDI ({exc})") from None
    except (EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise EGMDError(f"{path}: unreadable MIDI ({exc or type(exc).__name__})") from None
    events: list[OnsetEvent] = []
    unmapped: Counter[int] = Counter()
    ignored: Counter[int] = Counter()
    now = 0.0
    for msg in messages:
        now += msg.time
        if msg.type != "note_on" or msg.velocity <= 0:
            continue
        lane = lanes.get(msg.note)
        if lane is None:
            if msg.note in ignored_set:
                ignored[msg.note] += 1
            else:
                unmapped[msg.note] += 1
            continue
        events.append(OnsetEvent(time_s=now, lane=lane, velocity=msg.velocity, note=msg.note))
    events.sort(key=lambda e: (e.time_s, e.lane, e.note))
    return MidiOnsets(
        events=tuple(events),
        unmapped=dict(sorted(unmapped.items())),
        ignored=dict(sorted(ignored.items())),
        length_s=length_s,
    )


def read_audio(path: str | Path, *, sample_rate: int) -> np.ndarray:
    """Read an audio file as mono float32 at ``sample_rate`` (soxr, high quality).

    Returns
    -------
    numpy.ndarray
        ``(samples,)`` float32.

    Raises
    ------
    EGMDError
        If the file is missing, not audio, truncated to nothing, empty, or holds NaN/inf.
    """
    import soundfile as sf
    import soxr

    p = Path(path)
    if not p.is_file():
        raise EGMDError(f"{p}: missing audio file")
    try:
        data, sr = sf.read(str(p), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError, OSError) as exc:
        detail = str(exc)
        if detail.startswith("Error opening") and ": " in detail:
            detail = detail.split(": ", 1)[1]
        raise EGMDError(f"{p}: unreadable audio ({detail.strip()})") from None
    if data.shape[0] == 0:
        raise EGMDError(f"{p}: audio holds no samples")
    if not np.isfinite(data).all():
        raise EGMDError(f"{p}: audio holds NaN or infinite samples")
    mono = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
    if sr != sample_rate:
        mono = soxr.resample(mono, sr, sample_rate, quality="HQ").astype(np.float32, copy=False)
    return np.ascontiguousarray(mono, dtype=np.float32)
