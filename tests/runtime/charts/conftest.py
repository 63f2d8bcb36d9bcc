"""Fixtures for the chart tests: generated grooves at known tempi, the chart schema."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from drumscribe import DrumHit, Transcription

REPO_ROOT = Path(__file__).resolve().parents[3]
SCHEMA_PATH = REPO_ROOT / "bindings" / "chart.schema.json"


def groove(
    sections: Sequence[tuple[float, int]],
    *,
    start_s: float = 0.5,
    jitter_s: float = 0.0,
    seed: int = 0,
    sixteenths: bool = False,
    ghosts: bool = False,
    fills: bool = False,
    tail_s: float = 1.0,
) -> tuple[Transcription, np.ndarray, np.ndarray]:
    """A rock groove: hi-hat eighths (or sixteenths), kick on 1 and 3, snare on 2 and 4,
    crash on the first beat of every fourth bar; optional ghost snares and tom fills.

    Parameters
    ----------
    sections : sequence of (bpm, bars)
        Tempo sections played one after the other.

    Returns
    -------
    transcription : Transcription
    beat_times : numpy.ndarray
        The true beat times, seconds.
    downbeat_times : numpy.ndarray
        The true bar starts, seconds.
    """
    rng = np.random.default_rng(seed)
    hits: list[DrumHit] = []
    beats: list[float] = []
    downs: list[float] = []
    t = start_s
    bar_no = 0

    def add(time: float, drum: str, vel: int) -> None:
        jit = rng.normal(0.0, jitter_s) if jitter_s else 0.0
        hits.append(DrumHit(time_s=max(0.0, time + jit), drum=drum, velocity=vel))

    for bpm, bars in sections:
        p = 60.0 / bpm
        for _ in range(bars):
            downs.append(t)
            fill_bar = fills and bar_no % 4 == 3
            for beat in range(4):
                bt = t + beat * p
                beats.append(bt)
                if fill_bar and beat >= 2:
                    for k, drum in enumerate(("hi_tom", "hi_tom", "mid_tom", "low_tom")):
                        add(bt + k * p / 4, drum, 100)
                else:
                    subdivisions = 4 if sixteenths else 2
                    for k in range(subdivisions):
                        add(bt + k * p / subdivisions, "hihat", 90 if k == 0 else 70)
                if beat in (0, 2):
                    add(bt, "kick", 110)
                else:
                    add(bt, "snare", 120 if beat == 3 else 105)
                    if ghosts:
                        add(bt + 3 * p / 4, "snare", 30)
                if beat == 0 and bar_no % 4 == 0:
                    add(bt, "crash", 115)
            t += 4 * p
            bar_no += 1
    tr = Transcription(hits=tuple(sorted(hits)), duration_s=t + tail_s, source="groove.wav")
    return tr, np.array(beats), np.array(downs)


def activations_from(tr: Transcription, *, fps: float = 100.0, width_s: float = 0.012) -> np.ndarray:
    """Onset activations (frames, 8) with a Gaussian bump per hit, like a model's output."""
    n = int(np.ceil(tr.duration_s * fps)) + 1
    act = np.zeros((n, 8))
    frames = np.arange(n) / fps
    for h in tr.hits:
        act[:, h.lane] = np.maximum(
            act[:, h.lane], h.velocity / 127 * np.exp(-0.5 * ((frames - h.time_s) / width_s) ** 2)
        )
    return act


@pytest.fixture
def make_groove() -> Callable[..., tuple[Transcription, np.ndarray, np.ndarray]]:
    return groove


@pytest.fixture
def make_activations() -> Callable[..., np.ndarray]:
    return activations_from


@pytest.fixture(scope="session")
def chart_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def schema_validator(chart_schema: dict[str, Any]) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    cls = jsonschema.validators.validator_for(chart_schema)
    cls.check_schema(chart_schema)
    return cls(chart_schema)


@pytest.fixture(scope="session")
def rich_transcription() -> Transcription:
    """8 bars at 120 then 8 at 96 bpm with sixteenth hats, ghosts, tom fills, ride and
    collisions (hi-hat with high tom, ride with mid tom, crash with low tom)."""
    tr, _, _ = groove([(120.0, 8), (96.0, 8)], sixteenths=True, ghosts=True, fills=True, seed=4)
    extra = [
        # three hand notes at once: expert keeps two (snare, hi-hat)
        DrumHit(1.0, "hi_tom", 100),
        DrumHit(2.5, "ride", 90),
        DrumHit(2.5, "mid_tom", 95),
        # a tom with the cymbal of its colour, nothing else in the hands: the tom moves
        DrumHit(0.75, "hi_tom", 100),  # with a sixteenth hi-hat -> blue tom
        DrumHit(7.75, "ride", 90),  # with the fill's mid tom -> green tom
        DrumHit(7.875, "crash", 110),  # with the fill's low tom -> blue tom
        DrumHit(6.25, "ride", 35),  # ghost ride
    ]
    return Transcription(
        hits=tuple(sorted((*tr.hits, *extra))),
        duration_s=tr.duration_s,
        source=tr.source,
        audio_sha256="ab" * 32,
        model_info={"name": "test", "sha256": "cd" * 32},
    )
