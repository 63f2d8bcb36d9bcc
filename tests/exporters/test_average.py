"""Averaging exported models (``drumscribe-export average``): the mean network, the sidecar, refusals."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from numpy.testing import assert_allclose

import drumscribe
from drumscribe.errors import DrumscribeError
from drumscribe.model import rewrite_sidecar, sidecar_path
from drumscribe_exporters.average import average_models
from drumscribe_exporters.cli import main as export_main
from drumscribe_exporters.onnx_export import export_model
from drumscribe_exporters.quantize import to_int8
from drumscribe_training.config import Config
from support.small_crnn import small_config, small_network


@pytest.fixture(scope="module")
def cfg() -> Config:
    return small_config()


def _fine_tuned(net: torch.nn.Module, seed: int) -> torch.nn.Module:
    """``net`` with every learnt weight moved, its BatchNorm statistics kept (a fine-tune's shape)."""
    other = copy.deepcopy(net)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in other.named_parameters():
            if "input_norm" not in name and ".net.1." not in name:  # BatchNorms stay
                param.add_(0.05 * torch.randn(param.shape, generator=gen))
    return other


@pytest.fixture(scope="module")
def members(
    cfg: Config, tmp_path_factory: pytest.TempPathFactory
) -> tuple[torch.nn.Module, torch.nn.Module, Path, Path]:
    folder = tmp_path_factory.mktemp("members")
    start = small_network(cfg, 0)
    tuned = _fine_tuned(start, 1)
    a, b = folder / "start" / "model.onnx", folder / "tuned" / "model.onnx"
    for net, path, name in ((start, a, "start"), (tuned, b, "tuned")):
        path.parent.mkdir()
        export_model(net, cfg, path, name=name)
    # a measurement of the first member, which the average must not inherit
    rewrite_sidecar(a, extra={"metrics": {"overall_f1": 0.7}})
    return start, tuned, a, b


def _run(path: Path, audio: np.ndarray) -> np.ndarray:
    return drumscribe.load_model(path, cache=False).run(audio[None])[0]


def test_average_is_the_mean_network(
    members: tuple[torch.nn.Module, torch.nn.Module, Path, Path], cfg: Config, tmp_path: Path
) -> None:
    start, tuned, a, b = members
    out = average_models([a, b], tmp_path / "soup" / "model.onnx", weights=[1, 3])
    # the members share BatchNorm statistics, so the folded mean is the raw weights' mean
    mean = copy.deepcopy(start)
    with torch.no_grad():
        for p_mean, p_start, p_tuned in zip(
            mean.parameters(), start.parameters(), tuned.parameters(), strict=True
        ):
            p_mean.copy_(0.25 * p_start + 0.75 * p_tuned)
    reference = tmp_path / "reference" / "model.onnx"
    reference.parent.mkdir()
    export_model(mean, cfg, reference, name="reference")
    audio = (0.3 * np.random.default_rng(0).standard_normal(cfg.audio.sample_rate * 3)).astype(np.float32)
    got = _run(out, audio)
    assert_allclose(got, _run(reference, audio), atol=2e-5)
    # and it is neither member
    assert np.abs(got - _run(a, audio)).max() > 1e-3
    assert np.abs(got - _run(b, audio)).max() > 1e-3


def test_weights_one_and_zero_give_the_first_member(
    members: tuple[torch.nn.Module, torch.nn.Module, Path, Path], tmp_path: Path
) -> None:
    _, _, a, b = members
    out = average_models([a, b], tmp_path / "model.onnx", weights=[1.0, 0.0])
    first = {t.name: onnx.numpy_helper.to_array(t) for t in onnx.load(str(a)).graph.initializer}
    for tensor in onnx.load(str(out)).graph.initializer:
        assert np.array_equal(onnx.numpy_helper.to_array(tensor), first[tensor.name]), tensor.name


def _static_int8(src: Path, dst: Path) -> Path:
    from drumscribe_exporters.quantize import to_int8_static
    from support.tiny_model import drum_like_audio

    calibration = [drum_like_audio(seconds=2.0, seed=70 + i)[0] for i in range(3)]
    dst.parent.mkdir(parents=True, exist_ok=True)
    return to_int8_static(src, dst, calibration=calibration, method="percentile")


def test_a_static_int8_member_counts_dequantized(
    members: tuple[torch.nn.Module, torch.nn.Module, Path, Path], tmp_path: Path
) -> None:
    """The bundled model is static int8: a fine-tune of it averages with the file itself."""
    _, _, a, b = members
    static = _static_int8(a, tmp_path / "start" / "model.int8-static.onnx")
    out = average_models([static, b], tmp_path / "soup" / "model.onnx", weights=[1.0, 0.0])
    graph = onnx.load(str(out)).graph
    assert not any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in graph.node)  # b's fp32 graph
    # weight 1 on the int8 member: the network is a's, up to int8 rounding
    fp32 = {t.name: onnx.numpy_helper.to_array(t) for t in onnx.load(str(b)).graph.initializer}
    moved = 0
    for tensor in graph.initializer:
        got = onnx.numpy_helper.to_array(tensor)
        if got.dtype.kind == "f" and got.size > 1 and not np.array_equal(got, fp32[tensor.name]):
            moved += 1
    assert moved >= 4  # the convolutions, GRUs and dense layers all came from the int8 member
    audio = (0.3 * np.random.default_rng(1).standard_normal(16000 * 3)).astype(np.float32)
    got, start, tuned = _run(out, audio), _run(a, audio), _run(b, audio)
    assert np.abs(got - start).max() < 0.25 * np.abs(tuned - start).max()


def test_sidecar_records_members_and_drops_measurements(
    members: tuple[torch.nn.Module, torch.nn.Module, Path, Path], tmp_path: Path
) -> None:
    _, _, a, b = members
    out = average_models([a, b], tmp_path / "model.onnx")
    spec = drumscribe.load_model(out, cache=False).spec  # the hash is the new file's
    side = json.loads(sidecar_path(out).read_text())
    assert spec.raw["name"] == "start-average"
    assert "metrics" not in side
    members_info = side["training"]["averaged_from"]
    assert [m["name"] for m in members_info] == ["start", "tuned"]
    assert [m["weight"] for m in members_info] == [0.5, 0.5]
    assert members_info[1]["onnx_sha256"] == drumscribe.load_model(b, cache=False).spec.onnx_sha256
    assert side["peak_picking"] == json.loads(sidecar_path(a).read_text())["peak_picking"]


def test_refusals_name_the_file(
    members: tuple[torch.nn.Module, torch.nn.Module, Path, Path], tmp_path: Path
) -> None:
    _, _, a, b = members
    out = tmp_path / "out" / "model.onnx"
    with pytest.raises(DrumscribeError, match="two or more"):
        average_models([a], out)
    with pytest.raises(DrumscribeError, match="do not fit"):
        average_models([a, b], out, weights=[1.0])
    dynamic = to_int8(b, tmp_path / "model.int8.onnx")
    with pytest.raises(DrumscribeError, match=rf"{dynamic}: a dynamic-int8 variant"):
        average_models([a, dynamic], out)
    static = _static_int8(b, tmp_path / "model.int8-static.onnx")
    with pytest.raises(DrumscribeError, match="every model given is a quantised variant"):
        average_models([static, static], out)
    narrower = tmp_path / "narrower" / "model.onnx"
    narrower.parent.mkdir()
    narrow = small_config(hidden_size=16)
    export_model(small_network(narrow, 0), narrow, narrower)
    with pytest.raises(DrumscribeError, match=rf"{narrower}: sidecar 'architecture' differs"):
        average_models([a, narrower], out)
    rewrite_sidecar(a, narrower)  # a sidecar that lies about the network: the weights still tell
    with pytest.raises(DrumscribeError, match=rf"{narrower}: its weights .* differ"):
        average_models([a, narrower], out)
    assert not out.exists()


def test_cli_average(
    members: tuple[torch.nn.Module, torch.nn.Module, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, _, a, b = members
    out = tmp_path / "cli" / "model.onnx"
    assert (
        export_main(["average", str(a), str(b), "-o", str(out), "--weights", "1", "1", "--name", "soup"]) == 0
    )
    assert "average of 2 models" in capsys.readouterr().out
    assert drumscribe.load_model(out, cache=False).spec.raw["name"] == "soup"
    assert (
        export_main(["average", str(a), str(tmp_path / "missing.onnx"), "-o", str(tmp_path / "x.onnx")]) == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.onnx" in err[0]
    assert not (tmp_path / "x.onnx").exists()
