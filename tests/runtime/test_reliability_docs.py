"""docs/RELIABILITY.md lists exactly the cases the tests run, in their order, and every
"checked by" reference names a test that exists. (Each case's own row is compared with
what its run printed in test_reliability_audio.py / test_reliability_models.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import reliability_cases as rc


@pytest.fixture(scope="module")
def doc() -> str:
    return rc.DOC.read_text(encoding="utf-8")


def _ids(lines: list[str]) -> list[str]:
    return [line.split("`")[1] for line in lines[2:]]


@pytest.mark.parametrize("area", ["audio", "output", "model", "options"])
def test_cli_sections_list_the_cases(doc: str, area: str) -> None:
    lines = rc.read_section(doc, area)
    assert lines[:2] == rc.CLI_HEADER.splitlines()
    assert _ids(lines) == [c.id for c in rc.CLI_CASES if c.area == area], (
        "run scripts/write_reliability_table.py"
    )


def test_array_section_lists_the_cases(doc: str) -> None:
    lines = rc.read_section(doc, "array")
    assert lines[:2] == rc.ARRAY_HEADER.splitlines()
    assert _ids(lines) == [c.id for c in rc.ARRAY_CASES]


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in rc.CLI_CASES] + [c.id for c in rc.ARRAY_CASES] + [r[0] for r in rc.STATIC_ROWS]
    assert len(ids) == len(set(ids))


def test_other_section_is_current_and_points_at_real_tests(doc: str) -> None:
    assert rc.read_section(doc, "other") == [
        *rc.STATIC_HEADER.splitlines(),
        *map(rc.static_row, rc.STATIC_ROWS),
    ]
    for rid, _what, _gets, ref in rc.STATIC_ROWS:
        file, _, name = ref.partition("::")
        path = rc.REPO / file
        assert path.is_file(), (rid, file)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tests = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert name in tests, f"{rid}: {ref} does not exist"


def test_every_section_has_its_markers(doc: str) -> None:
    for name in rc.SECTIONS:
        begin, end = rc.section_markers(name)
        assert doc.count(begin) == 1 and doc.count(end) == 1, name


def test_the_script_runs_the_same_list() -> None:
    script = (rc.REPO / "scripts" / "write_reliability_table.py").read_text(encoding="utf-8")
    assert "render_sections" in script and "replace_sections" in script
    assert Path(rc.__file__).name == "reliability_cases.py"
