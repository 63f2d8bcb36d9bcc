"""Quantisation to the beat grid."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drumscribe.charts import ChartHit, TempoMap, parse_grid, quantize
from drumscribe.charts.quantize import MIN_NOTE_GAP_S, format_grid
from drumscribe.hits import DrumHit


def test_parse_grid() -> None:
    assert parse_grid("1/16") == (Fraction(1, 4),)
    assert parse_grid("1/12") == (Fraction(1, 3),)
    assert parse_grid("1/24") == (Fraction(1, 6),)
    assert parse_grid("1/4") == (Fraction(1),)
    assert parse_grid("1/16+1/12") == (Fraction(1, 4), Fraction(1, 3))
    assert parse_grid(["1/32", "1/8"]) == (Fraction(1, 8), Fraction(1, 2))
    assert parse_grid(None) == ()
    assert format_grid(parse_grid("1/16+1/12")) == "1/12+1/16"
    for bad in ("1/5", "2/16", "sixteenth", "1/", "1/0", ""):
        with pytest.raises(ValueError):
            parse_grid(bad)


def test_snaps_within_tolerance_and_keeps_the_rest() -> None:
    tm = TempoMap.constant(120.0, offset_s=0.5)  # beats every 0.5 s; 1/16 = 0.125 s
    hits = [
        DrumHit(0.51, "kick", 100),  # -> 0.5 (10 ms)
        DrumHit(0.74, "hihat", 80),  # -> 0.75 (10 ms)
        DrumHit(1.0 + 0.0625, "snare", 90),  # halfway between 16ths: 62.5 ms away, kept
        DrumHit(0.22, "crash", 100),  # before the first beat: grid extended back, -> 0.25
    ]
    out, rep = quantize(hits, tm, grid="1/16", tolerance=0.04)
    by_lane = {h.drum: h for h in out}
    assert by_lane["kick"].time_s == 0.5 and by_lane["kick"].raw_time_s == 0.51
    assert by_lane["kick"].beat == 0.0
    assert by_lane["hihat"].time_s == 0.75 and by_lane["hihat"].beat == 0.5
    assert by_lane["snare"].time_s == 1.0625 and by_lane["snare"].raw_time_s == 1.0625
    assert by_lane["snare"].beat == pytest.approx(1.125)
    assert by_lane["crash"].time_s == 0.25 and by_lane["crash"].beat is None
    assert (rep.snapped, rep.kept, rep.merged) == (3, 1, 0)
    assert rep.max_shift_s == pytest.approx(0.03)
    assert rep.grid == "1/16" and rep.tolerance_s == 0.04


def test_triplets_and_combined_grids() -> None:
    tm = TempoMap.constant(100.0, offset_s=0.0)  # beat 0.6 s, triplet eighth 0.2 s
    hit = [DrumHit(0.205, "snare", 100)]
    straight, _ = quantize(hit, tm, grid="1/16", tolerance=0.01)
    assert straight[0].time_s == 0.205  # 16ths at 0.15 / 0.30: too far
    trip, _ = quantize(hit, tm, grid="1/12", tolerance=0.01)
    assert trip[0].time_s == pytest.approx(0.2) and trip[0].beat == pytest.approx(1 / 3, abs=1e-6)
    both, _ = quantize(hit, tm, grid="1/16+1/12", tolerance=0.01)
    assert both[0].time_s == pytest.approx(0.2)


def test_same_lane_on_one_grid_point_merges_to_the_louder() -> None:
    tm = TempoMap.constant(120.0)
    out, rep = quantize([DrumHit(1.01, "snare", 40), DrumHit(0.99, "snare", 110)], tm, grid="1/8")
    assert len(out) == 1 and out[0].velocity == 110 and out[0].time_s == 1.0
    assert rep.merged == 1 and rep.snapped == 2


def test_no_grid_keeps_times() -> None:
    tm = TempoMap.constant(120.0, offset_s=0.1)
    out, rep = quantize([DrumHit(0.333, "kick", 100)], tm, grid=None)
    assert out[0].time_s == 0.333 and rep.grid is None and rep.snapped == 0 and rep.kept == 1
    assert out[0].beat == pytest.approx((0.333 - 0.1) * 2)


def test_tempo_change_grid() -> None:
    tm = TempoMap.from_points([0.0, 2.0], [120.0, 60.0])
    out, _ = quantize([DrumHit(2.49, "kick", 100), DrumHit(1.26, "kick", 100)], tm, grid="1/8")
    assert [h.time_s for h in out] == [1.25, 2.5]
    assert [h.beat for h in out] == [2.5, 4.5]


@settings(max_examples=60, deadline=None)
@given(
    times=st.lists(st.floats(0.0, 30.0, allow_nan=False), min_size=1, max_size=40),
    bpm=st.floats(60.0, 200.0),
    offset=st.floats(0.0, 1.0),
    grid=st.sampled_from(["1/4", "1/8", "1/16", "1/32", "1/12", "1/24", "1/16+1/12"]),
    tol=st.floats(0.0, 0.08),
)
def test_quantize_properties(times: list[float], bpm: float, offset: float, grid: str, tol: float) -> None:
    tm = TempoMap.constant(bpm, offset_s=offset)
    hits = [DrumHit(t, "snare" if i % 2 else "kick", 100) for i, t in enumerate(times)]
    out, rep = quantize(hits, tm, grid=grid, tolerance=tol)
    assert rep.snapped + rep.kept == len(hits)
    assert len(out) == len(hits) - rep.merged
    assert [(h.time_s, h.lane) for h in out] == sorted((h.time_s, h.lane) for h in out)
    steps = [float(s) for s in parse_grid(grid)]
    instants = sorted({h.time_s for h in out})
    # no two instants closer than the smallest note gap (closer hits are one chord)
    assert all(b - a > MIN_NOTE_GAP_S for a, b in itertools.pairwise(instants))
    for h in out:
        assert isinstance(h, ChartHit) and h.raw_time_s is not None
        shift = abs(h.time_s - h.raw_time_s)
        b = float(tm.beat_at(h.time_s))
        on_grid = min(abs(b / s - round(b / s)) for s in steps) < 1e-4 if steps else False
        if shift > 1e-6:
            # snapped onto a grid point within tolerance, or joined a chord partner's instant
            # (itself snapped, or the partner's raw time) within the smallest note gap
            assert (on_grid and shift <= tol + MIN_NOTE_GAP_S + 2e-6) or shift <= MIN_NOTE_GAP_S + 2e-6
    assert np.isfinite(rep.max_shift_s)
