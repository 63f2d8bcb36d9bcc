"""Helpers of the synth tests: kits that need Debian packages."""

from __future__ import annotations

import os

import pytest


def require_installed(names: list[str] | tuple[str, ...]) -> None:
    """Skip when kits are not installed, but fail under CI (where setup_kits.sh ran)."""
    from drumscribe_training.synth.registry import missing_kits

    missing = missing_kits(names)
    if missing:
        msg = f"kits not installed: {missing}; run scripts/setup_kits.sh"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


def require_gmd() -> None:
    from drumscribe_training.synth.gmd import gmd_root

    if not (gmd_root() / "info.csv").is_file():
        msg = f"Groove MIDI Dataset not found at {gmd_root()}"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
