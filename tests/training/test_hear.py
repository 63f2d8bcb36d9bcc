"""drumscribe-train hear: which lanes a model hears a kit's single pieces as."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import drumscribe
from drumscribe import DrumHit
from drumscribe_training.cli import main
from drumscribe_training.eval.hear import _LEAD_S, NOTHING, hear_pieces, to_markdown
from drumscribe_training.synth.events import SAMPLE_RATE


def _fake_transcribe(lane_of_hit: dict[int, set[str]], calls: list[np.ndarray]):
    """A transcriber that hears hit i (played at _LEAD_S + i * 0.25 s) as the lanes given, 20 ms late."""

    def fake(audio: np.ndarray, *, sample_rate: int, model: object) -> SimpleNamespace:
        assert sample_rate == SAMPLE_RATE
        calls.append(audio)
        hits = [
            DrumHit(time_s=_LEAD_S + i * 0.25 + 0.02, drum=lane, velocity=90)
            for i, lanes in lane_of_hit.items()
            for lane in sorted(lanes)
        ]
        hits.append(DrumHit(time_s=_LEAD_S + 0.125, drum="kick", velocity=90))  # between hits: not counted
        return SimpleNamespace(hits=tuple(sorted(hits)))

    return fake


def test_counts_each_lane_heard_at_each_played_hit(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[np.ndarray] = []
    heard = {0: {"snare"}, 1: {"snare", "hihat"}, 2: {"hihat"}}  # hit 3 is heard as nothing
    monkeypatch.setattr(drumscribe, "transcribe", _fake_transcribe(heard, calls))
    (r,) = hear_pieces("tiny", [38, 99], hits=4, interval_s=0.25)  # 99: no lane, skipped
    assert (r.kit, r.note, r.lane, r.hits, r.backing) == ("tiny", 38, "snare", 4, False)
    assert r.heard == {"snare": 2, "hihat": 2, NOTHING: 1}
    assert r.recall == 0.5
    (audio,) = calls
    onsets = [round((_LEAD_S + i * 0.25) * SAMPLE_RATE) for i in range(4)]
    assert not np.any(audio[: onsets[0]])  # silent before the first hit
    assert all(np.abs(audio[o : o + 200]).max() > 0.05 for o in onsets)  # each hit is played
    table = to_markdown([r])
    assert "| tiny | 38 | snare | snare | no | " in table and "| 50 | 50 |" in table


def test_backing_adds_the_kits_kick_and_snare(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[np.ndarray] = []
    monkeypatch.setattr(drumscribe, "transcribe", _fake_transcribe({}, calls))
    (alone,) = hear_pieces("tiny", [42], hits=8)
    (backed,) = hear_pieces("tiny", [42], hits=8, backing=True)
    assert alone.heard == backed.heard == {NOTHING: 8} and backed.backing
    diff = calls[1] - calls[0]
    kick_at = int(_LEAD_S * SAMPLE_RATE)  # beats of two eighths: kick on the first, snare 0.5 s later
    snare_at = kick_at + SAMPLE_RATE // 2
    assert np.abs(diff[kick_at : kick_at + 2000]).max() > 0.05
    assert np.abs(diff[snare_at : snare_at + 2000]).max() > 0.05
    assert not np.any(diff[:kick_at])


def test_the_bundled_model_hears_clear_pieces_in_their_lanes() -> None:
    results = {r.note: r for r in hear_pieces("tiny", [38, 42, 51], hits=16)}
    assert set(results) == {38, 42, 51}
    for r in results.values():
        assert sum(r.heard.values()) >= r.hits  # every played hit is counted somewhere
        assert r.recall >= 0.9, r  # a plain synthesised snare, closed hi-hat and ride


def test_cli_prints_the_table_and_rejects_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hear.md"
    assert main(["hear", "--kit", "tiny", "--notes", "38", "--hits", "4", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| tiny | 38 | snare |" in printed and out.read_text() == printed
    assert main(["hear", "--kit", "no such kit"]) == 2
    assert "unknown kit 'no such kit'" in capsys.readouterr().err
    assert main(["hear", "--kit", "tiny", "--velocity", "0"]) == 2
    assert "velocity must be 1..127" in capsys.readouterr().err
    assert main(["hear", "--kit", "tiny", "--notes", "99"]) == 2
    assert "no voice for notes [99]" in capsys.readouterr().err


def test_backing_with_a_band_part_mixes_it_in(monkeypatch: pytest.MonkeyPatch) -> None:
    from drumscribe_training.synth.band import soundfonts_for_split

    try:
        soundfonts_for_split("test")
    except Exception as exc:  # no held-out SoundFont installed here
        pytest.skip(f"band sources missing: {exc}")
    calls: list[np.ndarray] = []
    monkeypatch.setattr(drumscribe, "transcribe", _fake_transcribe({}, calls))
    (_kit_only,) = hear_pieces("tiny", [42], hits=8, backing=True)
    (with_band,) = hear_pieces("tiny", [42], hits=8, backing=True, band_level_db=0.0)
    (_again,) = hear_pieces("tiny", [42], hits=8, backing=True, band_level_db=0.0)
    assert with_band.heard == {NOTHING: 8}
    band = calls[1] - calls[0]
    assert np.sqrt(np.mean(band**2)) > 1e-3  # a band plays under the pieces
    assert np.array_equal(calls[1], calls[2])  # the same part every time (seeded)
    assert np.abs(calls[1]).max() <= 0.99 + 1e-6
