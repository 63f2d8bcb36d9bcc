"""Bad models and sidecars: a clear ModelError from the API, one line from the CLI (issue 11).

The cases (and their rows in docs/RELIABILITY.md) are the ``model`` cases of
reliability_cases.py; build_tiny_model makes the broken models (wrong input name, lane
count, no sidecar) and the cases edit or cut the files it writes.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import reliability_cases as rc

import drumscribe
from drumscribe.cli import main
from drumscribe.errors import ModelError
from drumscribe.model import ModelSpec, load_model

MODEL_CASES = [c for c in rc.CLI_CASES if c.area == "model"]


@pytest.fixture(scope="module")
def ctx(tiny_model_path: Path) -> rc.Context:
    return rc.Context(tiny_model_path)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", MODEL_CASES, ids=lambda c: c.id)
def test_cli_model_case(case: rc.CliCase, ctx: rc.Context, tmp_path: Path) -> None:
    outcome = rc.run_cli_case(case, ctx, tmp_path)
    rc.check_cli_case(case, outcome)
    row = rc.cli_row(case, outcome)
    assert rc.doc_row(case.id, "model") == row, (
        f"docs/RELIABILITY.md row of {case.id} is stale; run scripts/write_reliability_table.py\n  now: {row}"
    )


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", MODEL_CASES, ids=lambda c: c.id)
def test_api_raises_model_error(case: rc.CliCase, ctx: rc.Context, tmp_path: Path) -> None:
    """The same broken model through the Python API: ModelError, naming the file."""
    assert case.error is not None
    with contextlib.chdir(tmp_path):
        case.make(tmp_path, ctx)
        with pytest.raises(ModelError) as info:
            model = load_model("bad/model.onnx", cache=False)
            # a contract break that only shows when the model runs
            drumscribe.transcribe("in/good-a.wav", model=model)
    message = str(info.value)
    assert "\n" not in message
    assert re.search(case.error, rc.normalize(message, tmp_path)), (case.error, message)
    assert "bad/model.onnx" in message


def test_the_tiny_model_itself_loads(ctx: rc.Context) -> None:
    """The broken models are broken copies of this one: it must load and run."""
    model = load_model(ctx.model_path, cache=False)
    assert model.spec.sample_rate == rc.SR and model.has_velocities
    onsets, vels = model.run(ctx.audio[None, :1600])
    assert onsets.shape == (1, 11, 8) and vels is not None


def _sidecar(ctx: rc.Context) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ctx.model_path.with_name("model.onnx.json").read_text())
    return data


_REQUIRED = [
    "format",
    "format_version",
    "lanes",
    "sample_rate",
    "hop_length",
    "peak_picking",
    "peak_picking.thresholds",
    "peak_picking.min_interval_s",
    "inference",
    "inference.chunk_s",
    "inference.context_s",
    "onnx_sha256",
]


@pytest.mark.parametrize("key", _REQUIRED)
def test_every_required_sidecar_key(ctx: rc.Context, key: str) -> None:
    data = _sidecar(ctx)
    ModelSpec.from_dict(copy.deepcopy(data), where="side.json")  # the original is fine
    rc._drop(key)(data)
    with pytest.raises(ModelError, match=rf"^side\.json: sidecar misses key {re.escape(key)}$"):
        ModelSpec.from_dict(data, where="side.json")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("format", "onnx-model", r"not a drumscribe model sidecar \(format 'onnx-model'\)"),
        ("format_version", "1", r"sidecar key format_version has the wrong type \(str\)"),
        ("format_version", True, r"sidecar key format_version has the wrong type \(bool\)"),
        ("sample_rate", 16000.0, r"sidecar key sample_rate has the wrong type \(float\)"),
        ("sample_rate", 0, r"sample_rate and hop_length must be positive"),
        ("hop_length", -160, r"sample_rate and hop_length must be positive"),
        ("lanes", ["kick"], r"model lanes \['kick'\] differ"),
        (
            "peak_picking.thresholds.kick",
            0,
            r"peak_picking\.thresholds must give each of the 8 lanes a value in \(0, 1\]",
        ),
        ("peak_picking.thresholds.kick", "0.5", r"peak_picking\.thresholds must give each of the 8 lanes"),
        ("peak_picking.thresholds.kick", None, r"peak_picking\.thresholds must give each of the 8 lanes"),
        ("peak_picking.thresholds.cowbell", 0.5, r"peak_picking\.thresholds must give each of the 8 lanes"),
        ("peak_picking.min_interval_s", float("inf"), r"peak_picking\.min_interval_s must be a number >= 0"),
        ("peak_picking.min_interval_s", float("nan"), r"peak_picking\.min_interval_s must be a number >= 0"),
        ("inference.chunk_s", 0, r"inference\.chunk_s must be > 0 and context_s >= 0"),
        ("inference.chunk_s", float("inf"), r"inference\.chunk_s must be > 0"),
        ("inference.context_s", -1, r"inference\.chunk_s must be > 0 and context_s >= 0"),
        ("inference.context_s", float("nan"), r"inference\.chunk_s must be > 0 and context_s >= 0"),
        ("onnx_sha256", 12, r"sidecar key onnx_sha256 has the wrong type \(int\)"),
        ("inference", [], r"sidecar key inference has the wrong type \(list\)"),
    ],
)
def test_bad_sidecar_values(ctx: rc.Context, key: str, value: Any, message: str) -> None:
    data = _sidecar(ctx)
    rc._set(key, value)(data)
    with pytest.raises(ModelError, match=r"^side\.json: " + message):
        ModelSpec.from_dict(data, where="side.json")


@pytest.mark.parametrize("data", [[], "model", None, 3])
def test_sidecar_that_is_not_an_object(data: Any) -> None:
    with pytest.raises(ModelError, match=r"^side\.json: sidecar must be a JSON object$"):
        ModelSpec.from_dict(data, where="side.json")


def test_info_command_on_a_bad_model(ctx: rc.Context, tmp_path: Path) -> None:
    rc._tiny(tmp_path / "bad", write_side=False)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.chdir(tmp_path):
        code = main(["info", "bad/model.onnx"])
    assert code == 2
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].endswith(
        "bad/model.onnx: sidecar model.onnx.json not found beside the model"
    )
    assert "Traceback" not in err.getvalue()
