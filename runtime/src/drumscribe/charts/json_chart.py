"""The JSON chart v1: write, read and validate (``bindings/chart.schema.json``).

The runtime does not depend on a JSON Schema library, so :func:`validate_chart` checks the
schema's rules by hand (the tests hold it to the same verdicts as ``jsonschema`` on
thousands of generated charts) plus rules a JSON Schema cannot say:

* every track's hits are sorted by ``time_s`` (ties in any lane order);
* ``tempo_map`` times strictly increase;
* ``beats`` times never decrease;
* each tempo segment's ``beat`` agrees (within 0.01 beat) with where the segment before it
  arrives at that time;
* ``lanes`` lists the 8 lanes in index order with their drumscribe names.

Errors name the file and the JSON path of the problem, e.g.
``song.json: $.difficulties.expert.hits[3].lane: must be an integer 0..7, got 9``.
The file must be strict JSON: NaN and Infinity, duplicate keys in one object, and nesting
deeper than :data:`MAX_DEPTH` (64, the bindings' limit) are rejected.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from drumscribe._io import atomic_write, read_regular_file
from drumscribe.charts.chart import CHART_FORMAT, CHART_VERSION, Chart, chart_from_transcription, hit_to_dict
from drumscribe.charts.records import (
    DIFFICULTIES,
    Beat,
    ChartHit,
    QuantizeReport,
    TempoSegment,
    TimeSignature,
)
from drumscribe.charts.tempo import TempoMap
from drumscribe.contract import LANE_NAMES
from drumscribe.errors import ChartError
from drumscribe.hits import TranscriptionRecord

__all__ = [
    "MAX_CHART_BYTES",
    "chart_from_dict",
    "chart_to_json",
    "read_chart_json",
    "validate_chart",
    "write_chart_json",
]

_SHA = re.compile(r"[0-9a-f]{64}")
_TOP_REQUIRED = ("format", "version", "lanes", "duration_s", "tempo_map", "beats", "difficulties")
_TOP_KEYS = frozenset((*_TOP_REQUIRED, "audio", "model", "time_signature", "quantization"))


class _Invalid(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_integer(v: Any) -> bool:
    # JSON Schema: a number with a zero fractional part is an integer (1.0 counts)
    return _is_number(v) and (isinstance(v, int) or (math.isfinite(v) and float(v).is_integer()))


def _show(v: Any) -> str:
    text = json.dumps(v) if not isinstance(v, float) or math.isfinite(v) else repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _obj(
    v: Any, path: str, *, required: Sequence[str] = (), allowed: frozenset[str] | None = None
) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _Invalid(path, f"must be an object, got {_show(v)}")
    for key in required:
        if key not in v:
            raise _Invalid(path, f"lacks required key '{key}'")
    if allowed is not None:
        extra = sorted(set(v) - allowed)
        if extra:
            raise _Invalid(path, f"has unknown key '{extra[0]}'")
    return v


def _arr(v: Any, path: str) -> list[Any]:
    if not isinstance(v, list):
        raise _Invalid(path, f"must be an array, got {_show(v)}")
    return v


def _num(
    v: Any, path: str, *, lo: float | None = None, hi: float | None = None, lo_exclusive: bool = False
) -> float:
    if not _is_number(v) or not math.isfinite(v):
        raise _Invalid(path, f"must be a number, got {_show(v)}")
    if lo is not None and (v <= lo if lo_exclusive else v < lo):
        raise _Invalid(path, f"must be {'>' if lo_exclusive else '>='} {lo:g}, got {_show(v)}")
    if hi is not None and v > hi:
        raise _Invalid(path, f"must be <= {hi:g}, got {_show(v)}")
    return float(v)


def _int(v: Any, path: str, *, lo: int | None = None, hi: int | None = None) -> int:
    if not _is_integer(v):
        raise _Invalid(path, f"must be an integer, got {_show(v)}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = (
            f"{lo}..{hi}"
            if lo is not None and hi is not None
            else (f">= {lo}" if lo is not None else f"<= {hi}")
        )
        raise _Invalid(path, f"must be an integer {rng}, got {_show(v)}")
    return int(v)


def _seconds(v: Any, path: str) -> float:
    return _num(v, path, lo=0.0, hi=86400.0)


def _validate_schema(d: Any) -> None:
    """The rules of chart.schema.json, in its order."""
    top = _obj(d, "$", required=_TOP_REQUIRED, allowed=_TOP_KEYS)
    if top["format"] != CHART_FORMAT or not isinstance(top["format"], str):
        raise _Invalid("$.format", f'must be "{CHART_FORMAT}", got {_show(top["format"])}')
    if not _is_number(top["version"]) or top["version"] != CHART_VERSION:
        raise _Invalid("$.version", f"must be {CHART_VERSION}, got {_show(top['version'])}")
    lanes = _arr(top["lanes"], "$.lanes")
    if len(lanes) != len(LANE_NAMES):
        raise _Invalid("$.lanes", f"must list exactly {len(LANE_NAMES)} lanes, got {len(lanes)}")
    for i, lane in enumerate(lanes):
        p = f"$.lanes[{i}]"
        _obj(lane, p, required=("index", "name", "gm_note"), allowed=frozenset(("index", "name", "gm_note")))
        _int(lane["index"], p + ".index", lo=0, hi=7)
        if not isinstance(lane["name"], str) or lane["name"] not in LANE_NAMES:
            raise _Invalid(p + ".name", f"must be one of {', '.join(LANE_NAMES)}, got {_show(lane['name'])}")
        _int(lane["gm_note"], p + ".gm_note", lo=0, hi=127)
    _seconds(top["duration_s"], "$.duration_s")
    if "audio" in top:
        audio = _obj(top["audio"], "$.audio", allowed=frozenset(("file", "sha256")))
        if "file" in audio and audio["file"] is not None and not isinstance(audio["file"], str):
            raise _Invalid("$.audio.file", f"must be a string or null, got {_show(audio['file'])}")
        if "sha256" in audio and audio["sha256"] is not None:
            sha = audio["sha256"]
            if not isinstance(sha, str):
                raise _Invalid("$.audio.sha256", f"must be a string or null, got {_show(sha)}")
            if not _SHA.fullmatch(sha):
                raise _Invalid("$.audio.sha256", f"must be 64 lowercase hex digits, got {_show(sha)}")
    if "model" in top:
        _obj(top["model"], "$.model")
    if "time_signature" in top:
        ts = _obj(
            top["time_signature"],
            "$.time_signature",
            required=("numerator", "denominator"),
            allowed=frozenset(("numerator", "denominator")),
        )
        _int(ts["numerator"], "$.time_signature.numerator", lo=1, hi=32)
        den = ts["denominator"]
        if not _is_number(den) or den not in (1, 2, 4, 8, 16, 32):
            raise _Invalid(
                "$.time_signature.denominator", f"must be one of 1, 2, 4, 8, 16, 32, got {_show(den)}"
            )
    tmap = _arr(top["tempo_map"], "$.tempo_map")
    if not tmap:
        raise _Invalid("$.tempo_map", "must have at least one segment")
    for i, seg in enumerate(tmap):
        p = f"$.tempo_map[{i}]"
        _obj(seg, p, required=("time_s", "bpm", "beat"), allowed=frozenset(("time_s", "bpm", "beat")))
        _seconds(seg["time_s"], p + ".time_s")
        _num(seg["bpm"], p + ".bpm", lo=0.0, hi=1000.0, lo_exclusive=True)
        _num(seg["beat"], p + ".beat", lo=0.0, hi=1_000_000.0)
    beats = _arr(top["beats"], "$.beats")
    for i, b in enumerate(beats):
        p = f"$.beats[{i}]"
        _obj(b, p, required=("time_s", "downbeat"), allowed=frozenset(("time_s", "downbeat")))
        _seconds(b["time_s"], p + ".time_s")
        if not isinstance(b["downbeat"], bool):
            raise _Invalid(p + ".downbeat", f"must be true or false, got {_show(b['downbeat'])}")
    if "quantization" in top:
        q = _obj(
            top["quantization"],
            "$.quantization",
            allowed=frozenset(("grid", "tolerance_s", "snapped", "kept", "max_shift_s")),
        )
        if "grid" in q and q["grid"] is not None and not isinstance(q["grid"], str):
            raise _Invalid("$.quantization.grid", f"must be a string or null, got {_show(q['grid'])}")
        if "tolerance_s" in q:
            _num(q["tolerance_s"], "$.quantization.tolerance_s", lo=0.0)
        for key in ("snapped", "kept"):
            if key in q:
                _int(q[key], f"$.quantization.{key}", lo=0)
        if "max_shift_s" in q:
            _num(q["max_shift_s"], "$.quantization.max_shift_s", lo=0.0)
    diffs = _obj(top["difficulties"], "$.difficulties", required=("expert",), allowed=frozenset(DIFFICULTIES))
    for name, track in diffs.items():
        p = f"$.difficulties.{name}"
        _obj(track, p, required=("hits",), allowed=frozenset(("hits",)))
        _validate_hits(_arr(track["hits"], p + ".hits"), p + ".hits")


_HIT_KEYS = frozenset(("time_s", "lane", "velocity", "raw_time_s", "beat"))


def _validate_hits(hits: list[Any], path: str, first: int = 0) -> None:
    """The schema's rules for hit objects; ``first`` is the index of ``hits[0]`` in its track."""
    for i, h in enumerate(hits, start=first):
        hp = f"{path}[{i}]"
        _obj(h, hp, required=("time_s", "lane", "velocity"), allowed=_HIT_KEYS)
        _seconds(h["time_s"], hp + ".time_s")
        _int(h["lane"], hp + ".lane", lo=0, hi=7)
        _int(h["velocity"], hp + ".velocity", lo=1, hi=127)
        if "raw_time_s" in h:
            _seconds(h["raw_time_s"], hp + ".raw_time_s")
        if "beat" in h:
            _num(h["beat"], hp + ".beat", lo=0.0)


def _validate_extra(d: dict[str, Any]) -> None:
    """Rules beyond the schema (see the module docstring)."""
    for i, lane in enumerate(d["lanes"]):
        if lane["index"] != i or lane["name"] != LANE_NAMES[i]:
            raise _Invalid(
                f"$.lanes[{i}]",
                f"must be lane {i} '{LANE_NAMES[i]}' (lanes are listed in index order), "
                f"got index {_show(lane['index'])} name {_show(lane['name'])}",
            )
    tmap = d["tempo_map"]
    for i in range(1, len(tmap)):
        prev, cur = tmap[i - 1], tmap[i]
        if not cur["time_s"] > prev["time_s"]:
            raise _Invalid(
                f"$.tempo_map[{i}].time_s",
                f"tempo segments must have strictly increasing times; {cur['time_s']} follows {prev['time_s']}",
            )
        expect = prev["beat"] + (cur["time_s"] - prev["time_s"]) * prev["bpm"] / 60.0
        if abs(expect - cur["beat"]) > 0.01:
            raise _Invalid(
                f"$.tempo_map[{i}].beat",
                f"is {cur['beat']} but the segment before reaches beat {expect:.4f} at {cur['time_s']} s",
            )
    beats = d["beats"]
    for i in range(1, len(beats)):
        if beats[i]["time_s"] < beats[i - 1]["time_s"]:
            raise _Invalid(
                f"$.beats[{i}].time_s",
                f"beats must be sorted by time; {beats[i]['time_s']} follows {beats[i - 1]['time_s']}",
            )
    for name, track in d["difficulties"].items():
        _check_sorted(track["hits"], f"$.difficulties.{name}.hits")


def _check_sorted(hits: list[Any], path: str, first: int = 0, before: Any = None) -> None:
    """Hits sorted by time; ``before`` is the hit before ``hits[0]`` (index ``first``), if any."""
    prev = before
    for i, h in enumerate(hits, start=first):
        if prev is not None and h["time_s"] < prev["time_s"]:
            raise _Invalid(
                f"{path}[{i}].time_s", f"hits must be sorted by time; {h['time_s']} follows {prev['time_s']}"
            )
        prev = h


def validate_chart(data: Any, *, source: str = "<chart>", extra_rules: bool = True) -> None:
    """Check a parsed JSON chart against chart.schema.json (and the extra rules).

    Parameters
    ----------
    data : object
        The parsed JSON.
    source : str
        Name used in error messages (the file).
    extra_rules : bool
        Also check the rules beyond the schema (sorting, tempo-map consistency, lane order).

    Raises
    ------
    ChartError
        ``"<source>: <JSON path>: <problem>"`` for the first problem found.
    """
    try:
        _validate_schema(data)
        if extra_rules:
            _validate_extra(data)
    except _Invalid as exc:
        raise ChartError(f"{source}: {exc.path}: {exc.message}") from None


def chart_from_dict(data: Any, *, source: str = "<chart>") -> Chart:
    """Validate a parsed JSON chart and build the typed :class:`Chart`.

    Raises
    ------
    ChartError
        Naming ``source`` and the JSON path of the problem.
    """
    validate_chart(data, source=source)
    try:
        tmap = TempoMap(
            tuple(
                TempoSegment(time_s=float(s["time_s"]), bpm=float(s["bpm"]), beat=float(s["beat"]))
                for s in data["tempo_map"]
            )
        )
    except ValueError as exc:  # pragma: no cover - validate_chart catches these first
        raise ChartError(f"{source}: $.tempo_map: {exc}") from None
    beats = tuple(Beat(time_s=float(b["time_s"]), downbeat=bool(b["downbeat"])) for b in data["beats"])
    levels: dict[str, tuple[ChartHit, ...]] = {}
    for name in DIFFICULTIES:
        if name not in data["difficulties"]:
            continue
        levels[name] = tuple(
            ChartHit(
                time_s=float(h["time_s"]),
                lane=int(h["lane"]),
                velocity=int(h["velocity"]),
                raw_time_s=float(h["raw_time_s"]) if "raw_time_s" in h else None,
                beat=float(h["beat"]) if "beat" in h else None,
            )
            for h in data["difficulties"][name]["hits"]
        )
    ts = data.get("time_signature")
    q = data.get("quantization")
    audio = data.get("audio") or {}
    return Chart(
        duration_s=float(data["duration_s"]),
        tempo_map=tmap,
        beats=beats,
        difficulties=levels,
        time_signature=TimeSignature(int(ts["numerator"]), int(ts["denominator"])) if ts else TimeSignature(),
        quantization=(
            QuantizeReport(
                grid=q.get("grid"),
                tolerance_s=float(q.get("tolerance_s", 0.0)),
                snapped=int(q.get("snapped", 0)),
                kept=int(q.get("kept", 0)),
                max_shift_s=float(q.get("max_shift_s", 0.0)),
            )
            if q is not None
            else None
        ),
        audio_file=audio.get("file"),
        audio_sha256=audio.get("sha256"),
        model=dict(data.get("model") or {}),
    )


#: Deepest nesting of objects and arrays a chart may have (the root object is depth 1);
#: the same limit as the bindings' loaders.
MAX_DEPTH = 64
#: Largest chart file read, bytes (64 MiB; an hour of expert drums is about 2 MB). The same
#: limit as the bindings' loaders (bindings/README.md); only regular files are read (never
#: a pipe or a device such as ``/dev/zero``, which would be endless).
MAX_CHART_BYTES = 64 << 20


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r} in one object")
        out[key] = value
    return out


def _depth(value: Any) -> int:
    """Nesting depth of objects and arrays (a scalar is 0, ``{}`` is 1)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def read_chart_json(path: str | os.PathLike[str]) -> Chart:
    """Read and validate a JSON chart v1 file.

    Parameters
    ----------
    path : path-like
        The ``.json`` file.

    Returns
    -------
    Chart

    Raises
    ------
    ChartError
        Naming the file and the problem: unreadable, not JSON (with line and column), or
        the JSON path of the first rule broken.
    """
    p = Path(path)
    try:
        text = read_regular_file(p, max_bytes=MAX_CHART_BYTES, what="the chart").decode("utf-8-sig")
    except FileNotFoundError:
        raise ChartError(f"{p}: no such chart file") from None
    except UnicodeDecodeError as exc:
        raise ChartError(f"{p}: not a JSON chart: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ChartError(f"{p}: cannot read the chart ({exc.strerror or exc})") from None
    except ValueError as exc:  # a folder, a pipe or device, too large
        raise ChartError(f"{p}: cannot read the chart ({exc})") from None
    if not text.strip():
        raise ChartError(f"{p}: the chart file is empty")
    try:
        data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise ChartError(f"{p}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except ValueError as exc:
        raise ChartError(f"{p}: not valid JSON ({exc})") from None
    except RecursionError:
        raise ChartError(f"{p}: not valid JSON (nested deeper than {MAX_DEPTH})") from None
    if _depth(data) > MAX_DEPTH:
        raise ChartError(f"{p}: not valid JSON for a chart (nested deeper than {MAX_DEPTH})")
    return chart_from_dict(data, source=str(p))


def _as_chart(
    chart: Chart | dict[str, Any] | TranscriptionRecord, options: dict[str, Any], where: str
) -> Chart:
    if isinstance(chart, TranscriptionRecord):
        return chart_from_transcription(chart, **options)
    if options:
        raise TypeError(f"chart options {sorted(options)} only apply when given a Transcription")
    if isinstance(chart, Chart):
        return chart
    if isinstance(chart, dict):
        return chart_from_dict(chart, source=where)
    raise TypeError(f"expected a Chart, a chart dict or a Transcription, got {type(chart).__name__}")


def chart_to_json(chart: Chart | dict[str, Any] | TranscriptionRecord, **options: Any) -> str:
    """The JSON text of a chart (validated), 2-space indented, ending in a newline."""
    return "".join(_json_pieces(_as_chart(chart, options, "<chart>"), "<chart>"))


#: Hits turned into JSON objects and validated at a time by the JSON writer.
_HITS_PER_PIECE = 1024
#: Text pieces the JSON writer joins before each write to the file.
_PIECES_PER_WRITE = 4096
_INDENT = "  "


def _json_pieces(chart: Chart, source: str) -> Iterator[str]:
    """The chart's JSON text in pieces, the same text as ``json.dumps(chart.to_dict(),
    indent=2, ensure_ascii=False)`` plus a newline, with the hits made and validated a
    piece at a time: the writer never holds every hit as an object, nor the whole text.

    Raises
    ------
    ChartError
        When the chart breaks the schema (before or while its text comes out).
    """
    head = chart.to_dict(hits=False)
    validate_chart(head, source=source)
    yield "{"
    for k, (key, value) in enumerate(head.items()):
        yield ("," if k else "") + "\n" + _INDENT + json.dumps(key, ensure_ascii=False) + ": "
        if key != "difficulties":
            yield _dumps(value, 1)
            continue
        yield "{"
        for j, name in enumerate(value):
            yield ("," if j else "") + "\n" + 2 * _INDENT + json.dumps(name, ensure_ascii=False) + ": {"
            yield "\n" + 3 * _INDENT + '"hits": '
            yield from _hit_pieces(chart.difficulties[name], f"$.difficulties.{name}.hits", source)
            yield "\n" + 2 * _INDENT + "}"
        yield "\n" + _INDENT + "}"
    yield "\n}\n"


def _hit_pieces(hits: Sequence[ChartHit], path: str, source: str) -> Iterator[str]:
    """One track's hits as the JSON text of an array at depth 3, validated piece by piece."""
    if not hits:
        yield "[]"
        return
    yield "["
    before: dict[str, Any] | None = None
    for first in range(0, len(hits), _HITS_PER_PIECE):
        objs = [hit_to_dict(h) for h in hits[first : first + _HITS_PER_PIECE]]
        try:
            _validate_hits(objs, path, first)
            _check_sorted(objs, path, first, before)
        except _Invalid as exc:
            raise ChartError(f"{source}: {exc.path}: {exc.message}") from None
        for i, obj in enumerate(objs, start=first):
            yield ("," if i else "") + "\n" + 4 * _INDENT + _dumps(obj, 4)
        before = objs[-1]
    yield "\n" + 3 * _INDENT + "]"


def _dumps(value: Any, depth: int) -> str:
    """``json.dumps(value, indent=2)`` as it reads nested ``depth`` levels deep."""
    text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    return text.replace("\n", "\n" + depth * _INDENT)


def write_chart_json(
    chart_or_transcription: Chart | dict[str, Any] | TranscriptionRecord,
    path: str | os.PathLike[str],
    **options: Any,
) -> Path:
    """Write a JSON chart v1 file atomically.

    Parameters
    ----------
    chart_or_transcription : Chart, dict or TranscriptionRecord
        A chart, a chart dict (validated first), or a transcription to build one from.
    path : path-like
        Output ``.json`` file.
    **options
        Options of :func:`~drumscribe.charts.build_chart`, only with a TranscriptionRecord.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    chart = _as_chart(chart_or_transcription, options, str(path))
    with atomic_write(path, "w") as fh:
        batch: list[str] = []
        for piece in _json_pieces(chart, str(path)):
            batch.append(piece)
            if len(batch) >= _PIECES_PER_WRITE:
                fh.write("".join(batch))
                batch.clear()
        fh.write("".join(batch))
    return Path(path)
