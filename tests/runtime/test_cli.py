"""The drumscribe command line: single and batch transcription, formats, info, seed script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf

from drumscribe.charts.general_midi import read_midi
from drumscribe.cli import main
from support.tiny_model import drum_like_audio

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wavs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("in")
    paths = []
    for i in range(3):
        audio, _ = drum_like_audio(seconds=3.0 + i, seed=20 + i)
        path = folder / f"take {i}.wav"
        sf.write(path, audio, 16000)
        paths.append(path)
    return paths


def test_single_file_midi(
    wavs: list[Path], tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mid"
    assert main(["transcribe", str(wavs[0]), "-o", str(out), "--model", str(tiny_model_path), "-q"]) == 0
    hits = read_midi(out)
    assert hits
    assert mido.MidiFile(out).tracks[0]  # a real MIDI file
    assert capsys.readouterr().err == ""


def test_threshold_and_min_interval_flags(wavs: list[Path], tiny_model_path: Path, tmp_path: Path) -> None:
    loose, strict = tmp_path / "loose.mid", tmp_path / "strict.mid"
    base = ["transcribe", str(wavs[1]), "--model", str(tiny_model_path), "-q"]
    assert main([*base, "-o", str(loose), "--threshold", "0.3"]) == 0
    assert main([*base, "-o", str(strict), "--threshold", "0.9", "--min-interval", "0.2"]) == 0
    assert len(read_midi(strict)) < len(read_midi(loose))


def test_batch_out_dir_json_one_session(
    wavs: list[Path], tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "charts"
    code = main(
        [
            "transcribe",
            *map(str, wavs),
            "--out-dir",
            str(out),
            "--format",
            "json",
            "--model",
            str(tiny_model_path),
        ]
    )
    assert code == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["take 0.json", "take 1.json", "take 2.json"]
    chart = json.loads((out / "take 0.json").read_text())
    assert chart["format"] == "drumscribe-chart" and chart["version"] == 1
    assert len(capsys.readouterr().out.strip().splitlines()) == 3  # one summary line per input


def test_song_folder_format(wavs: list[Path], tiny_model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "songs" / "MySong"
    assert (
        main(
            [
                "transcribe",
                str(wavs[2]),
                "--format",
                "clonehero",
                "-o",
                str(out),
                "--model",
                str(tiny_model_path),
                "-q",
                "--bpm",
                "120",
            ]
        )
        == 0
    )
    names = {p.name for p in out.iterdir()}
    assert {"notes.chart", "song.ini"} <= names
    assert any(n.startswith("song.") and n != "song.ini" for n in names)


def test_bad_input_in_batch_others_still_done(
    wavs: list[Path], tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio")
    out = tmp_path / "o"
    code = main(
        ["transcribe", str(bad), str(wavs[0]), "--out-dir", str(out), "--model", str(tiny_model_path), "-q"]
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0] and "Traceback" not in err[0]
    assert sorted(p.name for p in out.iterdir()) == ["take 0.mid"]


def test_info(tiny_model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(tiny_model_path)]) == 0
    text = capsys.readouterr().out
    assert "tiny-test-model" in text and "16000 Hz" in text
    assert main(["info", str(tiny_model_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "drumscribe-model"


def test_seed_transcribe_script(wavs: list[Path], tiny_model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "seed.mid"
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "transcribe.py"),
            str(wavs[0]),
            str(out),
            "--threshold",
            "0.6",
            "--min-interval",
            "0.03",
            "--model",
            str(tiny_model_path),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert read_midi(out)


def test_no_input_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["transcribe"])
    assert exc.value.code == 2


def test_array_of_many_channels_rejected() -> None:
    import drumscribe

    with pytest.raises(drumscribe.AudioError, match="channels"):
        list(drumscribe.audio.iter_array_blocks(np.zeros((44100, 2)), sample_rate=44100, target_rate=16000))
