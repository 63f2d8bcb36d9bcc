"""LightningModule: losses, optimiser and schedule, event-level validation scores."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import lightning as L
import numpy as np
import torch
from torch import nn

from drumscribe.contract import LANE_NAMES
from drumscribe.peaks import pick_peaks
from drumscribe_training.config import Config
from drumscribe_training.eval.metrics import OnsetCounts
from drumscribe_training.network.crnn import DrumTranscriber, build_model

__all__ = ["DrumTranscriberModule", "Losses"]


class Losses(NamedTuple):
    """The losses of one batch (scalars) and its onset probabilities (B, F, 8)."""

    total: torch.Tensor
    onset: torch.Tensor
    velocity: torch.Tensor
    probs: torch.Tensor
    distill: torch.Tensor | None  # against the teacher alone; None without one


class DrumTranscriberModule(L.LightningModule):
    """Trains a :class:`DrumTranscriber` on batches from the DataModule.

    Batches are dicts: ``audio`` (B, N) float32 at the model rate, ``onsets`` (B, F, 8)
    targets in [0, 1] (1 at onset frames, softer values on widened neighbours) and
    ``velocities`` (B, F, 8) in [0, 1], with F = N // hop + 1.

    Parameters
    ----------
    config : dict
        ``Config.to_dict()``; stored in checkpoints as hyper-parameters so that export and
        evaluation rebuild the same network.
    """

    pos_weight: torch.Tensor  # buffer (8,): per-lane positive weight of the onset loss

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        from drumscribe_training.config import config_from_stored, onset_pos_weights

        self.save_hyperparameters({"config": config})
        self.cfg: Config = config_from_stored(config)
        self.model: DrumTranscriber = build_model(self.cfg)
        self.register_buffer(
            "pos_weight", torch.tensor(onset_pos_weights(self.cfg), dtype=torch.float32), persistent=False
        )
        self._val_counts = OnsetCounts()
        self._teacher: Any = None  # drumscribe.model.Model, opened on first use (not pickled)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state["_teacher"] = None
        return state

    def teacher_probabilities(self, audio: torch.Tensor) -> torch.Tensor:
        """The distillation teacher's onset probabilities for a batch.

        Parameters
        ----------
        audio : torch.Tensor
            Shape (B, N), float32 at the model rate.

        Returns
        -------
        torch.Tensor
            Shape (B, F, 8), in [0, 1], on ``audio``'s device; no gradient.

        Raises
        ------
        ConfigError
            If the teacher's sample rate or hop differ from this model's.
        """
        if self._teacher is None:
            from drumscribe.model import Model
            from drumscribe_training.config import ConfigError

            providers = ["CUDAExecutionProvider"] if audio.is_cuda else []
            teacher = Model(str(self.cfg.distill.teacher), providers=[*providers, "CPUExecutionProvider"])
            spec, audio_cfg = teacher.spec, self.cfg.audio
            if (spec.sample_rate, spec.hop_length) != (audio_cfg.sample_rate, audio_cfg.hop_length):
                raise ConfigError(
                    f"{teacher.path}: distill.teacher runs at {spec.sample_rate} Hz, hop {spec.hop_length};"
                    f" this model at {audio_cfg.sample_rate} Hz, hop {audio_cfg.hop_length}"
                )
            self._teacher = teacher
        probs, _ = self._teacher.run(audio.detach().float().cpu().numpy())
        return torch.from_numpy(probs).to(audio.device)

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        out: tuple[torch.Tensor, torch.Tensor | None] = self.model(audio)
        return out

    def _losses(self, batch: dict[str, torch.Tensor], *, distill: bool = False) -> Losses:
        """Total, onset and velocity losses and the onset probabilities of a batch; with
        ``distill`` (training, ``distill.teacher`` set) the onset loss also takes
        ``distill.weight`` from the teacher's probabilities."""
        onset_logits, vel_logits = self.model(batch["audio"])
        target = batch["onsets"]
        frames = min(onset_logits.shape[1], target.shape[1])
        onset_logits, target = onset_logits[:, :frames], target[:, :frames]
        onset_loss = nn.functional.binary_cross_entropy_with_logits(
            onset_logits.float(), target, pos_weight=self.pos_weight
        )
        distill_loss = None
        if distill and self.cfg.distill.teacher is not None:
            heard = batch["teacher_audio"] if self.cfg.distill.teacher_hears == "drums" else batch["audio"]
            soft = self.teacher_probabilities(heard)
            n = min(frames, soft.shape[1])
            distill_loss = nn.functional.binary_cross_entropy_with_logits(
                onset_logits[:, :n].float(), soft[:, :n], pos_weight=self.pos_weight
            )
            w = self.cfg.distill.weight
            onset_loss = (1.0 - w) * onset_loss + w * distill_loss
        vel_loss = torch.zeros((), device=onset_logits.device)
        if vel_logits is not None and "velocities" in batch:
            vel_target = batch["velocities"][:, :frames]
            mask = (target >= 1.0).float()
            if mask.sum() > 0:
                per = nn.functional.binary_cross_entropy_with_logits(
                    vel_logits[:, :frames].float(), vel_target, reduction="none"
                )
                vel_loss = (per * mask).sum() / mask.sum()
        loss = onset_loss + self.cfg.training.velocity_loss_weight * vel_loss
        return Losses(loss, onset_loss, vel_loss, torch.sigmoid(onset_logits.detach().float()), distill_loss)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss, onset_loss, vel_loss, _, distill_loss = self._losses(batch, distill=True)
        bs = batch["audio"].shape[0]
        if distill_loss is not None:
            self.log("train/distill_loss", distill_loss, batch_size=bs)
        self.log("train/loss", loss, prog_bar=True, batch_size=bs, sync_dist=False)
        self.log("train/onset_loss", onset_loss, batch_size=bs)
        self.log("train/velocity_loss", vel_loss, batch_size=bs)
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val_counts = OnsetCounts()

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss, _, _, probs, _ = self._losses(batch)
        bs = batch["audio"].shape[0]
        self.log("val/loss", loss, prog_bar=True, batch_size=bs, sync_dist=True)
        fps = self.cfg.audio.frame_rate
        window = self.cfg.peak_picking.match_window_s
        acts = probs.cpu().numpy()
        refs = batch["onsets"][:, : acts.shape[1]].cpu().numpy()
        for i in range(acts.shape[0]):
            hits = pick_peaks(
                acts[i],
                frame_rate=fps,
                threshold=self.cfg.peak_picking.threshold,
                min_interval_s=self.cfg.peak_picking.min_interval_s,
                rule=self.cfg.peak_picking.rule,
            )
            est_by_lane: list[list[float]] = [[] for _ in LANE_NAMES]
            for h in hits:
                est_by_lane[h.lane].append(h.time_s)
            for lane in range(len(LANE_NAMES)):
                ref_times = np.nonzero(refs[i, :, lane] >= 1.0)[0] / fps
                self._val_counts.add(lane, ref_times, est_by_lane[lane], window_s=window)
        return loss

    def on_validation_epoch_end(self) -> None:
        counts = self._val_counts
        stacked = torch.tensor(
            np.stack([counts.tp, counts.fp, counts.fn]), dtype=torch.float64, device=self.device
        )
        if self.trainer.world_size > 1:
            gathered = self.all_gather(stacked)
            assert isinstance(gathered, torch.Tensor)  # a tensor in, a tensor out
            stacked = gathered.sum(dim=0)
        tp, fp, fn = (stacked[i].cpu().numpy().astype(np.int64) for i in range(3))
        from drumscribe_training.eval.metrics import OnsetScores

        scores = OnsetScores.from_counts(tp, fp, fn)
        for name in LANE_NAMES:
            self.log(f"val_f1/{name}", scores.f1[name], rank_zero_only=True)
            self.log(f"val_precision/{name}", scores.precision[name], rank_zero_only=True)
            self.log(f"val_recall/{name}", scores.recall[name], rank_zero_only=True)
        self.log("val/f1", scores.micro_f1, prog_bar=True, rank_zero_only=True)
        self.log("val/precision", scores.micro_precision, rank_zero_only=True)
        self.log("val/recall", scores.micro_recall, rank_zero_only=True)

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        if self.global_step % max(1, self.cfg.training.log_every_n_steps) == 0:
            from lightning.pytorch.utilities import grad_norm

            norms = grad_norm(self.model, norm_type=2)
            if "grad_2.0_norm_total" in norms:
                self.log("train/grad_norm", norms["grad_2.0_norm_total"])

    def configure_optimizers(self) -> Any:
        tr = self.cfg.training
        opt = torch.optim.AdamW(self.parameters(), lr=tr.learning_rate, weight_decay=tr.weight_decay)
        if tr.lr_schedule == "none":
            return opt
        if tr.lr_schedule == "plateau":
            plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=3)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": plateau, "monitor": "val/loss"}}
        total = max(1, int(self.trainer.estimated_stepping_batches))
        warm = min(tr.warmup_steps, total // 10 + 1)

        def factor(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            progress = min(1.0, (step - warm) / max(1, total - warm))
            return 0.02 + 0.98 * 0.5 * (1.0 + math.cos(math.pi * progress))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
