"""Distillation: a frozen teacher model's onset probabilities as part of the onset target."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from torch import nn

from drumscribe_training.config import Config, ConfigError, load_config
from drumscribe_training.network.crnn import DrumTranscriber, build_model
from drumscribe_training.network.lightning_module import DrumTranscriberModule
from support.training_setup import small_overrides

REPO = Path(__file__).resolve().parents[2]
SR = 16000


def _clicks(batch: int, seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.01, (batch, round(seconds * SR))).astype(np.float32)
    for start in range(0, x.shape[1] - 800, 5000):
        x[:, start : start + 800] += rng.normal(0, 0.4, 800).astype(np.float32) * np.exp(
            -np.arange(800) / 150
        )
    return x


@pytest.fixture(scope="module")
def teacher(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Config, DrumTranscriber]:
    """A tiny randomly initialised network exported as model.onnx + sidecar."""
    from drumscribe_exporters.onnx_export import export_model

    tmp = tmp_path_factory.mktemp("teacher")
    cfg = load_config(overrides=small_overrides(tmp))
    torch.manual_seed(7)
    model = build_model(cfg).eval()
    path = tmp / "model.onnx"
    export_model(model, cfg, path, name="tiny-teacher")
    return path, cfg, model


def _module(cfg: Config, teacher: Path, **distill: object) -> DrumTranscriberModule:
    module = DrumTranscriberModule(cfg.replace(distill={"teacher": str(teacher), **distill}).to_dict())
    return module.eval()


def test_teacher_probabilities_are_the_exported_models(teacher: tuple[Path, Config, DrumTranscriber]) -> None:
    path, cfg, model = teacher
    module = _module(cfg, path)
    audio = torch.from_numpy(_clicks(2, 2.0, seed=1))
    probs = module.teacher_probabilities(audio)
    with torch.no_grad():
        logits, _ = model(audio)
    assert probs.shape == logits.shape == (2, 2 * SR // cfg.audio.hop_length + 1, 8)
    np.testing.assert_allclose(probs.numpy(), torch.sigmoid(logits).numpy(), atol=1e-4)


def _batch(cfg: Config, seed: int) -> dict[str, torch.Tensor]:
    rng = np.random.default_rng(seed)
    audio = _clicks(2, 2.0, seed)
    frames = audio.shape[1] // cfg.audio.hop_length + 1
    onsets = (rng.random((2, frames, 8)) < 0.02).astype(np.float32)
    return {
        "audio": torch.from_numpy(audio),
        "onsets": torch.from_numpy(onsets),
        "velocities": torch.from_numpy(onsets * 0.7),
        "teacher_audio": torch.zeros(2, audio.shape[1]),  # the drums alone: here, silence
    }


@pytest.mark.parametrize("hears", ["drums", "input"])
def test_onset_loss_mixes_labels_and_teacher_by_weight(
    teacher: tuple[Path, Config, DrumTranscriber], hears: str
) -> None:
    path, cfg, _ = teacher
    batch = _batch(cfg, seed=2)
    module = _module(cfg, path, weight=0.3, teacher_hears=hears)
    with torch.no_grad():
        plain = module._losses(batch).onset  # validation: labels only
        mixed = module._losses(batch, distill=True).onset
        logits, _ = module.model(batch["audio"])
    heard = batch["teacher_audio"] if hears == "drums" else batch["audio"]
    soft = module.teacher_probabilities(heard)
    by_teacher = nn.functional.binary_cross_entropy_with_logits(logits, soft, pos_weight=module.pos_weight)
    by_labels = nn.functional.binary_cross_entropy_with_logits(
        logits, batch["onsets"], pos_weight=module.pos_weight
    )
    assert float(plain) == pytest.approx(float(by_labels), rel=1e-5)
    assert float(mixed) == pytest.approx(0.7 * float(by_labels) + 0.3 * float(by_teacher), rel=1e-5)
    assert abs(float(mixed) - float(plain)) > 1e-3  # the teacher moved the loss


def test_a_teacher_at_another_hop_is_refused(teacher: tuple[Path, Config, DrumTranscriber]) -> None:
    path, cfg, _ = teacher
    other = cfg.replace(audio={"hop_length": 2 * cfg.audio.hop_length})
    module = _module(other, path)
    with pytest.raises(ConfigError, match=r"distill\.teacher runs at"):
        module.teacher_probabilities(torch.zeros(1, SR))


def test_config_refuses_bad_distill_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"distill\.weight"):
        load_config(overrides={"distill": {"weight": 1.5}})
    with pytest.raises(ConfigError, match=r"distill\.teacher must name an exported model\.onnx"):
        load_config(overrides={"distill": {"teacher": "checkpoints/best.ckpt"}})
    with pytest.raises(ConfigError, match="teacher_hears"):
        load_config(overrides={"distill": {"teacher_hears": "band"}})


def test_fit_with_a_teacher_runs(
    teacher: tuple[Path, Config, DrumTranscriber], tiny_processed: Path, tmp_path: Path
) -> None:
    from drumscribe_training.cli import main

    path, _, _ = teacher
    cfg_path = tmp_path / "cfg.yaml"
    over = small_overrides(tmp_path)
    over["distill"] = {"teacher": str(path), "weight": 0.5, "teacher_hears": "drums"}
    cfg_path.write_text(yaml.safe_dump({"base": str(REPO / "configs" / "default_config.yaml"), **over}))
    args = [
        "fit",
        "--config",
        str(cfg_path),
        "--experiment-name",
        "distill",
        "--data-dir",
        str(tiny_processed),
    ]
    assert main([*args, "--fast-dev-run"]) == 0
