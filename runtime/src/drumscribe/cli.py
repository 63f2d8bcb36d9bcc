"""The ``drumscribe`` command line.

``drumscribe transcribe IN... [-o OUT | --out-dir DIR] [--format F] [--model M]
[--threshold T] [--min-interval S]`` transcribes one or many files in one process (one
onnxruntime session); ``drumscribe info [MODEL]`` prints what a model's sidecar says;
``drumscribe live --input FILE --realtime`` prints hits as they happen (``live_cli.py``).
User errors print one line and give a non-zero exit code, never a traceback: 1 when some
inputs failed (the others were written), 2 when the command could not run at all (bad
options, model or output folder), 130 on Ctrl-C, 143 on SIGTERM (the output being written
is removed, as on Ctrl-C). Options are checked (finite numbers within bounds) before the
model is loaded, and the model before any audio is decoded. docs/RELIABILITY.md lists every
bad input tried and what it gets.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from drumscribe.argtypes import bounded_float as _bounded_float
from drumscribe.argtypes import positive_int as _positive_int
from drumscribe.errors import DrumscribeError

if TYPE_CHECKING:
    from drumscribe.hits import TranscriptionRecord

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED = 1  # some inputs failed; the others were written
EXIT_USAGE = 2  # the command could not run: bad options, model or output folder
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT)
EXIT_TERMINATED = 143  # SIGTERM: 128 + 15, as a shell reports a process it terminated


class _Parser(argparse.ArgumentParser):
    """argparse with the one-line error every other user error gets (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"drumscribe: error: {message} (see {self.prog} --help)\n")


def _threads(text: str) -> int:
    from drumscribe.model import MAX_THREADS

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 1 <= value <= MAX_THREADS:
        raise argparse.ArgumentTypeError(f"must be an integer 1..{MAX_THREADS}, got {text!r}")
    return value


def _threshold(text: str) -> float | list[float]:
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"threshold must be a number or 8 comma-separated numbers: {text!r}"
        ) from None
    if not all(0 < v <= 1 for v in values):  # NaN fails this too
        raise argparse.ArgumentTypeError(f"thresholds must lie in (0, 1]: {text!r}")
    if len(values) == 1:
        return values[0]
    if len(values) != 8:
        raise argparse.ArgumentTypeError(f"give 1 or 8 thresholds, got {len(values)}")
    return values


def build_parser() -> argparse.ArgumentParser:
    from drumscribe.charts.beat_tracking import MAX_OFFSET_S
    from drumscribe.charts.general_midi import BPM_RANGE
    from drumscribe.model import MAX_CHUNK_S
    from drumscribe.writers import FORMATS

    parser = _Parser(prog="drumscribe", description="Drum transcription for rhythm-game charts.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("transcribe", help="transcribe audio files to MIDI, JSON charts or game song folders")
    t.add_argument(
        "inputs",
        nargs="*",
        metavar="IN",
        help="audio files (wav, flac, ogg, mp3) or folders (searched recursively for audio)",
    )
    where = t.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="OUT", help="output file (one input) or song folder")
    where.add_argument(
        "--out-dir",
        metavar="DIR",
        help="folder for the outputs of many inputs (created if missing)",
    )
    t.add_argument(
        "--format", choices=FORMATS, help="output format (default: from -o's extension, else midi)"
    )
    t.add_argument("--model", metavar="M", help="model.onnx with its sidecar (default: the bundled model)")
    t.add_argument(
        "--threshold",
        type=_threshold,
        metavar="T",
        help="peak threshold, one value or 8 comma-separated (default: tuned per lane)",
    )
    t.add_argument(
        "--min-interval",
        type=_bounded_float(0.0, MAX_MIN_INTERVAL_S, low_open=False),
        metavar="S",
        help="minimum seconds between hits of a lane",
    )
    t.add_argument(
        "--chunk",
        type=_bounded_float(0.0, MAX_CHUNK_S, low_open=True),
        metavar="S",
        help="chunk length in seconds (default: the sidecar's)",
    )
    t.add_argument("--threads", type=_threads, metavar="N", help="onnxruntime threads")
    t.add_argument(
        "--bpm",
        type=_bounded_float(BPM_RANGE[0], BPM_RANGE[1], low_open=False),
        help="tempo for charts and MIDI (default: estimated)",
    )
    t.add_argument(
        "--offset",
        type=_bounded_float(0.0, MAX_OFFSET_S, low_open=False),
        metavar="S",
        help="time of the first beat for charts, seconds",
    )
    t.add_argument("--title", help="song title for song folders")
    t.add_argument("--artist", help="artist for song folders")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary lines")
    _add_catalog_options(t)
    t.set_defaults(func=_cmd_transcribe)

    i = sub.add_parser("info", help="print what a model's sidecar says")
    i.add_argument("model", nargs="?", help="model.onnx (default: the bundled model)")
    i.add_argument("--json", action="store_true", help="print the whole sidecar as JSON")
    i.add_argument(
        "--live",
        action="store_true",
        help="the bundled live model (a live MODEL is recognised by its sidecar)",
    )
    i.set_defaults(func=_cmd_info)

    from drumscribe.live_cli import add_live_parser

    add_live_parser(sub)
    return parser


def _shard(text: str) -> tuple[int, int]:
    from drumscribe.catalog import parse_shard

    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_catalog_options(t: argparse.ArgumentParser) -> None:
    """Options of a catalog run (drumscribe.catalog): any of them, or a folder input, makes one."""
    g = t.add_argument_group(
        "catalogs", "a folder input or any of these makes a catalog run (summary CSV, totals line)"
    )
    g.add_argument(
        "--from-list",
        action="append",
        default=[],
        metavar="FILE",
        help="read inputs (files or folders) from FILE, one a line; # starts a comment",
    )
    g.add_argument(
        "--jobs",
        type=_positive_int,
        metavar="N",
        help="worker processes, each with its own model and cores // N threads (default: one per core)",
    )
    g.add_argument(
        "--skip-existing", action="store_true", help="leave inputs whose output already exists (resume)"
    )
    g.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="transcribe only the K-th of N shares of the sorted inputs (SLURM arrays, indexed jobs)",
    )
    g.add_argument(
        "--summary",
        metavar="CSV",
        help="summary file (default: drumscribe-summary.csv in the output folder)",
    )


def _is_catalog_run(args: argparse.Namespace) -> bool:
    return bool(
        args.from_list
        or args.jobs is not None
        or args.skip_existing
        or args.shard is not None
        or args.summary
        or any(Path(p).is_dir() for p in args.inputs)
    )


def _cmd_catalog(args: argparse.Namespace, fmt: str) -> int:
    """A catalog run: :func:`drumscribe.catalog.run_catalog` over files, folders and lists."""
    from drumscribe.catalog import CatalogOptions, collect_inputs, run_catalog, summary_path

    catalog = collect_inputs(args.inputs, from_list=args.from_list)
    if not catalog:
        raise DrumscribeError("no audio inputs found (files, folders or --from-list)")
    output = Path(args.output) if args.output else None
    if output is not None and len(catalog) > 1:
        raise DrumscribeError("-o names one output; use --out-dir DIR for many inputs")
    out_dir = Path(args.out_dir) if args.out_dir else None
    if args.summary:
        summary = Path(args.summary)
    else:
        folder = out_dir or (output.parent if output is not None else Path.cwd())
        summary = summary_path(folder, args.shard)
    options = CatalogOptions(
        fmt=fmt,
        model=args.model,
        threads=args.threads,
        thresholds=args.threshold,
        min_interval_s=args.min_interval,
        chunk_s=args.chunk,
        chart_options=_chart_options(args, fmt),
    )
    code, _ = run_catalog(
        catalog,
        options=options,
        output=output,
        out_dir=out_dir,
        jobs=args.jobs,
        skip_existing=args.skip_existing,
        shard_of=args.shard,
        summary=summary,
        quiet=args.quiet,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    return code


def _chart_options(args: argparse.Namespace, fmt: str) -> dict[str, object]:
    opts: dict[str, object] = {}
    if args.bpm is not None:
        opts["bpm"] = args.bpm
    if fmt == "midi":
        return opts
    if args.offset is not None:
        opts["offset_s"] = args.offset
    if fmt in ("clonehero", "rockband", "yarg"):
        if args.title:
            opts["title"] = args.title
        if args.artist:
            opts["artist"] = args.artist
    return opts


#: ``--min-interval`` at most, seconds: a minute between two hits of a lane is already no chart.
MAX_MIN_INTERVAL_S = 60.0


def _output_for(args: argparse.Namespace, src: Path, fmt: str) -> Path:
    from drumscribe.writers import FILE_FORMATS

    if args.output:
        return Path(args.output)
    folder = Path(args.out_dir) if args.out_dir else src.parent
    name = Path(src.name).stem
    if not name.strip(". "):  # "", ".", "..", "...wav" -> "..": these name no file of their own
        name = "output"
    return folder / (name + FILE_FORMATS[fmt] if fmt in FILE_FORMATS else name)


def _write_with_warnings(
    result: TranscriptionRecord, out: Path, fmt: str, opts: dict[str, object]
) -> list[str]:
    """Write one output; its warnings (no hits, files left in a song folder) become one
    ``drumscribe: warning:`` line each on stderr."""
    from drumscribe.writers import write_transcription

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = write_transcription(result, out, format=fmt, **opts)
    if not result.hits:
        print(
            f"drumscribe: warning: {result.source}: no drum hits found; wrote an empty chart", file=sys.stderr
        )
    for w in caught:
        print(f"drumscribe: warning: {w.message}", file=sys.stderr)
    return written


def _cmd_transcribe(args: argparse.Namespace) -> int:
    from drumscribe._io import check_output_location, display
    from drumscribe.model import load_model
    from drumscribe.transcribe import transcribe
    from drumscribe.writers import SONG_FORMATS, format_for_path

    if not args.inputs and not args.from_list:  # as argparse reports a missing argument
        print(
            "drumscribe: error: give at least one input: a file, a folder or --from-list FILE",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_USAGE)

    if args.output and len(args.inputs) > 1:
        raise DrumscribeError("-o names one output; use --out-dir DIR for many inputs")
    fmt = args.format or (
        format_for_path(args.output)
        if args.output and not Path(args.output).is_dir() and Path(args.output).suffix
        else "midi"
    )
    if args.out_dir:
        try:
            Path(args.out_dir).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DrumscribeError(f"{args.out_dir}: cannot create output folder ({exc.strerror})") from None
    if _is_catalog_run(args):
        load_model(args.model, threads=args.threads)  # a bad model stops the run before any audio
        return _cmd_catalog(args, fmt)
    model = load_model(args.model, threads=args.threads)
    failed = 0
    outputs: dict[Path, Path] = {}  # output -> the input it was written for, in this batch
    for text in args.inputs:
        src = Path(text)
        try:
            out = _output_for(args, src, fmt)
            if fmt not in SONG_FORMATS:
                check_output_location(out, make_folder=True)  # before the audio is decoded, not after
            key = out.resolve()
            if key in outputs:
                raise DrumscribeError(
                    f"{display(src)}: its output {display(out)} was already written for"
                    f" {display(outputs[key])} in this run; rename the input or transcribe it separately"
                )
            if fmt not in SONG_FORMATS and src.exists() and key == src.resolve():
                raise DrumscribeError(f"{display(src)}: the output {display(out)} would overwrite the input")
            result = transcribe(
                src,
                model=model,
                thresholds=args.threshold,
                min_interval_s=args.min_interval,
                chunk_s=args.chunk,
                keep_onset_strength=True,  # the chart's tempo comes from the drum activations
                progress=not args.quiet and sys.stderr.isatty(),
            )
        except DrumscribeError as exc:
            failed += 1
            print(f"drumscribe: error: {display(str(exc))}", file=sys.stderr)
            continue
        except OSError as exc:
            failed += 1
            print(
                f"drumscribe: error: {display(exc.filename or src)}: {exc.strerror or exc}", file=sys.stderr
            )
            continue
        model.release_memory()  # the chart reuses the network's memory: flat peak with length
        try:
            opts = _chart_options(args, fmt)
            if fmt in SONG_FORMATS:
                opts["audio_path"] = src
            written = _write_with_warnings(result, out, fmt, opts)
        except DrumscribeError as exc:
            failed += 1
            print(f"drumscribe: error: {display(str(exc))}", file=sys.stderr)
            continue
        except OSError as exc:  # e.g. the disk filled up while writing: name the output
            failed += 1
            print(
                f"drumscribe: error: {display(exc.filename or out)}: {exc.strerror or exc}", file=sys.stderr
            )
            continue
        outputs[key] = src
        if not args.quiet:
            counts = ", ".join(f"{k} {v}" for k, v in result.counts().items() if v)
            print(
                f"{display(src)} -> {display(written[0] if len(written) == 1 else out)}:"
                f" {len(result.hits)} hits ({counts or 'none'})"
            )
    return EXIT_FAILED if failed else EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    from drumscribe.live import is_live_model, load_live_model
    from drumscribe.model import load_model

    if args.live or (args.model is not None and is_live_model(args.model)):
        live = load_live_model(args.model)
        if args.json:
            print(json.dumps(live.spec.raw, indent=2))
            return EXIT_OK
        spec, ls = live.spec, live.live
        print(f"live model:  {spec.name} ({live.path})")
        print(f"sha256:      {spec.onnx_sha256}")
        print(
            f"audio:       {spec.sample_rate} Hz mono, hop {spec.hop_length}, {ls.hops_per_call} hop(s) per call"
        )
        print(f"latency:     {1000 * ls.latency_s:g} ms declared (look-ahead {ls.lookahead_frames} frame(s))")
        print("state:       " + ", ".join(f"{name} {list(shape)}" for name, _out, shape in ls.states))
        print("thresholds:  " + ", ".join(f"{k} {v:.2f}" for k, v in spec.thresholds.items()))
        notes = spec.raw.get("live", {}).get("notes")
        if notes:
            print(f"notes:       {notes}")
        return EXIT_OK
    model = load_model(args.model)
    raw = model.spec.raw
    if args.json:
        print(json.dumps(raw, indent=2))
        return EXIT_OK
    spec = model.spec
    print(f"model:       {spec.name} ({model.path})")
    print(f"sha256:      {spec.onnx_sha256}")
    print(f"audio:       {spec.sample_rate} Hz mono, hop {spec.hop_length} ({spec.frame_rate:g} frames/s)")
    print(f"outputs:     onsets{' + velocities' if model.has_velocities else ''} x {len(spec.lanes)} lanes")
    print(f"chunk:       {spec.chunk_s:g} s with {spec.context_s:g} s context each side")
    print(f"min interval {spec.min_interval_s:g} s")
    print("thresholds:  " + ", ".join(f"{k} {v:.2f}" for k, v in spec.thresholds.items()))
    for key in ("training", "metrics", "versions"):
        if key in raw:
            print(f"{key + ':':<12} {json.dumps(raw[key])[:400]}")
    return EXIT_OK


class _Terminated(BaseException):
    """Raised by the SIGTERM handler: unwinds like Ctrl-C, so temp files are removed."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``drumscribe``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (main() called from a thread): leave SIGTERM be
        previous = None
    try:
        return int(args.func(args))
    except DrumscribeError as exc:
        # per-input errors are caught in the batch loop; this one stopped the whole command
        # (options, model, output folder) before any input was done
        print(f"drumscribe: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("drumscribe: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _Terminated:
        print("drumscribe: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    raise SystemExit(main())
