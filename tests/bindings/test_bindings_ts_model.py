"""The TypeScript model runner gives the Python hits: onnxruntime-node + the peaks.ts port.

A tiny deterministic ONNX model honouring the contract is built here with onnx.helper
(audio -> hop-sized frames -> per-lane sine/cosine band energy -> log -> sigmoid), with a
sidecar, and a drum-like WAV at the model's rate. Expected hits come from onnxruntime in
Python plus ``drumscribe.peaks.pick_peaks``; the TS CLI must give the same hits (time within
1e-6 s, same lane and velocity). The bundled default model is picked up when it exists.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from bindings_harness import BINDINGS, REPO, node_env, run

pytestmark = pytest.mark.bindings

LANES = ("kick", "snare", "hihat", "hi_tom", "mid_tom", "low_tom", "crash", "ride")
DEFAULT_MODEL = REPO / "runtime" / "src" / "drumscribe" / "models" / "default" / "model.onnx"
TINY_RATE = 16000
TINY_HOP = 160
#: centre frequency of each lane's band in the tiny model (Hz)
LANE_FREQS = (100.0, 200.0, 3000.0, 500.0, 400.0, 300.0, 5000.0, 4000.0)


def build_tiny_model(path: Path, *, velocities: bool, rate: int = TINY_RATE, hop: int = TINY_HOP):
    """audio [B, N] -> onsets [B, N // hop + 1, 8] (and velocities), opset 17."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    n = np.arange(hop)
    window = np.hanning(hop)
    w_cos = np.stack([window * np.cos(2 * np.pi * f * n / rate) for f in LANE_FREQS], axis=1)
    w_sin = np.stack([window * np.sin(2 * np.pi * f * n / rate) for f in LANE_FREQS], axis=1)
    gains = np.linspace(0.9, 1.3, 8)
    biases = np.linspace(-1.0, 0.5, 8)
    inits = [
        numpy_helper.from_array(np.array([0, 0, 0, hop], dtype=np.int64), "pads"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array(hop, dtype=np.int64), "hop"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "zero1"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one1"),
        numpy_helper.from_array(np.array([0, -1, hop], dtype=np.int64), "frame_shape"),
        numpy_helper.from_array(w_cos.astype(np.float32), "w_cos"),
        numpy_helper.from_array(w_sin.astype(np.float32), "w_sin"),
        numpy_helper.from_array(np.array(1e-6, dtype=np.float32), "eps"),
        numpy_helper.from_array(gains.astype(np.float32), "gains"),
        numpy_helper.from_array(biases.astype(np.float32), "biases"),
        numpy_helper.from_array(np.array(0.35, dtype=np.float32), "vel_gain"),
        numpy_helper.from_array(np.array(1.5, dtype=np.float32), "vel_bias"),
    ]
    nodes = [
        # frames = N // hop + 1: pad hop zeros at the end, keep frames * hop samples
        helper.make_node("Pad", ["audio", "pads"], ["padded"], mode="constant"),
        helper.make_node("Shape", ["audio"], ["shape"]),
        helper.make_node("Gather", ["shape", "axis1"], ["n"], axis=0),
        helper.make_node("Div", ["n", "hop"], ["n_div"]),
        helper.make_node("Add", ["n_div", "one1"], ["frames"]),
        helper.make_node("Mul", ["frames", "hop"], ["keep"]),
        helper.make_node("Slice", ["padded", "zero1", "keep", "one1"], ["trimmed"]),
        helper.make_node("Reshape", ["trimmed", "frame_shape"], ["framed"]),
        # per-lane band energy, log, sigmoid
        helper.make_node("MatMul", ["framed", "w_cos"], ["re"]),
        helper.make_node("MatMul", ["framed", "w_sin"], ["im"]),
        helper.make_node("Mul", ["re", "re"], ["re2"]),
        helper.make_node("Mul", ["im", "im"], ["im2"]),
        helper.make_node("Add", ["re2", "im2"], ["energy"]),
        helper.make_node("Add", ["energy", "eps"], ["energy_eps"]),
        helper.make_node("Log", ["energy_eps"], ["log_energy"]),
        helper.make_node("Mul", ["log_energy", "gains"], ["scaled"]),
        helper.make_node("Add", ["scaled", "biases"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["onsets"]),
    ]
    outputs = [helper.make_tensor_value_info("onsets", TensorProto.FLOAT, ["batch", "frames", 8])]
    if velocities:
        nodes += [
            helper.make_node("Mul", ["log_energy", "vel_gain"], ["vel_scaled"]),
            helper.make_node("Add", ["vel_scaled", "vel_bias"], ["vel_logits"]),
            helper.make_node("Sigmoid", ["vel_logits"], ["velocities"]),
        ]
        outputs.append(helper.make_tensor_value_info("velocities", TensorProto.FLOAT, ["batch", "frames", 8]))
    graph = helper.make_graph(
        nodes,
        "drumscribe_bindings_tiny",
        [helper.make_tensor_value_info("audio", TensorProto.FLOAT, ["batch", "samples"])],
        outputs,
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    thresholds = dict(zip(LANES, (0.55, 0.5, 0.6, 0.5, 0.5, 0.5, 0.6, 0.55), strict=True))
    sidecar = {
        "format": "drumscribe-model",
        "format_version": 1,
        "name": "bindings-tiny",
        "lanes": list(LANES),
        "gm_notes": [36, 38, 42, 50, 47, 45, 49, 51],
        "sample_rate": rate,
        "hop_length": hop,
        "frame_rate": rate / hop,
        "peak_picking": {"thresholds": thresholds, "min_interval_s": 0.03},
        "inference": {"chunk_s": 20.0, "context_s": 1.0},
        "onnx_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    Path(f"{path}.json").write_text(json.dumps(sidecar, indent=2), encoding="utf-8")
    return path


def drum_wav(path: Path, rate: int, *, seconds: float = 6.0, seed: int = 7, subtype: str = "PCM_16"):
    """Decaying bursts: a tone at a lane's band plus noise, random times and levels."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    audio = rng.normal(0.0, 1e-4, n)
    t = 0.05
    while t < seconds - 0.3:
        lane = int(rng.integers(0, 8))
        level = float(rng.uniform(0.05, 0.45))
        decay = float(rng.uniform(0.02, 0.15))
        length = int(0.3 * rate)
        start = int(t * rate)
        k = np.arange(length)
        env = level * np.exp(-k / (decay * rate))
        tone = np.sin(2 * np.pi * LANE_FREQS[lane] * k / rate + rng.uniform(0, 2 * np.pi))
        burst = env * (0.8 * tone + 0.2 * rng.normal(0.0, 1.0, length))
        audio[start : start + length] += burst[: n - start]
        t += float(rng.choice([0.06, 0.125, 0.25, 0.25, 0.375]))
    audio = np.clip(audio, -0.99, 0.99).astype(np.float32)
    sf.write(path, audio, rate, subtype=subtype)
    return path


def python_run(model_path: Path, wav_path: Path):
    """The reference: onnxruntime in Python, one whole pass and the runtime's head pass, then peak picking.

    Returns (hits sorted by time, lane, velocity; {"onsets": [frames, 8], "velocities"?}).
    """
    import onnxruntime as ort
    import soundfile as sf

    side = json.loads(Path(f"{model_path}.json").read_text(encoding="utf-8"))
    audio, rate = sf.read(wav_path, dtype="float32", always_2d=True)
    assert rate == side["sample_rate"]
    mono = audio[:, 0] if audio.shape[1] == 1 else audio.mean(axis=1, dtype=np.float64)
    mono = np.asarray(mono, dtype=np.float32)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs() if o.name in ("onsets", "velocities")]
    outputs = {
        name: value[0]
        for name, value in zip(names, session.run(names, {"audio": mono[None, :]}), strict=True)
    }
    # the runtime's head pass (drumscribe.inference): the first frames heard after a lead of silence
    from drumscribe.inference import HEAD_CONTEXT_S, HEAD_S, LEAD_S

    rate, hop = side["sample_rate"], side["hop_length"]
    lead = round(LEAD_S * rate / hop) * hop
    padded = np.concatenate([np.zeros(lead, dtype=np.float32), mono[: round(HEAD_CONTEXT_S * rate)]])
    first = lead // hop
    for name, value in zip(names, session.run(names, {"audio": padded[None, :]}), strict=True):
        n = min(max(1, round(HEAD_S * rate / hop)), len(outputs[name]), value.shape[1] - first)
        outputs[name] = outputs[name].copy()
        outputs[name][:n] = value[0, first : first + n]
    return pick_with_python(outputs, side), outputs


def pick_with_python(outputs: dict, side: dict) -> list[tuple[float, int, int]]:
    from drumscribe.peaks import pick_peaks

    hits = pick_peaks(
        outputs["onsets"],
        frame_rate=side["sample_rate"] / side["hop_length"],
        threshold=side["peak_picking"]["thresholds"],
        min_interval_s=side["peak_picking"]["min_interval_s"],
        velocities=outputs.get("velocities"),
    )
    return sorted((h.time_s, LANES.index(h.drum), h.velocity) for h in hits)


def python_hits(model_path: Path, wav_path: Path) -> list[tuple[float, int, int]]:
    return python_run(model_path, wav_path)[0]


def ts_hits(ts_build: Path, *args: str) -> list[tuple[float, int, int]]:
    proc = run(["node", str(ts_build / "src" / "cli.js"), *args], env=node_env(), timeout=300)
    assert proc.returncode == 0, f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return [(h["time"], h["lane"], h["velocity"]) for h in json.loads(proc.stdout)["hits"]]


def assert_same_hits(expected, got) -> None:
    assert len(got) == len(expected), f"{len(got)} hits from TS, {len(expected)} from Python"
    for i, (e, g) in enumerate(zip(expected, got, strict=True)):
        assert g[1:] == e[1:] and abs(g[0] - e[0]) <= 1e-6, f"hit {i}: TS {g}, Python {e}"


MODELS = [
    pytest.param("tiny", id="tiny-with-velocities"),
    pytest.param("tiny-no-velocities", id="tiny-no-velocities"),
    pytest.param(
        "default",
        id="bundled-default",
        marks=pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason=f"{DEFAULT_MODEL} does not exist yet"),
    ),
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ts_model")


def get_model(kind: str, folder: Path) -> Path:
    if kind == "default":
        return DEFAULT_MODEL
    path = folder / kind / "model.onnx"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        build_tiny_model(path, velocities=kind == "tiny")
    return path


@pytest.mark.parametrize("kind", MODELS)
def test_ts_transcribe_matches_python(kind: str, ts_build: Path, model_dir: Path) -> None:
    model = get_model(kind, model_dir)
    side = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
    wav = drum_wav(model_dir / f"{kind}.wav", side["sample_rate"], seconds=8.0)
    expected, outputs = python_run(model, wav)
    if kind != "default":
        assert len(expected) >= 20, "the tiny model should find plenty of hits"
        assert len({h[1] for h in expected}) >= 4
        assert len({h[2] for h in expected}) >= 10
    prefix = model_dir / f"{kind}-ts-"
    got = ts_hits(
        ts_build, "transcribe", str(model), str(wav), "--threads", "1", "--activations", str(prefix)
    )
    # 1. onnxruntime-node computed the same activations (up to float noise between builds)
    frames = outputs["onsets"].shape[0]
    ts_outputs = {"onsets": np.fromfile(f"{prefix}onsets.f32", dtype=np.float32).reshape(frames, 8)}
    assert ("velocities" in outputs) == Path(f"{prefix}velocities.f32").is_file()
    if "velocities" in outputs:
        ts_outputs["velocities"] = np.fromfile(f"{prefix}velocities.f32", dtype=np.float32).reshape(frames, 8)
    for name, value in outputs.items():
        np.testing.assert_allclose(ts_outputs[name], value, rtol=0, atol=1e-5, err_msg=name)
    # 2. the TS peak picking on its own activations is exactly Python's on the same numbers
    assert got == pick_with_python(ts_outputs, side)
    # 3. and so the hits are Python's
    assert_same_hits(expected, got)


@pytest.mark.parametrize("kind", MODELS)
def test_ts_transcribe_matches_the_python_runtime(kind: str, ts_build: Path, model_dir: Path) -> None:
    """The same through drumscribe.transcribe (chunked inference, sidecar checks)."""
    import drumscribe

    if not hasattr(drumscribe, "transcribe") or not hasattr(drumscribe, "load_model"):
        pytest.skip("drumscribe.transcribe / load_model are not there yet")
    model = get_model(kind, model_dir)
    side = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
    wav = drum_wav(model_dir / f"{kind}-runtime.wav", side["sample_rate"], seconds=8.0, seed=8)
    result = drumscribe.transcribe(str(wav), model=drumscribe.load_model(model))
    expected = sorted((h.time_s, LANES.index(h.drum), h.velocity) for h in result.hits)
    got = ts_hits(ts_build, "transcribe", str(model), str(wav), "--threads", "1")
    assert_same_hits(expected, got)


def test_ts_reads_float_wav_too(ts_build: Path, model_dir: Path) -> None:
    model = get_model("tiny", model_dir)
    wav = drum_wav(model_dir / "float.wav", TINY_RATE, seconds=3.0, seed=11, subtype="FLOAT")
    got = ts_hits(ts_build, "transcribe", str(model), str(wav), "--threads", "1")
    assert_same_hits(python_hits(model, wav), got)


def test_ts_peak_picking_is_exact_on_random_activations(ts_build: Path, tmp_path: Path) -> None:
    """Same activations in, bit-identical hit times out (plateaus, edges, close peaks), both rules."""
    from drumscribe.peaks import pick_peaks

    rng = np.random.default_rng(2024)
    frames = 3000
    acts = rng.uniform(0.0, 1.0, (frames, 8)) ** 4
    acts[100:104, 2] = 0.8  # a plateau
    acts[0, 0] = 0.99  # first frame
    acts[-1, 1] = 0.99  # last frame
    acts[500, 3], acts[502, 3] = 0.9, 0.95  # close peaks
    acts = acts.astype(np.float32)
    vels = rng.uniform(0.0, 1.0, (frames, 8)).astype(np.float32)
    thresholds = dict(zip(LANES, (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65), strict=True))
    for min_interval, use_vel, rule in (
        (0.03, True, "peak"),
        (0.0, False, "peak"),
        (0.1234, True, "peak"),
        (0.03, True, "rise"),
        (0.0, False, "rise"),
    ):
        params = {
            "frames": frames,
            "frame_rate": 86.1328125,
            "thresholds": thresholds,
            "min_interval_s": min_interval,
            "rule": rule,
        }
        (tmp_path / "params.json").write_text(json.dumps(params))
        acts.tofile(tmp_path / "onsets.f32")
        vels.tofile(tmp_path / "vels.f32")
        expected = pick_peaks(
            acts,
            frame_rate=params["frame_rate"],
            threshold=thresholds,
            min_interval_s=min_interval,
            velocities=vels if use_vel else None,
            rule=rule,
        )
        exp = sorted((h.time_s, LANES.index(h.drum), h.velocity) for h in expected)
        files = [str(tmp_path / "onsets.f32")] + ([str(tmp_path / "vels.f32")] if use_vel else [])
        got = ts_hits(ts_build, "peaks", str(tmp_path / "params.json"), *files)
        assert len(exp) > 100
        assert got == exp  # exact, times included


def test_ts_model_errors_are_clear(ts_build: Path, model_dir: Path, tmp_path: Path) -> None:
    model = get_model("tiny", model_dir)
    cli = str(ts_build / "src" / "cli.js")
    wav_22k = drum_wav(tmp_path / "22k.wav", 22050, seconds=1.0)
    proc = run(["node", cli, "transcribe", str(model), str(wav_22k)], env=node_env())
    assert proc.returncode == 1
    assert "22050 Hz, the model needs 16000 Hz" in proc.stderr

    bad_model = tmp_path / "model.onnx"
    bad_model.write_bytes(model.read_bytes() + b"\0")
    Path(f"{bad_model}.json").write_text(Path(f"{model}.json").read_text(encoding="utf-8"))
    wav = drum_wav(tmp_path / "ok.wav", TINY_RATE, seconds=1.0)
    proc = run(["node", cli, "transcribe", str(bad_model), str(wav)], env=node_env())
    assert proc.returncode == 1
    assert "does not match the sidecar" in proc.stderr

    os.remove(f"{bad_model}.json")
    proc = run(["node", cli, "transcribe", str(bad_model), str(wav)], env=node_env())
    assert proc.returncode == 1
    assert "unreadable sidecar" in proc.stderr

    not_wav = tmp_path / "text.wav"
    not_wav.write_text("hello")
    proc = run(["node", cli, "transcribe", str(model), str(not_wav)], env=node_env())
    assert proc.returncode == 1
    assert "not a RIFF/WAVE file" in proc.stderr


def test_ts_refuses_truncated_wavs_as_python_does(ts_build: Path, model_dir: Path, tmp_path: Path) -> None:
    """A WAV cut in half, or whose data size (0x7FFFFFF0) is longer than the file: refused by
    the TS runner as by the Python runtime; a streaming writer's placeholder size is read."""
    import struct

    import drumscribe
    from drumscribe.errors import AudioError

    model = get_model("tiny", model_dir)
    cli = str(ts_build / "src" / "cli.js")
    wav = drum_wav(tmp_path / "whole.wav", TINY_RATE, seconds=2.0)
    data = wav.read_bytes()
    at = data.index(b"data") + 4
    half = tmp_path / "half.wav"
    half.write_bytes(data[: len(data) // 2])
    huge = tmp_path / "huge-size.wav"
    huge.write_bytes(data[:at] + struct.pack("<I", 0x7FFFFFF0) + data[at + 4 :])
    streamed = tmp_path / "streamed.wav"
    streamed.write_bytes(data[:at] + struct.pack("<I", 0xFFFFFFFF) + data[at + 4 :])
    for bad in (half, huge):
        proc = run(["node", cli, "transcribe", str(model), str(bad)], env=node_env())
        assert proc.returncode == 1, (bad.name, proc.stdout[-500:])
        assert f"{bad}: truncated: the header promises" in proc.stderr, proc.stderr
        with pytest.raises(AudioError, match="truncated"):
            drumscribe.transcribe(bad, model=drumscribe.load_model(model))
    proc = run(["node", cli, "transcribe", str(model), str(streamed)], env=node_env())
    assert proc.returncode == 0, proc.stderr


def test_bindings_readme_mentions_the_model_module() -> None:
    assert "DrumscribeModel" in (BINDINGS / "ts" / "README.md").read_text(encoding="utf-8")
