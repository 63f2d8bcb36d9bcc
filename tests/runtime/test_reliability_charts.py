"""Bad charts and chart round trips (issue 11).

The rejections themselves are tested where the fixtures live:
tests/bindings/test_bindings_runtime_reader.py holds ``read_chart_json`` to every invalid
fixture (message names the file and the JSON path), and each binding's tests hold C#,
GDScript, C and TypeScript to the same files. Here: the table of those messages in
docs/RELIABILITY.md, and the two round trips at file level that the charts tests do not
cover (tests/runtime/charts/ has chart -> dict -> JSON text -> chart and hits -> MIDI ->
hits with a tempo map): chart -> JSON *file* -> chart through the writer and reader, and
hits -> MIDI -> hits through the one-tempo writer that ``drumscribe transcribe -o x.mid``
uses.
"""

from __future__ import annotations

import itertools
import tempfile
from collections import Counter
from pathlib import Path

import mido
import reliability_cases as rc
from hypothesis import given, settings
from hypothesis import strategies as st

from drumscribe import DrumHit, Transcription
from drumscribe.charts import build_chart, read_chart_json, write_chart_json
from drumscribe.charts.general_midi import TICKS_PER_BEAT, read_midi, write_midi
from drumscribe.charts.quantize import MIN_NOTE_GAP_S
from drumscribe.contract import LANE_NAMES


def test_doc_table_of_invalid_charts_is_current() -> None:
    rows = rc.chart_rows()
    assert len(rows) == len(list(rc.INVALID_CHARTS.glob("*.json"))) > 50
    accepted = [name for name, message in rows if message.startswith("ACCEPTED")]
    assert accepted == [], f"invalid fixtures the reader accepts: {accepted}"
    for name, message in rows:
        assert message.startswith(name + ": "), (name, message)  # names the file first
        assert "\n" not in message
    text = rc.DOC.read_text(encoding="utf-8")
    assert rc.read_section(text, "charts") == [
        *rc.CHART_HEADER.splitlines(),
        *(rc.chart_row(n, m) for n, m in rows),
    ], "docs/RELIABILITY.md chart table is stale; run scripts/write_reliability_table.py"


_hits = st.lists(
    st.tuples(st.integers(0, 20_000), st.sampled_from(LANE_NAMES), st.integers(1, 127)),  # 1 ms lattice
    max_size=80,
)


@settings(max_examples=30, deadline=None)
@given(
    hits=_hits,
    grid=st.sampled_from(["1/16", "1/12", "1/8", None]),
    bpm=st.one_of(st.none(), st.floats(60.0, 240.0)),
)
def test_chart_json_file_round_trip(
    hits: list[tuple[int, str, int]], grid: str | None, bpm: float | None
) -> None:
    drum_hits = tuple(sorted(DrumHit(t / 1000, d, v) for t, d, v in hits))
    tr = Transcription(hits=drum_hits, duration_s=21.0)
    options = {"grid": grid} if bpm is None else {"grid": grid, "bpm": bpm}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "song.json"
        write_chart_json(tr, path, **options)
        back = read_chart_json(path)
        assert sorted(p.name for p in Path(tmp).iterdir()) == ["song.json"]
    assert back.to_dict() == build_chart(tr, **options)
    expert = back.to_dict()["difficulties"]["expert"]["hits"]
    got = Counter((h.get("raw_time_s", h["time_s"]), LANE_NAMES[h["lane"]], h["velocity"]) for h in expert)
    sent = Counter((h.time_s, h.drum, h.velocity) for h in drum_hits)
    assert not got - sent, "every chart hit is one of the hits that went in"
    if grid is None:
        # unquantised: hits closer than MIN_NOTE_GAP_S are one instant (one note per lane, the
        # loudest; then at most two hands and a foot), so no two instants are that close
        instants = sorted({h["time_s"] for h in expert})
        assert all(b - a > MIN_NOTE_GAP_S for a, b in itertools.pairwise(instants))
        for h in drum_hits:  # every hit went into a note of its lane nearby, or into a chord
            near = [e for e in expert if abs(e["time_s"] - h.time_s) <= MIN_NOTE_GAP_S + 1e-6]
            assert near, h


@settings(max_examples=40, deadline=None)
@given(hits=_hits, bpm=st.floats(40.0, 300.0))
def test_hits_midi_hits_round_trip_one_tempo(hits: list[tuple[int, str, int]], bpm: float) -> None:
    drum_hits = [DrumHit(t / 1000, d, v) for t, d, v in hits]
    ticks_per_s = TICKS_PER_BEAT * 1e6 / mido.bpm2tempo(bpm)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.mid"
        write_midi(drum_hits, path, bpm=bpm)
        back = read_midi(path)
    assert back == sorted(back)

    def ticks(hs: list[DrumHit]) -> Counter[tuple[int, str, int]]:
        return Counter((round(h.time_s * ticks_per_s), h.drum, h.velocity) for h in hs)

    assert ticks(back) == ticks(drum_hits)
    for h in drum_hits:  # every hit comes back within half a tick
        assert min(abs(b.time_s - h.time_s) for b in back if b.drum == h.drum) <= 0.5 / ticks_per_s + 1e-9
