"""TypeScript chart loader: tsc build, node --test, and the shared fixture protocol."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import BINDINGS, FIXTURES, FixtureSet, check_ok, check_program_output, need, run

TS = BINDINGS / "ts"

pytestmark = pytest.mark.bindings


@pytest.fixture(scope="session")
def ts_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compile bindings/ts (src, test, tools) once into a temporary folder."""
    from conftest import need_executable

    need_executable("node")
    tsc = TS / "node_modules" / "typescript" / "bin" / "tsc"
    need(tsc.is_file(), "bindings/ts/node_modules (npm ci)")
    out = tmp_path_factory.mktemp("ts_build")
    proc = run(["node", str(tsc), "-p", str(TS), "--outDir", str(out)], timeout=300)
    check_ok(proc, "tsc")
    return out


def node_env() -> dict[str, str]:
    """The compiled files live outside bindings/ts: let require() find its node_modules."""
    env = dict(os.environ)
    env["NODE_PATH"] = str(TS / "node_modules")
    return env


def test_ts_node_test_suite(ts_build: Path, fixture_set: FixtureSet) -> None:
    env = node_env()
    env["DRUMSCRIBE_FIXTURES"] = str(FIXTURES)
    env["DRUMSCRIBE_LARGE_FIXTURE"] = str(fixture_set.valid[-1])
    tests = sorted(str(p) for p in (ts_build / "test").glob("*.test.js"))
    assert len(tests) >= 2
    proc = run(["node", "--test", *tests], env=env, timeout=300)
    check_ok(proc, "node --test")
    assert "# fail 0" in proc.stdout, proc.stdout[-3000:]


def test_ts_loader_over_all_fixtures(ts_build: Path, fixture_set: FixtureSet) -> None:
    program = ts_build / "tools" / "chart_summary.js"
    proc = run(["node", str(program), *map(str, fixture_set.all)], env=node_env(), timeout=300)
    check_ok(proc, "chart_summary.js")
    check_program_output(proc.stdout, fixture_set, "TypeScript")


def test_ts_cli_chart_command(ts_build: Path) -> None:
    cli = ts_build / "src" / "cli.js"
    good = FIXTURES / "valid" / "all_difficulties.json"
    bad = FIXTURES / "invalid" / "unsorted_hits.json"
    proc = run(["node", str(cli), "chart", str(good)], env=node_env())
    assert proc.returncode == 0, proc.stderr
    assert "ok (expert" in proc.stdout
    proc = run(["node", str(cli), "chart", str(good), str(bad)], env=node_env())
    assert proc.returncode == 1
    assert "order error: difficulties.expert.hits[2].time_s: not sorted" in proc.stderr
    proc = run(["node", str(cli), "nonsense"], env=node_env())
    assert proc.returncode == 2
