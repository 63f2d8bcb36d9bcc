"""Reading E-GMD's CSV, MIDI and audio (on a tiny generated E-GMD-shaped folder)."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest

from drumscribe.contract import LANE_NAMES
from drumscribe_training.config import load_config
from drumscribe_training.data.egmd import (
    CSV_HEADER,
    INDEX_CSV_NAME,
    EGMDError,
    EGMDRow,
    OnsetEvent,
    lane_lookup,
    read_audio,
    read_index,
    read_onsets,
)
from support.egmd_testdata import IGNORED_NOTE, UNKNOWN_NOTE, write_tiny_egmd


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    return write_tiny_egmd(tmp_path_factory.mktemp("egmd") / "e-gmd", corrupt=True, duration_s=2.0)


@pytest.fixture(scope="module")
def cfg():
    return load_config()


def test_read_index_rows_and_splits(tiny) -> None:
    root, pairs = tiny
    rows = read_index(root)
    assert all(isinstance(r, EGMDRow) for r in rows)
    assert len(rows) == len(pairs) + 4  # four corrupt rows
    assert {r.split for r in rows} == {"train", "val", "test"}  # "validation" -> "val"
    by_key = {r.audio_filename: r for r in rows}
    assert len(by_key) == len(rows)
    row = by_key[pairs[0].audio_filename]
    assert row.midi_filename.endswith(".midi")
    assert row.bpm == 120 and row.duration == pytest.approx(2.0)
    assert row.group == f"{row.drummer}/{row.session.split('/')[-1]}"
    assert (root / INDEX_CSV_NAME).read_text().splitlines()[0] == ",".join(CSV_HEADER)


def test_read_index_errors(tmp_path: Path) -> None:
    with pytest.raises(EGMDError, match="does not exist"):
        read_index(tmp_path / "nope")
    with pytest.raises(EGMDError, match="no e-gmd"):
        read_index(tmp_path)
    csv = tmp_path / INDEX_CSV_NAME
    csv.write_text("drummer,session,id\n", encoding="utf-8")
    with pytest.raises(EGMDError, match="unexpected CSV header"):
        read_index(tmp_path)
    row = "drummer1,drummer1/session1,x,rock,120,beat,4-4,2.0,train,a.midi,a.wav,Kit"
    csv.write_text(",".join(CSV_HEADER) + f"\n{row}\n{row}\n", encoding="utf-8")
    with pytest.raises(EGMDError, match="repeats"):
        read_index(tmp_path)
    csv.write_text(",".join(CSV_HEADER) + f"\n{row.replace('train', 'dev')}\n", encoding="utf-8")
    with pytest.raises(EGMDError, match="unknown split"):
        read_index(tmp_path)


def test_read_onsets_maps_notes_and_counts_unmapped(tiny, cfg) -> None:
    root, pairs = tiny
    lanes = lane_lookup(cfg.classes.note_map)
    for pair in pairs[:4]:
        got = read_onsets(
            root / pair.midi_filename,
            note_map=cfg.classes.note_map,
            ignored_notes=cfg.classes.ignored_notes,
        )
        assert all(isinstance(e, OnsetEvent) for e in got.events)
        want = sorted((t, lanes[n], v, n) for t, n, v in pair.hits)
        assert len(got.events) == len(want)
        for e, (t, lane, v, n) in zip(got.events, want, strict=True):
            assert e.time_s == pytest.approx(t, abs=1e-3)  # tick rounding at 960 ticks/s
            assert (e.lane, e.velocity, e.note) == (lane, v, n)
        extra = pair.audio_filename.split("/")[-1].startswith(("1_", "3_", "5_", "7_", "9_"))
        assert got.unmapped == ({UNKNOWN_NOTE: 1} if extra else {})
        assert got.ignored == ({IGNORED_NOTE: 1} if extra else {})


def test_read_onsets_cross_stick_is_snare_and_tempo_map(tmp_path: Path, cfg) -> None:
    mid = mido.MidiFile(ticks_per_beat=100)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))  # 120 bpm: 200 ticks/s
    tr.append(mido.Message("note_on", channel=9, note=37, velocity=90, time=200))  # 1.0 s
    tr.append(mido.MetaMessage("set_tempo", tempo=1000000, time=0))  # 60 bpm: 100 ticks/s
    tr.append(mido.Message("note_on", channel=9, note=59, velocity=50, time=100))  # 2.0 s
    tr.append(mido.Message("note_on", channel=9, note=36, velocity=0, time=0))  # note-off
    path = tmp_path / "t.midi"
    mid.save(str(path))
    got = read_onsets(path, note_map=cfg.classes.note_map, ignored_notes=cfg.classes.ignored_notes)
    assert [(e.time_s, LANE_NAMES[e.lane], e.velocity, e.note) for e in got.events] == [
        (pytest.approx(1.0), "snare", 90, 37),
        (pytest.approx(2.0), "ride", 50, 59),
    ]


def test_read_onsets_bad_files(tiny, tmp_path: Path, cfg) -> None:
    with pytest.raises(EGMDError, match="missing MIDI"):
        read_onsets(tmp_path / "none.midi", note_map=cfg.classes.note_map)
    bad = tmp_path / "bad.midi"
    bad.write_text("not midi", encoding="utf-8")
    with pytest.raises(EGMDError, match="unreadable MIDI"):
        read_onsets(bad, note_map=cfg.classes.note_map)
    trunc = tmp_path / "trunc.midi"
    root, pairs = tiny
    trunc.write_bytes((root / pairs[0].midi_filename).read_bytes()[:30])
    with pytest.raises(EGMDError, match=r"trunc\.midi"):
        read_onsets(trunc, note_map=cfg.classes.note_map)


def test_read_audio_resamples_and_rejects_bad_files(tiny, tmp_path: Path) -> None:
    root, pairs = tiny
    audio = read_audio(root / pairs[0].audio_filename, sample_rate=16000)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(audio.shape[0] - 32000) <= 1
    rows = {r.audio_filename: r for r in read_index(root)}
    bad = [r for r in rows.values() if r.audio_filename not in {p.audio_filename for p in pairs}]
    messages = []
    for r in bad:
        try:
            read_audio(root / r.audio_filename, sample_rate=16000)
        except EGMDError as exc:
            messages.append(str(exc))
    assert any("unreadable audio" in m for m in messages)  # text file named .wav, truncated wav
    assert sum("unreadable audio" in m for m in messages) == 2
    with pytest.raises(EGMDError, match="missing audio"):
        read_audio(tmp_path / "x.wav", sample_rate=16000)


def test_read_audio_rejects_nan(tmp_path: Path) -> None:
    import soundfile as sf

    x = np.zeros(1000, dtype=np.float32)
    x[10] = np.nan
    sf.write(tmp_path / "nan.wav", x, 44100, subtype="FLOAT")
    with pytest.raises(EGMDError, match="NaN"):
        read_audio(tmp_path / "nan.wav", sample_rate=16000)
    sf.write(tmp_path / "stereo.wav", np.ones((441, 2), dtype=np.float32) * [0.5, -0.5], 44100)
    mono = read_audio(tmp_path / "stereo.wav", sample_rate=44100)
    assert np.allclose(mono, 0.0)
