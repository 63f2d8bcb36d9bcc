"""Audio augmentation: determinism, each transform, and labels that follow time stretch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drumscribe_training.config import load_config
from drumscribe_training.data.augment import Augmenter, AugmentParams

SR = 16000
HOP = 160
TIMES = np.array([0.25, 0.8, 1.3, 1.95, 2.6, 3.3])


@pytest.fixture(scope="module")
def cfg():
    return load_config()


def _clicks(times: np.ndarray = TIMES, n: int = 4 * SR, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.zeros(n, dtype=np.float32)
    for t in times:
        s = round(t * SR)
        m = min(int(0.06 * SR), n - s)
        x[s : s + m] += (rng.standard_normal(m) * np.exp(-np.arange(m) / (0.008 * SR)) * 0.5).astype(
            np.float32
        )
    return np.clip(x, -1.0, 1.0)


def _onsets(x: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Onset sample of each expected burst: the first 2 ms frame whose energy rises above a
    tenth of the burst's peak energy, searched within ±60 ms of the expectation."""
    win = 32
    e = np.convolve(x.astype(np.float64) ** 2, np.ones(win) / win, mode="same")
    found = []
    for t in expected:
        c = round(t * SR)
        lo, hi = max(c - 960, 0), min(c + 960, len(x))
        seg = e[lo:hi]
        found.append((lo + int(np.argmax(seg > 0.1 * seg.max()))) / SR)
    return np.array(found)


def _aug(cfg, **probs: float) -> Augmenter:
    zero = {
        "time_stretch_prob": 0.0,
        "pitch_shift_prob": 0.0,
        "reverb_prob": 0.0,
        "noise_prob": 0.0,
        "gain_prob": 0.0,
        "eq_prob": 0.0,
    }
    zero.update(probs)
    return Augmenter(cfg.replace(augmentation=zero).augmentation, sample_rate=SR)


def test_deterministic_given_the_rng(cfg) -> None:
    aug = Augmenter(cfg.augmentation, sample_rate=SR)
    x = _clicks()
    for seed in range(4):
        a_params = aug.sample(np.random.default_rng(seed))
        b_params = aug.sample(np.random.default_rng(seed))
        assert a_params == b_params
        np.testing.assert_array_equal(aug.apply(x, a_params), aug.apply(x, b_params))
    draws = {aug.sample(np.random.default_rng(s)) for s in range(10)}
    assert len(draws) == 10


def test_probabilities_zero_is_identity_and_one_fires_everything(cfg) -> None:
    x = _clicks()
    off = _aug(cfg)
    p = off.sample(np.random.default_rng(0))
    assert p.identity
    np.testing.assert_array_equal(off.apply(x, p), x)
    on = _aug(
        cfg,
        time_stretch_prob=1.0,
        pitch_shift_prob=1.0,
        reverb_prob=1.0,
        noise_prob=1.0,
        gain_prob=1.0,
        eq_prob=1.0,
    )
    q = on.sample(np.random.default_rng(0))
    lo, hi = cfg.augmentation.time_stretch_range
    assert lo <= q.stretch_rate <= hi and q.semitones != 0.0
    assert q.eq is not None and q.reverb is not None and q.noise_snr_db is not None
    y = on.apply(x, q)
    assert y.dtype == np.float32 and np.isfinite(y).all() and np.abs(y).max() <= 1.0
    assert abs(len(y) - len(x) / q.stretch_rate) < 0.01 * len(x)


@pytest.mark.parametrize("rate", [0.85, 1.15])
def test_time_stretch_moves_onsets_to_t_over_rate(cfg, rate: float) -> None:
    aug = _aug(cfg)
    x = _clicks()
    y = aug.apply(x, AugmentParams(stretch_rate=rate))
    assert abs(len(y) - len(x) / rate) <= 0.01 * len(x)
    got = _onsets(y, TIMES / rate)
    np.testing.assert_allclose(got, TIMES / rate, atol=HOP / SR)  # within one frame


@pytest.mark.parametrize("semitones", [-2.0, 2.0])
def test_pitch_shift_keeps_onsets(cfg, semitones: float) -> None:
    aug = _aug(cfg)
    x = _clicks()
    y = aug.apply(x, AugmentParams(semitones=semitones))
    assert len(y) == len(x)
    np.testing.assert_allclose(_onsets(y, TIMES), TIMES, atol=HOP / SR)
    both = aug.apply(x, AugmentParams(stretch_rate=1.1, semitones=semitones))
    np.testing.assert_allclose(_onsets(both, TIMES / 1.1), TIMES / 1.1, atol=HOP / SR)


def test_reverb_eq_keep_onsets(cfg) -> None:
    aug = _aug(cfg)
    x = _clicks()
    y = aug.apply(x, AugmentParams(reverb=(0.7, 0.2, 0.3), eq=(2000.0, 6.0, 1.0)))
    assert len(y) == len(x) and not np.array_equal(x, y)
    np.testing.assert_allclose(_onsets(y, TIMES), TIMES, atol=HOP / SR)


def test_gain_and_noise_levels(cfg) -> None:
    aug = _aug(cfg)
    x = _clicks() * 0.5
    y = aug.apply(x, AugmentParams(gain_db=-6.0))
    np.testing.assert_allclose(y, x * 10 ** (-6 / 20), rtol=1e-5, atol=1e-7)
    z = aug.apply(x, AugmentParams(noise_snr_db=20.0, noise_seed=3))
    noise = z - x
    snr = 10 * np.log10(np.mean(x.astype(np.float64) ** 2) / np.mean(noise.astype(np.float64) ** 2))
    assert snr == pytest.approx(20.0, abs=0.5)
    loud = aug.apply(x * 1.8, AugmentParams(gain_db=6.0))
    assert np.abs(loud).max() == pytest.approx(1.0, abs=1e-6)  # scaled back to full scale
    assert aug.apply(np.zeros(0, dtype=np.float32), AugmentParams(stretch_rate=1.1)).size == 0


def test_call_moves_times(cfg) -> None:
    aug = _aug(cfg, time_stretch_prob=1.0)
    y, times = aug(_clicks(), TIMES, np.random.default_rng(1))
    rate = aug.sample(np.random.default_rng(1)).stretch_rate
    np.testing.assert_allclose(times, TIMES / rate)
    np.testing.assert_allclose(_onsets(y, times), times, atol=HOP / SR)


def test_datamodule_labels_follow_the_stretch(cfg, tmp_path: Path) -> None:
    """End to end: with stretch always on, every onset frame of a training item sits on a
    burst in the stretched audio."""
    import torch

    from drumscribe_training.data.datamodule import EGMDDataModule
    from drumscribe_training.data.preprocess import PreprocessOptions, run_preprocess
    from support.egmd_testdata import write_tiny_egmd

    root, _ = write_tiny_egmd(
        tmp_path / "e-gmd", n_train=3, n_val=1, n_test=1, duration_s=6.0, hits_per_s=1.5
    )
    run_preprocess(
        PreprocessOptions.from_config(
            cfg, data_dir=root, out_dir=tmp_path / "proc", splits_dir=tmp_path / "s", progress=False
        )
    )
    c = cfg.replace(
        augmentation={
            "time_stretch_prob": 1.0,
            "pitch_shift_prob": 0.0,
            "reverb_prob": 0.0,
            "noise_prob": 0.0,
            "gain_prob": 0.0,
            "eq_prob": 0.0,
        },
        data={"target_widening": 0},
    )
    dm = EGMDDataModule(c, processed_dir=tmp_path / "proc", batch_size=2, num_workers=0, augment=True)
    dm.setup("fit")
    torch.manual_seed(0)
    checked = 0
    for i in range(len(dm.train_dataset)):
        item = dm.train_dataset[i]
        audio, on = item["audio"].numpy(), item["onsets"].numpy()
        assert audio.shape == (64000,) and on.shape == (401, 8)
        frames = np.flatnonzero(on.max(axis=1) == 1.0)
        frames = frames[(frames > 6) & (frames < 394)]
        times = frames / 100.0
        got = _onsets(audio, times)
        # each burst begins within a frame of its true time t / rate, and the label frame
        # round(100 t / rate) is within half a frame of that
        np.testing.assert_allclose(got, times, atol=1.5 * HOP / SR)
        checked += len(frames)
    assert checked >= 10
