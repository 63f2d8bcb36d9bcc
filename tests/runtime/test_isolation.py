"""The runtime never imports torch, librosa, lightning or h5py — checked in a clean process,
and in a virtual environment where only the runtime package is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from support.tiny_model import drum_like_audio

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "librosa", "lightning", "h5py", "drumscribe_training", "drumscribe_exporters")

SCRIPT = """
import sys
import drumscribe
result = drumscribe.transcribe(sys.argv[1], model=sys.argv[2])
result.to_midi(sys.argv[3])
result.write(sys.argv[4])
heavy = [m for m in {heavy!r} if m in sys.modules]
print("HITS", len(result.hits), "HEAVY", heavy)
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory, tiny_model_path: Path) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("iso")
    # at the tiny model's own rate: it hears little in resampled audio (its hits at 0 s were an
    # artefact of its left edge, gone since the head pass after a lead of silence)
    audio, _ = drum_like_audio(seconds=4.0, sample_rate=16000, seed=1)
    wav = folder / "drums.wav"
    sf.write(wav, audio, 16000)
    return wav, tiny_model_path


def _run(python: str, inputs: tuple[Path, Path], tmp: Path) -> str:
    wav, model = inputs
    code = SCRIPT.format(heavy=HEAVY)
    proc = subprocess.run(
        [python, "-c", code, str(wav), str(model), str(tmp / "o.mid"), str(tmp / "o.json")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_transcribe_imports_nothing_heavy(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    out = _run(sys.executable, inputs, tmp_path)
    assert "HEAVY []" in out
    assert "HITS 0" not in out


@pytest.mark.slow
def test_runtime_alone_in_its_own_venv(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv not on PATH")
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=env, timeout=300
    )
    python = str(venv / "bin" / "python")
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", python, str(REPO / "runtime")],
        check=True,
        env=env,
        timeout=600,
    )
    listed = subprocess.run(
        [uv, "pip", "list", "--python", python], capture_output=True, text=True, check=True
    ).stdout.lower()
    for name in ("torch", "librosa", "lightning", "h5py"):
        assert f"\n{name} " not in listed
    out = _run(python, inputs, tmp_path)
    assert "HEAVY []" in out
