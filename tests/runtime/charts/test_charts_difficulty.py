"""Difficulty reduction: each level a subset of the one above, with bounded density."""

from __future__ import annotations

import bisect
import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drumscribe.charts import RULES, ChartHit, TempoMap, build_difficulties, quantize, reduce_difficulty
from drumscribe.charts.difficulty import GHOST_VELOCITY, _on_grid
from drumscribe.contract import LANE_NAMES, lane_index
from drumscribe.hits import DrumHit

KICK = lane_index("kick")


def _key(h: ChartHit) -> tuple[float, int]:
    return (h.time_s, h.lane)


def _check_levels(levels: dict[str, tuple[ChartHit, ...]], tm: TempoMap) -> None:
    names = list(levels)
    for upper, lower in itertools.pairwise(names):
        up = {_key(h): h for h in levels[upper]}
        for h in levels[lower]:
            assert _key(h) in up, f"{lower} note {h} is not in {upper}"
            assert up[_key(h)] == h  # removed, never moved or changed
    for name, hits in levels.items():
        rules = RULES[name]
        times = [h.time_s for h in hits]
        assert times == sorted(times)
        by_time: dict[float, list[ChartHit]] = {}
        for h in hits:
            by_time.setdefault(h.time_s, []).append(h)
        for group in by_time.values():
            assert len(group) <= rules.max_notes
            assert sum(1 for h in group if h.lane != KICK) <= rules.max_hand_notes
            assert len({h.lane for h in group}) == len(group)
        if rules.max_notes_per_window is not None:
            for i, t in enumerate(times):
                inside = bisect.bisect_left(times, t + rules.window_s) - i
                assert inside <= rules.max_notes_per_window, f"{name}: {inside} notes in [{t}, {t}+1s)"
        if rules.drop_ghosts:
            assert all(h.velocity > GHOST_VELOCITY for h in hits)
        for h in hits:
            step = rules.step_for(h.lane)
            if step is not None:
                beat = h.beat if h.beat is not None else float(tm.beat_at(h.time_s))
                assert _on_grid(beat, step)


def test_sixteenth_groove_levels(make_groove) -> None:
    tr, _, _ = make_groove([(120.0, 8)], sixteenths=True, ghosts=True, fills=True, start_s=0.0)
    tm = TempoMap.constant(120.0)
    expert, _ = quantize(tr.hits, tm, grid="1/16")
    levels = build_difficulties(expert, tempo_map=tm)
    _check_levels(levels, tm)
    hat = lane_index("hihat")
    snare = lane_index("snare")
    hats = {n: [h.beat for h in hs if h.lane == hat] for n, hs in levels.items()}
    assert any(b % 0.5 for b in hats["expert"])  # sixteenths on expert
    assert all(b % 0.5 == 0 for b in hats["hard"]) and any(b % 1 for b in hats["hard"])  # eighths
    assert all(b % 1 == 0 for b in hats["medium"])  # quarters
    ghosts = [h for h in levels["expert"] if h.lane == snare and h.velocity <= GHOST_VELOCITY]
    assert ghosts and not [h for h in levels["hard"] if h.velocity <= GHOST_VELOCITY]
    # the backbone survives down to easy: every snare backbeat and every kick on 1 and 3
    easy = {(h.beat, h.lane) for h in levels["easy"]}
    for h in levels["expert"]:
        if h.lane in (KICK, snare) and h.velocity > GHOST_VELOCITY and h.beat is not None and h.beat % 1 == 0:
            assert (h.beat, h.lane) in easy
    counts = [len(levels[n]) for n in ("expert", "hard", "medium", "easy")]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]


def test_expert_keeps_at_most_two_hands_by_priority() -> None:
    tm = TempoMap.constant(120.0)
    chord = [
        ChartHit(1.0, lane_index(n), 100, beat=2.0) for n in ("kick", "snare", "hihat", "crash", "hi_tom")
    ]
    out = reduce_difficulty(chord, "expert", tempo_map=tm)
    assert sorted(LANE_NAMES[h.lane] for h in out) == ["crash", "kick", "snare"]
    easy = reduce_difficulty(chord, "easy", tempo_map=tm)
    assert [LANE_NAMES[h.lane] for h in easy] == ["snare"]
    medium = reduce_difficulty(chord, "medium", tempo_map=tm)
    assert sorted(LANE_NAMES[h.lane] for h in medium) == ["kick", "snare"]


def test_density_cap_prefers_on_beat_notes() -> None:
    tm = TempoMap.constant(240.0)  # 4 beats per second, so 16ths are 16 per second
    hits = [ChartHit(round(k / 16, 6), lane_index("snare"), 100, beat=k / 4) for k in range(64)]
    easy_rules = RULES["easy"]
    out = reduce_difficulty(hits, "easy", tempo_map=tm)
    assert all(h.beat is not None and h.beat % 1 == 0 for h in out)
    assert len(out) == 4 * easy_rules.max_notes_per_window  # 16 beats in 4 s, 4 per second
    hard = reduce_difficulty(hits, "hard", tempo_map=tm)
    assert len(hard) == 48  # 12 per second
    assert {h.beat for h in hard if h.beat is not None and h.beat % 1 == 0} == {float(b) for b in range(16)}


def test_unknown_level_and_missing_expert() -> None:
    tm = TempoMap.constant(120.0)
    with pytest.raises(ValueError, match="unknown difficulty"):
        reduce_difficulty([], "insane", tempo_map=tm)
    with pytest.raises(ValueError, match="expert"):
        build_difficulties([], tempo_map=tm, levels=("hard",))
    only = build_difficulties([], tempo_map=tm, levels=("expert", "easy"))
    assert list(only) == ["expert", "easy"]


def test_rules_are_progressively_stricter() -> None:
    order = [RULES[n] for n in ("expert", "hard", "medium", "easy")]
    for up, low in itertools.pairwise(order):
        assert low.max_notes <= up.max_notes and low.max_hand_notes <= up.max_hand_notes
        assert (up.max_notes_per_window or 10**9) >= (low.max_notes_per_window or 10**9)
    assert RULES["medium"].timekeeping_step == Fraction(1)


hit_strategy = st.builds(
    lambda k, sub, lane, vel, jitter: (k, sub, lane, vel, jitter),
    st.integers(0, 12),  # a short span, so the density caps bind
    st.sampled_from([0, 1, 2, 3, 4, 6, 8, 9, 12]),  # position in 1/16 of a beat units
    st.integers(0, 7),
    st.integers(1, 127),
    st.sampled_from([0.0, 0.0, 0.0, 0.013]),
)


@settings(max_examples=80, deadline=None)
@given(
    raw=st.lists(hit_strategy, min_size=30, max_size=200, unique_by=lambda x: x[:3]),
    bpm=st.floats(70.0, 190.0),
    grid=st.sampled_from(["1/16", "1/12", "1/16+1/12", None]),
)
def test_levels_are_nested_subsets_with_bounded_density(
    raw: list[tuple[int, int, int, int, float]], bpm: float, grid: str | None
) -> None:
    tm = TempoMap.constant(bpm, offset_s=0.25)
    period = 60.0 / bpm
    hits = [
        DrumHit(0.25 + (k + sub / 16) * period + jitter, LANE_NAMES[lane], vel)
        for k, sub, lane, vel, jitter in raw
    ]
    expert, _ = quantize(hits, tm, grid=grid)
    levels = build_difficulties(expert, tempo_map=tm)
    assert list(levels) == ["expert", "hard", "medium", "easy"]
    _check_levels(levels, tm)
