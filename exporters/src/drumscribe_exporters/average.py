"""Average exported models of one network into a new model ("model soup" of ONNX files).

The shipped models are ONNX files; their checkpoints stay out of the repository. A fine-tune
that started from a shipped model (``training.init_weights: model.onnx``) lies in that model's
basin, and the weighted mean of the two is often better than either on both conditions: the
fine-tune's new skill, the start's old one (WiSE-FT: Wortsman et al., "Robust fine-tuning of
zero-shot models", CVPR 2022). :func:`drumscribe_training.network.checkpoint.average_checkpoints`
does this for checkpoints; this module does it for exports, where BatchNorm is already folded
into the convolutions, so members exported from differently parametrised checkpoints (an ONNX
import re-parametrises its BatchNorms) average as the functions they compute.

The members must be fp32 exports of one network: the same weights (type, shape and the operators
using them, in order) and the same sidecar contract (lanes, rate, hop, front-end, architecture);
the graph is the first member's.
Floating-point initialisers are averaged; every other initialiser must be equal. The result
keeps the first member's sidecar (thresholds included, to be tuned again) and records the
members and weights under ``training.averaged_from``; what was measured on the first member
(metrics, threshold tuning) is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from drumscribe._io import atomic_path
from drumscribe.errors import DrumscribeError

__all__ = ["average_models"]

#: Sidecar keys that must agree between members (besides the lanes, rate and hop the spec checks).
_SAME_NETWORK_KEYS = ("frontend", "architecture", "live")
#: Sidecar keys that describe a measurement of one member; the average drops them.
_MEASURED_KEYS = ("metrics", "threshold_tuning", "variant", "source_onnx_sha256")
#: Operators that mark a quantised variant (QDQ or integer kernels).
_QUANTISED_OPS = frozenset(
    {
        "QuantizeLinear",
        "DequantizeLinear",
        "DynamicQuantizeLinear",
        "QLinearConv",
        "ConvInteger",
        "MatMulInteger",
    }
)


def average_models(
    paths: Sequence[str | Path],
    out: str | Path,
    *,
    weights: Sequence[float] | None = None,
    name: str | None = None,
) -> Path:
    """Write the (weighted) mean of several exported models of one network.

    Parameters
    ----------
    paths : sequence of path-like
        Two or more fp32 ``model.onnx`` files with sidecars, exports of the same network
        (for example a shipped model and a fine-tune started from it).
    out : path-like
        The ``model.onnx`` to write; its sidecar is written beside it. Both are written
        atomically.
    weights : sequence of float, optional
        One non-negative weight per model, normalised to sum 1; equal by default.
    name : str, optional
        Model name in the sidecar; by default the first member's with ``-average``.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    DrumscribeError
        Fewer than two models, weights that do not fit, a model that does not load
        (missing sidecar, hash mismatch), a quantised variant, or members that are not
        exports of one network; the message names the file.
    """
    import onnx

    from drumscribe.model import load_model

    if len(paths) < 2:
        raise DrumscribeError(f"averaging needs two or more models, got {len(paths)}")
    w = _normalised(weights, len(paths))
    specs = [load_model(p, cache=False).spec for p in paths]  # contract and hash hold
    graphs = [onnx.load(str(p)) for p in paths]
    for path, graph in zip(paths, graphs, strict=True):
        quantised = sorted({n.op_type for n in graph.graph.node} & _QUANTISED_OPS)
        if quantised:
            raise DrumscribeError(
                f"{path}: a quantised variant ({', '.join(quantised)}); average the fp32 exports,"
                " then make variants of the result"
            )
    for path, spec, graph in zip(paths[1:], specs[1:], graphs[1:], strict=True):
        _check_same_network(Path(paths[0]), specs[0].raw, graphs[0], Path(path), spec.raw, graph)

    averaged = graphs[0]
    for i, tensor in enumerate(averaged.graph.initializer):
        arrays = [onnx.numpy_helper.to_array(g.graph.initializer[i]) for g in graphs]
        if np.issubdtype(arrays[0].dtype, np.floating):
            mean = sum(wi * a.astype(np.float64) for wi, a in zip(w, arrays, strict=True))
            value = np.asarray(mean).astype(arrays[0].dtype)
        elif all(np.array_equal(arrays[0], a) for a in arrays[1:]):
            continue
        else:
            raise DrumscribeError(
                f"{paths[1]}: tensor {i} ({tensor.name}) differs from {paths[0]}'s and is not"
                " floating point: not exports of one network"
            )
        tensor.CopyFrom(onnx.numpy_helper.from_array(value, tensor.name))
    out_p = Path(out)
    out_p.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_p) as tmp:
        onnx.save(averaged, str(tmp))
    _write_sidecar(paths, specs, w, out_p, name=name)
    return out_p


def _normalised(weights: Sequence[float] | None, count: int) -> list[float]:
    """One weight per model, each >= 0, normalised to sum 1 (equal when None)."""
    w = [1.0] * count if weights is None else [float(x) for x in weights]
    if len(w) != count or any(x < 0 for x in w) or sum(w) <= 0:
        raise DrumscribeError(f"weights {list(w)} do not fit {count} models (one >= 0 each, sum > 0)")
    return [x / sum(w) for x in w]


def _check_same_network(
    first: Path, first_raw: dict[str, Any], first_graph: Any, path: Path, raw: dict[str, Any], graph: Any
) -> None:
    """Refuse ``path`` unless it is an export of the same network as ``first``."""
    for key in ("lanes", "sample_rate", "hop_length", *_SAME_NETWORK_KEYS):
        if raw.get(key) != first_raw.get(key):
            raise DrumscribeError(f"{path}: sidecar {key!r} differs from {first}'s: not the same network")
    if _weight_roles(graph) != _weight_roles(first_graph):
        raise DrumscribeError(
            f"{path}: its weights (shapes, or the operators using them) differ from {first}'s:"
            " not the same network"
        )


def _weight_roles(graph: Any) -> list[tuple[int, tuple[int, ...], tuple[tuple[str, int], ...]]]:
    """Each initialiser's type, shape and uses (operator, input slot), in order.

    Names are the exporter's (``onnx::Conv_569``) and other nodes may differ between exporter
    versions (a ``Cast`` more), so two exports of one network are matched by what each
    weight is and where it goes.
    """
    uses: dict[str, list[tuple[str, int]]] = {}
    for node in graph.graph.node:
        for slot, name in enumerate(node.input):
            uses.setdefault(name, []).append((node.op_type, slot))
    return [(t.data_type, tuple(t.dims), tuple(uses.get(t.name, ()))) for t in graph.graph.initializer]


def _write_sidecar(
    paths: Sequence[str | Path], specs: Sequence[Any], weights: list[float], out: Path, *, name: str | None
) -> None:
    """The first member's sidecar for ``out``, the members recorded, the measurements dropped."""
    from drumscribe.model import rewrite_sidecar

    members = [
        {
            "name": spec.raw.get("name"),
            "onnx_sha256": spec.onnx_sha256,
            "weight": weight,
            "training": spec.raw.get("training", {}),
        }
        for spec, weight in zip(specs, weights, strict=True)
    ]
    rewrite_sidecar(
        paths[0],
        out,
        name=name or f"{specs[0].raw.get('name', 'drumscribe')}-average",
        extra={"training": {"averaged_from": members}},
        drop=_MEASURED_KEYS,
    )
