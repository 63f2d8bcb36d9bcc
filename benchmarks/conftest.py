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


def static_int8_convs(src: Path, dst: Path, *, calibration_s: float, pieces: int) -> Path:
    """Static int8 (QDQ, per-channel weights, uint8 activations) of the body's Conv nodes only.

    The front-end (conv-DFT, mel, log) and the GRU stay fp32. Calibration: generated drum-like
    audio. An experiment beside the exporters' dynamic :func:`to_int8`, which turns every
    Conv (the front-end's DFT included) into ConvInteger, slower than fp32 here.
    """
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from drumscribe.model import sidecar_path
    from drumscribe_exporters.quantize import _copy_sidecar
    from support.tiny_model import drum_like_audio

    pre = dst.with_name("pre.onnx")
    quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
    convs = [n.name for n in onnx.load(str(pre)).graph.node if n.op_type == "Conv" and "/body/" in n.name]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(
                [
                    {"audio": drum_like_audio(seconds=calibration_s, seed=500 + i)[0][None, :]}
                    for i in range(pieces)
                ]
            )

        def get_next(self) -> dict[str, Any] | None:
            return next(self.items, None)

    quantize_static(
        str(pre),
        str(dst),
        Reader(),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["Conv"],
        nodes_to_quantize=convs,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
    )
    _copy_sidecar(src, dst, "int8-static-convs")
    assert sidecar_path(dst).is_file()
    pre.unlink(missing_ok=True)
    return dst


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
def int8_path(bench_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from drumscribe_exporters.quantize import to_int8

    return to_int8(bench_model_path, tmp_path_factory.mktemp("int8") / "model.int8.onnx")


def _matching_checkpoint(onnx_path: Path, cfg: Any) -> Any | None:
    """The torch model whose weights the ONNX file holds, if its checkpoint is found here."""
    import numpy as np
    import torch

    import drumscribe
    from drumscribe_training.network.checkpoint import load_checkpoint
    from drumscribe_training.network.crnn import ExportWrapper

    side = json.loads(Path(str(onnx_path) + ".json").read_text(encoding="utf-8"))
    name = (side.get("training") or {}).get("checkpoint")
    if not name:
        return None
    m = drumscribe.load_model(onnx_path, cache=False)
    x = (np.random.default_rng(0).standard_normal((1, m.spec.sample_rate)) * 0.1).astype(np.float32)
    ref, _ = m.run(x)
    for cand in sorted((REPO_ROOT / "checkpoints").rglob(Path(name).name))[:8]:
        try:
            loaded = load_checkpoint(cand)
        except Exception:
            continue
        with torch.inference_mode():
            out = ExportWrapper(loaded.model.eval())(torch.from_numpy(x))[0].numpy()
        if out.shape == ref.shape and float(np.abs(out - ref).max()) < 1e-3:
            return loaded.model.eval(), str(cand)
    return None


@pytest.fixture(scope="session")
def weights(
    bench_model_path: Path, int8_path: Path, cfg: Any, request: pytest.FixtureRequest, tmp_path_factory: Any
) -> Weights:
    """Same weights in ONNX fp32, ONNX int8 and torch eager.

    The benchmark model and its checkpoint when the checkpoint is found (checked by output
    parity), else the random-weight seed export (same architecture, hence same cost).
    """
    found = _matching_checkpoint(bench_model_path, cfg)
    if found is not None:
        model, ckpt = found
        w = Weights(bench_model_path, int8_path, model, f"{MODEL_INFO.get('kind')}; torch from {ckpt}")
    else:
        onnx_path, model = request.getfixturevalue("seed_export")
        if onnx_path == bench_model_path:
            i8 = int8_path
        else:
            from drumscribe_exporters.quantize import to_int8

            i8 = to_int8(onnx_path, tmp_path_factory.mktemp("seed-int8") / "model.int8.onnx")
        w = Weights(onnx_path, i8, model, "seed architecture, random weights (torch seed 0)")
    w.int8_static = static_int8_convs(
        w.onnx,
        tmp_path_factory.mktemp("int8-static") / "model.onnx",
        calibration_s=2.0 if _bench.quick() else 8.0,
        pieces=1 if _bench.quick() else 4,
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
