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


def _run(path: Path, x: np.ndarray) -> list[np.ndarray]:
    return list(ort.InferenceSession(str(path)).run(None, {"audio": x}))


@pytest.fixture(scope="module")
def fp32_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An fp32 export of the bundled model's weights (the bundled file may be its static-int8
    variant, whose activations are rounded): the exact round trip is checked on it."""
    from drumscribe_exporters.onnx_export import export_model

    model = build_model(load_config(RECIPE))
    import_onnx_weights(model, SHIPPED)
    out = tmp_path_factory.mktemp("fp32") / "model.onnx"
    export_model(model.eval(), load_config(RECIPE), out, name="fp32-of-bundled")
    return out


def test_exported_weights_come_back_exactly(fp32_export: Path) -> None:
    model = build_model(load_config(RECIPE))
    import_onnx_weights(model, fp32_export)
    model.eval()
    x = _audio(3.0, 0)
    with torch.no_grad():
        got = ExportWrapper(model)(torch.from_numpy(x))
    for want, have in zip(_run(fp32_export, x), got, strict=True):
        np.testing.assert_allclose(have.numpy(), want, atol=2e-5)


def test_bundled_model_imports() -> None:
    """The bundled file (fp32 or static int8) comes back as a network computing its function
    (up to int8 activation rounding when it is the int8 variant)."""
    model = build_model(load_config(RECIPE))
    import_onnx_weights(model, SHIPPED)
    model.eval()
    x = _audio(3.0, 1)
    with torch.no_grad():
        got = ExportWrapper(model)(torch.from_numpy(x))[0].numpy()
    assert np.abs(got - _run(SHIPPED, x)[0]).max() < 0.05


def test_calibration_keeps_eval_and_centres_training_mode(fp32_export: Path) -> None:
    model = build_model(load_config(RECIPE))
    import_onnx_weights(model, fp32_export)
    batches = [torch.from_numpy(_audio(2.0, k)) for k in range(3)]
    assert calibrate_batchnorm(model, batches) == 3
    model.eval()
    x = _audio(3.0, 7)
    with torch.no_grad():
        got = ExportWrapper(model)(torch.from_numpy(x))
    np.testing.assert_allclose(got[0].numpy(), _run(fp32_export, x)[0], atol=2e-5)  # eval mode unchanged
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


def test_static_int8_weights_come_back_dequantized(fp32_export: Path, tmp_path: Path) -> None:
    """A static-int8 export (int8 weights behind DequantizeLinear) imports too: the convs get
    the dequantized weights, and the network computes what the int8 graph does up to its
    activation rounding."""
    from drumscribe_exporters.quantize import to_int8_static

    int8 = to_int8_static(
        fp32_export,
        tmp_path / "int8.onnx",
        calibration=[_audio(4.0, k)[0] for k in range(3)],
        method="percentile",
    )
    fp32, quant = build_model(load_config(RECIPE)), build_model(load_config(RECIPE))
    import_onnx_weights(fp32, fp32_export)
    import_onnx_weights(quant, int8)
    w32, w8 = fp32.body.conv[1].net[0].weight, quant.body.conv[1].net[0].weight
    step = (w32.abs().amax(dim=(1, 2, 3)) / 127).view(-1, 1, 1, 1)  # per-channel int8 step
    import onnx

    assert sum(n.op_type == "DequantizeLinear" for n in onnx.load(str(int8)).graph.node) >= 2
    assert bool(((w32 - w8).abs() <= 0.51 * step + 1e-7).all())
    assert torch.equal(fp32.body.conv[0].net[0].weight, quant.body.conv[0].net[0].weight)  # first conv fp32
    quant.eval()
    x = _audio(3.0, 0)
    with torch.no_grad():
        got = ExportWrapper(quant)(torch.from_numpy(x))[0].numpy()
    want = ort.InferenceSession(str(int8)).run(None, {"audio": x})[0]
    assert np.abs(got - want).max() < 0.05
