"""Helpers for the bindings tests: fixture files, toolchains, the test-program protocol.

Every binding has a test program that takes chart files and prints, for each, one line:

    OK<TAB>file name<TAB>summary            (see bindings_chart_rules.summary_fields)
    ERR<TAB>file name<TAB>kind<TAB>message

and, for its own API checks, ``CHECK<TAB>name<TAB>PASS|FAIL<TAB>detail``. The tests here
compare those lines with what the fixtures should give.

A missing toolchain skips its tests locally and fails them when the CI variable is set
(``bash bindings/install_toolchains.sh`` installs them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bindings_chart_rules import parse_summary, same_summary

HERE = Path(__file__).resolve().parent

REPO = HERE.parents[1]
BINDINGS = REPO / "bindings"
FIXTURES = BINDINGS / "fixtures"
TS = BINDINGS / "ts"
EXPECTED_ERRORS: dict[str, dict[str, str | None]] = json.loads(
    (FIXTURES / "expected_errors.json").read_text(encoding="utf-8")
)


def need(condition: bool, what: str) -> None:
    """Skip (locally) or fail (CI set) when a toolchain piece is missing."""
    if condition:
        return
    message = f"{what} is missing: run `bash bindings/install_toolchains.sh`"
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)


def need_executable(name: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"the `{name}` executable")
    assert path is not None
    return path


def run(cmd: list[str], *, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run a command, capture text output; never hang past ``timeout``."""
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)


def check_ok(proc: subprocess.CompletedProcess[str], what: str) -> None:
    if proc.returncode != 0:
        raise AssertionError(
            f"{what} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n"
            f"--- stderr\n{proc.stderr[-4000:]}"
        )


@dataclass
class FixtureSet:
    """Paths of all fixture files: the committed ones and the generated large chart."""

    valid: list[Path]
    invalid: list[Path]
    expected_summary: dict[str, dict[str, str]] = field(default_factory=dict)
    #: why no chart could be written with drumscribe.charts (None: written, or no runtime)
    runtime_chart_error: str | None = None

    @property
    def all(self) -> list[Path]:
        return [*self.valid, *self.invalid]


def check_program_output(stdout: str, fixtures: FixtureSet, language: str) -> dict[str, int]:
    """Assert a test program's lines match the fixtures; return counts for the report."""
    results: dict[str, list[str]] = {}
    checks: list[list[str]] = []
    for line in stdout.splitlines():
        parts = line.rstrip("\r").split("\t")
        if parts[0] in ("OK", "ERR") and len(parts) >= 3:
            assert parts[1] not in results, f"{language}: {parts[1]} reported twice"
            results[parts[1]] = parts
        elif parts[0] == "CHECK":
            checks.append(parts)
    problems = []
    for path in fixtures.valid:
        got = results.get(path.name)
        if got is None:
            problems.append(f"valid/{path.name}: no result line")
        elif got[0] != "OK":
            problems.append(f"valid/{path.name}: rejected: {got[2:]}")
        else:
            diff = same_summary(fixtures.expected_summary[path.name], parse_summary(got[2]))
            if diff:
                problems.append(f"valid/{path.name}: loaded wrongly: {'; '.join(diff)}")
    for path in fixtures.invalid:
        got = results.get(path.name)
        expected = EXPECTED_ERRORS[path.stem]
        if got is None:
            problems.append(f"invalid/{path.name}: no result line")
        elif got[0] != "ERR":
            problems.append(f"invalid/{path.name}: accepted (expected {expected['kind']})")
        elif len(got) < 4:
            problems.append(f"invalid/{path.name}: ERR line without message: {got}")
        else:
            kind, message = got[2], got[3]
            if kind != expected["kind"]:
                problems.append(
                    f"invalid/{path.name}: kind {kind!r}, expected {expected['kind']!r}: {message}"
                )
            elif expected["path"] is not None and not message.startswith(f"{expected['path']}: "):
                problems.append(
                    f"invalid/{path.name}: message {message!r} should start with {expected['path']!r}"
                )
            elif not message.strip():
                problems.append(f"invalid/{path.name}: empty message")
    failed_checks = [c for c in checks if len(c) < 3 or c[2] != "PASS"]
    problems += [f"self-check failed: {c[1:]}" for c in failed_checks]
    assert not problems, f"{language} loader:\n" + "\n".join(problems)
    assert checks, f"{language}: the test program ran no API checks"
    return {"valid": len(fixtures.valid), "invalid": len(fixtures.invalid), "checks": len(checks)}


def node_env() -> dict[str, str]:
    """The compiled files live outside bindings/ts: let require() find its node_modules."""
    env = dict(os.environ)
    env["NODE_PATH"] = str(TS / "node_modules")
    return env


# ---------------------------------------------------------------- building and running loaders

CSHARP = BINDINGS / "csharp"
C_DIR = BINDINGS / "c"
GD = BINDINGS / "gdscript"
GD_RUNNER = GD / "tests" / "runner.gd"
C_WARNINGS = [
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-Wshadow",
    "-Wconversion",
    "-Wno-sign-conversion",
]
C_SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=23",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=24",
}


def build_ts(out: Path) -> Path:
    need_executable("node")
    tsc = TS / "node_modules" / "typescript" / "bin" / "tsc"
    need(tsc.is_file(), "bindings/ts/node_modules (npm ci)")
    check_ok(run(["node", str(tsc), "-p", str(TS), "--outDir", str(out)], timeout=300), "tsc")
    return out


def build_csharp(out: Path) -> Path:
    mcs = need_executable("mcs")
    need_executable("mono")
    source = str(CSHARP / "DrumscribeChart.cs")
    flags = [mcs, "-langversion:7.2", "-warnaserror+"]
    # the library alone, as a game would build it, with warnings as errors
    lib = run([*flags, "-target:library", f"-out:{out / 'Drumscribe.Chart.dll'}", source], timeout=300)
    check_ok(lib, "mcs (library)")
    exe = out / "ChartTest.exe"
    proc = run([*flags, f"-out:{exe}", source, str(CSHARP / "tests" / "ChartTest.cs")], timeout=300)
    check_ok(proc, "mcs (test program)")
    return exe


def have_cjson(gcc: str) -> bool:
    if Path("/usr/include/cjson/cJSON.h").is_file():
        return True
    probe = run([gcc, "-E", "-x", "c", "-"], input="#include <cjson/cJSON.h>\n", stdin=None)
    return probe.returncode == 0


def build_c(out: Path) -> dict[str, Path]:
    """The C test program twice: plain -O2, and with ASan + UBSan (+ LeakSanitizer)."""
    gcc = need_executable("gcc")
    need(have_cjson(gcc), "cJSON headers (Debian libcjson-dev)")
    sources = [str(C_DIR / "drumscribe_chart.c"), str(C_DIR / "tests" / "chart_test.c")]
    programs = {}
    for name, flags in {"plain": ["-O2"], "sanitized": ["-O1", "-g", *C_SANITIZE]}.items():
        exe = out / f"chart_test_{name}"
        cmd = [gcc, *C_WARNINGS, *flags, f"-I{C_DIR}", *sources, "-lcjson", "-lm", "-o", str(exe)]
        check_ok(run(cmd, timeout=300), f"gcc ({name})")
        programs[name] = exe
    return programs


def run_godot(
    godot: str, test: Path, cwd: Path, *, watchdog: int = 240, outer: int | None = None, **env_extra: str
) -> subprocess.CompletedProcess[str]:
    """Run a GDScript test through runner.gd (see its header). ``outer`` (default watchdog +
    30 s) stops a blocked main thread, which the in-Godot watchdog cannot."""
    outer = watchdog + 30 if outer is None else outer
    env = dict(os.environ)
    env.update(LANG="en_US.UTF-8", DRUMSCRIBE_GD_TEST=str(test), DRUMSCRIBE_GD_WATCHDOG=str(watchdog))
    env.update(env_extra)
    # no project.godot: res:// is the working folder (a temporary one); scripts by absolute path
    cmd = ["timeout", "-k", "5", str(outer), godot, "--no-window", "-s", str(GD_RUNNER)]
    return run(cmd, cwd=cwd, env=env, timeout=outer + 30)


def run_loader(language: str, tool: object, files: list[Path], workdir: Path) -> str:
    """Run one binding's test program over ``files``; return its stdout (protocol lines)."""
    args = [str(p) for p in files]
    if language == "ts":
        assert isinstance(tool, Path)
        proc = run(["node", str(tool / "tools" / "chart_summary.js"), *args], env=node_env(), timeout=300)
    elif language == "csharp":
        proc = run(["mono", str(tool), *args], timeout=300)
    elif language in ("c", "c-sanitized"):
        assert isinstance(tool, dict)
        env = dict(os.environ, **SANITIZER_ENV)
        exe = tool["plain" if language == "c" else "sanitized"]
        proc = run([str(exe), *args], env=env, timeout=300)
        if language == "c-sanitized":
            assert "Sanitizer" not in proc.stderr and "runtime error" not in proc.stderr, proc.stderr[-4000:]
    elif language == "gdscript":
        assert isinstance(tool, str)
        listing = workdir / "fixture_list.txt"
        listing.write_text("\n".join(args) + "\n", encoding="utf-8")
        proc = run_godot(
            tool,
            GD / "tests" / "chart_test.gd",
            workdir,
            DRUMSCRIBE_CHART_SCRIPT=str(GD / "drumscribe_chart.gd"),
            DRUMSCRIBE_FIXTURE_LIST=str(listing),
        )
        assert "SCRIPT ERROR" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
        assert "runner: run() returned 0" in proc.stdout, proc.stdout[-3000:]
    else:
        raise ValueError(language)
    check_ok(proc, f"{language} test program")
    return proc.stdout


def parse_results(stdout: str) -> dict[str, list[str]]:
    """file name -> ["OK", name, summary] or ["ERR", name, kind, message]."""
    out = {}
    for line in stdout.splitlines():
        parts = line.rstrip("\r").split("\t")
        if parts[0] in ("OK", "ERR") and len(parts) >= 3:
            out[parts[1]] = parts
    return out


def odd_chart_files(tmp_path: Path) -> list[Path]:
    """/dev/zero (endless), a FIFO (a blocking open), a folder and a sparse 65 MiB file (over
    the 64 MiB cap, costing no disk): what every chart loader must refuse before reading."""
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(65 << 20)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    return [Path("/dev/zero"), fifo, folder, big]


def check_odd_files_refused(got: dict[str, list[str]], files: list[Path]) -> None:
    """Each of :func:`odd_chart_files` got an ``io`` error in the C and TypeScript loaders' words."""
    zero, fifo, folder, big = files
    for path, name, why in (
        (zero, "zero", "not a regular file (a pipe or a device)"),
        (fifo, fifo.name, "not a regular file (a pipe or a device)"),
        (folder, folder.name, "it is a folder"),
        (big, big.name, "68157440 bytes, more than the 67108864 allowed"),
    ):
        assert got[name][2:] == ["io", f"{path}: cannot read the file: {why}"], got[name]
