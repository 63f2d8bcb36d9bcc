"""Weights back from an exported model: start training from a shipped ``model.onnx``.

Checkpoints stay out of the repository; the shipped models are ONNX files. To fine-tune a
shipped model (a new data condition, a new recipe) its weights are read back from the
graph into :class:`~drumscribe_training.network.crnn.DrumTranscriber`:

* convolutions come out of the exporter with their BatchNorm folded in (weight scaled,
  bias added). The import puts the folded weight in the conv and the folded bias in the
  BatchNorm, with running statistics 0 / 1, so the network in eval mode is the ONNX graph.
  :func:`calibrate_batchnorm` then measures the statistics on real crops and
  re-parametrises each such BatchNorm so that eval mode is unchanged and training mode
  (batch statistics) starts out as the same function;
* the bidirectional GRUs are reordered from ONNX's gate order (z, r, h) to PyTorch's
  (r, z, n);
* the dense layers' MatMul weights are transposed back.

The front-end (STFT basis, mel filters) is not learnt: it is rebuilt from the config, whose
``audio``/``frontend`` must be the model's (the sidecar's ``frontend`` says them).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from drumscribe_training.network.crnn import DrumTranscriber

__all__ = ["OnnxImportError", "calibrate_batchnorm", "constant_tensors", "import_onnx_weights"]

#: Gate blocks of ONNX's GRU (z, r, h) taken in PyTorch's order (r, z, n).
_GATE_ORDER = (1, 0, 2)


class OnnxImportError(ValueError):
    """The ONNX graph is not an export of the configured network; names the file."""


def _block_norms(model: DrumTranscriber) -> list[nn.BatchNorm2d]:
    """The BatchNorm of each conv block (``ConvBlock.net[1]``)."""
    norms = []
    for block in model.body.conv:
        norm = cast(nn.Sequential, block.net)[1]
        assert isinstance(norm, nn.BatchNorm2d)
        norms.append(norm)
    return norms


def _gru_gates(w: np.ndarray, hidden: int) -> np.ndarray:
    """(3H, ...) in ONNX gate order -> PyTorch gate order."""
    return np.concatenate([w[g * hidden : (g + 1) * hidden] for g in _GATE_ORDER], axis=0)


def _initializers(path: Path) -> tuple[object, dict[str, np.ndarray]]:
    """The graph of ``path`` and its constant tensors (:func:`constant_tensors`)."""
    import onnx

    try:
        graph = onnx.load(str(path)).graph
    except Exception as exc:  # a broken or non-ONNX file
        raise OnnxImportError(f"{path}: not a readable ONNX model ({exc})") from None
    return graph, constant_tensors(graph)


def constant_tensors(graph: Any) -> dict[str, np.ndarray]:
    """A graph's constant tensors by name: initializers, and the outputs of DequantizeLinear
    nodes fed by initializers (the int8 weights of a static-int8 export), dequantized."""
    from onnx import helper, numpy_helper

    values = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    for node in graph.node:
        inputs = [x for x in node.input if x]
        if node.op_type != "DequantizeLinear" or not all(x in values for x in inputs):
            continue
        q = values[inputs[0]].astype(np.float32)
        scale = values[inputs[1]].astype(np.float32)
        zero = values[inputs[2]].astype(np.float32) if len(inputs) > 2 else np.zeros_like(scale)
        if scale.ndim == 1 and scale.size > 1:  # per channel, along the node's axis
            axis = next((helper.get_attribute_value(a) for a in node.attribute if a.name == "axis"), 1)
            shape = [1] * q.ndim
            shape[int(axis)] = scale.size
            scale, zero = scale.reshape(shape), zero.reshape(shape)
        values[node.output[0]] = (q - zero) * scale
    return values


def import_onnx_weights(model: DrumTranscriber, onnx_path: str | Path) -> None:
    """Load the learnt weights of an exported drumscribe model into ``model`` in place.

    Parameters
    ----------
    model : DrumTranscriber
        Built from the config the ONNX model was exported from (same layer sizes).
    onnx_path : path-like
        ``model.onnx`` written by ``drumscribe-export``, or its static-int8 variant (the int8
        weights are dequantized: the network then computes the int8 graph's function up to
        its activation rounding).

    Raises
    ------
    OnnxImportError
        If the graph's layers do not match ``model``'s, naming the file and the layer.
    """
    path = Path(onnx_path)
    graph, inits = _initializers(path)
    body = model.body
    nodes = list(graph.node)  # type: ignore[attr-defined]
    convs = [  # the body's 2-D convolutions (the front-end's conv-DFT is 1-D and not learnt)
        n
        for n in nodes
        if n.op_type == "Conv" and len(n.input) > 1 and n.input[1] in inits and inits[n.input[1]].ndim == 4
    ]
    grus = [n for n in nodes if n.op_type == "GRU"]
    blocks = _block_norms(model)
    if len(convs) != len(blocks) or len(grus) != body.gru.num_layers:
        raise OnnxImportError(
            f"{path}: {len(convs)} convolutions and {len(grus)} GRU layers, the config's network has "
            f"{len(blocks)} and {body.gru.num_layers}"
        )
    state: dict[str, torch.Tensor] = {}

    def put(name: str, value: np.ndarray) -> None:
        want = model.state_dict()[name].shape
        if tuple(value.shape) != tuple(want):
            raise OnnxImportError(
                f"{path}: {name} has shape {tuple(value.shape)} in the graph, {tuple(want)} here"
            )
        state[name] = torch.from_numpy(np.array(value, dtype=np.float32))  # a writable copy

    for k in ("weight", "bias", "running_mean", "running_var"):
        put(f"body.input_norm.{k}", inits[f"model.body.input_norm.{k}"])
    for i, node in enumerate(convs):
        weight = inits[node.input[1]]
        bias = inits[node.input[2]] if len(node.input) > 2 else np.zeros(weight.shape[0], np.float32)
        eps = float(blocks[i].eps)
        put(f"body.conv.{i}.net.0.weight", weight)
        put(f"body.conv.{i}.net.1.weight", np.ones_like(bias))
        put(f"body.conv.{i}.net.1.bias", bias)
        put(f"body.conv.{i}.net.1.running_mean", np.zeros_like(bias))
        put(f"body.conv.{i}.net.1.running_var", np.full_like(bias, 1.0 - eps))
    hidden = body.gru.hidden_size
    for layer, node in enumerate(grus):
        w, r, b = (inits[name] for name in node.input[1:4])
        for d, suffix in enumerate(("", "_reverse")):
            put(f"body.gru.weight_ih_l{layer}{suffix}", _gru_gates(w[d], hidden))
            put(f"body.gru.weight_hh_l{layer}{suffix}", _gru_gates(r[d], hidden))
            put(f"body.gru.bias_ih_l{layer}{suffix}", _gru_gates(b[d][: 3 * hidden], hidden))
            put(f"body.gru.bias_hh_l{layer}{suffix}", _gru_gates(b[d][3 * hidden :], hidden))
    for node in (n for n in nodes if n.op_type == "MatMul" and n.input[1] in inits):
        bias_name = _bias_after(nodes, node.output[0])
        name = bias_name.removeprefix("model.body.").removesuffix(".bias")
        put(f"body.{name}.weight", inits[node.input[1]].T)
        put(f"body.{name}.bias", inits[bias_name])
    missing = [k for k in model.body.state_dict() if f"body.{k}" not in state and "num_batches" not in k]
    if missing:
        raise OnnxImportError(f"{path}: no weights in the graph for {missing}")
    model.load_state_dict(state, strict=False)


def _bias_after(nodes: list[object], output: str) -> str:
    """The name of the bias initializer added to a MatMul's output (its layer's name)."""
    for node in nodes:
        if node.op_type == "Add" and output in node.input:  # type: ignore[attr-defined]
            other = [x for x in node.input if x != output]  # type: ignore[attr-defined]
            if other and other[0].startswith("model.body."):
                return str(other[0])
    raise OnnxImportError(f"a MatMul output {output!r} has no bias of a named layer after it")


@torch.no_grad()
def calibrate_batchnorm(model: DrumTranscriber, batches: Iterable[torch.Tensor]) -> int:
    """Give the conv blocks' BatchNorms measured statistics without changing what they compute.

    After :func:`import_onnx_weights` a conv block's BatchNorm has running statistics 0 / 1
    and carries the folded bias. Here the mean ``m`` and variance ``v`` of each channel
    before it are measured on ``batches``; it becomes ``running_mean = m``,
    ``running_var = v``, ``weight *= sqrt(v + eps)``, ``bias += weight * m``: the same
    function in eval mode, and about the same in training mode, where batch statistics
    replace the running ones.

    Parameters
    ----------
    model : DrumTranscriber
    batches : iterable of torch.Tensor
        Audio, shape (batch, samples), at the model's rate: crops like the training ones.

    Returns
    -------
    int
        The number of batches measured.
    """
    norms = _block_norms(model)
    sums: list[list[torch.Tensor]] = [[] for _ in norms]
    hooks = [
        bn.register_forward_pre_hook(lambda _m, args, k=k: sums[k].append(_moments(args[0])))
        for k, bn in enumerate(norms)
    ]
    was_training = model.training
    model.eval()
    count = 0
    try:
        for audio in batches:
            model(audio)
            count += 1
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    if count == 0:
        return 0
    for bn, moments in zip(norms, sums, strict=True):
        stacked = torch.stack(moments)  # (batches, 2, channels)
        mean = stacked[:, 0].mean(0)
        var = (stacked[:, 1].mean(0) - mean**2).clamp_min(0.0)
        running_mean, running_var = bn.running_mean, bn.running_var
        assert running_mean is not None and running_var is not None  # track_running_stats
        scale = torch.sqrt(running_var + bn.eps)  # 1 right after the import
        weight = bn.weight / scale
        bias = bn.bias - weight * running_mean
        running_mean.copy_(mean)
        running_var.copy_(var)
        bn.weight.copy_(weight * torch.sqrt(var + bn.eps))
        bn.bias.copy_(bias + weight * mean)
    return count


def _moments(x: torch.Tensor) -> torch.Tensor:
    """Per-channel mean and mean square of (batch, channels, ...)."""
    flat = x.transpose(0, 1).reshape(x.shape[1], -1).double()
    return torch.stack([flat.mean(1), (flat**2).mean(1)]).float()
