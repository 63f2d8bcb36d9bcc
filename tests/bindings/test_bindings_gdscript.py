"""GDScript chart loader under headless Godot 3.2 (Debian godot3-server) over every fixture.

Godot 3 exits 0 on a script parse error and hangs after a runtime error, so tests go through
bindings/gdscript/tests/runner.gd (exit code 1 unless run() returns 0, a watchdog) and an
outer timeout.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bindings_harness import BINDINGS, FixtureSet, check_ok, check_program_output, need_executable, run

GD = BINDINGS / "gdscript"
RUNNER = GD / "tests" / "runner.gd"

pytestmark = pytest.mark.bindings


@pytest.fixture(scope="session")
def godot() -> str:
    return need_executable("godot3-server")


def run_godot(
    godot: str,
    test: Path,
    cwd: Path,
    *,
    watchdog: int = 240,
    outer: int | None = None,
    **env_extra: str,
):
    """Run ``test`` through runner.gd; ``outer`` (default watchdog + 30 s) is for a blocked
    main thread, which the in-Godot watchdog cannot stop."""
    outer = watchdog + 30 if outer is None else outer
    env = dict(os.environ)
    env.update(LANG="en_US.UTF-8", DRUMSCRIBE_GD_TEST=str(test), DRUMSCRIBE_GD_WATCHDOG=str(watchdog))
    env.update(env_extra)
    # no project.godot: res:// is the working folder (a temporary one); scripts by absolute path
    return run(
        ["timeout", "-k", "5", str(outer), godot, "--no-window", "-s", str(RUNNER)],
        cwd=cwd,
        env=env,
        timeout=outer + 30,
    )


def test_gdscript_loader_over_all_fixtures(godot: str, fixture_set: FixtureSet, tmp_path: Path) -> None:
    listing = tmp_path / "fixtures.txt"
    listing.write_text("\n".join(str(p) for p in fixture_set.all) + "\n", encoding="utf-8")
    proc = run_godot(
        godot,
        GD / "tests" / "chart_test.gd",
        tmp_path,
        DRUMSCRIBE_CHART_SCRIPT=str(GD / "drumscribe_chart.gd"),
        DRUMSCRIBE_FIXTURE_LIST=str(listing),
    )
    check_ok(proc, "godot3-server chart_test.gd")
    assert "runner: run() returned 0" in proc.stdout
    assert "SCRIPT ERROR" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
    check_program_output(proc.stdout, fixture_set, "GDScript")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("func run():\n\treturn 0\n", None),
        ('func run():\n\tprint("unclosed"\n', "parse error"),
        ("func run():\n\tvar d = {}\n\treturn d.nope.x\n", "runtime error"),
        ("func run():\n\treturn 3\n", "non-zero result"),
        ("func run():\n\twhile true:\n\t\tOS.delay_msec(100)\n", "hang"),
    ],
    ids=["passes", "parse-error", "runtime-error", "returns-3", "hangs"],
)
def test_gdscript_runner_turns_every_failure_into_exit_1(
    godot: str, tmp_path: Path, body: str, why: str | None
) -> None:
    test = tmp_path / "case.gd"
    test.write_text("extends Reference\n" + body, encoding="utf-8")
    proc = run_godot(godot, test, tmp_path, watchdog=2, outer=4)
    if why is None:
        assert proc.returncode == 0, proc.stderr
    else:
        assert proc.returncode != 0, f"{why}: exit 0\n{proc.stdout}\n{proc.stderr}"
