"""Mixing one-shots and the mix chain: choke, levels, and that no effect moves an onset."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from drumscribe_training.synth.events import SAMPLE_RATE, NoteEvent, roland_notes
from drumscribe_training.synth.kitmodel import onset_index
from drumscribe_training.synth.mixer import KitPlayer, apply_mix, draw_mix, render_dry
from drumscribe_training.synth.registry import load_kit


@pytest.fixture(scope="module")
def tiny():  # type: ignore[no-untyped-def]
    return load_kit("tiny")


def test_open_hihat_is_choked_by_the_next_closed_hat(tiny) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    player = KitPlayer.create(tiny, [], rng)
    n = SAMPLE_RATE
    open_only = render_dry([NoteEvent(0.1, 46, 110)], player, n, np.random.default_rng(1))
    choked = render_dry([NoteEvent(0.1, 46, 110), NoteEvent(0.3, 44, 1)], player, n, np.random.default_rng(1))
    after = slice(int(0.36 * SAMPLE_RATE), n)
    assert np.abs(open_only[after]).max() > 0.05
    assert np.abs(choked[after]).max() < 0.2 * np.abs(open_only[after]).max()
    before = slice(0, int(0.29 * SAMPLE_RATE))
    np.testing.assert_allclose(choked[before], open_only[before])


def test_velocity_changes_level(tiny) -> None:  # type: ignore[no-untyped-def]
    player = KitPlayer.create(tiny, [], np.random.default_rng(0))
    soft = render_dry([NoteEvent(0.0, 38, 20)], player, 20000, np.random.default_rng(1))
    loud = render_dry([NoteEvent(0.0, 38, 127)], player, 20000, np.random.default_rng(1))
    assert np.abs(loud).max() > 4 * np.abs(soft).max() > 0


def test_mix_chain_keeps_length_peak_and_onsets(tiny) -> None:  # type: ignore[no-untyped-def]
    worst = 0.0
    for i in range(60):
        rng = np.random.default_rng(100 + i)
        note = roland_notes()[i % 22]
        player = KitPlayer.create(tiny, [], rng)
        dry = render_dry([NoteEvent(0.3, note, int(rng.integers(1, 128)))], player, 60000, rng)
        mix = dataclasses.replace(draw_mix(rng), noise_db=None, hum=None, mp3_quality=None)
        wet = apply_mix(dry, mix, rng)
        assert wet.shape == dry.shape and wet.dtype == np.float32
        assert np.all(np.isfinite(wet))
        assert np.abs(wet).max() == pytest.approx(10 ** (mix.peak_db / 20), rel=1e-3)
        err = onset_index(wet) / SAMPLE_RATE - 0.3
        worst = max(worst, abs(err))
    assert worst <= 0.001, worst


def test_lossy_encoding_and_noise_do_not_move_onsets(tiny) -> None:  # type: ignore[no-untyped-def]
    for i in range(8):
        rng = np.random.default_rng(i)
        player = KitPlayer.create(tiny, [], rng)
        dry = render_dry([NoteEvent(0.5, 38, 100)], player, 60000, rng)
        mix = dataclasses.replace(draw_mix(rng, realism=0.0), mp3_quality=4.0, noise_db=-60.0)
        wet = apply_mix(dry, mix, rng)
        assert wet.shape == dry.shape and np.abs(wet).max() <= 1.0
        assert abs(onset_index(wet, db=-30.0) / SAMPLE_RATE - 0.5) <= 0.001


def test_silence_stays_silent() -> None:
    rng = np.random.default_rng(0)
    out = apply_mix(np.zeros(1000, np.float32), draw_mix(rng), rng)
    assert not np.any(out)


def test_blending_uses_two_kits(tiny) -> None:  # type: ignore[no-untyped-def]
    from drumscribe_training.synth.kitmodel import Kit

    other = Kit("tiny-copy", tiny.audio, tiny.voices, tiny.notes, {})
    player = KitPlayer.create(tiny, [other], np.random.default_rng(0), blend_probability=1.0)
    assert all(len(s) == 2 for s in player.slots.values())
    assert player.kits_used == {"tiny", "tiny-copy"}
    assert all(abs(sum(x.weight for x in s) - 1.0) < 1e-9 for s in player.slots.values())
