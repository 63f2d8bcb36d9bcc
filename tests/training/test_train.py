"""Training on CPU with the synthetic set: fast-dev-run, overfit, resume, 2-process DDP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from drumscribe.peaks import pick_peaks
from drumscribe_training.config import Config, load_config
from drumscribe_training.eval.metrics import OnsetCounts
from support.training_setup import small_overrides

REPO = Path(__file__).resolve().parents[2]


def _small_overrides(tmp: Path) -> dict[str, Any]:
    return small_overrides(tmp)


def _config(tmp: Path, **sections: dict[str, Any]) -> Config:
    over = _small_overrides(tmp)
    for key, value in sections.items():
        over[key] = {**over.get(key, {}), **value}
    return load_config(overrides=over)


def test_fast_dev_run_cli(tiny_processed: Path, tmp_path: Path) -> None:
    from drumscribe_training.cli import main

    cfg_path = tmp_path / "cfg.yaml"
    cfg_path.write_text(
        yaml.safe_dump({"base": str(REPO / "configs" / "default_config.yaml"), **_small_overrides(tmp_path)})
    )
    code = main(
        [
            "fit",
            "--config",
            str(cfg_path),
            "--experiment-name",
            "smoke",
            "--data-dir",
            str(tiny_processed),
            "--fast-dev-run",
        ]
    )
    assert code == 0
    assert not list(tmp_path.rglob("*.ckpt"))  # fast-dev-run writes no checkpoint


def _batch_f1(module: Any, batch: dict[str, torch.Tensor]) -> float:
    module.eval()
    with torch.no_grad():
        logits, _ = module(batch["audio"])
    probs = torch.sigmoid(logits).numpy()
    fps = module.cfg.audio.frame_rate
    counts = OnsetCounts()
    for i in range(probs.shape[0]):
        hits = pick_peaks(probs[i], frame_rate=fps, threshold=0.5, min_interval_s=0.03)
        for lane in range(8):
            ref = np.nonzero(batch["onsets"][i, :, lane].numpy() >= 1.0)[0] / fps
            counts.add(lane, ref, [h.time_s for h in hits if h.lane == lane], window_s=0.05)
    module.train()
    return counts.scores().micro_f1


def test_overfit_tiny_batch_loss_falls_f1_rises(tiny_processed: Path, tmp_path: Path) -> None:
    from drumscribe_training.data.datamodule import EGMDDataModule
    from drumscribe_training.network.lightning_module import DrumTranscriberModule

    torch.manual_seed(0)
    cfg = _config(tmp_path, training={"batch_size": 6})
    dm = EGMDDataModule(cfg, processed_dir=tiny_processed)
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    assert batch["onsets"].sum() > 5, "the crops hold onsets"
    module = DrumTranscriberModule(cfg.to_dict())
    opt = torch.optim.Adam(module.parameters(), lr=2e-3)
    f1_before = _batch_f1(module, batch)
    losses = []
    for _ in range(60):
        loss, *_ = module._losses(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    f1_after = _batch_f1(module, batch)
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    assert f1_after > f1_before + 0.3, (f1_before, f1_after)


def test_last_checkpoint_is_the_latest_epoch_even_without_improvement(
    tiny_processed: Path, tmp_path: Path
) -> None:
    from drumscribe_training.network.train import fit

    # Learning rate 0 and the monitor inverted: the weights never change, so the validation
    # loss only drifts with BatchNorm's running statistics, which fit the data better and
    # so lower it; the first epoch stays the "best". last.ckpt must still be the final epoch
    # (what resume and timed runs need).
    cfg = _config(
        tmp_path,
        training={
            "num_epochs": 3,
            "learning_rate": 0.0,
            "early_stopping_patience": 10,
            "monitor_mode": "max",
        },
    )
    result = fit(cfg, experiment="flat", processed_dir=tiny_processed, enable_progress_bar=False)
    assert result.best_checkpoint and result.last_checkpoint
    best = torch.load(result.best_checkpoint, map_location="cpu", weights_only=True)
    last = torch.load(result.last_checkpoint, map_location="cpu", weights_only=True)
    assert best["epoch"] == 0
    assert last["epoch"] == 2 and last["global_step"] == 3 * best["global_step"]


def test_resume_continues_the_same_run(tiny_processed: Path, tmp_path: Path) -> None:
    from drumscribe_training.network.train import fit

    cfg = _config(tmp_path, logging={"logger": "tensorboard"})
    first = fit(cfg, experiment="run", processed_dir=tiny_processed, enable_progress_bar=False)
    assert first.last_checkpoint and Path(first.last_checkpoint).name == "last.ckpt"
    ck1 = torch.load(first.last_checkpoint, map_location="cpu", weights_only=True)
    assert ck1["epoch"] == 0 and ck1["global_step"] == 2
    assert any("EarlyStopping" in key for key in ck1["callbacks"])
    second = fit(
        cfg.replace(training={"num_epochs": 2}),
        experiment="run",
        processed_dir=tiny_processed,
        resume="last",
        enable_progress_bar=False,
    )
    ck2 = torch.load(second.last_checkpoint, map_location="cpu", weights_only=True)
    assert ck2["epoch"] == 1 and ck2["global_step"] == 4  # continued, not restarted
    assert ck2["lr_schedulers"][0]["last_epoch"] == 4  # the schedule continued too
    # one logger run holds both parts: the same version folder, an event file from each
    events = sorted((tmp_path / "logs" / "run" / "run").glob("events.out.tfevents.*"))
    assert len(events) == 2, events


def test_init_weights_starts_from_a_checkpoint_with_a_fresh_schedule(
    tiny_processed: Path, tmp_path: Path
) -> None:
    from drumscribe_training.network.train import fit

    cfg = _config(tmp_path)
    first = fit(cfg, experiment="stage1", processed_dir=tiny_processed, enable_progress_bar=False)
    assert first.last_checkpoint
    w1 = torch.load(first.last_checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    # fine-tune: no optimiser steps (lr 0) so the weights must equal stage 1's exactly;
    # best.ckpt follows val/f1 (max) here
    ft = cfg.replace(
        training={
            "init_weights": first.last_checkpoint,
            "learning_rate": 0.0,
            "warmup_steps": 0,
            "monitor": "val/f1",
            "monitor_mode": "max",
        }
    )
    second = fit(ft, experiment="stage2", processed_dir=tiny_processed, enable_progress_bar=False)
    assert second.last_checkpoint
    ck2 = torch.load(second.last_checkpoint, map_location="cpu", weights_only=True)
    assert ck2["epoch"] == 0 and ck2["global_step"] == 2  # a new run, not a resume
    params = [k for k in w1 if "running_" not in k and "num_batches" not in k]  # BN statistics move
    for name in params:
        torch.testing.assert_close(ck2["state_dict"][name], w1[name], msg=name)
    assert any("'monitor': 'val/f1'" in key for key in ck2["callbacks"]), list(ck2["callbacks"])
    # the same run without init_weights starts elsewhere (the check above can fail)
    fresh = fit(
        cfg.replace(training={"learning_rate": 0.0, "warmup_steps": 0}),
        experiment="fresh",
        processed_dir=tiny_processed,
        enable_progress_bar=False,
    )
    assert fresh.last_checkpoint
    w3 = torch.load(fresh.last_checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    assert any(not torch.equal(w3[k], w1[k]) for k in params)


def test_checkpoint_written_before_new_config_keys_still_loads(tiny_processed: Path, tmp_path: Path) -> None:
    from drumscribe_training.network.checkpoint import load_checkpoint
    from drumscribe_training.network.train import fit

    cfg = _config(tmp_path)
    result = fit(cfg, experiment="old", processed_dir=tiny_processed, enable_progress_bar=False)
    assert result.best_checkpoint
    ckpt = torch.load(result.best_checkpoint, map_location="cpu", weights_only=True)
    for key in ("monitor", "monitor_mode", "init_weights"):  # keys added after the first models
        del ckpt["hyper_parameters"]["config"]["training"][key]
    old = tmp_path / "old.ckpt"
    torch.save(ckpt, old)
    loaded = load_checkpoint(old)
    assert loaded.config.model == cfg.model
    assert loaded.config.training.monitor == "val/loss"  # the default filled in


def test_checkpoint_from_another_config_is_refused(tiny_processed: Path, tmp_path: Path) -> None:
    from drumscribe.errors import ModelError
    from drumscribe_training.network.checkpoint import load_checkpoint
    from drumscribe_training.network.train import fit

    cfg = _config(tmp_path)
    result = fit(cfg, experiment="a", processed_dir=tiny_processed, enable_progress_bar=False)
    assert result.best_checkpoint
    loaded = load_checkpoint(result.best_checkpoint)
    assert loaded.config.model == cfg.model
    other = cfg.replace(model={"hidden_size": 48})
    with pytest.raises(ModelError, match="another model config"):
        load_checkpoint(result.best_checkpoint, config=other)


def test_ddp_two_processes_gloo(tiny_processed: Path, tmp_path: Path) -> None:
    cfg_path = tmp_path / "ddp.yaml"
    over = _small_overrides(tmp_path)
    over["hardware"] |= {"devices": 2, "accelerator": "cpu"}
    cfg_path.write_text(yaml.safe_dump({"base": str(REPO / "configs" / "default_config.yaml"), **over}))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "drumscribe_training.cli",
            "fit",
            "--config",
            str(cfg_path),
            "--experiment-name",
            "ddp",
            "--data-dir",
            str(tiny_processed),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "MEMBER: 2/2" in out  # two ranks joined the process group
    assert "gloo" in out
    assert (tmp_path / "checkpoints" / "ddp" / "last.ckpt").is_file()


def test_per_lane_onset_pos_weight(tmp_path: Path) -> None:
    from drumscribe.contract import LANE_NAMES
    from drumscribe_training.config import ConfigError
    from drumscribe_training.network.lightning_module import DrumTranscriberModule

    weights = {name: float(i + 1) for i, name in enumerate(LANE_NAMES)}
    cfg = _config(tmp_path, training={"onset_pos_weight": weights})
    module = DrumTranscriberModule(cfg.to_dict())
    assert module.pos_weight.tolist() == [float(i + 1) for i in range(8)]  # lane order
    # the weight scales the positive term of that lane's loss only
    torch.manual_seed(0)
    batch = {"audio": 0.1 * torch.randn(2, 16000), "onsets": torch.zeros(2, 101, 8)}
    batch["onsets"][:, 50, LANE_NAMES.index("ride")] = 1.0
    base = DrumTranscriberModule(_config(tmp_path, training={"onset_pos_weight": 1.0}).to_dict())
    base.load_state_dict(module.state_dict())
    module.eval(), base.eval()
    with torch.no_grad():
        heavy, light = module._losses(batch)[1], base._losses(batch)[1]
    assert float(heavy) > float(light)
    with pytest.raises(ConfigError, match="must name every lane"):
        _config(tmp_path, training={"onset_pos_weight": {"kick": 2.0}})
    with pytest.raises(ConfigError, match="must be > 0"):
        _config(tmp_path, training={"onset_pos_weight": 0.0})


def test_average_checkpoints_is_the_mean_of_the_weights(tiny_processed: Path, tmp_path: Path) -> None:
    from drumscribe.errors import ModelError
    from drumscribe_training.network.checkpoint import average_checkpoints, load_checkpoint
    from drumscribe_training.network.train import fit

    result = fit(
        _config(tmp_path), experiment="soup", processed_dir=tiny_processed, enable_progress_bar=False
    )
    assert result.best_checkpoint
    a = torch.load(result.best_checkpoint, map_location="cpu", weights_only=True)
    b = dict(
        a,
        state_dict={
            k: (v + 1.0 if torch.is_floating_point(v) else v + 7) for k, v in a["state_dict"].items()
        },
    )
    torch.save(b, tmp_path / "b.ckpt")
    soup = average_checkpoints([result.best_checkpoint, tmp_path / "b.ckpt"], tmp_path / "soup.ckpt")
    got = torch.load(soup, map_location="cpu", weights_only=True)
    for key, value in a["state_dict"].items():
        if torch.is_floating_point(value):
            assert torch.allclose(got["state_dict"][key], value + 0.5, atol=1e-6), key
        else:
            assert torch.equal(got["state_dict"][key], value), key  # counters come from the first
    assert "optimizer_states" not in got
    assert load_checkpoint(soup).model is not None  # loads and exports like any checkpoint
    one = average_checkpoints(
        [result.best_checkpoint, tmp_path / "b.ckpt"], tmp_path / "one.ckpt", weights=[1.0, 0.0]
    )
    w1 = torch.load(one, map_location="cpu", weights_only=True)["state_dict"]
    assert all(torch.equal(w1[k], v) for k, v in a["state_dict"].items())
    bigger = dict(a)
    bigger["hyper_parameters"] = {"config": {**a["hyper_parameters"]["config"]}}
    bigger["hyper_parameters"]["config"]["model"] = {
        **bigger["hyper_parameters"]["config"]["model"],
        "hidden_size": 48,
    }
    torch.save(bigger, tmp_path / "other.ckpt")
    with pytest.raises(ModelError, match="another model config"):
        average_checkpoints([result.best_checkpoint, tmp_path / "other.ckpt"], tmp_path / "x.ckpt")
    with pytest.raises(ModelError, match="one or more"):
        average_checkpoints([], tmp_path / "x.ckpt")
    slim = torch.load(average_checkpoints([tmp_path / "b.ckpt"], tmp_path / "slim.ckpt"), weights_only=True)
    assert "optimizer_states" in b and "optimizer_states" not in slim
    assert all(torch.equal(slim["state_dict"][k], v) for k, v in b["state_dict"].items())


def test_recalibrate_batchnorm_repairs_nan_statistics(tiny_processed: Path, tmp_path: Path) -> None:
    from drumscribe.errors import ModelError
    from drumscribe_training.network.checkpoint import load_checkpoint, recalibrate_batchnorm
    from drumscribe_training.network.train import fit

    result = fit(_config(tmp_path), experiment="bn", processed_dir=tiny_processed, enable_progress_bar=False)
    assert result.best_checkpoint
    good = torch.load(result.best_checkpoint, map_location="cpu", weights_only=True)
    # what one float16 overflow does: every running statistic NaN, the weights intact
    bad = dict(good, state_dict=dict(good["state_dict"]))
    stats = [k for k in bad["state_dict"] if k.endswith(("running_mean", "running_var"))]
    assert stats
    for k in stats:
        bad["state_dict"][k] = torch.full_like(bad["state_dict"][k], float("nan"))
    torch.save(bad, tmp_path / "bad.ckpt")
    audio = torch.from_numpy(np.random.default_rng(0).uniform(-0.5, 0.5, (1, 16000)).astype(np.float32))
    assert not torch.isfinite(load_checkpoint(tmp_path / "bad.ckpt").model(audio)[0]).all()

    out = recalibrate_batchnorm(
        tmp_path / "bad.ckpt", tmp_path / "fixed.ckpt", processed_dir=tiny_processed, batches=3, num_workers=0
    )
    fixed = torch.load(out, map_location="cpu", weights_only=True)
    assert "optimizer_states" not in fixed and fixed["batchnorm_recalibrated"]["batches"] == 3
    for k, v in fixed["state_dict"].items():
        assert torch.isfinite(v.float()).all(), k
        if k not in stats and torch.is_floating_point(v):
            assert torch.equal(v, good["state_dict"][k]), k  # only the statistics changed
    var = fixed["state_dict"]["model.body.input_norm.running_var"]
    assert float(var.min()) > 0.0
    assert torch.isfinite(load_checkpoint(out).model(audio)[0]).all()
    with pytest.raises(ModelError, match="batches"):
        recalibrate_batchnorm(
            tmp_path / "bad.ckpt", tmp_path / "x.ckpt", processed_dir=tiny_processed, batches=0
        )
