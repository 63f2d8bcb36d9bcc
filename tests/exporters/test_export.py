"""Export to ONNX: contract, parity with torch, runtime hits equal torch hits, variants, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from numpy.testing import assert_allclose

import drumscribe
from drumscribe.model import sidecar_path
from drumscribe_exporters.cli import main as export_main
from drumscribe_exporters.onnx_export import OPSET, export_model
from drumscribe_exporters.parity import check_parity
from drumscribe_exporters.quantize import to_fp16, to_int8
from drumscribe_training.config import Config
from drumscribe_training.network.checkpoint import load_checkpoint
from drumscribe_training.network.torch_transcriber import TorchModel
from support.small_crnn import small_config, small_network


@pytest.fixture(scope="module")
def cfg() -> Config:
    return small_config()


@pytest.fixture(scope="module")
def net(cfg: Config) -> torch.nn.Module:
    return small_network(cfg, 0)


@pytest.fixture(scope="module")
def checkpoint(cfg: Config, net: torch.nn.Module, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint in the layout Lightning writes (state_dict with the model. prefix + config)."""
    path = tmp_path_factory.mktemp("ckpt") / "best.ckpt"
    torch.save(
        {
            "epoch": 3,
            "global_step": 120,
            "state_dict": {f"model.{k}": v for k, v in net.state_dict().items()},
            "hyper_parameters": {"config": cfg.to_dict()},
        },
        path,
    )
    return path


@pytest.fixture(scope="module")
def exported(cfg: Config, net: torch.nn.Module, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("onnx") / "model.onnx"
    export_model(net, cfg, out, name="test-export")
    return out


def test_graph_honours_the_contract(exported: Path, cfg: Config) -> None:
    proto = onnx.load(str(exported))
    onnx.checker.check_model(proto, full_check=True)
    assert [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")] == [OPSET]
    assert {n.domain for n in proto.graph.node} <= {"", "ai.onnx"}  # no custom ops
    assert [i.name for i in proto.graph.input] == ["audio"]
    assert [o.name for o in proto.graph.output] == ["onsets", "velocities"]
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert all(isinstance(d, str) and d for d in dims)  # dynamic batch and time
    assert not any(n.op_type in ("STFT", "DFT") for n in proto.graph.node)  # conv-DFT front-end
    side = json.loads(sidecar_path(exported).read_text())
    assert side["sample_rate"] == cfg.audio.sample_rate and side["hop_length"] == cfg.audio.hop_length
    assert side["frontend"]["n_mels"] == 64 and side["opset"] == OPSET
    assert set(side["peak_picking"]["thresholds"]) == set(drumscribe.LANE_NAMES)
    assert side["versions"]["torch"] == torch.__version__


def test_parity_on_many_signals(exported: Path, net: torch.nn.Module) -> None:
    report = check_parity(net, exported)
    names = {c.name for c in report.cases}
    assert {"silence", "white noise", "clipped", "one sample", "odd length", "batch of 3"} <= names
    assert report.ok, report.table()
    assert max(c.max_abs_diff for c in report.cases) < 1e-4


def test_runtime_hits_equal_torch_hits(exported: Path, checkpoint: Path) -> None:
    from support.tiny_model import drum_like_audio

    audio, _ = drum_like_audio(seconds=6.0, seed=11)
    onnx_model = drumscribe.load_model(exported, cache=False)
    torch_model = TorchModel(load_checkpoint(checkpoint))
    a = drumscribe.transcribe(
        audio, sample_rate=16000, model=onnx_model, keep_activations=True, thresholds=0.5
    )
    b = drumscribe.transcribe(
        audio, sample_rate=16000, model=torch_model, keep_activations=True, thresholds=0.5
    )
    assert a.activations is not None and b.activations is not None
    assert_allclose(a.activations, b.activations, atol=1e-4)
    assert 3 < len(a.hits) < 0.5 * len(a.activations)  # peaks, not noise on a plateau
    assert [(h.drum, h.velocity) for h in a.hits] == [(h.drum, h.velocity) for h in b.hits]
    assert_allclose([h.time_s for h in a.hits], [h.time_s for h in b.hits], atol=1e-3)


def test_variants_int8_fp16(exported: Path, tmp_path: Path) -> None:
    from support.tiny_model import drum_like_audio

    audio, _ = drum_like_audio(seconds=3.0, seed=2)
    ref = drumscribe.load_model(exported, cache=False).run(audio[None])[0]
    int8 = drumscribe.load_model(
        to_int8(exported, tmp_path / "int8.onnx"), cache=False
    )  # contract + hash hold
    got = int8.run(audio[None])[0]
    assert got.shape == ref.shape
    assert np.abs(got - ref).max() < 0.25
    assert int8.spec.raw["variant"] == "int8"
    q = onnx.load(str(tmp_path / "int8.onnx"))
    assert any(init.data_type == onnx.TensorProto.INT8 for init in q.graph.initializer)  # weights quantised
    # fp16 is for the CUDA provider: onnxruntime's CPU provider crashes (SIGSEGV) creating a
    # session for it, so only the graph and its sidecar are checked here, without a session.
    fp16 = to_fp16(exported, tmp_path / "fp16.onnx")
    proto = onnx.load(str(fp16))
    onnx.checker.check_model(proto)
    kinds = {init.data_type for init in proto.graph.initializer}
    assert onnx.TensorProto.FLOAT16 in kinds
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT  # fp32 I/O kept
    side = json.loads(sidecar_path(fp16).read_text())
    assert side["variant"] == "fp16" and side["onnx_sha256"] == drumscribe.audio.file_sha256(fp16)


def test_export_cli_from_checkpoint(
    checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m" / "model.onnx"
    info = tmp_path / "info.json"
    info.write_text(json.dumps({"hardware": "2 CPU cores", "hours": {"train": 8.0}}))
    argv = [str(checkpoint), "-o", str(out), "--thresholds", "0.4", "--chunk-s", "30"]
    assert export_main([*argv, "--context-s", "1.5", "--training-info", str(info)]) == 0
    text = capsys.readouterr().out
    assert "| silence |" in text
    model = drumscribe.load_model(out, cache=False)
    assert set(model.spec.thresholds.values()) == {0.4}
    assert (model.spec.chunk_s, model.spec.context_s) == (30.0, 1.5)
    training = model.spec.raw["training"]
    assert training["epoch"] == 3  # from the checkpoint, merged with the info file
    assert training["hardware"] == "2 CPU cores" and training["hours"] == {"train": 8.0}


def test_export_cli_bad_training_info(
    checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = tmp_path / "info.json"
    info.write_text("[1, 2]")
    out = tmp_path / "model.onnx"
    assert export_main([str(checkpoint), "-o", str(out), "--training-info", str(info)]) == 2
    assert f"{info}: training info must be a JSON object" in capsys.readouterr().err
    assert not out.exists()
    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text("{kick: 0.5")
    assert export_main([str(checkpoint), "-o", str(out), "--thresholds", str(thresholds)]) == 2
    assert f"{thresholds}: thresholds is not valid JSON" in capsys.readouterr().err
    assert not out.exists()


def test_export_cli_bad_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    assert export_main([str(bad), "-o", str(tmp_path / "x.onnx")]) == 2
    assert "not a readable checkpoint" in capsys.readouterr().err
    assert not (tmp_path / "x.onnx").exists()


def test_static_int8_of_the_body_convs(exported: Path, tmp_path: Path) -> None:
    from drumscribe_exporters.quantize import to_int8_static
    from support.tiny_model import drum_like_audio

    calibration = [drum_like_audio(seconds=2.0, seed=70 + i)[0] for i in range(3)]
    audio, _ = drum_like_audio(seconds=3.0, seed=2)
    ref = drumscribe.load_model(exported, cache=False).run(audio[None])[0]
    path = to_int8_static(exported, tmp_path / "int8s.onnx", calibration=calibration, method="percentile")
    model = drumscribe.load_model(path, cache=False)  # contract + hash hold
    assert model.spec.raw["variant"] == "int8-static"
    got = model.run(audio[None])[0]
    assert got.shape == ref.shape
    assert np.abs(got - ref).max() < 0.25
    graph = onnx.load(str(path)).graph
    quantized = {n.output[0] for n in graph.node if n.op_type == "DequantizeLinear"}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    in_graph = {init.name: list(init.dims) for init in graph.initializer}
    # the 2-D convs with more than one input channel read dequantized int8 weights and inputs;
    # the first (on the log-mel) and the front-end's 1-D conv-DFT stay fp32
    two_d = [n for n in convs if n.input[1] in quantized or len(in_graph.get(n.input[1], [])) == 4]
    assert any(n.input[0] in quantized and n.input[1] in quantized for n in two_d)
    assert not all(n.input[0] in quantized for n in convs)


def _write_clips(folder: Path, seconds: tuple[float, ...], *, sample_rate: int = 44100) -> list[Path]:
    import soundfile as sf

    from support.tiny_model import drum_like_audio

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, s in enumerate(seconds):
        audio, _ = drum_like_audio(seconds=s, sample_rate=sample_rate, seed=80 + i)
        paths.append(folder / f"clip{i}.wav")
        sf.write(paths[-1], np.stack([audio, 0.5 * audio], axis=1), sample_rate)
    return paths


def test_calibration_windows_spread_over_files(tmp_path: Path) -> None:
    from drumscribe.errors import DrumscribeError
    from drumscribe_exporters.quantize import calibration_windows

    files = _write_clips(tmp_path, (5.2, 0.8, 3.1))
    windows = calibration_windows(files, sample_rate=16000, window_s=1.0, max_windows=4)
    # dealt in rounds: 2 from the 5.2 s clip (not 5), none from the 0.8 s clip, 2 from the last;
    # with 3 the first clip gives the third
    assert [w.shape for w in windows] == [(16000,)] * 4
    assert all(w.dtype == np.float32 for w in windows)
    assert not np.array_equal(windows[1], windows[2])
    three = calibration_windows(files, sample_rate=16000, window_s=1.0, max_windows=3)
    assert len(three) == 3
    # fewer windows than files in a round: evenly spaced files, so the last clip is not skipped
    four = _write_clips(tmp_path / "four", (1.5, 1.5, 1.5, 1.5))
    firsts = [calibration_windows([f], sample_rate=16000, window_s=1.0, max_windows=1)[0] for f in four]
    two = calibration_windows(four, sample_rate=16000, window_s=1.0, max_windows=2)
    assert np.array_equal(two[0], firsts[0]) and np.array_equal(two[1], firsts[2])
    with pytest.raises(DrumscribeError, match="whole 2 s window"):
        calibration_windows(files[1:2], sample_rate=16000, window_s=2.0, max_windows=4)


def test_export_cli_int8_static(checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stored = torch.load(checkpoint, weights_only=False)
    stored["hyper_parameters"]["config"]["export"] |= {"int8_window_s": 1.0, "int8_max_windows": 4}
    checkpoint = tmp_path / "short-windows.ckpt"
    torch.save(stored, checkpoint)
    _write_clips(tmp_path / "calib" / "sub", (2.5, 2.5))
    out = tmp_path / "m" / "model.onnx"
    assert (
        export_main(
            [str(checkpoint), "-o", str(out), "--no-parity", "--int8-static", str(tmp_path / "calib")]
        )
        == 0
    )
    int8 = out.with_name("model.int8-static.onnx")
    assert "calibrating static int8 on 4 windows" in capsys.readouterr().out
    model = drumscribe.load_model(int8, cache=False)
    assert model.spec.raw["variant"] == "int8-static"
    assert any(n.op_type == "DequantizeLinear" for n in onnx.load(str(int8)).graph.node)
    # a calibration folder with nothing long enough: one line, exit 2, no int8 file
    short = _write_clips(tmp_path / "short", (0.5,))
    int8.unlink()
    assert export_main([str(checkpoint), "-o", str(out), "--no-parity", "--int8-static", str(short[0])]) == 2
    assert "no calibration audio" in capsys.readouterr().err
    assert not int8.exists()


def test_export_cli_variants_of_an_exported_model(
    exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calib = _write_clips(tmp_path / "calib", (9.0,))
    out = tmp_path / "copy" / "model.onnx"
    assert export_main([str(exported), "-o", str(out), "--int8-static", str(calib[0])]) == 0
    assert "calibrating static int8 on 1 windows of 8 s" in capsys.readouterr().out
    assert drumscribe.load_model(out.with_name("model.int8-static.onnx"), cache=False).spec.raw[
        "variant"
    ] == ("int8-static")
    assert out.read_bytes() == exported.read_bytes()
    # checkpoint-only options and no variant at all are refused in one line
    assert export_main([str(exported), "-o", str(out), "--int8", "--chunk-s", "10"]) == 2
    assert "--chunk-s need a checkpoint" in capsys.readouterr().err
    assert export_main([str(exported), "-o", str(out)]) == 2
    assert "say which variants" in capsys.readouterr().err
