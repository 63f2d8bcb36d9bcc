"""Fine-tune for a fixed wall-clock budget: size the schedule from the measured data rate.

    python scripts/timed_finetune.py --config configs/default_model.yaml \
        --experiment-name gpu-s4 --data-dir PROCESSED --budget-s 360 --out slim.ckpt

For a borrowed machine with minutes to spare (a GPU lent for one run): training on clips
rendered on the fly is bound by the loader workers on a GPU and by the model's steps on a
CPU, and both rates depend on the machine. This script times ``--probe-batches`` batches of
the loader, then ``--probe-steps`` optimiser steps of the model on the training device (on
batches the loader gave), takes the slower of the two rates, and sets
``training.num_epochs`` to the whole epochs that end inside ``--budget-s`` at ``--fill`` of
that rate (at least one), trains with ``drumscribe_training.network.train.fit`` (Lightning's ``max_time`` as a hard
stop at the budget plus ``--overrun-s``), and writes the last checkpoint's weights, without
optimiser state, to ``--out``. A JSON summary (rates, steps, epochs, seconds, checkpoint)
goes to stdout and to ``--summary``.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import sys
import time
from pathlib import Path


def main() -> int:
    from drumscribe.errors import ModelError
    from drumscribe_training.config import ConfigError
    from drumscribe_training.data.dataset import DataError

    try:
        return _run()
    except (ConfigError, DataError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--experiment-name", required=True)
    parser.add_argument(
        "--data-dir", type=Path, help="preprocessed HDF5 folder (default: data.processed_dir)"
    )
    parser.add_argument("--init-weights", type=Path, help="override training.init_weights")
    parser.add_argument("--budget-s", type=float, required=True, help="seconds of training to plan for")
    parser.add_argument("--probe-batches", type=int, default=40, help="loader batches to time")
    parser.add_argument(
        "--probe-steps",
        type=int,
        default=3,
        help="model steps to time after one warm-up (at most --probe-batches - 1)",
    )
    parser.add_argument("--fill", type=float, default=0.85, help="share of the budget the schedule plans")
    parser.add_argument("--overrun-s", type=float, default=60.0, help="hard stop this long after the budget")
    parser.add_argument("--num-workers", type=int, help="override hardware.num_workers")
    parser.add_argument("--accelerator", choices=("auto", "cpu", "gpu"), help="override hardware.accelerator")
    parser.add_argument(
        "--band-bank",
        type=Path,
        help="override band_mix.bank (band parts for on-the-fly crops, no SoundFonts)",
    )
    parser.add_argument("--out", type=Path, required=True, help="slim checkpoint of the final weights")
    parser.add_argument("--summary", type=Path, help="also write the JSON summary here")
    args = parser.parse_args()
    if args.probe_steps < 1 or args.probe_batches < 2:
        parser.error("--probe-steps must be >= 1 and --probe-batches >= 2 (one batch warms the model up)")

    from drumscribe_training.config import load_config
    from drumscribe_training.data.datamodule import EGMDDataModule
    from drumscribe_training.network.checkpoint import average_checkpoints
    from drumscribe_training.network.train import fit

    hardware: dict[str, object] = {}
    if args.num_workers is not None:
        hardware["num_workers"] = args.num_workers
    if args.accelerator is not None:
        hardware["accelerator"] = args.accelerator
    training: dict[str, object] = {}
    if args.init_weights is not None:
        training["init_weights"] = str(args.init_weights)
    band_mix: dict[str, object] = {} if args.band_bank is None else {"bank": str(args.band_bank)}
    cfg = load_config(
        args.config, overrides={"hardware": hardware, "training": training, "band_mix": band_mix}
    )
    data_dir = args.data_dir or Path(cfg.data.processed_dir)

    t0 = time.perf_counter()
    probe = EGMDDataModule(cfg, processed_dir=data_dir)
    loader = probe.train_dataloader()
    batches = itertools.chain.from_iterable(loader for _ in itertools.count())  # epochs on end
    next(batches)  # workers started, kits loaded
    t1 = time.perf_counter()
    kept: collections.deque = collections.deque(maxlen=args.probe_steps + 1)  # for the step probe
    for _ in range(args.probe_batches):
        kept.append(next(batches))
    loader_rate = args.probe_batches / (time.perf_counter() - t1)  # batches per second
    per_epoch = len(loader)
    del batches, loader, probe  # stop the probe's workers
    step_rate = _step_rate(cfg, list(kept))
    rate = min(loader_rate, step_rate)
    if cfg.training.limit_train_batches is not None:
        per_epoch = min(per_epoch, int(cfg.training.limit_train_batches))
    planned = max(1, int(rate * args.budget_s * args.fill))
    epochs = max(1, planned // per_epoch)  # whole epochs that fit: rounding up overran a short lease
    cfg = cfg.replace(training={"num_epochs": epochs})
    hard = int(args.budget_s + args.overrun_s)
    print(
        f"probe: loader {loader_rate:.2f} batches/s of {cfg.training.batch_size} ({t1 - t0:.0f} s to "
        f"start), model {step_rate:.2f} steps/s; planning {epochs} epochs x {per_epoch} batches",
        flush=True,
    )

    t2 = time.perf_counter()
    result = fit(
        cfg,
        experiment=args.experiment_name,
        processed_dir=data_dir,
        max_time=f"{hard // 86400:02d}:{hard // 3600 % 24:02d}:{hard // 60 % 60:02d}:{hard % 60:02d}",
        enable_progress_bar=False,
    )
    fit_s = time.perf_counter() - t2
    source = result.last_checkpoint or result.best_checkpoint
    if source is None:
        print("error: training wrote no checkpoint", file=sys.stderr)
        return 1
    average_checkpoints([source], args.out)
    summary = {
        "config": str(args.config),
        "experiment": args.experiment_name,
        "batch_size": cfg.training.batch_size,
        "probe_batches_per_s": round(loader_rate, 3),
        "probe_steps_per_s": round(step_rate, 3),
        "loader_start_s": round(t1 - t0, 1),
        "planned_steps": epochs * per_epoch,
        "epochs_planned": epochs,
        "epochs_done": result.epochs,
        "steps_done": result.steps,
        "fit_s": round(fit_s, 1),
        "source_checkpoint": source,
        "val_best": result.best_score,  # on --data-dir's val split
        "out": str(args.out),
    }
    text = json.dumps(summary, indent=1)
    print(text)
    if args.summary is not None:
        args.summary.write_text(text + "\n")
    return 0


def _step_rate(cfg, batches: list) -> float:  # type: ignore[no-untyped-def]
    """Optimiser steps per second of the model on the training device, precision as in fit.

    The first batch warms up (allocations, kernels); the rest are timed.
    """
    import torch

    from drumscribe_training.network.lightning_module import DrumTranscriberModule
    from drumscribe_training.network.train import resolve_precision, uses_gpu

    device = torch.device("cuda" if uses_gpu(cfg) else "cpu")
    dtype = {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}.get(resolve_precision(cfg))
    module = DrumTranscriberModule(cfg.to_dict()).to(device).train()
    opt = torch.optim.AdamW(module.parameters(), lr=0.0)

    def step(batch: dict) -> None:  # type: ignore[type-arg]
        batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}
        with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            loss = module._losses(batch)[0]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    step(batches[0])
    t = time.perf_counter()
    for b in batches[1:]:
        step(b)
    return (len(batches) - 1) / (time.perf_counter() - t)


if __name__ == "__main__":
    raise SystemExit(main())
