"""Export a causal network as the live ONNX graph: audio hops and state in, onsets and state out.

The graph is :class:`~drumscribe_training.network.live.LiveStep`: inputs ``audio`` float32
[1, hops * hop_length] then the state tensors; outputs ``onsets`` [1, hops, 8] (and
``velocities``) then the new states, each named ``<state>_out``. The sidecar's ``live``
section (keys: :data:`drumscribe.contract.LIVE_REQUIRED_KEYS`) names the states and their
shapes, the hop, the look-ahead and ``latency_s``; docs/LIVE.md is the contract for hosts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from drumscribe.contract import INPUT_NAME, LIVE_KEY, ONSETS_NAME, VELOCITIES_NAME
from drumscribe.model import write_sidecar
from drumscribe_exporters.onnx_export import OPSET, ExportResult, trace_to_onnx, versions
from drumscribe_training.config import Config
from drumscribe_training.network.crnn import DrumTranscriber
from drumscribe_training.network.live import LiveStep, StateSpec, live_latency

__all__ = ["DEFAULT_HOPS_PER_CALL", "export_live_model", "run_live_onnx"]

#: Hops of audio per call a live model is exported for: one hop is 10 ms at 16 kHz / hop 160.
DEFAULT_HOPS_PER_CALL = 1
#: Hops in the dummy input used to trace the graph (the time axis stays dynamic).
_TRACE_HOPS = 4


def export_live_model(
    model: DrumTranscriber,
    cfg: Config,
    out: str | Path,
    *,
    hops_per_call: int = DEFAULT_HOPS_PER_CALL,
    thresholds: float | dict[str, float] | None = None,
    min_interval_s: float | None = None,
    name: str = "drumscribe-live",
    notes: str = "",
    training: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> ExportResult:
    """Write ``out`` (the live model.onnx) and its sidecar.

    Parameters
    ----------
    model : DrumTranscriber
        A causal network (``model.kind: causal``); set to eval mode here.
    cfg : Config
        Its config: rates, front-end, look-ahead and peak-picking defaults.
    out : path-like
        The ``.onnx`` path.
    hops_per_call : int
        Hops per call recorded in the sidecar (the graph's time axis is dynamic; hosts
        should call it with this many hops so results are bit-stable).
    thresholds, min_interval_s : optional
        Peak picking for the sidecar (default: ``peak_picking.*``).
    name, notes : str
        Model name and a free-text note (e.g. "preliminary: trained for minutes") for the sidecar.
    training, metrics : dict, optional
        Summaries stored in the sidecar.
    """
    if not model.causal:
        raise ValueError("export_live_model needs a causal model (model.kind: causal)")
    if hops_per_call < 1:
        raise ValueError(f"hops_per_call must be >= 1, got {hops_per_call}")
    out_path = Path(out)
    model = model.eval()
    step = LiveStep(model).eval()
    has_vel = model.body.velocity_out is not None
    hop, rate = cfg.audio.hop_length, cfg.audio.sample_rate
    _write_step_graph(step, out_path, hop=hop, rate=rate, name=name, has_vel=has_vel)
    lat = live_latency(model, sample_rate=rate, peak_rule=cfg.peak_picking.rule)
    # a host calls once hops_per_call hops are in: a frame may wait hops_per_call - 1 more hops
    lat["batching_s"] = (hops_per_call - 1) * hop / rate
    lat["latency_s"] += lat["batching_s"]
    fe = cfg.frontend
    look = model.lookahead_frames
    specs = step.specs
    live = {
        "hops_per_call": hops_per_call,
        "lookahead_frames": look,
        "output_delay_frames": look,
        **lat,
        "states": [
            {"name": s.name, "output": s.output, "shape": list(s.shape), "dtype": "float32"} for s in specs
        ],
        "notes": notes,
    }
    io_inputs, io_outputs = _io_descriptions(specs, hop=hop, has_vel=has_vel)
    side = write_sidecar(
        out_path,
        sample_rate=rate,
        hop_length=hop,
        thresholds=cfg.peak_picking.threshold if thresholds is None else thresholds,
        min_interval_s=cfg.peak_picking.min_interval_s if min_interval_s is None else min_interval_s,
        peak_rule=cfg.peak_picking.rule,
        chunk_s=hops_per_call * hop / rate,
        context_s=0.0,
        name=name,
        extra={
            "inputs": io_inputs,
            "outputs": io_outputs,
            LIVE_KEY: live,
            "frontend": {
                "type": "log-mel (conv-DFT STFT in graph), causal",
                "n_fft": fe.n_fft,
                "win_length": fe.win_length,
                "window": "hann (periodic), win_length samples ending one hop after the frame's time",
                "center": False,
                "n_mels": fe.n_mels,
                "fmin": fe.fmin,
                "fmax": fe.fmax,
                "mel_norm": "slaney",
                "log_offset": fe.log_offset,
            },
            "architecture": {
                "kind": cfg.model.kind,
                "conv_filters": list(cfg.model.conv_filters),
                "hidden_size": cfg.model.hidden_size,
                "num_gru_layers": cfg.model.num_gru_layers,
                "dense_size": cfg.model.dense_size,
                "velocity_head": cfg.model.velocity_head,
                "lookahead_frames": look,
                "parameters": sum(p.numel() for p in model.parameters()),
            },
            "opset": OPSET,
            "training": training or {},
            "metrics": metrics or {},
            "versions": versions(),
        },
    )
    return ExportResult(onnx_path=out_path, sidecar_path=side, has_velocities=has_vel)


def _write_step_graph(
    step: LiveStep, out_path: Path, *, hop: int, rate: int, name: str, has_vel: bool
) -> None:
    """Trace one live step (audio + state -> activations + state) into ``out_path``, checked."""
    specs = step.specs
    input_names = [INPUT_NAME] + [s.name for s in specs]
    output_names = [ONSETS_NAME] + ([VELOCITIES_NAME] if has_vel else []) + [s.output for s in specs]
    dynamic = {INPUT_NAME: {1: "samples"}, ONSETS_NAME: {1: "hops"}}
    if has_vel:
        dynamic[VELOCITIES_NAME] = {1: "hops"}
    dummy = (torch.zeros(1, _TRACE_HOPS * hop), *step.initial_state())
    trace_to_onnx(
        step,
        dummy,
        out_path,
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic,
        doc=f"drumscribe live {name}: audio float32 [1, hops * {hop}] at {rate} Hz + state"
        " -> onsets [1, hops, 8] + state (docs/LIVE.md)",
    )


def _io_descriptions(
    specs: list[StateSpec], *, hop: int, has_vel: bool
) -> tuple[dict[str, str], dict[str, str]]:
    """The sidecar's ``inputs`` and ``outputs``: what a host feeds and gets back."""
    io_inputs = {INPUT_NAME: f"float32 [1, hops * {hop}], mono, the next samples of the stream"}
    io_inputs |= {s.name: f"float32 {list(s.shape)}, zeros at the start of a stream" for s in specs}
    io_outputs = {
        ONSETS_NAME: "float32 [1, hops, 8] in [0, 1]; stream frame k predicts frame k - output_delay_frames"
    }
    if has_vel:
        io_outputs[VELOCITIES_NAME] = "float32 [1, hops, 8] in [0, 1], same frames as onsets"
    io_outputs |= {s.output: f"float32 {list(s.shape)}: feed back as {s.name}" for s in specs}
    return io_inputs, io_outputs


def run_live_onnx(
    onnx_path: str | Path, audio: np.ndarray, *, hop: int, hops_per_call: int = DEFAULT_HOPS_PER_CALL
) -> np.ndarray:
    """Run a live ONNX model over a whole signal, ``hops_per_call`` hops per call, from zero state.

    The signal is padded with zeros to whole hops plus the look-ahead and one frame, as
    :class:`drumscribe.LiveTranscriber` does at ``finish()``; the delayed first frames are
    dropped, so the result lines up with the torch model's whole-signal output.

    Parameters
    ----------
    audio : numpy.ndarray
        Shape (samples,), float32 at the model rate.

    Returns
    -------
    numpy.ndarray
        Onsets, shape (samples // hop + 1, 8).
    """
    import json

    import onnxruntime as ort

    from drumscribe.model import sidecar_path

    live = json.loads(sidecar_path(onnx_path).read_text(encoding="utf-8"))[LIVE_KEY]
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    delay = int(live["output_delay_frames"])
    frames = audio.shape[0] // hop + 1
    calls = -(-(frames + delay) // hops_per_call)
    padded = np.zeros(calls * hops_per_call * hop, dtype=np.float32)
    padded[: audio.shape[0]] = audio
    states = {s["name"]: np.zeros(s["shape"], dtype=np.float32) for s in live["states"]}
    outs = []
    step = hops_per_call * hop
    for c in range(calls):
        feeds = {INPUT_NAME: padded[None, c * step : (c + 1) * step], **states}
        result = session.run(None, feeds)
        named = dict(zip([o.name for o in session.get_outputs()], result, strict=True))
        outs.append(named[ONSETS_NAME][0])
        states = {s["name"]: named[s["output"]] for s in live["states"]}
    return np.concatenate(outs)[delay : delay + frames]
