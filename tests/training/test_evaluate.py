"""Evaluation: mir_eval scoring per lane and window, confusion, reports, threshold tuning."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import drumscribe
from drumscribe import DrumHit
from drumscribe.contract import LANE_NAMES
from drumscribe_training.config import load_config
from drumscribe_training.data.egmd import OnsetEvent
from drumscribe_training.eval.evaluate import (
    ClipResult,
    _confusion,
    _group_scores,
    _per_kit,
    _score,
    _velocity_mae,
    evaluate_model,
    tune_thresholds,
    write_reports,
    write_thresholds,
)
from support.tiny_model import build_tiny_model


def _clip(
    ref: list[tuple[float, int, int]], hits: list[tuple[float, str, int]], *, kit: str = "k"
) -> ClipResult:
    return ClipResult(
        audio_filename="x.wav",
        kit_name=kit,
        duration_s=10.0,
        reference=tuple(OnsetEvent(time_s=t, lane=lane, velocity=v, note=36) for t, lane, v in ref),
        hits=tuple(DrumHit(time_s=t, drum=d, velocity=v) for t, d, v in hits),
    )


def test_scores_per_window_and_lane() -> None:
    clip = _clip(
        [(1.0, 0, 100), (2.0, 0, 100), (3.0, 1, 80), (4.0, 2, 60)],
        [(1.04, "kick", 90), (2.0, "kick", 100), (3.0, "hihat", 80), (5.0, "ride", 70)],
    )
    s50 = _score([clip], 0.05)
    s30 = _score([clip], 0.03)
    assert s50.f1["kick"] == 1.0 and s50.precision["kick"] == 1.0
    assert s30.recall["kick"] == 0.5  # 40 ms off: matched at 50 ms, missed at 30 ms
    assert s50.recall["snare"] == 0.0 and s50.support["snare"] == 1
    assert s50.precision["ride"] == 0.0
    # micro: 2 TP of 4 refs and 4 estimates
    assert s50.micro_f1 == pytest.approx(0.5)
    mae = _velocity_mae([clip], 0.05)
    assert mae["kick"] == pytest.approx(5.0)
    table = _confusion([clip], 0.05)
    assert table["snare"]["hihat"] == 1  # the snare went to the hi-hat lane
    assert table["hihat"]["(none)"] == 1
    assert table["(none)"]["ride"] == 1


def test_scores_per_kit() -> None:
    good = _clip([(1.0, 0, 100), (2.0, 1, 100)], [(1.0, "kick", 100), (2.0, "snare", 100)], kit="A")
    bad = _clip([(1.0, 0, 100)], [(1.5, "kick", 100)], kit="B")
    half = _clip([(1.0, 0, 100), (3.0, 0, 100)], [(1.0, "kick", 100)], kit="A")
    table = _per_kit([good, bad, half], 0.05)
    assert list(table) == ["A", "B"]
    assert table["A"]["clips"] == 2
    assert table["A"]["f1"]["snare"] == 1.0
    assert table["A"]["f1"]["kick"] == pytest.approx(0.8)  # 2 TP, 0 FP, 1 FN
    assert table["A"]["f1"]["ride"] is None  # no ride in A's reference or estimates
    assert table["B"]["f1"]["kick"] == 0.0 and table["B"]["overall"] == 0.0
    assert table["B"]["f1"]["snare"] is None
    assert table["A"]["counts"]["tp"]["kick"] == 2 and table["A"]["counts"]["fn"]["kick"] == 1
    assert table["B"]["counts"]["fp"]["kick"] == 1


def test_lane_groups_score_merged_lanes_and_naming() -> None:
    toms = ("hi_tom", "mid_tom", "low_tom")
    # hi tom at 1.0 heard as mid tom; mid tom at 2.0 heard as hi and low tom at once; low tom at 3.0
    # heard right; low tom at 4.0 missed; a mid tom at 5.0 where nothing is; a kick is no tom
    clip = _clip(
        [(1.0, 3, 100), (2.0, 4, 100), (3.0, 5, 100), (4.0, 5, 100), (6.0, 0, 100)],
        [
            (1.01, "mid_tom", 90),
            (2.0, "hi_tom", 90),
            (2.01, "low_tom", 90),
            (3.0, "low_tom", 90),
            (5.0, "mid_tom", 90),
            (6.0, "kick", 90),
        ],
    )
    per_lane = _score([clip], 0.05)
    assert per_lane.f1["hi_tom"] == 0.0 and per_lane.f1["mid_tom"] == 0.0
    groups = _group_scores([clip], {"toms": toms}, window_s=0.05, min_interval_s=0.03)
    g = groups["toms"]
    # merged: 1.01, 2.0 (2.01 within 30 ms: dropped), 3.0, 5.0 -> 3 matched of 4 refs, 1 false
    assert (g["support"], g["precision"], g["recall"]) == (4, 0.75, 0.75)
    assert g["f1"] == pytest.approx(0.75)
    assert g["named_right"] == pytest.approx(1 / 3)  # only the low tom at 3.0 is in its own lane
    assert g["lanes"] == list(toms)
    # with no interval, both hits at 2.0 stay: one more false hit
    loose = _group_scores([clip], {"toms": toms}, window_s=0.05, min_interval_s=0.0)["toms"]
    assert loose["precision"] == pytest.approx(3 / 5)
    empty = _group_scores([_clip([], [])], {"toms": toms}, window_s=0.05, min_interval_s=0.03)["toms"]
    assert empty["support"] == 0 and empty["named_right"] is None and empty["f1"] == 0.0


def test_lane_groups_config_is_checked(tmp_path: Path) -> None:
    from drumscribe_training.config import ConfigError

    cfg = load_config()
    assert cfg.evaluation.lane_groups["toms"] == ("hi_tom", "mid_tom", "low_tom")
    path = tmp_path / "c.yaml"
    path.write_text("base: " + str(cfg.source) + "\nevaluation:\n  lane_groups:\n    pads: [kick, snare]\n")
    # a config's groups replace the base's (a base group cannot linger)
    assert load_config(path).evaluation.lane_groups == {"pads": ("kick", "snare")}
    path.write_text("base: " + str(cfg.source) + "\nevaluation:\n  lane_groups:\n    toms: [hi_tom, tom]\n")
    with pytest.raises(ConfigError, match=r"evaluation\.lane_groups\.toms"):
        load_config(path)


def test_tuning_picks_thresholds_that_separate(tmp_path: Path) -> None:
    acts = np.zeros((1000, 8), dtype=np.float32)
    ref = []
    for k, t in enumerate(np.arange(50, 950, 50)):
        acts[t, 0] = 0.7  # true kicks at 0.7
        ref.append((t / 100.0, 0, 100))
        if k % 2:
            acts[t + 20, 0] = 0.42  # decoys at 0.42
    clip = _clip(ref, [])
    clip.activations = acts
    thr, f1 = tune_thresholds([clip], frame_rate=100.0, min_interval_s=0.03)
    assert 0.42 < thr["kick"] <= 0.7
    assert f1["kick"] == 1.0


def test_evaluate_on_egmd_layout_and_write_reports(tiny_egmd: Path, tmp_path: Path) -> None:
    model_path = build_tiny_model(tmp_path / "m" / "model.onnx")
    model = drumscribe.load_model(model_path, cache=False)
    cfg = load_config()
    report, clips = evaluate_model(model, cfg, tiny_egmd, split="test")
    assert report.clips == len(clips) > 0
    head = report.headline()
    assert set(head["f1"]) == set(LANE_NAMES)
    assert 0.0 <= head["micro_f1"] <= 1.0
    assert sum(head["support"].values()) == sum(len(c.reference) for c in clips)
    paths = write_reports(report, clips, tmp_path / "rep", frame_rate=model.spec.frame_rate)
    assert [p.name for p in paths] == ["report.json", "report.md", "f1_per_lane.png", "piano_roll.png"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert json.loads(paths[0].read_text())["split"] == "test"
    assert "| **overall (micro)** |" in paths[1].read_text()
    assert set(report.per_kit) == set(report.kits)
    assert sum(row["clips"] for row in report.per_kit.values()) == report.clips
    assert all(f"| {kit} |" in paths[1].read_text() for kit in report.kits)
    assert set(report.groups) == set(cfg.evaluation.lane_groups)
    assert "## Lane groups (50 ms)" in paths[1].read_text()
    assert json.loads(paths[0].read_text())["groups"]["toms"]["lanes"] == ["hi_tom", "mid_tom", "low_tom"]
    # tuned thresholds go into the sidecar; the model still loads (hash of the .onnx unchanged)
    thr = dict.fromkeys(LANE_NAMES, 0.35)
    write_thresholds(model_path, thr, tuned_on={"split": "val"})
    again = drumscribe.load_model(model_path, cache=False)
    assert again.spec.thresholds == thr
    assert again.spec.raw["threshold_tuning"] == {"split": "val"}
