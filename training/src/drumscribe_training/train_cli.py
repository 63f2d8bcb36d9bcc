"""``drumscribe-train fit``: train the CRNN from a config."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from drumscribe_training.config import load_config
    from drumscribe_training.train import fit

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
