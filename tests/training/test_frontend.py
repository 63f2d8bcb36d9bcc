"""The log-mel front-end stays float32 under mixed precision (a loud hit overflows float16)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drumscribe_training.config import load_config
from drumscribe_training.network.frontend import LogMelFrontend


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_log_mel_is_float32_and_finite_under_autocast(dtype: torch.dtype) -> None:
    cfg = load_config()
    frontend = LogMelFrontend(cfg.audio, cfg.frontend)
    rng = np.random.default_rng(0)
    t = np.arange(cfg.audio.sample_rate) / cfg.audio.sample_rate
    loud = np.sign(np.sin(2 * np.pi * 180.0 * t)) * 0.99  # full-scale square wave
    audio = torch.from_numpy(np.stack([loud, rng.uniform(-1.0, 1.0, t.size)]).astype(np.float32))
    reference = frontend(audio)
    # its power spectrum (before the mel filters) does overflow float16
    pad = frontend.n_fft // 2
    spec = torch.nn.functional.conv1d(
        torch.nn.functional.pad(audio.unsqueeze(1), (pad, pad)), frontend.dft, stride=frontend.hop
    )
    power = spec[:, : frontend.n_bins] ** 2 + spec[:, frontend.n_bins :] ** 2
    assert power.max().item() > torch.finfo(torch.float16).max
    with torch.autocast(device_type="cpu", dtype=dtype):
        mixed = frontend(audio)
    assert mixed.dtype == torch.float32
    assert torch.isfinite(mixed).all()
    torch.testing.assert_close(mixed, reference)
