"""TypeScript chart loader: tsc build, node --test, and the shared fixture protocol."""

from __future__ import annotations

from pathlib import Path

import pytest
from bindings_harness import FIXTURES, FixtureSet, check_ok, check_program_output, node_env, run, run_loader

pytestmark = pytest.mark.bindings


def test_ts_node_test_suite(ts_build: Path, fixture_set: FixtureSet) -> None:
    env = node_env()
    env["DRUMSCRIBE_FIXTURES"] = str(FIXTURES)
    env["DRUMSCRIBE_LARGE_FIXTURE"] = str(fixture_set.valid[-1])
    tests = sorted(str(p) for p in (ts_build / "test").glob("*.test.js"))
    assert len(tests) >= 2
    proc = run(["node", "--test", *tests], env=env, timeout=300)
    check_ok(proc, "node --test")
    assert "# fail 0" in proc.stdout, proc.stdout[-3000:]


def test_ts_loader_over_all_fixtures(ts_build: Path, fixture_set: FixtureSet, tmp_path: Path) -> None:
    stdout = run_loader("ts", ts_build, fixture_set.all, tmp_path)
    check_program_output(stdout, fixture_set, "TypeScript")


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


def test_ts_loader_refuses_endless_and_odd_files(ts_build: Path, tmp_path: Path) -> None:
    """/dev/zero (endless), a FIFO (would block), a folder, a sparse 65 MiB file: refused from
    their stat, never read, with node's heap capped at 256 MB (it was read until 24 GB)."""
    import os

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(65 << 20)
    cli = str(ts_build / "src" / "cli.js")
    for path, why in (
        ("/dev/zero", "not a regular file"),
        (str(fifo), "not a regular file"),
        (str(tmp_path), "it is a folder"),
        (str(big), "more than the 67108864 allowed"),
    ):
        proc = run(["node", "--max-old-space-size=256", cli, "chart", path], env=node_env(), timeout=60)
        assert proc.returncode == 1, (path, proc.stderr)
        assert why in proc.stderr, (path, proc.stderr)
