"""``drumscribe-train compare``: is a candidate model better on kits it never heard?"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "compare",
        help="paired bootstrap over kits of two evaluation reports",
        description=(
            "Compare two report.json files of `drumscribe-train evaluate` on the same split: F1 per lane, "
            "overall and the lane mean of each, the difference (candidate - baseline) and its percentile "
            "interval over resamples of the kits (both models on the same resampled kits)."
        ),
    )
    p.add_argument("baseline", type=Path, help="report.json of the model in place")
    p.add_argument("candidate", type=Path, help="report.json of the candidate")
    p.add_argument("--resamples", type=int, default=10_000, help="kit resamples (default 10000)")
    p.add_argument("--confidence", type=float, default=0.95, help="interval coverage (default 0.95)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--by-family",
        action="store_true",
        help="resample kit families (a SoundFont's presets together; kit registry) instead of kits",
    )
    p.add_argument("--out", type=Path, help="also write the Markdown table here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from drumscribe_training.compare import compare_reports, registry_families

    try:
        result = compare_reports(
            args.baseline,
            args.candidate,
            resamples=args.resamples,
            confidence=args.confidence,
            seed=args.seed,
            families=registry_families() if args.by_family else None,
        )
    except ValueError as exc:
        print(f"drumscribe-train compare: error: {exc}", file=sys.stderr)
        return 2
    text = result.to_markdown()
    print(text, end="")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0
