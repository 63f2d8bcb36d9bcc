"""Frame targets from events, and label/frame alignment through the whole data path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drumscribe_training.config import load_config
from drumscribe_training.data.dataset import FixedCropDataset, ShardIndex, TargetSpec
from drumscribe_training.data.preprocess import PreprocessOptions, run_preprocess
from drumscribe_training.data.targets import frame_count, frame_index, make_targets
from support.egmd_testdata import write_tiny_egmd


def test_frame_count_and_index() -> None:
    assert frame_count(64000, 160) == 401
    assert frame_count(159, 160) == 1
    assert frame_count(0, 160) == 1
    assert frame_index(np.array([0.0, 0.004, 0.006, 1.0, 1.2345]), 100.0).tolist() == [0, 0, 1, 100, 123]


def test_make_targets_onsets_widening_and_velocity() -> None:
    on, vel = make_targets(
        np.array([0.10, 0.10, 0.50, 3.999, -0.2, 9.0]),
        np.array([0, 0, 7, 2, 1, 1]),
        np.array([64, 127, 100, 1, 100, 100]),
        n_frames=401,
        frame_rate=100.0,
        widening=1,
        widening_value=0.5,
    )
    assert on.shape == vel.shape == (401, 8) and on.dtype == vel.dtype == np.float32
    assert on[10, 0] == 1.0 and on[9, 0] == on[11, 0] == 0.5 and on[8, 0] == 0.0
    assert vel[10, 0] == pytest.approx(1.0)  # loudest of the two on one frame
    assert vel[9, 0] == 0.0  # velocity only on onset frames
    assert on[50, 7] == 1.0 and vel[50, 7] == pytest.approx(100 / 127)
    assert on[400, 2] == 1.0 and on[399, 2] == 0.5  # widening clipped at the end
    assert on[:, 1].sum() == 0.0  # events outside the clip dropped
    assert int((on == 1.0).sum()) == 3


def test_widening_never_lowers_a_neighbouring_onset() -> None:
    on, _ = make_targets(
        np.array([0.10, 0.11]),
        np.array([3, 3]),
        np.array([80, 80]),
        n_frames=20,
        frame_rate=100.0,
        widening=1,
        widening_value=0.5,
    )
    assert on[9:13, 3].tolist() == [0.5, 1.0, 1.0, 0.5]
    on0, _ = make_targets(
        np.array([0.10]), np.array([3]), np.array([80]), n_frames=20, frame_rate=100.0, widening=0
    )
    assert on0.sum() == 1.0


def test_label_frame_alignment_against_known_onsets(tmp_path: Path) -> None:
    """Bursts start exactly at their MIDI times; after resampling, preprocessing and
    cropping, every onset frame's centre is within half a hop of a burst start."""
    cfg = load_config()
    root, pairs = write_tiny_egmd(
        tmp_path / "e-gmd", n_train=1, n_val=2, n_test=1, duration_s=6.0, hits_per_s=1.0, seed=3
    )
    out = tmp_path / "proc"
    run_preprocess(
        PreprocessOptions.from_config(
            cfg, data_dir=root, out_dir=out, splits_dir=tmp_path / "splits", num_workers=1, progress=False
        )
    )
    sr, hop = cfg.audio.sample_rate, cfg.audio.hop_length
    spec = TargetSpec(sample_rate=sr, hop_length=hop)
    ds = FixedCropDataset(ShardIndex.for_split(out, "val", sample_rate=sr), crop_s=4.0, spec=spec)
    assert len(ds) == 4  # two 6 s files -> windows at 0 and 4 s each
    val_pairs = {p.audio_filename: p for p in pairs if p.split == "val"}
    checked = 0
    for i in range(len(ds)):
        item = ds[i]
        audio, onsets = item["audio"].numpy(), item["onsets"].numpy()
        assert onsets.shape == (frame_count(audio.shape[0], hop), 8)
        ex = int(ds.window_example[i])
        offset_s = int(ds.window_start[i]) / sr
        hits = sorted(val_pairs[ds.index.audio_filename[ex]].hits)
        for t, _note, _vel in hits:
            local = t - offset_s
            if not 0.0 <= local < 4.0:
                continue
            f = round(local * 100)
            assert onsets[f].max() == 1.0
            # the burst's start in the audio: first sample above a threshold near t
            s0 = round(local * sr)
            seg = np.abs(audio[max(s0 - hop, 0) : s0 + hop])
            first = int(np.argmax(seg > 0.02)) + max(s0 - hop, 0)
            assert abs(first - f * hop) <= hop // 2 + 2
            checked += 1
        onset_frames = np.flatnonzero(onsets.max(axis=1) == 1.0)
        local_times = [t - offset_s for t, _, _ in hits if 0 <= t - offset_s < 4.0]
        assert len(onset_frames) == len({round(t * 100) for t in local_times})
    assert checked >= 6
