"""Real-time factor of the band-part renderer (issue 22): seconds of band audio per second.

Warm caches (one SoundFont synth per process, notes pre-rendered per clip), as in a synth
worker after its first clips; the validation split's SoundFont, vocals when espeak-ng is
installed.
"""

from __future__ import annotations

import numpy as np
import pytest

CLIP_S = 30.0


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
