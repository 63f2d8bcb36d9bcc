"""A small deterministic *live* ONNX model that honours the stateful live contract (docs/LIVE.md).

Built with onnx.helper, no training, no torch: the offline tiny model's rule (frame energy of
two hops, a per-lane gain, a rising-edge detector, a sigmoid) made causal. Frame ``j`` reads
samples ``[(j - 1) * hop, (j + 1) * hop)``; the edge detector reads frames ``j - 1`` and ``j``.
State: ``state_audio`` [1, hop] (the previous hop) and ``state_edge`` [1, 8, 1] (the previous
frame's energy). No look-ahead: a hit at frame ``j`` is certain once frame ``j + 1`` is in,
so the declared latency is two hops (20 ms at 16 kHz / hop 160), plus ``hops_per_call - 1`` hops
of waiting for a whole call.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from drumscribe.contract import PEAK_RULE_CONFIRM_FRAMES
from drumscribe.model import write_sidecar
from support.tiny_model import HOP, LANE_GAINS, OPSET, SAMPLE_RATE

_INT_MAX = np.iinfo(np.int64).max


def build_tiny_live_model(
    path: Path,
    *,
    hop: int = HOP,
    sample_rate: int = SAMPLE_RATE,
    hops_per_call: int = 1,
    thresholds: float = 0.5,
    peak_rule: str = "peak",
) -> Path:
    """Write ``path`` (live model.onnx) and its sidecar; return ``path``.

    Its frames reach one hop past their time; ``peak_rule`` (sidecar ``peak_picking.rule``) adds
    the frames the rule reads after a hit's to the declared latency, as the exporter does.
    """

    n = 8
    win = 2 * hop
    kernel = np.tile(np.hanning(win).astype(np.float32) / win, (n, 1, 1)) * LANE_GAINS[:, None, None]
    diff = np.zeros((n, 1, 2), dtype=np.float32)
    diff[:, 0, 0], diff[:, 0, 1] = -1.0, 1.0
    inits = [
        numpy_helper.from_array(np.array([1, 1, -1], dtype=np.int64), "shape_11n"),
        numpy_helper.from_array(np.array([-hop], dtype=np.int64), "audio_keep"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "edge_keep"),
        numpy_helper.from_array(np.array([_INT_MAX], dtype=np.int64), "to_end"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
        numpy_helper.from_array(kernel, "energy_w"),
        numpy_helper.from_array(diff, "diff_w"),
        numpy_helper.from_array(np.array(8.0, dtype=np.float32), "edge_gain"),
        numpy_helper.from_array(np.array(-2.0, dtype=np.float32), "edge_bias"),
    ]
    nodes = [
        helper.make_node("Concat", ["state_audio", "audio"], ["x"], axis=1),
        helper.make_node("Slice", ["x", "audio_keep", "to_end", "axis1"], ["state_audio_out"]),
        helper.make_node("Reshape", ["x", "shape_11n"], ["x3"]),
        helper.make_node("Mul", ["x3", "x3"], ["sq"]),
        helper.make_node("Conv", ["sq", "energy_w"], ["energy"], strides=[hop]),
        helper.make_node("Relu", ["energy"], ["soft"]),  # 0 on silence: no edge at the start
        helper.make_node("Concat", ["state_edge", "soft"], ["soft_ctx"], axis=2),
        helper.make_node("Slice", ["soft_ctx", "edge_keep", "to_end", "axis2"], ["state_edge_out"]),
        helper.make_node("Conv", ["soft_ctx", "diff_w"], ["edge"], group=n),
        helper.make_node("Mul", ["edge", "edge_gain"], ["edge_scaled"]),
        helper.make_node("Add", ["edge_scaled", "edge_bias"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["probs"]),
        helper.make_node("Transpose", ["probs"], ["onsets"], perm=[0, 2, 1]),
        helper.make_node("Tanh", ["soft"], ["vel_t"]),
        helper.make_node("Transpose", ["vel_t"], ["velocities"], perm=[0, 2, 1]),
    ]
    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        nodes,
        "drumscribe_tiny_live",
        [
            helper.make_tensor_value_info("audio", f32, [1, "samples"]),
            helper.make_tensor_value_info("state_audio", f32, [1, hop]),
            helper.make_tensor_value_info("state_edge", f32, [1, n, 1]),
        ],
        [
            helper.make_tensor_value_info("onsets", f32, [1, "hops", n]),
            helper.make_tensor_value_info("velocities", f32, [1, "hops", n]),
            helper.make_tensor_value_info("state_audio_out", f32, [1, hop]),
            helper.make_tensor_value_info("state_edge_out", f32, [1, n, 1]),
        ],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="drumscribe-tests"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, path)
    write_sidecar(
        path,
        sample_rate=sample_rate,
        hop_length=hop,
        thresholds=thresholds,
        min_interval_s=0.03,
        peak_rule=peak_rule,
        chunk_s=hops_per_call * hop / sample_rate,
        context_s=0.0,
        name="tiny-live-test-model",
        extra={
            "live": {
                "hops_per_call": hops_per_call,
                "lookahead_frames": 0,
                "output_delay_frames": 0,
                # frame reach + the rule's confirmation + waiting for a whole call
                "latency_s": (1 + PEAK_RULE_CONFIRM_FRAMES[peak_rule] + hops_per_call - 1)
                * hop
                / sample_rate,
                "states": [
                    {
                        "name": "state_audio",
                        "output": "state_audio_out",
                        "shape": [1, hop],
                        "dtype": "float32",
                    },
                    {
                        "name": "state_edge",
                        "output": "state_edge_out",
                        "shape": [1, n, 1],
                        "dtype": "float32",
                    },
                ],
            }
        },
    )
    return path
