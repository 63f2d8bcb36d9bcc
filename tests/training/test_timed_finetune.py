"""scripts/timed_finetune.py: the schedule sized from the measured loader rate, a slim result."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pytest
import torch
import yaml

from support.training_setup import small_overrides

REPO = Path(__file__).resolve().parents[2]


def test_timed_finetune_plans_whole_epochs_and_writes_the_final_weights(
    tiny_processed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    over = small_overrides(tmp_path)
    over["training"]["limit_train_batches"] = None
    over["training"]["early_stopping_patience"] = 1000
    over["training"]["limit_val_batches"] = 1
    over["data"]["train_epoch_items"] = 8  # 2 batches of 4 an epoch, whatever the split holds
    cfg_path = tmp_path / "cfg.yaml"
    cfg_path.write_text(yaml.safe_dump({"base": str(REPO / "configs" / "default_config.yaml"), **over}))
    out, summary_path = tmp_path / "slim.ckpt", tmp_path / "summary.json"
    argv = ["timed_finetune.py", "--config", str(cfg_path), "--experiment-name", "timed"]
    argv += ["--data-dir", str(tiny_processed), "--budget-s", "0.05", "--probe-batches", "3"]
    argv += ["--overrun-s", "600", "--out", str(out), "--summary", str(summary_path)]
    monkeypatch.setattr(sys, "argv", argv)
    main = runpy.run_path(str(REPO / "scripts" / "timed_finetune.py"), run_name="timed_finetune")["main"]
    assert main() == 0

    summary = json.loads(summary_path.read_text())
    assert summary["probe_batches_per_s"] > 0 and summary["probe_steps_per_s"] > 0
    rate = min(summary["probe_batches_per_s"], summary["probe_steps_per_s"])  # the slower one plans
    assert summary["epochs_planned"] == max(1, int(rate * 0.05 * 0.85) // 2)  # whole epochs that fit
    assert summary["planned_steps"] == 2 * summary["epochs_planned"]
    assert summary["epochs_done"] == summary["epochs_planned"]  # the hard stop never came
    assert summary["steps_done"] == summary["planned_steps"]
    slim = torch.load(out, map_location="cpu", weights_only=True)
    last = torch.load(summary["source_checkpoint"], map_location="cpu", weights_only=True)
    assert Path(summary["source_checkpoint"]).name == "last.ckpt"
    assert "optimizer_states" not in slim and "optimizer_states" in last
    assert last["global_step"] == summary["planned_steps"]  # the whole cosine schedule ran
    assert all(torch.equal(slim["state_dict"][k], v) for k, v in last["state_dict"].items())
