"""The layout's rules, checked on the source: no import cycles, one direction of dependency.

Imports are read from the syntax tree, function-level imports included (a cycle hidden
behind a lazy import is still a cycle); imports under ``if TYPE_CHECKING:`` are left out
(they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "drumscribe": ROOT / "runtime" / "src" / "drumscribe",
    "drumscribe_training": ROOT / "training" / "src" / "drumscribe_training",
    "drumscribe_exporters": ROOT / "exporters" / "src" / "drumscribe_exporters",
}
#: Which first-party packages each package may import (runtime <- training <- exporters).
ALLOWED = {
    "drumscribe": {"drumscribe"},
    "drumscribe_training": {"drumscribe", "drumscribe_training"},
    "drumscribe_exporters": {"drumscribe", "drumscribe_training", "drumscribe_exporters"},
}


def _modules(package: str) -> dict[str, Path]:
    root = PACKAGES[package]
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Names of the modules ``module`` imports (absolute, dotted)."""
    found: set[str] = set()
    here = module.split(".") if is_package else module.split(".")[:-1]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                prefix = here[: len(here) - (node.level - 1)]
                base = ".".join([*prefix, base] if base else prefix)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph(package: str) -> dict[str, set[str]]:
    mods = _modules(package)
    known = set().union(*(_modules(p) for p in PACKAGES))
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        names = _imported(ast.parse(path.read_text(encoding="utf-8")), name, path.name == "__init__.py")
        graph[name] = {n for n in names if n in known and n != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle inside ``graph`` (edges to other packages ignored), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := dfs(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := dfs(node)):
            return found
    return None


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_import_cycles(package: str) -> None:
    cycle = _cycle(_graph(package))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_one_direction_of_dependency(package: str) -> None:
    bad = {
        (module, target)
        for module, targets in _graph(package).items()
        for target in targets
        if target.split(".")[0] not in ALLOWED[package]
    }
    assert not bad, f"{package} imports what depends on it: {sorted(bad)}"


def test_cycle_finder_finds_a_hidden_cycle() -> None:
    a = ast.parse("def f():\n    from pkg import b\n")
    b = ast.parse("from pkg.a import x\n")
    graph = {"pkg.a": _imported(a, "pkg.a", False), "pkg.b": _imported(b, "pkg.b", False)}
    graph = {k: {n for n in v if n in graph} for k, v in graph.items()}
    assert _cycle(graph) == ["pkg.a", "pkg.b", "pkg.a"]


def test_type_checking_imports_are_not_edges() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import b\n")
    assert "pkg.b" not in _imported(tree, "pkg.a", False)
