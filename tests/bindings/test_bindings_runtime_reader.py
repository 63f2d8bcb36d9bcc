"""The runtime's own chart reader (drumscribe.charts.read_chart_json) on the shared fixtures.

Issue 11 asks that the Python reader and every binding give the same verdicts. The bindings
are held to the fixtures by their own tests; this holds the runtime's reader to them, so a
disagreement shows up here (it is owned by the runtime, not by bindings/).
"""

from __future__ import annotations

import pytest
from bindings_harness import EXPECTED_ERRORS, FIXTURES

VALID = sorted((FIXTURES / "valid").glob("*.json"))
INVALID = sorted((FIXTURES / "invalid").glob("*.json"))


@pytest.fixture(scope="module")
def read_chart_json():
    charts = pytest.importorskip("drumscribe.charts")
    if not hasattr(charts, "read_chart_json"):
        pytest.skip("drumscribe.charts.read_chart_json does not exist yet")
    return charts.read_chart_json


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_runtime_reader_loads_valid_fixture(read_chart_json, path) -> None:
    read_chart_json(path)


def test_runtime_reader_loads_the_large_fixture(read_chart_json, fixture_set) -> None:
    chart = read_chart_json(fixture_set.valid[-1])
    assert chart is not None


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_runtime_reader_rejects_invalid_fixture(read_chart_json, path) -> None:
    from drumscribe.errors import ChartError

    with pytest.raises(ChartError) as info:
        read_chart_json(path)
    assert str(path.name) in str(info.value), "the message should name the file"
    expected = EXPECTED_ERRORS[path.stem]
    if expected["path"] not in (None, "(root)"):
        assert expected["path"].split(".")[0].split("[")[0] in str(info.value)
