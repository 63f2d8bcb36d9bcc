"""Session fixtures for the bindings tests (helpers live in bindings_harness.py)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bindings_chart_rules import parse_strict, summary_fields
from bindings_harness import (
    FIXTURES,
    FixtureSet,
    build_c,
    build_csharp,
    build_ts,
    check_ok,
    need_executable,
    run,
)


def write_runtime_chart(path: Path) -> Path | None:
    """A chart written by the runtime's own writer (drumscribe.charts), when it exists."""
    try:
        from drumscribe import DrumHit, Transcription
        from drumscribe.charts import write_chart_json
        from drumscribe.contract import LANE_NAMES
    except ImportError:
        return None
    rng = random.Random(9)
    hits, t = [], 0.5
    while t < 40.0:
        hits.append(DrumHit(round(t, 5), LANE_NAMES[rng.randrange(8)], rng.randrange(1, 128)))
        t += rng.choice([0.0, 0.12, 0.125, 0.25, 0.26, 0.5])
    hits.sort(key=lambda h: (h.time_s, h.lane))
    transcription = Transcription(hits=tuple(hits), duration_s=41.0, model_info={"name": "test"})
    write_chart_json(transcription, path)
    return path


@pytest.fixture(scope="session")
def fixture_set(tmp_path_factory: pytest.TempPathFactory) -> FixtureSet:
    large_dir = tmp_path_factory.mktemp("large_fixture")
    proc = run([sys.executable, str(FIXTURES / "make_fixtures.py"), "--large-only", str(large_dir)])
    check_ok(proc, "make_fixtures.py --large-only")
    valid = [*sorted((FIXTURES / "valid").glob("*.json"))]
    runtime_error = None
    try:
        runtime_chart = write_runtime_chart(large_dir / "runtime_written.json")
    except Exception as exc:  # the runtime's writer broke: its own test reports it
        runtime_chart, runtime_error = None, f"{type(exc).__name__}: {exc}"
    if runtime_chart is not None:
        valid.append(runtime_chart)
    valid.append(large_dir / "large.json")  # last: tests find it there
    invalid = sorted((FIXTURES / "invalid").glob("*.json"))
    fs = FixtureSet(valid=valid, invalid=invalid, runtime_chart_error=runtime_error)
    for path in valid:
        fs.expected_summary[path.name] = summary_fields(parse_strict(path.read_bytes()))
    return fs


@pytest.fixture(scope="session")
def ts_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bindings/ts (src, test, tools) compiled once into a temporary folder."""
    return build_ts(tmp_path_factory.mktemp("ts_build"))


@pytest.fixture(scope="session")
def csharp_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ChartTest.exe (and the library alone) built once with mcs."""
    return build_csharp(tmp_path_factory.mktemp("csharp_build"))


@pytest.fixture(scope="session")
def c_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The C test program, plain and sanitized, built once."""
    return build_c(tmp_path_factory.mktemp("c_build"))


@pytest.fixture(scope="session")
def godot() -> str:
    return need_executable("godot3-server")
