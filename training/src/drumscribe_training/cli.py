"""``drumscribe-train``: one command line for the training side.

Subcommands live in their own modules; each exposes ``add_parser(subparsers)`` which
registers its flags and sets ``func`` (a callable taking the parsed namespace and
returning an exit code). Those modules import torch and friends lazily, inside ``func``,
so ``drumscribe-train --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: subcommand name -> module that registers it
SUBCOMMANDS: dict[str, str] = {
    "synth": "drumscribe_training.synth.cli",
    "preprocess": "drumscribe_training.preprocess_cli",
    "fit": "drumscribe_training.train_cli",
    "evaluate": "drumscribe_training.evaluate_cli",
    "compare": "drumscribe_training.compare_cli",
    "hear": "drumscribe_training.hear_cli",
    "transcribe": "drumscribe_training.transcribe_cli",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drumscribe-train",
        description="drumscribe training side: synthetic data, preprocessing, training, evaluation.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in SUBCOMMANDS.values():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and exc.name.startswith("drumscribe_training"):
                continue  # subcommand not built yet
            raise
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``drumscribe-train``; returns the exit code."""
    from drumscribe.errors import DrumscribeError
    from drumscribe_training.config import ConfigError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (DrumscribeError, ConfigError, FileNotFoundError) as exc:
        print(f"drumscribe-train {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"drumscribe-train {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
