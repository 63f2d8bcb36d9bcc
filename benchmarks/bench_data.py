"""Data pipeline benchmarks (pytest-benchmark; outside the default test run).

Run::

    uv run pytest benchmarks/bench_data.py --benchmark-only -s -p no:cacheprovider

Measures, on this machine, in one run:

- preprocessing throughput (audio hours per minute) with 1 and 2 worker processes;
- disk use per audio hour and random 4 s crop reads per second for each shard compression
  (none / gzip+shuffle / lzf+shuffle), with the projection for the full E-GMD (444 h);
- loader throughput (training examples per second) with and without augmentation, in one
  process and with 2 DataLoader workers;
- the seed model's training step rate (batch ``training.batch_size`` of ``data.crop_s``
  crops) on this machine's CPU (and CUDA when present), next to the loader rate.

Audio: a ``data/synth-10h``-style E-GMD folder rendered from real drum samples when one is
found (``DRUMSCRIBE_BENCH_EGMD`` or ``data/synth-10h``; its first rows), otherwise the
generated noise-burst set of :mod:`support.egmd_testdata` (compression ratios
are only meaningful on real drum audio). Each result line is printed (use ``-s``) and kept
in the benchmark's ``extra_info``.

Quick mode (``DRUMSCRIBE_BENCH_QUICK=1``, on under ``--benchmark-disable``; see conftest.py):
always the generated set, 8 pairs of 6 s, a few batches, one round, batch 2 x 1 s for the
train step. The trainer's own step (its losses, bf16 autocast) is in ``bench_train.py``.
"""

from __future__ import annotations

import csv
import os
import shutil
import time
from pathlib import Path

import _bench
import numpy as np
import pytest

from drumscribe_training.config import load_config
from drumscribe_training.data.egmd import CSV_HEADER, find_index_csv
from drumscribe_training.data.preprocess import PreprocessOptions, run_preprocess
from support.egmd_testdata import write_tiny_egmd

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Full E-GMD, hours of audio.
EGMD_HOURS = 444.0
#: Rows of a real (synthetic-kit) set used for the benchmark, and their split shares.
REAL_ROWS = 160
REAL_SPLIT_SHARES = {"train": 0.8, "validation": 0.1, "test": 0.1}
#: Pairs x seconds of the generated fallback set.
GEN_PAIRS, GEN_SECONDS = 32, 30.0
LOADER_BATCHES = 30
CROP_READS = 300

#: Quick mode: pairs x seconds of the generated set, loader batches, crop reads.
QUICK_GEN = (8, 6.0)
QUICK_LOADER_BATCHES = 3
QUICK_CROP_READS = 20

RESULTS: dict[str, str] = {}


def _report(key: str, line: str, benchmark=None, **info: float) -> None:
    RESULTS[key] = line
    print(f"\n[bench_data] {line}")
    _bench.report(benchmark, line, key=key, **info)


@pytest.fixture(scope="session")
def cfg():
    return load_config()


@pytest.fixture(scope="session")
def egmd(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path | None, str]:
    """(data_dir, csv_path or None, description)."""
    candidates = [os.environ.get("DRUMSCRIBE_BENCH_EGMD"), str(REPO_ROOT / "data" / "synth-10h")]
    if _bench.quick():
        candidates = []
    for cand in candidates:
        if not cand:
            continue
        try:
            index = find_index_csv(cand)
        except Exception:
            continue
        tmp = tmp_path_factory.mktemp("subset")
        with open(index, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        present = [r for r in rows if (Path(cand) / r["audio_filename"]).is_file()]
        picked = []
        for split, share in REAL_SPLIT_SHARES.items():
            picked += [r for r in present if r["split"] == split][: round(REAL_ROWS * share)]
        if len(picked) < 8:
            continue
        sub = tmp / "subset.csv"
        with open(sub, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(CSV_HEADER))
            w.writeheader()
            w.writerows(picked)
        return Path(cand), sub, f"{len(picked)} rows of {cand} (rendered drum samples)"
    pairs, seconds = QUICK_GEN if _bench.quick() else (GEN_PAIRS, GEN_SECONDS)
    root, _ = write_tiny_egmd(
        tmp_path_factory.mktemp("gen") / "e-gmd",
        n_train=pairs - pairs // 4,
        n_val=pairs // 8,
        n_test=pairs // 8,
        duration_s=seconds,
        hits_per_s=6.0,
    )
    return root, None, f"{pairs} generated noise-burst pairs of {seconds:.0f} s"


def _options(cfg, egmd, out: Path, **kw) -> PreprocessOptions:
    data_dir, csv_path, _ = egmd
    return PreprocessOptions.from_config(
        cfg,
        data_dir=data_dir,
        csv_path=csv_path,
        out_dir=out,
        splits_dir=out / "splits",
        progress=False,
        **kw,
    )


def _fresh(out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)


@pytest.mark.parametrize(("workers", "compression"), [(1, "none"), (2, "none"), (1, "gzip"), (2, "gzip")])
def test_preprocess_throughput(benchmark, cfg, egmd, tmp_path: Path, workers: int, compression: str) -> None:
    out = tmp_path / "proc"
    opts = _options(cfg, egmd, out, num_workers=workers, compression=compression)
    summary, times = _bench.measure(
        benchmark, lambda: run_preprocess(opts), setup=lambda: _fresh(out), rounds=_bench.rounds(2)
    )
    hours = sum(s["hours"] for s in summary["splits"].values())
    minutes = _bench.best(times) / 60.0
    rate = hours / minutes
    _report(
        f"preprocess_{workers}_{compression}",
        f"preprocess, {workers} worker(s), compression {compression}: {hours * 60:.1f} min of audio in "
        f"{minutes * 60:.1f} s = {rate:.2f} audio h/min ({egmd[2]}); "
        f"full E-GMD ({EGMD_HOURS:.0f} h) ~ {EGMD_HOURS / rate:.0f} min",
        benchmark,
        audio_hours=hours,
        audio_hours_per_minute=rate,
        source=egmd[2],
    )


@pytest.mark.parametrize("compression", ["none", "gzip", "lzf"])
def test_compression_disk_and_reads(benchmark, cfg, egmd, tmp_path: Path, compression: str) -> None:
    import h5py

    out = tmp_path / "proc"
    summary = run_preprocess(_options(cfg, egmd, out, num_workers=2, compression=compression))
    hours = sum(s["hours"] for s in summary["splits"].values())
    shards = sorted(out.glob("*.h5"))
    size = sum(p.stat().st_size for p in shards)
    raw_bytes_per_hour = 3600 * cfg.audio.sample_rate * 2
    per_hour = size / hours
    crop = round(cfg.data.crop_s * cfg.audio.sample_rate)
    files = [h5py.File(p, "r", locking=False, rdcc_nbytes=1 << 18) for p in shards]
    lengths = [f["audio"].shape[0] for f in files]
    rng = np.random.default_rng(0)
    n_reads = QUICK_CROP_READS if _bench.quick() else CROP_READS

    def reads() -> None:
        for _ in range(n_reads):
            k = int(rng.integers(len(files)))
            if lengths[k] <= crop:
                continue
            s = int(rng.integers(lengths[k] - crop))
            files[k]["audio"][s : s + crop]

    _, times = _bench.measure(benchmark, reads, rounds=_bench.rounds(3))
    for f in files:
        f.close()
    reads_per_s = n_reads / _bench.best(times)
    projected = per_hour * EGMD_HOURS / 1e9
    _report(
        f"compression_{compression}",
        f"compression {compression:>4}: {per_hour / 1e6:.1f} MB per audio hour "
        f"({per_hour / raw_bytes_per_hour:.2f} of raw int16), full E-GMD ~ {projected:.1f} GB; "
        f"{reads_per_s:.0f} random {cfg.data.crop_s:.0f} s crop reads/s",
        benchmark,
        mb_per_hour=per_hour / 1e6,
        projected_gb=projected,
        crop_reads_per_s=reads_per_s,
    )


@pytest.fixture(scope="module")
def processed(cfg, egmd, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("loader") / "proc"
    run_preprocess(_options(cfg, egmd, out, num_workers=2))
    return out


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("augment", [False, True])
def test_loader_throughput(benchmark, cfg, processed: Path, augment: bool, workers: int) -> None:
    import torch

    from drumscribe_training.data.datamodule import EGMDDataModule

    torch.manual_seed(0)
    dm = EGMDDataModule(cfg, processed_dir=processed, num_workers=workers, augment=augment, pin_memory=False)
    dm.setup("fit")
    bs = dm.batch_size
    next_batch = _bench.train_batches(dm)
    n_batches = QUICK_LOADER_BATCHES if _bench.quick() else LOADER_BATCHES

    def run() -> None:
        for _ in range(n_batches):
            next_batch()

    _, times = _bench.measure(benchmark, run, rounds=_bench.rounds(3))
    rate = n_batches * bs / _bench.best(times)
    _report(
        f"loader_{augment}_{workers}",
        f"loader, augment={'on ' if augment else 'off'}, {workers} worker(s): {rate:.1f} examples/s "
        f"({rate * cfg.data.crop_s:.0f} s of audio/s, batch {bs} x {cfg.data.crop_s:.0f} s)",
        benchmark,
        examples_per_s=rate,
    )


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_model_train_step(benchmark, cfg, device: str) -> None:
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from drumscribe_training.network.crnn import build_model

    torch.manual_seed(0)
    model = build_model(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    bs, crop_s = (2, 1.0) if _bench.quick() else (cfg.training.batch_size, cfg.data.crop_s)
    n = round(crop_s * cfg.audio.sample_rate)
    audio = (torch.randn(bs, n) * 0.1).to(device)
    target = (torch.rand(bs, n // cfg.audio.hop_length + 1, 8) < 0.02).float().to(device)

    def step() -> None:
        onset, _vel = model(audio)
        frames = min(onset.shape[1], target.shape[1])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(onset[:, :frames], target[:, :frames])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device == "cuda":
            torch.cuda.synchronize()

    if device == "cuda":
        step()  # warm-up (cuDNN autotuning); on CPU one step is slow enough
    _, times = _bench.measure(benchmark, step, rounds=_bench.rounds(1 if device == "cpu" else 20))
    steps = 1.0 / _bench.best(times)
    _report(
        f"model_{device}",
        f"model train step on {device} ({torch.get_num_threads()} threads), batch {bs} x "
        f"{crop_s:.0f} s: {steps:.2f} steps/s = {steps * bs:.1f} examples/s",
        benchmark,
        steps_per_s=steps,
        examples_per_s=steps * bs,
    )


def test_zz_summary() -> None:
    """Print every result line together (runs last in file order)."""
    time.sleep(0)
    print("\n[bench_data] summary\n" + "\n".join(f"  {v}" for v in RESULTS.values()))
