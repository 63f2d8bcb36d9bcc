"""``drumscribe-train preprocess``: E-GMD (or the synthetic set) -> splits + HDF5 shards.

Example::

    uv run drumscribe-train preprocess --config configs/default_config.yaml \\
        --data-dir data/e-gmd --out data/processed --num-workers 8

Every flag defaults to the config (``data.*``, ``audio.sample_rate``, ``classes.*``,
``hardware.num_workers``). Relative paths are taken from the current directory.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``preprocess`` subcommand."""
    parser = subparsers.add_parser(
        "preprocess",
        help="E-GMD -> split files + HDF5 shards (resumable, parallel)",
        description=(
            "Read an E-GMD-shaped folder (CSV + wav/midi pairs), write "
            "{train,val,test}_split.txt and HDF5 shards of mono int16 audio at the model "
            "rate plus onset events. Rerunning resumes: finished shards are kept. Bad pairs "
            "are skipped and listed in skipped.tsv."
        ),
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``preprocess`` (shared with ``scripts/preprocess_egmd.py``)."""
    parser.add_argument("--config", default=None, help="YAML config (default: configs/default_config.yaml)")
    parser.add_argument("--data-dir", default=None, help="E-GMD root (default: data.data_dir)")
    parser.add_argument(
        "--out",
        "--processed-dir",
        dest="out",
        default=None,
        help="shard folder (default: data.processed_dir)",
    )
    parser.add_argument("--splits-dir", default=None, help="split files folder (default: data.splits_dir)")
    parser.add_argument(
        "--num-workers",
        type=_positive_int,
        default=None,
        help="decoding processes (default: hardware.num_workers)",
    )
    parser.add_argument(
        "--use-hdf5",
        action="store_true",
        help="accepted for compatibility with the seed; HDF5 shards are the only output format",
    )
    parser.add_argument("--split-mode", choices=("official", "grouped"), default=None)
    parser.add_argument("--shard-hours", type=float, default=None, help="audio hours per shard")
    parser.add_argument(
        "--compression",
        choices=("none", "gzip", "lzf"),
        default=None,
        help="HDF5 compression of the audio (default: none; see benchmarks/bench_data.py)",
    )
    parser.add_argument("--csv", default=None, help="index CSV (default: e-gmd-v1.0.0.csv in --data-dir)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    """Run preprocessing from parsed arguments; returns the exit code."""
    from drumscribe_training.config import load_config
    from drumscribe_training.preprocess import PreprocessOptions, format_summary, run_preprocess

    config = load_config(args.config)
    options = PreprocessOptions.from_config(
        config,
        data_dir=args.data_dir,
        out_dir=args.out,
        splits_dir=args.splits_dir,
        num_workers=args.num_workers,
        split_mode=args.split_mode,
        shard_hours=args.shard_hours,
        compression=args.compression,
        csv_path=args.csv,
        progress=not args.no_progress,
    )
    summary = run_preprocess(options)
    print(format_summary(summary), end="")
    skipped = sum(s["skipped"] for s in summary["splits"].values())
    if skipped:
        print(f"{skipped} pair(s) skipped; see {options.out_dir / 'skipped.tsv'}")
    return 0
