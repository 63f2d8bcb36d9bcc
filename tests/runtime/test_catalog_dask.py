"""The Dask recipe of docs/CATALOGS.md (scripts/catalog_dask.py) in Dask's local mode."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest
import soundfile as sf

from drumscribe.catalog import collect_inputs, summary_path
from support.tiny_model import SAMPLE_RATE, drum_like_audio

REPO = Path(__file__).resolve().parents[2]
SHARDS = 3


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_dask_recipe_covers_the_catalog_once(tiny_model_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("dask")
    spec = importlib.util.spec_from_file_location("catalog_dask", REPO / "scripts" / "catalog_dask.py")
    assert spec is not None and spec.loader is not None
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    songs = tmp_path / "songs"
    for i in range(7):
        path = songs / f"set {i % 2}" / f"{i:02d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, drum_like_audio(seconds=1.0, seed=60 + i)[0], SAMPLE_RATE)
    out = tmp_path / "charts"
    codes = recipe.run(
        [str(songs)],
        out_dir=out,
        shards=SHARDS,
        scheduler="processes",
        extra=["--model", str(tiny_model_path)],
    )
    assert codes == [0] * SHARDS
    done = []
    for k in range(1, SHARDS + 1):
        with summary_path(out, (k, SHARDS)).open(newline="") as fh:
            done += [r["input"] for r in csv.DictReader(fh) if r["status"] == "ok"]
    assert sorted(done) == sorted(str(p) for p, _ in collect_inputs([songs]))
    assert len(list(out.rglob("*.mid"))) == 7
