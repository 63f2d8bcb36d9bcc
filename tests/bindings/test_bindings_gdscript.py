"""GDScript chart loader under headless Godot 3.2 (Debian godot3-server) over every fixture.

Godot 3 exits 0 on a script parse error and hangs after a runtime error, so tests go through
bindings/gdscript/tests/runner.gd (exit code 1 unless run() returns 0, a watchdog) and an
outer timeout.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bindings_harness import (
    FixtureSet,
    check_odd_files_refused,
    check_program_output,
    odd_chart_files,
    parse_results,
    run_godot,
    run_loader,
)

pytestmark = pytest.mark.bindings


def test_gdscript_loader_over_all_fixtures(godot: str, fixture_set: FixtureSet, tmp_path: Path) -> None:
    stdout = run_loader("gdscript", godot, fixture_set.all, tmp_path)
    check_program_output(stdout, fixture_set, "GDScript")


def test_gdscript_loader_refuses_endless_and_odd_files(godot: str, tmp_path: Path) -> None:
    """/dev/zero (endless), a FIFO (would block), a folder and a sparse 65 MiB file are refused
    before they are read, each with the message the C and TypeScript loaders give (it was
    "cannot read the file (Godot error 12)", and the 65 MiB file was read whole)."""
    files = odd_chart_files(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    stdout = run_loader("gdscript", godot, files, work)
    check_odd_files_refused(parse_results(stdout), files)


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
