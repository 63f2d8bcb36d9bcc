"""Load trained weights from a Lightning checkpoint, safely (``weights_only=True``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from drumscribe._io import atomic_write
from drumscribe.errors import ModelError
from drumscribe_training.config import Config, ConfigError, config_from_stored
from drumscribe_training.model import DrumTranscriber, build_model

__all__ = ["LoadedCheckpoint", "average_checkpoints", "load_checkpoint"]


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
    return _from_raw(_read_raw(p), p, config=config)


def _read_raw(p: Path) -> dict[str, Any]:
    """The checkpoint file's dict (``weights_only``), or a :class:`ModelError` naming the file."""
    if not p.is_file():
        raise ModelError(f"{p}: checkpoint not found")
    try:
        ckpt: dict[str, Any] = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for bad files
        raise ModelError(f"{p}: not a readable checkpoint ({str(exc).splitlines()[0][:200]})") from None
    return ckpt


def _from_raw(ckpt: dict[str, Any], p: Path, *, config: Config | None) -> LoadedCheckpoint:
    """Rebuild and load the network of a checkpoint dict read from ``p`` (see :func:`load_checkpoint`)."""
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


def average_checkpoints(
    paths: list[str | Path], out: str | Path, *, weights: list[float] | None = None
) -> Path:
    """Write a checkpoint whose weights are the (weighted) mean of several checkpoints' weights.

    A "model soup": useful for runs that share an ancestry (a fine-tune and the model it
    started from), whose weights lie in one basin. Floating-point tensors are averaged;
    integer buffers (BatchNorm's batch counters) and everything else (config, epoch) come
    from the first checkpoint. Optimiser and scheduler states are dropped: the result is
    for export and evaluation (or ``--init-weights``), not for ``--resume``.

    Parameters
    ----------
    paths : list of path-like
        ``.ckpt`` files of the same network (checked with :func:`load_checkpoint`). One
        file gives a slim copy of it: its weights without optimiser state.
    out : path-like
        Where to write the averaged checkpoint (written atomically).
    weights : list of float, optional
        One non-negative weight per checkpoint (normalised to sum 1); equal by default.

    Raises
    ------
    ModelError
        If no checkpoint is given, a file is not a drumscribe checkpoint, the
        networks differ, or the weights do not fit.
    """
    if not paths:
        raise ModelError("average_checkpoints needs one or more checkpoints")
    w = [1.0] * len(paths) if weights is None else [float(x) for x in weights]
    if len(w) != len(paths) or any(x < 0 for x in w) or sum(w) <= 0:
        raise ModelError(f"weights {weights} do not fit {len(paths)} checkpoints (one >= 0 each, sum > 0)")
    w = [x / sum(w) for x in w]
    ckpts = [_read_raw(Path(p)) for p in paths]
    first = _from_raw(ckpts[0], Path(paths[0]), config=None)
    for p, ckpt in zip(paths[1:], ckpts[1:], strict=True):
        _from_raw(ckpt, Path(p), config=first.config)  # same architecture, or a clear error
    base = ckpts[0]
    state = {}
    for key, value in base["state_dict"].items():
        if torch.is_floating_point(value):
            state[key] = sum(
                wi * c["state_dict"][key].to(torch.float64) for wi, c in zip(w, ckpts, strict=True)
            ).to(value.dtype)
        else:
            state[key] = value
    soup = {
        k: v for k, v in base.items() if k not in ("optimizer_states", "lr_schedulers", "callbacks", "loops")
    }
    soup["state_dict"] = state
    soup["averaged_from"] = [str(p) for p in paths]
    soup["averaged_weights"] = w
    dest = Path(out)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(dest, "wb") as fh:
        torch.save(soup, fh)
    return dest
