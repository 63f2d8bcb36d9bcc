"""Every format from one transcription parses back and agrees with the others on every hit."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import drumscribe
from drumscribe import Transcription
from drumscribe.charts import (
    Chart,
    chart_from_transcription,
    estimate_tempo,
    read_chart_json,
    read_notes_chart,
    read_notes_mid,
    write_chart_json,
    write_chart_midi,
    write_notes_chart,
    write_notes_mid,
)
from drumscribe.charts.clonehero import chart_timeline
from drumscribe.charts.general_midi import read_midi
from drumscribe.charts.pro_drums import _TOM_FALLBACK, PRIMARY_GEMS, dynamic_of
from drumscribe.charts.rockband import mid_timeline

TOMS = set(_TOM_FALLBACK)


def _group(items, time_of, tol: float) -> list[list]:
    """Items grouped into instants (times within ``tol``)."""
    out: list[list] = []
    for it in sorted(items, key=time_of):
        if out and time_of(it) - time_of(out[-1][0]) <= tol:
            out[-1].append(it)
        else:
            out.append([it])
    return out


def _check_four_lane(hits, gems, tol: float, what: str) -> int:
    """Gems agree with the chart hits: same instants, primary gems, toms moved only off a
    colour that a cymbal (or an earlier tom) took, to a documented fallback. Returns moves."""
    assert len(gems) == len(hits), f"{what}: {len(gems)} gems for {len(hits)} hits"
    hit_groups = _group(hits, lambda h: h.time_s, 1e-9)
    gem_groups = _group(gems, lambda g: g.time_s, 1e-9)
    assert len(hit_groups) == len(gem_groups), what
    moved = 0
    for hg, gg in zip(hit_groups, gem_groups, strict=True):
        assert abs(hg[0].time_s - gg[0].time_s) <= tol, f"{what}: {hg[0].time_s} vs {gg[0].time_s}"
        colours = [g.pad for g in gg]
        assert len(colours) == len(set(colours)), f"{what}: two gems of one colour at {gg[0].time_s}"
        got = {(g.pad, g.cymbal): g for g in gg}
        toms = []
        for h in hg:
            pad, cym = PRIMARY_GEMS[h.lane]
            if h.lane in TOMS:
                toms.append(h)
                continue
            g = got.pop((pad, cym))
            assert g.dynamic == dynamic_of(h.lane, h.velocity), what
        for h in sorted(toms, key=lambda x: x.lane):
            primary = PRIMARY_GEMS[h.lane][0]
            if (primary, False) in got:
                g = got.pop((primary, False))
            else:
                alts = [p for p in _TOM_FALLBACK[h.lane] if (p, False) in got]
                assert alts, f"{what}: tom {h.drum} at {h.time_s} lost"
                g = got.pop((alts[0], False))
                moved += 1
            assert g.dynamic == dynamic_of(h.lane, h.velocity), what
        assert not got, f"{what}: extra gems {got}"
    return moved


def check_all_formats_agree(chart: Chart, folder: Path) -> dict[str, int]:
    """Write every format, read every one back, compare them hit by hit."""
    json_path = write_chart_json(chart, folder / "chart.json")
    gm_path = write_chart_midi(chart, folder / "drums.mid")
    mid_path = write_notes_mid(chart, folder / "notes.mid", elite=True)
    dot_path = write_notes_chart(chart, folder / "notes.chart")

    from_json = read_chart_json(json_path)
    assert from_json.to_dict() == chart.to_dict()
    nm = read_notes_mid(mid_path)
    cf = read_notes_chart(dot_path)
    gm = read_midi(gm_path)
    mid_tick = max(tp.bpm for tp in mid_timeline(chart).tempos)
    dot_tick = max(tp.bpm for tp in chart_timeline(chart).tempos)
    tol_mid = 60.0 / mid_tick / 480  # one tick at the fastest tempo, seconds
    tol_dot = 60.0 / dot_tick / 192
    assert nm.drums is not None and nm.elite is not None
    moved = 0
    for level, hits in from_json.difficulties.items():
        # elite drums: the 8 lanes one to one
        elite = sorted(nm.elite.get(level, ()), key=lambda g: (g.time_s, g.lane or -1))
        assert len(elite) == len(hits), level
        for h, g in zip(sorted(hits, key=lambda h: (h.time_s, h.lane)), elite, strict=True):
            assert g.lane == h.lane and abs(g.time_s - h.time_s) <= tol_mid, (level, h, g)
            assert g.dynamic == dynamic_of(h.lane, h.velocity)
        # 4-lane pro drums in notes.mid and in .chart
        moved += _check_four_lane(hits, nm.drums.get(level, ()), tol_mid, f"notes.mid {level}")
        _check_four_lane(hits, cf.drums.get(level, ()), tol_dot, f"notes.chart {level}")
        # and the two 4-lane files agree with each other gem for gem
        a = [(g.pad, g.cymbal, g.dynamic) for g in nm.drums.get(level, ())]
        b = [(g.pad, g.cymbal, g.dynamic) for g in cf.drums.get(level, ())]
        assert a == b, level
    # General MIDI: the expert hits, lanes exact
    expert = sorted(from_json.hits("expert"), key=lambda h: (h.time_s, h.lane))
    assert len(gm) == len(expert)
    for h, d in zip(expert, gm, strict=True):
        assert d.drum == h.drum and d.velocity == h.velocity and abs(d.time_s - h.time_s) <= tol_mid
    # beats agree between the JSON grid and the BEAT track
    beat_times = nm.beat_times()
    for b in from_json.beats:
        assert min(abs(t - b.time_s) for t in beat_times) <= tol_mid
    return {"moved_toms": moved, "expert": len(expert)}


def test_generated_transcription_agrees_everywhere(rich_transcription: Transcription, tmp_path: Path) -> None:
    chart = chart_from_transcription(rich_transcription)
    stats = check_all_formats_agree(chart, tmp_path)
    assert stats["moved_toms"] >= 3  # the collisions were exercised (x 4 levels, where kept)
    assert stats["expert"] > 200


@pytest.mark.parametrize("options", [{"grid": None}, {"grid": "1/12", "bpm": 97.0}, {"offset_s": 0.31}])
def test_agreement_with_other_options(
    rich_transcription: Transcription, tmp_path: Path, options: dict
) -> None:
    chart = chart_from_transcription(rich_transcription, **options)
    check_all_formats_agree(chart, tmp_path)


def _click_track(bpm: float, seconds: float, sr: int, start_s: float) -> np.ndarray:
    """Loud bursts on the beats, softer ones on the off-beats."""
    rng = np.random.default_rng(11)
    audio = np.zeros(round(seconds * sr), dtype=np.float32)
    decay = np.exp(-np.arange(int(0.08 * sr)) / (0.015 * sr)).astype(np.float32)
    period = 60.0 / bpm
    t = start_s
    k = 0
    while t < seconds - 0.1:
        i = round(t * sr)
        seg = decay[: len(audio) - i] * rng.standard_normal(min(len(decay), len(audio) - i)).astype(
            np.float32
        )
        audio[i : i + len(seg)] += (0.9 if k % 2 == 0 else 0.35) * seg
        t += period / 2
        k += 1
    return audio / max(1.0, float(np.abs(audio).max()))


def test_transcription_of_generated_audio_agrees_everywhere(
    tiny_model: drumscribe.Model, sr: int, tmp_path: Path
) -> None:
    audio = _click_track(115.0, 12.0, sr, start_s=0.4)
    tr = drumscribe.transcribe(audio, sample_rate=sr, model=tiny_model, keep_activations=True)
    assert tr.activations is not None and len(tr.hits) > 20
    est = estimate_tempo(tr)
    assert est.method == "activations"
    assert est.bpm == pytest.approx(115.0, rel=0.02)
    beats = np.array([b.time_s for b in est.beats])
    true = 0.4 + np.arange(20) * 60.0 / 115.0
    assert max(np.min(np.abs(beats - t)) for t in true) < 0.02
    chart = chart_from_transcription(tr)
    by_level = defaultdict(int, {k: len(v) for k, v in chart.difficulties.items()})
    assert by_level["expert"] > 0
    check_all_formats_agree(chart, tmp_path)
