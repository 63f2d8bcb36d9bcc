"""Tempo maps, tempo-map files, tempo estimation and beat tracking."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from drumscribe import DrumHit, Transcription
from drumscribe.charts import TempoMap, TempoSegment, estimate_tempo, fit_tempo_map, load_tempo_map
from drumscribe.errors import ChartError


def _grid_error(est_beats, true_beats: np.ndarray) -> float:
    grid = np.array([b.time_s for b in est_beats])
    return float(max(np.min(np.abs(grid - t)) for t in true_beats))


# -- TempoMap ------------------------------------------------------------------------------
def test_tempo_map_converts_both_ways_across_segments() -> None:
    tm = TempoMap.from_points([0.5, 4.5], [120.0, 60.0])
    assert tm.segments[1].beat == pytest.approx(8.0)
    assert tm.beat_at(0.5) == pytest.approx(0.0)
    assert tm.beat_at(4.5) == pytest.approx(8.0)
    assert tm.beat_at(5.5) == pytest.approx(9.0)
    assert tm.beat_at(0.0) == pytest.approx(-1.0)  # extrapolated before the first beat
    times = np.array([0.1, 0.5, 2.0, 4.5, 7.25])
    np.testing.assert_allclose(tm.time_at(tm.beat_at(times)), times, atol=1e-12)
    np.testing.assert_allclose(tm.beat_times(6.0), [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.5])
    beats = tm.beats(6.0, beats_per_bar=4, downbeat_phase=1)
    assert [b.downbeat for b in beats[:6]] == [False, True, False, False, False, True]


def test_tempo_map_rejects_unsorted_and_inconsistent_segments() -> None:
    with pytest.raises(ValueError, match="strictly increase"):
        TempoMap((TempoSegment(1.0, 120.0, 0.0), TempoSegment(1.0, 100.0, 0.0)))
    with pytest.raises(ValueError, match="disagrees"):
        TempoMap((TempoSegment(0.0, 120.0, 0.0), TempoSegment(1.0, 100.0, 5.0)))
    with pytest.raises(ValueError, match="bpm"):
        TempoSegment(0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        TempoMap(())


def test_shifted_to_puts_a_beat_on_the_offset() -> None:
    tm = TempoMap.from_points([0.3, 8.3], [120.0, 150.0])
    moved = tm.shifted_to(1.0)
    assert moved.first_beat_s == pytest.approx(1.0)
    assert moved.segments[0].beat == 0.0
    assert moved.segments[0].bpm == pytest.approx(120.0)
    # beat 1 (0.8 s) moved onto 1.0 s: the whole map moved by +0.2 s, the change included
    assert moved.segments[1].bpm == pytest.approx(150.0)
    assert moved.segments[1].time_s == pytest.approx(8.5)
    assert moved.segments[1].beat == pytest.approx(15.0)


# -- tempo-map files ---------------------------------------------------------------------------
def test_load_tempo_map_json_csv_and_chart(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps([{"time_s": 0.5, "bpm": 100}, {"time_s": 3.5, "bpm": 140}]))
    tm = load_tempo_map(tmp_path / "a.json")
    assert [s.bpm for s in tm.segments] == [100.0, 140.0]
    assert tm.segments[1].beat == pytest.approx(5.0)
    (tmp_path / "b.csv").write_text("# tempo map\ntime_s,bpm,beat\n0.5,100,0\n3.5,140,5\n")
    assert load_tempo_map(tmp_path / "b.csv") == tm
    (tmp_path / "c.txt").write_text("0.5, 100\n3.5, 140\n")
    assert load_tempo_map(tmp_path / "c.txt") == tm
    (tmp_path / "chart.json").write_text(json.dumps({"tempo_map": [{"time_s": 0.5, "bpm": 100, "beat": 0}]}))
    assert load_tempo_map(tmp_path / "chart.json").segments[0].bpm == 100.0


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("bad.json", '[{"time_s": 1}]', "lacks 'bpm'"),
        ("bad2.json", "{oops", "not valid JSON"),
        ("unsorted.csv", "time_s,bpm\n2,120\n1,120\n", "strictly increase"),
        ("neg.csv", "0,-5\n", "bpm"),
        ("words.csv", "time_s,bpm\nabc,120\n", "row 2"),
        ("empty.csv", "# nothing\n", "empty"),
        ("header.csv", "when,tempo\n1,2\n", "header"),
    ],
)
def test_load_tempo_map_errors_name_the_file(tmp_path: Path, name: str, text: str, needle: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ChartError, match=needle) as info:
        load_tempo_map(path)
    assert str(path) in str(info.value)


def test_load_tempo_map_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ChartError, match="cannot read"):
        load_tempo_map(tmp_path / "nope.csv")


# -- estimation ----------------------------------------------------------------------------------
@pytest.mark.parametrize("bpm", [90.0, 120.0, 150.0])
def test_estimate_tempo_from_hits_at_known_tempi(make_groove, bpm: float) -> None:
    tr, beats, downs = make_groove([(bpm, 12)], start_s=0.37)
    est = estimate_tempo(tr)
    assert est.method == "hits"
    assert len(est.tempo_map.segments) == 1
    assert est.bpm == pytest.approx(bpm, rel=0.02)
    assert _grid_error(est.beats, beats) < 0.020
    # the grid starts at the earliest beat at or after 0 s
    assert 0.0 <= est.beats[0].time_s < 60.0 / bpm
    got_downs = np.array([b.time_s for b in est.beats if b.downbeat])
    for d in downs:
        assert np.min(np.abs(got_downs - d)) < 0.020


def test_estimate_tempo_with_human_timing(make_groove) -> None:
    tr, beats, _ = make_groove([(120.0, 24)], jitter_s=0.010, seed=7)
    est = estimate_tempo(tr)
    assert est.bpm == pytest.approx(120.0, rel=0.02)
    assert _grid_error(est.beats, beats) < 0.020


def test_estimate_tempo_change(make_groove) -> None:
    tr, beats, _ = make_groove([(100.0, 12), (140.0, 16)])
    est = estimate_tempo(tr)
    segs = est.tempo_map.segments
    assert len(segs) == 2
    assert segs[0].bpm == pytest.approx(100.0, rel=0.02)
    assert segs[1].bpm == pytest.approx(140.0, rel=0.02)
    change_s = 0.5 + 12 * 4 * 0.6
    assert segs[1].time_s == pytest.approx(change_s, abs=0.02)
    assert _grid_error(est.beats, beats) < 0.020


def test_estimate_tempo_from_activations(make_groove, make_activations) -> None:
    tr, beats, _ = make_groove([(128.0, 12)], start_s=0.8)
    acts = make_activations(tr)
    only_acts = Transcription(hits=(), duration_s=tr.duration_s, activations=acts, frame_rate=100.0)
    est = estimate_tempo(only_acts)
    assert est.method == "activations"
    assert est.bpm == pytest.approx(128.0, rel=0.02)
    assert _grid_error(est.beats, beats) < 0.020


def test_overrides(make_groove, tmp_path: Path) -> None:
    tr, beats, _ = make_groove([(120.0, 8)], start_s=0.62)
    fixed = estimate_tempo(tr, bpm=120.0)
    assert fixed.method == "bpm"
    assert fixed.tempo_map.segments[0].bpm == 120.0
    assert _grid_error(fixed.beats, beats) < 0.015  # phase fitted to the onsets
    at = estimate_tempo(tr, bpm=100.0, offset_s=0.25)
    assert at.tempo_map.segments == (TempoSegment(0.25, 100.0, 0.0),)
    assert at.beats[0].time_s == 0.25
    off = estimate_tempo(tr, offset_s=0.62)
    assert off.beats[0].time_s == pytest.approx(0.62, abs=1e-6)
    assert off.bpm == pytest.approx(120.0, rel=0.02)
    given = [TempoSegment(0.1, 90.0, 0.0)]
    assert estimate_tempo(tr, tempo_map=given).tempo_map.segments == tuple(given)
    path = tmp_path / "map.csv"
    path.write_text("time_s,bpm\n0.1,90\n")
    assert estimate_tempo(tr, tempo_map=path).tempo_map.segments == tuple(given)
    with pytest.raises(ValueError, match="either"):
        estimate_tempo(tr, bpm=120.0, tempo_map=given)


def test_too_few_onsets_default_to_start_bpm() -> None:
    tr = Transcription(hits=(DrumHit(1.3, "snare", 100), DrumHit(2.0, "kick", 100)), duration_s=3.0)
    est = estimate_tempo(tr)
    assert est.method == "default"
    assert est.bpm == 120.0
    assert est.beats[0].time_s == pytest.approx(0.3)
    empty = estimate_tempo(Transcription(hits=(), duration_s=0.0))
    assert empty.tempo_map.segments[0].bpm == 120.0


def test_fit_tempo_map_ignores_a_stray_beat_but_follows_a_change() -> None:
    t = np.concatenate([0.5 + 0.5 * np.arange(20), 10.0 + 0.4 * np.arange(1, 21)])
    t[7] += 0.05  # one stray beat (50 ms late)
    tm = fit_tempo_map(t)
    assert [round(s.bpm) for s in tm.segments] == [120, 150]
    assert tm.segments[1].time_s == pytest.approx(10.0, abs=0.01)
    assert tm.segments[1].beat == pytest.approx(19.0)


@pytest.mark.parametrize("bpm", [60.0, 75.0, 180.0, 200.0])
def test_octave_from_the_backbeat(make_groove, bpm: float) -> None:
    """At the edges of the range the autocorrelation alone would pick the wrong octave;
    the kick-to-snare interval (one beat) settles it."""
    tr, beats, _ = make_groove([(bpm, 12)])
    est = estimate_tempo(tr)
    assert est.bpm == pytest.approx(bpm, rel=0.02)
    assert _grid_error(est.beats, beats) < 0.020


def test_three_tempo_sections(make_groove) -> None:
    tr, beats, _ = make_groove([(120.0, 16), (90.0, 12), (160.0, 16)])
    est = estimate_tempo(tr)
    assert [round(s.bpm) for s in est.tempo_map.segments] == [120, 90, 160]
    assert _grid_error(est.beats, beats) < 0.020


def test_hihat_only_groove_still_finds_the_pulse() -> None:
    hits = tuple(DrumHit(0.3 + k * 0.25, "hihat", 100 if k % 2 == 0 else 60) for k in range(64))
    est = estimate_tempo(Transcription(hits=hits, duration_s=17.0))
    assert est.bpm == pytest.approx(120.0, rel=0.02)  # accented eighths at 240/min: beats at 120


def test_repair_fills_skipped_beats_and_drops_doubled_ones() -> None:
    from drumscribe.charts.beat_tracking import _repair_beats

    t = np.array([15.2, 15.5, 15.8, 16.8, 17.1, 17.4, 17.45, 17.7, 18.0])
    out = _repair_beats(t)
    assert np.all(np.diff(out) > 0)
    np.testing.assert_allclose(
        out, [15.2, 15.5, 15.8, 16.1333, 16.4667, 16.8, 17.1, 17.4, 17.7, 18.0], atol=1e-3
    )


def test_random_transcriptions_always_chart() -> None:
    """Noise in, a valid chart out (found a bug in the beat repair once)."""
    from drumscribe.charts import chart_from_transcription, validate_chart
    from drumscribe.contract import LANE_NAMES

    rng = np.random.default_rng(5)
    for i in range(12):
        n = int(rng.integers(0, 300))
        dur = float(rng.uniform(0.5, 60.0))
        times = np.round(np.sort(rng.uniform(0, dur, n)), 1) if i % 2 else rng.exponential(0.08, n).cumsum()
        hits = tuple(
            sorted(
                DrumHit(float(t), LANE_NAMES[int(rng.integers(0, 8))], int(rng.integers(1, 128)))
                for t in times
            )
        )
        acts = rng.random((int(dur * 100) + 1, 8)) ** 8 if i % 3 == 0 else None
        chart = chart_from_transcription(Transcription(hits=hits, duration_s=dur, activations=acts))
        validate_chart(chart.to_dict())


def test_grid_start_keeps_the_lead_in_sane() -> None:
    from drumscribe.charts.beat_tracking import _extend_back

    def first(t: float) -> float:
        return _extend_back(TempoMap.constant(120.0, offset_s=t)).first_beat_s

    assert first(2.2) == pytest.approx(0.2)  # whole beats back to the earliest at/after 0 s
    assert first(2.05) == pytest.approx(0.55)  # 50 ms is under a quarter beat: skip that one
    assert first(2.0000001) == 0.0  # at 0 s: kept, snapped
    assert first(0.05) == pytest.approx(0.55)


def test_a_stray_hit_before_the_music_does_not_bend_the_map(make_groove) -> None:
    tr, beats, _ = make_groove([(120.0, 12)], start_s=2.0)
    stray = Transcription(hits=(DrumHit(0.0, "crash", 90), *tr.hits), duration_s=tr.duration_s)
    est = estimate_tempo(stray)
    assert len(est.tempo_map.segments) == 1
    assert est.bpm == pytest.approx(120.0, rel=0.001)
    assert _grid_error(est.beats, beats) < 0.005


# -- scaling: the beat tracker and the tempo-map fit are linear in the length -------------------
def _reference_beat_scores(
    env: np.ndarray, periods: np.ndarray, alt: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The dynamic programme frame by frame (Ellis 2007), as it was before it was blocked."""
    from drumscribe.charts.beat_tracking import _TIGHTNESS

    std = float(env.std())
    o = env / std if std > 0 else env.copy()
    score = np.zeros(len(env))
    back = np.full(len(env), -1, dtype=np.int64)
    for t in range(len(env)):
        tau_a, tau_b = periods[t], alt[t]
        lo = max(t - round(2 * max(tau_a, tau_b)), 0)
        hi = t - round(min(tau_a, tau_b) / 2)
        best = 0.0
        if hi >= lo and hi >= 0:
            p = np.arange(lo, hi + 1)
            d = np.log((t - p) / tau_a) ** 2
            if tau_b != tau_a:
                d = np.minimum(d, np.log((t - p) / tau_b) ** 2)
            cand = score[p] - _TIGHTNESS * d
            j = int(np.argmax(cand))
            if cand[j] > 0:
                best = float(cand[j])
                back[t] = p[j]
        score[t] = o[t] + best
    return score, back


@pytest.mark.parametrize("seed", range(6))
def test_blocked_beat_tracker_equals_the_frame_by_frame_programme(seed: int) -> None:
    """The blocked dynamic programme (steady and changing periods, short and long) gives the
    frame-by-frame loop's scores and back pointers exactly."""
    from drumscribe.charts.beat_tracking import _TIGHTNESS, _beat_scores

    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 2500))
    env = rng.random(n) ** 4
    periods = np.full(n, rng.uniform(0.6, 120.0))
    alt = periods.copy()
    if seed % 2:  # a tempo change with an overlap zone allowing both periods
        k = n // 2
        periods[k:] = alt[k:] = rng.uniform(20.0, 100.0)
        alt[k : k + 200] = periods[0]
    std = float(env.std())
    score, back = _beat_scores(env / std, periods, alt, _TIGHTNESS)
    ref_score, ref_back = _reference_beat_scores(env, periods, alt)
    np.testing.assert_array_equal(back, ref_back)
    np.testing.assert_array_equal(score, ref_score)


def test_continuous_fit_equals_dense_least_squares() -> None:
    """The tridiagonal solve of the tempo map's piecewise-linear fit equals the dense one."""
    from drumscribe.charts.beat_tracking import _continuous_fit

    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(0.3, 0.7, 300))
    idx = np.arange(len(t), dtype=np.float64)
    knots = [0, 17, 18, 90, 200, 299]
    design = np.zeros((len(t), len(knots)))
    for i in range(len(knots) - 1):
        j = np.arange(knots[i], knots[i + 1] + 1)
        u = (j - knots[i]) / (knots[i + 1] - knots[i])
        design[j, i], design[j, i + 1] = 1.0 - u, u
    dense, *_ = np.linalg.lstsq(design, t, rcond=None)
    np.testing.assert_allclose(_continuous_fit(idx, t, knots), dense, atol=1e-9)


def test_an_hour_of_hits_charts_in_seconds() -> None:
    """60 minutes at 8 hits per second (28,800 hits, a tempo that drifts): the tempo estimate
    is linear in the length (it took minutes when the beat tracker looped over frames and the
    tempo-map fit was a dense least squares)."""
    import time

    rng = np.random.default_rng(0)
    beat_s = 60.0 / (120.0 + 3.0 * np.sin(np.arange(7200) / 300.0))
    beats = np.cumsum(beat_s)
    hits = []
    for b, period in zip(beats, beat_s, strict=True):
        for k, drum in ((0, "kick"), (1, "hihat"), (2, "snare"), (3, "hihat")):
            hits.append(DrumHit(float(b + k * period / 4 + rng.normal(0, 0.004)), drum, 100))
    tr = Transcription(hits=tuple(sorted(hits)), duration_s=float(beats[-1] + 1.0))
    t0 = time.process_time()
    est = estimate_tempo(tr)
    took = time.process_time() - t0
    assert 110 < est.bpm < 130
    assert took < 60.0, f"estimate_tempo took {took:.1f} s of CPU for an hour"
