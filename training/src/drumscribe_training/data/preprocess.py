"""Preprocess E-GMD (or the synthetic E-GMD-shaped set) into HDF5 shards.

Pipeline: read the index CSV -> assign splits -> write ``{split}_split.txt`` -> plan shards
(``data.shard_hours`` of audio each, by the CSV durations) -> decode, resample (soxr) and
read the MIDI of every pair on ``num_workers`` processes -> write each shard, in order, from
the main process -> manifest, skipped-pairs report and summary.

Outputs in ``out_dir``
----------------------
``{split}_{index:05d}.h5``
    One shard (layout below). Written to a hidden temp name and renamed when complete, so a
    file with a ``.h5`` name is always whole.
``manifest.json``
    Settings fingerprint and, per finished shard, its rows hash and statistics. Rewritten
    atomically after every shard; a rerun keeps every shard listed here whose settings and
    rows still match and whose file opens, and does only the rest.
``skipped.tsv``
    ``split, audio_filename, midi_filename, reason`` of every pair that was skipped.
``summary.json`` / ``summary.txt``
    Hours, examples and hits per lane per split, skipped counts, unmapped and ignored notes.

Workers are started with ``forkserver`` (so they never inherit an open shard), which, as
with any spawn-style start, means a script calling :func:`run_preprocess` with
``num_workers > 1`` needs the usual ``if __name__ == "__main__":`` guard. They park each
decoded pair in a hidden ``.scratch-*`` folder of ``out_dir`` (removed at the end) and send
back only a small result.

Shard layout (HDF5, ``FORMAT_VERSION`` 2)
-----------------------------------------
Root attributes: ``format_version``, ``split``, ``shard``, ``sample_rate``, ``lane_names``
(JSON list), ``note_map`` (JSON), ``num_examples``, ``num_samples``, ``complete`` (True).

``/audio``
    int16 ``(total_samples,)``: the mono audio of every example, concatenated, at
    ``sample_rate``. ``float = int16 / 32768``.
``/events``
    compound ``(total_events,)`` of :data:`EVENT_DTYPE` (``time_s`` f8 from the start of its
    example, ``lane`` i1, ``velocity`` u1, ``note`` u1 = source Roland note), concatenated.
``/band``
    int16 ``(total_band_samples,)``: the band parts (``<clip>.band.wav``, DATA.md "Band
    parts") of the examples that have one, at ``sample_rate``, each as long as its drums.
    Kept apart from ``/audio``: drums and band are mixed per training example.
``/examples/*``
    One entry per example: ``audio_start``, ``audio_length``, ``event_start``,
    ``event_count``, ``band_start``, ``band_length`` (int64, offsets into the arrays above;
    ``band_length`` 0 = no band part), ``lane_hits`` (n, 8) int32,
    ``duration_s`` (CSV) and ``audio_duration_s`` f8, ``bpm`` i4, and the strings
    ``audio_filename`` (the source file), ``midi_filename``, ``kit_name``, ``style``,
    ``drummer``, ``session``, ``id``, ``beat_type``, ``time_signature``.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from drumscribe._io import atomic_write
from drumscribe.contract import LANE_NAMES
from drumscribe.errors import DrumscribeError
from drumscribe_training.data.egmd import EGMDError, EGMDRow, lane_lookup, read_audio, read_index
from drumscribe_training.data.egmd import read_onsets as _read_onsets
from drumscribe_training.data.splits import SPLITS, assign_splits, write_split_files
from drumscribe_training.synth.band.manifest import band_path

__all__ = [
    "COMPRESSIONS",
    "DEFAULT_COMPRESSION",
    "EVENT_DTYPE",
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "MISMATCH_TOLERANCE_S",
    "SKIPPED_NAME",
    "SUMMARY_JSON_NAME",
    "SUMMARY_TXT_NAME",
    "PairJob",
    "PairResult",
    "PreprocessError",
    "PreprocessOptions",
    "ShardPlan",
    "format_summary",
    "plan_shards",
    "process_pair",
    "run_preprocess",
    "shard_paths",
]

FORMAT_VERSION = 2
#: Shard formats the reader takes: 1 has no band parts.
READABLE_FORMATS: tuple[int, ...] = (1, 2)
MANIFEST_NAME = "manifest.json"
SKIPPED_NAME = "skipped.tsv"
SUMMARY_JSON_NAME = "summary.json"
SUMMARY_TXT_NAME = "summary.txt"
#: A pair whose last mapped onset is later than the end of its audio by more than this is
#: skipped as mismatched.
MISMATCH_TOLERANCE_S = 1.0
#: HDF5 chunk of ``/audio`` in samples (64 KiB of int16).
AUDIO_CHUNK_SAMPLES = 32768
EVENT_CHUNK = 4096
#: Shard compression choices; gzip uses the shuffle filter and this level.
COMPRESSIONS: tuple[str, ...] = ("none", "gzip", "lzf")
DEFAULT_COMPRESSION = "none"
GZIP_LEVEL = 1
#: Hidden folder (in ``out_dir``) where workers park decoded arrays for the main process.
SCRATCH_PREFIX = ".scratch-"
#: Results kept in flight per worker process (bounds memory: one decoded file each).
IN_FLIGHT_PER_WORKER = 4

EVENT_DTYPE = np.dtype([("time_s", "<f8"), ("lane", "i1"), ("velocity", "u1"), ("note", "u1")])

_STRING_FIELDS: tuple[str, ...] = (
    "audio_filename",
    "midi_filename",
    "kit_name",
    "style",
    "drummer",
    "session",
    "id",
    "beat_type",
    "time_signature",
)


class PreprocessError(DrumscribeError):
    """Preprocessing cannot go on (bad index, a worker died, unwritable output)."""


@dataclass(frozen=True)
class PreprocessOptions:
    """Everything one preprocessing run needs (see :meth:`from_config`)."""

    data_dir: Path
    out_dir: Path
    splits_dir: Path
    sample_rate: int
    note_map: Mapping[int, str]
    ignored_notes: tuple[int, ...] = ()
    split_mode: str = "official"
    grouped_fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
    split_seed: int = 0
    shard_hours: float = 2.0
    num_workers: int = 1
    compression: str = DEFAULT_COMPRESSION
    progress: bool = True
    csv_path: Path | None = None

    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> PreprocessOptions:
        """Options from a :class:`~drumscribe_training.config.Config`; keywords override.

        ``data_dir``, ``out_dir`` (``data.processed_dir``) and ``splits_dir`` default to the
        config's paths, taken relative to the current directory.
        """
        values: dict[str, Any] = {
            "data_dir": Path(config.data.data_dir),
            "out_dir": Path(config.data.processed_dir),
            "splits_dir": Path(config.data.splits_dir),
            "sample_rate": config.audio.sample_rate,
            "note_map": dict(config.classes.note_map),
            "ignored_notes": tuple(config.classes.ignored_notes),
            "split_mode": config.data.split_mode,
            "grouped_fractions": tuple(config.data.grouped_fractions),
            "split_seed": config.data.split_seed,
            "shard_hours": config.data.shard_hours,
            "num_workers": config.hardware.num_workers,
        }
        for key, value in overrides.items():
            if value is not None:
                values[key] = value
        for key in ("data_dir", "out_dir", "splits_dir"):
            values[key] = Path(values[key])
        if values.get("csv_path") is not None:
            values["csv_path"] = Path(values["csv_path"])
        return cls(**values)

    def settings(self) -> dict[str, Any]:
        """The settings a shard's content depends on (its fingerprint)."""
        return {
            "format_version": FORMAT_VERSION,
            "sample_rate": self.sample_rate,
            "note_map": {str(k): v for k, v in sorted(self.note_map.items())},
            "ignored_notes": sorted(int(n) for n in self.ignored_notes),
            "mismatch_tolerance_s": MISMATCH_TOLERANCE_S,
            "compression": self.compression,
        }


@dataclass(frozen=True)
class ShardPlan:
    """One shard to write: its file name, split and rows (in order)."""

    name: str
    split: str
    rows: tuple[EGMDRow, ...]

    @property
    def rows_hash(self) -> str:
        h = hashlib.sha1()
        for row in self.rows:
            h.update(row.audio_filename.encode("utf-8") + b"\0" + row.midi_filename.encode("utf-8"))
            h.update(b"\n")
        return h.hexdigest()


@dataclass(frozen=True)
class PairJob:
    """The work of one worker call: decode one pair."""

    row: EGMDRow
    data_dir: str
    sample_rate: int
    lanes: dict[int, int]
    ignored_notes: tuple[int, ...]


@dataclass
class PairResult:
    """What a worker returns for one pair: audio + events, or the reason it was skipped."""

    audio_filename: str
    reason: str = ""
    audio: np.ndarray | None = None
    events: np.ndarray | None = None
    #: The clip's band part (int16, the drums' length), when the data set has one.
    band: np.ndarray | None = None
    unmapped: dict[int, int] = field(default_factory=dict)
    ignored: dict[int, int] = field(default_factory=dict)
    #: Worker-side file holding ``audio`` and ``events`` while in transit (see _run_job).
    payload: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def shard_paths(processed_dir: str | Path, split: str) -> list[Path]:
    """The finished shard files of a split, sorted (``{split}_NNNNN.h5``)."""
    folder = Path(processed_dir)
    return sorted(p for p in folder.glob(f"{split}_*.h5") if p.is_file())


def plan_shards(splits: Mapping[str, Sequence[EGMDRow]], *, shard_hours: float) -> list[ShardPlan]:
    """Cut each split's rows, in order, into shards of about ``shard_hours`` (CSV durations).

    A shard holds at least one row; the plan depends only on the rows and ``shard_hours``.
    """
    if shard_hours <= 0:
        raise ValueError(f"shard_hours must be > 0, got {shard_hours}")
    limit = shard_hours * 3600.0
    plans: list[ShardPlan] = []
    for split in SPLITS:
        current: list[EGMDRow] = []
        seconds = 0.0
        index = 0
        for row in splits.get(split, ()):
            if current and seconds + row.duration > limit:
                plans.append(ShardPlan(f"{split}_{index:05d}.h5", split, tuple(current)))
                index += 1
                current, seconds = [], 0.0
            current.append(row)
            seconds += max(row.duration, 0.0)
        if current:
            plans.append(ShardPlan(f"{split}_{index:05d}.h5", split, tuple(current)))
    return plans


def _reason(exc: Exception, path: Path) -> str:
    msg = str(exc)
    prefix = f"{path}: "
    return msg[len(prefix) :] if msg.startswith(prefix) else msg


def process_pair(job: PairJob) -> PairResult:
    """Decode one audio/MIDI pair (runs in a worker). Never raises on bad input.

    Returns a :class:`PairResult` with int16 audio at ``job.sample_rate`` and the events,
    or with ``reason`` set: missing file, unreadable audio or MIDI, MIDI longer than the
    audio by more than :data:`MISMATCH_TOLERANCE_S`.
    """
    row = job.row
    root = Path(job.data_dir)
    audio_path = root / row.audio_filename
    midi_path = root / row.midi_filename
    result = PairResult(audio_filename=row.audio_filename)
    try:
        onsets = _read_onsets(midi_path, note_map=job.lanes, ignored_notes=job.ignored_notes)
    except EGMDError as exc:
        result.reason = _reason(exc, midi_path)
        return result
    except Exception as exc:  # a MIDI parser bug must not stop the run
        result.reason = f"unreadable MIDI: {type(exc).__name__}: {exc}"
        return result
    try:
        audio = read_audio(audio_path, sample_rate=job.sample_rate)
    except EGMDError as exc:
        result.reason = _reason(exc, audio_path)
        return result
    except Exception as exc:
        result.reason = f"unreadable audio: {type(exc).__name__}: {exc}"
        return result
    audio_s = audio.shape[0] / job.sample_rate
    if onsets.last_onset_s > audio_s + MISMATCH_TOLERANCE_S:
        result.reason = (
            f"MIDI longer than audio: last onset at {onsets.last_onset_s:.2f} s, audio {audio_s:.2f} s"
        )
        return result
    events = np.zeros(len(onsets.events), dtype=EVENT_DTYPE)
    if onsets.events:
        events["time_s"] = [e.time_s for e in onsets.events]
        events["lane"] = [e.lane for e in onsets.events]
        events["velocity"] = [e.velocity for e in onsets.events]
        events["note"] = [e.note for e in onsets.events]
    result.audio = _to_int16(audio)
    result.events = events
    band_file = band_path(root, row.audio_filename)
    if band_file is not None:
        try:
            band = read_audio(band_file, sample_rate=job.sample_rate)
        except Exception as exc:  # a bad band stem skips the pair, naming the stem
            result.audio = result.events = None
            result.reason = f"unreadable band part {band_file.name}: {type(exc).__name__}: {exc}"
            return result
        n = audio.shape[0]
        result.band = _to_int16(np.pad(band[:n], (0, max(0, n - band.shape[0]))))
    result.unmapped = dict(onsets.unmapped)
    result.ignored = dict(onsets.ignored)
    return result


def _to_int16(audio: np.ndarray) -> np.ndarray:
    # float = int16 / 32768 both ways (as soundfile reads PCM_16), so 16-bit sources
    # at the model rate round-trip exactly
    return np.clip(np.rint(audio * 32768.0), -32768, 32767).astype(np.int16)


def _run_job(job: PairJob, scratch: str) -> PairResult:
    """Worker side: decode, park the arrays in ``scratch`` and return a small result.

    Only a few hundred pickled bytes travel back through the result pipe, a single atomic
    write: a worker killed mid-way (OOM killer, Ctrl-C) then cannot leave half a message
    there, which would hang the executor; the pool breaks cleanly instead.
    """
    res = process_pair(job)
    if res.ok:
        fd, name = tempfile.mkstemp(prefix="pair-", suffix=".npz", dir=scratch)
        with os.fdopen(fd, "wb") as fh:
            assert res.audio is not None and res.events is not None  # an ok result has both
            no_band = np.zeros(0, dtype=np.int16)  # a band part is never empty
            np.savez(fh, audio=res.audio, events=res.events, band=no_band if res.band is None else res.band)
        res.audio = res.events = res.band = None
        res.payload = name
    return res


def _load_payload(res: PairResult) -> PairResult:
    """Main side: bring a worker's parked arrays back into ``res`` and delete the file."""
    if res.payload:
        path = Path(res.payload)
        with np.load(path) as data:
            res.audio, res.events = data["audio"], data["events"]
            res.band = data["band"] if data["band"].size else None
        path.unlink()
        res.payload = ""
    return res


class _ShardWriter:
    """Streams examples into one shard under a temp name; renames it when complete."""

    def __init__(self, path: Path, *, split: str, options: PreprocessOptions) -> None:
        import h5py

        self.path = path
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self.file = h5py.File(self.tmp, "w")
        self.split = split
        self.options = options
        comp: dict[str, Any] = {}
        if options.compression == "gzip":
            comp = {"compression": "gzip", "compression_opts": GZIP_LEVEL, "shuffle": True}
        elif options.compression == "lzf":
            comp = {"compression": "lzf", "shuffle": True}
        self.audio = self.file.create_dataset(
            "audio", shape=(0,), maxshape=(None,), dtype=np.int16, chunks=(AUDIO_CHUNK_SAMPLES,), **comp
        )
        self.events = self.file.create_dataset(
            "events", shape=(0,), maxshape=(None,), dtype=EVENT_DTYPE, chunks=(EVENT_CHUNK,)
        )
        # band parts, apart from the drums (mixed at training time); offsets per example
        self.band = self.file.create_dataset(
            "band", shape=(0,), maxshape=(None,), dtype=np.int16, chunks=(AUDIO_CHUNK_SAMPLES,), **comp
        )
        self.n_band = 0
        self.n_samples = 0
        self.n_events = 0
        self.meta: dict[str, list[Any]] = collections.defaultdict(list)

    def add(self, row: EGMDRow, result: PairResult) -> None:
        """Append one decoded example."""
        assert result.audio is not None and result.events is not None
        audio, events = result.audio, result.events
        n, e = audio.shape[0], events.shape[0]
        self.audio.resize((self.n_samples + n,))
        self.audio[self.n_samples : self.n_samples + n] = audio
        if e:
            self.events.resize((self.n_events + e,))
            self.events[self.n_events : self.n_events + e] = events
        m = self.meta
        nb = 0 if result.band is None else result.band.shape[0]
        if nb:
            self.band.resize((self.n_band + nb,))
            self.band[self.n_band : self.n_band + nb] = result.band
        m["band_start"].append(self.n_band)
        m["band_length"].append(nb)
        self.n_band += nb
        m["audio_start"].append(self.n_samples)
        m["audio_length"].append(n)
        m["event_start"].append(self.n_events)
        m["event_count"].append(e)
        m["lane_hits"].append(np.bincount(events["lane"].astype(np.int64), minlength=len(LANE_NAMES)))
        m["duration_s"].append(row.duration)
        m["audio_duration_s"].append(n / self.options.sample_rate)
        m["bpm"].append(row.bpm)
        for name in _STRING_FIELDS:
            m[name].append(getattr(row, name))
        self.n_samples += n
        self.n_events += e

    def commit(self) -> None:
        """Write the example table and attributes, close, and rename onto the final name."""
        import h5py

        f = self.file
        grp = f.create_group("examples")
        n = len(self.meta["audio_start"])
        for name in (
            "audio_start",
            "audio_length",
            "event_start",
            "event_count",
            "band_start",
            "band_length",
        ):
            grp.create_dataset(name, data=np.asarray(self.meta[name], dtype=np.int64).reshape(n))
        hits = np.asarray(self.meta["lane_hits"], dtype=np.int32).reshape(n, len(LANE_NAMES))
        grp.create_dataset("lane_hits", data=hits)
        grp.create_dataset("duration_s", data=np.asarray(self.meta["duration_s"], dtype=np.float64))
        grp.create_dataset(
            "audio_duration_s", data=np.asarray(self.meta["audio_duration_s"], dtype=np.float64)
        )
        grp.create_dataset("bpm", data=np.asarray(self.meta["bpm"], dtype=np.int32))
        str_dt = h5py.string_dtype("utf-8")
        for name in _STRING_FIELDS:
            grp.create_dataset(name, data=np.asarray(self.meta[name], dtype=object), dtype=str_dt)
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["split"] = self.split
        f.attrs["shard"] = self.path.name
        f.attrs["sample_rate"] = self.options.sample_rate
        f.attrs["lane_names"] = json.dumps(list(LANE_NAMES))
        f.attrs["note_map"] = json.dumps({str(k): v for k, v in sorted(self.options.note_map.items())})
        f.attrs["num_examples"] = n
        f.attrs["num_samples"] = self.n_samples
        f.attrs["complete"] = True
        f.close()
        os.chmod(self.tmp, _default_file_mode())  # mkstemp made it 0600
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.file.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink()


def _default_file_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _make_executor(workers: int) -> ProcessPoolExecutor:
    # Workers must not inherit the open shard (its fd and HDF5 lock): no plain fork.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def _shard_is_readable(path: Path) -> bool:
    import h5py

    try:
        with h5py.File(path, "r", locking=False) as f:
            return bool(f.attrs.get("complete", False)) and "examples" in f
    except Exception:
        return False


def _load_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: Any) -> None:
    with atomic_write(path) as fh:
        json.dump(data, fh, indent=2, sort_keys=False)
        fh.write("\n")


def _ordered_results(
    jobs: Sequence[PairJob],
    executor: ProcessPoolExecutor | None,
    max_in_flight: int,
    scratch: Path,
) -> Iterator[PairResult]:
    """Results of ``jobs`` in order, at most ``max_in_flight`` submitted and not yet consumed."""
    if executor is None:
        for one in jobs:
            yield process_pair(one)
        return
    pending: collections.deque[tuple[PairJob, Future[PairResult]]] = collections.deque()
    it = iter(jobs)

    def fill() -> None:
        while len(pending) < max_in_flight:
            job = next(it, None)
            if job is None:
                return
            pending.append((job, executor.submit(_run_job, job, str(scratch))))

    job: PairJob | None = None
    try:
        fill()
        while pending:
            job, fut = pending.popleft()
            res = _load_payload(fut.result())
            fill()
            yield res
    except BrokenProcessPool:
        name = job.row.audio_filename if job is not None else "?"
        raise PreprocessError(
            f"{name}: a worker process died while decoding this pair or one beside it; "
            "finished shards are kept, rerun to resume"
        ) from None


def _count_add(total: dict[str, int], part: Mapping[Any, int]) -> None:
    for k, v in part.items():
        total[str(k)] = total.get(str(k), 0) + int(v)


def run_preprocess(options: PreprocessOptions) -> dict[str, Any]:
    """Run (or resume) preprocessing; returns the summary (also saved in ``out_dir``).

    Bad pairs are skipped and listed in ``skipped.tsv``; they never stop the run.

    Raises
    ------
    EGMDError
        If the index cannot be read.
    PreprocessError
        If the output folder is unusable or a worker process dies (finished shards stay).
    """
    if options.compression not in COMPRESSIONS:
        raise PreprocessError(f"unknown compression {options.compression!r}; use one of {COMPRESSIONS}")
    rows = read_index(options.data_dir, csv_path=options.csv_path)
    try:
        splits = assign_splits(
            rows,
            mode=options.split_mode,
            fractions=options.grouped_fractions,
            seed=options.split_seed,
        )
    except ValueError as exc:
        raise PreprocessError(str(exc)) from None
    out = options.out_dir
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_split_files(options.splits_dir, splits)
    except OSError as exc:
        raise PreprocessError(f"{exc.filename}: cannot write output ({exc.strerror})") from None
    plans = plan_shards(splits, shard_hours=options.shard_hours)
    manifest = _resume(out, plans, options.settings())
    _write_shards([p for p in plans if p.name not in manifest["shards"]], manifest, options)
    summary = _summarize(plans, manifest["shards"], options)
    _write_skipped(out / SKIPPED_NAME, plans, manifest["shards"])
    _write_json(out / SUMMARY_JSON_NAME, summary)
    with atomic_write(out / SUMMARY_TXT_NAME) as fh:
        fh.write(format_summary(summary))
    return summary


def _resume(out: Path, plans: Sequence[ShardPlan], settings: dict[str, Any]) -> dict[str, Any]:
    """Keep the finished shards the plan still holds; remove every other file of ours.

    Returns the manifest (written to ``out``): settings and the kept shards' entries.
    """
    planned = {p.name: p for p in plans}
    manifest_path = out / MANIFEST_NAME
    old = _load_manifest(manifest_path)
    old_shards: dict[str, Any] = old.get("shards", {}) if old.get("settings") == settings else {}
    done: dict[str, Any] = {}
    for name, old_entry in old_shards.items():
        plan = planned.get(name)
        if (
            plan is not None
            and isinstance(old_entry, dict)
            and old_entry.get("rows_hash") == plan.rows_hash
            and _shard_is_readable(out / name)
        ):
            done[name] = old_entry
    # Files of ours that the plan no longer holds (or that are stale) are removed.
    for name in set(old.get("shards", {})) - set(done):
        with contextlib.suppress(OSError):
            (out / name).unlink()
    for p in out.glob(".*.h5.*.tmp"):
        with contextlib.suppress(OSError):
            p.unlink()
    for p in out.glob(f"{SCRATCH_PREFIX}*"):
        shutil.rmtree(p, ignore_errors=True)
    manifest: dict[str, Any] = {"format_version": FORMAT_VERSION, "settings": settings, "shards": done}
    _write_json(manifest_path, manifest)
    return manifest


def _write_shards(todo: Sequence[ShardPlan], manifest: dict[str, Any], options: PreprocessOptions) -> None:
    """Decode the pairs of ``todo`` (in worker processes) and write each shard in turn.

    The manifest gains each shard's entry, and is rewritten, as soon as the shard is complete.
    """
    from tqdm import tqdm

    out = options.out_dir
    lanes = lane_lookup(options.note_map)
    jobs = [
        PairJob(row, str(options.data_dir), options.sample_rate, lanes, tuple(options.ignored_notes))
        for p in todo
        for row in p.rows
    ]
    workers = max(int(options.num_workers), 1)
    executor = _make_executor(workers) if workers > 1 and jobs else None
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=out))
    bar = tqdm(
        total=len(jobs),
        unit="file",
        desc="preprocess",
        disable=not options.progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    try:
        results = _ordered_results(jobs, executor, workers * IN_FLIGHT_PER_WORKER, scratch)
        for plan in todo:
            writer = _ShardWriter(out / plan.name, split=plan.split, options=options)
            try:
                entry = _fill_shard(writer, plan, results, on_pair=lambda: bar.update(1))
                writer.commit()
            except BaseException:
                writer.abort()
                raise
            manifest["shards"][plan.name] = entry
            _write_json(out / MANIFEST_NAME, manifest)
            bar.set_postfix_str(plan.name, refresh=False)
    finally:
        bar.close()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(scratch, ignore_errors=True)


def _fill_shard(
    writer: _ShardWriter, plan: ShardPlan, results: Iterator[PairResult], *, on_pair: Callable[[], Any]
) -> dict[str, Any]:
    """Add the decoded pairs of one shard's rows to ``writer``; returns its manifest entry."""
    entry: dict[str, Any] = {
        "split": plan.split,
        "rows": len(plan.rows),
        "rows_hash": plan.rows_hash,
        "examples": 0,
        "samples": 0,
        "hits": [0] * len(LANE_NAMES),
        "unmapped": {},
        "ignored": {},
        "skipped": [],
    }
    for row in plan.rows:
        res = next(results)
        if res.ok:
            writer.add(row, res)
            assert res.events is not None and res.audio is not None
            entry["examples"] += 1
            entry["samples"] += int(res.audio.shape[0])
            counts = np.bincount(res.events["lane"].astype(np.int64), minlength=len(LANE_NAMES))
            entry["hits"] = [int(a + b) for a, b in zip(entry["hits"], counts, strict=True)]
            _count_add(entry["unmapped"], res.unmapped)
            _count_add(entry["ignored"], res.ignored)
        else:
            entry["skipped"].append([row.audio_filename, row.midi_filename, res.reason])
        on_pair()
    return entry


def _write_skipped(path: Path, plans: Sequence[ShardPlan], done: Mapping[str, Any]) -> None:
    with atomic_write(path) as fh:
        fh.write("split\taudio_filename\tmidi_filename\treason\n")
        for plan in plans:
            for audio_name, midi_name, reason in done.get(plan.name, {}).get("skipped", []):
                clean = reason.replace("\t", " ").replace("\n", " ")
                fh.write(f"{plan.split}\t{audio_name}\t{midi_name}\t{clean}\n")


def _summarize(
    plans: Sequence[ShardPlan], done: Mapping[str, Any], options: PreprocessOptions
) -> dict[str, Any]:
    per_split: dict[str, Any] = {}
    unmapped: dict[str, int] = {}
    ignored: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for split in SPLITS:
        entries = [done[p.name] for p in plans if p.split == split and p.name in done]
        hits = np.zeros(len(LANE_NAMES), dtype=np.int64)
        samples = examples = skipped = rows = 0
        for e in entries:
            hits += np.asarray(e["hits"], dtype=np.int64)
            samples += int(e["samples"])
            examples += int(e["examples"])
            rows += int(e["rows"])
            skipped += len(e["skipped"])
            _count_add(unmapped, e["unmapped"])
            _count_add(ignored, e["ignored"])
            for _, _, reason in e["skipped"]:
                kind = reason.split(":", 1)[0]
                reasons[kind] = reasons.get(kind, 0) + 1
        per_split[split] = {
            "shards": len(entries),
            "rows": rows,
            "examples": examples,
            "skipped": skipped,
            "hours": samples / options.sample_rate / 3600.0,
            "hits": {name: int(h) for name, h in zip(LANE_NAMES, hits, strict=True)},
        }
    return {
        "format_version": FORMAT_VERSION,
        "data_dir": str(options.data_dir),
        "out_dir": str(options.out_dir),
        "sample_rate": options.sample_rate,
        "split_mode": options.split_mode,
        "splits": per_split,
        "unmapped_notes": dict(sorted(unmapped.items(), key=lambda kv: int(kv[0]))),
        "ignored_notes": dict(sorted(ignored.items(), key=lambda kv: int(kv[0]))),
        "skipped_reasons": dict(sorted(reasons.items())),
    }


def format_summary(summary: Mapping[str, Any]) -> str:
    """A readable table of a summary from :func:`run_preprocess`."""
    splits = summary["splits"]
    lines = [f"drumscribe preprocess summary ({summary['out_dir']}, {summary['sample_rate']} Hz)", ""]
    head = f"{'split':<6} {'shards':>6} {'examples':>8} {'skipped':>7} {'hours':>8}"
    head += "".join(f" {name:>8}" for name in LANE_NAMES)
    lines.append(head)
    lines.append("-" * len(head))
    for split in SPLITS:
        s = splits[split]
        line = f"{split:<6} {s['shards']:>6} {s['examples']:>8} {s['skipped']:>7} {s['hours']:>8.3f}"
        line += "".join(f" {s['hits'][name]:>8}" for name in LANE_NAMES)
        lines.append(line)
    lines.append("")

    def fmt(counts: Mapping[str, int]) -> str:
        return ", ".join(f"{k}: {v}" for k, v in counts.items()) if counts else "none"

    lines.append(f"unmapped notes (note: count): {fmt(summary['unmapped_notes'])}")
    lines.append(f"ignored notes (note: count): {fmt(summary['ignored_notes'])}")
    lines.append(f"skipped pairs by reason: {fmt(summary['skipped_reasons'])}")
    return "\n".join(lines) + "\n"
