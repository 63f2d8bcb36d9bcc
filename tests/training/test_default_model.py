"""The bundled default model through the README's command, scored on the bundled example.

The example (examples/example_drums.flac) is rendered with a held-out test kit and comes with
its reference MIDI (Roland TD-17 notes, as in E-GMD, mapped to lanes by the training config's
note map), so this checks the shipped model end to end: sidecar, chunking, peak
picking, MIDI writing and reading, and that the hits are right (mir_eval onset F1 per lane).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import drumscribe
from drumscribe.charts.general_midi import read_midi
from drumscribe.cli import main as cli_main
from drumscribe.contract import LANE_NAMES
from drumscribe.model import default_model_path
from drumscribe_training.config import load_config
from drumscribe_training.data.egmd import read_onsets
from drumscribe_training.eval.metrics import OnsetCounts

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "example_drums.flac"
TRUTH = REPO / "examples" / "example_drums.truth.midi"
WINDOW_S = 0.05  # onset tolerance of the model card's table (docs/model/MODEL.md)
#: Lanes the held-out-kit test split puts above 0.8 F1 (docs/model/MODEL.md); the example must agree.
STRONG_LANES = ("kick", "snare")


def test_bundled_model_sidecar_is_complete() -> None:
    model = drumscribe.load_model(default_model_path(), cache=False)
    spec = model.spec
    assert spec.lanes == LANE_NAMES
    assert set(spec.thresholds) == set(LANE_NAMES)
    assert all(0.0 < t < 1.0 for t in spec.thresholds.values())
    assert spec.raw["metrics"]["split"] == "test"  # the card's numbers travel with the model


def test_readme_command_transcribes_the_example(tmp_path: Path) -> None:
    out = tmp_path / "example.mid"
    assert cli_main(["transcribe", str(EXAMPLE), "-o", str(out)]) == 0
    est = read_midi(out)
    classes = load_config().classes
    onsets = read_onsets(TRUTH, note_map=classes.note_map, ignored_notes=classes.ignored_notes)
    assert not onsets.unmapped
    ref = [(e.time_s, LANE_NAMES[e.lane]) for e in onsets.events]
    assert est and ref
    per_lane = OnsetCounts()
    for i, lane in enumerate(LANE_NAMES):
        ref_t = [t for t, d in ref if d == lane]
        per_lane.add(i, ref_t, [h.time_s for h in est if h.drum == lane], window_s=WINDOW_S)
    scores = per_lane.scores().f1
    for lane in STRONG_LANES:
        assert scores[lane] > 0.8, scores
    any_lane = OnsetCounts()  # timing only: every hit counted in one bucket
    any_lane.add(0, [t for t, _ in ref], [h.time_s for h in est], window_s=WINDOW_S)
    assert any_lane.scores().micro_f1 > 0.8, scores
    # the same hits as the Python API (MIDI ticks round the times: compare lane by lane)
    api = drumscribe.transcribe(EXAMPLE).hits
    for lane in LANE_NAMES:
        a = [h.time_s for h in api if h.drum == lane]
        b = [h.time_s for h in est if h.drum == lane]
        assert len(a) == len(b), lane
        np.testing.assert_allclose(a, b, atol=0.002, err_msg=lane)
