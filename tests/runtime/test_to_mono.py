"""to_mono's channel-by-channel sum equals numpy's float64 mean (it replaced it for speed)."""

from __future__ import annotations

import numpy as np
import pytest

from drumscribe.audio import to_mono


@pytest.mark.parametrize("channels", [1, 2, 3, 6, 7])
def test_to_mono_equals_float64_mean(channels: int) -> None:
    rng = np.random.default_rng(channels)
    block = rng.standard_normal((4001, channels)).astype(np.float32)
    expected = block.mean(axis=1, dtype=np.float64).astype(np.float32)
    out = to_mono(block)
    assert out.dtype == np.float32
    assert out.shape == (4001,)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("channels", [8, 16, 64])
def test_to_mono_many_channels_within_one_ulp(channels: int) -> None:
    block = np.random.default_rng(0).standard_normal((999, channels)).astype(np.float32)
    expected = block.mean(axis=1, dtype=np.float64).astype(np.float32)
    np.testing.assert_array_max_ulp(to_mono(block), expected, maxulp=1)


def test_to_mono_keeps_non_finite_and_empty() -> None:
    block = np.array([[1.0, np.inf], [np.nan, 0.0], [0.5, -0.5]], dtype=np.float32)
    out = to_mono(block)
    assert np.isinf(out[0]) and np.isnan(out[1]) and out[2] == 0.0
    assert to_mono(np.zeros((0, 2), dtype=np.float32)).shape == (0,)
    mono = np.arange(5, dtype=np.float64)
    assert to_mono(mono).dtype == np.float32
