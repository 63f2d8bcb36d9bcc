"""Fixtures for runtime tests: a tiny contract-honouring ONNX model and generated audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import drumscribe
from support.tiny_model import SAMPLE_RATE, build_tiny_model, drum_like_audio


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model.onnx")


@pytest.fixture(scope="session")
def tiny_model(tiny_model_path: Path) -> drumscribe.Model:
    return drumscribe.load_model(tiny_model_path)


@pytest.fixture(scope="session")
def drums_5s() -> tuple[np.ndarray, np.ndarray]:
    return drum_like_audio(seconds=5.0, seed=3)


@pytest.fixture(scope="session")
def drums_wav_44k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stereo 44.1 kHz WAV of drum-like bursts (exercises downmix + resampling)."""
    audio, _ = drum_like_audio(seconds=6.0, sample_rate=44100, seed=5)
    stereo = np.stack([audio, 0.5 * audio], axis=1)
    path = tmp_path_factory.mktemp("audio") / "drums 44k ünï.wav"
    sf.write(path, stereo, 44100, subtype="PCM_16")
    return path


@pytest.fixture
def sr() -> int:
    return SAMPLE_RATE
