"""drumscribe-train compare: a paired bootstrap over kits of two evaluation reports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from drumscribe import DrumHit
from drumscribe.contract import LANE_NAMES
from drumscribe_training.cli import main
from drumscribe_training.data.egmd import OnsetEvent
from drumscribe_training.eval.compare import compare_reports, kit_counts, registry_families
from drumscribe_training.eval.evaluate import ClipResult, _per_kit

KITS = ("A", "B", "C", "D")


def _clip(kit: str, ref: list[tuple[float, int]], hits: list[tuple[float, str]]) -> ClipResult:
    return ClipResult(
        audio_filename=f"{kit}.wav",
        kit_name=kit,
        duration_s=30.0,
        reference=tuple(OnsetEvent(time_s=t, lane=lane, velocity=100, note=36) for t, lane in ref),
        hits=tuple(DrumHit(time_s=t, drum=d, velocity=100) for t, d in hits),
    )


def _report(path: Path, *, kick_found: dict[str, int], snare_false: int = 0) -> Path:
    """Each kit plays 10 kicks and 5 snares; the model finds ``kick_found[kit]`` kicks and every snare."""
    clips = []
    for kit in KITS:
        ref = [(1.0 + i, 0) for i in range(10)] + [(1.5 + i, 1) for i in range(5)]
        hits = [(1.0 + i, "kick") for i in range(kick_found[kit])] + [(1.5 + i, "snare") for i in range(5)]
        hits += [(20.0 + i, "snare") for i in range(snare_false)]
        clips.append(_clip(kit, ref, hits))
    path.write_text(json.dumps({"split": "test", "per_kit": _per_kit(clips, 0.05)}))
    return path


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn)


def test_same_report_differs_by_nothing(tmp_path: Path) -> None:
    a = _report(tmp_path / "a.json", kick_found=dict(zip(KITS, (10, 8, 5, 9), strict=True)))
    result = compare_reports(a, a, resamples=200)
    assert result.kits == KITS
    rows = {r.name: r for r in result.rows}
    assert set(rows) == {"kick", "snare", "overall", "lane_mean"}  # lanes no kit plays are left out
    assert all(
        r.difference == 0.0 and r.low == 0.0 and r.high == 0.0 and r.ahead == 0.0 for r in rows.values()
    )
    assert rows["kick"].baseline == pytest.approx(_f1(32, 0, 8))  # pooled over kits


def test_a_candidate_better_on_every_kit_is_ahead_in_every_resample(tmp_path: Path) -> None:
    a = _report(tmp_path / "a.json", kick_found=dict(zip(KITS, (6, 5, 4, 7), strict=True)))
    b = _report(tmp_path / "b.json", kick_found=dict(zip(KITS, (8, 7, 6, 9), strict=True)), snare_false=1)
    rows = {r.name: r for r in compare_reports(a, b, resamples=500, seed=1).rows}
    assert rows["kick"].difference == pytest.approx(_f1(30, 0, 10) - _f1(22, 0, 18))
    assert rows["kick"].ahead == 1.0 and 0 < rows["kick"].low <= rows["kick"].difference <= rows["kick"].high
    assert rows["snare"].difference == pytest.approx(_f1(20, 4, 0) - 1.0) and rows["snare"].ahead == 0.0
    overall_b = _f1(30 + 20, 4, 10)
    assert rows["overall"].candidate == pytest.approx(overall_b)
    assert rows["lane_mean"].candidate == pytest.approx((_f1(30, 0, 10) + _f1(20, 4, 0)) / 2)


def test_a_difference_carried_by_one_kit_has_a_wide_interval(tmp_path: Path) -> None:
    base = dict(zip(KITS, (6, 6, 6, 6), strict=True))
    a = _report(tmp_path / "a.json", kick_found=base)
    b = _report(tmp_path / "b.json", kick_found={**base, "D": 10})
    kick = {r.name: r for r in compare_reports(a, b, resamples=2000).rows}["kick"]
    assert kick.difference > 0 and kick.low == 0.0  # resamples without kit D show no gain
    assert 0.5 < kick.ahead < 0.8  # 1 - (3/4)^4 of the resamples hold kit D


def test_kits_of_one_family_are_resampled_together(tmp_path: Path) -> None:
    base = dict(zip(KITS, (6, 6, 6, 6), strict=True))
    a = _report(tmp_path / "a.json", kick_found=base)
    b = _report(tmp_path / "b.json", kick_found={**base, "C": 10, "D": 10})
    by_kit = compare_reports(a, b, resamples=2000)
    # C and D are presets of one maker: two units of evidence become one
    by_family = compare_reports(a, b, resamples=2000, families={"C": "CD", "D": "CD"})
    assert by_family.units == ("A", "B", "CD") and by_kit.units == ()
    k_kit = {r.name: r for r in by_kit.rows}["kick"]
    k_fam = {r.name: r for r in by_family.rows}["kick"]
    assert k_fam.difference == k_kit.difference  # the point estimate pools the same kits
    assert k_kit.ahead == pytest.approx(1 - (2 / 4) ** 4, abs=0.04)  # a resample without C and D
    assert k_fam.ahead == pytest.approx(1 - (2 / 3) ** 3, abs=0.04)  # a resample without family CD
    assert "by family (3: A, B, CD)" in by_family.to_markdown()


def test_registry_families_group_a_soundfonts_presets() -> None:
    fam = registry_families(["TimGM6mb Standard", "TimGM6mb Jazz", "ColomboAcousticDrumkit", "Acoustic Kit"])
    assert fam["TimGM6mb Standard"] == fam["TimGM6mb Jazz"] == "timgm6mb"
    assert fam["ColomboAcousticDrumkit"] == "ColomboAcousticDrumkit"  # a Hydrogen kit: its own
    assert fam["Acoustic Kit"] == "Acoustic Kit"  # not in the registry (a real E-GMD kit): its own


def test_reports_of_different_kits_or_clips_are_refused(tmp_path: Path) -> None:
    a = _report(tmp_path / "a.json", kick_found=dict.fromkeys(KITS, 5))
    other = json.loads(a.read_text())
    other["per_kit"]["E"] = other["per_kit"].pop("D")
    (tmp_path / "e.json").write_text(json.dumps(other))
    with pytest.raises(ValueError, match="different kits"):
        compare_reports(a, tmp_path / "e.json")
    more = json.loads(a.read_text())
    more["per_kit"]["A"]["counts"]["fn"]["kick"] += 1  # one reference hit more
    (tmp_path / "m.json").write_text(json.dumps(more))
    with pytest.raises(ValueError, match="different reference hits for kit 'A'"):
        compare_reports(a, tmp_path / "m.json")
    (tmp_path / "old.json").write_text(json.dumps({"split": "test"}))
    with pytest.raises(ValueError, match=r"old\.json: no per-kit scores"):
        compare_reports(a, tmp_path / "old.json")
    with pytest.raises(ValueError, match="resamples"):
        compare_reports(a, a, resamples=0)


def test_kit_counts_in_lane_order(tmp_path: Path) -> None:
    a = _report(tmp_path / "a.json", kick_found=dict.fromkeys(KITS, 7))
    counts = kit_counts(json.loads(a.read_text()))
    assert counts["A"].shape == (3, len(LANE_NAMES))
    np.testing.assert_array_equal(counts["A"][:, 0], [7, 0, 3])  # kick: tp, fp, fn
    np.testing.assert_array_equal(counts["A"][:, 1], [5, 0, 0])  # snare


def test_cli_prints_and_writes_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _report(tmp_path / "a.json", kick_found=dict.fromkeys(KITS, 5))
    b = _report(tmp_path / "b.json", kick_found=dict.fromkeys(KITS, 9))
    out = tmp_path / "cmp" / "table.md"
    assert main(["compare", str(a), str(b), "--resamples", "100", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    fa, fb = _f1(20, 0, 20), _f1(36, 0, 4)  # 5 and 9 of 10 kicks found in each of 4 kits
    assert f"| kick | {100 * fa:.1f} | {100 * fb:.1f} | {100 * (fb - fa):+.1f} |" in printed
    assert "4 kits, 100 paired resamples" in printed
    assert main(["compare", str(a), str(b), "--resamples", "100", "--by-family"]) == 0
    assert "by family (4: A, B, C, D)" in capsys.readouterr().out  # unknown kits: their own family
    assert out.read_text() == printed
    assert main(["compare", str(a), str(tmp_path / "missing.json")]) == 2
    assert "missing.json: not a readable report.json" in capsys.readouterr().err
