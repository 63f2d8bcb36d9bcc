"""Cost of the band-part renderer (issue 22).

- :func:`test_band_render_rtf`: real-time factor, seconds of band audio per second, 30 s
  clips, the validation split's SoundFont.
- :func:`test_band_on_the_fly_crop_cost`: seconds per training crop rendered on the fly
  with ``band_mix.on_the_fly`` (``ClipRenderer.render_band``: a ``data.crop_s`` crop at
  ``audio.sample_rate``, the train split's sources, resampling included).

Warm caches (one SoundFont synth per process, notes and syllables pre-rendered), as in a
synth or loader worker after its first clips; vocals when espeak-ng is installed.
"""

from __future__ import annotations

import _bench
import numpy as np
import pytest

CLIP_S = 30.0
#: Band parts rendered before timing the on-the-fly crops (loads the SoundFonts, fills caches).
CROP_WARMUP = 24


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
