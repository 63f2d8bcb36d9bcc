"""Band-part test helpers: the band sources' guard and the test band bank's size."""

from __future__ import annotations

import os

import pytest

#: The test band bank (tests/training/conftest.py ``band_bank``): entries of this many seconds,
#: this many of them, from this seed.
BANK_ENTRY_S = 2.5
BANK_ENTRIES = 3
BANK_SEED = 4


def need_band_sources(split: str = "train") -> None:
    """Skip (fail on CI) when ``split`` has no installed band SoundFont (scripts/setup_kits.sh)."""
    from drumscribe_training.synth.band import BandSourceError, soundfonts_for_split

    try:
        soundfonts_for_split(split)
    except BandSourceError as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
