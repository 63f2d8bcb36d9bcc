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


def python_hits(
    model: Path, audio: np.ndarray, block: int, *, rate: int = RATE, peak_rule: str | None = None
) -> list[tuple[float, int, int]]:
    import drumscribe

    live = drumscribe.LiveTranscriber(
        drumscribe.load_live_model(model), sample_rate=rate, threshold=None, peak_rule=peak_rule
    )
    hits = []
    for i in range(0, audio.size, block):
        hits += live.push(audio[i : i + block])
    hits += live.finish()
    return sorted((h.time_s, LANES.index(h.drum), h.velocity) for h in hits)


def ts_run(ts_build: Path, model: Path, wav: Path, block: int, *options: str) -> dict:
    proc = run(
        [
            "node",
            str(ts_build / "src" / "cli.js"),
            "live",
            str(model),
            str(wav),
            "--block",
            str(block),
            *options,
        ],
        env=node_env(),
        timeout=300,
    )
    assert proc.returncode == 0, f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout)


@pytest.mark.parametrize("model_kind", ["tiny", "tiny-4-hops", "tiny-rise", "shipped"])
@pytest.mark.parametrize("block", [1, 160, 1000])
def test_ts_live_matches_python(ts_build: Path, tmp_path: Path, model_kind: str, block: int) -> None:
    import soundfile as sf

    if model_kind == "shipped":
        if not SHIPPED.is_file():
            pytest.skip("no bundled live model")
        model = SHIPPED
    else:
        model = build_tiny_live_model(
            tmp_path / "live.onnx",
            hops_per_call=4 if model_kind == "tiny-4-hops" else 1,
            peak_rule="rise" if model_kind == "tiny-rise" else "peak",
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


@pytest.mark.parametrize(("rate", "block"), [(44100, 441), (48000, 1000), (22050, 1)])
def test_ts_live_resamples_as_python(ts_build: Path, tmp_path: Path, rate: int, block: int) -> None:
    """Audio at a sound card's rate: the TS runner resamples it as Python does (same hits, same
    declared latency), and its resampler gives Python's samples for any block split."""
    import soundfile as sf

    import drumscribe
    from drumscribe.live import LowLatencyResampler

    model = build_tiny_live_model(tmp_path / "live.onnx", hops_per_call=1)
    seconds = 1.0 if block == 1 else 3.0
    audio, _ = drum_like_audio(seconds=seconds, sample_rate=rate, seed=5, hits_per_s=6.0)
    wav = tmp_path / "drums.wav"
    sf.write(wav, audio, rate, subtype="FLOAT")
    expected = python_hits(model, audio, block, rate=rate)
    assert len(expected) >= 3
    out = ts_run(ts_build, model, wav, block)
    got = sorted((h["time"], h["lane"], h["velocity"]) for h in out["hits"])
    assert [g[1:] for g in got] == [e[1:] for e in expected]
    assert np.allclose([g[0] for g in got], [e[0] for e in expected], atol=1e-9, rtol=0)
    live = drumscribe.LiveTranscriber(drumscribe.load_live_model(model), sample_rate=rate)
    assert out["latency_s"] == pytest.approx(live.latency_s, abs=1e-12)
    # the resampler itself: blocks of 1, 7 and 4096 samples in node against Python's whole signal
    py = LowLatencyResampler(rate, RATE)
    whole = np.concatenate([py(audio), py(np.zeros(0, np.float32), last=True)])
    raw = tmp_path / "in.f32"
    audio.astype(np.float32).tofile(raw)
    script = f"""
const fs = require("node:fs");
const {{ LowLatencyResampler }} = require({json.dumps(str(ts_build / "src" / "resample.js"))});
const x = new Float32Array(fs.readFileSync({json.dumps(str(raw))}).buffer.slice(0));
const out = {{}};
for (const b of [1, 7, 4096]) {{
  const r = new LowLatencyResampler({rate}, {RATE});
  const parts = [];
  for (let i = 0; i < x.length; i += b) parts.push(...r.process(x.subarray(i, i + b)));
  parts.push(...r.process(new Float32Array(0), true));
  out[b] = parts;
}}
process.stdout.write(JSON.stringify({{ out, delay: new LowLatencyResampler({rate}, {RATE}).delayS }}));
"""
    proc = run(["node", "-e", script], env=node_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout)
    assert result["delay"] == pytest.approx(py.delay_s, abs=1e-15)
    for b, samples in result["out"].items():
        assert len(samples) == whole.size, b
        assert np.abs(np.asarray(samples, np.float32) - whole).max() <= 1e-6, b


def test_ts_resampler_constants_are_pythons() -> None:
    """One design, two languages: the TS resampler's zero crossings and beta equal Python's."""
    import re

    from drumscribe import live

    text = (Path(__file__).resolve().parents[2] / "bindings" / "ts" / "src" / "resample.ts").read_text()
    for name in ("RESAMPLE_ZERO_CROSSINGS", "RESAMPLE_KAISER_BETA"):
        found = re.search(rf"export const {name} = ([0-9.]+);", text)
        assert found is not None, name
        assert float(found.group(1)) == float(getattr(live, name)), name


def test_ts_live_peak_rule_option_matches_python(ts_build: Path, tmp_path: Path) -> None:
    """``--peak-rule rise`` on a ``peak`` model: Python's ``peak_rule="rise"`` hits, and one hop
    less of declared latency."""
    import soundfile as sf

    import drumscribe

    model = build_tiny_live_model(tmp_path / "live.onnx", peak_rule="peak")
    audio, _ = drum_like_audio(seconds=3.0, seed=6, hits_per_s=6.0)
    wav = tmp_path / "drums.wav"
    sf.write(wav, audio, RATE, subtype="FLOAT")
    expected = python_hits(model, audio, 160, peak_rule="rise")
    assert len(expected) >= 5 and expected != python_hits(model, audio, 160)
    out = ts_run(ts_build, model, wav, 160, "--peak-rule", "rise")
    assert sorted((h["time"], h["lane"], h["velocity"]) for h in out["hits"]) == expected
    live = drumscribe.LiveTranscriber(drumscribe.load_live_model(model), sample_rate=RATE, peak_rule="rise")
    assert out["latency_s"] == pytest.approx(live.latency_s, abs=1e-12)
    assert out["latency_s"] == pytest.approx(0.01, abs=1e-12)
