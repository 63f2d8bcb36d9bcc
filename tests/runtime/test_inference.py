"""Chunked inference equals one whole-file pass; streaming equals offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import drumscribe
from drumscribe import DrumHit, StreamingTranscriber, inference


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
    # the first HEAD_S of frames come from the head pass after a lead of silence
    head = round(inference.HEAD_S * 100)
    lead = np.zeros(round(inference.LEAD_S * 16000), dtype=np.float32)
    padded, padded_vel = tiny_model.run(
        np.concatenate([lead, audio[: round(inference.HEAD_CONTEXT_S * 16000)]])[None, :]
    )
    first = len(lead) // 160
    whole[0][:head], whole_vel[0][:head] = (
        padded[0, first : first + head],
        padded_vel[0, first : first + head],
    )
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
    offline = drumscribe.transcribe(audio, sample_rate=44100, model=tiny_model, thresholds=0.3)
    stream = StreamingTranscriber(tiny_model, sample_rate=44100, threshold=0.3)
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


def _click(at_s: float, *, seconds: float = 2.0, sample_rate: int = 16000) -> np.ndarray:
    """A kick-like click (a decaying 60 Hz sine and a noise burst) at ``at_s``."""
    x = np.zeros(int(seconds * sample_rate), dtype=np.float32)
    t = np.arange(int(0.15 * sample_rate)) / sample_rate
    noise = np.random.default_rng(0).standard_normal(len(t))
    burst = 0.8 * (np.sin(2 * np.pi * 60 * t) * np.exp(-30 * t) + 0.5 * noise * np.exp(-200 * t))
    i = int(at_s * sample_rate)
    x[i : i + len(t)] += burst[: len(x) - i].astype(np.float32)
    return x


@pytest.mark.parametrize("at_s", [0.0, 0.01])
def test_a_hit_at_the_very_start_is_found(at_s: float) -> None:
    """Issue 23: a click at 0.000 s or 0.010 s gave no hit (the network had no left edge to hear
    it against); the head pass after a lead of silence finds it, offline and streaming alike."""
    model = drumscribe.load_model()
    audio = _click(at_s)
    offline = drumscribe.transcribe(audio, sample_rate=16000, model=model)
    kicks = [h for h in offline.hits if h.drum == "kick"]
    assert kicks and abs(kicks[0].time_s - at_s) <= 0.01, offline.hits
    stream = StreamingTranscriber(model, sample_rate=16000)
    hits = [h for b in range(0, len(audio), 441) for h in stream.push(audio[b : b + 441])] + stream.finish()
    _same_hits(sorted(hits), offline.hits)


def test_the_head_pass_changes_only_the_first_frames(drums_5s: tuple[np.ndarray, np.ndarray]) -> None:
    """Only the first HEAD_S of activations come from the padded head pass: the rest equal a
    chunked pass without it (a recurrent network run on a padded chunk would move them all)."""
    model = drumscribe.load_model()
    audio = np.concatenate([np.zeros(800, dtype=np.float32), drums_5s[0]])
    with_head = drumscribe.transcribe(audio, sample_rate=16000, model=model, keep_activations=True)
    whole, _ = model.run(audio[None, :])  # one chunk: the chunked pass is the whole-file pass
    n = round(inference.HEAD_S * 100)
    assert with_head.activations is not None
    assert_allclose(with_head.activations[n:], whole[0][n:], atol=1e-6)


_RELEASE_CODE = """
import sys
import numpy as np
import drumscribe

def rss_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

model = drumscribe.load_model(cache=False)
rng = np.random.default_rng(0)
audio = (0.1 * rng.standard_normal(30 * 16000)).astype(np.float32)
drumscribe.transcribe(audio, sample_rate=16000, model=model)
before = rss_kib()
model.release_memory()
after = rss_kib()
hits = drumscribe.transcribe(audio, sample_rate=16000, model=model).hits
print(before, after, len(hits))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmRSS from /proc")
def test_release_memory_hands_the_network_buffers_back() -> None:
    """After a 30 s pass the session holds its buffers (~200 MB for the bundled model);
    release_memory() returns most of them, and the model still runs afterwards."""
    proc = subprocess.run([sys.executable, "-c", _RELEASE_CODE], capture_output=True, text=True, check=True)
    before, after, _hits = (int(v) for v in proc.stdout.split())
    assert before - after > 100 * 1024, (before, after)
