"""C# chart loader: compiled with mono's mcs (library and test program), run with mono."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from bindings_harness import (
    FixtureSet,
    check_odd_files_refused,
    check_ok,
    check_program_output,
    odd_chart_files,
    parse_results,
    run,
    run_loader,
)

pytestmark = pytest.mark.bindings


def test_csharp_loader_over_all_fixtures(csharp_build: Path, fixture_set: FixtureSet, tmp_path: Path) -> None:
    stdout = run_loader("csharp", csharp_build, fixture_set.all, tmp_path)
    check_program_output(stdout, fixture_set, "C#")


def test_csharp_loader_refuses_endless_and_odd_files(csharp_build: Path, tmp_path: Path) -> None:
    """/dev/zero (endless), a FIFO (would block), a folder and a sparse 65 MiB file are refused
    before they are read, each with the message the C and TypeScript loaders give
    (File.ReadAllBytes blocked on the FIFO and read the 65 MiB file whole); under a 1 GB
    address-space cap."""
    files = odd_chart_files(tmp_path)
    cap = "import resource, subprocess, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
    cap += "sys.exit(subprocess.run(sys.argv[1:]).returncode)"
    proc = run([sys.executable, "-c", cap, "mono", str(csharp_build), *map(str, files)], timeout=60)
    check_ok(proc, "mono ChartTest.exe")
    check_odd_files_refused(parse_results(proc.stdout), files)
