"""``drumscribe-train synth``: render a synthetic data set in E-GMD's layout."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drumscribe_training.synth.registry import KitSpec

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "synth",
        help="render synthetic E-GMD-shaped data (Groove MIDI + procedural grooves through sampled kits)",
        description=(
            "Render Groove MIDI performances and procedural grooves through sampled drum kits "
            "into DIR/e-gmd-v1.0.0.csv + drummerN/sessionM/*.wav/.midi, E-GMD's layout. "
            "Kits come from scripts/setup_kits.sh; '--kits tiny' needs none. Re-running with "
            "the same arguments resumes."
        ),
    )
    p.add_argument("--out", help="output folder (E-GMD root); required unless --list-kits")
    p.add_argument("--hours", type=float, help="total audio hours (all splits); required unless --list-kits")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same bytes)")
    p.add_argument(
        "--kits", nargs="+", default=None, metavar="KIT",
        help="kit names (default: every registered kit, each in its split); 'tiny' = in-code kit",
    )  # fmt: skip
    p.add_argument(
        "--synth-kits", type=int, default=0, metavar="N",
        help="add N kits synthesised in code (synthkit-000..) to the train split only (default 0)",
    )  # fmt: skip
    p.add_argument(
        "--extra-kits", action="store_true",
        help="also render through each split's extra kits (Sonic Pi, LMMS, STK; DATA.md)",
    )  # fmt: skip
    p.add_argument(
        "--split-kits", action=argparse.BooleanOptionalAction, default=True,
        help="keep the kit hold-out: each split uses only its own kits among --kits (default on)",
    )  # fmt: skip
    p.add_argument(
        "--procedural-fraction", type=float, default=0.5,
        help="share of audio from the procedural generator (rest: Groove MIDI); default 0.5",
    )  # fmt: skip
    p.add_argument(
        "--clip-seconds", type=float, nargs=2, default=(15.0, 60.0), metavar=("MIN", "MAX"),
        help="length range of procedural clips in seconds (default 15 60)",
    )  # fmt: skip
    p.add_argument("--realism", type=float, default=1.0, help="scales mix-effect probabilities (0 = dry)")
    p.add_argument(
        "--piece-variation", type=float, default=0.0, metavar="P",
        help="chance per lane group and clip of re-voicing its one-shots (tuning, shorter tails), "
        "every split: virtual kits, e.g. to test robustness; ranges from the default config's "
        "data.piece_* (default 0 = off)",
    )  # fmt: skip
    p.add_argument(
        "--band", action="store_true",
        help="also render a band part per clip (<clip>.band.wav + band-manifest.csv; DATA.md "
        "'Band parts'); re-run with it over an existing set to add them",
    )  # fmt: skip
    p.add_argument(
        "--band-splits", nargs="+", choices=("train", "validation", "test"), metavar="SPLIT",
        help="with --band: band parts for these splits' clips only (e.g. validation test: mixes to "
        "evaluate on, without rendering the train split's)",
    )  # fmt: skip
    p.add_argument("--num-workers", type=int, default=1, help="rendering processes")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--list-kits", action="store_true", help="print the kit registry and exit")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from drumscribe_training.synth.registry import KIT_SPECS
    from drumscribe_training.synth.writer import SynthSettings, write_dataset

    if args.list_kits:
        for s in KIT_SPECS:
            print(f"{s.name:28s} {s.split or 'any':10s} {_kit_state(s):9s} {s.package}")
        print(
            f"{'synthkit-000, -001, ...':28s} {'train':10s} {'in code':9s} "
            "(opt-in, train split only: --synth-kits N)"
        )
        return 0
    missing = [flag for flag, v in (("--out", args.out), ("--hours", args.hours)) if v is None]
    if missing:
        print(f"drumscribe-train synth: error: {' and '.join(missing)} required", file=sys.stderr)
        return 2
    if args.hours <= 0:
        print("drumscribe-train synth: error: --hours must be positive", file=sys.stderr)
        return 2
    if not 0.5 <= args.clip_seconds[0] <= args.clip_seconds[1]:
        print("drumscribe-train synth: error: --clip-seconds needs 0.5 <= MIN <= MAX", file=sys.stderr)
        return 2
    if args.synth_kits < 0:
        print("drumscribe-train synth: error: --synth-kits must be >= 0", file=sys.stderr)
        return 2
    if not 0.0 <= args.procedural_fraction <= 1.0:
        print("drumscribe-train synth: error: --procedural-fraction must be within 0..1", file=sys.stderr)
        return 2
    if not 0.0 <= args.piece_variation <= 1.0:
        print("drumscribe-train synth: error: --piece-variation must be within 0..1", file=sys.stderr)
        return 2
    from drumscribe_training.config import load_config, piece_variation

    settings = SynthSettings(
        hours=float(args.hours),
        seed=int(args.seed),
        kits=tuple(args.kits) if args.kits else None,
        split_kits=bool(args.split_kits),
        procedural_fraction=float(args.procedural_fraction),
        realism=float(args.realism),
        clip_seconds=(float(args.clip_seconds[0]), float(args.clip_seconds[1])),
        synth_kits=int(args.synth_kits),
        extra_kits=bool(args.extra_kits),
        piece_variation=piece_variation(load_config(), probability=float(args.piece_variation)),
    )
    from drumscribe_training.synth.band import BandSettings, BandSourceError
    from drumscribe_training.synth.registry import KitError

    try:
        summary = write_dataset(
            args.out, settings, num_workers=max(1, int(args.num_workers)), progress=not args.no_progress,
            band=BandSettings() if args.band or args.band_splits else None,
            band_splits=tuple(args.band_splits) if args.band_splits else None,
        )  # fmt: skip
    except (KitError, BandSourceError, FileExistsError) as exc:
        print(f"drumscribe-train synth: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: summary[k] for k in ("hours", "splits", "hits_per_lane", "timing")}, indent=1))
    return 0


def _kit_state(spec: KitSpec) -> str:
    """``installed``, ``bank`` (only its copied one-shot bank is here) or ``MISSING``."""
    from drumscribe_training.synth.registry import bank_files

    if spec.installed():
        return "installed"
    index, _ = bank_files(spec.name)
    return "bank" if index.is_file() else "MISSING"
