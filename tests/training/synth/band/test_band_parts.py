"""Band parts (issue 22): tempo, length, no kit notes, reproducibility, held-out sources."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from drumscribe_training.synth.band import (
    BandSettings,
    band_filename,
    band_path,
    read_band_manifest,
    render_band_part,
    soundfonts_for_split,
    voices_for_split,
)
from drumscribe_training.synth.band.instruments import band_data, percussion_keys
from drumscribe_training.synth.band.vocals import espeak_available
from drumscribe_training.synth.events import SAMPLE_RATE, note_map
from support.band import need_band_sources

SPLITS = ("train", "validation", "test")
#: GM programs 112-127: percussive and sound-effect presets (melodic tom, taiko, synth drum,
#: reverse cymbal, ...), never in a band part.
PERCUSSIVE_PROGRAMS = range(112, 128)
NON_KIT_KEYS = {39, 54, 56, 69, 70, 82}  # clap, tambourine, cowbell, cabasa, maracas, shaker


def _need_espeak() -> None:
    if not espeak_available():
        msg = "espeak-ng not installed; run scripts/setup_kits.sh (Debian package espeak-ng)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


def _groove(seed: int = 3, seconds: float = 6.0):  # type: ignore[no-untyped-def]
    from drumscribe_training.synth.procedural import generate_groove

    return generate_groove(np.random.default_rng(seed), seconds, fill_clip=False)


def _render(
    split: str, seed: int, *, seconds: float = 6.0, vocals: bool = False, settings: BandSettings | None = None
):  # type: ignore[no-untyped-def]
    g = _groove(seconds=seconds)
    n = round((g.duration_s + 0.5) * SAMPLE_RATE)
    part = render_band_part(
        drum_events=g.events, quarter_s=round(60e6 / g.bpm) / 1e6, time_signature=g.time_signature,
        drum_style=g.style, n_samples=n, split=split, rng=np.random.default_rng(seed),
        settings=settings, vocals=vocals,
    )  # fmt: skip
    return g, n, part


def test_band_part_is_on_the_clips_beat_grid() -> None:
    need_band_sources("validation")
    s = BandSettings(strum_spread_s=(0.0, 0.0), instruments=(5, 5))
    tol = s.humanize_s + 1e-6
    for seed in range(4):
        g, _, part = _render("validation", seed, settings=s)
        assert part.grid.phase_s == 0.0
        assert part.grid.quarter_s == pytest.approx(60.0 / g.bpm, abs=1e-5)
        step = part.grid.quarter_s / 4
        kicks = np.array([e.time_s for e in g.events if note_map().get(e.note) == "kick"])
        assert part.stems
        for stem in part.stems:
            on = np.asarray(stem.onsets_s)
            off_grid = np.abs(on / step - np.round(on / step)) * step
            near_kick = np.min(np.abs(on[:, None] - kicks[None, :]), axis=1) if kicks.size else off_grid
            assert np.all(np.minimum(off_grid, near_kick) <= tol), (stem.role, on[off_grid > tol][:5])


def test_band_part_starts_and_ends_with_the_clip() -> None:
    need_band_sources("test")
    _, n, part = _render("test", 1)
    assert part.audio.shape == (n,) and part.audio.dtype == np.float32
    assert (
        np.all(np.isfinite(part.audio))
        and float(np.abs(part.audio).max()) <= BandSettings().peak_ceiling + 1e-6
    )
    first = min(min(st.onsets_s) for st in part.stems if st.onsets_s)
    assert first < part.grid.bar_s  # plays from the first bar


def test_band_part_holds_no_drum_kit_notes() -> None:
    data = band_data()
    kit_notes = set(note_map())
    for role, programs in data["roles"].items():
        assert not set(programs) & set(PERCUSSIVE_PROGRAMS), role
    for kind, keys in percussion_keys().items():
        assert set(keys) <= NON_KIT_KEYS and not set(keys) & kit_notes, kind
    need_band_sources("validation")
    for seed in range(8):
        _, _, part = _render("validation", seed, settings=BandSettings(instruments=(5, 5)))
        for st in part.stems:
            if st.role == "vocals":
                continue
            _font, bank, program = st.source.rsplit(":", 2)
            if st.role == "percussion":
                assert int(bank) == 128 and int(program) in NON_KIT_KEYS and int(program) not in kit_notes
            else:
                assert int(bank) == 0 and int(program) not in PERCUSSIVE_PROGRAMS


def test_band_part_is_reproducible_per_seed() -> None:
    need_band_sources("test")
    _, _, a = _render("test", 11)
    _, _, b = _render("test", 12)
    _, _, c = _render("test", 11)
    assert np.array_equal(a.audio, c.audio) and a.stems == c.stems
    assert not np.array_equal(a.audio, b.audio)


def test_held_out_band_sources_never_in_train() -> None:
    by_split = {s: {f.name for f in soundfonts_for_split(s, installed_only=False)} for s in SPLITS}
    fams = {s: {f.family for f in soundfonts_for_split(s, installed_only=False)} for s in SPLITS}
    voices = {s: set(voices_for_split(s)) for s in SPLITS}
    for held in ("validation", "test"):
        assert not by_split[held] & by_split["train"]
        assert not fams[held] & fams["train"]
        assert not voices[held] & voices["train"]
    assert not by_split["test"] & by_split["validation"] and not voices["test"] & voices["validation"]
    need_band_sources("test")
    for split in ("validation", "test"):
        need_band_sources(split)
        for seed in range(3):
            _, _, part = _render(split, seed, vocals=espeak_available())
            for st in part.stems:
                if st.role == "vocals":
                    assert st.source.split(":", 1)[1].split("+")[0] in voices[split]
                else:
                    assert st.source.split(":", 1)[0] in by_split[split]


def test_vocals_sung_and_spoken() -> None:
    _need_espeak()
    from drumscribe_training.synth.band.harmony import beat_grid, make_song
    from drumscribe_training.synth.band.parts import make_notes
    from drumscribe_training.synth.band.vocals import render_vocals

    s = BandSettings()
    grid = beat_grid(quarter_s=0.5, time_signature="4-4", duration_s=8.0)
    song = make_song(np.random.default_rng(0), style="pop", n_bars=grid.n_bars + 1, settings=s)
    line = make_notes(
        "melody", np.random.default_rng(1), grid=grid, song=song, settings=s, kicks_s=np.zeros(0)
    )
    n = 8 * SAMPLE_RATE
    modes = set()
    for seed in range(6):
        audio, mode, onsets = render_vocals(
            np.random.default_rng(seed), voice="en-us+f2", melody=line, grid=grid, n_samples=n, settings=s
        )
        assert audio.shape == (n,) and np.abs(audio).max() > 0.01 and onsets
        modes.add(mode)
    assert modes == {"sung", "spoken"}


def test_synth_band_adds_parts_without_touching_drums(tmp_path: Path) -> None:
    need_band_sources("train")
    from drumscribe_training.synth.writer import CSV_NAME, SynthSettings, write_dataset

    settings = SynthSettings(hours=0.002, seed=5, kits=("tiny",), split_kits=True, procedural_fraction=1.0,
                             realism=0.0, clip_seconds=(2.0, 3.0))  # fmt: skip

    def digest(root: Path) -> dict[str, str]:
        files = [p for p in root.rglob("*") if p.is_file() and p.suffix in (".wav", ".midi", ".csv")]
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    plain = tmp_path / "plain"
    write_dataset(plain, settings, progress=False)
    before = digest(plain)
    band = BandSettings(instruments=(1, 2))
    write_dataset(plain, settings, progress=False, band=band)
    after = digest(plain)
    assert {k: v for k, v in after.items() if k in before} == before  # drums and E-GMD CSV unchanged
    rows = read_band_manifest(plain)
    import csv

    with open(plain / CSV_NAME, newline="") as fh:
        clips = [r for r in csv.DictReader(fh)]
    assert {r["audio_filename"] for r in clips} == set(rows)
    import soundfile as sf

    for r in clips:
        bp = band_path(plain, r["audio_filename"])
        assert bp is not None and bp.name == Path(band_filename(r["audio_filename"])).name
        assert sf.info(str(bp)).frames == sf.info(str(plain / r["audio_filename"])).frames
        assert rows[r["audio_filename"]].split == r["split"]
    # rendered with the set from the start: the same band bytes (reproducible per seed)
    fresh = tmp_path / "fresh"
    write_dataset(fresh, settings, progress=False, band=band)
    assert digest(fresh) == after
    # a resume keeps everything
    write_dataset(fresh, settings, progress=False, band=band)
    assert digest(fresh) == after


def test_band_splits_render_parts_for_those_splits_only(tmp_path: Path) -> None:
    need_band_sources("validation")
    need_band_sources("test")
    import csv

    from drumscribe_training.synth.writer import CSV_NAME, SynthSettings, write_dataset

    settings = SynthSettings(hours=0.004, seed=6, kits=("tiny",), split_kits=True, procedural_fraction=1.0,
                             realism=0.0, clip_seconds=(2.0, 3.0))  # fmt: skip
    root = tmp_path / "eval-mixes"
    write_dataset(root, settings, progress=False, band=BandSettings(instruments=(1, 2)),
                  band_splits=("validation", "test"))  # fmt: skip
    with open(root / CSV_NAME, newline="") as fh:
        clips = list(csv.DictReader(fh))
    assert {r["split"] for r in clips} == {"train", "validation", "test"}
    with_band = {r["audio_filename"] for r in clips if band_path(root, r["audio_filename"]) is not None}
    assert with_band == {r["audio_filename"] for r in clips if r["split"] != "train"}
    assert set(read_band_manifest(root)) == with_band
