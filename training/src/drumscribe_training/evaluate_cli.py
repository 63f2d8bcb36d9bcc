"""``drumscribe-train evaluate``: score a model on a split, tune thresholds on validation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
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
    p.add_argument("--out", default=None, help="report folder (default: reports/<model name>-<split>)")
    p.add_argument("--limit", type=int, help="at most this many clips")
    p.add_argument(
        "--tune-thresholds", action="store_true", help="tune per-lane thresholds on val first (ONNX only)"
    )
    p.add_argument("--tune-limit", type=int, help="at most this many validation clips for tuning")
    p.add_argument(
        "--write-metrics", action="store_true", help="store the scores in the model's sidecar (ONNX only)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import drumscribe
    from drumscribe_training.config import load_config
    from drumscribe_training.evaluate import (
        evaluate_model,
        model_from_checkpoint,
        run_clips,
        select_rows,
        tune_thresholds,
        write_reports,
        write_thresholds,
    )

    cfg = load_config(args.config)
    data_dir = args.data_dir or cfg.data.data_dir
    if args.checkpoint:
        if args.tune_thresholds:
            print(
                "drumscribe-train evaluate: --tune-thresholds needs --model (thresholds live in the sidecar)"
            )
            return 2
        model: Any = model_from_checkpoint(args.checkpoint)
        name = Path(args.checkpoint).stem
    else:
        model = drumscribe.load_model(args.model, cache=False)
        name = Path(args.model).parent.name or Path(args.model).stem
        if args.tune_thresholds:
            rows = select_rows(cfg, data_dir, "val")[: args.tune_limit]
            clips = run_clips(model, cfg, data_dir, rows, thresholds=0.5, keep_activations=True)
            thr, f1 = tune_thresholds(
                clips, frame_rate=model.spec.frame_rate, min_interval_s=model.spec.min_interval_s
            )
            write_thresholds(
                args.model,
                thr,
                tuned_on={"split": "val", "clips": len(clips), "window_s": 0.05, "f1_at_tuned": f1},
            )
            print("tuned thresholds: " + ", ".join(f"{k} {v:.2f}" for k, v in thr.items()))
            model = drumscribe.load_model(args.model, cache=False)
    report, clips = evaluate_model(model, cfg, data_dir, split=args.split, limit=args.limit, progress=True)
    if args.write_metrics and args.model:
        from drumscribe_training.evaluate import sidecar_metrics, update_sidecar

        update_sidecar(args.model, extra={"metrics": sidecar_metrics(report)})
    out = Path(args.out or Path("reports") / f"{name}-{args.split}")
    paths = write_reports(report, clips, out, frame_rate=model.spec.frame_rate)
    print(report.to_markdown())
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
