"""Cost of the band-part renderer (issue 22).

- :func:`test_band_render_rtf`: real-time factor, seconds of band audio per second, 30 s
  clips, the validation split's SoundFont.
- :func:`test_band_on_the_fly_crop_cost`: seconds per training crop rendered on the fly
  with ``band_mix.on_the_fly`` (``ClipRenderer.render_band``: a ``data.crop_s`` crop at
  ``audio.sample_rate``, the train split's sources, resampling included).
- :func:`test_band_bank_crop_cost`: the same crop's band part and groove taken from a band bank
  (``band_mix.bank``: decoded once, memory-mapped), and the bank's build rate and bitrate.
- :func:`test_mixing_loader_throughput`: examples per second of the training loader when stored
  crops are mixed with their stored band parts (``band_mix``: 70 % mixed, half of those through
  the mastering chain, augmentation on), against the same loader with ``band_mix`` off on the
  same preprocessed set, in one run. The set is generated (noise-burst drums, decaying tones
  as band parts), so it needs no SoundFont.

Warm caches (one SoundFont synth per process, notes and syllables pre-rendered), as in a
synth or loader worker after its first clips; vocals when espeak-ng is installed.
"""

from __future__ import annotations

from pathlib import Path

import _bench
import numpy as np
import pytest

CLIP_S = 30.0
#: Generated set for the mixing loader: pairs x seconds (full, quick), batches timed per round.
MIX_SET, QUICK_MIX_SET = (16, 30.0), (4, 6.0)
MIX_BATCHES, QUICK_MIX_BATCHES = 30, 3
#: The mix recipe measured (the shape of the default model's mix stages).
MIX_SETTINGS = {"probability": 0.7, "master_probability": 0.5, "band_only_probability": 0.05}
#: Band parts rendered before timing the on-the-fly crops (loads the SoundFonts, fills caches).
CROP_WARMUP = 24
#: Minutes of band bank built for its crop cost (full, quick).
BANK_MINUTES = {False: 2.0, True: 0.1}


def test_band_render_rtf(benchmark) -> None:  # type: ignore[no-untyped-def]
    from drumscribe_training.synth.band import BandSourceError, render_band_part, soundfonts_for_split
    from drumscribe_training.synth.events import SAMPLE_RATE
    from drumscribe_training.synth.procedural import generate_groove

    try:
        soundfonts_for_split("validation")
    except BandSourceError as exc:
        pytest.skip(str(exc))
    g = generate_groove(np.random.default_rng(0), CLIP_S, fill_clip=False)
    n = round(g.duration_s * SAMPLE_RATE)
    seeds = iter(range(10**6))

    def render() -> None:
        render_band_part(
            drum_events=g.events, quarter_s=60.0 / g.bpm, time_signature=g.time_signature,
            drum_style=g.style, n_samples=n, split="validation", rng=np.random.default_rng(next(seeds)),
        )  # fmt: skip

    for _ in range(3):  # warm the synth and the caches
        render()
    benchmark.pedantic(render, rounds=8, iterations=1)
    benchmark.extra_info["audio_s"] = n / SAMPLE_RATE
    if benchmark.stats is not None:  # None in quick mode (--benchmark-disable): nothing was timed
        benchmark.extra_info["real_time_factor"] = round(n / SAMPLE_RATE / benchmark.stats.stats.mean, 1)


def test_band_on_the_fly_crop_cost(benchmark) -> None:  # type: ignore[no-untyped-def]
    from drumscribe_training.config import load_config
    from drumscribe_training.synth import ClipRenderer
    from drumscribe_training.synth.band import BandSourceError, soundfonts_for_split

    try:
        soundfonts_for_split("train")
    except BandSourceError as exc:
        pytest.skip(str(exc))
    cfg = load_config()
    crop_s = 1.0 if _bench.quick() else cfg.data.crop_s
    renderer = ClipRenderer("train", cfg.audio.sample_rate, kits=["tiny"], procedural_fraction=0.5)
    rng = np.random.default_rng(0)

    def next_clip():  # type: ignore[no-untyped-def]
        return (renderer.render(crop_s, rng=rng), rng), {}

    for _ in range(0 if _bench.quick() else CROP_WARMUP):
        renderer.render_band(*next_clip()[0])
    _, times = _bench.measure(benchmark, renderer.render_band, rounds=_bench.rounds(40), setup=next_clip)
    mean, best = float(np.mean(times)), _bench.best(times)
    line = (
        f"band part per on-the-fly crop ({crop_s:g} s at {cfg.audio.sample_rate} Hz): "
        f"{mean * 1e3:.0f} ms mean, {_bench.median(times) * 1e3:.0f} ms median, {best * 1e3:.0f} ms best"
    )
    _bench.report(benchmark, line, crop_s=crop_s, mean_s=round(mean, 4), best_s=round(best, 4))


def test_band_bank_crop_cost(benchmark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from drumscribe_training.config import load_config
    from drumscribe_training.synth.band import BandSourceError
    from drumscribe_training.synth.band.bank import BandBank
    from drumscribe_training.synth.band.bank_writer import build_band_bank

    cfg = load_config()
    crop_s = 1.0 if _bench.quick() else cfg.data.crop_s
    try:
        built = build_band_bank(tmp_path / "bank", minutes=BANK_MINUTES[_bench.quick()], progress=False)
    except BandSourceError as exc:
        pytest.skip(str(exc))
    bank = BandBank.open(tmp_path / "bank")
    rate, n = cfg.audio.sample_rate, round(crop_s * cfg.audio.sample_rate)
    rng = np.random.default_rng(0)

    def fetch() -> np.ndarray:
        entry, offset_s = bank.draw(rng, duration_s=crop_s)
        bank.events(entry, offset_s=offset_s, duration_s=crop_s)
        return bank.band(entry, offset_s=offset_s, n_samples=n, sample_rate=rate)

    _, times = _bench.measure(benchmark, fetch, rounds=_bench.rounds(200))
    mean, best = float(np.mean(times)), _bench.best(times)
    build_rtf = built["minutes"] * 60.0 / built["seconds"]
    line = (
        f"band part per crop from a band bank ({crop_s:g} s at {rate} Hz): {mean * 1e6:.0f} us mean, "
        f"{best * 1e6:.0f} us best; bank built at {build_rtf:.0f}x real time (one process), "
        f"{built['kbit_s']:g} kbit/s"
    )
    _bench.report(benchmark, line, crop_s=crop_s, mean_s=round(mean, 6), best_s=round(best, 6),
                  build_rtf=round(build_rtf, 1), kbit_s=built["kbit_s"])  # fmt: skip


def _tone_band(n: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """A band-like stem: decaying harmonic notes every 0.25-0.5 s over low noise (float32)."""
    t = np.arange(n) / sample_rate
    out = 0.01 * rng.standard_normal(n)
    start = 0
    while start < n:
        f0 = 55.0 * 2 ** (rng.integers(0, 36) / 12)
        length = min(n - start, int(sample_rate * rng.uniform(0.25, 0.5)))
        seg = t[:length]
        note = sum(np.sin(2 * np.pi * k * f0 * seg) / k for k in (1, 2, 3)) * np.exp(-seg * 4.0)
        out[start : start + length] += 0.3 * note
        start += length
    return out.astype(np.float32)


@pytest.fixture(scope="module")
def mixed_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated E-GMD-layout set with a band part beside every clip, preprocessed."""
    import soundfile as sf

    from drumscribe_training.config import load_config
    from drumscribe_training.data.preprocess import PreprocessOptions, run_preprocess
    from drumscribe_training.synth.band.manifest import band_filename
    from support.egmd_testdata import write_tiny_egmd

    pairs, seconds = QUICK_MIX_SET if _bench.quick() else MIX_SET
    root, tiny = write_tiny_egmd(
        tmp_path_factory.mktemp("mix") / "e-gmd",
        n_train=pairs,
        n_val=2,
        n_test=2,
        duration_s=seconds,
        hits_per_s=6.0,
    )
    rng = np.random.default_rng(0)
    for pair in tiny:
        info = sf.info(root / pair.audio_filename)
        band = _tone_band(info.frames, info.samplerate, rng)
        sf.write(root / band_filename(pair.audio_filename), band, info.samplerate, subtype="PCM_16")
    out = root.parent / "processed"
    cfg = load_config()
    run_preprocess(
        PreprocessOptions.from_config(
            cfg, data_dir=root, out_dir=out, splits_dir=out / "splits", progress=False, num_workers=1
        )
    )
    return out


def _loader_rate(cfg, processed: Path, workers: int, benchmark=None) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(examples per second of the train loader, share of examples with a band part)."""
    import torch

    from drumscribe_training.data.datamodule import EGMDDataModule

    torch.manual_seed(0)
    dm = EGMDDataModule(cfg, processed_dir=processed, num_workers=workers, augment=True, pin_memory=False)
    dm.setup("fit")
    next_batch = _bench.train_batches(dm)
    n_batches = QUICK_MIX_BATCHES if _bench.quick() else MIX_BATCHES

    def run() -> None:
        for _ in range(n_batches):
            next_batch()

    if benchmark is not None:
        _, times = _bench.measure(benchmark, run, rounds=_bench.rounds(3))
    else:
        times = _bench.timed_rounds(run, rounds=_bench.rounds(3))
    share = dm.train_dataset.index.band_share  # type: ignore[union-attr]
    return n_batches * dm.batch_size / _bench.best(times), share


@pytest.mark.parametrize("workers", [0, 2])
def test_mixing_loader_throughput(benchmark, mixed_set: Path, workers: int) -> None:  # type: ignore[no-untyped-def]
    from drumscribe_training.config import load_config

    base = load_config()
    mixed, share = _loader_rate(base.replace(band_mix=MIX_SETTINGS), mixed_set, workers, benchmark)
    alone, _ = _loader_rate(base, mixed_set, workers)
    line = (
        f"mixing loader, {workers} worker(s), augment on: {mixed:.1f} examples/s "
        f"({mixed * base.data.crop_s:.0f} s of audio/s) with band_mix {MIX_SETTINGS}, "
        f"{alone:.1f} with band_mix off on the same set "
        f"(ratio {mixed / alone:.2f}; {100 * share:.0f} % of examples have a band part)"
    )
    _bench.report(
        benchmark,
        line,
        workers=workers,
        mixed_examples_per_s=mixed,
        drums_examples_per_s=alone,
        band_mix=MIX_SETTINGS,
        crop_s=base.data.crop_s,
    )
