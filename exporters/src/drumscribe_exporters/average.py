"""Average exported models of one network into a new model ("model soup" of ONNX files).

The shipped models are ONNX files; their checkpoints stay out of the repository. A fine-tune
that started from a shipped model (``training.init_weights: model.onnx``) lies in that model's
basin, and the weighted mean of the two is often better than either on both conditions: the
fine-tune's new skill, the start's old one (WiSE-FT: Wortsman et al., "Robust fine-tuning of
zero-shot models", CVPR 2022). :func:`drumscribe_training.network.checkpoint.average_checkpoints`
does this for checkpoints; this module does it for exports, where BatchNorm is already folded
into the convolutions, so members exported from differently parametrised checkpoints (an ONNX
import re-parametrises its BatchNorms) average as the functions they compute.

The members must be exports of one network: the same weights (shape, type and the operators
using them, in order) and the same sidecar contract (lanes, rate, hop, front-end, architecture).
A static-int8 variant (the bundled default model is one) takes part with its int8 weights
dequantized, so a fine-tune can be averaged with the bundled file it started from; the graph
written is the first fp32 member's, so one member must be fp32. Floating-point weights are
averaged; every other constant must be equal. The result
keeps the first member's sidecar (thresholds included, to be tuned again) and records the
members and weights under ``training.averaged_from``; what was measured on the first member
(metrics, threshold tuning) is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
#: Operators of a static-int8 (QDQ) variant: its weights are read back dequantized.
_QDQ_OPS = frozenset({"QuantizeLinear", "DequantizeLinear"})
#: Operators of a dynamic-int8 variant (integer kernels): not averaged.
_INTEGER_OPS = frozenset({"DynamicQuantizeLinear", "QLinearConv", "ConvInteger", "MatMulInteger"})


def average_models(
    paths: Sequence[str | Path],
    out: str | Path,
    *,
    weights: Sequence[float] | None = None,
    name: str | None = None,
    training: dict[str, Any] | None = None,
) -> Path:
    """Write the (weighted) mean of several exported models of one network.

    Parameters
    ----------
    paths : sequence of path-like
        Two or more ``model.onnx`` files with sidecars, exports of the same network (for
        example a shipped model and a fine-tune started from it): fp32 or static int8, at
        least one fp32.
    out : path-like
        The ``model.onnx`` to write; its sidecar is written beside it. Both are written
        atomically.
    weights : sequence of float, optional
        One non-negative weight per model, normalised to sum 1; equal by default.
    name : str, optional
        Model name in the sidecar; by default the first member's with ``-average``.
    training : dict, optional
        More keys for the sidecar's ``training`` summary (recipe, data, hardware), beside
        ``averaged_from``.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    DrumscribeError
        Fewer than two models, weights that do not fit, a model that does not load
        (missing sidecar, hash mismatch), a dynamic-int8 variant, no fp32 member, or members
        that are not exports of one network; the message names the file.
    """
    import onnx

    from drumscribe.model import load_model
    from drumscribe_training.network.checkpoint import normalised_weights

    if len(paths) < 2:
        raise DrumscribeError(f"averaging needs two or more models, got {len(paths)}")
    w = normalised_weights(weights, len(paths), what="models")
    specs = [load_model(p, cache=False).spec for p in paths]  # contract and hash hold
    members = [_Member.read(Path(p)) for p in paths]
    template = next((m for m in members if not m.quantised), None)
    if template is None:
        raise DrumscribeError(
            f"{paths[0]}: every model given is a quantised variant; one fp32 export is needed"
            " (its graph is written, with the mean weights)"
        )
    template_raw = specs[members.index(template)].raw
    for spec, member in zip(specs, members, strict=True):
        _check_same_network(template, template_raw, member, spec.raw)
    averaged = template.graph
    for tensor in averaged.graph.initializer:
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type)
        values = [
            _mean([m.weights[key] for m in members], w, dtype, key)
            for key in template.readers.get(tensor.name, [])
        ]
        if values and any(not np.array_equal(values[0], v) for v in values[1:]):
            raise DrumscribeError(
                f"{template.path}: {tensor.name} is one tensor read by {len(values)} operators, whose"
                " weights differ in the other models; put another fp32 export first"
            )
        if values:
            tensor.CopyFrom(onnx.numpy_helper.from_array(values[0], tensor.name))
    out_p = Path(out)
    out_p.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_p) as tmp:
        onnx.save(averaged, str(tmp))
    _write_sidecar(paths, specs, w, out_p, name=name, training=training)
    return out_p


@dataclass(frozen=True)
class _Member:
    """One model: its graph and the constants its network operators read.

    A constant is keyed by the operator that reads it and the input slot (``("/model/body/gru/GRU",
    1)``): the exporter names operators after the modules, stably across exporter versions,
    while tensor names (``onnx::Conv_569``), the order of tensors and extra nodes (a ``Cast``,
    QDQ pairs, constants folded into initialisers by quantisation) differ. A static-int8
    weight is read through its DequantizeLinear and counts dequantized.
    """

    path: Path
    graph: Any
    weights: dict[tuple[str, int], np.ndarray]
    readers: dict[str, list[tuple[str, int]]]
    quantised: bool

    @classmethod
    def read(cls, path: Path) -> _Member:
        import onnx

        from drumscribe_training.network.onnx_import import constant_tensors

        model = onnx.load(str(path))  # readable: load_model has opened it
        values = constant_tensors(model.graph)
        ops = {node.op_type for node in model.graph.node}
        if ops & _INTEGER_OPS:
            raise DrumscribeError(
                f"{path}: a dynamic-int8 variant ({', '.join(sorted(ops & _INTEGER_OPS))}); average the"
                " fp32 or static-int8 files"
            )
        weights: dict[tuple[str, int], np.ndarray] = {}
        readers: dict[str, list[tuple[str, int]]] = {}
        source = {name: name for name in values}  # through Identity copies, to the tensor stored
        for node in model.graph.node:
            if node.op_type == "Identity" and node.input[0] in values:  # an exporter's shared copy
                values[node.output[0]] = values[node.input[0]]
                source[node.output[0]] = source[node.input[0]]
                continue
            if node.op_type in _QDQ_OPS:
                continue
            for slot, name in enumerate(node.input):
                if name in values:
                    key = (node.name, slot)
                    weights[key] = values[name]
                    readers.setdefault(source[name], []).append(key)
        return cls(path=path, graph=model, weights=weights, readers=readers, quantised=bool(ops & _QDQ_OPS))


def _mean(arrays: list[np.ndarray], weights: list[float], dtype: Any, key: tuple[str, int]) -> np.ndarray:
    """The weighted mean of one weight across the members (a non-float constant must agree)."""
    if np.issubdtype(arrays[0].dtype, np.floating):
        mean = sum(wi * a.astype(np.float64) for wi, a in zip(weights, arrays, strict=True))
        return np.asarray(mean).astype(dtype)
    if any(not np.array_equal(arrays[0], a) for a in arrays[1:]):
        raise DrumscribeError(
            f"input {key[1]} of {key[0]} differs between the models and is not floating point:"
            " not exports of one network"
        )
    return arrays[0]


def _check_same_network(
    template: _Member, template_raw: dict[str, Any], member: _Member, raw: dict[str, Any]
) -> None:
    """Refuse ``member`` unless it is an export of the same network as ``template``: the same
    sidecar contract, and every constant the template's operators read found in ``member`` at
    the same operator and slot with the same shape and kind."""
    for field in ("lanes", "sample_rate", "hop_length", *_SAME_NETWORK_KEYS):
        if raw.get(field) != template_raw.get(field):
            raise DrumscribeError(
                f"{member.path}: sidecar {field!r} differs from {template.path}'s: not the same network"
            )
    for key in template.weights:
        mine, theirs = template.weights[key], member.weights.get(key)
        if theirs is None or theirs.shape != mine.shape or theirs.dtype.kind != mine.dtype.kind:
            raise DrumscribeError(
                f"{member.path}: its weights (shapes, or the operators using them) differ from"
                f" {template.path}'s at {key[0]}: not the same network"
            )


def _write_sidecar(
    paths: Sequence[str | Path],
    specs: Sequence[Any],
    weights: list[float],
    out: Path,
    *,
    name: str | None,
    training: dict[str, Any] | None,
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
        extra={"training": {**(training or {}), "averaged_from": members}},
        drop=_MEASURED_KEYS,
    )
