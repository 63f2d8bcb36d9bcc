"""A reference checker for JSON chart v1, used to judge the shared fixtures.

What ``bindings/chart.schema.json`` cannot say, and every loader enforces besides it:

- strict JSON: UTF-8 (one leading byte order mark allowed), no NaN/Infinity, no duplicate
  keys in an object, nesting at most :data:`MAX_DEPTH` containers deep;
- ``lanes[i].index == i`` and ``lanes[i].name`` is lane i's name (kick, snare, ...);
- ``tempo_map`` sorted by ``time_s``, strictly increasing, and each segment's ``beat`` within
  0.01 of where the segment before reaches at its time (as the runtime's reader checks);
- ``beats`` sorted by ``time_s``, non-decreasing;
- the hits of each difficulty sorted by ``time_s``, non-decreasing (ties in any lane order).

Errors carry a *kind* and a *path* in the form every binding uses
(``difficulties.expert.hits[3].time_s``, ``(root)`` for the document itself).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "bindings" / "chart.schema.json"
MAX_DEPTH = 64
#: beats; a tempo segment's beat must agree with the segment before it this closely
TEMPO_BEAT_TOLERANCE = 0.01
DIFFICULTIES = ("expert", "hard", "medium", "easy")
LANE_ORDER = ("kick", "snare", "hihat", "hi_tom", "mid_tom", "low_tom", "crash", "ride")


class ChartRuleError(ValueError):
    """A chart that breaks a rule. ``kind`` and ``path`` as in the bindings."""

    def __init__(self, kind: str, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.kind = kind
        self.path = path


def _reject_constant(name: str) -> Any:
    raise ChartRuleError("parse", "(json)", f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ChartRuleError("parse", "(json)", f"duplicate key {key!r}")
        out[key] = value
    return out


def _depth(value: Any) -> int:
    """Containers nesting depth, iteratively (the root container counts 1)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item)
    return deepest


def parse_strict(data: bytes) -> Any:
    """Parse chart bytes as strict JSON; raise :class:`ChartRuleError` (kind ``parse``)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ChartRuleError("parse", "(json)", f"not UTF-8: {exc}") from None
    text = text.removeprefix("\ufeff")
    try:
        value = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except ChartRuleError:
        raise
    except RecursionError:
        raise ChartRuleError("parse", "(json)", "nested too deep") from None
    except json.JSONDecodeError as exc:
        raise ChartRuleError("parse", "(json)", str(exc)) from None
    if _depth(value) > MAX_DEPTH:
        raise ChartRuleError("parse", "(json)", f"nested deeper than {MAX_DEPTH}")
    return value


def format_path(parts: Any) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def _join(parent: str, key: str) -> str:
    return key if parent == "(root)" else f"{parent}.{key}"


_KINDS = {
    "type": "type",
    "required": "missing",
    "additionalProperties": "unknown",
    "const": "value",
    "enum": "value",
    "pattern": "value",
    "minimum": "range",
    "maximum": "range",
    "exclusiveMinimum": "range",
    "exclusiveMaximum": "range",
    "minItems": "count",
    "maxItems": "count",
}


def schema_errors(obj: Any, schema: dict[str, Any] | None = None) -> list[ChartRuleError]:
    """Every schema violation as (kind, path), in bindings' terms."""
    if schema is None:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for err in validator.iter_errors(obj):
        path = format_path(err.absolute_path)
        kind = _KINDS.get(str(err.validator), str(err.validator))
        if err.validator == "required":
            for key in err.validator_value:
                if isinstance(err.instance, dict) and key not in err.instance:
                    out.append(ChartRuleError("missing", _join(path, key), err.message))
            continue
        if err.validator == "additionalProperties":
            allowed = set(err.schema.get("properties", {}))
            for key in err.instance:
                if key not in allowed:
                    out.append(ChartRuleError("unknown", _join(path, key), err.message))
            continue
        if path == "version":
            kind = "version"
        out.append(ChartRuleError(kind, path, err.message))
    return out


def _sorted_rule(items: list[Any], path: str, *, strict: bool) -> Iterator[ChartRuleError]:
    for i in range(1, len(items)):
        prev, cur = items[i - 1]["time_s"], items[i]["time_s"]
        if cur < prev or (strict and cur == prev):
            word = "strictly increasing" if strict else "sorted"
            yield ChartRuleError("order", f"{path}[{i}].time_s", f"not {word} ({cur} after {prev})")


def rule_errors(chart: dict[str, Any]) -> list[ChartRuleError]:
    """The rules beyond the schema; ``chart`` must already pass the schema."""
    out = []
    for i, lane in enumerate(chart["lanes"]):
        if lane["index"] != i:
            out.append(ChartRuleError("value", f"lanes[{i}].index", f"is {lane['index']}, not {i}"))
        elif lane["name"] != LANE_ORDER[i]:
            out.append(ChartRuleError("value", f"lanes[{i}].name", f"must be {LANE_ORDER[i]!r}"))
    tempo = chart["tempo_map"]
    for i in range(1, len(tempo)):  # per segment: order first, then the beat (as loaders do)
        prev, cur = tempo[i - 1], tempo[i]
        if not cur["time_s"] > prev["time_s"]:
            out.append(
                ChartRuleError(
                    "order",
                    f"tempo_map[{i}].time_s",
                    f"not strictly increasing ({cur['time_s']} after {prev['time_s']})",
                )
            )
        expect = prev["beat"] + (cur["time_s"] - prev["time_s"]) * prev["bpm"] / 60.0
        if abs(expect - cur["beat"]) > TEMPO_BEAT_TOLERANCE:
            out.append(ChartRuleError("value", f"tempo_map[{i}].beat", f"expected {expect}"))
    out.extend(_sorted_rule(chart["beats"], "beats", strict=False))
    for name in DIFFICULTIES:
        if name in chart["difficulties"]:
            hits = chart["difficulties"][name]["hits"]
            out.extend(_sorted_rule(hits, f"difficulties.{name}.hits", strict=False))
    return out


def check_chart_bytes(data: bytes) -> list[ChartRuleError]:
    """All problems of a chart file (empty list: valid)."""
    try:
        obj = parse_strict(data)
    except ChartRuleError as exc:
        return [exc]
    errors = schema_errors(obj)
    if errors:
        return errors
    return rule_errors(obj)


# ---------------------------------------------------------------- summaries


def summary_fields(chart: dict[str, Any]) -> dict[str, str]:
    """What every binding's test program prints for a loaded chart, in the same format.

    ``key=value`` tokens, floats as ``%.6f`` (compared with :func:`same_summary`).
    """

    def f(x: float) -> str:
        return f"{float(x):.6f}"

    fields = {
        "lanes": ",".join(f"{lane['name']}:{int(lane['gm_note'])}" for lane in chart["lanes"]),
        "duration": f(chart["duration_s"]),
    }
    tempo = chart["tempo_map"]
    fields["tempo"] = ";".join(
        [
            str(len(tempo)),
            f(_seqsum(s["time_s"] for s in tempo)),
            f(_seqsum(s["bpm"] for s in tempo)),
            f(_seqsum(s["beat"] for s in tempo)),
        ]
    )
    beats = chart["beats"]
    fields["beats"] = ";".join(
        [
            str(len(beats)),
            str(sum(1 for b in beats if b["downbeat"])),
            f(_seqsum(b["time_s"] for b in beats)),
        ]
    )
    for name in DIFFICULTIES:
        track = chart["difficulties"].get(name)
        if track is None:
            fields[name] = "-"
            continue
        hits = track["hits"]

        def one(h: dict[str, Any]) -> str:
            return f"{f(h['time_s'])},{int(h['lane'])},{int(h['velocity'])}"

        fields[name] = ";".join(
            [
                str(len(hits)),
                f(_seqsum(h["time_s"] for h in hits)),
                str(sum(int(h["lane"]) for h in hits)),
                str(sum(int(h["velocity"]) for h in hits)),
                one(hits[0]) if hits else "none",
                one(hits[-1]) if hits else "none",
            ]
        )
    return fields


def _seqsum(values: Iterator[float]) -> float:
    """Left-to-right float64 sum, as the bindings compute it."""
    total = 0.0
    for v in values:
        total += float(v)
    return total


def parse_summary(text: str) -> dict[str, str]:
    out = {}
    for token in text.split():
        key, _, value = token.partition("=")
        out[key] = value
    return out


def _same_token(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return abs(x - y) <= 2e-6 + 1e-12 * max(abs(x), abs(y))


def same_summary(expected: dict[str, str], got: dict[str, str]) -> list[str]:
    """Differences between two summaries (empty: the same), floats within 2e-6."""
    problems = []
    for key in expected.keys() | got.keys():
        a, b = expected.get(key), got.get(key)
        if a is None or b is None:
            problems.append(f"{key}: expected {a!r}, got {b!r}")
            continue
        ta = a.replace(";", " ").replace(",", " ").replace(":", " ").split()
        tb = b.replace(";", " ").replace(",", " ").replace(":", " ").split()
        if len(ta) != len(tb) or not all(_same_token(x, y) for x, y in zip(ta, tb, strict=True)):
            problems.append(f"{key}: expected {a!r}, got {b!r}")
    return problems
