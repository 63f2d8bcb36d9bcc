"""Lightning DataModule over the preprocessed E-GMD shards.

Batch format (every dataloader: train, val, test)
-------------------------------------------------
A dict of tensors::

    "audio"      float32 (B, N)     mono audio at audio.sample_rate in [-1, 1]
    "onsets"     float32 (B, F, 8)  onset targets: 1 on onset frames, data.widening_value on
                                    the data.target_widening frames either side, else 0
    "velocities" float32 (B, F, 8)  velocity / 127 on onset frames, else 0

with ``N = round(crop_s * sample_rate)`` (``data.crop_s`` for train, ``data.val_crop_s`` for
val and test) and ``F = N // hop_length + 1`` frames; frame ``i`` is centred at
``i * hop_length / sample_rate`` seconds (a centred STFT), lanes in
:data:`drumscribe.contract.LANE_NAMES` order.

Training crops are random (a new cut every epoch), drawn with rare-lane oversampling
(``data.rare_lane_oversampling``; ``data.train_epoch_items`` of them per epoch, with
replacement, when set), augmented on audio in the loader workers
(``augmentation.*``) and, with probability ``data.on_the_fly_synth``, rendered on the fly
(through the train split's kits plus ``data.synth_kits`` synthesised ones). Crops read
from disk are mixed with their band part, when the data set has one, as ``band_mix.*``
says (``data/band_mix.py``), and so are rendered crops with ``band_mix.on_the_fly`` (their
band part rendered with them from the train split's band sources); validation crops at
``band_mix.val_level_db`` when set.
Validation and test crops are fixed and unaugmented: each file cut into consecutive
``val_crop_s`` windows, the last zero-padded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch
from torch.utils.data import DataLoader, WeightedRandomSampler

from drumscribe_training.config import piece_variation
from drumscribe_training.data.band_mix import BandMixer
from drumscribe_training.data.dataset import CropDataset, FixedCropDataset, ShardIndex, TargetSpec

__all__ = ["EGMDDataModule"]


class EGMDDataModule(L.LightningDataModule):
    """Batches of audio crops and frame targets from the HDF5 shards.

    Parameters
    ----------
    config : Config
        The typed config (``data``, ``audio``, ``augmentation``, ``training``,
        ``hardware``, ``classes`` sections are read).
    processed_dir : path-like, optional
        Shard folder (default ``data.processed_dir``).
    batch_size, num_workers, prefetch_factor : int, optional
        Default ``training.batch_size``, ``hardware.num_workers``, ``hardware.prefetch_factor``.
    pin_memory : bool, optional
        Default ``hardware.pin_memory`` (``auto``: true when CUDA is available).
    augment : bool, optional
        Augment training crops (default ``augmentation.enabled``).
    synth_fraction : float, optional
        Default ``data.on_the_fly_synth``.
    seed : int, optional
        Default ``training.seed``.
    """

    def __init__(
        self,
        config: Any,
        *,
        processed_dir: str | Path | None = None,
        batch_size: int | None = None,
        num_workers: int | None = None,
        prefetch_factor: int | None = None,
        pin_memory: bool | None = None,
        augment: bool | None = None,
        synth_fraction: float | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.processed_dir = Path(processed_dir if processed_dir is not None else config.data.processed_dir)
        self.batch_size = int(batch_size if batch_size is not None else config.training.batch_size)
        self.num_workers = int(num_workers if num_workers is not None else config.hardware.num_workers)
        self.prefetch_factor = int(
            prefetch_factor if prefetch_factor is not None else config.hardware.prefetch_factor
        )
        if pin_memory is None:
            pm = config.hardware.pin_memory
            pin_memory = torch.cuda.is_available() if pm == "auto" else bool(pm)
        self.pin_memory = bool(pin_memory)
        self.augment = bool(config.augmentation.enabled if augment is None else augment)
        self.synth_fraction = float(
            config.data.on_the_fly_synth if synth_fraction is None else synth_fraction
        )
        self.seed = int(config.training.seed if seed is None else seed)
        self.spec = TargetSpec(
            sample_rate=config.audio.sample_rate,
            hop_length=config.audio.hop_length,
            widening=config.data.target_widening,
            widening_value=config.data.widening_value,
        )
        self.train_dataset: CropDataset | None = None
        self.val_dataset: FixedCropDataset | None = None
        self.test_dataset: FixedCropDataset | None = None

    # -- datasets -------------------------------------------------------------------------
    def _index(self, split: str) -> ShardIndex:
        return ShardIndex.for_split(self.processed_dir, split, sample_rate=self.spec.sample_rate)

    def make_augmenter(self) -> Any:
        """The training augmenter, or None when augmentation is off."""
        if not self.augment:
            return None
        from drumscribe_training.data.augment import Augmenter

        return Augmenter(self.config.augmentation, sample_rate=self.spec.sample_rate)

    def make_band_mixer(self) -> BandMixer | None:
        """The training crops' drums + band mixer, or None when ``band_mix.probability`` is 0."""
        settings = self.config.band_mix
        if not settings.enabled:
            return None
        return BandMixer(settings, sample_rate=self.spec.sample_rate)

    def setup(self, stage: str | None = None) -> None:
        """Index the shards of the splits ``stage`` needs (cheap, in the main process)."""
        data = self.config.data
        if stage in (None, "fit") and self.train_dataset is None:
            self.train_dataset = CropDataset(
                self._index("train"),
                crop_s=data.crop_s,
                spec=self.spec,
                rare_lane_oversampling=data.rare_lane_oversampling,
                augmenter=self.make_augmenter(),
                synth_fraction=self.synth_fraction,
                note_map=dict(self.config.classes.note_map),
                synth_kits=data.synth_kits,
                extra_kits=data.extra_kits,
                piece_variation=piece_variation(self.config),
                band_mixer=self.make_band_mixer(),
                teacher_drums=self.config.distill.teacher is not None
                and self.config.distill.teacher_hears == "drums",
                seed=self.seed,
            )
        if stage in (None, "fit", "validate") and self.val_dataset is None:
            self.val_dataset = FixedCropDataset(
                self._index("val"),
                crop_s=data.val_crop_s,
                spec=self.spec,
                band_level_db=self.config.band_mix.val_level_db,
            )
        if stage in (None, "test") and self.test_dataset is None:
            self.test_dataset = FixedCropDataset(self._index("test"), crop_s=data.val_crop_s, spec=self.spec)

    # -- loaders --------------------------------------------------------------------------
    def _loader_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "batch_size": self.batch_size,
            "num_workers": self.num_workers,
            "pin_memory": self.pin_memory,
        }
        if self.num_workers > 0:
            kwargs["prefetch_factor"] = self.prefetch_factor
            kwargs["persistent_workers"] = True
        return kwargs

    def train_dataloader(self) -> DataLoader[dict[str, torch.Tensor]]:
        if self.train_dataset is None:
            self.setup("fit")
        ds = self.train_dataset
        assert ds is not None
        items = self.config.data.train_epoch_items or len(ds)
        # Drop a ragged last batch, unless the epoch is smaller than two batches.
        drop_last = items >= 2 * self.batch_size
        if self.config.data.rare_lane_oversampling != 1.0 or items != len(ds):
            sampler = WeightedRandomSampler(ds.weights.tolist(), num_samples=items, replacement=True)
            return DataLoader(ds, sampler=sampler, drop_last=drop_last, **self._loader_kwargs())
        return DataLoader(ds, shuffle=True, drop_last=drop_last, **self._loader_kwargs())

    def val_dataloader(self) -> DataLoader[dict[str, torch.Tensor]]:
        if self.val_dataset is None:
            self.setup("validate")
        assert self.val_dataset is not None
        return DataLoader(self.val_dataset, shuffle=False, **self._loader_kwargs())

    def test_dataloader(self) -> DataLoader[dict[str, torch.Tensor]]:
        if self.test_dataset is None:
            self.setup("test")
        assert self.test_dataset is not None
        return DataLoader(self.test_dataset, shuffle=False, **self._loader_kwargs())
