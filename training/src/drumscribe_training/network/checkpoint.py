"""Load trained weights from a Lightning checkpoint, safely (``weights_only=True``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from drumscribe._io import atomic_write
from drumscribe.errors import ModelError
from drumscribe_training.config import Config, ConfigError, config_from_stored
from drumscribe_training.network.crnn import DrumTranscriber, build_model

__all__ = [
    "WEIGHT_NEUTRAL_MODEL_KEYS",
    "LoadedCheckpoint",
    "average_checkpoints",
    "load_checkpoint",
    "normalised_weights",
    "recalibrate_batchnorm",
]


#: ``model`` keys that change how a network is run or regularised, not its weights: a fine-tune
#: (``training.init_weights``) may set them differently from the checkpoint it starts from,
#: e.g. a live network given one more frame of look-ahead.
WEIGHT_NEUTRAL_MODEL_KEYS = frozenset({"lookahead_frames", "conv_dropout", "gru_dropout", "dense_dropout"})


@dataclass(frozen=True)
class LoadedCheckpoint:
    """A network rebuilt from a checkpoint, in eval mode."""

    config: Config
    model: DrumTranscriber
    epoch: int
    global_step: int
    path: str


def load_checkpoint(
    path: str | Path, *, config: Config | None = None, fine_tune: bool = False
) -> LoadedCheckpoint:
    """Rebuild the network a checkpoint was trained with and load its weights.

    Parameters
    ----------
    path : path-like
        A ``.ckpt`` written by ``drumscribe-train fit``.
    config : Config, optional
        Check the checkpoint against this config instead of trusting the one stored in it;
        a different architecture raises :class:`ModelError`.
    fine_tune : bool
        The weights start a fine-tune under ``config``: the ``model`` keys in
        :data:`WEIGHT_NEUTRAL_MODEL_KEYS` may differ, and the network is built from ``config``.

    Raises
    ------
    ModelError
        If the file is missing, not a drumscribe checkpoint, or does not fit the config.
    """
    p = Path(path)
    return _from_raw(_read_raw(p), p, config=config, fine_tune=fine_tune)


def _read_raw(p: Path) -> dict[str, Any]:
    """The checkpoint file's dict (``weights_only``), or a :class:`ModelError` naming the file."""
    if not p.is_file():
        raise ModelError(f"{p}: checkpoint not found")
    try:
        ckpt: dict[str, Any] = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for bad files
        raise ModelError(f"{p}: not a readable checkpoint ({str(exc).splitlines()[0][:200]})") from None
    return ckpt


def _from_raw(
    ckpt: dict[str, Any], p: Path, *, config: Config | None, fine_tune: bool = False
) -> LoadedCheckpoint:
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
            mine, theirs = getattr(config, section), getattr(stored_cfg, section)
            if fine_tune and section == "model":
                neutral = {k: getattr(mine, k) for k in WEIGHT_NEUTRAL_MODEL_KEYS}
                theirs = dataclasses.replace(theirs, **neutral)
            if mine != theirs:
                raise ModelError(
                    f"{p}: checkpoint was trained with another {section} config ({theirs} vs {mine})"
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


def normalised_weights(weights: Sequence[float] | None, count: int, *, what: str) -> list[float]:
    """Averaging weights: one per member, each >= 0, normalised to sum 1 (equal when None).

    Parameters
    ----------
    weights : sequence of float, optional
        As given by the user.
    count : int
        Number of members.
    what : str
        What the members are, for the error ("checkpoints", "models").

    Raises
    ------
    ModelError
        If the weights do not fit the members.
    """
    w = [1.0] * count if weights is None else [float(x) for x in weights]
    if len(w) != count or any(x < 0 for x in w) or sum(w) <= 0:
        shown = None if weights is None else list(weights)
        raise ModelError(f"weights {shown} do not fit {count} {what} (one >= 0 each, sum > 0)")
    return [x / sum(w) for x in w]


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
    w = normalised_weights(weights, len(paths), what="checkpoints")
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
    soup = _slim(base)
    soup["state_dict"] = state
    soup["averaged_from"] = [str(p) for p in paths]
    soup["averaged_weights"] = w
    return _save(soup, Path(out))


def recalibrate_batchnorm(
    path: str | Path,
    out: str | Path,
    *,
    processed_dir: str | Path,
    batches: int,
    batch_size: int | None = None,
    num_workers: int | None = None,
) -> Path:
    """Recompute a checkpoint's BatchNorm running statistics from training crops.

    The running mean and variance become the plain average over ``batches`` training
    batches (drawn, augmented and rendered on the fly as the checkpoint's own config
    says), with the network in training mode and no weight changed, as
    ``torch.optim.swa_utils.update_bn`` does. For statistics that went bad while the
    weights did not (one float16 overflow makes them NaN for good) and for averaged
    weights, whose statistics are not the average's own.

    Parameters
    ----------
    path, out : path-like
        The checkpoint, and where the result goes (weights only, written atomically).
    processed_dir : path-like
        Preprocessed HDF5 folder whose train split feeds the batches.
    batches : int
        Batches to average over (a few hundred crops are plenty).
    batch_size, num_workers : int, optional
        Default ``training.batch_size`` and ``hardware.num_workers`` of the checkpoint's config.

    Raises
    ------
    ModelError
        If the file is not a drumscribe checkpoint or its network has no BatchNorm.
    """
    import itertools

    from drumscribe_training.data.datamodule import EGMDDataModule

    if batches < 1:
        raise ModelError(f"batches must be >= 1, got {batches}")
    p = Path(path)
    raw = _read_raw(p)
    loaded = _from_raw(raw, p, config=None)
    model = loaded.model
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        raise ModelError(f"{p}: the network has no BatchNorm to recalibrate")
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches
    dm = EGMDDataModule(
        loaded.config, processed_dir=processed_dir, batch_size=batch_size, num_workers=num_workers
    )
    loader = dm.train_dataloader()
    model.train()
    with torch.no_grad():
        stream = itertools.chain.from_iterable(loader for _ in itertools.count())
        for batch in itertools.islice(stream, batches):
            model(batch["audio"])
    for m, momentum in zip(norms, momenta, strict=True):
        m.momentum = momentum
    model.eval()
    ckpt = _slim(raw)
    ckpt["state_dict"] = {**raw["state_dict"], **{f"model.{k}": v for k, v in model.state_dict().items()}}
    ckpt["batchnorm_recalibrated"] = {
        "from": str(p),
        "batches": batches,
        "batch_size": dm.batch_size,
        "processed_dir": str(processed_dir),
    }
    return _save(ckpt, Path(out))


def _slim(ckpt: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint without optimiser, scheduler, callback and loop states."""
    return {
        k: v for k, v in ckpt.items() if k not in ("optimizer_states", "lr_schedulers", "callbacks", "loops")
    }


def _save(ckpt: dict[str, Any], dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(dest, "wb") as fh:
        torch.save(ckpt, fh)
    return dest
