"""A/B: each bidirectional GRU split into a forward and a reverse GRU node, run side by side.

onnxruntime runs a bidirectional GRU's two directions one after the other inside one kernel; their
recurrences are sequential and small (128 hidden), so 2 intra-op threads help them little. Split
into two single-direction nodes (the same weights: the ONNX GRU's W/R/B are stacked per direction)
and joined by a Concat, the graph computes the same numbers, and a session in parallel execution
mode can run both directions at once, one core each.

    uv run python experiments/speed/gru_split_ab.py [--seconds 180] [--rounds 5]

Prints the largest output difference and the best-of-N time per configuration (one process,
configurations alternating), so only the ratios mean anything on a shared machine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

MODEL = Path("runtime/src/drumscribe/models/default/model.onnx")


def split_bidirectional_grus(model: onnx.ModelProto) -> onnx.ModelProto:
    """Return a copy of ``model`` with every bidirectional GRU as two single-direction GRUs."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    inits = {t.name: t for t in graph.initializer}
    nodes: list[onnx.NodeProto] = []
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type != "GRU" or attrs.get("direction") != b"bidirectional":
            nodes.append(node)
            continue
        x, w, r, b, seq_lens, h0 = [*node.input, *[""] * 6][:6]
        y, y_h = [*node.output, "", ""][:2]
        halves = []
        for d, direction in enumerate(("forward", "reverse")):
            names = []
            for src in (w, r, b):
                arr = numpy_helper.to_array(inits[src])[d : d + 1]
                name = f"{src}_{direction}"
                graph.initializer.append(numpy_helper.from_array(arr, name))
                names.append(name)
            h0_d = ""
            if h0:
                h0_d = f"{h0}_{direction}"
                nodes.append(
                    helper.make_node(
                        "Slice",
                        [
                            h0,
                            _const(graph, f"{h0_d}_s", d),
                            _const(graph, f"{h0_d}_e", d + 1),
                            _const(graph, f"{h0_d}_a", 0),
                        ],
                        [h0_d],
                    )
                )
            y_d = f"{y}_{direction}"
            nodes.append(
                helper.make_node(
                    "GRU",
                    [x, *names, seq_lens, h0_d],
                    [y_d, f"{y_h or y}_h_{direction}"],
                    name=f"{node.name}_{direction}",
                    direction=direction,
                    hidden_size=attrs["hidden_size"],
                    linear_before_reset=attrs.get("linear_before_reset", 0),
                    layout=attrs.get("layout", 0),
                )
            )
            halves.append(y_d)
        nodes.append(helper.make_node("Concat", halves, [y], axis=1))
        if y_h:
            nodes.append(helper.make_node("Concat", [f"{y_h}_h_forward", f"{y_h}_h_reverse"], [y_h], axis=0))
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(out)
    return out


def _const(graph: onnx.GraphProto, name: str, value: int) -> str:
    graph.initializer.append(numpy_helper.from_array(np.array([value], dtype=np.int64), name))
    return name


def session(model: onnx.ModelProto, *, parallel: bool, intra: int, inter: int) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = intra
    if parallel:
        opts.execution_mode = ort.ExecutionMode.ORT_PARALLEL
        opts.inter_op_num_threads = inter
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=34.0, help="window length fed at once")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    base = onnx.load(MODEL)
    split = split_bidirectional_grus(base)
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal((1, int(16000 * args.seconds)))).astype(np.float32)
    configs = {
        "bundled, sequential, 2 intra": session(base, parallel=False, intra=2, inter=1),
        "split, sequential, 2 intra": session(split, parallel=False, intra=2, inter=1),
        "split, parallel, 1 intra x 2 inter": session(split, parallel=True, intra=1, inter=2),
        "split, parallel, 2 intra x 2 inter": session(split, parallel=True, intra=2, inter=2),
    }
    outputs = {k: s.run(None, {"audio": audio})[0] for k, s in configs.items()}
    ref = outputs["bundled, sequential, 2 intra"]
    for name, out in outputs.items():
        print(f"{name}: max |diff| vs bundled {np.abs(out - ref).max():.2e}")
    best = {k: float("inf") for k in configs}
    for _ in range(args.rounds):
        for name, sess in configs.items():
            t0 = time.perf_counter()
            sess.run(None, {"audio": audio})
            best[name] = min(best[name], time.perf_counter() - t0)
    first = best["bundled, sequential, 2 intra"]
    for name, t in best.items():
        print(f"{name}: {t * 1000:.0f} ms  ({t / first:.2f} of bundled)")


if __name__ == "__main__":
    main()
