"""The causal (live) network: causality, hop-by-hop torch and ONNX parity with the whole signal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from drumscribe.contract import LIVE_KEY, LIVE_REQUIRED_KEYS
from drumscribe_training.config import ConfigError, load_config
from drumscribe_training.network.crnn import DrumTranscriber, build_model
from drumscribe_training.network.live import LiveStep

HOP = 160
#: A narrow causal network (the live recipe's front-end, small layers): seconds to build and run.
TINY_CAUSAL = {
    "model": {
        "kind": "causal",
        "lookahead_frames": 1,
        "conv_filters": [4, 8, 8],
        "hidden_size": 16,
        "num_gru_layers": 2,
        "dense_size": 16,
    },
    "frontend": {"n_fft": 512, "win_length": 320, "n_mels": 32},
}


def tiny_causal(lookahead: int = 1) -> DrumTranscriber:
    overrides = {**TINY_CAUSAL, "model": {**TINY_CAUSAL["model"], "lookahead_frames": lookahead}}
    torch.manual_seed(0)
    model = build_model(load_config(overrides=overrides))
    for mod in model.modules():  # non-trivial BatchNorm statistics, as after training
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-1.0, 1.0)
            mod.running_var.uniform_(0.5, 2.0)
    return model.eval()


def _audio(samples: int, seed: int = 0) -> torch.Tensor:
    return 0.3 * torch.randn(1, samples, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("lookahead", [0, 1, 2])
def test_output_for_frame_t_reads_no_audio_after_its_lookahead(lookahead: int) -> None:
    model = tiny_causal(lookahead)
    audio = _audio(8000)
    cut = 4000  # changing samples >= cut may change frames whose reach extends past cut
    changed = audio.clone()
    changed[:, cut:] = _audio(8000 - cut, seed=1)
    with torch.no_grad():
        a, _ = model(audio)
        b, _ = model(changed)
    # frame t reads samples < (t + 1 + lookahead) * hop
    safe = (cut // HOP) - 1 - lookahead + 1
    torch.testing.assert_close(a[:, :safe], b[:, :safe], rtol=0, atol=0)
    assert not torch.allclose(a[:, safe + 1 :], b[:, safe + 1 :])


def test_frames_match_the_offline_count() -> None:
    model = tiny_causal()
    for n in (1, 159, 160, 161, 8000):
        with torch.no_grad():
            onsets, velocities = model(_audio(n))
        assert onsets.shape == (1, n // HOP + 1, 8)
        assert velocities is not None and velocities.shape == onsets.shape


def test_step_hop_by_hop_equals_the_whole_signal() -> None:
    model = tiny_causal()
    audio = _audio(16000 + 37)
    step = LiveStep(model).eval()
    n = audio.shape[1]
    total = n // HOP + 1 + model.lookahead_frames
    padded = torch.nn.functional.pad(audio, (0, total * HOP - n))
    states = step.initial_state()
    outs = []
    with torch.no_grad():
        whole, _ = model(audio)
        for j in range(total):
            onsets, _vel, *states = step(padded[:, j * HOP : (j + 1) * HOP], *states)
            outs.append(onsets)
    hop_by_hop = torch.cat(outs, dim=1)[:, model.lookahead_frames :]
    torch.testing.assert_close(hop_by_hop, torch.sigmoid(whole), rtol=0, atol=1e-6)


def test_onnx_hop_by_hop_equals_torch_whole_signal(tmp_path: Path) -> None:
    from drumscribe_exporters.live_export import export_live_model, run_live_onnx

    model = tiny_causal()
    cfg = load_config(overrides=TINY_CAUSAL)
    result = export_live_model(model, cfg, tmp_path / "live.onnx", name="tiny-live")
    audio = _audio(12000 + 11)
    with torch.no_grad():
        whole = torch.sigmoid(model(audio)[0])[0].numpy()
    for hops_per_call in (1, 4):
        onnx_out = run_live_onnx(result.onnx_path, audio[0].numpy(), hop=HOP, hops_per_call=hops_per_call)
        np.testing.assert_allclose(onnx_out, whole, rtol=0, atol=1e-5)
    live = json.loads(result.sidecar_path.read_text())[LIVE_KEY]
    assert set(LIVE_REQUIRED_KEYS) <= set(live)
    assert live["latency_s"] == pytest.approx(0.03)
    assert [s["name"] for s in live["states"]] == [
        "state_audio",
        "state_conv0",
        "state_conv1",
        "state_conv2",
        "state_gru",
    ]
    assert live["states"][0]["shape"] == [1, 320 - HOP]


def test_causal_config_needs_a_window_longer_than_a_hop() -> None:
    with pytest.raises(ConfigError, match="win_length"):
        load_config(overrides={**TINY_CAUSAL, "frontend": {"n_fft": 512, "win_length": 160, "n_mels": 32}})
    with pytest.raises(ConfigError, match="lookahead_frames"):
        load_config(overrides={"model": {"lookahead_frames": -1}})


def test_the_live_recipe_declares_at_most_30_ms() -> None:
    from drumscribe_training.network.live import live_latency

    cfg = load_config(Path(__file__).resolve().parents[2] / "configs" / "live_model.yaml")
    model = build_model(cfg)
    assert model.causal
    lat = live_latency(model, sample_rate=cfg.audio.sample_rate, peak_rule=cfg.peak_picking.rule)
    assert lat["latency_s"] <= 0.030 + 1e-9
    # the parts: the frame's window reaches one hop past its time, then look-ahead and peak rule
    parts = lat["frame_reach_s"] + lat["lookahead_s"] + lat["peak_confirm_s"]
    assert lat["latency_s"] == pytest.approx(parts, abs=1e-12)


@pytest.mark.parametrize(("rule", "frames"), [("peak", 1 + 1 + 1), ("rise", 1 + 1)])
def test_the_rise_rule_takes_the_confirmation_hop_off_the_latency(rule: str, frames: int) -> None:
    from drumscribe_training.network.live import live_latency

    cfg = load_config(overrides={**TINY_CAUSAL, "peak_picking": {"rule": rule}})
    lat = live_latency(build_model(cfg), sample_rate=cfg.audio.sample_rate, peak_rule=rule)
    assert lat["latency_s"] == pytest.approx(frames * cfg.audio.hop_length / cfg.audio.sample_rate)


def test_live_recipe_trains_exports_and_runs(tiny_processed: Path, tmp_path: Path) -> None:
    """From the committed live recipe: a tiny fit, drumscribe-export (live graph + parity), LiveTranscriber."""
    import yaml

    import drumscribe
    from drumscribe_exporters.cli import main as export_main
    from drumscribe_training.cli import main as train_main
    from support.tiny_model import drum_like_audio
    from support.training_setup import small_overrides

    recipe = Path(__file__).resolve().parents[2] / "configs" / "live_model.yaml"
    cfg_path = tmp_path / "live.yaml"
    cfg_path.write_text(yaml.safe_dump({"base": str(recipe), **small_overrides(tmp_path)}))
    assert load_config(cfg_path).model.kind == "causal"
    args = ["fit", "--config", str(cfg_path), "--experiment-name", "live", "--data-dir", str(tiny_processed)]
    assert train_main(args) == 0
    ckpt = next(tmp_path.rglob("last.ckpt"))
    onnx_path = tmp_path / "export" / "model.onnx"
    assert export_main([str(ckpt), "-o", str(onnx_path), "--name", "tiny-live"]) == 0
    live = drumscribe.LiveTranscriber(onnx_path, sample_rate=44100, threshold=0.05)
    assert live.latency_s == pytest.approx(0.031)
    audio, _ = drum_like_audio(seconds=2.0, sample_rate=44100)
    hits = live.push(audio) + live.finish()
    assert all(isinstance(h, drumscribe.DrumHit) and 0 <= h.time_s <= 2.0 for h in hits)


def test_a_fine_tune_may_give_the_network_more_look_ahead(tmp_path: Path) -> None:
    """``training.init_weights`` from a look-ahead-1 checkpoint into a look-ahead-2 config: the
    weights are the same tensors, so they load; a change of width is still refused."""
    from drumscribe.errors import ModelError
    from drumscribe_training.network.checkpoint import load_checkpoint

    start = load_config(overrides=TINY_CAUSAL)
    model = build_model(start)
    path = tmp_path / "look1.ckpt"
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "hyper_parameters": {"config": start.to_dict()}}, path)
    look2 = load_config(
        overrides={
            "model": {**TINY_CAUSAL["model"], "lookahead_frames": 2},
            "frontend": TINY_CAUSAL["frontend"],
        }
    )
    loaded = load_checkpoint(path, config=look2, fine_tune=True)
    assert loaded.model.lookahead_frames == 2
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value), key
    with pytest.raises(ModelError, match="another model config"):
        load_checkpoint(path, config=look2)  # not a fine-tune: the config must match
    wider = load_config(
        overrides={"model": {**TINY_CAUSAL["model"], "hidden_size": 32}, "frontend": TINY_CAUSAL["frontend"]}
    )
    with pytest.raises(ModelError, match="another model config"):
        load_checkpoint(path, config=wider, fine_tune=True)
