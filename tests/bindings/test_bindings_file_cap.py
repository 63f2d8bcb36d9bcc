"""Every chart loader caps a chart file at the size bindings/README.md states (its one source):
the constants are read from the source files (no toolchain needed) and must all be equal."""

from __future__ import annotations

import ast
import operator
import re

import pytest
from bindings_harness import BINDINGS, REPO

README = BINDINGS / "README.md"

#: file -> the pattern whose group 1 is the cap's expression in that language
LOADERS: dict[str, str] = {
    "bindings/c/drumscribe_chart.h": r"#define\s+DS_MAX_CHART_BYTES\s+(.+)",
    "bindings/ts/src/node.ts": r"export\s+const\s+MAX_CHART_BYTES\s*=\s*([^;]+);",
    "bindings/csharp/DrumscribeChart.cs": r"public\s+const\s+long\s+MaxChartBytes\s*=\s*([^;]+);",
    "bindings/gdscript/drumscribe_chart.gd": r"const\s+MAX_CHART_BYTES\s*=\s*([^#\n]+)",
    "runtime/src/drumscribe/charts/json_chart.py": r"^MAX_CHART_BYTES\s*=\s*([^#\n]+)",
}

_OPS = {ast.Mult: operator.mul, ast.LShift: operator.lshift, ast.Add: operator.add}


def integer_expression(text: str) -> int:
    """The value of an integer constant written as `64UL * 1024UL`, `64L * 1024`, `64 << 20`:
    integer literals (C/C# suffixes dropped), *, <<, + and parentheses only."""
    plain = re.sub(r"(?<=\d)[uUlL]+\b", "", text.strip())

    def value(node: ast.expr) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](value(node.left), value(node.right))
        raise ValueError(f"not a plain integer expression: {text!r}")

    return value(ast.parse(plain, mode="eval").body)


def readme_cap() -> int:
    text = README.read_text(encoding="utf-8")
    found = re.findall(r"at most \*\*(\d+) bytes\*\*", text)
    assert len(found) == 1, "bindings/README.md should state the chart file cap once, in bold"
    return int(found[0])


def test_integer_expression() -> None:
    assert integer_expression("(64UL * 1024UL * 1024UL)") == 64 << 20
    assert integer_expression("64L * 1024 * 1024") == 64 << 20
    assert integer_expression("64 << 20 ") == 64 << 20
    with pytest.raises(ValueError):
        integer_expression("os.environ['X']")


def test_readme_cap_is_64_mib_and_its_messages_agree() -> None:
    cap = readme_cap()
    assert cap == 64 * 1024 * 1024
    assert f"more than the {cap} allowed" in README.read_text(encoding="utf-8")


@pytest.mark.parametrize("source", sorted(LOADERS))
def test_every_loader_caps_chart_files_at_the_readme_value(source: str) -> None:
    path = REPO / source
    text = path.read_text(encoding="utf-8")
    found = re.findall(LOADERS[source], text, flags=re.MULTILINE)
    assert len(found) == 1, f"{source}: the chart file cap constant should be defined once"
    assert integer_expression(found[0]) == readme_cap(), f"{source}: {found[0].strip()}"
    assert "bindings/README.md" in text, f"{source} should name bindings/README.md as the cap's source"


def test_the_python_constant_is_the_one_read() -> None:
    """The runtime's value as imported equals the one parsed from its source."""
    json_chart = pytest.importorskip("drumscribe.charts.json_chart")
    assert json_chart.MAX_CHART_BYTES == readme_cap()
