"""Weights read back from an exported model equal the exported graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from drumscribe_training.config import load_config
from drumscribe_training.network.crnn import ExportWrapper, build_model
from drumscribe_training.network.onnx_import import OnnxImportError, calibrate_batchnorm, import_onnx_weights

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "runtime" / "src" / "drumscribe" / "models" / "default" / "model.onnx"
RECIPE = REPO / "configs" / "default_model.yaml"


def _audio(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.02, (2, round(seconds * 16000))).astype(np.float32)
    for start in range(0, x.shape[1] - 800, 4000):  # clicks: onsets for the model to answer
        x[:, start : start + 800] += rng.normal(0, 0.3, 800).astype(np.float32) * np.exp(
            -np.arange(800) / 150
        )
    return x


def _onnx(x: np.ndarray) -> list[np.ndarray]:
    return list(ort.InferenceSession(str(SHIPPED)).run(None, {"audio": x}))


def test_shipped_model_comes_back_exactly() -> None:
    model = build_model(load_config(RECIPE))
    import_onnx_weights(model, SHIPPED)
    model.eval()
    x = _audio(3.0, 0)
    with torch.no_grad():
        got = ExportWrapper(model)(torch.from_numpy(x))
    for want, have in zip(_onnx(x), got, strict=True):
        np.testing.assert_allclose(have.numpy(), want, atol=2e-5)


def test_calibration_keeps_eval_and_centres_training_mode() -> None:
    model = build_model(load_config(RECIPE))
    import_onnx_weights(model, SHIPPED)
    batches = [torch.from_numpy(_audio(2.0, k)) for k in range(3)]
    assert calibrate_batchnorm(model, batches) == 3
    model.eval()
    x = _audio(3.0, 7)
    with torch.no_grad():
        got = ExportWrapper(model)(torch.from_numpy(x))
    np.testing.assert_allclose(got[0].numpy(), _onnx(x)[0], atol=2e-5)  # eval mode unchanged
    bn = model.body.conv[0].net[1]
    assert not torch.allclose(bn.running_var, torch.ones_like(bn.running_var))  # measured, not 0/1


def test_a_graph_of_another_network_is_refused(tmp_path: Path) -> None:
    small = load_config(RECIPE).replace(model={"conv_filters": [16, 32, 64]})
    with pytest.raises(OnnxImportError, match=r"model\.onnx: body\.conv\.0\.net\.0\.weight has shape"):
        import_onnx_weights(build_model(small), SHIPPED)
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(OnnxImportError, match="not a readable ONNX model"):
        import_onnx_weights(build_model(load_config(RECIPE)), bad)
