"""Chunked inference equals one whole-file pass; streaming equals offline."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import drumscribe
from drumscribe import DrumHit, StreamingTranscriber


def _same_hits(a: list[DrumHit] | tuple[DrumHit, ...], b: list[DrumHit] | tuple[DrumHit, ...]) -> None:
    assert [(h.drum, h.velocity) for h in a] == [(h.drum, h.velocity) for h in b]
    assert_allclose([h.time_s for h in a], [h.time_s for h in b], atol=1e-6)


@pytest.mark.parametrize(("chunk_s", "context_s"), [(0.37, 0.02), (1.0, 0.05), (0.1, 0.03), (60.0, 0.0)])
def test_chunked_activations_equal_whole_file(
    tiny_model: drumscribe.Model, drums_5s: tuple[np.ndarray, np.ndarray], chunk_s: float, context_s: float
) -> None:
    audio, _ = drums_5s
    whole, whole_vel = tiny_model.run(audio[None, :])
    result = drumscribe.transcribe(
        audio,
        sample_rate=16000,
        model=tiny_model,
        chunk_s=chunk_s,
        context_s=context_s,
        keep_activations=True,
    )
    assert result.activations is not None
    assert result.activations.shape == whole[0].shape == (len(audio) // 160 + 1, 8)
    assert_allclose(result.activations, whole[0], atol=1e-5)
    offline = drumscribe.pick_peaks(
        whole[0], frame_rate=100.0, threshold=0.5, min_interval_s=0.03, velocities=whole_vel[0]
    )
    _same_hits(result.hits, offline)


def test_too_little_context_differs(
    tiny_model: drumscribe.Model, drums_5s: tuple[np.ndarray, np.ndarray]
) -> None:
    """The equality above is not vacuous: without context the chunk edges differ."""
    audio, _ = drums_5s
    whole, _ = tiny_model.run(audio[None, :])
    result = drumscribe.transcribe(
        audio, sample_rate=16000, model=tiny_model, chunk_s=0.1, context_s=0.0, keep_activations=True
    )
    assert result.activations is not None
    assert np.abs(result.activations - whole[0]).max() > 1e-3


@pytest.mark.parametrize("block", [1, 159, 160, 1000, 16000, 100_000])
def test_stream_equals_offline(
    tiny_model: drumscribe.Model, drums_5s: tuple[np.ndarray, np.ndarray], block: int
) -> None:
    audio, _ = drums_5s
    offline = drumscribe.transcribe(audio, sample_rate=16000, model=tiny_model, chunk_s=0.5, context_s=0.05)
    stream = StreamingTranscriber(tiny_model, sample_rate=16000, chunk_s=0.5, context_s=0.05)
    hits: list[DrumHit] = []
    step = block if block > 1 else 997  # block=1 would be slow; 997 is coprime with the hop
    for i in range(0, len(audio), step):
        hits += stream.push(audio[i : i + step])
    hits += stream.finish()
    assert hits == list(offline.hits)


def test_stream_emits_hits_before_the_end(
    tiny_model: drumscribe.Model, drums_5s: tuple[np.ndarray, np.ndarray]
) -> None:
    audio, _ = drums_5s
    stream = StreamingTranscriber(tiny_model, sample_rate=16000, chunk_s=0.5, context_s=0.05)
    early = stream.push(audio[: 3 * 16000])
    assert early, "hits of finished chunks come out while audio is still arriving"
    assert max(h.time_s for h in early) <= 3.0
    assert all(h.time_s < 3.0 - 0.05 for h in early)


def test_stream_resampled_input_equals_offline_array(tiny_model: drumscribe.Model) -> None:
    from support.tiny_model import drum_like_audio

    audio, _ = drum_like_audio(seconds=3.0, sample_rate=44100, seed=9)
    offline = drumscribe.transcribe(audio, sample_rate=44100, model=tiny_model)
    stream = StreamingTranscriber(tiny_model, sample_rate=44100)
    hits: list[DrumHit] = []
    for i in range(0, len(audio), 4410):
        hits += stream.push(audio[i : i + 4410])
    hits += stream.finish()
    _same_hits(hits, offline.hits)
    assert len(hits) > 3


def test_reset_starts_over(tiny_model: drumscribe.Model, drums_5s: tuple[np.ndarray, np.ndarray]) -> None:
    audio, _ = drums_5s
    stream = StreamingTranscriber(tiny_model, sample_rate=16000)
    first = stream.push(audio) + stream.finish()
    stream.reset()
    second = stream.push(audio) + stream.finish()
    assert first == second
