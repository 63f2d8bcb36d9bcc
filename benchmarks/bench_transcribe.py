"""Runtime benchmarks: what ``drumscribe.transcribe`` costs on this machine.

Run::

    uv run pytest benchmarks/bench_transcribe.py --benchmark-only      # full sizes
    uv run pytest benchmarks/bench_transcribe.py --benchmark-disable   # quick mode

Measured, in one run, on the model of ``conftest.bench_model_path``:

- real-time factor of ``transcribe(path)`` (decode, resample, hash, chunked network, peak
  picking; model loaded once) for 10, 60, 180 and 600 s files, and how that splits into
  stages (decode+resample, sha256, network, peak picking);
- per-block latency of :class:`drumscribe.StreamingTranscriber` with 100 ms blocks, for the
  sidecar's chunking and for a live setting;
- cold start (interpreter + ``import drumscribe`` + ``load_model``) and the CLI end to end,
  each in a fresh subprocess;
- peak RSS against length (1, 10, 60 minutes), each in a fresh subprocess whose
  ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` a bare launcher reads (see ``LAUNCHER_CODE``);
- many-file throughput (20 short files, one loaded model);
- onnxruntime fp32 vs onnxruntime int8 (the exporters' dynamic ``to_int8``) vs torch eager
  for the same weights, each with 1 and 2 threads, through the same chunking and peak
  picking; fp32 and torch must agree. Beside them static int8 (QDQ) of the body's
  convolutions (the bundled model when it is that variant, else the exporters' ``to_int8_static``);
- where onnxruntime's time goes, by operator type (its own profiler).

Inputs are 44.1 kHz stereo 16-bit WAV files of generated drum-like bursts. No benchmark
asserts on wall time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _bench
import numpy as np
import pytest
from _bench import RSS_MINUTES, best, measure, median, quick, report, rounds, seconds_for

#: Streaming block length (seconds) and the "live" chunking (chunk_s, context_s).
BLOCK_S = 0.1
LIVE_GEOMETRY = (0.5, 1.0)
ENGINE_LENGTH_S = 180
MANY_FILES = (20, 10.0)  # count, seconds each
MANY_FILES_QUICK = (3, 1.0)


class Timed:
    """A model that forwards to another and sums the seconds spent in ``run``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.seconds = 0.0
        self.calls = 0

    @property
    def info(self) -> dict[str, Any]:
        return dict(self.inner.info)

    def run(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        t0 = time.perf_counter()
        out = self.inner.run(audio)
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        return out  # type: ignore[no-any-return]

    def reset(self) -> None:
        self.seconds = 0.0
        self.calls = 0


class TorchEngine:
    """Torch eager behind the runtime's model interface (same chunking and peak picking).

    ``spec`` is the ONNX model's, so thresholds and chunking are identical.
    """

    def __init__(self, model: Any, spec: Any) -> None:
        from drumscribe_training.network.crnn import ExportWrapper

        self.wrapper = ExportWrapper(model.eval()).eval()
        self.spec = spec

    @property
    def info(self) -> dict[str, Any]:
        return {"name": "torch eager", "path": None, "sha256": None, "versions": {}}

    def run(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        import torch

        with torch.inference_mode():
            outs = self.wrapper(torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)))
        return outs[0].numpy(), (outs[1].numpy() if len(outs) > 1 else None)


def _of_fastest(values: list[float], times: list[float]) -> float:
    """The value recorded in the fastest timed round (``values`` also holds warm-up rounds)."""
    kept = values[-len(times) :]
    return kept[int(np.argmin(times))]


def _transcribe(path: Path, model: Any, **kw: Any) -> Any:
    import drumscribe

    return drumscribe.transcribe(path, model=model, **kw)


# ----------------------------------------------------------------------------- RTF


@pytest.mark.parametrize("nominal", [10, 60, 180, 600])
def test_rtf(benchmark: Any, nominal: int, bench_model_path: Path, load_ort: Any, audio_file: Any) -> None:
    """Real-time factor of transcribe(file) against length, model loaded once, default threads."""
    benchmark.group = "transcribe: real-time factor vs length"
    path = audio_file(seconds_for(nominal), seed=nominal)
    model = Timed(load_ort(bench_model_path))
    nets: list[float] = []

    def run() -> Any:
        model.reset()
        out = _transcribe(path, model)
        nets.append(model.seconds)
        return out

    n_rounds = {10: 7, 60: 5, 180: 3, 600: 2}[nominal]
    result, times = measure(benchmark, run, rounds=rounds(n_rounds), warmup_rounds=0 if quick() else 1)
    t = best(times)
    audio_s = result.duration_s
    net = _of_fastest(nets, times)
    report(
        benchmark,
        f"transcribe {audio_s:.0f} s file (nominal {nominal} s): {t:.3f} s = {audio_s / t:.1f}x real time; "
        f"network {net:.3f} s ({100 * net / t:.0f}%), {model.calls} chunk(s), {len(result.hits)} hits",
        nominal_s=nominal,
        audio_s=audio_s,
        seconds=t,
        median_seconds=median(times),
        x_realtime=audio_s / t,
        network_s=net,
        chunks=model.calls,
        hits=len(result.hits),
    )
    assert abs(audio_s - seconds_for(nominal)) < 0.01


def test_chunked_matches_whole_file(
    benchmark: Any, bench_model_path: Path, load_ort: Any, audio_file: Any
) -> None:
    """Correctness beside the timings: the chunked path against one whole-file network pass."""
    import drumscribe
    from drumscribe.audio import iter_file_blocks

    benchmark.group = "transcribe: correctness"
    model = load_ort(bench_model_path)
    # quick mode: short chunks so that the joins are still exercised
    geometry = {"chunk_s": 1.0, "context_s": 1.0} if quick() else {}
    path = audio_file(seconds_for(60), seed=60)
    result, _ = measure(
        benchmark, lambda: _transcribe(path, model, keep_activations=True, **geometry), rounds=1
    )
    audio = np.concatenate(list(iter_file_blocks(path, sample_rate=model.spec.sample_rate)))
    whole, whole_vel = model.run(audio[None, :])
    picker = drumscribe.PeakPicker(
        frame_rate=model.spec.frame_rate,
        threshold=model.spec.thresholds,
        min_interval_s=model.spec.min_interval_s,
    )
    whole_hits = picker.process(whole[0], whole_vel[0] if whole_vel is not None else None, final=True)
    diff = float(np.abs(result.activations - whole[0]).max())
    agree = _bench.hit_agreement(result.hits, whole_hits)
    report(
        benchmark,
        f"chunked vs whole-file pass ({result.duration_s:.0f} s): max |activation diff| {diff:.2e}, "
        f"hit agreement F={agree:.4f} ({len(result.hits)} vs {len(whole_hits)} hits)",
        max_abs_diff=diff,
        hit_agreement=agree,
    )
    # the recurrent network sees a finite context, so chunking moves activations (for the
    # trained BiGRU by up to ~0.1 at the default 20 s + 2 s, more with the quick mode's 1 s
    # chunks); hits flip only where an activation sits near its threshold
    assert result.activations.shape == whole[0].shape
    assert diff < 0.5
    assert agree >= 0.8


@pytest.mark.parametrize("stage", ["decode+resample", "sha256", "network", "peak picking"])
def test_stages(benchmark: Any, stage: str, bench_model_path: Path, load_ort: Any, audio_file: Any) -> None:
    """Where transcribe's time goes on the 180 s file (the parts measured one by one)."""
    import drumscribe
    from drumscribe.audio import file_sha256, iter_file_blocks
    from drumscribe.inference import ActivationStream

    benchmark.group = "transcribe: stages (180 s)"
    path = audio_file(seconds_for(180), seed=180)
    model = load_ort(bench_model_path)
    sr = model.spec.sample_rate
    audio_s = seconds_for(180)
    if stage == "decode+resample":
        fn: Any = lambda: sum(b.size for b in iter_file_blocks(path, sample_rate=sr))  # noqa: E731
    elif stage == "sha256":
        fn = lambda: file_sha256(path)  # noqa: E731
    else:
        blocks = list(iter_file_blocks(path, sample_rate=sr))

        def network() -> list[Any]:
            stream = ActivationStream(model)
            out = []
            for b in blocks:
                out += stream.push(b)
            return out + stream.finish()

        if stage == "network":
            fn = network
        else:
            parts = network()
            onsets = np.concatenate([p[0] for p in parts])
            vels = np.concatenate([p[1] for p in parts]) if parts[0][1] is not None else None

            def fn() -> Any:
                picker = drumscribe.PeakPicker(
                    frame_rate=model.spec.frame_rate,
                    threshold=model.spec.thresholds,
                    min_interval_s=model.spec.min_interval_s,
                )
                return sorted(picker.process(onsets, vels, final=True))

    _, times = measure(benchmark, fn, rounds=rounds(3), warmup_rounds=0 if quick() else 1)
    t = best(times)
    report(
        benchmark,
        f"stage {stage} on {audio_s:.0f} s: {t * 1000:.1f} ms ({audio_s / t:.0f}x real time)",
        stage=stage,
        audio_s=audio_s,
        seconds=t,
        x_realtime=audio_s / t,
    )


# ----------------------------------------------------------------------------- streaming


@pytest.mark.parametrize("geometry", ["sidecar", "live"])
def test_streaming_latency(benchmark: Any, geometry: str, bench_model_path: Path, load_ort: Any) -> None:
    """Seconds per push of 100 ms blocks at 44.1 kHz; the delay until a hit is decided."""
    import drumscribe
    from drumscribe.inference import chunk_geometry
    from support.tiny_model import drum_like_audio

    benchmark.group = "streaming: per-block latency"
    model = load_ort(bench_model_path)
    kw = {} if geometry == "sidecar" else {"chunk_s": LIVE_GEOMETRY[0], "context_s": LIVE_GEOMETRY[1]}
    chunk, context = chunk_geometry(model, **kw)
    sr = 44100
    seconds = 5.0 if quick() else 60.0
    audio, _ = drum_like_audio(seconds=seconds, sample_rate=sr, seed=7)
    step = round(BLOCK_S * sr)
    blocks = [audio[i : i + step] for i in range(0, audio.size, step)]

    def run() -> list[float]:
        stream = drumscribe.StreamingTranscriber(model, sample_rate=sr, **kw)
        lat = []
        for b in blocks:
            t0 = time.perf_counter()
            stream.push(b)
            lat.append(time.perf_counter() - t0)
        stream.finish()
        return lat

    lat, _times = measure(benchmark, run, rounds=rounds(2), warmup_rounds=0 if quick() else 1)
    ms = np.asarray(lat) * 1000.0
    chunk_s, context_s = chunk / model.spec.sample_rate, context / model.spec.sample_rate
    busy = float(ms.sum() / 1000.0 / seconds)
    p50, p95, p99, worst = (float(np.percentile(ms, q)) for q in (50, 95, 99, 100))
    report(
        benchmark,
        f"streaming ({geometry}: chunk {chunk_s:g} s, context {context_s:g} s), {BLOCK_S * 1000:.0f} ms blocks: "
        f"per push p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms; "
        f"busy {100 * busy:.1f}% of real time; a hit is decided at most {chunk_s + context_s:g} s "
        f"+ {worst / 1000:.2f} s after it sounds",
        geometry=geometry,
        chunk_s=chunk_s,
        context_s=context_s,
        block_ms=BLOCK_S * 1000,
        audio_s=seconds,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        max_ms=worst,
        mean_ms=float(ms.mean()),
        busy_fraction=busy,
        max_hit_delay_s=chunk_s + context_s + worst / 1000,
    )


# ----------------------------------------------------------------------------- subprocesses


#: Runs the measured child and reports ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of it. It sits
#: between pytest and the child because Linux carries the parent's RSS high-water mark into a
#: forked (or vforked) child across exec: pytest with torch loaded would show up as ~1 GB in
#: a child launched from it directly. The launcher is a bare interpreter (~10 MB).
LAUNCHER_CODE = """
import json, resource, subprocess, sys
rc = subprocess.run(sys.argv[1:]).returncode
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"child_rc": rc, "child_maxrss_kib": usage.ru_maxrss}))
"""

#: Appended to each child: its own peak RSS (VmHWM) as a cross-check of the launcher's.
_HWM = """
def _vmhwm_kib():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
"""


def _child(code: str, *args: str) -> tuple[dict[str, Any], float, int]:
    """Run python code in a fresh interpreter; (its JSON line, wall seconds, peak RSS KiB)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER_CODE, sys.executable, "-c", _HWM + code, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode != 0 or len(lines) < 2 or lines[-1]["child_rc"] != 0:
        raise RuntimeError(f"benchmark child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return lines[-2], wall, int(lines[-1]["child_maxrss_kib"])


COLD_CODE = """
import time
t0 = time.perf_counter()
import json, sys
import drumscribe
t1 = time.perf_counter()
model = drumscribe.load_model(sys.argv[1], cache=False)
t2 = time.perf_counter()
info = {"import_s": t1 - t0, "load_s": t2 - t1}
if len(sys.argv) > 2:
    r = drumscribe.transcribe(sys.argv[2], model=model)
    t3 = time.perf_counter()
    drumscribe.transcribe(sys.argv[2], model=model)
    info.update(first_s=t3 - t2, second_s=time.perf_counter() - t3, hits=len(r.hits))
print(json.dumps(info))
"""


@pytest.mark.parametrize("what", ["import+load", "import+load+first 10 s"])
def test_cold_start(benchmark: Any, what: str, bench_model_path: Path, audio_file: Any) -> None:
    """A fresh process: interpreter, ``import drumscribe``, ``load_model`` (and a first call)."""
    benchmark.group = "cold start (subprocess)"
    args = [str(bench_model_path)]
    if "first" in what:
        args.append(str(audio_file(seconds_for(10), seed=10)))
    (info, _wall, _rss), times = measure(
        benchmark, lambda: _child(COLD_CODE, *args), rounds=rounds(5), warmup_rounds=0 if quick() else 1
    )
    t = best(times)
    extra = ""
    if "first_s" in info:
        extra = f"; first transcribe {info['first_s']:.3f} s, second {info['second_s']:.3f} s"
    report(
        benchmark,
        f"cold start ({what}): {t:.2f} s wall (import {info['import_s']:.2f} s, load_model "
        f"{info['load_s']:.2f} s{extra})",
        what=what,
        seconds=t,
        **info,
    )


CLI_CODE = "import sys; from drumscribe.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.mark.parametrize("fmt", ["json", "midi"])
def test_cli_end_to_end(
    benchmark: Any, fmt: str, bench_model_path: Path, audio_file: Any, tmp_path: Path
) -> None:
    """``drumscribe transcribe song.wav -o out`` on the 180 s file: a whole cold process."""
    benchmark.group = "cold start (subprocess)"
    path = audio_file(seconds_for(180), seed=180)
    out = tmp_path / ("song.json" if fmt == "json" else "song.mid")

    def run() -> float:
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-c",
                CLI_CODE,
                "transcribe",
                str(path),
                "-o",
                str(out),
                "--model",
                str(bench_model_path),
                "-q",
            ],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - t0

    _, times = measure(benchmark, run, rounds=rounds(3), warmup_rounds=0 if quick() else 1)
    t = best(times)
    audio_s = seconds_for(180)
    report(
        benchmark,
        f"CLI end to end, {audio_s:.0f} s file -> {fmt}: {t:.2f} s ({audio_s / t:.0f}x real time, cold process)",
        fmt=fmt,
        audio_s=audio_s,
        seconds=t,
        x_realtime=audio_s / t,
    )
    assert out.is_file()


RSS_CODE = """
import json, resource, sys, time
import drumscribe
model = drumscribe.load_model(sys.argv[1], cache=False)
after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
info = {"rss_after_load_kib": after_load}
if sys.argv[2] != "-":
    t0 = time.perf_counter()
    r = drumscribe.transcribe(sys.argv[2], model=model)
    info.update(transcribe_s=time.perf_counter() - t0, audio_s=r.duration_s, hits=len(r.hits))
info["vmhwm_kib"] = _vmhwm_kib()
print(json.dumps(info))
"""

#: The CLI writing one output (argv: model, audio, output): what a user runs on a long song.
RSS_CLI_CODE = """
import json, sys, time
import soundfile
from drumscribe.cli import main
t0 = time.perf_counter()
rc = main(["transcribe", sys.argv[2], "-o", sys.argv[3], "--model", sys.argv[1], "-q"])
info = {"rc": rc, "transcribe_s": time.perf_counter() - t0, "audio_s": soundfile.info(sys.argv[2]).duration}
info["vmhwm_kib"] = _vmhwm_kib()
print(json.dumps(info))
sys.exit(rc)
"""

#: What the peak-RSS benchmark runs on a file: the Python API, or the CLI writing MIDI or JSON.
RSS_OUTPUTS = ("api", "midi", "json")


@pytest.mark.parametrize("output", RSS_OUTPUTS)
@pytest.mark.parametrize("minutes", [0, 1, 10, 60])
def test_peak_rss(
    benchmark: Any, minutes: int, output: str, bench_model_path: Path, audio_file: Any, tmp_path: Path
) -> None:
    """Peak RSS of a process that loads the model and transcribes a file of ``minutes``:
    through the API (``output="api"``), or through the CLI writing a MIDI file or a JSON
    chart (tempo estimation and chart building included)."""
    benchmark.group = f"peak RSS vs length (subprocess, {output})"
    if not minutes and output != "api":
        pytest.skip("the load-only row is the API's")
    arg = "-"
    if minutes:
        m = RSS_MINUTES[minutes] if quick() else minutes
        arg = str(audio_file(m * 60.0, seed=1000 + minutes))
    child = [RSS_CODE, str(bench_model_path), arg]
    if output != "api":
        child = [
            RSS_CLI_CODE,
            str(bench_model_path),
            arg,
            str(tmp_path / ("song.mid" if output == "midi" else "song.json")),
        ]
    (info, wall, rss_kib), _ = measure(benchmark, lambda: _child(*child), rounds=1)
    mb = rss_kib / 1024.0
    what = "import + load_model only" if not minutes else f"{info['audio_s'] / 60:.2f} min of audio"
    tail = ""
    if minutes:
        tail = f"; transcribe {info['transcribe_s']:.1f} s ({info['audio_s'] / info['transcribe_s']:.0f}x real time)"
    after_load = (
        f"after load {info['rss_after_load_kib'] / 1024:.0f} MB, " if "rss_after_load_kib" in info else ""
    )
    report(
        benchmark,
        f"peak RSS ({output}), {what}: {mb:.0f} MB ({after_load}"
        f"VmHWM {(info.get('vmhwm_kib') or 0) / 1024:.0f} MB){tail}",
        minutes=minutes,
        output=output,
        peak_rss_mb=mb,
        rss_after_load_mb=info.get("rss_after_load_kib", 0) / 1024.0,
        wall_s=wall,
        vmhwm_mb=(info.get("vmhwm_kib") or 0) / 1024.0,
        **{k: v for k, v in info.items() if k not in ("rss_after_load_kib", "vmhwm_kib")},
    )


# ----------------------------------------------------------------------------- many files


def test_many_files(benchmark: Any, bench_model_path: Path, load_ort: Any, audio_file: Any) -> None:
    """20 short files through one loaded model (what a game build tool does)."""
    benchmark.group = "many files"
    count, seconds = MANY_FILES_QUICK if quick() else MANY_FILES
    paths = [audio_file(seconds, seed=2000 + i) for i in range(count)]
    model = load_ort(bench_model_path)

    def run() -> int:
        return sum(len(_transcribe(p, model).hits) for p in paths)

    _, times = measure(benchmark, run, rounds=rounds(3), warmup_rounds=0 if quick() else 1)
    t = best(times)
    total = count * seconds
    report(
        benchmark,
        f"{count} files of {seconds:g} s, one session: {t:.2f} s = {count / t:.1f} files/s, "
        f"{t / count * 1000:.0f} ms per file, {total / t:.0f}x real time",
        files=count,
        seconds_each=seconds,
        seconds=t,
        files_per_s=count / t,
        ms_per_file=1000 * t / count,
        x_realtime=total / t,
    )


# ----------------------------------------------------------------------------- engines


@pytest.fixture(scope="module")
def engine_audio(audio_file: Any) -> Path:
    return audio_file(seconds_for(ENGINE_LENGTH_S), seed=ENGINE_LENGTH_S)


@pytest.fixture(scope="module")
def engine_reference(weights: Any, load_ort: Any, engine_audio: Path) -> Any:
    """fp32 onnxruntime result with activations: what every engine is compared with."""
    return _transcribe(engine_audio, load_ort(weights.onnx, 2), keep_activations=True)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(
    "engine", ["onnxruntime fp32", "onnxruntime int8", "onnxruntime int8 static convs", "torch eager"]
)
def test_engines(
    benchmark: Any,
    engine: str,
    threads: int,
    weights: Any,
    load_ort: Any,
    engine_audio: Path,
    engine_reference: Any,
) -> None:
    """transcribe(180 s file) with the same weights in three engines, 1 and 2 threads."""
    import torch

    benchmark.group = f"engines: same weights, {ENGINE_LENGTH_S} s file"
    fp32 = load_ort(weights.onnx, threads)
    if engine == "torch eager":
        inner: Any = TorchEngine(weights.torch_model, fp32.spec)
    elif engine == "onnxruntime int8":
        inner = load_ort(weights.int8, threads)
    elif engine == "onnxruntime int8 static convs":
        inner = load_ort(weights.int8_static, threads)
    else:
        inner = fp32
    model = Timed(inner)
    nets: list[float] = []
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:

        def run() -> Any:
            model.reset()
            out = _transcribe(engine_audio, model, keep_activations=True)
            nets.append(model.seconds)
            return out

        result, times = measure(benchmark, run, rounds=rounds(3), warmup_rounds=0 if quick() else 1)
    finally:
        torch.set_num_threads(saved)
    t = best(times)
    diff = float(np.abs(result.activations - engine_reference.activations).max())
    agree = _bench.hit_agreement(result.hits, engine_reference.hits)
    audio_s = result.duration_s
    report(
        benchmark,
        f"{engine}, {threads} thread(s), {audio_s:.0f} s: {t:.3f} s = {audio_s / t:.1f}x real time "
        f"(network {_of_fastest(nets, times):.3f} s); vs fp32: max |diff| {diff:.1e}, hits F={agree:.3f}",
        engine=engine,
        threads=threads,
        audio_s=audio_s,
        seconds=t,
        x_realtime=audio_s / t,
        network_s=_of_fastest(nets, times),
        max_abs_diff_vs_fp32=diff,
        hit_agreement_vs_fp32=agree,
        weights=weights.description,
    )
    if engine == "torch eager":
        assert diff < 1e-3, "torch eager and onnxruntime fp32 disagree on the same weights"
        assert agree >= 0.99


# ----------------------------------------------------------------------------- profile


@pytest.mark.parametrize("variant", ["bundled", "fp32", "int8"])
def test_onnx_op_profile(
    benchmark: Any,
    variant: str,
    bench_model_path: Path,
    fp32_twin: tuple[Path, Any],
    int8_path: Path,
    tmp_path: Path,
) -> None:
    """onnxruntime's own profiler on one chunk window: the share of each operator type
    (the benchmark model as bundled, its weights in fp32, and their dynamic int8)."""
    import onnxruntime as ort

    import drumscribe

    benchmark.group = "onnxruntime profile (one chunk window)"
    path = {"bundled": bench_model_path, "fp32": fp32_twin[0], "int8": int8_path}[variant]
    spec = drumscribe.load_model(bench_model_path).spec
    window_s = 4.0 if quick() else spec.chunk_s + 2 * spec.context_s
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.enable_profiling = True
    opts.profile_file_prefix = str(tmp_path / f"ort_{variant}")
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    x = (np.random.default_rng(0).standard_normal((1, round(window_s * spec.sample_rate))) * 0.1).astype(
        np.float32
    )
    sess.run(None, {"audio": x})  # warm-up, left in the profile; shares are over all runs

    _, times = measure(benchmark, lambda: sess.run(None, {"audio": x}), rounds=rounds(3))
    prof = Path(sess.end_profiling())
    events = json.loads(prof.read_text())
    by_op: dict[str, float] = {}
    for ev in events:
        if ev.get("cat") == "Node" and str(ev.get("name", "")).endswith("_kernel_time"):
            op = ev.get("args", {}).get("op_name", "?")
            by_op[op] = by_op.get(op, 0.0) + float(ev.get("dur", 0.0))
    total = sum(by_op.values()) or 1.0
    shares = dict(sorted(((k, v / total) for k, v in by_op.items()), key=lambda kv: -kv[1]))
    top = ", ".join(f"{k} {100 * v:.0f}%" for k, v in list(shares.items())[:6])
    t = best(times)
    report(
        benchmark,
        f"onnxruntime {variant} profile, {window_s:g} s window in {t * 1000:.0f} ms: {top}",
        variant=variant,
        window_s=window_s,
        seconds=t,
        op_shares=shares,
    )
