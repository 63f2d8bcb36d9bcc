"""Live mode (issue 26): algorithmic latency, compute per 10 ms block on one core, end-to-end delay.

Two live models are measured:

* ``shipped``: the bundled preliminary live model (runtime/src/drumscribe/models/live/), a
  narrow network trained for minutes;
* ``recipe``: the live recipe's network (configs/live_model.yaml) with random weights, exported
  by :func:`drumscribe_exporters.live_export.export_live_model`: what the real live model will
  cost (same graph, other weights).

Numbers:

* declared algorithmic latency (the sidecar's ``latency_s``, plus the resampler's 1 ms at 48 kHz);
* compute per 10 ms block on one core (onnxruntime ``intra_op_num_threads=1``): one model call
  of one hop, and one :meth:`LiveTranscriber.push` of 10 ms at 48 kHz (resampling, the model,
  peak picking), p50/p95/p99/max;
* end-to-end delay from a sample entering ``push`` to its hit leaving it, for 10 ms blocks at
  48 kHz arriving in real time: the audio time from the end of the block holding the hit's
  sample to the end of the block whose push returned the hit, plus that push's compute time
  (measured). Median, 95th percentile, max and jitter (standard deviation). The hits are the
  model's on drum-like noise bursts with thresholds at each lane's 99th activation percentile,
  so that every model gives hits (the delay does not depend on whether they are right).

Tests never assert on these times.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _bench import measure, quick, report, rounds

BLOCK_S = 0.010
CARD_RATE = 48000
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=["shipped", "recipe"])
def live_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from drumscribe.live import load_live_model

    if request.param == "shipped":
        return load_live_model()
    import torch

    from drumscribe_exporters.live_export import export_live_model
    from drumscribe_training.config import load_config
    from drumscribe_training.network.crnn import build_model

    cfg = load_config(REPO / "configs" / "live_model.yaml")
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("live-recipe") / "model.onnx"
    export_live_model(build_model(cfg).eval(), cfg, out, name="live-recipe-random-weights")
    return load_live_model(out)


def _label(model: Any) -> str:
    return str(model.spec.name)


def test_live_compute_per_block(benchmark: Any, live_model: Any) -> None:
    """One model call of one 10 ms hop and one 10 ms push at 48 kHz, one thread."""
    from drumscribe import LiveTranscriber
    from support.tiny_model import drum_like_audio

    benchmark.group = "live: compute per 10 ms block (1 thread)"
    hops = 200 if quick() else 3000
    hop = live_model.spec.hop_length
    audio, _ = drum_like_audio(seconds=hops * hop / live_model.spec.sample_rate + 0.1, seed=11)
    card, _ = drum_like_audio(seconds=hops * BLOCK_S + 0.1, sample_rate=CARD_RATE, seed=11)
    step = round(BLOCK_S * CARD_RATE)

    def run() -> tuple[list[float], list[float]]:
        state = live_model.initial_state()
        calls = []
        for j in range(hops):
            t0 = time.perf_counter()
            _o, _v, state = live_model.step(audio[j * hop : (j + 1) * hop], state)
            calls.append(time.perf_counter() - t0)
        live = LiveTranscriber(live_model, sample_rate=CARD_RATE)
        pushes = []
        for j in range(hops):
            t0 = time.perf_counter()
            live.push(card[j * step : (j + 1) * step])
            pushes.append(time.perf_counter() - t0)
        return calls, pushes

    (calls, pushes), _ = measure(benchmark, run, rounds=rounds(1))
    c, p = 1000 * np.asarray(calls), 1000 * np.asarray(pushes)
    cq = [float(np.percentile(c, q)) for q in (50, 95, 99, 100)]
    pq = [float(np.percentile(p, q)) for q in (50, 95, 99, 100)]
    report(
        benchmark,
        f"live {_label(live_model)}: compute per 10 ms block, 1 thread: model call p50 {cq[0]:.3f} ms,"
        f" p95 {cq[1]:.3f}, p99 {cq[2]:.3f}, max {cq[3]:.2f}; push at 48 kHz p50 {pq[0]:.3f} ms,"
        f" p95 {pq[1]:.3f}, p99 {pq[2]:.3f}, max {pq[3]:.2f} ({hops} blocks)",
        model=_label(live_model),
        blocks=hops,
        call_ms_p50=cq[0],
        call_ms_p95=cq[1],
        call_ms_p99=cq[2],
        call_ms_max=cq[3],
        push_ms_p50=pq[0],
        push_ms_p95=pq[1],
        push_ms_p99=pq[2],
        push_ms_max=pq[3],
        declared_latency_s=live_model.live.latency_s,
    )


@pytest.mark.parametrize("peak_rule", [None, "rise"])
def test_live_end_to_end_delay(benchmark: Any, live_model: Any, peak_rule: str | None) -> None:
    """Delay from a hit's sample entering push to the hit leaving push, 10 ms blocks at 48 kHz,
    with the sidecar's peak rule and with ``rise`` (no confirmation frame)."""
    from drumscribe import LiveTranscriber
    from support.tiny_model import drum_like_audio

    benchmark.group = "live: end-to-end delay"
    seconds = 5.0 if quick() else 60.0
    audio, _ = drum_like_audio(seconds=seconds, sample_rate=CARD_RATE, seed=5, hits_per_s=6.0)
    thresholds = _percentile_thresholds(live_model, audio)
    step = round(BLOCK_S * CARD_RATE)

    def run() -> list[float]:
        live = LiveTranscriber(live_model, sample_rate=CARD_RATE, threshold=thresholds, peak_rule=peak_rule)
        delays = []
        for j in range(0, audio.size, step):
            t0 = time.perf_counter()
            hits = live.push(audio[j : j + step])
            compute = time.perf_counter() - t0
            end_s = min(j + step, audio.size) / CARD_RATE
            for hit in hits:  # the hit's sample arrived with the block holding it
                block = round(hit.time_s * CARD_RATE) // step
                arrived_s = min((block + 1) * step, audio.size) / CARD_RATE
                delays.append(end_s - arrived_s + compute)
        live.finish()
        return delays

    delays, _ = measure(benchmark, run, rounds=rounds(1))
    d = 1000 * np.asarray(delays)
    declared = LiveTranscriber(live_model, sample_rate=CARD_RATE, peak_rule=peak_rule).latency_s
    label = _label(live_model) + (f" ({peak_rule} rule)" if peak_rule else "")
    if d.size == 0:
        report(benchmark, f"live {label}: no hits to time", model=label)
        return
    report(
        benchmark,
        f"live {label}: end-to-end delay (10 ms blocks at 48 kHz, {d.size} hits): median"
        f" {np.median(d):.1f} ms, p95 {np.percentile(d, 95):.1f} ms, max {d.max():.1f} ms, jitter (sd)"
        f" {d.std():.1f} ms; declared algorithmic latency {1000 * declared:.1f} ms",
        model=label,
        hits=int(d.size),
        delay_ms_median=float(np.median(d)),
        delay_ms_p95=float(np.percentile(d, 95)),
        delay_ms_max=float(d.max()),
        delay_ms_sd=float(d.std()),
        declared_latency_s=declared,
    )


def _percentile_thresholds(model: Any, audio: np.ndarray) -> list[float]:
    """Each lane's 99th activation percentile on ``audio`` (clipped to 0.01..1)."""
    import soxr

    x = soxr.resample(audio, CARD_RATE, model.spec.sample_rate).astype(np.float32)
    hop = model.samples_per_call
    state = model.initial_state()
    acts = []
    for j in range(x.size // hop):
        onsets, _v, state = model.step(x[j * hop : (j + 1) * hop], state)
        acts.append(onsets)
    a = np.concatenate(acts)
    return [float(v) for v in np.clip(np.percentile(a, 99, axis=0), 0.01, 1.0)]
