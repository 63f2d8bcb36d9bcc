"""The shared chart fixtures against chart.schema.json (jsonschema) and the extra rules."""

from __future__ import annotations

import json
import sys

import jsonschema
import pytest
from bindings_chart_rules import (
    SCHEMA_PATH,
    ChartRuleError,
    check_chart_bytes,
    parse_strict,
    rule_errors,
    schema_errors,
)
from bindings_harness import EXPECTED_ERRORS, FIXTURES, FixtureSet, run

VALID = sorted((FIXTURES / "valid").glob("*.json"))
INVALID = sorted((FIXTURES / "invalid").glob("*.json"))


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["version"] == {"const": 1}


def test_committed_fixtures_are_what_make_fixtures_writes() -> None:
    proc = run([sys.executable, str(FIXTURES / "make_fixtures.py"), "--check"])
    assert proc.returncode == 0, proc.stderr


def test_fixture_sets_are_complete() -> None:
    assert len(VALID) >= 8
    assert {p.stem for p in INVALID} == set(EXPECTED_ERRORS)
    assert {e["caught_by"] for e in EXPECTED_ERRORS.values()} == {"json", "schema", "rule"}
    kinds = {e["kind"] for e in EXPECTED_ERRORS.values()}
    assert kinds == {"parse", "type", "missing", "unknown", "value", "version", "range", "count", "order"}


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixture_passes_schema_and_rules(path) -> None:
    assert check_chart_bytes(path.read_bytes()) == []


def test_generated_large_fixture_is_valid(fixture_set: FixtureSet) -> None:
    large = fixture_set.valid[-1]
    assert large.name == "large.json"
    data = large.read_bytes()
    assert check_chart_bytes(data) == []
    chart = parse_strict(data)
    assert len(chart["difficulties"]["expert"]["hits"]) == 20_000
    assert set(chart["difficulties"]) == {"expert", "hard", "medium", "easy"}


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_fixture_fails_with_the_documented_error(path) -> None:
    expected = EXPECTED_ERRORS[path.stem]
    data = path.read_bytes()
    errors = check_chart_bytes(data)
    assert errors, "accepted"
    if expected["kind"] == "parse":
        assert [e.kind for e in errors] == ["parse"]
        return
    obj = parse_strict(data)
    found_schema = {(e.kind, e.path) for e in schema_errors(obj)}
    if expected["caught_by"] == "rule":
        # rules JSON Schema cannot express: the schema passes, the extra rules catch it
        assert found_schema == set()
        first = rule_errors(obj)[0]  # loaders report the first problem
        assert (first.kind, first.path) == (expected["kind"], expected["path"])
    else:
        assert (expected["kind"], expected["path"]) in found_schema, found_schema


def test_readme_table_lists_every_invalid_fixture() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    for name, e in EXPECTED_ERRORS.items():
        assert f"| `invalid/{name}.json` | `{e['kind']}` | `{e['path'] or '-'}` |" in readme


def test_rule_checker_catches_what_it_claims() -> None:
    good = (FIXTURES / "valid" / "one_hit.json").read_bytes()
    assert check_chart_bytes(good) == []
    with pytest.raises(ChartRuleError, match="duplicate"):
        parse_strict(b'{"a": 1, "a": 2}')
    with pytest.raises(ChartRuleError, match="NaN"):
        parse_strict(b'{"a": NaN}')
    with pytest.raises(ChartRuleError, match="deeper"):
        parse_strict(b"[" * 65 + b"]" * 65)
    assert parse_strict(b"[" * 64 + b"]" * 64) is not None
    assert parse_strict(b"\xef\xbb\xbf{}") == {}


def test_protocol_checker_is_not_vacuous(fixture_set: FixtureSet) -> None:
    """check_program_output must catch a wrong summary, a wrong kind, a missing line."""
    from bindings_harness import EXPECTED_ERRORS, check_program_output

    def line_ok(path, **change):
        fields = dict(fixture_set.expected_summary[path.name], **change)
        return "OK\t" + path.name + "\t" + " ".join(f"{k}={v}" for k, v in fields.items())

    def line_err(path, kind=None):
        e = EXPECTED_ERRORS[path.stem]
        return f"ERR\t{path.name}\t{kind or e['kind']}\t{e['path'] or '(json)'}: problem"

    good = [line_ok(p) for p in fixture_set.valid] + [line_err(p) for p in fixture_set.invalid]
    good.append("CHECK\tsomething\tPASS\t")
    check_program_output("\n".join(good), fixture_set, "reference")
    bad_sets = [
        good[1:],  # a missing result
        [line_ok(fixture_set.valid[0], duration="123.5"), *good[1:]],  # wrong value
        [*good[:-2], line_err(fixture_set.invalid[-1], kind="type"), good[-1]],  # wrong kind
        [*good[:-1], "CHECK\tsomething\tFAIL\twhy"],  # a failed self-check
        good[:-1],  # no self-checks at all
    ]
    for lines in bad_sets:
        with pytest.raises(AssertionError):
            check_program_output("\n".join(lines), fixture_set, "broken")


def test_a_chart_written_by_the_runtime_is_among_the_valid_fixtures(fixture_set: FixtureSet) -> None:
    """So every loader is also run on what drumscribe.charts really writes."""
    pytest.importorskip("drumscribe.charts")
    assert fixture_set.runtime_chart_error is None, fixture_set.runtime_chart_error
    written = [p for p in fixture_set.valid if p.name == "runtime_written.json"]
    assert written, "conftest.write_runtime_chart did not run"
    assert check_chart_bytes(written[0].read_bytes()) == []
    chart = parse_strict(written[0].read_bytes())
    assert len(chart["difficulties"]["expert"]["hits"]) > 100


def test_missing_toolchain_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from bindings_harness import need, need_executable

    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="install_toolchains"):
        need_executable("no-such-compiler-xyz")
    need(True, "anything")  # present: nothing happens
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"CI: .*no-such-compiler-xyz"):
        need_executable("no-such-compiler-xyz")
