"""Training throughput: audio seconds per wall second, and the projected E-GMD epoch.

Run::

    uv run pytest benchmarks/bench_train.py --benchmark-only

One optimiser step of :class:`drumscribe_training.network.lightning_module.DrumTranscriberModule`
as the trainer runs it: the module's own ``_losses`` (onset BCE with pos_weight + masked
velocity BCE) on a batch of ``training.batch_size`` crops of ``data.crop_s`` seconds,
backward, gradient clipping at ``training.gradient_clip_val``, AdamW. On CPU with native
bf16 (AVX512-BF16 / AMX) the trainer uses bf16 autocast (``torch.autocast("cpu",
dtype=torch.bfloat16)``); fp32 is measured beside it, and CUDA when a GPU is present.

The batch is generated (compute only); loader throughput is in ``bench_data.py``, and
``scripts/write_benchmark_results.py`` sets the two side by side. An "epoch of the full
E-GMD" is 444 h of audio seen once: 444 * 3600 / (audio seconds per wall second).
"""

from __future__ import annotations

from typing import Any

import pytest
from _bench import best, measure, quick, report, rounds

EGMD_HOURS = 444.0


def _batch(cfg: Any, device: str, batch_size: int, crop_s: float) -> dict[str, Any]:
    import torch

    g = torch.Generator().manual_seed(0)
    n = round(crop_s * cfg.audio.sample_rate)
    frames = n // cfg.audio.hop_length + 1
    onsets = (torch.rand(batch_size, frames, cfg.model.n_classes, generator=g) < 0.01).float()
    return {
        "audio": (torch.randn(batch_size, n, generator=g) * 0.1).to(device),
        "onsets": onsets.to(device),
        "velocities": torch.rand(batch_size, frames, cfg.model.n_classes, generator=g).to(device),
    }


@pytest.mark.parametrize(
    ("device", "precision"), [("cpu", "bf16-autocast"), ("cpu", "fp32"), ("cuda", "bf16-autocast")]
)
def test_train_step(benchmark: Any, cfg: Any, device: str, precision: str) -> None:
    import torch

    from drumscribe_training.network.lightning_module import DrumTranscriberModule

    benchmark.group = "training step"
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    if device == "cpu" and precision == "bf16-autocast":
        native = bool(torch.cpu._is_avx512_bf16_supported()) or bool(torch.cpu._is_amx_tile_supported())
        note = "native bf16" if native else "no native bf16: the trainer would use fp32 here"
    else:
        note = ""
    torch.manual_seed(0)
    module = DrumTranscriberModule(cfg.to_dict()).to(device).train()
    tr = cfg.training
    opt = torch.optim.AdamW(module.parameters(), lr=tr.learning_rate, weight_decay=tr.weight_decay)
    bs, crop_s = (2, 1.0) if quick() else (tr.batch_size, cfg.data.crop_s)
    batch = _batch(cfg, device, bs, crop_s)
    use_bf16 = precision == "bf16-autocast"

    def step() -> float:
        with torch.autocast(device, dtype=torch.bfloat16, enabled=use_bf16):
            loss = module._losses(batch).total
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), tr.gradient_clip_val)
        opt.step()
        if device == "cuda":
            torch.cuda.synchronize()
        return float(loss.detach())

    n_rounds = 3 if device == "cpu" else 20
    loss, times = measure(benchmark, step, rounds=rounds(n_rounds), warmup_rounds=0 if quick() else 1)
    t = best(times)
    audio_per_s = bs * crop_s / t
    epoch_h = EGMD_HOURS * 3600 / audio_per_s / 3600
    report(
        benchmark,
        f"train step on {device} ({precision}{', ' + note if note else ''}; {torch.get_num_threads()} threads), "
        f"batch {bs} x {crop_s:g} s: {t:.2f} s/step = {bs / t:.1f} examples/s = {audio_per_s:.1f} audio s per "
        f"wall s; one epoch of the full E-GMD ({EGMD_HOURS:.0f} h) ~ {epoch_h:.1f} h",
        device=device,
        precision=precision,
        threads=torch.get_num_threads(),
        batch_size=bs,
        crop_s=crop_s,
        seconds_per_step=t,
        examples_per_s=bs / t,
        audio_s_per_s=audio_per_s,
        egmd_epoch_hours=epoch_h,
        loss=loss,
    )
    assert loss == loss  # finite (not NaN)
