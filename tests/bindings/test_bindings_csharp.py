"""C# chart loader: compiled with mono's mcs (library and test program), run with mono."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from bindings_harness import FixtureSet, check_ok, check_program_output, parse_results, run, run_loader

pytestmark = pytest.mark.bindings


def test_csharp_loader_over_all_fixtures(csharp_build: Path, fixture_set: FixtureSet, tmp_path: Path) -> None:
    stdout = run_loader("csharp", csharp_build, fixture_set.all, tmp_path)
    check_program_output(stdout, fixture_set, "C#")


def test_csharp_loader_refuses_endless_and_odd_files(csharp_build: Path, tmp_path: Path) -> None:
    """/dev/zero (endless), a FIFO (would block), a folder and a sparse 65 MiB file are refused
    before they are read, each with the message the C and TypeScript loaders give
    (File.ReadAllBytes blocked on the FIFO and read the 65 MiB file whole); under a 1 GB
    address-space cap."""
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(65 << 20)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    cap = "import resource, subprocess, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
    cap += "sys.exit(subprocess.run(sys.argv[1:]).returncode)"
    files = ["/dev/zero", str(fifo), str(folder), str(big)]
    proc = run([sys.executable, "-c", cap, "mono", str(csharp_build), *files], timeout=60)
    check_ok(proc, "mono ChartTest.exe")
    got = parse_results(proc.stdout)
    for path, name, why in (
        ("/dev/zero", "zero", "not a regular file (a pipe or a device)"),
        (str(fifo), "pipe.json", "not a regular file (a pipe or a device)"),
        (str(folder), "folder.json", "it is a folder"),
        (str(big), "big.json", "68157440 bytes, more than the 67108864 allowed"),
    ):
        assert got[name][2:] == ["io", f"{path}: cannot read the file: {why}"], got[name]
