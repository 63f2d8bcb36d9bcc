"""JSON chart v1: build, schema validity, round trips, and clear errors on bad charts."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drumscribe import DrumHit, Transcription
from drumscribe.charts import (
    Chart,
    TempoSegment,
    build_chart,
    chart_from_dict,
    chart_from_transcription,
    chart_to_json,
    read_chart_json,
    validate_chart,
    write_chart_json,
)
from drumscribe.errors import ChartError


@pytest.fixture(scope="module")
def chart_dict(rich_transcription: Transcription) -> dict[str, Any]:
    return build_chart(rich_transcription)


def test_build_chart_is_schema_valid(chart_dict: dict[str, Any], schema_validator: Any) -> None:
    schema_validator.validate(chart_dict)
    validate_chart(chart_dict)
    assert chart_dict["format"] == "drumscribe-chart" and chart_dict["version"] == 1
    assert list(chart_dict["difficulties"]) == ["expert", "hard", "medium", "easy"]
    assert chart_dict["audio"] == {"file": "groove.wav", "sha256": "ab" * 32}
    assert chart_dict["model"]["name"] == "test"
    q = chart_dict["quantization"]
    assert q["grid"] == "1/16" and q["snapped"] + q["kept"] > 0
    expert = chart_dict["difficulties"]["expert"]["hits"]
    assert all("raw_time_s" in h for h in expert)
    assert [h["time_s"] for h in expert] == sorted(h["time_s"] for h in expert)
    assert len(chart_dict["tempo_map"]) == 2  # 120 then 96 bpm
    assert chart_dict["tempo_map"][0]["bpm"] == pytest.approx(120.0, rel=0.01)
    assert chart_dict["tempo_map"][1]["bpm"] == pytest.approx(96.0, rel=0.01)


def test_build_chart_options(rich_transcription: Transcription, schema_validator: Any) -> None:
    d = build_chart(rich_transcription, bpm=120.0, offset_s=0.5, grid=None, difficulties=("expert", "easy"))
    schema_validator.validate(d)
    assert d["tempo_map"] == [{"time_s": 0.5, "bpm": 120.0, "beat": 0.0}]
    assert d["quantization"]["grid"] is None and d["quantization"]["snapped"] == 0
    assert list(d["difficulties"]) == ["expert", "easy"]
    trip = build_chart(rich_transcription, grid="1/12")
    schema_validator.validate(trip)
    assert trip["quantization"]["grid"] == "1/12"
    # Transcription.to_chart forwards to build_chart
    assert rich_transcription.to_chart(bpm=120.0, offset_s=0.5, grid=None) == build_chart(
        rich_transcription, bpm=120.0, offset_s=0.5, grid=None
    )


def test_empty_transcription_makes_a_valid_chart(schema_validator: Any) -> None:
    d = build_chart(Transcription(hits=(), duration_s=2.0))
    schema_validator.validate(d)
    assert d["difficulties"]["expert"]["hits"] == []


def test_write_read_round_trip(
    chart_dict: dict[str, Any], rich_transcription: Transcription, tmp_path: Path
) -> None:
    path = tmp_path / "chart.json"
    assert write_chart_json(chart_dict, path) == path
    chart = read_chart_json(path)
    assert isinstance(chart, Chart)
    assert chart.to_dict() == chart_dict
    assert [h.drum for h in chart.hits("expert")][:3]
    # straight from a transcription, with chart options
    write_chart_json(rich_transcription, tmp_path / "b.json", bpm=100.0)
    assert read_chart_json(tmp_path / "b.json").tempo_map.segments[0].bpm == 100.0
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(TypeError):
        write_chart_json(chart, tmp_path / "c.json", bpm=100.0)


def _mutate(d: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(d)
    keys = path.split(".")
    target: Any = out
    for k in keys[:-1]:
        target = target[int(k)] if isinstance(target, list) else target[k]
    last = keys[-1]
    if value is _DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return out


_DELETE = object()

BAD_CASES = [
    ("format", "other", "$.format"),
    ("version", 2, "$.version"),
    ("lanes", [], "$.lanes"),
    ("lanes.3.name", "cowbell", "$.lanes[3].name"),
    ("lanes.0.gm_note", 128, "$.lanes[0].gm_note"),
    ("duration_s", -1, "$.duration_s"),
    ("duration_s", "long", "$.duration_s"),
    ("audio.sha256", "ABC", "$.audio.sha256"),
    ("audio.extra", 1, "$.audio"),
    ("time_signature.denominator", 3, "$.time_signature.denominator"),
    ("tempo_map", [], "$.tempo_map"),
    ("tempo_map.0.bpm", 0, "$.tempo_map[0].bpm"),
    ("tempo_map.0.beat", _DELETE, "$.tempo_map[0]"),
    ("beats.0.downbeat", 1, "$.beats[0].downbeat"),
    ("quantization.snapped", -1, "$.quantization.snapped"),
    ("difficulties.expert", _DELETE, "$.difficulties"),
    ("difficulties.insane", {"hits": []}, "$.difficulties"),
    ("difficulties.expert.hits.3.lane", 8, "$.difficulties.expert.hits[3].lane"),
    ("difficulties.expert.hits.3.velocity", 0, "$.difficulties.expert.hits[3].velocity"),
    ("difficulties.expert.hits.3.velocity", True, "$.difficulties.expert.hits[3].velocity"),
    ("difficulties.hard.hits.0.flam", True, "$.difficulties.hard.hits[0]"),
    ("difficulties.easy.hits.1.beat", -0.5, "$.difficulties.easy.hits[1].beat"),
    ("extra", 1, "$"),
    # the edges of every range
    ("duration_s", 86400.5, "$.duration_s"),
    ("tempo_map.0.bpm", 1000.5, "$.tempo_map[0].bpm"),
    ("tempo_map.0.beat", 1e6 + 1, "$.tempo_map[0].beat"),
    ("time_signature.numerator", 33, "$.time_signature.numerator"),
    ("time_signature.numerator", 4.5, "$.time_signature.numerator"),
    ("difficulties.expert.hits.0.time_s", 86401, "$.difficulties.expert.hits[0].time_s"),
    ("difficulties.expert.hits.0.raw_time_s", -0.001, "$.difficulties.expert.hits[0].raw_time_s"),
    ("difficulties.expert.hits.0.velocity", 128, "$.difficulties.expert.hits[0].velocity"),
    ("quantization.tolerance_s", -0.1, "$.quantization.tolerance_s"),
    ("audio.file", 3, "$.audio.file"),
    ("model", [], "$.model"),
]


@pytest.mark.parametrize(("path", "value", "where"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_schema_violations_name_the_file_and_json_path(
    chart_dict: dict[str, Any], schema_validator: Any, tmp_path: Path, path: str, value: Any, where: str
) -> None:
    bad = _mutate(chart_dict, path, value)
    assert not schema_validator.is_valid(bad)  # the schema agrees it is bad
    file = tmp_path / "bad chart.json"
    file.write_text(json.dumps(bad))
    with pytest.raises(ChartError) as info:
        read_chart_json(file)
    msg = str(info.value)
    assert msg.startswith(f"{file}: {where}"), msg


EXTRA_CASES = [
    ("difficulties.expert.hits.2.time_s", 0.0, "$.difficulties.expert.hits[2].time_s", "sorted"),
    ("beats.2.time_s", 0.0, "$.beats[2].time_s", "sorted"),
    ("tempo_map.1.time_s", 0.0, "$.tempo_map[1].time_s", "strictly increasing"),
    ("tempo_map.1.beat", 3.0, "$.tempo_map[1].beat", "reaches beat"),
    ("lanes.0.name", "snare", "$.lanes[0]", "index order"),
]


@pytest.mark.parametrize(("path", "value", "where", "words"), EXTRA_CASES, ids=[c[0] for c in EXTRA_CASES])
def test_rules_beyond_the_schema(
    chart_dict: dict[str, Any], schema_validator: Any, path: str, value: Any, where: str, words: str
) -> None:
    bad = _mutate(chart_dict, path, value)
    assert schema_validator.is_valid(bad)  # legal for the schema, wrong for a chart
    validate_chart(bad, extra_rules=False)
    with pytest.raises(ChartError, match=words) as info:
        chart_from_dict(bad, source="x.json")
    assert str(info.value).startswith(f"x.json: {where}")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("{", "not valid JSON (line 1, column 2"),
        ('{"format": NaN}', "NaN is not valid JSON"),
        ("[1, 2]", "$: must be an object"),
        ("\xff\xfe", "not UTF-8 text"),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(text, encoding="latin-1")
    with pytest.raises(ChartError, match=rf"^{path}: .*") as info:
        read_chart_json(path)
    assert needle in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ChartError, match="no such chart file"):
        read_chart_json(tmp_path / "none.json")


# -- the hand validator gives the schema's verdict ----------------------------------------------
# boundary values of the schema's ranges, and some of each JSON type
_EDGES = [0, -1, 0.5, 1, 7, 8, 32, 33, 127, 128, 1000, 1000.5, 86400, 86400.5, 1e6, 1e6 + 1, 4.0, -0.0]
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(_EDGES),
    st.integers(-3, 200),
    st.floats(-2e6, 2e6, allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "kick", "1/16", "drumscribe-chart", "ab" * 32, "AB" * 32]),
    st.text(max_size=4),
)
json_values = st.recursive(
    json_scalars,
    lambda c: st.lists(c, max_size=2) | st.dictionaries(st.text(max_size=3), c, max_size=2),
    max_leaves=4,
)


def _paths(d: Any, prefix: str = "") -> list[str]:
    out = []
    if isinstance(d, dict):
        for k, v in d.items():
            p = f"{prefix}.{k}" if prefix else k
            out.append(p)
            out.extend(_paths(v, p))
    elif isinstance(d, list):
        for i, v in enumerate(d[:3]):
            p = f"{prefix}.{i}"
            out.append(p)
            out.extend(_paths(v, p))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_validator_agrees_with_jsonschema(
    chart_dict: dict[str, Any], schema_validator: Any, data: st.DataObject
) -> None:
    small = copy.deepcopy(chart_dict)
    for name, track in small["difficulties"].items():
        track["hits"] = track["hits"][:3] if name != "easy" else track["hits"][:1]
    small["beats"] = small["beats"][:3]
    paths = _paths(small)
    mutated = small
    for _ in range(data.draw(st.integers(1, 2))):
        path = data.draw(st.sampled_from(_paths(mutated) or paths))
        if data.draw(st.booleans()):  # sometimes add a key beside an existing one
            path = (
                path.rsplit(".", 1)[0] + "." + data.draw(st.sampled_from(["x", "flam", "beat", "raw_time_s"]))
            )
            path = path.lstrip(".")
        value = data.draw(st.one_of(json_values, st.just(_DELETE)))
        try:
            mutated = _mutate(mutated, path, value)
        except (KeyError, IndexError, TypeError, ValueError):
            continue
    expected = schema_validator.is_valid(mutated)
    try:
        validate_chart(mutated, extra_rules=False)
        got = True
    except ChartError:
        got = False
    assert got == expected, json.dumps(mutated)[:500]


@settings(max_examples=40, deadline=None)
@given(
    hits=st.lists(
        st.tuples(
            st.floats(0.0, 20.0, allow_nan=False),
            st.sampled_from(["kick", "snare", "hihat", "hi_tom", "mid_tom", "low_tom", "crash", "ride"]),
            st.integers(1, 127),
        ),
        max_size=60,
    ),
    grid=st.sampled_from(["1/16", "1/12", None]),
)
def test_chart_json_chart_round_trip(hits: list[tuple[float, str, int]], grid: str | None) -> None:
    tr = Transcription(hits=tuple(sorted(DrumHit(t, d, v) for t, d, v in hits)), duration_s=20.0)
    chart_d = build_chart(tr, grid=grid)
    text = json.dumps(chart_d)
    back = chart_from_dict(json.loads(text))
    assert back.to_dict() == chart_d


def test_charts_package_imports_no_heavy_dependencies() -> None:
    code = (
        "import sys, drumscribe.charts\n"
        "bad = [m for m in ('torch', 'librosa', 'scipy', 'h5py', 'matplotlib', 'jsonschema') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_strict_json_duplicate_keys_and_depth(tmp_path: Path, chart_dict: dict[str, Any]) -> None:
    text = json.dumps(chart_dict)
    dup = tmp_path / "dup.json"
    dup.write_text(text.replace('"version": 1', '"version": 1, "version": 1', 1))
    with pytest.raises(ChartError, match="duplicate key 'version'"):
        read_chart_json(dup)
    nest: Any = 0
    for _ in range(62):  # root (1), model (2), arrays 3..64: the deepest allowed
        nest = [nest]
    ok = dict(chart_dict, model={"deep": nest})
    (tmp_path / "ok.json").write_text(json.dumps(ok))
    read_chart_json(tmp_path / "ok.json")
    (tmp_path / "deep.json").write_text(json.dumps(dict(chart_dict, model={"deep": [nest]})))
    with pytest.raises(ChartError, match="deeper than 64"):
        read_chart_json(tmp_path / "deep.json")
    (tmp_path / "very.json").write_text("[" * 100_000)
    with pytest.raises(ChartError, match="not valid JSON"):
        read_chart_json(tmp_path / "very.json")


@pytest.mark.parametrize(
    "options",
    [
        {"bpm": 5000.0},
        {"offset_s": -1.0},
        {"grid": "1/5"},
        {"tolerance": -0.1},
        {"difficulties": ("hard",)},
        {"beats_per_bar": 0},
        {"bpm": 120.0, "tempo_map": [TempoSegment(0.0, 100.0, 0.0)]},
    ],
)
def test_bad_chart_options_are_chart_errors(
    rich_transcription: Transcription, options: dict[str, Any]
) -> None:
    with pytest.raises(ChartError, match=r"^groove\.wav: "):
        build_chart(rich_transcription, **options)


@pytest.mark.parametrize("grid", [None, "1/16"])
def test_written_text_is_json_dumps_of_the_chart(
    rich_transcription: Transcription, tmp_path: Path, grid: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON writer makes its text a piece at a time (flat memory to an hour of hits), and
    writes the same bytes as ``json.dumps(chart.to_dict(), indent=2)`` (unicode, empty
    difficulties and tracks of many pieces included)."""
    import drumscribe.charts.json_chart as json_chart

    monkeypatch.setattr(json_chart, "_HITS_PER_PIECE", 37)
    monkeypatch.setattr(json_chart, "_PIECES_PER_WRITE", 5)
    model = {"name": "modèle ü", "nested": {"list": [1, 2.5, None], "empty": {}}, "hits": []}
    tr = Transcription(
        hits=rich_transcription.hits, duration_s=rich_transcription.duration_s, model_info=model
    )
    chart = chart_from_transcription(tr, grid=grid)
    assert len(chart.difficulties["expert"]) > 3 * json_chart._HITS_PER_PIECE
    expected = json.dumps(chart.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    out = tmp_path / "x.json"
    write_chart_json(chart, out)
    assert out.read_text(encoding="utf-8") == expected
    assert chart_to_json(chart) == expected
    empty = chart_from_transcription(Transcription(hits=(), duration_s=1.0))
    assert chart_to_json(empty) == json.dumps(empty.to_dict(), indent=2, ensure_ascii=False) + "\n"


def test_a_bad_hit_deep_in_a_track_is_an_error_and_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validation piece by piece still names the hit and leaves no file behind."""
    import dataclasses

    import drumscribe.charts.json_chart as json_chart

    monkeypatch.setattr(json_chart, "_HITS_PER_PIECE", 100)

    hits = tuple(DrumHit(0.25 * i, "kick", 100) for i in range(400))
    chart = chart_from_transcription(Transcription(hits=hits, duration_s=101.0))
    track = list(chart.difficulties["expert"])
    assert len(track) > 350
    track[350] = dataclasses.replace(track[350], time_s=0.0)  # out of order, in the fourth piece
    bad = dataclasses.replace(chart, difficulties={**chart.difficulties, "expert": tuple(track)})
    out = tmp_path / "bad.json"
    with pytest.raises(ChartError, match=r"hits\[350\]\.time_s: hits must be sorted"):
        write_chart_json(bad, out)
    assert list(tmp_path.iterdir()) == []
