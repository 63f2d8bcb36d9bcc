"""Session fixtures for the bindings tests (helpers live in bindings_harness.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bindings_chart_rules import parse_strict, summary_fields
from bindings_harness import (
    FIXTURES,
    TS,
    FixtureSet,
    check_ok,
    need,
    need_executable,
    run,
)


@pytest.fixture(scope="session")
def fixture_set(tmp_path_factory: pytest.TempPathFactory) -> FixtureSet:
    large_dir = tmp_path_factory.mktemp("large_fixture")
    proc = run([sys.executable, str(FIXTURES / "make_fixtures.py"), "--large-only", str(large_dir)])
    check_ok(proc, "make_fixtures.py --large-only")
    valid = [*sorted((FIXTURES / "valid").glob("*.json")), large_dir / "large.json"]
    invalid = sorted((FIXTURES / "invalid").glob("*.json"))
    fs = FixtureSet(valid=valid, invalid=invalid)
    for path in valid:
        fs.expected_summary[path.name] = summary_fields(parse_strict(path.read_bytes()))
    return fs


@pytest.fixture(scope="session")
def ts_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compile bindings/ts (src, test, tools) once into a temporary folder."""
    need_executable("node")
    tsc = TS / "node_modules" / "typescript" / "bin" / "tsc"
    need(tsc.is_file(), "bindings/ts/node_modules (npm ci)")
    out = tmp_path_factory.mktemp("ts_build")
    proc = run(["node", str(tsc), "-p", str(TS), "--outDir", str(out)], timeout=300)
    check_ok(proc, "tsc")
    return out
