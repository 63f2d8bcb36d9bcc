"""``drumscribe-train hear``: which lanes a model hears a kit's single pieces as."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    from drumscribe_training.hear import DEFAULT_NOTES

    p: argparse.ArgumentParser = sub.add_parser(
        "hear",
        help="play a kit's pieces one by one and show the lanes the model hears",
        description=(
            "Play each voice of some notes of a kit as a steady pulse (optionally over the kit's kick "
            "and snare) and print, per voice, the share of its hits the model put in each lane."
        ),
    )
    p.add_argument("--kit", required=True, help="a registered kit (`drumscribe-train synth --list-kits`)")
    p.add_argument(
        "--notes",
        type=int,
        nargs="+",
        default=list(DEFAULT_NOTES),
        help=f"notes to play, Roland numbering (default {' '.join(map(str, DEFAULT_NOTES))})",
    )
    p.add_argument("--model", type=Path, help="model.onnx (default: the bundled model)")
    p.add_argument("--velocity", type=int, default=100, help="MIDI velocity 1..127 (default 100)")
    p.add_argument("--hits", type=int, default=32, help="hits per voice (default 32)")
    p.add_argument("--interval", type=float, default=0.25, help="seconds between hits (default 0.25)")
    p.add_argument("--backing", action="store_true", help="play the kit's kick and snare along")
    p.add_argument("--out", type=Path, help="also write the Markdown table here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from drumscribe_training.hear import hear_pieces, to_markdown
    from drumscribe_training.synth.registry import KitError

    try:
        results = hear_pieces(
            args.kit,
            args.notes,
            model=args.model,
            velocity=args.velocity,
            hits=args.hits,
            interval_s=args.interval,
            backing=args.backing,
        )
    except (KitError, ValueError) as exc:
        print(f"drumscribe-train hear: error: {exc}", file=sys.stderr)
        return 2
    if not results:
        print(
            f"drumscribe-train hear: error: kit {args.kit!r} has no voice for notes {args.notes}",
            file=sys.stderr,
        )
        return 2
    text = to_markdown(results)
    print(text, end="")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0
