"""LiveTranscriber: causality, block-size independence, sample formats, reset and finish."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drumscribe import LANE_NAMES, DrumHit, DrumscribeError, LiveTranscriber, ModelError, load_live_model
from drumscribe.live import LiveModel, LowLatencyResampler
from support.tiny_live_model import build_tiny_live_model
from support.tiny_model import build_tiny_model, drum_like_audio

RATE = 16000


@pytest.fixture(scope="module", params=["peak", "rise"])
def live_model(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> LiveModel:
    """The tiny live model under each peak rule (``rise`` decides a hit one hop earlier)."""
    path = tmp_path_factory.mktemp("live") / "live.onnx"
    return load_live_model(build_tiny_live_model(path, peak_rule=request.param))


@pytest.fixture(scope="module")
def signal() -> tuple[np.ndarray, np.ndarray]:
    return drum_like_audio(seconds=3.0, seed=3, hits_per_s=5.0)


def run(
    model: LiveModel, audio: np.ndarray, sizes: list[int] | int, *, sample_rate: int = RATE
) -> list[DrumHit]:
    """Push ``audio`` in blocks of ``sizes`` (cycled), then finish."""
    live = LiveTranscriber(model, sample_rate=sample_rate)
    cycle = [sizes] if isinstance(sizes, int) else sizes
    hits: list[DrumHit] = []
    start, i = 0, 0
    while start < len(audio):
        size = cycle[i % len(cycle)]
        hits += live.push(audio[start : start + size])
        start += size
        i += 1
    return hits + live.finish()


def test_hits_follow_the_bursts(live_model: LiveModel, signal: tuple[np.ndarray, np.ndarray]) -> None:
    audio, onsets = signal
    hits = run(live_model, audio, 160)
    kicks = np.array([h.time_s for h in hits if h.drum == "kick"])
    assert len(kicks) >= len(onsets) // 2
    # every kick is at most a frame or two after a burst (no look-ahead: never before it)
    nearest = np.array([onsets[np.argmin(np.abs(onsets - k))] for k in kicks])
    assert np.all(kicks - nearest > -0.011) and np.all(kicks - nearest < 0.03)


@pytest.mark.parametrize("sizes", [7, 160, 4096, "random"])
def test_any_block_sizes_give_the_same_hits(
    live_model: LiveModel, signal: tuple[np.ndarray, np.ndarray], sizes: int | str
) -> None:
    audio, _ = signal
    reference = run(live_model, audio, 10 * RATE)
    assert reference
    chosen = list(np.random.default_rng(5).integers(1, 2000, 50)) if sizes == "random" else sizes
    assert run(live_model, audio, chosen) == reference  # type: ignore[arg-type]


def test_one_sample_blocks_give_the_same_hits(
    live_model: LiveModel, signal: tuple[np.ndarray, np.ndarray]
) -> None:
    audio = signal[0][:RATE]
    assert run(live_model, audio, 1) == run(live_model, audio, 555)


def test_block_sizes_at_another_rate_through_the_resampler(
    live_model: LiveModel, signal: tuple[np.ndarray, np.ndarray]
) -> None:
    import soxr

    audio = soxr.resample(signal[0][: 2 * RATE], RATE, 44100).astype(np.float32)
    reference = run(live_model, audio, 100_000, sample_rate=44100)
    assert reference
    assert run(live_model, audio, [1, 7, 441, 3000], sample_rate=44100) == reference
    assert run(live_model, audio[:22050], 1, sample_rate=44100) == run(
        live_model, audio[:22050], 999, sample_rate=44100
    )


def test_resampler_output_lines_up_with_the_input_timeline() -> None:
    rs = LowLatencyResampler(48000, RATE)
    t = np.arange(48000) / 48000
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    out = np.concatenate([rs(tone[:1000]), rs(tone[1000:]), rs(np.zeros(0, np.float32), last=True)])
    expected = np.sin(2 * np.pi * 440 * np.arange(len(out)) / RATE)
    np.testing.assert_allclose(out[50:-50], expected[50:-50], atol=2e-3)
    assert rs.delay_s == pytest.approx(0.001)


def test_int16_blocks_equal_float_blocks_scaled(
    live_model: LiveModel, signal: tuple[np.ndarray, np.ndarray]
) -> None:
    audio = signal[0]
    pcm = np.round(audio * 20000).astype(np.int16)
    assert run(live_model, pcm, 333) == run(live_model, pcm.astype(np.float32) / 32768, 333)


def test_stereo_blocks_are_averaged(live_model: LiveModel, signal: tuple[np.ndarray, np.ndarray]) -> None:
    audio = signal[0]
    stereo = np.stack([audio, 0.5 * audio], axis=1)
    assert run(live_model, stereo, 400) == run(live_model, (0.75 * audio).astype(np.float32), 400)


def test_changing_the_audio_after_t_never_changes_earlier_hits(
    live_model: LiveModel, signal: tuple[np.ndarray, np.ndarray]
) -> None:
    audio = signal[0]
    for cut_s in (0.8, 1.5, 2.2):
        cut = round(cut_s * RATE)
        changed = audio.copy()
        changed[cut:] = np.random.default_rng(9).standard_normal(len(audio) - cut).astype(np.float32) * 0.5
        a, b = run(live_model, audio, 256), run(live_model, changed, 256)
        live = LiveTranscriber(live_model, sample_rate=RATE)
        horizon = cut_s - live.latency_s
        assert [h for h in a if h.time_s < horizon] == [h for h in b if h.time_s < horizon]
        # and those hits were out by the time the input reached t
        emitted = live.push(audio[:cut])
        assert [h for h in a if h.time_s <= horizon] == [h for h in emitted if h.time_s <= horizon]
        assert all(h.time_s <= cut_s for h in emitted)


def test_latency_is_the_declared_one(live_model: LiveModel) -> None:
    declared = 0.02 if live_model.spec.peak_rule == "peak" else 0.01  # frame reach + confirmation
    assert LiveTranscriber(live_model, sample_rate=RATE).latency_s == pytest.approx(declared)
    assert LiveTranscriber(live_model, sample_rate=48000).latency_s == pytest.approx(declared + 0.001)


def test_reset_starts_afresh(live_model: LiveModel, signal: tuple[np.ndarray, np.ndarray]) -> None:
    audio = signal[0]
    live = LiveTranscriber(live_model, sample_rate=RATE)
    live.push(np.random.default_rng(1).standard_normal(5000).astype(np.float32))
    live.reset()
    hits = live.push(audio) + live.finish()
    assert hits == run(live_model, audio, 1000)
    live.reset()
    assert live.push(audio) + live.finish() == hits


def test_push_after_finish_raises(live_model: LiveModel) -> None:
    live = LiveTranscriber(live_model, sample_rate=RATE)
    live.push(np.zeros(100, np.float32))
    live.finish()
    with pytest.raises(DrumscribeError, match=r"push\(\) after finish\(\).*reset\(\)"):
        live.push(np.zeros(10, np.float32))
    with pytest.raises(DrumscribeError, match="finish"):
        live.finish()


def test_hops_per_call_does_not_change_the_hits(
    tmp_path: Path, signal: tuple[np.ndarray, np.ndarray]
) -> None:
    four = load_live_model(build_tiny_live_model(tmp_path / "four.onnx", hops_per_call=4))
    one = load_live_model(build_tiny_live_model(tmp_path / "one.onnx"))
    audio = signal[0]
    assert [h.drum for h in run(four, audio, 500)] == [h.drum for h in run(one, audio, 500)]


def test_bad_blocks_are_refused(live_model: LiveModel) -> None:
    live = LiveTranscriber(live_model, sample_rate=RATE)
    with pytest.raises(ValueError, match="NaN"):
        live.push(np.array([0.0, np.nan], np.float32))
    with pytest.raises(ValueError, match="samples, channels"):
        live.push(np.zeros((2, 3, 4), np.float32))
    assert live.push(np.zeros(0, np.float32)) == []


def test_an_offline_model_is_not_a_live_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a live model"):
        load_live_model(build_tiny_model(tmp_path / "offline.onnx"))


@pytest.mark.parametrize(("options", "declared"), [([], "20.0"), (["--peak-rule", "rise"], "10.0")])
def test_cli_live_prints_hits_with_their_delay(
    tmp_path: Path,
    signal: tuple[np.ndarray, np.ndarray],
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    declared: str,
) -> None:
    import soundfile as sf

    from drumscribe.cli import main

    model = build_tiny_live_model(tmp_path / "live.onnx")
    wav = tmp_path / "drums.wav"
    sf.write(wav, signal[0][:RATE], RATE)
    argv = ["live", "--input", str(wav), "--model", str(model), "--realtime", "--block-ms", "50", *options]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"# tiny-live-test-model: declared latency {declared} ms")
    hit_lines = [line for line in out if " ms" in line and not line.startswith("#")]
    assert hit_lines and all("kick" in line or "vel" in line for line in hit_lines)
    assert out[-1].startswith("# ") and "median" in out[-1]


def test_cli_live_without_sounddevice_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import builtins

    from drumscribe.cli import main
    from drumscribe.live_cli import SOUNDDEVICE_MISSING

    real_import = builtins.__import__

    def no_sounddevice(name: str, *args: object, **kwargs: object) -> object:
        if name == "sounddevice":
            raise ImportError("No module named 'sounddevice'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_sounddevice)
    assert main(["live", "--list-devices"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["drumscribe: error: " + SOUNDDEVICE_MISSING]


def test_cli_info_reads_a_live_sidecar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from drumscribe.cli import main

    model = build_tiny_live_model(tmp_path / "live.onnx")
    assert main(["info", str(model)]) == 0
    out = capsys.readouterr().out
    assert "live model:  tiny-live-test-model" in out and "latency:     20 ms declared" in out
    assert "state_audio [1, 160], state_edge [1, 8, 1]" in out


def test_the_bundled_live_model_loads_and_declares_30_ms() -> None:
    live = LiveTranscriber(sample_rate=RATE)
    assert live.latency_s == pytest.approx(0.030)
    assert live.model.spec.name.startswith("drumscribe-live")
    assert live.push(np.zeros(RATE // 2, np.float32)) + live.finish() == []


def test_a_live_model_behind_the_offline_interface(
    live_model: LiveModel, signal: tuple[np.ndarray, np.ndarray]
) -> None:
    """LiveAsOfflineModel: hop-by-hop activations, samples // hop + 1 frames; transcribe() runs it."""
    import drumscribe
    from drumscribe.live import LiveAsOfflineModel, load_any_model

    audio = signal[0][:12345]
    adapter = LiveAsOfflineModel(live_model)
    onsets, velocities = adapter.run(audio[None])
    assert onsets.shape == (1, 12345 // 160 + 1, 8) and velocities is not None
    state = live_model.initial_state()
    padded = np.zeros((12345 // 160 + 1) * 160, np.float32)
    padded[:12345] = audio
    steps = []
    for j in range(len(padded) // 160):
        o, _v, state = live_model.step(padded[j * 160 : (j + 1) * 160], state)
        steps.append(o)
    np.testing.assert_array_equal(onsets[0], np.concatenate(steps))
    live_hits = run(live_model, audio, 512)
    offline = drumscribe.transcribe(audio, sample_rate=RATE, model=adapter)  # type: ignore[arg-type]
    # the same peaks; offline picking refines times by up to half a frame
    by_lane_offline = sorted((h.drum, h.time_s) for h in offline.hits)
    by_lane_live = sorted((h.drum, h.time_s) for h in live_hits)
    assert [d for d, _ in by_lane_offline] == [d for d, _ in by_lane_live]
    assert all(abs(a[1] - b[1]) <= 0.005 + 1e-9 for a, b in zip(by_lane_offline, by_lane_live, strict=True))
    assert isinstance(load_any_model(live_model.path), LiveAsOfflineModel)


def test_rewriting_a_sidecar_keeps_its_peak_rule(tmp_path: Path) -> None:
    """Threshold tuning rewrites the sidecar; the rule (and so the declared latency) stays."""
    from drumscribe.model import rewrite_sidecar

    path = build_tiny_live_model(tmp_path / "live.onnx", peak_rule="rise")
    rewrite_sidecar(path, thresholds=dict.fromkeys(LANE_NAMES, 0.4))
    spec = load_live_model(path).spec
    assert (spec.peak_rule, spec.thresholds["kick"]) == ("rise", 0.4)


def test_choosing_the_rise_rule_takes_a_hop_off_the_latency(
    tmp_path: Path, signal: tuple[np.ndarray, np.ndarray]
) -> None:
    """``peak_rule="rise"`` on a ``peak`` model: the hits of a ``rise`` model, 10 ms sooner, and
    changing the audio after t still never changes a hit before t minus the shorter latency."""
    audio = signal[0]
    peak_model = load_live_model(build_tiny_live_model(tmp_path / "peak.onnx", peak_rule="peak"))
    rise_model = load_live_model(build_tiny_live_model(tmp_path / "rise.onnx", peak_rule="rise"))
    chosen = LiveTranscriber(peak_model, sample_rate=RATE, peak_rule="rise")
    assert chosen.latency_s == pytest.approx(LiveTranscriber(peak_model, sample_rate=RATE).latency_s - 0.01)
    assert chosen.latency_s == pytest.approx(LiveTranscriber(rise_model, sample_rate=RATE).latency_s)
    hits = chosen.push(audio) + chosen.finish()
    assert hits and hits == run(rise_model, audio, 333)
    cut_s = 1.5
    cut = round(cut_s * RATE)
    early = LiveTranscriber(peak_model, sample_rate=RATE, peak_rule="rise").push(audio[:cut])
    horizon = cut_s - chosen.latency_s
    assert [h for h in hits if h.time_s <= horizon] == [h for h in early if h.time_s <= horizon]
    with pytest.raises(ValueError, match="peak rule must be one of peak, rise"):
        LiveTranscriber(peak_model, sample_rate=RATE, peak_rule="valley")
