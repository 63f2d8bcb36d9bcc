"""EGMDDataModule on a tiny preprocessed set: batch format, fixed val crops, oversampling,
lazy per-worker HDF5, on-the-fly synthesis, and a Lightning fit that consumes it."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import torch

from drumscribe_training.config import ConfigError, load_config
from drumscribe_training.data.datamodule import EGMDDataModule
from drumscribe_training.data.dataset import RARE_LANES
from drumscribe_training.data.preprocess import PreprocessOptions, run_preprocess
from support.egmd_testdata import write_tiny_egmd


@pytest.fixture(scope="module")
def cfg():
    return load_config()


@pytest.fixture(scope="module")
def processed(cfg, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("dm")
    root, _ = write_tiny_egmd(
        tmp / "e-gmd", n_train=6, n_val=2, n_test=1, duration_s=9.0, plain_train=3, seed=5
    )
    run_preprocess(
        PreprocessOptions.from_config(
            cfg, data_dir=root, out_dir=tmp / "proc", splits_dir=tmp / "splits", progress=False
        )
    )
    return tmp / "proc"


def _check_batch(batch: dict[str, torch.Tensor], b: int, n: int) -> None:
    f = n // 160 + 1
    assert set(batch) == {"audio", "onsets", "velocities"}
    assert batch["audio"].shape == (b, n) and batch["audio"].dtype == torch.float32
    assert batch["onsets"].shape == (b, f, 8) and batch["onsets"].dtype == torch.float32
    assert batch["velocities"].shape == (b, f, 8) and batch["velocities"].dtype == torch.float32
    assert float(batch["audio"].abs().max()) <= 1.0
    for key in ("onsets", "velocities"):
        assert float(batch[key].min()) >= 0.0 and float(batch[key].max()) <= 1.0
    assert set(torch.unique(batch["onsets"]).tolist()) <= {0.0, 0.5, 1.0}
    # velocity only where the onset target is 1
    assert bool(((batch["velocities"] > 0) <= (batch["onsets"] == 1.0)).all())


def test_batches_without_workers(cfg, processed: Path) -> None:
    dm = EGMDDataModule(cfg, processed_dir=processed, batch_size=4, num_workers=0, augment=False)
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    _check_batch(batch, 4, 64000)
    assert float(batch["onsets"].max()) == 1.0
    val = list(dm.val_dataloader())
    _check_batch(val[0], 4, 128000)
    assert sum(b["audio"].shape[0] for b in val) == 4  # two 9 s files -> 2 crops of 8 s each
    dm.setup("test")
    assert len(dm.test_dataset) == 2


def test_validation_crops_are_fixed(cfg, processed: Path) -> None:
    a = EGMDDataModule(cfg, processed_dir=processed, batch_size=3, num_workers=0)
    b = EGMDDataModule(cfg, processed_dir=processed, batch_size=3, num_workers=0)
    for x, y in zip(a.val_dataloader(), b.val_dataloader(), strict=True):
        for key in x:
            assert torch.equal(x[key], y[key])
    again = next(iter(a.val_dataloader()))
    assert torch.equal(again["audio"], next(iter(b.val_dataloader()))["audio"])


def test_training_crops_are_random_but_seeded(cfg, processed: Path) -> None:
    def first(seed: int) -> torch.Tensor:
        torch.manual_seed(seed)
        dm = EGMDDataModule(cfg, processed_dir=processed, batch_size=4, num_workers=0, augment=False)
        return next(iter(dm.train_dataloader()))["audio"]

    assert torch.equal(first(1), first(1))
    assert not torch.equal(first(1), first(2))


def test_workers_open_hdf5_lazily_and_batches_match(cfg, processed: Path) -> None:
    dm = EGMDDataModule(cfg, processed_dir=processed, batch_size=2, num_workers=2, prefetch_factor=2)
    dm.setup("fit")
    ds = dm.val_dataset
    assert ds.reader.open_count == 0  # nothing opened in __init__/setup
    val = list(dm.val_dataloader())
    assert ds.reader.open_count == 0  # the workers opened their own
    ref = EGMDDataModule(cfg, processed_dir=processed, batch_size=2, num_workers=0).val_dataloader()
    for x, y in zip(val, ref, strict=True):
        assert torch.equal(x["audio"], y["audio"]) and torch.equal(x["onsets"], y["onsets"])
    ds[0]
    assert ds.reader.open_count == 1
    clone = pickle.loads(pickle.dumps(ds))  # picklable (spawn) without its handles
    assert clone.reader.open_count == 0
    assert torch.equal(clone[0]["audio"], ds[0]["audio"])
    batch = next(iter(dm.train_dataloader()))
    _check_batch(batch, 2, 64000)


def test_loader_settings_from_config(cfg, processed: Path) -> None:
    dm = EGMDDataModule(cfg, processed_dir=processed)
    assert dm.batch_size == cfg.training.batch_size
    assert dm.num_workers == cfg.hardware.num_workers
    assert dm.prefetch_factor == cfg.hardware.prefetch_factor
    assert dm.pin_memory == torch.cuda.is_available()  # pin_memory: auto
    loader = dm.val_dataloader()
    assert loader.num_workers == cfg.hardware.num_workers
    assert loader.prefetch_factor == cfg.hardware.prefetch_factor


def test_rare_lane_oversampling(cfg, processed: Path) -> None:
    cfg4 = cfg.replace(data={"rare_lane_oversampling": 4.0})
    dm = EGMDDataModule(cfg4, processed_dir=processed, batch_size=4, num_workers=0, augment=False)
    dm.setup("fit")
    ds = dm.train_dataset
    rare = ds.window_rare
    assert 0 < rare.sum() < len(rare)  # the plain pairs give windows without rare hits
    np.testing.assert_array_equal(ds.weights, np.where(rare, 4.0, 1.0))
    # a window flagged rare holds a rare hit in every crop it can produce
    rare_lanes = [cfg.classes.names.index(n) for n in RARE_LANES]
    torch.manual_seed(0)
    for w in np.flatnonzero(rare)[:6]:
        item = ds[int(w)]
        assert float(item["onsets"][:, rare_lanes].max()) == 1.0
    torch.manual_seed(0)
    drawn = np.array(list(iter(dm.train_dataloader().sampler)))
    share = rare[drawn].mean()
    p = rare.mean()
    expected = 4 * p / (4 * p + 1 - p)
    assert len(drawn) == len(ds)
    assert share > p
    plain = EGMDDataModule(cfg.replace(data={"rare_lane_oversampling": 1.0}), processed_dir=processed)
    plain.setup("fit")
    assert np.all(plain.train_dataset.weights == 1.0)
    # statistical check on many draws
    sampler = dm.train_dataloader().sampler
    many = np.concatenate([np.array(list(iter(sampler))) for _ in range(40)])
    assert rare[many].mean() == pytest.approx(expected, abs=0.05)


def test_train_epoch_items_sets_the_epoch_length(cfg, processed: Path) -> None:
    # An epoch of more crops than the split has windows (drawn with replacement), for
    # training mostly on clips rendered on the fly from a small split on disk.
    for oversampling in (1.0, 2.0):
        base = cfg.replace(data={"rare_lane_oversampling": oversampling})
        dm = EGMDDataModule(base, processed_dir=processed, batch_size=4, num_workers=0)
        dm.setup("fit")
        n = len(dm.train_dataset)
        long = EGMDDataModule(
            base.replace(data={"train_epoch_items": 3 * n + 1}),
            processed_dir=processed,
            batch_size=4,
            num_workers=0,
        )
        loader = long.train_dataloader()
        drawn = np.array(list(iter(loader.sampler)))
        assert len(drawn) == 3 * n + 1 and drawn.min() >= 0 and drawn.max() < n
        assert len(loader) == (3 * n + 1) // 4  # ragged last batch dropped
    with pytest.raises(ConfigError, match="train_epoch_items"):
        load_config(overrides={"data": {"train_epoch_items": 0}})


@dataclass(frozen=True)
class _Note:
    time_s: float
    note: int
    velocity: int


@dataclass(frozen=True)
class _Clip:
    audio: np.ndarray
    sample_rate: int
    events: tuple[_Note, ...]
    kit_name: str = "fake"


class _FakeRenderer:
    made: ClassVar[list[_FakeRenderer]] = []

    def __init__(
        self,
        split: str = "train",
        sample_rate: int = 16000,
        seed: int = 0,
        kits=None,
        *,
        synth_kits: int = 0,
        extra_kits: bool = False,
        piece_variation=None,
        band_bank=None,
    ) -> None:
        self.sample_rate = sample_rate
        self.split = split
        self.synth_kits = synth_kits
        self.extra_kits = extra_kits
        self.piece_variation = piece_variation
        _FakeRenderer.made.append(self)

    def render(self, *, duration_s: float, rng: np.random.Generator, from_bank: bool = False) -> _Clip:
        n = round(duration_s * self.sample_rate)
        audio = np.full(n + 7, 0.25, dtype=np.float32)  # a slightly long clip gets trimmed
        return _Clip(audio, self.sample_rate, (_Note(1.0, 48, 127), _Note(2.0, 99, 10)))


def test_on_the_fly_synthesis_mix(cfg, processed: Path, monkeypatch) -> None:
    import drumscribe_training.synth as synth

    monkeypatch.setattr(synth, "ClipRenderer", _FakeRenderer, raising=False)
    dm = EGMDDataModule(
        cfg, processed_dir=processed, batch_size=4, num_workers=0, augment=False, synth_fraction=1.0
    )
    batch = next(iter(dm.train_dataloader()))
    _check_batch(batch, 4, 64000)
    assert torch.all(batch["audio"] == 0.25)
    on = batch["onsets"]
    assert torch.all(on[:, 100, 3] == 1.0) and float(on.sum()) == pytest.approx(4 * (1 + 2 * 0.5))
    assert torch.allclose(batch["velocities"][:, 100, 3], torch.ones(4))


def test_synth_kits_extra_kits_and_piece_variation_reach_the_on_the_fly_renderer(
    cfg, processed: Path, monkeypatch
) -> None:
    import drumscribe_training.synth as synth

    assert cfg.data.synth_kits == 0 and cfg.data.piece_variation == 0.0  # off by default
    assert cfg.data.extra_kits is False
    monkeypatch.setattr(synth, "ClipRenderer", _FakeRenderer, raising=False)
    monkeypatch.setattr(_FakeRenderer, "made", [])
    dm = EGMDDataModule(
        cfg.replace(
            data={"synth_kits": 3, "extra_kits": True, "piece_variation": 0.5, "piece_groups": ["toms"]}
        ),
        processed_dir=processed,
        batch_size=2,
        num_workers=0,
        augment=False,
        synth_fraction=1.0,
    )
    next(iter(dm.train_dataloader()))
    assert [(r.split, r.synth_kits, r.extra_kits) for r in _FakeRenderer.made] == [("train", 3, True)]
    pv = _FakeRenderer.made[0].piece_variation
    assert pv is not None and pv.probability == 0.5 and pv.groups == ("toms",)
    from drumscribe_training.config import ConfigError

    with pytest.raises(ConfigError, match=r"data\.synth_kits must be >= 0"):
        load_config(overrides={"data": {"synth_kits": -1}})


def test_lightning_fit_consumes_the_datamodule(cfg, processed: Path, tmp_path: Path) -> None:
    import lightning as L

    class Tiny(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.proj = torch.nn.Linear(160, 8)

        def _loss(self, batch):
            audio = batch["audio"]
            frames = torch.nn.functional.pad(audio, (0, 160))[:, : (audio.shape[1] // 160 + 1) * 160]
            logits = self.proj(frames.reshape(audio.shape[0], -1, 160))
            return torch.nn.functional.binary_cross_entropy_with_logits(logits, batch["onsets"])

        def training_step(self, batch, _):
            return self._loss(batch)

        def validation_step(self, batch, _):
            self.log("val_loss", self._loss(batch))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    dm = EGMDDataModule(cfg, processed_dir=processed, batch_size=2, num_workers=0, augment=False)
    trainer = L.Trainer(
        fast_dev_run=2,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        default_root_dir=tmp_path,
    )
    trainer.fit(Tiny(), datamodule=dm)
    assert trainer.state.finished
