"""Reading the Groove MIDI Dataset."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import pytest
from synth_helpers import require_gmd

from drumscribe_training.synth import gmd
from drumscribe_training.synth.events import note_map


def test_missing_gmd_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(gmd.GMD_ENV, str(tmp_path / "nowhere"))
    assert gmd.gmd_root() == tmp_path / "nowhere"
    with pytest.raises(gmd.GmdError, match="DRUMSCRIBE_GROOVE_MIDI"):
        gmd.load_gmd_index(gmd.gmd_root())
    from drumscribe_training.synth import ClipRenderer

    gmd.load_gmd_index.cache_clear()
    try:
        with pytest.raises(gmd.GmdError, match="Groove MIDI Dataset not found"):
            ClipRenderer(kits=["tiny"], procedural_fraction=0.5)
        ClipRenderer(kits=["tiny"], procedural_fraction=1.0)  # procedural only: no GMD needed
    finally:
        gmd.load_gmd_index.cache_clear()


def test_index_splits_and_event_readers_agree() -> None:
    require_gmd()
    perfs = gmd.load_gmd_index()
    assert len(perfs) == 1150
    assert {p.split for p in perfs} == {"train", "validation", "test"}
    assert all(p.split == "test" for p in perfs if p.session.endswith("eval_session"))
    for p in perfs[:: len(perfs) // 12]:
        events, midi, _dropped = gmd.read_performance(p.midi_path)
        fast = gmd.read_events(p.midi_path)
        assert [(e.note, e.velocity) for e in fast] == [(e.note, e.velocity) for e in events]
        assert max((abs(a.time_s - b.time_s) for a, b in zip(fast, events, strict=True)), default=0) < 1e-9
        assert all(e.note in note_map() for e in events)
        again = mido.MidiFile(file=io.BytesIO(midi))
        assert again.ticks_per_beat == mido.MidiFile(p.midi_path).ticks_per_beat
        assert sum(1 for m in again if m.type == "note_on" and m.velocity > 0) == len(events)
