"""Differential test: the four loaders agree on hundreds of mutated charts.

Charts are mutated deterministically (seeded): as text (cuts, deleted or repeated spans,
single characters replaced) and as data (a field given another value or type, a key
removed or added, two items swapped, lanes renamed). Every loader must give the same
verdict as the TypeScript loader on each file: loaded with the same summary, or rejected
with the same kind and, except for ``parse``, the same path. Acceptance must also agree with
the Python reference checker (jsonschema + the extra rules). The C loader runs under
ASan/UBSan here.
"""

from __future__ import annotations

import copy
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from bindings_chart_rules import check_chart_bytes, parse_summary, same_summary
from bindings_harness import FIXTURES, parse_results, run_loader

pytestmark = pytest.mark.bindings

# DRUMSCRIBE_FUZZ_SEED and DRUMSCRIBE_FUZZ_SCALE (a multiplier) explore further by hand
SEED = int(os.environ.get("DRUMSCRIBE_FUZZ_SEED", "20240611"))
SCALE = float(os.environ.get("DRUMSCRIBE_FUZZ_SCALE", "1"))
N_TEXT = int(250 * SCALE)
N_DATA = int(450 * SCALE)
REPLACEMENTS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    7,
    8,
    127,
    128,
    0.5,
    -0.0,
    1.5,
    1e300,
    86400,
    86400.5,
    1e6,
    "",
    "x",
    "kick",
    [],
    {},
    [1],
    {"a": 1},
]
TEXT_CHARS = [*'{}[]",:0123456789.-+eE \\/tnfu', "\t", "\n", "\x00", "\xff", "é", "\ufeff"]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:6]):  # the first few items are enough
            out += _paths(v, (*prefix, i))
    return out


def _get(obj: Any, path: tuple) -> Any:
    for p in path:
        obj = obj[p]
    return obj


def mutate_data(chart: dict, rng: random.Random) -> Any:
    obj = copy.deepcopy(chart)
    paths = [p for p in _paths(obj) if p]
    path = rng.choice(paths)
    parent = _get(obj, path[:-1])
    key = path[-1]
    action = rng.randrange(6)
    if action <= 1:
        parent[key] = copy.deepcopy(rng.choice(REPLACEMENTS))
    elif action == 2:
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif action == 3 and isinstance(parent, dict):
        parent[rng.choice(["extra", "time_s", "lane", "hits", "notes", "hard"])] = rng.choice(REPLACEMENTS)
    elif action == 4 and isinstance(parent, list) and len(parent) > 1:
        i, j = rng.sample(range(len(parent)), 2)
        parent[i], parent[j] = parent[j], parent[i]
    else:
        value = parent[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parent[key] = rng.choice([value * -1, value + 0.001, value * 1e9, value - 0.25])
        else:
            parent[key] = copy.deepcopy(rng.choice(REPLACEMENTS))
    if rng.random() < 0.1:  # sometimes a second change
        return mutate_data(obj, rng) if isinstance(obj, dict) else obj
    return obj


def mutate_text(text: str, rng: random.Random) -> bytes:
    data = text
    for _ in range(rng.randint(1, 3)):
        if not data:
            break
        i = rng.randrange(len(data))
        action = rng.randrange(4)
        if action == 0:
            data = data[:i]
        elif action == 1:
            data = data[:i] + data[i + rng.randint(1, 8) :]
        elif action == 2:
            data = data[:i] + data[i : i + rng.randint(1, 12)] + data[i:]
        else:
            data = data[:i] + rng.choice(TEXT_CHARS) + data[i + 1 :]
    raw = data.encode("utf-8", "surrogatepass")
    return raw.replace("\xff".encode(), b"\xff") if rng.random() < 0.5 else raw


@pytest.fixture(scope="module")
def fuzz_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    rng = random.Random(SEED)
    folder = tmp_path_factory.mktemp("fuzz")
    sources = [
        FIXTURES / "valid" / n
        for n in ("all_difficulties.json", "tempo_changes.json", "every_lane.json", "edge_values.json")
    ]
    sources.append(FIXTURES / "invalid" / "unsorted_hits.json")
    texts = [p.read_text(encoding="utf-8-sig") for p in sources]
    charts = [json.loads(t) for t in texts]
    files = []
    for n in range(N_DATA):
        obj = mutate_data(rng.choice(charts), rng)
        path = folder / f"data_{n:03d}.json"
        path.write_text(json.dumps(obj, indent=rng.choice([None, 1])), encoding="utf-8")
        files.append(path)
    for n in range(N_TEXT):
        path = folder / f"text_{n:03d}.json"
        path.write_bytes(mutate_text(rng.choice(texts), rng))
        files.append(path)
    return files


# C rejects "\u0000" (as does GDScript), lone surrogate escapes, numbers over 63 characters;
# the mutations here never write those, so no exceptions are needed.


def verdict(parts: list[str]) -> tuple:
    if parts[0] == "OK":
        return ("OK",)
    kind, message = parts[2], parts[3]
    path = None if kind == "parse" else message.split(": ", 1)[0]
    return ("ERR", kind, path)


def test_loaders_agree_on_mutated_charts(
    fuzz_files, ts_build, csharp_build, c_build, godot, tmp_path: Path
) -> None:
    results = {
        "ts": parse_results(run_loader("ts", ts_build, fuzz_files, tmp_path)),
        "csharp": parse_results(run_loader("csharp", csharp_build, fuzz_files, tmp_path)),
        "c": parse_results(run_loader("c-sanitized", c_build, fuzz_files, tmp_path)),
        "gdscript": parse_results(run_loader("gdscript", godot, fuzz_files, tmp_path)),
    }
    problems = []
    accepted = 0
    kinds: set[str] = set()
    for path in fuzz_files:
        name = path.name
        ref = results["ts"].get(name)
        if ref is None:
            problems.append(f"{name}: no TypeScript result")
            continue
        python_ok = not check_chart_bytes(path.read_bytes())
        if python_ok != (ref[0] == "OK"):
            problems.append(f"{name}: Python says {'valid' if python_ok else 'invalid'}, TS {ref}")
        accepted += ref[0] == "OK"
        if ref[0] == "ERR":
            kinds.add(ref[2])
        for language, res in results.items():
            got = res.get(name)
            if got is None:
                problems.append(f"{name}: no {language} result")
            elif verdict(got) != verdict(ref):
                problems.append(f"{name}: {language} {got[2:]} but TypeScript {ref[2:]}")
            elif got[0] == "OK":
                diff = same_summary(parse_summary(ref[2]), parse_summary(got[2]))
                if diff:
                    problems.append(f"{name}: {language} loaded differently: {diff}")
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:40])
    # the mutations reach far: some survive, and many kinds of error come up
    assert 5 <= accepted <= len(fuzz_files) * 0.8
    assert {"parse", "type", "missing", "unknown", "range", "order"} <= kinds
