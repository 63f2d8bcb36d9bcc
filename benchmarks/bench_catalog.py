"""Catalog throughput: ``drumscribe.catalog.run_catalog`` over a folder of songs, --jobs 1 and 2.

Songs and hours of audio per minute of wall time, with the workers' start-up (spawn, import,
model load) included, as a user's catalog run pays it. Per-song time against length is
``bench_transcribe.py::test_rtf``; the ratio against torch eager is ``test_engines``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import _bench
import pytest

#: Songs in the catalog and seconds each (full size; quick mode shrinks both).
SONGS, SONG_S = 8, 60.0
QUICK_SONGS, QUICK_SONG_S = 3, 2.0
SECONDS_PER_MINUTE = 60.0


@pytest.fixture(scope="module")
def catalog_dir(audio_dir: Path) -> Path:
    n, seconds = (QUICK_SONGS, QUICK_SONG_S) if _bench.quick() else (SONGS, SONG_S)
    folder = audio_dir / "catalog"
    for i in range(n):
        _bench.write_drum_wav(folder / f"album {i % 2}" / f"{i:02d}.wav", seconds, seed=100 + i)
    return folder


@pytest.mark.parametrize("jobs", [1, 2])
def test_catalog_throughput(
    benchmark: Any, jobs: int, bench_model_path: Path, catalog_dir: Path, tmp_path: Path
) -> None:
    from drumscribe.catalog import CatalogOptions, collect_inputs, run_catalog

    catalog = collect_inputs([catalog_dir])
    options = CatalogOptions(fmt="midi", model=str(bench_model_path))
    runs = iter(range(1000))

    def run() -> list[Any]:
        out = tmp_path / f"run{next(runs)}"
        code, results = run_catalog(catalog, options=options, out_dir=out, jobs=jobs, quiet=True)
        assert code == 0
        return results

    results, times = _bench.measure(benchmark, run, rounds=_bench.rounds(2))
    wall = _bench.best(times)
    audio_s = sum(r.duration_s or 0.0 for r in results)
    songs_per_min = len(results) / wall * SECONDS_PER_MINUTE
    hours_per_min = audio_s / 3600.0 / wall * SECONDS_PER_MINUTE
    _bench.report(
        benchmark,
        f"catalog --jobs {jobs}: {len(results)} songs, {audio_s:.0f} s of audio in {wall:.2f} s:"
        f" {songs_per_min:.1f} songs/min, {hours_per_min:.3f} audio h/min, {audio_s / wall:.0f}x real time",
        jobs=jobs,
        songs=len(results),
        audio_s=audio_s,
        wall_s=wall,
        songs_per_min=songs_per_min,
        audio_hours_per_min=hours_per_min,
        realtime=audio_s / wall,
    )
