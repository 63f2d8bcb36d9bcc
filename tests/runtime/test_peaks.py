from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from drumscribe import LANE_NAMES, DrumHit, PeakPicker, pick_peaks
from drumscribe.peaks import resolve_thresholds

FPS = 100.0


def test_single_peak_time_lane_velocity() -> None:
    acts = np.zeros((50, 8))
    acts[10, 2] = 0.9
    acts[9, 2] = 0.4
    acts[11, 2] = 0.4  # symmetric -> no sub-frame shift
    hits = pick_peaks(acts, frame_rate=FPS, threshold=0.5)
    assert hits == [DrumHit(time_s=0.10, drum="hihat", velocity=round(0.9 * 127))]


def test_subframe_shift_towards_larger_neighbour() -> None:
    acts = np.zeros((20, 8))
    acts[5:8, 0] = [0.6, 0.9, 0.8]
    (hit,) = pick_peaks(acts, frame_rate=FPS, threshold=0.5)
    assert 0.06 < hit.time_s < 0.065


def test_threshold_per_lane_and_velocity_head() -> None:
    acts = np.zeros((30, 8))
    acts[10, :] = 0.6
    vels = np.full((30, 8), 0.25)
    thr = {name: (0.7 if name in ("kick", "ride") else 0.5) for name in LANE_NAMES}
    hits = pick_peaks(acts, frame_rate=FPS, threshold=thr, velocities=vels)
    assert [h.drum for h in hits] == [n for n in LANE_NAMES if n not in ("kick", "ride")]
    assert {h.velocity for h in hits} == {round(0.25 * 127)}


def test_min_interval_drops_close_peaks_keeps_far() -> None:
    acts = np.zeros((100, 8))
    for f in (10, 12, 20, 60):
        acts[f, 1] = 0.9
    hits = pick_peaks(acts, frame_rate=FPS, threshold=0.5, min_interval_s=0.05)
    assert [round(h.time_s * FPS) for h in hits] == [10, 20, 60]


def test_plateau_gives_first_frame_and_edges_count() -> None:
    acts = np.zeros((10, 8))
    acts[3:6, 4] = 0.8
    acts[0, 5] = 0.9  # a peak at the very first frame
    acts[9, 6] = 0.9  # and at the last
    hits = pick_peaks(acts, frame_rate=FPS, threshold=0.5)
    assert [h.drum for h in hits] == ["low_tom", "mid_tom", "crash"]
    # the plateau's first frame, refined half a frame towards its equal right neighbour
    assert [h.time_s * FPS for h in hits] == pytest.approx([0.0, 3.5, 9.0])


@pytest.mark.parametrize(
    "bad", [0.0, 1.5, [0.5] * 7, {"kick": 0.5}, {**dict.fromkeys(LANE_NAMES, 0.5), "cowbell": 0.5}]
)
def test_bad_thresholds_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        resolve_thresholds(bad)  # type: ignore[arg-type]


acts_strategy = arrays(
    np.float64,
    st.tuples(st.integers(0, 120), st.just(8)),
    elements=st.floats(0, 1, allow_nan=False, width=32),
)


@settings(max_examples=60, deadline=None)
@given(acts=acts_strategy, thr=st.floats(0.05, 1.0), interval=st.floats(0.0, 0.2))
def test_properties_of_picked_hits(acts: np.ndarray, thr: float, interval: float) -> None:
    hits = pick_peaks(acts, frame_rate=FPS, threshold=thr, min_interval_s=interval)
    assert hits == sorted(hits)
    for h in hits:
        frame = round(h.time_s * FPS)
        assert abs(h.time_s * FPS - frame) <= 0.5 + 1e-9
        assert 1 <= h.velocity <= 127
        # the frame a hit comes from is above threshold and a local maximum
        lane = h.lane
        f = int(np.floor(h.time_s * FPS + 0.5 + 1e-9))
        cands = [c for c in (f - 1, f, f + 1) if 0 <= c < len(acts) and acts[c, lane] >= thr]
        assert cands
    for name in LANE_NAMES:
        frames = [round(h.time_s * FPS) for h in hits if h.drum == name]
        gaps = np.diff(frames)
        assert np.all(gaps >= interval * FPS - 1 - 1e-6)


@pytest.mark.parametrize("rule", ["peak", "rise"])
@settings(max_examples=60, deadline=None)
@given(
    acts=acts_strategy,
    cuts=st.lists(st.integers(0, 120), max_size=6),
    thr=st.floats(0.05, 1.0),
    interval=st.floats(0.0, 0.2),
)
def test_streaming_blocks_equal_offline(
    rule: str, acts: np.ndarray, cuts: list[int], thr: float, interval: float
) -> None:
    offline = pick_peaks(acts, frame_rate=FPS, threshold=thr, min_interval_s=interval, rule=rule)
    picker = PeakPicker(frame_rate=FPS, threshold=thr, min_interval_s=interval, rule=rule)
    bounds = sorted({0, len(acts), *[c for c in cuts if c <= len(acts)]})
    streamed = []
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        streamed += picker.process(acts[a:b], final=i == len(bounds) - 2)
    if len(bounds) == 1:
        streamed += picker.process(acts, final=True)
    assert streamed == offline


@settings(max_examples=40, deadline=None)
@given(acts=acts_strategy, lo=st.floats(0.05, 0.5), hi=st.floats(0.5, 1.0))
def test_higher_threshold_gives_subset_without_interval(acts: np.ndarray, lo: float, hi: float) -> None:
    low = set(pick_peaks(acts, frame_rate=FPS, threshold=lo, min_interval_s=0.0))
    high = set(pick_peaks(acts, frame_rate=FPS, threshold=hi, min_interval_s=0.0))
    assert high <= low


def test_rise_rule_hits_the_first_frame_over_threshold_of_each_rise() -> None:
    acts = np.zeros((12, 8))
    acts[:, 1] = [0, 0.3, 0.6, 0.9, 0.5, 0.7, 0.8, 0.2, 0.55, 0.55, 0.6, 0]
    rise = pick_peaks(acts, frame_rate=FPS, threshold=0.5, min_interval_s=0.0, rule="rise")
    peak = pick_peaks(acts, frame_rate=FPS, threshold=0.5, min_interval_s=0.0, rule="peak")
    assert [round(h.time_s * FPS) for h in rise] == [2, 5, 8, 10]
    assert [round(h.time_s * FPS) for h in peak] == [3, 6, 8, 10]  # refined times round to their frames
    assert all(h.time_s * FPS == round(h.time_s * FPS) for h in rise)  # no refinement
    assert [h.velocity for h in rise] == [round(127 * v) for v in (0.6, 0.7, 0.55, 0.6)]


@settings(max_examples=60, deadline=None)
@given(acts=acts_strategy, thr=st.floats(0.05, 1.0), cut=st.integers(0, 120))
def test_rise_rule_decides_a_frame_from_the_frames_up_to_it(acts: np.ndarray, thr: float, cut: int) -> None:
    """A ``rise`` hit needs no later frame (the live model's look-ahead takes that hop); every rise
    that reaches the threshold gives one hit, as every such peak does under ``peak``, no later."""
    rise = pick_peaks(acts, frame_rate=FPS, threshold=thr, min_interval_s=0.0, rule="rise")
    prefix = pick_peaks(acts[:cut], frame_rate=FPS, threshold=thr, min_interval_s=0.0, rule="rise")
    assert prefix == [h for h in rise if h.time_s * FPS < min(cut, len(acts)) - 1e-9]
    peak = pick_peaks(acts, frame_rate=FPS, threshold=thr, min_interval_s=0.0, rule="peak")
    for name in LANE_NAMES:
        r = [round(h.time_s * FPS) for h in rise if h.drum == name]
        p = [round(h.time_s * FPS) for h in peak if h.drum == name]
        assert len(r) == len(p)
        assert all(a <= b for a, b in zip(r, p, strict=True))


def test_unknown_peak_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="peak rule must be one of peak, rise"):
        PeakPicker(frame_rate=FPS, rule="valley")
