"""Benchmark session setup: collection of ``bench_*.py``, quick mode, models and audio.

Run::

    uv run pytest benchmarks --benchmark-only                 # full sizes (a quiet machine!)
    uv run pytest benchmarks --benchmark-disable -q           # quick mode, what CI runs
    uv run python scripts/write_benchmark_results.py          # full run -> benchmarks/RESULTS.md

Quick mode (``DRUMSCRIBE_BENCH_QUICK=1``; switched on by ``--benchmark-disable`` unless the
variable says otherwise) shrinks every input so that each benchmark runs once in seconds.

The model measured (``bench_model``): ``$DRUMSCRIBE_BENCH_MODEL`` if set, else the bundled
default model when it exists, else the seed architecture (configs/default_config.yaml) with
random weights exported by :func:`drumscribe_exporters.onnx_export.export_model`; its cost
is the default model's (same graph, other weights). Its int8 variant comes from
:func:`drumscribe_exporters.quantize.to_int8`.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
for _p in (BENCH_DIR, REPO_ROOT / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import _bench  # noqa: E402

# --------------------------------------------------------------------------- collection


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("benchmark_disable", default=False):
        os.environ.setdefault("DRUMSCRIBE_BENCH_QUICK", "1")
    config._drumscribe_bench_start = _load_snapshot()  # type: ignore[attr-defined]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Collect ``bench_*.py`` (pytest's default pattern is ``test_*.py``)."""
    if (
        file_path.suffix == ".py"
        and file_path.name.startswith("bench_")
        and not parent.session.isinitpath(file_path)  # named on the command line: pytest collects it
    ):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _bench.LINES:
        mode = "quick mode (tiny inputs; not timings)" if _bench.quick() else "full size"
        terminalreporter.write_sep("-", f"drumscribe benchmarks, {mode}")
        for line in _bench.LINES:
            terminalreporter.write_line(line)


def _live_descendants_cpu_s() -> float:
    """CPU seconds of this process's live descendants (with what they reaped themselves).

    ``os.times`` counts only children already waited for; a multiprocessing forkserver and
    its workers stay alive until exit, and their CPU is ours, not another process's.
    """
    me = os.getpid()
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(d.name)
        parent[pid] = int(fields[1])
        cpu[pid] = sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
    total = 0.0
    for pid in parent:
        p, seen = parent.get(pid), 0
        while p is not None and p > 1 and seen < 64:
            if p == me:
                total += cpu[pid]
                break
            p, seen = parent.get(p), seen + 1
    return total


def _cpu_seconds() -> tuple[float | None, float]:
    """(busy CPU seconds of the whole machine since boot, CPU seconds of this process tree)."""
    t = os.times()
    own = t.user + t.system + t.children_user + t.children_system
    try:
        own += _live_descendants_cpu_s()
    except OSError:
        pass
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        busy = (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        busy = None
    return busy, own


def _load_snapshot() -> dict[str, Any]:
    """Machine load when the session starts and ends: timings under load are worthless.

    ``cpu_busy_s`` / ``own_cpu_s`` let the end snapshot tell how much CPU other processes
    took during the session (``foreign_cpu_s``).
    """
    try:
        trainer = subprocess.run(
            ["pgrep", "-f", "drumscribe-train fit"], capture_output=True, text=True, check=False
        ).stdout.split()
    except OSError:
        trainer = []
    busy, own = _cpu_seconds()
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "monotonic": time.monotonic(),
        "loadavg": list(os.getloadavg()),
        "training_running": bool(trainer),
        "cpu_busy_s": busy,
        "own_cpu_s": own,
    }


def machine_summary() -> dict[str, Any]:
    """CPU model, cores, RAM, versions (also used by scripts/write_benchmark_results.py)."""
    import importlib.metadata as md

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    flags = ""
    try:
        text = Path("/proc/cpuinfo").read_text()
        have = set(text.split("flags", 1)[1].split("\n", 1)[0].split())
        flags = " ".join(
            f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile") if f in have
        )
    except (OSError, IndexError):
        pass
    versions = {"python": platform.python_version()}
    for dist in ("drumscribe", "numpy", "onnxruntime", "torch", "soxr", "soundfile", "onnx", "h5py"):
        try:
            versions[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    return {
        "cpu": cpu,
        "cpu_flags": flags,
        "cores": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "ram_gb": ram_gb,
        "os": platform.platform(),
        "versions": versions,
    }


def pytest_benchmark_update_json(config: pytest.Config, benchmarks: Any, output_json: dict[str, Any]) -> None:
    start = getattr(config, "_drumscribe_bench_start", None) or {}
    end = _load_snapshot()
    if start.get("cpu_busy_s") is not None and end.get("cpu_busy_s") is not None:
        wall = end["monotonic"] - start["monotonic"]
        foreign = (end["cpu_busy_s"] - start["cpu_busy_s"]) - (end["own_cpu_s"] - start["own_cpu_s"])
        end["foreign_cpu_s"] = max(0.0, foreign)
        end["wall_s"] = wall
        end["foreign_cores"] = max(0.0, foreign) / wall if wall > 0 else None
    output_json["drumscribe"] = {
        "quick": _bench.quick(),
        "machine": machine_summary(),
        "session_start": start,
        "session_end": end,
        "model": MODEL_INFO,
    }


# --------------------------------------------------------------------------- fixtures

#: What ``bench_model`` resolved to (filled by the fixture, written into the JSON).
MODEL_INFO: dict[str, Any] = {}


@dataclass
class Weights:
    """One set of weights in the engines: ONNX fp32, ONNX int8, torch eager."""

    onnx: Path
    int8: Path
    torch_model: Any  # drumscribe_training.network.crnn.DrumTranscriber in eval mode
    description: str
    int8_static: Path | None = None


@pytest.fixture(scope="session")
def quick() -> bool:
    return _bench.quick()


@pytest.fixture(scope="session")
def cfg() -> Any:
    """The default config: the seed architecture of the default model."""
    from drumscribe_training.config import load_config

    return load_config()


@pytest.fixture(scope="session")
def seed_export(cfg: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """(model.onnx, torch model): the seed architecture with random weights (torch seed 0)."""
    import torch

    from drumscribe_exporters.onnx_export import export_model
    from drumscribe_training.network.crnn import build_model

    torch.manual_seed(0)
    model = build_model(cfg).eval()
    out = tmp_path_factory.mktemp("seed") / "model.onnx"
    export_model(model, cfg, out, name="seed-architecture-random-weights")
    return out, model


@pytest.fixture(scope="session")
def bench_model_path(request: pytest.FixtureRequest) -> Path:
    """The fp32 ONNX model every runtime benchmark measures (see the module docstring)."""
    from drumscribe.model import default_model_path

    env = os.environ.get("DRUMSCRIBE_BENCH_MODEL")
    bundled = default_model_path()
    if env:
        path, kind = Path(env), f"$DRUMSCRIBE_BENCH_MODEL ({env})"
    elif bundled.is_file():
        path, kind = bundled, "bundled default model (runtime/src/drumscribe/models/default/model.onnx)"
    else:
        path = request.getfixturevalue("seed_export")[0]
        kind = "seed architecture, random weights (export_model of build_model(default_config))"
    side = json.loads(Path(str(path) + ".json").read_text(encoding="utf-8"))
    from drumscribe.audio import file_sha256

    MODEL_INFO.update(
        kind=kind,
        path=str(path),
        name=side.get("name"),
        sha256=file_sha256(path),
        chunk_s=side["inference"]["chunk_s"],
        context_s=side["inference"]["context_s"],
        parameters=side.get("architecture", {}).get("parameters"),
        training=side.get("training", {}),
    )
    return path


@pytest.fixture(scope="session")
def fp32_twin(bench_model_path: Path, cfg: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """(fp32 model.onnx, torch model) holding the benchmark model's own weights.

    The weights are read back from the benchmark model's graph (``import_onnx_weights``; a
    static-int8 file's weights are dequantized) and exported again in fp32, so every engine
    runs the same weights whatever file is bundled.
    """
    import drumscribe
    from drumscribe_exporters.onnx_export import export_model
    from drumscribe_training.network.crnn import build_model
    from drumscribe_training.network.onnx_import import import_onnx_weights

    spec = drumscribe.load_model(bench_model_path, cache=False).spec
    model = build_model(cfg)
    import_onnx_weights(model, bench_model_path)
    out = tmp_path_factory.mktemp("fp32-twin") / "model.onnx"
    export_model(  # the same chunking and peak picking as the benchmark model
        model.eval(),
        cfg,
        out,
        name="fp32-twin-of-bench-model",
        thresholds=dict(spec.thresholds),
        min_interval_s=spec.min_interval_s,
        chunk_s=spec.chunk_s,
        context_s=spec.context_s,
    )
    return out, model


@pytest.fixture(scope="session")
def int8_path(fp32_twin: tuple[Path, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The exporters' dynamic int8 of the benchmark model's weights."""
    from drumscribe_exporters.quantize import to_int8

    return to_int8(fp32_twin[0], tmp_path_factory.mktemp("int8") / "model.int8.onnx")


@pytest.fixture(scope="session")
def weights(
    bench_model_path: Path, fp32_twin: tuple[Path, Any], int8_path: Path, tmp_path_factory: Any
) -> Weights:
    """Same weights in ONNX fp32, ONNX dynamic int8, ONNX static int8 and torch eager.

    Static int8 is the benchmark model itself when it is that variant, else the exporters'
    ``to_int8_static`` of the fp32 twin, calibrated on generated drum-like audio.
    """
    from drumscribe_exporters.quantize import to_int8_static
    from support.tiny_model import drum_like_audio

    fp32, model = fp32_twin
    w = Weights(fp32, int8_path, model.eval(), f"{MODEL_INFO.get('kind')}; fp32 and torch from its weights")
    side = json.loads(Path(str(bench_model_path) + ".json").read_text(encoding="utf-8"))
    if side.get("variant") == "int8-static":
        w.int8_static = bench_model_path
    else:
        seconds, pieces = (2.0, 1) if _bench.quick() else (8.0, 4)
        calibration = [drum_like_audio(seconds=seconds, seed=500 + i)[0] for i in range(pieces)]
        w.int8_static = to_int8_static(
            fp32,
            tmp_path_factory.mktemp("int8-static") / "model.onnx",
            calibration=calibration,
            method="percentile",
        )
    return w


_MODELS: dict[tuple[str, int | None], Any] = {}


@pytest.fixture(scope="session")
def load_ort() -> Any:
    """``load_ort(path, threads)`` -> a loaded :class:`drumscribe.Model`, one per session."""
    import drumscribe

    def load(path: Path, threads: int | None = None) -> Any:
        key = (str(path), threads)
        if key not in _MODELS:
            _MODELS[key] = drumscribe.load_model(path, threads=threads, cache=False)
        return _MODELS[key]

    return load


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audio")


_FILES: dict[tuple[float, int], Path] = {}


@pytest.fixture(scope="session")
def audio_file(audio_dir: Path) -> Any:
    """``audio_file(seconds, seed=0)`` -> path of a 44.1 kHz stereo 16-bit WAV (made once)."""

    def make(seconds: float, seed: int = 0) -> Path:
        key = (float(seconds), seed)
        if key not in _FILES:
            t0 = time.perf_counter()
            path = audio_dir / f"drums_{seconds:g}s_seed{seed}.wav"
            _bench.write_drum_wav(path, seconds, seed=seed)
            if seconds >= 600:
                print(f"\n[bench] wrote {path.name} ({seconds:g} s) in {time.perf_counter() - t0:.1f} s")
            _FILES[key] = path
        return _FILES[key]

    return make
