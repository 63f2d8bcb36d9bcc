"""A trained torch network behind the runtime's model interface.

``drumscribe.transcribe(audio, model=TorchModel(...))`` runs a checkpoint through exactly
the chunking and peak picking an exported ONNX model goes through.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from drumscribe.contract import LANE_NAMES
from drumscribe.model import ModelSpec
from drumscribe_training.network.checkpoint import LoadedCheckpoint
from drumscribe_training.network.crnn import ExportWrapper

__all__ = ["TorchModel"]


class TorchModel:
    """Torch eager inference with a sidecar-like spec built from the checkpoint's config.

    Parameters
    ----------
    loaded : LoadedCheckpoint
    thresholds : float or dict, optional
        Peak thresholds (default: the config's ``peak_picking.threshold``).
    """

    def __init__(
        self, loaded: LoadedCheckpoint, *, thresholds: float | dict[str, float] | None = None
    ) -> None:
        cfg = loaded.config
        self.path = loaded.path
        self.wrapper = ExportWrapper(loaded.model.eval()).eval()
        thr = cfg.peak_picking.threshold if thresholds is None else thresholds
        thr_map = thr if isinstance(thr, dict) else dict.fromkeys(LANE_NAMES, float(thr))
        self.spec = ModelSpec(
            name=f"checkpoint:{loaded.path}",
            sample_rate=cfg.audio.sample_rate,
            hop_length=cfg.audio.hop_length,
            lanes=LANE_NAMES,
            thresholds=dict(thr_map),
            min_interval_s=cfg.peak_picking.min_interval_s,
            peak_rule=cfg.peak_picking.rule,
            chunk_s=cfg.inference.chunk_s,
            context_s=cfg.inference.context_s,
            onnx_sha256="",
            raw={"checkpoint": str(loaded.path), "epoch": loaded.epoch, "global_step": loaded.global_step},
        )
        self.has_velocities = loaded.model.body.velocity_out is not None

    @property
    def info(self) -> dict[str, Any]:
        return {
            "name": self.spec.name,
            "path": str(self.path),
            "sha256": None,
            "versions": {"torch": torch.__version__},
        }

    def run(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(batch, samples) float32 -> onsets (batch, frames, 8) and velocities or None."""
        with torch.inference_mode():
            outs = self.wrapper(torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)))
        onsets = outs[0].float().numpy()
        vels = outs[1].float().numpy() if len(outs) > 1 else None
        return onsets, vels
