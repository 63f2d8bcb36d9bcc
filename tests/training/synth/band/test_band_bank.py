"""Band banks: band parts rendered ahead with their grooves, for machines without band sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from drumscribe_training.cli import main as train_main
from drumscribe_training.synth.band import soundfonts_for_split, voices_for_split
from drumscribe_training.synth.band.bank import (
    BANK_AUDIO,
    BANK_DECODED,
    BANK_INDEX,
    BandBank,
    BandBankError,
)
from drumscribe_training.synth.band.bank_writer import build_band_bank
from drumscribe_training.synth.render import ClipRenderer
from support.band import BANK_ENTRIES, BANK_ENTRY_S, BANK_SEED, need_band_sources

SR = 16000


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def test_a_bank_holds_train_grooves_and_their_band_parts(band_bank: Path) -> None:
    from drumscribe_training.synth.band import bank_writer

    bank = BandBank.open(band_bank)
    assert (len(bank), bank.split, bank.sample_rate) == (BANK_ENTRIES, "train", SR)
    assert bank.seconds == pytest.approx(BANK_ENTRIES * BANK_ENTRY_S)
    assert (band_bank / BANK_DECODED).is_file()  # decoded once, memory-mapped after
    fonts = {s.name for s in soundfonts_for_split("train", installed_only=False)}
    voices = set(voices_for_split("train"))
    # each entry's audio is the band part the renderer plays to that entry's groove, re-rendered
    # here from the bank's seed (the stored copy went through Opus)
    bank_writer._worker_init("train", bank_writer.BandSettings(), BANK_SEED, SR, BANK_ENTRY_S)
    for i, e in enumerate(bank.entries):
        assert e.length == round(BANK_ENTRY_S * SR)
        times = [v.time_s for v in e.events]
        assert times == sorted(times) and -bank.preroll_s <= times[0] and times[-1] < BANK_ENTRY_S
        assert 0.25 <= e.quarter_s <= 1.2 and e.time_signature and e.style
        for source in e.sources:
            name = source.split(":", 1)[1].split("+")[0] if source.startswith("espeak-ng:") else source
            assert name in (voices if source.startswith("espeak-ng:") else fonts), source
        head, fresh = bank_writer._render_entry(i)
        assert [(v.note, v.velocity) for v in head["events"]] == [(v.note, v.velocity) for v in e.events]
        np.testing.assert_allclose([v.time_s for v in head["events"]], times, atol=1e-5)  # stored to 10 us
        assert head["quarter_s"] == e.quarter_s
        stored = bank.band(i, offset_s=0.0, n_samples=e.length, sample_rate=SR)
        if np.abs(fresh).max() > 0:
            assert _corr(stored, fresh) > 0.9
    # a window: the same samples as the whole part's, and zero-padded past the entry's end
    whole = bank.band(0, offset_s=0.0, n_samples=round(BANK_ENTRY_S * SR), sample_rate=SR)
    part = bank.band(0, offset_s=1.0, n_samples=round(2.0 * SR), sample_rate=SR)
    np.testing.assert_array_equal(part[: round(1.5 * SR)], whole[SR:])
    assert not part[round(1.5 * SR) :].any()
    at_22k = bank.band(0, offset_s=0.0, n_samples=22050, sample_rate=22050)  # resampled on read
    assert at_22k.shape == (22050,)


def test_same_seed_same_bank_whatever_the_workers(band_bank: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build_band_bank(again, minutes=BANK_ENTRIES * BANK_ENTRY_S / 60.0, entry_s=BANK_ENTRY_S, seed=BANK_SEED,
                    num_workers=2, progress=False)  # fmt: skip
    a = json.loads((band_bank / BANK_INDEX).read_text())
    b = json.loads((again / BANK_INDEX).read_text())
    assert a == b
    # the same audio (the Ogg stream's serial number is random, so not the same bytes)
    np.testing.assert_array_equal(BandBank.open(band_bank).audio, BandBank.open(again).audio)


def test_clips_from_the_bank_play_its_grooves_with_its_band_parts(
    band_bank: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import drumscribe_training.synth.band.render as band_render

    def no_sources(**_: object) -> None:
        raise AssertionError("a clip from the bank rendered a band part")

    monkeypatch.setattr(band_render, "render_band_part", no_sources)
    bank = BandBank.open(band_bank)
    renderer = ClipRenderer(kits=["tiny"], procedural_fraction=1.0, band_bank=band_bank)
    for seed in range(4):
        rng = np.random.default_rng(seed)
        entry, offset = bank.draw(np.random.default_rng(seed), duration_s=2.0)
        clip = renderer.render(2.0, rng, from_bank=True)
        window = [v for v in bank.events(entry, offset_s=offset, duration_s=2.0) if v.time_s >= 0.0]
        assert clip.events and set(clip.events) <= set(window)  # the tiny kit plays most notes
        assert clip.quarter_s == bank.entries[entry].quarter_s
        band = bank.band(entry, offset_s=offset, n_samples=2 * SR, sample_rate=SR)
        np.testing.assert_array_equal(renderer.render_band(clip, rng), band)
    assert renderer.render(2.0, np.random.default_rng(0)).band is None  # not from the bank: none
    with pytest.raises(BandBankError, match="train split"):
        ClipRenderer("validation", kits=["tiny"], band_bank=band_bank).render(1.0, from_bank=True)


def test_bad_banks_are_refused_in_one_line(
    band_bank: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(BandBankError, match="not a band bank"):
        BandBank.open(tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(band_bank, broken)
    (broken / BANK_DECODED).unlink()
    doc = json.loads((broken / BANK_INDEX).read_text())
    (broken / BANK_INDEX).write_text(json.dumps({**doc, "samples": doc["samples"] + 1}))
    with pytest.raises(BandBankError, match="tile"):
        BandBank.open(broken)
    (broken / BANK_INDEX).write_text(json.dumps({**doc, "entries": [], "samples": 0}))
    with pytest.raises(BandBankError, match="no entries"):
        BandBank.open(broken)
    (broken / BANK_INDEX).write_text(json.dumps({**doc, "format": 99}))
    with pytest.raises(BandBankError, match="format 99"):
        BandBank.open(broken)
    (broken / BANK_INDEX).write_text(json.dumps(doc))
    (broken / BANK_AUDIO).write_bytes(b"OggS not really")
    with pytest.raises(BandBankError, match="unreadable band audio"):
        BandBank.open(broken)
    with pytest.raises(FileExistsError):
        build_band_bank(band_bank, minutes=0.1)
    assert (
        train_main(["band-bank", "--out", str(tmp_path / "b"), "--minutes", "0.1", "--sample-rate", "44100"])
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sample_rate" in err[0]
    assert not (tmp_path / "b").exists() and not (tmp_path / "b.part").exists()


def test_cli_builds_a_bank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    need_band_sources("train")
    out = tmp_path / "bank"
    assert train_main(["band-bank", "--out", str(out), "--minutes", "0.05", "--entry-seconds", "3",
                       "--no-progress"]) == 0  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert summary["entries"] == 1 and summary["kbit_s"] < 64
    assert len(BandBank.open(out)) == 1


def test_a_build_that_fails_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from drumscribe_training.synth.band import bank_writer

    need_band_sources("train")
    real = bank_writer._render_entry

    def second_fails(i: int):  # type: ignore[no-untyped-def]
        if i == 1:
            raise KeyboardInterrupt
        return real(i)

    monkeypatch.setattr(bank_writer, "_render_entry", second_fails)
    with pytest.raises(KeyboardInterrupt):
        build_band_bank(tmp_path / "bank", minutes=0.1, entry_s=2.0, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
