"""C chart loader (drumscribe_chart.h/.c + cJSON): gcc, and gcc with ASan/UBSan, over every fixture."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from bindings_harness import (
    C_DIR,
    FIXTURES,
    FixtureSet,
    check_ok,
    check_program_output,
    need,
    run,
    run_loader,
)

pytestmark = pytest.mark.bindings


def test_c_loader_over_all_fixtures(
    c_build: dict[str, Path], fixture_set: FixtureSet, tmp_path: Path
) -> None:
    stdout = run_loader("c", c_build, fixture_set.all, tmp_path)
    check_program_output(stdout, fixture_set, "C")


def test_c_loader_under_asan_and_ubsan(
    c_build: dict[str, Path], fixture_set: FixtureSet, tmp_path: Path
) -> None:
    """Every fixture (the invalid ones above all) with AddressSanitizer, LeakSanitizer, UBSan."""
    stdout = run_loader("c-sanitized", c_build, fixture_set.all, tmp_path)
    check_program_output(stdout, fixture_set, "C (sanitized)")


def test_c_header_is_usable_from_cpp() -> None:
    gxx = shutil.which("g++")
    need(gxx is not None, "g++")
    proc = run(
        [
            str(gxx),
            "-std=c++11",
            "-Wall",
            "-Werror",
            "-fsyntax-only",
            "-x",
            "c++",
            "-include",
            str(C_DIR / "drumscribe_chart.h"),
            "-",
        ],
        input="int main() { ds_chart c; ds_chart_free(&c); return 0; }\n",
        stdin=None,
    )
    check_ok(proc, "g++ -include drumscribe_chart.h")


def _many_keys_chart(tmp_path: Path, keys: int, *, duplicate: bool = False) -> Path:
    """A valid chart whose free-form ``model`` object has ``keys`` members (5 MB at 300k)."""
    data = json.loads((FIXTURES / "valid" / "all_difficulties.json").read_text(encoding="utf-8"))
    data["model"] = {f"k{i}": i for i in range(keys)}
    text = json.dumps(data)
    if duplicate:  # the last member repeats an early key
        text = text.replace(f'"k{keys - 1}": {keys - 1}', f'"k{keys - 1}": 0, "k17": 1')
    path = tmp_path / f"keys{keys}.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_c_loader_many_object_keys_load_fast(c_build: dict[str, Path], tmp_path: Path) -> None:
    """Duplicate keys are found by sorting, not pair by pair: 300k keys took > 120 s before."""
    chart = _many_keys_chart(tmp_path, 300_000)
    (tmp_path / "dup").mkdir()
    dup = _many_keys_chart(tmp_path / "dup", 300_000, duplicate=True)
    t0 = time.perf_counter()
    proc = run([str(c_build["plain"]), str(chart), str(dup)], timeout=60)
    elapsed = time.perf_counter() - t0
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"OK\t{chart.name}\t"), lines[0]
    assert lines[1].startswith(f"ERR\t{dup.name}\tparse\t") and 'duplicate key "k17"' in lines[1], lines[1]
    assert elapsed < 10, f"{elapsed:.1f} s for two charts of 300k keys"


def test_c_loader_refuses_endless_and_odd_files(c_build: dict[str, Path], tmp_path: Path) -> None:
    """/dev/zero (endless), a FIFO (would block), a folder and a sparse 65 MiB file are refused
    from their stat, never read; under a 1 GB address-space cap."""
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(65 << 20)
    cap = "import resource, subprocess, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
    cap += "sys.exit(subprocess.run(sys.argv[1:]).returncode)"
    proc = run(
        [sys.executable, "-c", cap, str(c_build["plain"]), "/dev/zero", str(fifo), str(tmp_path), str(big)],
        timeout=60,
    )
    errs = [line.split("\t") for line in proc.stdout.splitlines() if line.startswith("ERR")]
    assert [e[2] for e in errs] == ["io"] * 4, proc.stdout
    assert "not a regular file" in errs[0][3] and "not a regular file" in errs[1][3]
    assert "it is a folder" in errs[2][3]
    assert "more than the 67108864 allowed" in errs[3][3]
