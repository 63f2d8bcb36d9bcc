"""C chart loader (drumscribe_chart.h/.c + cJSON): gcc, and gcc with ASan/UBSan, over every fixture."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bindings_harness import C_DIR, FixtureSet, check_ok, check_program_output, need, run, run_loader

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
