"""Song folders for Clone Hero, Rock Band-style games and YARG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from drumscribe import Transcription
from drumscribe.charts import (
    SONG_FORMATS,
    chart_from_transcription,
    read_notes_chart,
    read_notes_mid,
    read_song_ini,
    write_song_folder,
)
from drumscribe.charts.structure import MIN_LEAD_IN_S, lead_in_pad_s, shift_chart
from drumscribe.errors import AudioError, DrumscribeError


@pytest.fixture
def audio_files(tmp_path: Path) -> dict[str, Path]:
    sr = 22050
    t = np.arange(sr) / sr
    tone = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    out = {}
    for ext, fmt in ((".wav", "WAV"), (".flac", "FLAC"), (".ogg", "OGG")):
        path = tmp_path / "in" / f"my song{ext}"
        path.parent.mkdir(exist_ok=True)
        sf.write(path, np.stack([tone, tone], axis=1), sr, format=fmt)
        out[ext] = path
    return out


def _with_source(tr: Transcription, source: Path) -> Transcription:
    return Transcription(hits=tr.hits, duration_s=tr.duration_s, source=str(source))


@pytest.mark.parametrize("fmt", SONG_FORMATS)
def test_song_folder_layouts(
    fmt: str, rich_transcription: Transcription, audio_files: dict[str, Path], tmp_path: Path
) -> None:
    tr = _with_source(rich_transcription, audio_files[".ogg"])
    out = tmp_path / "songs" / "My Song"
    written = write_song_folder(tr, out, format=fmt, artist="The Band")
    names = [p.name for p in written]
    chart_name = "notes.chart" if fmt == "clonehero" else "notes.mid"
    assert names == [chart_name, "song.ini", "song.ogg"]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # nothing else (no temp files)
    # the lead-in: the audio gets silence before it, the chart moves by as much
    chart = chart_from_transcription(tr)
    pad = lead_in_pad_s(chart)
    assert pad > 0 and chart.hits()[0].time_s + pad >= MIN_LEAD_IN_S - 1e-9
    assert sf.info(out / "song.ogg").frames == sf.info(audio_files[".ogg"]).frames + round(pad * 22050)
    ini = read_song_ini(out / "song.ini")
    assert ini["name"] == "my song" and ini["artist"] == "The Band" and ini["pro_drums"] == "True"
    assert ("diff_elite_drums" in ini) == (fmt == "yarg")
    if fmt == "clonehero":
        cf = read_notes_chart(out / "notes.chart")
        assert cf.song["MusicStream"] == "song.ogg" and cf.song["Name"] == "my song"
        assert set(cf.drums) == {"expert", "hard", "medium", "easy"}
    else:
        nm = read_notes_mid(out / "notes.mid")
        assert nm.drums is not None and set(nm.drums) == {"expert", "hard", "medium", "easy"}
        assert (nm.elite is not None) == (fmt == "yarg")
        assert nm.track_names[0] == "my song"


def test_audio_is_converted_or_copied(
    rich_transcription: Transcription, audio_files: dict[str, Path], tmp_path: Path
) -> None:
    # a chart that already has its lead-in: the audio is converted or copied, not padded
    chart = chart_from_transcription(rich_transcription)
    chart = shift_chart(chart, lead_in_pad_s(chart))
    assert lead_in_pad_s(chart) == 0.0
    flac = write_song_folder(chart, tmp_path / "a", format="clonehero", audio_path=audio_files[".flac"])
    assert flac[-1].name == "song.ogg"
    data, sr = sf.read(flac[-1])
    info = sf.info(flac[-1])
    assert info.format == "OGG" and info.subtype == "VORBIS" and sr == 22050 and data.shape == (22050, 2)
    wav = write_song_folder(chart, tmp_path / "b", format="rockband", audio_path=audio_files[".wav"])
    assert wav[-1].name == "song.wav" and wav[-1].read_bytes() == audio_files[".wav"].read_bytes()
    chart_text = (tmp_path / "a" / "notes.chart").read_text()
    assert 'MusicStream = "song.ogg"' in chart_text


def test_no_audio_writes_chart_and_ini(rich_transcription: Transcription, tmp_path: Path) -> None:
    tr = Transcription(hits=rich_transcription.hits, duration_s=rich_transcription.duration_s)
    written = write_song_folder(tr, tmp_path / "x", format="yarg", title="Title")
    assert [p.name for p in written] == ["notes.mid", "song.ini"]


def test_chart_options_and_chart_input(rich_transcription: Transcription, tmp_path: Path) -> None:
    tr = Transcription(hits=rich_transcription.hits, duration_s=rich_transcription.duration_s)
    write_song_folder(tr, tmp_path / "o", format="clonehero", bpm=100.0, offset_s=0.5, grid="1/8")
    cf = read_notes_chart(tmp_path / "o" / "notes.chart")
    assert cf.timeline.tempos[-1].bpm == 100.0
    chart = chart_from_transcription(tr)
    assert write_song_folder(chart, tmp_path / "c", format="rockband")[0].name == "notes.mid"
    with pytest.raises(TypeError):
        write_song_folder(chart, tmp_path / "c", format="rockband", bpm=90.0)


def test_song_folder_errors(rich_transcription: Transcription, tmp_path: Path) -> None:
    with pytest.raises(DrumscribeError, match="unknown song format"):
        write_song_folder(rich_transcription, tmp_path / "u", format="guitarhero")
    missing = tmp_path / "missing.ogg"
    with pytest.raises(AudioError, match="no such audio file") as info:
        write_song_folder(rich_transcription, tmp_path / "m", format="clonehero", audio_path=missing)
    assert str(missing) in str(info.value)
    assert not (tmp_path / "m" / "notes.chart").exists()  # nothing written before the audio check
    not_audio = tmp_path / "text.flac"
    not_audio.write_text("hello")
    with pytest.raises(AudioError, match="cannot convert"):
        write_song_folder(rich_transcription, tmp_path / "n", format="clonehero", audio_path=not_audio)
    assert not [p for p in (tmp_path / "n").iterdir()]  # no partial song.ogg
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(DrumscribeError, match="cannot make the song folder"):
        write_song_folder(rich_transcription, a_file, format="clonehero")


def test_names_from_inputs_stay_inside(
    rich_transcription: Transcription, audio_files: dict[str, Path], tmp_path: Path
) -> None:
    evil = tmp_path / "in" / "..%2f..%2fevil.ogg"
    evil.write_bytes(audio_files[".ogg"].read_bytes())
    tr = _with_source(rich_transcription, evil)
    out = tmp_path / "deep" / "song"
    written = write_song_folder(tr, out, format="yarg", title="../../../etc/passwd\n[song]", artist="../x")
    assert all(p.parent == out for p in written)
    assert sorted(p.name for p in tmp_path.joinpath("deep").iterdir()) == ["song"]
    lines = (out / "song.ini").read_text().splitlines()
    assert [ln for ln in lines if ln.startswith("[")] == ["[song]"]  # the title opened no section
    assert read_song_ini(out / "song.ini")["name"] == "../../../etc/passwd [song]"
