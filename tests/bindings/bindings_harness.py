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
