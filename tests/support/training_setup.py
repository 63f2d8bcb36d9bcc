"""Shared set-up of the training tests: a narrow network on two-batch epochs."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def small_overrides(tmp: Path, *, epochs: int = 1) -> dict[str, Any]:
    """Config overrides: tiny batches and network, CSV logs and checkpoints under ``tmp``.

    The same code paths as the default config, at a fraction of the CPU time.
    """
    return {
        "training": {
            "batch_size": 4,
            "num_epochs": epochs,
            "checkpoint_dir": str(tmp / "checkpoints"),
            "limit_train_batches": 2,
            "limit_val_batches": 2,
            "log_every_n_steps": 1,
            "warmup_steps": 2,
        },
        "hardware": {"num_workers": 0, "accelerator": "cpu"},
        "logging": {"logger": "csv", "log_dir": str(tmp / "logs")},
        "data": {"crop_s": 2.0, "val_crop_s": 2.0},
        "augmentation": {"enabled": False},
        "model": {"conv_filters": [8, 16, 32], "hidden_size": 32, "num_gru_layers": 2, "dense_size": 64},
        "frontend": {"n_mels": 64},
    }
