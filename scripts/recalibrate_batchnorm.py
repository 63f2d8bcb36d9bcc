"""Recompute a checkpoint's BatchNorm running statistics from training crops.

    uv run python scripts/recalibrate_batchnorm.py CKPT -o OUT.ckpt --data-dir PROCESSED [--batches 100]

See drumscribe_training.network.checkpoint.recalibrate_batchnorm (for statistics a float16 overflow
made NaN, and for averaged weights).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from drumscribe.errors import ModelError
from drumscribe_training.data.dataset import DataError
from drumscribe_training.network.checkpoint import recalibrate_batchnorm


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="preprocessed HDF5 folder (train split)")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--num-workers", type=int)
    args = parser.parse_args()
    try:
        out = recalibrate_batchnorm(
            args.checkpoint,
            args.out,
            processed_dir=args.data_dir,
            batches=args.batches,
            batch_size=args.batch_size,
            num_workers=args.num_workers,
        )
    except (ModelError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
