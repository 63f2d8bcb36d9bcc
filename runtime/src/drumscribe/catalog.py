"""Batch transcription over a catalog: many songs, many processes, resume, shards, a summary.

``drumscribe transcribe`` hands its inputs here. A catalog is built from files, folders
(searched recursively for audio extensions only) and list files (one path a line), sorted
by path; ``--shard K/N`` keeps every N-th song starting at the K-th, so N machines (a SLURM
array, a Kubernetes Indexed Job) split one catalog with no coordinator. ``--jobs N`` runs N
worker processes (:class:`concurrent.futures.ProcessPoolExecutor`), each with one
onnxruntime session and ``cores // N`` threads, so the total never oversubscribes the cores.
Outputs are written atomically, so an output that exists is complete: ``--skip-existing``
leaves it alone and a stopped run resumes where it was. Each catalog run writes a summary
CSV (:data:`SUMMARY_FIELDS`) and ends with one line of totals on stdout (after the one line
per song); errors go to stderr, one line each.

Ctrl-C stops cleanly: the songs not started are dropped, the ones in flight finish (a second
Ctrl-C stops them too; their temp files are removed), the summary is written, exit 130.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from drumscribe.audio import AUDIO_EXTENSIONS
from drumscribe.errors import DrumscribeError

if TYPE_CHECKING:
    from drumscribe.model import Model

__all__ = [
    "AUDIO_EXTENSIONS",
    "SUMMARY_FIELDS",
    "CatalogOptions",
    "SongJob",
    "SongResult",
    "collect_inputs",
    "default_jobs",
    "parse_shard",
    "plan_outputs",
    "run_catalog",
    "shard",
    "summary_path",
    "threads_per_job",
    "write_summary",
]

#: Columns of the summary CSV, in order.
SUMMARY_FIELDS = ("input", "output", "status", "error", "duration", "hits", "seconds")
#: Status values of the summary CSV.
STATUS_OK, STATUS_SKIPPED, STATUS_FAILED, STATUS_INTERRUPTED = "ok", "skipped", "failed", "interrupted"
#: Summary file name in the output folder (a shard adds ``-shard-K-of-N``).
SUMMARY_NAME = "drumscribe-summary"
#: The file a song folder writes last: its presence means the folder is complete.
SONG_FOLDER_LAST_FILE = "song.ini"
#: Exit code after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130
#: Comment marker in ``--from-list`` files.
LIST_COMMENT = "#"
#: multiprocessing start method of the workers: a fresh interpreter, nothing inherited.
START_METHOD = "spawn"
SECONDS_PER_HOUR = 3600.0
#: Carriage return + erase line: a message printed while the progress bar is drawn.
CLEAR_LINE = "\r\033[K"
#: Decimals of the audio hours on the progress bar.
PROGRESS_DIGITS = 3


# --------------------------------------------------------------------------- the catalog


def collect_inputs(
    paths: Iterable[str | os.PathLike[str]], *, from_list: Sequence[str | os.PathLike[str]] = ()
) -> list[tuple[Path, Path | None]]:
    """Expand files, folders and list files into a sorted catalog.

    Parameters
    ----------
    paths : iterable of path-like
        Files (taken as they are, whatever their extension: a bad one fails alone) and
        folders (searched recursively for :data:`AUDIO_EXTENSIONS`, hidden entries skipped).
    from_list : sequence of path-like
        Text files with one file or folder a line; blank lines and lines starting with
        ``#`` are skipped; relative paths are relative to the current folder, as if typed
        on the command line.

    Returns
    -------
    list of (pathlib.Path, pathlib.Path or None)
        ``(input, root)`` sorted by input path, duplicates (same resolved file) removed;
        ``root`` is the folder argument an input was found under (its outputs mirror the
        sub-folders below it), None for a file named directly.

    Raises
    ------
    DrumscribeError
        If a list file cannot be read.
    """
    given: list[Path] = [Path(p) for p in paths]
    for lst in from_list:
        try:
            text = Path(lst).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DrumscribeError(
                f"{lst}: cannot read the input list ({getattr(exc, 'strerror', None) or exc})"
            ) from None
        for line in text.splitlines():
            entry = line.strip()
            if entry and not entry.startswith(LIST_COMMENT):
                given.append(Path(entry))
    found: list[tuple[Path, Path | None]] = []
    for p in given:
        audio = list(_audio_files(p)) if p.is_dir() else []
        if audio:
            found += [(f, p) for f in audio]
        else:  # a file, or a folder with no audio: it fails alone, with its reason
            found.append((p, None))
    seen: set[Path] = set()
    catalog: list[tuple[Path, Path | None]] = []
    for item in sorted(found, key=lambda item: _sort_key(item[0])):
        key = _resolved(item[0])
        if key not in seen:
            seen.add(key)
            catalog.append(item)
    return catalog


def _sort_key(path: Path) -> str:
    return path.as_posix()


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _audio_files(folder: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and Path(name).suffix.lower() in AUDIO_EXTENSIONS:
                yield Path(dirpath) / name


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> ``(K, N)`` with 1 <= K <= N.

    Raises
    ------
    ValueError
        If ``text`` is not of that form.
    """
    parts = text.split("/")
    try:
        k, n = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"shard must be K/N with whole numbers, e.g. 1/4; got {text!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"shard K/N needs 1 <= K <= N, got {text!r}")
    return k, n


def shard(items: Sequence[Any], index: int, count: int) -> list[Any]:
    """The ``index``-th of ``count`` shares of sorted ``items`` (1-based), round robin.

    Shares are disjoint and together hold every item once; each depends only on the sorted
    catalog, so machines that list the same catalog agree with no coordinator. Round robin
    spreads long and short songs (often grouped by folder) over the shares.
    """
    if not 1 <= index <= count:
        raise ValueError(f"shard {index}/{count}: need 1 <= K <= N")
    return list(items[index - 1 :: count])


def default_jobs() -> int:
    """One worker per usable core (the CPU affinity mask, as a container or SLURM sets it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def threads_per_job(jobs: int, *, cores: int | None = None) -> int:
    """onnxruntime threads for each of ``jobs`` workers: the cores split, at least one."""
    return max(1, (cores if cores is not None else default_jobs()) // max(1, jobs))


# --------------------------------------------------------------------------- one song


@dataclass(frozen=True)
class SongJob:
    """One input and where its output goes.

    Attributes
    ----------
    src : pathlib.Path
    out : pathlib.Path
        Output file, or song folder for song formats.
    make_folder : bool
        Create the output's folder first (a sub-folder mirrored under ``--out-dir``).
    """

    src: Path
    out: Path
    make_folder: bool = False


@dataclass
class SongResult:
    """One row of the summary.

    Attributes
    ----------
    src, out : pathlib.Path
    status : {"ok", "skipped", "failed", "interrupted"}
    error : str
        One-line message when failed.
    duration_s : float or None
        Seconds of audio.
    hits : int or None
    seconds : float
        Wall seconds spent on the song.
    line : str
        The line printed for it (``IN -> OUT: N hits (...)``).
    """

    src: Path
    out: Path
    status: str
    error: str = ""
    duration_s: float | None = None
    hits: int | None = None
    seconds: float = 0.0
    line: str = ""

    def row(self) -> dict[str, str]:
        """The summary CSV row."""
        return {
            "input": str(self.src),
            "output": str(self.out),
            "status": self.status,
            "error": self.error,
            "duration": "" if self.duration_s is None else f"{self.duration_s:.3f}",
            "hits": "" if self.hits is None else str(self.hits),
            "seconds": f"{self.seconds:.3f}",
        }


@dataclass(frozen=True)
class CatalogOptions:
    """How each song is transcribed and written (the same for every song of a run).

    Attributes
    ----------
    fmt : str
        Output format (:data:`drumscribe.writers.FORMATS`).
    model : str or None
        ``model.onnx`` path; the bundled model when None.
    threads : int or None
        onnxruntime threads per worker; split from the cores when None.
    thresholds, min_interval_s, chunk_s :
        As :func:`drumscribe.transcribe`.
    chart_options : dict
        Keyword options of :meth:`Transcription.write` (bpm, offset_s, title, artist).
    """

    fmt: str
    model: str | None = None
    threads: int | None = None
    thresholds: float | list[float] | None = None
    min_interval_s: float | None = None
    chunk_s: float | None = None
    chart_options: dict[str, object] = field(default_factory=dict)


def is_complete(job: SongJob, fmt: str) -> bool:
    """Whether ``job``'s output exists (atomic writes: existing means complete)."""
    from drumscribe.writers import SONG_FORMATS

    if fmt in SONG_FORMATS:
        return (job.out / SONG_FOLDER_LAST_FILE).is_file()
    return job.out.is_file()


def transcribe_one(job: SongJob, options: CatalogOptions, model: Model) -> SongResult:
    """Transcribe and write one song; errors become a failed result, never an exception.

    ``KeyboardInterrupt`` and ``SystemExit`` pass through (the atomic writers remove their
    temp files on the way out).
    """
    from drumscribe.transcribe import transcribe
    from drumscribe.writers import SONG_FORMATS

    t0 = time.perf_counter()
    try:
        if job.make_folder:
            try:
                job.out.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DrumscribeError(
                    f"{job.out.parent}: cannot create output folder ({exc.strerror})"
                ) from None
        result = transcribe(
            job.src,
            model=model,
            thresholds=options.thresholds,
            min_interval_s=options.min_interval_s,
            chunk_s=options.chunk_s,
            keep_onset_strength=True,  # the chart's tempo from the activations, as a single file's
        )
        model.release_memory()  # the chart reuses the network's memory: flat peak with length
        opts = dict(options.chart_options)
        if options.fmt in SONG_FORMATS:
            opts["audio_path"] = job.src
        written = result.write(job.out, format=options.fmt, **opts)
    except DrumscribeError as exc:
        return SongResult(job.src, job.out, STATUS_FAILED, error=str(exc), seconds=time.perf_counter() - t0)
    except OSError as exc:  # e.g. the disk filled up while writing
        return SongResult(
            job.src,
            job.out,
            STATUS_FAILED,
            error=f"{exc.filename or job.src}: {exc.strerror or exc}",
            seconds=time.perf_counter() - t0,
        )
    except Exception as exc:  # a bug must not stop the other songs of the catalog
        return SongResult(
            job.src,
            job.out,
            STATUS_FAILED,
            error=f"{job.src}: internal error ({type(exc).__name__}: {exc})",
            seconds=time.perf_counter() - t0,
        )
    counts = ", ".join(f"{k} {v}" for k, v in result.counts().items() if v)
    shown = written[0] if len(written) == 1 else job.out
    return SongResult(
        job.src,
        job.out,
        STATUS_OK,
        duration_s=result.duration_s,
        hits=len(result.hits),
        seconds=time.perf_counter() - t0,
        line=f"{job.src} -> {shown}: {len(result.hits)} hits ({counts or 'none'})",
    )


# --------------------------------------------------------------------------- workers

_WORKER: dict[str, Any] = {}


def _stop_worker(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _init_worker(options: CatalogOptions) -> None:
    """Worker start: Ctrl-C is the parent's to handle; SIGTERM unwinds (temp files removed)."""
    from drumscribe.model import load_model

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    _WORKER["model"] = load_model(options.model, threads=options.threads)
    _WORKER["options"] = options


def _work(job: SongJob) -> SongResult:
    try:
        return transcribe_one(job, _WORKER["options"], _WORKER["model"])
    except KeyboardInterrupt:
        return SongResult(job.src, job.out, STATUS_INTERRUPTED, error="interrupted")


# --------------------------------------------------------------------------- outputs


def plan_outputs(
    catalog: Sequence[tuple[Path, Path | None]],
    *,
    fmt: str,
    output: Path | None = None,
    out_dir: Path | None = None,
) -> list[SongJob | SongResult]:
    """Where each input's output goes; inputs whose output collides become failed results.

    With ``out_dir``, a file named directly goes to ``out_dir/<stem><ext>`` and a file found
    under a folder argument keeps its sub-folders below that folder (two albums' ``01.wav``
    do not collide); without, outputs go beside the inputs. ``output`` names the one output
    of a one-input run.
    """
    from drumscribe.writers import FILE_FORMATS, SONG_FORMATS

    planned: list[SongJob | SongResult] = []
    taken: dict[Path, Path] = {}
    for src, root in catalog:
        if output is not None:
            out = output
        else:
            folder = out_dir if out_dir is not None else src.parent
            if out_dir is not None and root is not None:
                with contextlib.suppress(ValueError):
                    folder = out_dir / src.parent.relative_to(root)
            name = Path(src.name).stem
            if not name.strip(". "):  # "", ".", "..", "...wav" -> "..": these name no file of their own
                name = "output"
            out = folder / (name + FILE_FORMATS[fmt] if fmt in FILE_FORMATS else name)
        key = _resolved(out)
        if key in taken:
            planned.append(
                SongResult(
                    src,
                    out,
                    STATUS_FAILED,
                    error=f"{src}: its output {out} was already written for {taken[key]} in this run;"
                    " rename the input or transcribe it separately",
                )
            )
            continue
        if src.is_dir():
            exts = ", ".join(sorted(AUDIO_EXTENSIONS))
            planned.append(
                SongResult(
                    src,
                    out,
                    STATUS_FAILED,
                    error=f"{src}: is a folder with no audio files in it (searched for {exts})",
                )
            )
            continue
        if fmt not in SONG_FORMATS and src.exists() and key == _resolved(src):
            planned.append(
                SongResult(
                    src, out, STATUS_FAILED, error=f"{src}: the output {out} would overwrite the input"
                )
            )
            continue
        taken[key] = src
        planned.append(
            SongJob(src, out, make_folder=output is None and out_dir is not None and out.parent != out_dir)
        )
    return planned


def summary_path(folder: Path, shard_of: tuple[int, int] | None = None) -> Path:
    """``folder/drumscribe-summary.csv`` (``-shard-K-of-N`` added for a shard)."""
    suffix = f"-shard-{shard_of[0]}-of-{shard_of[1]}" if shard_of else ""
    return folder / f"{SUMMARY_NAME}{suffix}.csv"


def write_summary(path: Path, results: Iterable[SongResult]) -> Path:
    """Write the summary CSV atomically (columns :data:`SUMMARY_FIELDS`)."""
    from drumscribe._io import atomic_write

    with atomic_write(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=SUMMARY_FIELDS, lineterminator="\n")
        writer.writeheader()
        for r in results:
            writer.writerow(r.row())
    return path


# --------------------------------------------------------------------------- the run


class _Bar:
    """The catalog's progress: songs, audio hours, ETA (on :class:`drumscribe.progress.Progress`)."""

    def __init__(self, jobs: Sequence[SongJob], *, enabled: bool, stream: TextIO) -> None:
        from drumscribe.progress import Progress

        self.enabled = enabled
        self.durations: dict[Path, float] = {}
        if enabled:
            from drumscribe.audio import probe_audio

            for job in jobs:
                with contextlib.suppress(Exception):  # a bad file fails later, with its error
                    self.durations[job.src] = probe_audio(job.src).duration_s
        self.songs, self.done = len(jobs), 0
        total_h = sum(self.durations.values()) / SECONDS_PER_HOUR
        self.progress = Progress(
            total_h, label=self._label(), unit="h", enabled=enabled, stream=stream, digits=PROGRESS_DIGITS
        )

    def _label(self) -> str:
        return f"{self.done}/{self.songs} songs"

    def advance(self, result: SongResult) -> None:
        self.done += 1
        self.progress.label = self._label()
        self.progress.update(self.durations.get(result.src, 0.0) / SECONDS_PER_HOUR)

    def close(self) -> None:
        self.progress.close()


def run_catalog(
    catalog: Sequence[tuple[Path, Path | None]],
    *,
    options: CatalogOptions,
    output: Path | None = None,
    out_dir: Path | None = None,
    jobs: int | None = None,
    skip_existing: bool = False,
    shard_of: tuple[int, int] | None = None,
    summary: Path | None = None,
    quiet: bool = False,
    progress: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> tuple[int, list[SongResult]]:
    """Transcribe a catalog; return (exit code, one result per input).

    Parameters
    ----------
    catalog : sequence of (pathlib.Path, pathlib.Path or None)
        From :func:`collect_inputs`.
    options : CatalogOptions
    output, out_dir : pathlib.Path, optional
        See :func:`plan_outputs`.
    jobs : int, optional
        Worker processes (default :func:`default_jobs`); 1 runs in this process.
    skip_existing : bool
        Leave inputs whose output is complete (status ``skipped``).
    shard_of : (int, int), optional
        ``(K, N)``: only the K-th of N shares of the catalog.
    summary : pathlib.Path, optional
        Summary CSV to write; None writes none.
    quiet : bool
        No per-song lines, no totals line (errors are still printed on ``err``).
    progress : bool
        Draw the catalog's progress bar on ``err``.
    out, err : file-like
        stdout and stderr by default.

    Returns
    -------
    exit_code : int
        0 when every song is ok or skipped, 1 when some failed, 130 when interrupted.
    results : list of SongResult
    """
    from drumscribe.model import load_model

    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    items = shard(catalog, *shard_of) if shard_of else list(catalog)
    planned = plan_outputs(items, fmt=options.fmt, output=output, out_dir=out_dir)
    results: dict[int, SongResult] = {}
    todo: list[tuple[int, SongJob]] = []
    for i, p in enumerate(planned):
        if isinstance(p, SongResult):
            results[i] = p
        elif skip_existing and is_complete(p, options.fmt):
            results[i] = SongResult(p.src, p.out, STATUS_SKIPPED)
        else:
            todo.append((i, p))
    for r in results.values():
        if r.status == STATUS_FAILED:
            print(f"drumscribe: error: {r.error}", file=err)
    n_jobs = max(1, min(jobs if jobs is not None else default_jobs(), len(todo) or 1))
    if options.threads is None and n_jobs > 1:
        options = _with_threads(options, threads_per_job(n_jobs))
    bar = _Bar([j for _, j in todo], enabled=progress, stream=err)
    t0 = time.perf_counter()

    def finished(i: int, r: SongResult) -> None:
        results[i] = r
        if progress:  # clear the bar's line; it is drawn again below the message
            err.write(CLEAR_LINE)
        if r.status == STATUS_FAILED:
            print(f"drumscribe: error: {r.error}", file=err)
        elif r.status == STATUS_OK and not quiet:
            print(r.line, file=out, flush=True)
        bar.advance(r)

    interrupted = False
    try:
        if n_jobs == 1:
            if todo:
                model = load_model(options.model, threads=options.threads)
                for i, job in todo:
                    finished(i, transcribe_one(job, options, model))
        else:
            interrupted = _run_pool(todo, options, n_jobs, finished, err)
    except KeyboardInterrupt:
        interrupted = True
    bar.close()
    ordered = [
        results.get(i) or SongResult(p.src, p.out, STATUS_INTERRUPTED, error="not run (interrupted)")
        for i, p in enumerate(planned)
    ]
    if summary is not None:
        try:
            write_summary(summary, ordered)
        except (DrumscribeError, OSError) as exc:
            print(f"drumscribe: error: {summary}: cannot write the summary ({exc})", file=err)
    wall = time.perf_counter() - t0
    counts = {
        s: sum(r.status == s for r in ordered)
        for s in (STATUS_OK, STATUS_SKIPPED, STATUS_FAILED, STATUS_INTERRUPTED)
    }
    if not quiet:
        audio_h = sum(r.duration_s or 0.0 for r in ordered) / SECONDS_PER_HOUR
        speed = f", {audio_h * SECONDS_PER_HOUR / wall:.0f}x real time" if wall > 0 and audio_h > 0 else ""
        where = f"; summary {summary}" if summary is not None else ""
        print(
            f"drumscribe: {len(ordered)} songs: {counts[STATUS_OK]} done, {counts[STATUS_SKIPPED]} skipped,"
            f" {counts[STATUS_FAILED]} failed, {counts[STATUS_INTERRUPTED]} interrupted;"
            f" {audio_h:.2f} h of audio in {wall:.1f} s with {n_jobs} job{'s' if n_jobs > 1 else ''}{speed}{where}",
            file=out,
        )
    if interrupted:
        return EXIT_INTERRUPTED, ordered
    return (1 if counts[STATUS_FAILED] else 0), ordered


def _with_threads(options: CatalogOptions, threads: int) -> CatalogOptions:
    from dataclasses import replace

    return replace(options, threads=threads)


def _run_pool(
    todo: Sequence[tuple[int, SongJob]],
    options: CatalogOptions,
    n_jobs: int,
    finished: Any,
    err: TextIO,
) -> bool:
    """Run ``todo`` on ``n_jobs`` worker processes; return True when stopped by Ctrl-C."""
    ctx = multiprocessing.get_context(START_METHOD)
    executor = cf.ProcessPoolExecutor(
        max_workers=n_jobs, mp_context=ctx, initializer=_init_worker, initargs=(options,)
    )
    futures = {executor.submit(_work, job): i for i, job in todo}
    try:
        for fut in cf.as_completed(futures):
            finished(futures[fut], _result_of(fut, todo, futures))
    except KeyboardInterrupt:
        print(
            "\ndrumscribe: stopping: the songs in progress finish (Ctrl-C again to stop them too)", file=err
        )
        for fut in futures:
            fut.cancel()
        try:
            for fut in cf.as_completed([f for f in futures if not f.cancelled()]):
                finished(futures[fut], _result_of(fut, todo, futures))
        except KeyboardInterrupt:
            _terminate_workers(executor)
        executor.shutdown(wait=True, cancel_futures=True)
        return True
    except BaseException:  # e.g. SIGTERM in the parent: stop the workers too, then go on up
        for fut in futures:
            fut.cancel()
        _terminate_workers(executor)
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    return False


def _result_of(
    fut: cf.Future[SongResult], todo: Sequence[tuple[int, SongJob]], futures: dict[cf.Future[SongResult], int]
) -> SongResult:
    try:
        return fut.result()
    except Exception as exc:  # a worker died (killed, out of memory): that song fails, the rest go on
        i = futures[fut]
        job = next(j for k, j in todo if k == i)
        return SongResult(
            job.src, job.out, STATUS_FAILED, error=f"{job.src}: worker failed ({type(exc).__name__}: {exc})"
        )


def _terminate_workers(executor: cf.ProcessPoolExecutor) -> None:
    """SIGTERM each worker: it raises KeyboardInterrupt, so its temp files are removed."""
    processes = getattr(executor, "_processes", None) or {}
    for proc in list(processes.values()):
        with contextlib.suppress(Exception):
            proc.terminate()
