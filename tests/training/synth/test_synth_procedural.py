"""The procedural groove generator."""

from __future__ import annotations

import io
from collections import Counter

import mido
import numpy as np
import pytest

from drumscribe.contract import LANE_NAMES
from drumscribe_training.synth.events import NoteEvent, lane_of_note, roland_notes
from drumscribe_training.synth.procedural import STYLES, generate_groove, groove_midi


@pytest.fixture(scope="module")
def grooves():  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    return [generate_groove(rng, float(rng.uniform(10, 40))) for _ in range(120)]


def test_covers_every_roland_note_and_favours_rare_lanes(grooves) -> None:  # type: ignore[no-untyped-def]
    notes = Counter(e.note for g in grooves for e in g.events)
    assert set(notes) == set(roland_notes())
    lanes = Counter(lane_of_note(e.note) for g in grooves for e in g.events)
    hours = sum(g.duration_s for g in grooves) / 3600
    for lane in ("hi_tom", "mid_tom", "low_tom", "crash"):
        assert lanes[lane] / hours > 800, (lane, lanes[lane] / hours)
    assert lanes["ride"] / hours > 2000
    assert set(lanes) == set(LANE_NAMES)
    with_toms = sum(any(lane_of_note(e.note).endswith("tom") for e in g.events) for g in grooves)  # type: ignore[union-attr]
    assert with_toms / len(grooves) > 0.8


def test_grooves_are_sane(grooves) -> None:  # type: ignore[no-untyped-def]
    styles = {g.style for g in grooves}
    assert len(styles) >= 12
    assert {g.time_signature for g in grooves} >= {"4-4"}
    for g in grooves:
        assert 60 <= g.bpm <= 200
        assert list(g.events) == sorted(g.events)
        assert all(isinstance(e, NoteEvent) and 1 <= e.velocity <= 127 for e in g.events)
        assert g.events[-1].time_s <= g.duration_s + 0.1
        vels = [e.velocity for e in g.events]
        assert max(vels) - min(vels) >= 30  # dynamics: accents, soft notes


def test_same_rng_same_groove_and_styles_are_selectable() -> None:
    a = generate_groove(np.random.default_rng(3), 20.0)
    b = generate_groove(np.random.default_rng(3), 20.0)
    assert a == b
    for style in STYLES:
        g = generate_groove(np.random.default_rng(1), 8.0, style=style.name)
        assert g.style == style.name and g.events


def test_fill_clips_are_tom_heavy() -> None:
    rng = np.random.default_rng(11)
    gs = [generate_groove(rng, 8.0, fill_clip=True) for _ in range(30)]
    assert all(g.beat_type == "fill" for g in gs)
    toms = sum(1 for g in gs for e in g.events if lane_of_note(e.note).endswith("tom"))  # type: ignore[union-attr]
    assert toms / sum(len(g.events) for g in gs) > 0.15


def test_midi_matches_events_exactly(grooves) -> None:  # type: ignore[no-untyped-def]
    for g in grooves[:20]:
        mid = mido.MidiFile(file=io.BytesIO(groove_midi(g)))
        assert mid.ticks_per_beat == 480 and mid.type == 0
        t, got = 0.0, []
        for msg in mid:
            t += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                assert msg.channel == 9
                got.append((t, msg.note, msg.velocity))
        assert [(n, v) for _, n, v in got] == [(e.note, e.velocity) for e in g.events]
        assert max(abs(a[0] - e.time_s) for a, e in zip(got, g.events, strict=True)) < 1e-6


def test_no_lane_gets_two_onsets_within_12ms(grooves) -> None:  # type: ignore[no-untyped-def]
    """A pattern kick and an accent's kick, or two crashes of one accent, are one onset
    (two onsets a few ms apart in one lane could never both be matched in evaluation)."""
    for g in grooves:
        last: dict[str, float] = {}
        for e in g.events:
            lane = lane_of_note(e.note)
            assert lane is not None
            if lane in last:
                assert e.time_s - last[lane] >= 0.012 - 1e-9, (g.style, lane, e)
            last[lane] = e.time_s
