"""The TypeScript live runner gives the Python LiveTranscriber's hits, hop by hop in node.

The tiny live model of tests/support (onnx.helper, stateful contract of docs/LIVE.md) and a
drum-like WAV at its rate; Python's ``drumscribe.LiveTranscriber`` gives the expected hits, the
TS CLI (``drumscribe-ts live``) must give the same lanes, times and velocities for any block
size, and return each hit by the time the input has passed its time plus the declared latency.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from bindings_harness import node_env, run

from support.tiny_live_model import build_tiny_live_model
from support.tiny_model import drum_like_audio

pytestmark = pytest.mark.bindings

LANES = ("kick", "snare", "hihat", "hi_tom", "mid_tom", "low_tom", "crash", "ride")
RATE = 16000
SHIPPED = (
    Path(__file__).resolve().parents[2] / "runtime" / "src" / "drumscribe" / "models" / "live" / "model.onnx"
)


def python_hits(model: Path, audio: np.ndarray, block: int) -> list[tuple[float, int, int]]:
    import drumscribe

    live = drumscribe.LiveTranscriber(drumscribe.load_live_model(model), sample_rate=RATE, threshold=None)
    hits = []
    for i in range(0, audio.size, block):
        hits += live.push(audio[i : i + block])
    hits += live.finish()
    return sorted((h.time_s, LANES.index(h.drum), h.velocity) for h in hits)


def ts_run(ts_build: Path, model: Path, wav: Path, block: int) -> dict:
    proc = run(
        ["node", str(ts_build / "src" / "cli.js"), "live", str(model), str(wav), "--block", str(block)],
        env=node_env(),
        timeout=300,
    )
    assert proc.returncode == 0, f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout)


@pytest.mark.parametrize("model_kind", ["tiny", "tiny-4-hops", "shipped"])
@pytest.mark.parametrize("block", [1, 160, 1000])
def test_ts_live_matches_python(ts_build: Path, tmp_path: Path, model_kind: str, block: int) -> None:
    import soundfile as sf

    if model_kind == "shipped":
        if not SHIPPED.is_file():
            pytest.skip("no bundled live model")
        model = SHIPPED
    else:
        model = build_tiny_live_model(
            tmp_path / "live.onnx", hops_per_call=4 if model_kind == "tiny-4-hops" else 1
        )
    audio, _ = drum_like_audio(seconds=2.0 if block == 1 else 4.0, seed=4, hits_per_s=6.0)
    wav = tmp_path / "drums.wav"
    sf.write(wav, audio, RATE, subtype="FLOAT")
    expected = python_hits(model, audio, block)
    if model_kind != "shipped":
        assert len(expected) >= 5
    out = ts_run(ts_build, model, wav, block)
    got = sorted((h["time"], h["lane"], h["velocity"]) for h in out["hits"])
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g[1:] == e[1:] and abs(g[0] - e[0]) <= 1e-9, (g, e)
    # every hit came out once the input had passed its time + the declared latency
    for h in out["hits"]:
        if h["pushed"] >= 0:
            assert h["pushed"] / RATE <= h["time"] + out["latency_s"] + block / RATE + 1e-9
