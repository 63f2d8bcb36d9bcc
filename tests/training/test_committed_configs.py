"""Every committed config loads: a key added to the defaults must reach the flattened recipes."""

from __future__ import annotations

from pathlib import Path

import pytest

from drumscribe_training.config import load_config

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted([*(REPO / "configs").glob("*.yaml"), *(REPO / "experiments" / "configs").glob("*.yaml")])


def test_there_are_configs_to_check() -> None:
    assert any(p.name == "default_model.yaml" for p in CONFIGS)


@pytest.mark.parametrize("path", CONFIGS, ids=[str(p.relative_to(REPO)) for p in CONFIGS])
def test_committed_config_loads(path: Path) -> None:
    cfg = load_config(path)
    assert cfg.model.n_classes == 8
