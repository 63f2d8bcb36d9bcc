"""The on-the-fly ClipRenderer (the DataModule's interface)."""

from __future__ import annotations

import numpy as np
import pytest
from synth_helpers import require_gmd, require_installed

from drumscribe_training.synth import ClipRenderer, NoteEvent, RenderedClip
from drumscribe_training.synth.events import lane_of_note
from drumscribe_training.synth.registry import KitError, kit_names


def _check(clip: RenderedClip, sr: int, dur: float) -> None:
    assert isinstance(clip, RenderedClip)
    assert clip.sample_rate == sr
    assert clip.audio.dtype == np.float32 and clip.audio.ndim == 1
    assert clip.audio.shape[0] == round(dur * sr)
    assert np.all(np.isfinite(clip.audio)) and np.abs(clip.audio).max() <= 1.0
    assert isinstance(clip.events, tuple) and all(isinstance(e, NoteEvent) for e in clip.events)
    assert list(clip.events) == sorted(clip.events, key=lambda e: e.time_s)
    assert all(0.0 <= e.time_s < dur and 1 <= e.velocity <= 127 for e in clip.events)
    assert all(lane_of_note(e.note) for e in clip.events)


def test_interface_and_determinism_with_the_tiny_kit() -> None:
    r = ClipRenderer(split="train", sample_rate=16000, seed=0, kits=["tiny"], procedural_fraction=1.0)
    clip = r.render(duration_s=4.0, rng=np.random.default_rng(123))
    _check(clip, 16000, 4.0)
    assert clip.kit_name == "tiny" and clip.events
    again = r.render(duration_s=4.0, rng=np.random.default_rng(123))
    np.testing.assert_array_equal(clip.audio, again.audio)
    assert clip.events == again.events
    other = r.render(duration_s=4.0, rng=np.random.default_rng(124))
    assert not np.array_equal(clip.audio, other.audio)
    # without rng: the renderer's own seeded generator
    a = ClipRenderer("train", 22050, seed=5, kits=["tiny"], procedural_fraction=1.0).render(2.5)
    b = ClipRenderer("train", 22050, seed=5, kits=["tiny"], procedural_fraction=1.0).render(2.5)
    _check(a, 22050, 2.5)
    np.testing.assert_array_equal(a.audio, b.audio)


def test_labels_are_heard_at_their_onsets() -> None:
    """At each clearly audible labelled hit, the signal's change (a flux proxy) in the
    5 ms after the onset exceeds that of the 5 ms before it."""
    r = ClipRenderer("train", 16000, kits=["tiny"], procedural_fraction=1.0, realism=0.0)
    louder = total = 0
    for seed in range(4):
        clip = r.render(6.0, rng=np.random.default_rng(seed))
        x, sr = clip.audio, clip.sample_rate
        flux = np.abs(np.diff(x, prepend=0.0))
        # kick and toms: change of a low-passed signal (a ringing ride would mask them)
        low = np.convolve(x, np.ones(16) / 16, mode="same")
        low_flux = np.abs(np.diff(low, prepend=0.0))
        w = int(0.005 * sr)
        times = [e.time_s for e in clip.events]
        for j, e in enumerate(clip.events):
            i = round(e.time_s * sr)
            isolated = j == 0 or e.time_s - times[j - 1] > 0.03
            if e.velocity < 80 or not isolated or i < w or i + w > x.size:
                continue
            total += 1
            f = low_flux if lane_of_note(e.note) in ("kick", "hi_tom", "mid_tom", "low_tom") else flux
            louder += f[i : i + w].sum() > f[i - w : i].sum()
    assert total > 20 and louder / total > 0.9, (louder, total)


def test_bad_arguments() -> None:
    with pytest.raises(KitError, match="unknown kit"):
        ClipRenderer(kits=["Nope"])
    with pytest.raises(ValueError):
        ClipRenderer(kits=["tiny"], sample_rate=0)
    r = ClipRenderer(kits=["tiny"], procedural_fraction=1.0)
    assert r.prepare() is r
    with pytest.raises(ValueError):
        r.render(0.0)


@pytest.mark.parametrize("split", ["train", "test"])
def test_real_kits_and_gmd_windows(split: str) -> None:
    require_installed(kit_names(split))
    require_gmd()
    r = ClipRenderer(split=split, sample_rate=16000, seed=1, procedural_fraction=0.0)
    kits = set()
    for i in range(4):
        clip = r.render(3.0, rng=np.random.default_rng(i))
        _check(clip, 16000, 3.0)
        kits.add(clip.kit_name)
    assert kits <= set(kit_names(split))


def test_clips_carry_their_grooves_tempo_meter_and_style() -> None:
    """What a band part rendered with the clip plays in (``ClipRenderer.render_band``)."""
    from drumscribe_training.synth.gmd import load_gmd_index
    from drumscribe_training.synth.procedural import STYLES

    r = ClipRenderer("train", 16000, kits=["tiny"], procedural_fraction=1.0)
    clip = r.render(2.0, rng=np.random.default_rng(1))
    assert clip.style in {s.name for s in STYLES} and clip.time_signature in ("4-4", "3-4", "6-8")
    assert 60.0 / 200 <= clip.quarter_s <= 60.0 / 60
    require_gmd()
    gmd = ClipRenderer("train", 16000, kits=["tiny"], procedural_fraction=0.0)
    train = [p for p in load_gmd_index() if p.split == "train"]
    for seed in range(3):
        c = gmd.render(2.0, rng=np.random.default_rng(seed))
        assert any(
            p.style == c.style
            and p.time_signature == c.time_signature
            and abs(60.0 / c.quarter_s - p.bpm) < 1.0
            for p in train
        ), (c.style, c.time_signature, c.quarter_s)
