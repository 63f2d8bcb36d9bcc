"""Helpers shared by the benchmark modules (not a test module; pytest does not collect it).

- :func:`quick`: the quick mode (``DRUMSCRIBE_BENCH_QUICK=1``, set by ``conftest.py`` under
  ``--benchmark-disable``) shrinks inputs so that CI runs every benchmark once in seconds.
- :func:`measure`: runs a function through ``benchmark.pedantic`` and also keeps its own
  per-round wall times, so derived numbers (real-time factor, rates) exist in both modes
  (pytest-benchmark keeps no stats under ``--benchmark-disable``). Derived numbers use the
  fastest round (:func:`best`); pytest-benchmark's own table has mean, median and spread.
- :func:`report`: one result line, printed at the end of the session, plus ``extra_info``
  that ``scripts/write_benchmark_results.py`` turns into tables.
- :func:`write_drum_wav`: generated drum-like audio written to disk block by block.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

#: Result lines of this session, printed by conftest's terminal summary.
LINES: list[str] = []

#: Rate and layout of the generated audio files: what a song from a game's asset folder is.
FILE_RATE = 44100
FILE_CHANNELS = 2
#: Seconds generated per block when writing a file (the 60-minute file never sits in memory).
WRITE_BLOCK_S = 60.0


def quick() -> bool:
    """True in quick mode (tiny inputs, one round)."""
    return os.environ.get("DRUMSCRIBE_BENCH_QUICK", "0").strip().lower() not in ("", "0", "false", "no")


def rounds(full: int, quick_rounds: int = 1) -> int:
    return quick_rounds if quick() else full


def measure(
    benchmark: Any,
    fn: Callable[..., Any],
    *,
    rounds: int = 1,
    warmup_rounds: int = 0,
    setup: Callable[[], Any] | None = None,
) -> tuple[Any, list[float]]:
    """Run ``fn`` under ``benchmark.pedantic``; return (last result, timed round seconds).

    Under ``--benchmark-disable`` pytest-benchmark runs ``fn`` once (no warm-up): the list
    then holds that one time.
    """
    times: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        times.append(time.perf_counter() - t0)
        return out

    result = benchmark.pedantic(timed, setup=setup, rounds=rounds, warmup_rounds=warmup_rounds, iterations=1)
    kept = times[warmup_rounds:] if len(times) > rounds else times
    return result, kept


def timed_rounds(fn: Callable[[], Any], *, rounds: int) -> list[float]:
    """Seconds of each of ``rounds`` calls of ``fn``, outside pytest-benchmark (a second
    measurement in one test: ``benchmark.pedantic`` runs once per test)."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def train_batches(datamodule: Any) -> Callable[[], None]:
    """A function that takes the next training batch of ``datamodule`` (set up for ``fit``),
    starting a new epoch when one ends (tiny data sets have short ones). Its workers are
    started and what they prefetched is drained before it is returned, so a timing of it
    measures the steady rate."""
    loader = datamodule.train_dataloader()
    it = iter(loader)

    def next_batch() -> None:
        nonlocal it
        try:
            next(it)
        except StopIteration:
            it = iter(loader)
            next(it)

    for _ in range(1 + datamodule.num_workers * datamodule.prefetch_factor):
        next_batch()
    return next_batch


def median(times: list[float]) -> float:
    return float(statistics.median(times))


def best(times: list[float]) -> float:
    """The fastest round: the derived numbers use it (a shared machine only ever adds time)."""
    return float(min(times))


def report(benchmark: Any, line: str, **info: Any) -> None:
    """Keep a result line for the summary and store ``info`` in the benchmark's extra_info."""
    LINES.append(line)
    if benchmark is not None:
        benchmark.extra_info.update(info)
        benchmark.extra_info["line"] = line
        benchmark.extra_info["quick"] = quick()


def write_drum_wav(
    path: Path,
    seconds: float,
    *,
    sample_rate: int = FILE_RATE,
    channels: int = FILE_CHANNELS,
    seed: int = 0,
    block_s: float = WRITE_BLOCK_S,
) -> Path:
    """Write ``seconds`` of drum-like noise bursts as 16-bit WAV, one block at a time.

    Each block comes from :func:`support.tiny_model.drum_like_audio` with its own seed;
    the right channel is a quieter copy (the runtime downmixes).
    """
    import soundfile as sf

    from support.tiny_model import drum_like_audio

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    total = round(seconds * sample_rate)
    done = 0
    k = 0
    with sf.SoundFile(
        str(tmp), "w", samplerate=sample_rate, channels=channels, subtype="PCM_16", format="WAV"
    ) as fh:
        while done < total:
            n = min(round(block_s * sample_rate), total - done)
            mono, _ = drum_like_audio(seconds=n / sample_rate, sample_rate=sample_rate, seed=seed * 1000 + k)
            mono = mono[:n] * 0.9
            block = np.stack([mono] + [0.7 * mono] * (channels - 1), axis=1) if channels > 1 else mono
            fh.write(block)
            done += n
            k += 1
    os.replace(tmp, path)
    return path


def hit_agreement(a: Any, b: Any, *, tol_s: float = 0.011) -> float:
    """F-measure of two hit lists matched per lane within ``tol_s`` (1 frame + rounding)."""
    from collections import defaultdict

    lanes_a: dict[str, list[float]] = defaultdict(list)
    lanes_b: dict[str, list[float]] = defaultdict(list)
    for h in a:
        lanes_a[h.drum].append(h.time_s)
    for h in b:
        lanes_b[h.drum].append(h.time_s)
    if not a and not b:
        return 1.0
    matched = 0
    for lane in set(lanes_a) | set(lanes_b):
        ta = np.sort(np.asarray(lanes_a[lane]))
        tb = np.sort(np.asarray(lanes_b[lane]))
        i = j = 0
        while i < ta.size and j < tb.size:
            if abs(ta[i] - tb[j]) <= tol_s:
                matched += 1
                i += 1
                j += 1
            elif ta[i] < tb[j]:
                i += 1
            else:
                j += 1
    return 2.0 * matched / (len(a) + len(b))


#: Lengths (seconds) of the real-time-factor files: nominal -> quick mode.
RTF_LENGTHS = {10: 2.0, 60: 3.0, 180: 4.0, 600: 5.0}
#: Minutes of audio of the peak-memory runs: nominal -> quick mode.
RSS_MINUTES = {1: 0.05, 10: 0.1, 60: 0.2}


def seconds_for(nominal_s: float) -> float:
    """The audio length used for a nominal length (shrunk in quick mode)."""
    return RTF_LENGTHS.get(int(nominal_s), min(nominal_s, 3.0)) if quick() else float(nominal_s)
