"""C chart loader (drumscribe_chart.h/.c + cJSON): gcc, and gcc with ASan/UBSan, over every fixture."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from bindings_harness import (
    BINDINGS,
    FixtureSet,
    check_ok,
    check_program_output,
    need,
    need_executable,
    run,
)

C_DIR = BINDINGS / "c"
SOURCES = [str(C_DIR / "drumscribe_chart.c"), str(C_DIR / "tests" / "chart_test.c")]
WARNINGS = [
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-Wshadow",
    "-Wconversion",
    "-Wno-sign-conversion",
]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]

pytestmark = pytest.mark.bindings


def have_cjson(gcc: str) -> bool:
    return (
        Path("/usr/include/cjson/cJSON.h").is_file()
        or run([gcc, "-E", "-x", "c", "-"], input="#include <cjson/cJSON.h>\n", stdin=None).returncode == 0
    )


@pytest.fixture(scope="session")
def c_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    gcc = need_executable("gcc")
    need(have_cjson(gcc), "cJSON headers (Debian libcjson-dev)")
    out = tmp_path_factory.mktemp("c_build")
    builds = {"plain": ["-O2"], "sanitized": ["-O1", "-g", *SANITIZE]}
    programs = {}
    for name, flags in builds.items():
        exe = out / f"chart_test_{name}"
        proc = run(
            [gcc, *WARNINGS, *flags, f"-I{C_DIR}", *SOURCES, "-lcjson", "-lm", "-o", str(exe)], timeout=300
        )
        check_ok(proc, f"gcc ({name})")
        programs[name] = exe
    return programs


def test_c_loader_over_all_fixtures(c_build: dict[str, Path], fixture_set: FixtureSet) -> None:
    proc = run([str(c_build["plain"]), *map(str, fixture_set.all)], timeout=300)
    check_ok(proc, "chart_test")
    check_program_output(proc.stdout, fixture_set, "C")


def test_c_loader_under_asan_and_ubsan(c_build: dict[str, Path], fixture_set: FixtureSet) -> None:
    """Every fixture (the invalid ones above all) with AddressSanitizer, LeakSanitizer, UBSan."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=23"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:exitcode=24"
    proc = run([str(c_build["sanitized"]), *map(str, fixture_set.all)], env=env, timeout=300)
    check_ok(proc, "chart_test (sanitized)")
    assert "runtime error" not in proc.stderr, proc.stderr[-4000:]
    assert "Sanitizer" not in proc.stderr, proc.stderr[-4000:]
    check_program_output(proc.stdout, fixture_set, "C (sanitized)")


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
