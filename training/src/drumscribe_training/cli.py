"""``drumscribe-train``: the training side's one command line.

Subcommands: ``synth`` (synthetic E-GMD-shaped data), ``band-bank`` (band parts rendered
ahead with their grooves, for machines without band sources), ``preprocess`` (E-GMD -> splits +
HDF5 shards), ``fit`` (train the CRNN), ``evaluate`` (per-lane scores of a model on a
split), ``compare`` (two reports, kit-resampled intervals), ``hear`` (which lanes a model
hears a kit's pieces as) and ``transcribe`` (audio -> MIDI/JSON with a checkpoint).

torch and friends are imported inside each subcommand's ``_run_*``, so
``drumscribe-train --help`` stays fast. Relative paths are taken from the current
directory; ``--config`` defaults to the packaged default config.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from drumscribe.argtypes import finite_float as _finite_float
from drumscribe.argtypes import positive_int as _positive_int

if TYPE_CHECKING:
    from drumscribe_training.synth.registry import KitSpec

__all__ = ["add_preprocess_arguments", "build_parser", "main"]

#: What ``ArgumentParser.add_subparsers`` returns (generic only for type checkers).
_Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_synth(subparsers: _Subparsers) -> argparse.ArgumentParser:
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
        help="also render through each split's extra kits (Sonic Pi, LMMS, STK; docs/DATA.md)",
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
        help="also render a band part per clip (<clip>.band.wav + band-manifest.csv; docs/DATA.md "
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
    p.set_defaults(func=_run_synth)
    return p


def _run_synth(args: argparse.Namespace) -> int:
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


def _add_band_bank(subparsers: _Subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "band-bank",
        help="render band parts ahead, with the grooves they are played to (band_mix.bank)",
        description=(
            "Draw grooves as on-the-fly training does and render each one's band part from the "
            "split's band sources into DIR (bank.json + band.opus, a few MB per 10 minutes). "
            "With band_mix.bank: DIR (or fit --band-bank DIR) training plays the bank's grooves "
            "through random kits and takes their band parts: no SoundFont or espeak-ng needed "
            "where it trains (docs/DATA.md 'Band banks')."
        ),
    )
    p.add_argument("--out", required=True, help="the bank folder (must not exist)")
    p.add_argument("--minutes", type=_finite_float, required=True, help="band audio to hold, minutes")
    p.add_argument(
        "--entry-seconds", type=_finite_float, default=10.0,
        help="seconds per groove: the longest crop it serves, stretch included (default 10)",
    )  # fmt: skip
    p.add_argument(
        "--split", choices=("train", "validation", "test"), default="train",
        help="grooves and band sources of this split (default train; training reads train banks only)",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same bank)")
    p.add_argument(
        "--sample-rate", type=int, default=None,
        help="Hz of the stored audio (default: the config's audio.sample_rate; one Opus holds)",
    )  # fmt: skip
    p.add_argument(
        "--quality", type=_finite_float, default=0.9,
        help="Opus compression level, 0 (largest) .. 1 (smallest); 0.9 is about 32 kbit/s (default)",
    )  # fmt: skip
    p.add_argument("--config", default=None, help="YAML config whose audio.sample_rate is the default rate")
    p.add_argument("--num-workers", type=_positive_int, default=1, help="rendering processes")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run_band_bank)
    return p


def _run_band_bank(args: argparse.Namespace) -> int:
    from drumscribe_training.config import load_config
    from drumscribe_training.synth.band import BandSourceError
    from drumscribe_training.synth.band.bank_writer import build_band_bank

    rate = args.sample_rate or load_config(args.config).audio.sample_rate
    try:
        summary = build_band_bank(
            args.out, minutes=args.minutes, entry_s=args.entry_seconds, split=args.split,
            seed=args.seed, sample_rate=rate, quality=args.quality, num_workers=args.num_workers,
            progress=not args.no_progress,
        )  # fmt: skip
    except (ValueError, FileExistsError, BandSourceError) as exc:
        print(f"drumscribe-train band-bank: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0


def _kit_state(spec: KitSpec) -> str:
    """``installed``, ``bank`` (only its copied one-shot bank is here) or ``MISSING``."""
    from drumscribe_training.synth.registry import bank_files

    if spec.installed():
        return "installed"
    index, _ = bank_files(spec.name)
    return "bank" if index.is_file() else "MISSING"


def _add_preprocess(subparsers: _Subparsers) -> argparse.ArgumentParser:
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
    add_preprocess_arguments(parser)
    parser.set_defaults(func=_run_preprocess)
    return parser


def add_preprocess_arguments(parser: argparse.ArgumentParser) -> None:
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


def _run_preprocess(args: argparse.Namespace) -> int:
    """Run preprocessing from parsed arguments; returns the exit code."""
    from drumscribe_training.config import load_config
    from drumscribe_training.data.preprocess import PreprocessOptions, format_summary, run_preprocess

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


def _add_fit(sub: _Subparsers) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "fit",
        help="train the CRNN with Lightning",
        description="Train the CRNN. Checkpoints go to checkpoints/NAME/ (best.ckpt, last.ckpt), logs to logs/NAME/.",
    )
    p.add_argument("--config", default=None, help="YAML config (default: configs/default_config.yaml)")
    p.add_argument("--experiment-name", required=True, metavar="NAME", help="run name")
    p.add_argument(
        "--data-dir", metavar="PROCESSED", help="preprocessed HDF5 folder (default: data.processed_dir)"
    )
    p.add_argument(
        "--resume", metavar="CKPT", help="continue from a checkpoint; 'last' = this run's last.ckpt"
    )
    p.add_argument(
        "--init-weights",
        metavar="CKPT",
        help="start from this checkpoint's weights with a fresh optimiser and schedule (training.init_weights)",
    )
    p.add_argument(
        "--fast-dev-run", action="store_true", help="a few batches of train and val, nothing written"
    )
    p.add_argument("--max-time", metavar="DD:HH:MM:SS", help="stop after this long")
    p.add_argument("--max-epochs", type=int, help="override training.num_epochs")
    p.add_argument("--devices", help="override hardware.devices: a count or a comma list like 0,1")
    p.add_argument("--accelerator", choices=["auto", "cpu", "gpu"], help="override hardware.accelerator")
    p.add_argument(
        "--band-bank", metavar="DIR",
        help="override band_mix.bank: on-the-fly crops under a band come from this band bank",
    )  # fmt: skip
    p.set_defaults(func=_run_fit)


def _run_fit(args: argparse.Namespace) -> int:
    from drumscribe_training.config import load_config
    from drumscribe_training.network.train import fit

    overrides: dict[str, dict[str, Any]] = {}
    if args.max_epochs is not None:
        overrides.setdefault("training", {})["num_epochs"] = args.max_epochs
    if args.init_weights is not None:
        overrides.setdefault("training", {})["init_weights"] = args.init_weights
    if args.devices is not None:
        dev: Any = [int(d) for d in args.devices.split(",")] if "," in args.devices else int(args.devices)
        overrides.setdefault("hardware", {})["devices"] = dev
    if args.accelerator is not None:
        overrides.setdefault("hardware", {})["accelerator"] = args.accelerator
    if args.band_bank is not None:
        overrides.setdefault("band_mix", {})["bank"] = args.band_bank
    cfg = load_config(args.config, overrides=overrides or None)
    result = fit(
        cfg,
        experiment=args.experiment_name,
        processed_dir=args.data_dir,
        resume=args.resume,
        fast_dev_run=args.fast_dev_run,
        max_time=args.max_time,
    )
    print(f"best checkpoint: {result.best_checkpoint}  ({cfg.training.monitor} {result.best_score})")
    print(f"last checkpoint: {result.last_checkpoint}")
    print(f"logs:            {result.log_dir}")
    return 0


def _add_evaluate(sub: _Subparsers) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "evaluate",
        help="per-lane P/R/F1 of a model on audio + MIDI in E-GMD layout",
        description=(
            "Score a model (ONNX through the runtime, or a checkpoint through torch) on a split of an "
            "E-GMD-layout folder: per-lane and overall P/R/F1 at 50/30/20 ms, velocity error, a confusion "
            "table, report.json/report.md and PNGs. With --tune-thresholds, first choose per-lane thresholds "
            "on the validation split and write them into the model's sidecar."
        ),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="model.onnx (with its sidecar)")
    src.add_argument("--checkpoint", help="a .ckpt from drumscribe-train fit")
    p.add_argument("--config", default=None, help="YAML config (default: configs/default_config.yaml)")
    p.add_argument("--data-dir", help="E-GMD-layout folder (default: data.data_dir)")
    p.add_argument("--split", default="test", choices=["train", "val", "validation", "test"])
    p.add_argument("--out", default=None, help="report folder (default: runs/eval/<model name>-<split>)")
    p.add_argument("--limit", type=int, help="at most this many clips")
    p.add_argument(
        "--tune-thresholds",
        action="store_true",
        help="tune per-lane thresholds on val first (ONNX only; with --mix-levels on val in every condition)",
    )
    p.add_argument("--tune-limit", type=int, help="at most this many validation clips for tuning")
    p.add_argument(
        "--write-metrics", action="store_true", help="store the scores in the model's sidecar (ONNX only)"
    )
    p.add_argument(
        "--mix-levels",
        type=_finite_float,
        nargs="+",
        default=[],
        metavar="DB",
        help=(
            "also score the split as full mixes, each clip's drums with its band part at these "
            "drums-to-band levels in dB (e.g. 0 -6; negative = band louder); reports per condition "
            "in OUT/<condition>/ and the conditions side by side in OUT/conditions.md"
        ),
    )
    p.set_defaults(func=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    from drumscribe._io import atomic_write
    from drumscribe.live import load_any_model
    from drumscribe_training.config import load_config
    from drumscribe_training.eval.evaluate import (
        condition_name,
        conditions_markdown,
        evaluate_model,
        model_from_checkpoint,
        require_band_parts,
        run_clips,
        select_rows,
        tune_thresholds,
        write_reports,
        write_thresholds,
    )

    cfg = load_config(args.config)
    data_dir = args.data_dir or cfg.data.data_dir
    levels: list[float | None] = [None, *args.mix_levels]
    if args.mix_levels:
        try:
            require_band_parts(data_dir, select_rows(cfg, data_dir, args.split)[: args.limit], args.split)
        except ValueError as exc:
            print(f"drumscribe-train evaluate: error: {exc}", file=sys.stderr)
            return 2
    if args.checkpoint:
        if args.tune_thresholds:
            print(
                "drumscribe-train evaluate: --tune-thresholds needs --model (thresholds live in the sidecar)"
            )
            return 2
        model: Any = model_from_checkpoint(args.checkpoint)
        name = Path(args.checkpoint).stem
    else:
        model = load_any_model(args.model)
        name = Path(args.model).parent.name or Path(args.model).stem
        if args.tune_thresholds:
            rows = select_rows(cfg, data_dir, "val")[: args.tune_limit]
            clips = []
            for level in levels:  # one set of thresholds for every condition scored
                clips += run_clips(
                    model, cfg, data_dir, rows, thresholds=0.5, keep_activations=True, band_level_db=level
                )
            thr, f1 = tune_thresholds(
                clips,
                frame_rate=model.spec.frame_rate,
                min_interval_s=model.spec.min_interval_s,
                rule=model.spec.peak_rule,
            )
            tuned_on = {"split": "val", "clips": len(clips), "window_s": 0.05, "f1_at_tuned": f1}
            tuned_on["conditions"] = [condition_name(level) for level in levels]
            write_thresholds(args.model, thr, tuned_on=tuned_on)
            print("tuned thresholds: " + ", ".join(f"{k} {v:.2f}" for k, v in thr.items()))
            model = load_any_model(args.model)
    out = Path(args.out or Path("runs") / "eval" / f"{name}-{args.split}")
    reports = []
    for level in levels:
        report, clips = evaluate_model(
            model, cfg, data_dir, split=args.split, limit=args.limit, progress=True, band_level_db=level
        )
        folder = out if len(levels) == 1 else out / condition_name(level)
        paths = write_reports(report, clips, folder, frame_rate=model.spec.frame_rate)
        print(report.to_markdown())
        print("wrote " + ", ".join(str(p) for p in paths))
        reports.append(report)
    if len(reports) > 1:
        table = out / "conditions.md"
        with atomic_write(table) as fh:
            fh.write(conditions_markdown(reports))
        print(conditions_markdown(reports), end="")
        print(f"wrote {table}")
    if args.write_metrics and args.model:
        from drumscribe_training.eval.evaluate import sidecar_metrics, update_sidecar

        extra: dict[str, Any] = {"metrics": sidecar_metrics(reports[0])}
        if len(reports) > 1:
            extra["metrics_by_condition"] = {str(r.extra["condition"]): sidecar_metrics(r) for r in reports}
        update_sidecar(args.model, extra=extra)
    return 0


def _add_compare(sub: _Subparsers) -> None:
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
    p.set_defaults(func=_run_compare)


def _run_compare(args: argparse.Namespace) -> int:
    from drumscribe_training.eval.compare import compare_reports, registry_families

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
    _print_and_write(result.to_markdown(), args.out)
    return 0


def _add_hear(sub: _Subparsers) -> None:
    from drumscribe_training.eval.hear import DEFAULT_NOTES

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
    p.add_argument(
        "--backing",
        action="store_true",
        help="play the kit's kick and snare along, and a band part (the test split's held-out sources)",
    )
    p.add_argument(
        "--band-level",
        type=_finite_float,
        default=0.0,
        metavar="DB",
        help="with --backing: drums-to-band level of the band part in dB (default 0; negative = band louder)",
    )
    p.add_argument("--no-band", action="store_true", help="with --backing: kick and snare only, no band part")
    p.add_argument("--out", type=Path, help="also write the Markdown table here")
    p.set_defaults(func=_run_hear)


def _run_hear(args: argparse.Namespace) -> int:
    from drumscribe_training.eval.hear import hear_pieces, to_markdown
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
            band_level_db=None if args.no_band else args.band_level,
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
    _print_and_write(to_markdown(results), args.out)
    return 0


def _add_transcribe(sub: _Subparsers) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "transcribe", help="transcribe audio with a checkpoint (torch)"
    )
    p.add_argument("audio", help="audio file")
    p.add_argument("output", help="output .mid or .json")
    p.add_argument("--checkpoint", required=True, help="a .ckpt from drumscribe-train fit")
    p.add_argument("--threshold", type=float, help="peak threshold (default: the config's)")
    p.add_argument(
        "--min-interval", type=float, help="seconds between hits of a lane (default: the config's)"
    )
    p.add_argument("--format", choices=["midi", "json"], help="default: from the extension")
    p.set_defaults(func=_run_transcribe)


def _run_transcribe(args: argparse.Namespace) -> int:
    import drumscribe
    from drumscribe_training.network.checkpoint import load_checkpoint
    from drumscribe_training.network.torch_transcriber import TorchModel

    model = TorchModel(load_checkpoint(args.checkpoint), thresholds=args.threshold)
    result = drumscribe.transcribe(args.audio, model=model, min_interval_s=args.min_interval)
    result.write(args.output, format=args.format)
    print(f"{args.audio} -> {args.output}: {len(result.hits)} hits")
    return 0


def _print_and_write(text: str, out: Path | None) -> None:
    """Print a Markdown table and, with ``--out``, write it there too."""
    print(text, end="")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)


#: The subcommands, in the order ``--help`` lists them.
_SUBCOMMANDS: tuple[Callable[[_Subparsers], object], ...] = (
    _add_synth,
    _add_band_bank,
    _add_preprocess,
    _add_fit,
    _add_evaluate,
    _add_compare,
    _add_hear,
    _add_transcribe,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``drumscribe-train`` parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="drumscribe-train",
        description="drumscribe training side: synthetic data, preprocessing, training, evaluation.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(sub)
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
