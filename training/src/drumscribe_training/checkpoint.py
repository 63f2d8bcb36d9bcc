"""Load trained weights from a Lightning checkpoint, safely (``weights_only=True``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from drumscribe.errors import ModelError
from drumscribe_training.config import Config, ConfigError, config_from_stored
from drumscribe_training.model import DrumTranscriber, build_model

__all__ = ["LoadedCheckpoint", "load_checkpoint"]


@dataclass(frozen=True)
class LoadedCheckpoint:
    """A network rebuilt from a checkpoint, in eval mode."""

    config: Config
    model: DrumTranscriber
    epoch: int
    global_step: int
    path: str


def load_checkpoint(path: str | Path, *, config: Config | None = None) -> LoadedCheckpoint:
    """Rebuild the network a checkpoint was trained with and load its weights.

    Parameters
    ----------
    path : path-like
        A ``.ckpt`` written by ``drumscribe-train fit``.
    config : Config, optional
        Check the checkpoint against this config instead of trusting the one stored in it;
        a different architecture raises :class:`ModelError`.

    Raises
    ------
    ModelError
        If the file is missing, not a drumscribe checkpoint, or does not fit the config.
    """
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"{p}: checkpoint not found")
    try:
        ckpt: dict[str, Any] = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for bad files
        raise ModelError(f"{p}: not a readable checkpoint ({str(exc).splitlines()[0][:200]})") from None
    hparams = ckpt.get("hyper_parameters", {}) if isinstance(ckpt, dict) else {}
    stored = hparams.get("config") if isinstance(hparams, dict) else None
    if stored is None or "state_dict" not in ckpt:
        raise ModelError(f"{p}: not a drumscribe checkpoint (no config or state_dict inside)")
    try:
        stored_cfg: Config = config_from_stored(stored, source=str(p))
    except ConfigError as exc:
        raise ModelError(f"{p}: checkpoint config does not fit this version of drumscribe ({exc})") from None
    cfg = config or stored_cfg
    if config is not None:
        for section in ("audio", "frontend", "model"):
            if getattr(config, section) != getattr(stored_cfg, section):
                raise ModelError(
                    f"{p}: checkpoint was trained with another {section} config "
                    f"({getattr(stored_cfg, section)} vs {getattr(config, section)})"
                )
    model = build_model(cfg)
    state = {k.removeprefix("model."): v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelError(
            f"{p}: weights do not fit the configured network ({str(exc).splitlines()[0][:300]})"
        ) from None
    model.eval()
    return LoadedCheckpoint(
        config=cfg,
        model=model,
        epoch=int(ckpt.get("epoch", 0)),
        global_step=int(ckpt.get("global_step", 0)),
        path=str(p),
    )
