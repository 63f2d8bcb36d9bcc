"""Issue 23's file rules: the tempo of a drum stem and its full mix, General MIDI with the
estimated tempo map, output folders made for every format, a warning for no hits, no
negative zeros in JSON charts."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf

import drumscribe
from drumscribe.charts import estimate_tempo
from drumscribe.cli import main
from support.drum_audio import drum_groove_audio


@pytest.fixture(scope="module")
def default_model() -> drumscribe.Model:
    return drumscribe.load_model()


@pytest.mark.parametrize(("bpm", "start_s"), [(109.8, 0.3), (143.0, 0.0), (92.0, 1.3)])
def test_drum_stem_and_full_mix_agree_on_the_tempo(
    default_model: drumscribe.Model, bpm: float, start_s: float
) -> None:
    """The same performance with and without a band part: one tempo within 1 bpm, from the
    model's drum activations (what the CLI keeps)."""
    tempi = []
    for band in (False, True):
        audio, _ = drum_groove_audio(bpm=bpm, bars=20, start_s=start_s, band=band, seed=3)
        tr = drumscribe.transcribe(audio, sample_rate=44100, model=default_model, keep_activations=True)
        est = estimate_tempo(tr)
        segs = est.tempo_map.segments
        tempi.append(np.median([s.bpm for s in segs]))
        assert all(abs(s.bpm - bpm) < 1.0 for s in segs), segs
    assert abs(tempi[0] - tempi[1]) < 1.0


def test_cli_midi_json_and_song_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audio, _ = drum_groove_audio(bpm=104.0, bars=8, start_s=0.2)
    src = tmp_path / "take.wav"
    sf.write(src, audio, 44100)
    # into folders that do not exist yet, for every format (Transcription.write; the CLI's
    # -o for one file checks its folder before decoding, see docs/RELIABILITY.md)
    (tmp_path / "out").mkdir()
    tr = drumscribe.transcribe(src, keep_activations=True)
    tr.write(tmp_path / "out" / "midi" / "take.mid")
    tr.write(tmp_path / "out" / "json" / "take.json")
    tr.write(tmp_path / "out" / "songs" / "t", format="yarg")
    assert (
        main(["transcribe", str(src), "--format", "yarg", "-o", str(tmp_path / "cli" / "songs" / "t"), "-q"])
        == 0
    )
    assert main(["transcribe", str(src), "-o", str(tmp_path / "out" / "take.mid"), "-q"]) == 0
    assert (tmp_path / "out" / "take.mid").read_bytes() == (
        tmp_path / "out" / "midi" / "take.mid"
    ).read_bytes()
    # General MIDI carries the estimated tempo, not 120 bpm
    mid = mido.MidiFile(tmp_path / "out" / "midi" / "take.mid")
    tempi = [mido.tempo2bpm(m.tempo) for tr in mid.tracks for m in tr if m.type == "set_tempo"]
    assert tempi and all(abs(t - 104.0) < 1.0 for t in tempi[-1:])
    # --bpm still sets it
    assert main(["transcribe", str(src), "-o", str(tmp_path / "fixed.mid"), "--bpm", "90", "-q"]) == 0
    mid = mido.MidiFile(tmp_path / "fixed.mid")
    assert [round(mido.tempo2bpm(m.tempo), 3) for tr in mid.tracks for m in tr if m.type == "set_tempo"] == [
        90.0
    ]
    text = (tmp_path / "out" / "json" / "take.json").read_text()
    assert "-0.0" not in text and '"beat"' in text


def test_cli_warns_when_nothing_is_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "quiet.wav"
    sf.write(src, np.zeros(44100 * 3, dtype=np.float32), 44100)
    capsys.readouterr()
    assert main(["transcribe", str(src), "-o", str(tmp_path / "quiet.json")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("drumscribe: warning: ") and str(src) in err[0]
    assert "no drum hits" in err[0]
    assert (tmp_path / "quiet.json").is_file()


def test_cli_song_folder_warning_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audio, _ = drum_groove_audio(bpm=120.0, bars=4, start_s=0.5)
    src = tmp_path / "take.wav"
    sf.write(src, audio, 44100)
    folder = tmp_path / "song"
    folder.mkdir()
    (folder / "guitar.ogg").write_bytes(b"not ours")
    capsys.readouterr()
    assert main(["transcribe", str(src), "--format", "clonehero", "-o", str(folder), "-q"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("drumscribe: warning: ") and "guitar.ogg" in err[0]
    assert (folder / "guitar.ogg").read_bytes() == b"not ours"
