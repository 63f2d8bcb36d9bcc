"""Small deterministic ONNX models that honour drumscribe's ONNX contract.

Built with onnx.helper, no training: frame energy of the audio in a window of two hops,
a per-lane gain, a rising-edge detector over three frames and a sigmoid. The receptive
field is finite (a few hops), so chunked inference must equal one whole-file pass
exactly. Used by tests and benchmarks until (and besides) the trained default model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from drumscribe.model import write_sidecar

SAMPLE_RATE = 16000
HOP = 160
#: per-lane gains: lanes respond at different loudness, so thresholds matter
LANE_GAINS = np.array([40.0, 32.0, 26.0, 20.0, 16.0, 12.0, 9.0, 7.0], dtype=np.float32)
OPSET = 17


def build_tiny_model(
    path: Path,
    *,
    hop: int = HOP,
    sample_rate: int = SAMPLE_RATE,
    velocities: bool = True,
    thresholds: float | dict[str, float] = 0.5,
    min_interval_s: float = 0.03,
    chunk_s: float = 1.0,
    context_s: float = 0.05,
    write_side: bool = True,
    input_name: str = "audio",
    n_lanes: int = 8,
    onset_scale: float = 1.0,
) -> Path:
    """Write ``path`` (model.onnx) and its sidecar; return ``path``.

    Input ``audio`` float32 [batch, samples]; output ``onsets`` [batch, samples // hop + 1, 8]
    (and ``velocities``). Receptive field: +-2 hops. ``onset_scale`` multiplies the onsets
    (50, -1 or NaN make a model that breaks the [0, 1] contract).
    """
    win = 2 * hop
    # x -> [B, 1, N]; square; pad hop each side; conv (8 lanes, window 2 hops, stride hop)
    kernel = np.tile(np.hanning(win).astype(np.float32) / win, (n_lanes, 1, 1))
    kernel *= LANE_GAINS[:n_lanes, None, None] if n_lanes <= 8 else 1.0
    diff_kernel = np.zeros((n_lanes, 1, 3), dtype=np.float32)
    diff_kernel[:, 0, 0] = -1.0
    diff_kernel[:, 0, 1] = 1.0
    inits = [
        numpy_helper.from_array(np.array([0, 1, -1], dtype=np.int64), "shape_b1n"),
        numpy_helper.from_array(np.array([0, 0, hop, 0, 0, hop], dtype=np.int64), "pads"),
        numpy_helper.from_array(kernel, "energy_w"),
        numpy_helper.from_array(diff_kernel, "diff_w"),
        numpy_helper.from_array(np.array(8.0, dtype=np.float32), "edge_gain"),
        numpy_helper.from_array(np.array(-2.0, dtype=np.float32), "edge_bias"),
    ]
    nodes = [
        helper.make_node("Reshape", [input_name, "shape_b1n"], ["x3"]),
        helper.make_node("Mul", ["x3", "x3"], ["sq"]),
        helper.make_node("Pad", ["sq", "pads"], ["padded"], mode="constant"),
        helper.make_node("Conv", ["padded", "energy_w"], ["energy"], strides=[hop]),
        helper.make_node("Softplus", ["energy"], ["soft"]),
        helper.make_node("Conv", ["soft", "diff_w"], ["edge"], pads=[1, 1], group=n_lanes),
        helper.make_node("Mul", ["edge", "edge_gain"], ["edge_scaled"]),
        helper.make_node("Add", ["edge_scaled", "edge_bias"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["probs"]),
    ]
    if onset_scale != 1.0:  # NaN != 1.0 too
        inits.append(numpy_helper.from_array(np.array(onset_scale, dtype=np.float32), "onset_scale"))
        nodes.append(helper.make_node("Mul", ["probs", "onset_scale"], ["probs_scaled"]))
    nodes.append(
        helper.make_node(
            "Transpose", ["probs_scaled" if onset_scale != 1.0 else "probs"], ["onsets"], perm=[0, 2, 1]
        )
    )
    outputs = [helper.make_tensor_value_info("onsets", TensorProto.FLOAT, ["batch", "frames", n_lanes])]
    if velocities:
        nodes += [
            helper.make_node("Tanh", ["soft"], ["vel_t"]),
            helper.make_node("Transpose", ["vel_t"], ["velocities"], perm=[0, 2, 1]),
        ]
        outputs.append(
            helper.make_tensor_value_info("velocities", TensorProto.FLOAT, ["batch", "frames", n_lanes])
        )
    graph = helper.make_graph(
        nodes,
        "drumscribe_tiny",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["batch", "samples"])],
        outputs,
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="drumscribe-tests"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, path)
    if write_side:
        write_sidecar(
            path,
            sample_rate=sample_rate,
            hop_length=hop,
            thresholds=thresholds,
            min_interval_s=min_interval_s,
            chunk_s=chunk_s,
            context_s=context_s,
            name="tiny-test-model",
        )
    return path


def drum_like_audio(
    *, seconds: float, sample_rate: int = SAMPLE_RATE, seed: int = 0, hits_per_s: float = 4.0
) -> tuple[np.ndarray, np.ndarray]:
    """Decaying noise bursts of random loudness at random times.

    Returns
    -------
    audio : numpy.ndarray
        Shape (samples,), float32, peak <= 1.
    onset_times : numpy.ndarray
        Seconds of each burst, sorted.
    """
    rng = np.random.default_rng(seed)
    n = round(seconds * sample_rate)
    audio = np.zeros(n, dtype=np.float32)
    count = max(1, int(seconds * hits_per_s))
    times = np.sort(rng.uniform(0.05, max(0.06, seconds - 0.2), count))
    decay = np.exp(-np.arange(int(0.15 * sample_rate)) / (0.03 * sample_rate)).astype(np.float32)
    for t in times:
        start = round(t * sample_rate)
        seg = decay[: n - start] * rng.standard_normal(min(len(decay), n - start)).astype(np.float32)
        audio[start : start + len(seg)] += rng.uniform(0.2, 0.9) * seg
    audio += 0.001 * rng.standard_normal(n).astype(np.float32)
    audio /= max(1.0, float(np.abs(audio).max()))
    return audio, times
