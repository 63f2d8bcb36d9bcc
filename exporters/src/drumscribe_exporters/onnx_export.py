"""Export a trained network to ONNX with the log-mel front-end inside the graph."""

from __future__ import annotations

import platform
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from drumscribe._io import atomic_path
from drumscribe.contract import INPUT_NAME, ONSETS_NAME, VELOCITIES_NAME
from drumscribe.model import write_sidecar
from drumscribe_training.config import Config
from drumscribe_training.network.checkpoint import LoadedCheckpoint
from drumscribe_training.network.crnn import DrumTranscriber, ExportWrapper

__all__ = ["OPSET", "ExportResult", "export_checkpoint", "export_model", "versions"]

#: Fixed ONNX opset of every exported model.
OPSET = 17
#: Length of the dummy input used to trace the graph (any length works after export).
_TRACE_SECONDS = 2.0


@dataclass(frozen=True)
class ExportResult:
    onnx_path: Path
    sidecar_path: Path
    has_velocities: bool


def versions() -> dict[str, str]:
    """Versions of the tools that made a model, for the sidecar."""
    import lightning
    import onnx
    import onnxruntime

    import drumscribe

    return {
        "drumscribe": drumscribe.__version__,
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "python": platform.python_version(),
        "opset": str(OPSET),
    }


def trace_to_onnx(
    module: torch.nn.Module,
    args: tuple[torch.Tensor, ...],
    out_path: Path,
    *,
    input_names: list[str],
    output_names: list[str],
    dynamic_axes: dict[str, dict[int, str]],
    doc: str,
) -> None:
    """Trace ``module`` on ``args`` into ``out_path`` (atomically) at :data:`OPSET`, check the
    graph in full, and stamp the producer and ``doc`` into it."""
    import onnx

    with atomic_path(out_path) as tmp, warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            args,
            str(tmp),
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            dynamo=False,
        )
        proto = onnx.load(str(tmp))
        onnx.checker.check_model(proto, full_check=True)
        proto.producer_name = "drumscribe-exporters"
        proto.doc_string = doc
        onnx.save(proto, str(tmp))


def export_model(
    model: DrumTranscriber,
    cfg: Config,
    out: str | Path,
    *,
    thresholds: float | dict[str, float] | None = None,
    min_interval_s: float | None = None,
    chunk_s: float | None = None,
    context_s: float | None = None,
    name: str = "drumscribe",
    training: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> ExportResult:
    """Write ``out`` (model.onnx) and ``out.json`` (sidecar).

    Parameters
    ----------
    model : DrumTranscriber
        The network (set to eval mode here).
    cfg : Config
        Its config: rates, front-end, peak-picking and chunk defaults for the sidecar.
    out : path-like
        The ``.onnx`` path.
    thresholds : float or dict, optional
        Peak thresholds for the sidecar (default: ``peak_picking.threshold``).
    min_interval_s : float, optional
        Default: ``peak_picking.min_interval_s``.
    chunk_s, context_s : float, optional
        Inference geometry in seconds for the sidecar (default: ``inference.*``).
    training, metrics : dict, optional
        Summaries stored in the sidecar.
    """
    out_path = Path(out)
    model = model.eval()
    wrapper = ExportWrapper(model).eval()
    has_vel = model.body.velocity_out is not None
    outputs = [ONSETS_NAME] + ([VELOCITIES_NAME] if has_vel else [])
    dynamic = {INPUT_NAME: {0: "batch", 1: "samples"}} | {o: {0: "batch", 1: "frames"} for o in outputs}
    dummy = torch.zeros(1, int(_TRACE_SECONDS * cfg.audio.sample_rate))
    trace_to_onnx(
        wrapper,
        (dummy,),
        out_path,
        input_names=[INPUT_NAME],
        output_names=outputs,
        dynamic_axes=dynamic,
        doc=f"drumscribe {name}: audio float32 [batch, samples] at {cfg.audio.sample_rate} Hz -> onsets [batch, frames, 8]",
    )
    fe = cfg.frontend
    side = write_sidecar(
        out_path,
        sample_rate=cfg.audio.sample_rate,
        hop_length=cfg.audio.hop_length,
        thresholds=cfg.peak_picking.threshold if thresholds is None else thresholds,
        min_interval_s=cfg.peak_picking.min_interval_s if min_interval_s is None else min_interval_s,
        peak_rule=cfg.peak_picking.rule,
        chunk_s=cfg.inference.chunk_s if chunk_s is None else chunk_s,
        context_s=cfg.inference.context_s if context_s is None else context_s,
        name=name,
        extra={
            "frontend": {
                "type": "log-mel (conv-DFT STFT in graph)",
                "n_fft": fe.n_fft,
                "win_length": fe.win_length,
                "window": "hann (periodic)",
                "center": True,
                "pad": "zeros, n_fft // 2 each side",
                "n_mels": fe.n_mels,
                "fmin": fe.fmin,
                "fmax": fe.fmax,
                "mel_norm": "slaney",
                "log_offset": fe.log_offset,
            },
            "architecture": {
                "conv_filters": list(cfg.model.conv_filters),
                "hidden_size": cfg.model.hidden_size,
                "num_gru_layers": cfg.model.num_gru_layers,
                "dense_size": cfg.model.dense_size,
                "velocity_head": cfg.model.velocity_head,
                "parameters": sum(p.numel() for p in model.parameters()),
            },
            "opset": OPSET,
            "training": training or {},
            "metrics": metrics or {},
            "versions": versions(),
        },
    )
    return ExportResult(onnx_path=out_path, sidecar_path=side, has_velocities=has_vel)


def export_checkpoint(loaded: LoadedCheckpoint, out: str | Path, **options: Any) -> ExportResult:
    """Export a loaded checkpoint; its epoch and step go into the sidecar's training summary."""
    training = {
        "checkpoint": Path(loaded.path).name,
        "epoch": loaded.epoch,
        "global_step": loaded.global_step,
    }
    training |= options.pop("training", None) or {}
    return export_model(loaded.model, loaded.config, out, training=training, **options)
