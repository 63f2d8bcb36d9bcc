"""Game formats, each written, read back and checked against its format's rules."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drumscribe import DrumHit, Transcription
from drumscribe.charts import (
    Beat,
    Chart,
    Pad,
    TempoMap,
    chart_from_transcription,
    read_notes_chart,
    read_notes_mid,
    read_song_ini,
    write_chart_midi,
    write_notes_chart,
    write_notes_mid,
)
from drumscribe.charts.clonehero import CHART_RESOLUTION, chart_timeline
from drumscribe.charts.general_midi import read_midi, write_midi
from drumscribe.charts.pro_drums import PRIMARY_GEMS, pro_drum_notes
from drumscribe.charts.rockband import MID_RESOLUTION, mid_timeline
from drumscribe.charts.song_ini import song_ini_fields, write_song_ini
from drumscribe.charts.timeline import build_timeline, round_bpm_chart
from drumscribe.charts.yarg import ELITE_KICK_NOTE, ELITE_LANE_OFFSET
from drumscribe.contract import LANE_NAMES, lane_index
from drumscribe.errors import ChartError, DrumscribeError


@pytest.fixture(scope="module")
def chart(rich_transcription: Transcription) -> Chart:
    return chart_from_transcription(rich_transcription)


@pytest.fixture(scope="module")
def files(chart: Chart, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("formats")
    return {
        "mid": write_notes_mid(chart, d / "notes.mid", title="Grüße 🥁 Song", elite=True),
        "chart": write_notes_chart(chart, d / "notes.chart", title='My "Song"', artist="Me"),
        "gm": write_chart_midi(chart, d / "gm.mid"),
    }


# -- the timeline --------------------------------------------------------------------------------
def test_timeline_lead_in_puts_beats_on_whole_ticks() -> None:
    tm = TempoMap.constant(120.0, offset_s=0.3)
    beats = tm.beats(5.0, downbeat_phase=2)
    tl = build_timeline(tm, resolution=480, beats=beats)
    assert tl.lead_beats == 1
    assert tl.tempos[0].tick == 0 and tl.tempos[0].bpm == pytest.approx(200.0)
    assert tl.tempos[1].tick == 480 and tl.tempos[1].bpm == pytest.approx(120.0)
    for k, b in enumerate(beats):
        assert tl.tick_at(b.time_s) == (1 + k) * 480
        assert tl.time_at((1 + k) * 480) == pytest.approx(b.time_s)
    # pickup bar: lead-in + 2 beats, then 4/4 from the first downbeat (beat 2 -> tick 1440)
    assert [(s.tick, s.numerator) for s in tl.time_signatures] == [(0, 3), (1440, 4)]
    lines = tl.beats(480 * 11)
    assert [b.tick for b in lines if b.downbeat] == [0, 1440, 3360, 5280]


def test_chart_tempo_rounding_stays_within_a_tick() -> None:
    tm = TempoMap.from_points([0.123, 30.0, 61.7], [97.3456, 133.3337, 71.111])
    tl = build_timeline(tm, resolution=192, round_bpm=round_bpm_chart)
    for t in np.linspace(0.2, 120.0, 50):
        tick = tl.tick_at(float(t))
        assert abs(tl.time_at(tick) - t) <= 0.5 * tl.seconds_per_tick(tick) + 1e-9


# -- notes.mid ---------------------------------------------------------------------------------------
def _raw_tracks(path: Path) -> dict[str, list[tuple[int, mido.Message]]]:
    out: dict[str, list[tuple[int, mido.Message]]] = {}
    mid = mido.MidiFile(path)
    for i, trk in enumerate(mid.tracks):
        now = 0
        name = f"#{i}"
        events = []
        for msg in trk:
            now += msg.time
            if msg.type == "track_name":
                name = msg.name
            events.append((now, msg))
        out[name] = events
    return out


def test_notes_mid_layout(chart: Chart, files: dict[str, Path]) -> None:
    mid = mido.MidiFile(files["mid"])
    assert mid.type == 1 and mid.ticks_per_beat == MID_RESOLUTION
    raw = _raw_tracks(files["mid"])
    names = list(raw)
    assert names[0] == "Gr\xfc\xdfe ? Song"  # Latin-1 track name
    assert names[1:] == ["PART DRUMS", "PART ELITE_DRUMS", "EVENTS", "BEAT"]
    # tempo and time signatures only in track 0
    for name in names[1:]:
        assert not [m for _, m in raw[name] if m.type in ("set_tempo", "time_signature")]
    drum_notes = {m.note for _, m in raw["PART DRUMS"] if m.type == "note_on"}
    # gems, tom markers, star power (116) and drum fills (120-124)
    allowed = {*range(60, 65), *range(72, 77), *range(84, 89), *range(96, 101), 110, 111, 112, 116}
    allowed |= set(range(120, 125))
    assert drum_notes <= allowed and {96, 97, 98, 99, 100, 110, 111, 112} <= drum_notes
    texts = [m.text for _, m in raw["PART DRUMS"] if m.type == "text"]
    assert "[ENABLE_CHART_DYNAMICS]" in texts
    vels = {m.velocity for _, m in raw["PART DRUMS"] if m.type == "note_on" and 97 <= m.note <= 100}
    assert vels == {1, 100, 127}  # ghosts, normal, accents
    events = [m.text for _, m in raw["EVENTS"] if m.type == "text"]
    assert events[0] == "[music_start]" and events[-2:] == ["[music_end]", "[end]"]
    assert events[1] == "[section Section 1]"
    assert all(e.startswith("[section Section ") for e in events[1:-2])


def test_notes_mid_reads_back(chart: Chart, files: dict[str, Path]) -> None:
    nm = read_notes_mid(files["mid"])
    tl = mid_timeline(chart)
    notes, dropped = pro_drum_notes(chart.difficulties, tl)
    assert dropped == 0
    assert nm.drums is not None and set(nm.drums) == set(chart.difficulties)
    for level, gems in nm.drums.items():
        expected = [(n.tick, n.pad, n.cymbal, n.dynamic) for n in notes[level]]
        assert [(g.tick, g.pad, g.cymbal, g.dynamic) for g in gems] == expected
    # tempo map: a tempo event where each chart segment starts
    seg_ticks = {tp.tick: tp.bpm for tp in nm.timeline.tempos}
    for seg in chart.tempo_map.segments:
        tick = round((tl.lead_beats + seg.beat) * MID_RESOLUTION)
        assert seg_ticks[tick] == pytest.approx(seg.bpm, rel=1e-5)
    # BEAT: one note per beat from tick 0, 12 on the chart's downbeats
    ticks = [b.tick for b in nm.beats]
    assert ticks == list(range(0, ticks[-1] + 1, MID_RESOLUTION))
    down_times = [nm.timeline.time_at(b.tick) for b in nm.beats if b.downbeat]
    for beat in chart.beats:
        if beat.downbeat:
            assert min(abs(t - beat.time_s) for t in down_times) < 1e-3
    assert nm.beat_times()[0] == 0.0


def test_tom_markers_cover_toms_only(files: dict[str, Path]) -> None:
    nm = read_notes_mid(files["mid"])
    assert nm.drums is not None
    toms = [g for g in nm.drums["expert"] if g.pad in (Pad.YELLOW, Pad.BLUE, Pad.GREEN) and not g.cymbal]
    cymbals = [g for g in nm.drums["expert"] if g.cymbal]
    assert toms and cymbals
    assert {g.lane for g in cymbals} <= {lane_index("hihat"), lane_index("ride"), lane_index("crash")}


def test_elite_drums_layout(chart: Chart, files: dict[str, Path]) -> None:
    raw = _raw_tracks(files["mid"])["PART ELITE_DRUMS"]
    ons = [(t, m.note) for t, m in raw if m.type == "note_on"]
    offs = {m.note: t for t, m in raw if m.type == "note_off" and m.note == 88}
    assert (0, 88) in ons and offs[88] > max(t for t, _ in ons)  # one hi-hat marker over the song
    assert sum(1 for _, n in ons if n == 88) == 1
    assert ELITE_KICK_NOTE == {"easy": 2, "medium": 26, "hard": 50, "expert": 74}
    expert_expect = {
        "kick": 74,
        "snare": 75,
        "hihat": 76,
        "hi_tom": 78,
        "mid_tom": 79,
        "low_tom": 80,
        "ride": 81,
        "crash": 82,
    }
    assert {LANE_NAMES[lane]: 74 + off for lane, off in ELITE_LANE_OFFSET.items()} == expert_expect
    nm = read_notes_mid(files["mid"])
    assert nm.elite is not None
    tl = mid_timeline(chart)
    for level, hits in chart.difficulties.items():
        want = sorted((tl.tick_at(h.time_s), h.lane) for h in hits)
        got = sorted((g.tick, g.lane) for g in nm.elite[level])
        assert got == want
        assert all(g.hat_indifferent for g in nm.elite[level] if g.pad == "hihat")


def test_notes_mid_without_elite(chart: Chart, tmp_path: Path) -> None:
    nm = read_notes_mid(write_notes_mid(chart, tmp_path / "notes.mid"))
    assert nm.elite is None and "PART ELITE_DRUMS" not in nm.track_names


# -- .chart ------------------------------------------------------------------------------------------
def test_dot_chart_layout_and_read_back(chart: Chart, files: dict[str, Path]) -> None:
    data = files["chart"].read_bytes()
    assert data.startswith(b"[Song]\r\n{\r\n")  # CRLF lines, as Moonscraper writes them
    text = data.decode("utf-8")
    assert (
        "  Name = \"My 'Song'\"" in text
        and "  Resolution = 192" in text
        and '  MusicStream = "song.ogg"' in text
    )
    cf = read_notes_chart(files["chart"])
    assert cf.resolution == CHART_RESOLUTION
    assert cf.sections == (
        "Song",
        "SyncTrack",
        "Events",
        "ExpertDrums",
        "HardDrums",
        "MediumDrums",
        "EasyDrums",
    )
    tl = chart_timeline(chart)
    for seg in chart.tempo_map.segments:
        line = f"  {round((tl.lead_beats + seg.beat) * CHART_RESOLUTION)} = B {round(seg.bpm * 1000)}"
        assert line in text.splitlines()
    notes, _ = pro_drum_notes(chart.difficulties, tl)
    for level, gems in cf.drums.items():
        assert [(g.tick, g.pad, g.cymbal, g.dynamic) for g in gems] == [
            (n.tick, n.pad, n.cymbal, n.dynamic) for n in notes[level]
        ]
    # cymbal flags only on yellow/blue/green, and N 5 (five-lane green) never
    lines = [ln.strip() for ln in text.splitlines() if " = N " in ln]
    assert not [ln for ln in lines if ln.endswith("= N 5 0")]
    assert {ln.split()[3] for ln in lines} <= {
        "0",
        "1",
        "2",
        "3",
        "4",
        "34",
        "35",
        "36",
        "37",
        "40",
        "41",
        "42",
        "43",
        "66",
        "67",
        "68",
    }


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[Song]\n{\n  Resolution = 192\n}\n", "no [SyncTrack]"),
        ("[Song]\n{\n  Resolution = 0\n}\n[SyncTrack]\n{\n  0 = B 120000\n}\n", "Resolution must be > 0"),
        ("[Song]\n{\n  Resolution = 192\n}\n[SyncTrack]\n{\n  10 = B 120000\n}\n", "tempo (B) at tick 0"),
        ("[Song]\n{\n  Resolution = 192\n}\n[SyncTrack]\n{\n  0 = B 120000\n", "not closed"),
        ("[Song]\n  Resolution = 192\n}\n", "must open with"),
        (
            "[Song]\n{\n  Resolution = 192\n}\n[SyncTrack]\n{\n  0 = B 120000\n}\n[ExpertDrums]\n{\n  10 = N 66 0\n}\n",
            "flag N 66 at tick 10 has no N 2",
        ),
        (
            "[Song]\n{\n  Resolution = 192\n}\n[SyncTrack]\n{\n  0 = B 120000\n}\n[ExpertDrums]\n{\n  10 = N 1 0\n  5 = N 1 0\n}\n",
            "tick 5 comes after tick 10",
        ),
        (
            "[Song]\n{\n  Resolution = 192\n}\n[SyncTrack]\n{\n  0 = B 120000\n}\n[ExpertDrums]\n{\n  10 = N 7 0\n}\n",
            "N 7 is not a drums note",
        ),
        (
            "[Song]\n{\n  Resolution = 192\n}\n[SyncTrack]\n{\n  0 = B 120000\n}\n[ExpertDrums]\n{\n  10 = N 5 0\n}\n",
            "N 5 (five-lane green)",
        ),
        ("[Song]\n{\n  Resolution = 192\n}\n[SyncTrack]\n{\n  0 = X 1\n}\n", "unknown [SyncTrack] event"),
    ],
)
def test_dot_chart_reader_rejects_broken_files(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "notes.chart"
    path.write_text(text)
    with pytest.raises(ChartError) as info:
        read_notes_chart(path)
    assert str(info.value).startswith(str(path)) and needle in str(info.value)


def _midi_with(tmp_path: Path, tracks: list[list[mido.Message | mido.MetaMessage]], ticks: int = 480) -> Path:
    mid = mido.MidiFile(type=1, ticks_per_beat=ticks)
    for msgs in tracks:
        trk = mido.MidiTrack()
        trk.extend(msgs)
        mid.tracks.append(trk)
    path = tmp_path / "bad.mid"
    mid.save(path)
    return path


@pytest.mark.parametrize(
    ("tracks", "needle"),
    [
        (
            [
                [mido.MetaMessage("set_tempo", tempo=500000)],
                [
                    mido.MetaMessage("track_name", name="PART DRUMS"),
                    mido.MetaMessage("set_tempo", tempo=400000),
                ],
            ],
            "only track 0",
        ),
        (
            [
                [mido.MetaMessage("set_tempo", tempo=500000)],
                [
                    mido.MetaMessage("track_name", name="BEAT"),
                    mido.Message("note_on", note=14, velocity=100),
                    mido.Message("note_off", note=14, time=60),
                ],
            ],
            "only 12 and 13",
        ),
        (
            [
                [mido.MetaMessage("set_tempo", tempo=500000)],
                [
                    mido.MetaMessage("track_name", name="PART DRUMS"),
                    mido.Message("note_on", note=96, velocity=100),
                ],
            ],
            "never ends",
        ),
        (
            [
                [mido.MetaMessage("set_tempo", tempo=500000)],
                [
                    mido.MetaMessage("track_name", name="PART DRUMS"),
                    mido.Message("note_on", note=53, velocity=100),
                    mido.Message("note_off", note=53, time=10),
                ],
            ],
            "not a drums note",
        ),
        (
            [
                [mido.MetaMessage("set_tempo", tempo=500000)],
                [
                    mido.MetaMessage("track_name", name="PART DRUMS"),
                    mido.Message("note_on", note=96, velocity=100),
                    mido.Message("note_on", note=96, velocity=100, time=5),
                    mido.Message("note_off", note=96, time=5),
                ],
            ],
            "starts again",
        ),
        (
            [
                [mido.MetaMessage("set_tempo", tempo=500000)],
                [
                    mido.MetaMessage("track_name", name="PART ELITE_DRUMS"),
                    mido.Message("note_on", note=90, velocity=100),
                    mido.Message("note_off", note=90, time=10),
                ],
            ],
            "not an elite drums note",
        ),
    ],
)
def test_notes_mid_reader_rejects_broken_files(tmp_path: Path, tracks: list, needle: str) -> None:
    path = _midi_with(tmp_path, tracks)
    with pytest.raises(ChartError, match=needle) as info:
        read_notes_mid(path)
    assert str(info.value).startswith(str(path))


def test_notes_mid_reader_rejects_non_midi(tmp_path: Path) -> None:
    path = tmp_path / "notes.mid"
    path.write_text("not midi")
    with pytest.raises(ChartError, match="not a readable MIDI file"):
        read_notes_mid(path)


# -- song.ini -------------------------------------------------------------------------------------------
def test_song_ini(chart: Chart, tmp_path: Path) -> None:
    fields = song_ini_fields(chart, title="T\n[evil]", artist="A", elite=True)
    path = write_song_ini(tmp_path / "song.ini", fields)
    text = path.read_text()
    assert text.startswith("[song]\n")
    assert not [ln for ln in text.splitlines()[1:] if ln.startswith("[")]  # no section from a title
    ini = read_song_ini(path)
    assert ini["name"] == "T [evil]" and ini["artist"] == "A" and ini["charter"] == "drumscribe"
    assert ini["pro_drums"] == "True" and ini["delay"] == "0"
    assert ini["song_length"] == str(round(chart.duration_s * 1000))
    assert 0 <= int(ini["diff_drums"]) <= 6 and ini["diff_elite_drums"] == ini["diff_drums"]
    (tmp_path / "bad.ini").write_text("[other]\na = 1\n")
    with pytest.raises(ChartError, match="no \\[song\\] section"):
        read_song_ini(tmp_path / "bad.ini")


# -- General MIDI with the tempo map ----------------------------------------------------------------------
def test_general_midi_with_tempo_map(chart: Chart, files: dict[str, Path]) -> None:
    back = read_midi(files["gm"])
    expert = chart.hits("expert")
    assert len(back) == len(expert)
    tl = build_timeline(chart.tempo_map, resolution=480, beats=chart.beats)
    for a, b in zip(sorted(expert, key=lambda h: (h.time_s, h.lane)), back, strict=True):
        assert a.drum == b.drum and a.velocity == b.velocity
        assert abs(a.time_s - b.time_s) <= tl.seconds_per_tick(tl.tick_at(a.time_s))
    mid = mido.MidiFile(files["gm"])
    tempos = [(t, m) for t, m in _raw_tracks(files["gm"])["drumscribe drums"] if m.type == "set_tempo"]
    assert mid.type == 0 and len(tempos) == len(tl.tempos)


def test_write_midi_keeps_its_old_signature_and_rejects_both(tmp_path: Path) -> None:
    hits = [DrumHit(0.25, "kick", 100), DrumHit(0.75, "snare", 90)]
    write_midi(hits, tmp_path / "a.mid")
    write_midi(hits, tmp_path / "b.mid", bpm=90)
    assert [h.drum for h in read_midi(tmp_path / "b.mid")] == ["kick", "snare"]
    with pytest.raises(DrumscribeError, match="either bpm or tempo_map"):
        write_midi(hits, tmp_path / "c.mid", bpm=90, tempo_map=TempoMap.constant(90))
    write_midi(
        hits, tmp_path / "d.mid", tempo_map=[*TempoMap.from_points([0.1, 0.5], [100.0, 140.0]).segments]
    )
    back = read_midi(tmp_path / "d.mid")
    assert [round(h.time_s, 3) for h in back] == [0.25, 0.75]


def test_gems_follow_the_lane_mapping() -> None:
    assert PRIMARY_GEMS[lane_index("hihat")] == (Pad.YELLOW, True)
    assert PRIMARY_GEMS[lane_index("hi_tom")] == (Pad.YELLOW, False)
    assert PRIMARY_GEMS[lane_index("ride")] == (Pad.BLUE, True)
    assert PRIMARY_GEMS[lane_index("crash")] == (Pad.GREEN, True)
    assert PRIMARY_GEMS[lane_index("low_tom")] == (Pad.GREEN, False)


def test_a_bare_chart_writes_every_format(tmp_path: Path) -> None:
    tr = Transcription(hits=(DrumHit(0.0, "kick", 100),), duration_s=0.5)
    c = chart_from_transcription(tr)
    assert c.beats and c.beats[0] == Beat(0.0, True)
    assert read_notes_mid(write_notes_mid(c, tmp_path / "n.mid", elite=True)).drums is not None
    assert read_notes_chart(write_notes_chart(c, tmp_path / "n.chart")).drums["expert"][0].tick == 0
    assert read_midi(write_chart_midi(c, tmp_path / "g.mid"))[0].drum == "kick"


# -- golden layouts: the exact notes for a known bar ------------------------------------------------
@pytest.fixture
def one_bar() -> Chart:
    from drumscribe.charts import ChartHit

    def hit(beat: float, drum: str, vel: int = 100) -> ChartHit:
        return ChartHit(beat * 0.5, lane_index(drum), vel, beat=beat)

    hits = [
        hit(0, "kick"),
        hit(0, "hihat"),
        hit(1, "snare", 127),
        hit(1, "ride"),
        hit(2, "hi_tom", 30),
        hit(3, "crash"),
        hit(3, "low_tom"),  # low tom meets the crash: moves to blue
    ]
    tm = TempoMap.constant(120.0)
    return Chart(duration_s=2.0, tempo_map=tm, beats=tm.beats(2.0), difficulties={"expert": tuple(hits)})


def test_golden_dot_chart(one_bar: Chart, tmp_path: Path) -> None:
    text = write_notes_chart(one_bar, tmp_path / "notes.chart").read_bytes().decode()
    body = text.split("[ExpertDrums]\r\n{\r\n")[1].split("}")[0].split("\r\n")
    # one star power phrase over the bar (S 2); no fill (no phrase after it)
    assert [ln.strip() for ln in body if " = S " in ln] == ["0 = S 2 768"]
    assert [ln.strip() for ln in body if " = N " in ln] == [
        "0 = N 0 0",
        "0 = N 2 0",
        "0 = N 66 0",  # kick, yellow cymbal (hi-hat)
        "192 = N 1 0",
        "192 = N 3 0",
        "192 = N 34 0",
        "192 = N 67 0",  # accented snare, blue cymbal (ride)
        "384 = N 2 0",
        "384 = N 41 0",  # ghost yellow tom (high tom)
        "576 = N 3 0",
        "576 = N 4 0",
        "576 = N 68 0",  # blue tom (moved low tom), green cymbal (crash)
    ]
    sync = text.split("[SyncTrack]\r\n{\r\n")[1].split("}")[0]
    assert sync.split("\r\n")[:2] == ["  0 = TS 4", "  0 = B 120000"]


def test_golden_notes_mid(one_bar: Chart, tmp_path: Path) -> None:
    path = write_notes_mid(one_bar, tmp_path / "notes.mid", elite=True)
    raw = _raw_tracks(path)
    drums = sorted((t, m.note, m.velocity) for t, m in raw["PART DRUMS"] if m.type == "note_on")
    assert [d for d in drums if d[1] >= 116] == [(0, 116, 100)]  # star power over the bar
    assert [d for d in drums if d[1] < 116] == [
        (0, 96, 100),
        (0, 98, 100),
        (480, 97, 127),
        (480, 99, 100),
        (960, 98, 1),
        (960, 110, 100),  # ghost yellow + tom marker
        (1440, 99, 100),
        (1440, 100, 100),
        (1440, 111, 100),  # blue tom (marker 111), green cymbal
    ]
    elite = sorted((t, m.note, m.velocity) for t, m in raw["PART ELITE_DRUMS"] if m.type == "note_on")
    assert elite == [
        (0, 74, 100),
        (0, 76, 100),
        (0, 88, 100),
        (480, 75, 127),
        (480, 81, 100),
        (960, 78, 1),
        (1440, 80, 100),
        (1440, 82, 100),
    ]
    beat = sorted((t, m.note) for t, m in raw["BEAT"] if m.type == "note_on")
    # the BEAT track runs to [end]: the last whole beat before the end of the audio (2.0 s)
    assert beat == [(0, 12), (480, 13), (960, 13), (1440, 13)]
    tempo = [(t, m.tempo) for t, m in raw[one_bar.title] if m.type == "set_tempo"]
    assert tempo == [(0, 500000)]


@settings(max_examples=40, deadline=None)
@given(
    hits=st.lists(
        st.tuples(st.integers(0, 3000), st.sampled_from(LANE_NAMES), st.integers(1, 127)),  # 10 ms lattice
        max_size=40,
        unique_by=lambda h: (h[0], h[1]),
    ),
    points=st.lists(
        st.tuples(st.floats(0.0, 25.0), st.floats(40.0, 300.0)),
        min_size=1,
        max_size=4,
        unique_by=lambda p: round(p[0], 1),
    ),
)
def test_hits_midi_hits_round_trip_with_a_tempo_map(
    hits: list[tuple[float, str, int]], points: list[tuple[float, float]]
) -> None:
    import tempfile

    pts = sorted(points)
    tm = TempoMap.from_points([p[0] for p in pts], [p[1] for p in pts])
    tl = build_timeline(tm, resolution=480)
    drum_hits = sorted(DrumHit(t / 100, d, v) for t, d, v in hits)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.mid"
        write_midi(drum_hits, path, tempo_map=tm)
        back = read_midi(path)
    assert len(back) == len(drum_hits)
    want = sorted((tl.tick_at(h.time_s), h.drum, h.velocity) for h in drum_hits)
    got = sorted((tl.tick_at(h.time_s), h.drum, h.velocity) for h in back)
    assert got == want
    for h in drum_hits:
        assert min(abs(b.time_s - h.time_s) for b in back if b.drum == h.drum) <= tl.seconds_per_tick(
            tl.tick_at(h.time_s)
        )


def test_no_lead_in_for_a_first_beat_within_half_a_tick() -> None:
    tl = build_timeline(TempoMap.constant(120.0, offset_s=0.0004), resolution=480)
    assert tl.lead_beats == 0 and [t.tick for t in tl.tempos] == [0]
    tl = build_timeline(TempoMap.constant(120.0, offset_s=0.2), resolution=480)
    assert tl.lead_beats == 1 and tl.tempos[0].bpm == pytest.approx(300.0)
