"""Shared fixtures of the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_egmd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic E-GMD-shaped folder rendered with the in-code ``tiny`` kit.

    About 12 clips of 3-5 s (procedural grooves, all 22 Roland notes possible) across
    train/validation/test: ``e-gmd-v1.0.0.csv`` with E-GMD's header and
    ``drummer11/<session>/*.wav`` (44.1 kHz 16-bit mono) + ``.midi``. Needs no Debian
    packages and no Groove MIDI files. Returns the root folder; treat it as read-only.
    """
    from drumscribe_training.synth.writer import SynthSettings, write_dataset

    root = tmp_path_factory.mktemp("tiny-egmd") / "e-gmd"
    settings = SynthSettings(
        hours=50.0 / 3600.0,
        seed=0,
        kits=("tiny",),
        split_kits=True,
        procedural_fraction=1.0,
        realism=1.0,
        clip_seconds=(2.0, 3.5),
    )
    write_dataset(root, settings, num_workers=1, progress=False)
    return root


@pytest.fixture(scope="session")
def tiny_processed(tiny_egmd: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tiny_egmd`` preprocessed into HDF5 shards (one worker); returns the shard folder."""
    from drumscribe_training.config import load_config
    from drumscribe_training.data.preprocess import PreprocessOptions, run_preprocess

    out = tmp_path_factory.mktemp("processed")
    opts = PreprocessOptions.from_config(
        load_config(),
        data_dir=tiny_egmd,
        out_dir=out / "shards",
        splits_dir=out / "splits",
        num_workers=1,
        progress=False,
    )
    run_preprocess(opts)
    return out / "shards"


@pytest.fixture(scope="session")
def band_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A train-split band bank of ``BANK_ENTRIES`` grooves of ``BANK_ENTRY_S`` (one worker,
    seed 4); returns its folder."""
    from drumscribe_training.synth.band.bank_writer import build_band_bank
    from support.band import BANK_ENTRIES, BANK_ENTRY_S, BANK_SEED, need_band_sources

    need_band_sources("train")
    out = tmp_path_factory.mktemp("band-bank") / "bank"
    build_band_bank(
        out, minutes=BANK_ENTRIES * BANK_ENTRY_S / 60.0, entry_s=BANK_ENTRY_S, seed=BANK_SEED, progress=False
    )
    return out
