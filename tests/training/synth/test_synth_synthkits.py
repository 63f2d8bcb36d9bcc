"""Kits synthesised in code (``synthkit-NNN``): determinism, notes, layers, tom pitch order,
onsets, train-only registration, and their use on the fly and in the writer."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from drumscribe_training.cli import main as train_main
from drumscribe_training.synth import registry
from drumscribe_training.synth.events import SAMPLE_RATE, NoteEvent, roland_notes
from drumscribe_training.synth.kitmodel import Kit, onset_index
from drumscribe_training.synth.mixer import KitPlayer, render_dry
from drumscribe_training.synth.registry import (
    KIT_NAMES,
    KitError,
    get_spec,
    kit_names,
    load_kit,
    resolve_kits,
)
from drumscribe_training.synth.render import ClipRenderer
from drumscribe_training.synth.synthkits import (
    build_synth_kit,
    design_synth_kit,
    synth_kit_index,
    synth_kit_name,
    synth_kit_names,
    tom_frequencies,
)
from drumscribe_training.synth.writer import CSV_NAME, META_NAME, SynthSettings

#: A few kits to measure (one build takes a few tenths of a second).
KIT_INDICES = (0, 1, 2, 3, 5, 8, 13, 21)
TOMS = (48, 45, 43)  # high, mid, low


@pytest.fixture(scope="module")
def kits() -> dict[int, Kit]:
    return {i: build_synth_kit(i) for i in KIT_INDICES}


def _shots(kit: Kit, note: int) -> list[list[np.ndarray]]:
    """The one-shots of a note's voice, per velocity layer (soft to hard), as float."""
    (voice,) = kit.voices_for(note)
    return [[kit.shot(s).astype(np.float64) / 32767.0 for s in la.shots] for la in voice.layers]


def _peak_hz(x: np.ndarray, lo: float = 30.0, hi: float = 1000.0) -> float:
    """Frequency of the strongest spectral peak of the first 0.5 s within lo..hi Hz."""
    seg = x[: SAMPLE_RATE // 2]
    n = 1 << 17
    mag = np.abs(np.fft.rfft(seg * np.hanning(seg.size), n))
    f = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    band = (f >= lo) & (f <= hi)
    return float(f[band][np.argmax(mag[band])])


def _rms(x: np.ndarray, seconds: float = 0.1) -> float:
    return float(np.sqrt(np.mean(x[: int(seconds * SAMPLE_RATE)] ** 2)))


def _centroid_hz(x: np.ndarray) -> float:
    """Power-weighted spectral centroid of the first 0.2 s."""
    seg = x[: SAMPLE_RATE // 5]
    p = np.abs(np.fft.rfft(seg)) ** 2
    f = np.fft.rfftfreq(seg.size, 1.0 / SAMPLE_RATE)
    return float((p * f).sum() / p.sum())


def test_names_round_trip_and_only_canonical_names_are_kits() -> None:
    assert synth_kit_name(7) == "synthkit-007" and synth_kit_name(1234) == "synthkit-1234"
    assert synth_kit_index("synthkit-007") == 7 and synth_kit_index("synthkit-1234") == 1234
    for bad in ("synthkit-7", "synthkit-0007", "synthkit-", "Synthkit-007", "tiny", "synthkit-00a"):
        assert synth_kit_index(bad) is None, bad
    assert synth_kit_names(3) == ("synthkit-000", "synthkit-001", "synthkit-002")
    assert synth_kit_names(0) == ()
    with pytest.raises(ValueError):
        synth_kit_names(-1)


def test_same_index_same_kit_other_index_other_kit(kits: dict[int, Kit]) -> None:
    again = build_synth_kit(3)
    np.testing.assert_array_equal(again.audio, kits[3].audio)
    assert again.voices == kits[3].voices and again.notes == kits[3].notes
    assert again.info["design"] == kits[3].info["design"] == design_synth_kit(3)
    assert design_synth_kit(3) != design_synth_kit(5)
    a, b = kits[3], kits[5]
    for note in (36, 38, 42, 48, 49, 51):
        x, y = _shots(a, note)[-1][0], _shots(b, note)[-1][0]
        n = min(x.size, y.size)
        assert not np.allclose(x[:n], y[:n], atol=1e-3), note
    # round-robin shots of one layer differ too
    x, y = _shots(a, 38)[-1]
    assert not np.array_equal(x[: min(x.size, y.size)], y[: min(x.size, y.size)])


def test_every_roland_note_with_layers_and_round_robin(kits: dict[int, Kit]) -> None:
    for i, kit in kits.items():
        assert kit.name == synth_kit_name(i)
        assert set(kit.notes) == set(roland_notes())
        assert len({kit.notes[n][0] for n in roland_notes()}) == len(roland_notes())  # one voice each
        for note in roland_notes():
            (voice,) = kit.voices_for(note)
            assert len(voice.layers) in (2, 3) and all(len(la.shots) == 2 for la in voice.layers)
            assert voice.layers[0].lo == 0.0 and voice.layers[-1].hi == 1.0
            assert voice.pick_layer(10) is voice.layers[0] and voice.pick_layer(127) is voice.layers[-1]
            assert all(np.abs(kit.shot(s)).max() > 0 for la in voice.layers for s in la.shots)
        assert kit.info["licence"] == "generated in code (no samples)"
        # a synthesised kit needs no donor kit for any note
        player = KitPlayer.create(kit, [], np.random.default_rng(i))
        assert all(player.playable(n) for n in roland_notes())


def test_tom_pitch_is_high_over_mid_over_low_in_the_audio(kits: dict[int, Kit]) -> None:
    for i, kit in kits.items():
        peaks = {n: [_peak_hz(x) for layer in _shots(kit, n) for x in layer] for n in TOMS}
        # every shot of the higher tom is at least a semitone above every shot of the lower one
        assert min(peaks[48]) > max(peaks[45]) * 2 ** (1 / 12), (i, peaks)
        assert min(peaks[45]) > max(peaks[43]) * 2 ** (1 / 12), (i, peaks)
        # and the rims keep the pitch of their tom
        rims = {48: 50, 45: 47, 43: 58}
        for head, rim in rims.items():
            hard = _peak_hz(_shots(kit, rim)[-1][0])
            assert abs(np.log2(hard / np.median(peaks[head]))) < 0.25, (i, head, hard, peaks[head])


def test_designed_tom_intervals_are_at_least_2_5_semitones() -> None:
    for i in range(300):
        f = tom_frequencies(design_synth_kit(i))
        assert 12 * np.log2(f[48] / f[45]) >= 2.5 and 12 * np.log2(f[45] / f[43]) >= 2.5
        assert 50 <= f[43] < f[45] < f[48] <= 600


def test_one_shots_start_at_their_onset(kits: dict[int, Kit]) -> None:
    for kit in kits.values():
        # at most 1 ms of lead-in was trimmed from any raw one-shot
        assert max(kit.info["start_latency_ms"].values()) <= 1.0, kit.info["start_latency_ms"]
    onset_s = 0.25
    for kit in (kits[0], kits[1], kits[13]):
        for note in roland_notes():
            for velocity in (30, 127):
                rng = np.random.default_rng(note)
                player = KitPlayer.create(kit, [], rng)
                audio = render_dry([NoteEvent(onset_s, note, velocity)], player, int(0.8 * SAMPLE_RATE), rng)
                mag = np.abs(audio)
                # first sample above -40 dB within 1 ms of the onset, -12 dB within 5 ms
                assert abs(onset_index(audio) / SAMPLE_RATE - onset_s) <= 0.001, (kit.name, note)
                loud = int(np.argmax(mag >= mag.max() * 10 ** (-12 / 20)))
                assert 0 <= loud / SAMPLE_RATE - onset_s <= 0.005, (kit.name, note, velocity)


def test_velocity_layers_are_louder_and_mostly_brighter(kits: dict[int, Kit]) -> None:
    brighter = total = 0
    for kit in kits.values():
        lofi = kit.info["design"]["kit"]["style"] == "lofi"  # quantisation noise: not darker
        for note in roland_notes():
            layers = _shots(kit, note)
            rms = [np.mean([_rms(x) for x in layer]) for layer in layers]
            assert all(a < b for a, b in itertools.pairwise(rms)), (kit.name, note, rms)
            if not lofi:
                c = [np.mean([_centroid_hz(x) for x in layer]) for layer in layers]
                assert c[-1] >= 0.97 * c[0], (kit.name, note, c)
                brighter += c[-1] > 1.01 * c[0]
                total += 1
    assert total and brighter / total > 0.8, (brighter, total)


def test_the_family_spans_styles_and_builds_fast() -> None:
    import time

    styles = {design_synth_kit(i)["kit"]["style"] for i in range(40)}
    assert styles == {"acoustic", "electronic", "lofi"}
    metals = {design_synth_kit(i)["hihat"]["metal"] for i in range(40)}
    assert metals == {"808", "sines", "noise"}
    build_synth_kit(40)  # warm up (imports, noise pool)
    t0 = time.process_time()
    build_synth_kit(41)
    assert time.process_time() - t0 < 2.0  # about 0.3 s of CPU on our 2-core machine


# ---------------------------------------------------------------------------- registry


def test_default_kit_lists_hold_no_synthesised_kit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry.KitSpec, "installed", lambda self: True)
    assert not [n for n in KIT_NAMES if synth_kit_index(n) is not None]
    for split in ("train", "validation", "test"):
        assert resolve_kits(split, None) == kit_names(split)
        assert not [n for n in kit_names(split) if n.startswith("synthkit")]
    assert resolve_kits("train", None, synth_kits=3) == (*kit_names("train"), *synth_kit_names(3))
    assert resolve_kits("train", ["tiny", "synthkit-001"], synth_kits=2) == (
        "tiny",
        "synthkit-001",
        "synthkit-000",
    )


def test_synthesised_kits_are_train_only() -> None:
    spec = get_spec("synthkit-007")
    assert (spec.kind, spec.split, spec.weight) == ("synth", "train", 1.0) and spec.installed()
    assert resolve_kits("train", ["synthkit-007"]) == ("synthkit-007",)
    for split in ("validation", "test"):
        with pytest.raises(KitError, match=r"synthkit-007\) are for training only"):
            resolve_kits(split, ["tiny", "synthkit-007"])
        with pytest.raises(KitError, match="for training only"):
            resolve_kits(split, ["tiny"], synth_kits=2)
        with pytest.raises(KitError, match="for training only"):
            ClipRenderer(split, kits=["synthkit-000"], procedural_fraction=1.0)
    # only an explicit opt-out of the kit split lets them into a held-out split
    assert resolve_kits("test", ["synthkit-007"], split_kits=False) == ("synthkit-007",)
    with pytest.raises(KitError, match=r"unknown kit 'synthkit-7' \(did you mean 'synthkit-007'\?\)"):
        get_spec("synthkit-7")
    with pytest.raises(ValueError):
        resolve_kits("train", ["tiny"], synth_kits=-1)


def test_load_kit_builds_in_code_and_caches_per_process() -> None:
    kit = load_kit("synthkit-002")
    assert kit is load_kit("synthkit-002")
    np.testing.assert_array_equal(kit.audio, build_synth_kit(2).audio)
    assert kit.info["split"] == "train" and kit.info["index"] == 2


# ---------------------------------------------------------------------------- use


def test_on_the_fly_render_with_synth_kits() -> None:
    r = ClipRenderer("train", 16000, seed=0, kits=["tiny"], procedural_fraction=1.0, synth_kits=2)
    assert r.kit_names == ("tiny", "synthkit-000", "synthkit-001")
    seen = set()
    for seed in range(8):
        clip = r.render(3.0, rng=np.random.default_rng(seed))
        assert clip.audio.shape == (48000,) and clip.audio.dtype == np.float32
        assert np.all(np.isfinite(clip.audio)) and 0 < np.abs(clip.audio).max() <= 1.0
        assert clip.events and all(0.0 <= e.time_s < 3.0 for e in clip.events)
        seen.add(clip.kit_name)
    assert seen & {"synthkit-000", "synthkit-001"}, seen


def test_writer_settings_stay_as_before_without_synth_kits() -> None:
    base = dict(hours=0.01, seed=1, kits=("tiny",), split_kits=True, procedural_fraction=1.0, realism=1.0)
    plain = SynthSettings(**base).as_json()  # type: ignore[arg-type]
    assert "synth_kits" not in plain and "synth_kit_version" not in plain  # old folders resume
    with_synth = SynthSettings(**base, synth_kits=2).as_json()  # type: ignore[arg-type]
    assert with_synth["synth_kits"] == 2 and with_synth["synth_kit_version"] >= 1
    assert "extra_kits" not in plain  # likewise the extra kits, off by default
    assert SynthSettings(**base, extra_kits=True).as_json()["extra_kits"] is True  # type: ignore[arg-type]


def test_cli_synth_kits_go_to_the_train_split_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli"
    rc = train_main(["synth", "--out", str(out), "--hours", "0.006", "--seed", "2", "--kits", "tiny",
                     "--synth-kits", "2", "--procedural-fraction", "1", "--clip-seconds", "2", "3",
                     "--realism", "0", "--no-progress"])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    rows = list(csv.DictReader((out / CSV_NAME).open()))
    by_split: dict[str, set[str]] = {}
    for row in rows:
        by_split.setdefault(row["split"], set()).add(row["kit_name"])
    assert by_split["validation"] == by_split["test"] == {"tiny"}
    assert by_split["train"] <= {"tiny", "synthkit-000", "synthkit-001"}
    assert by_split["train"] & {"synthkit-000", "synthkit-001"}, by_split
    meta = json.loads((out / META_NAME).read_text())
    assert meta["synth_kits"] == 2 and "synth_kit_version" in meta
    summary = json.loads((out / "synth_summary.json").read_text())
    assert set(summary["splits"]["train"]["kits"]) == by_split["train"]
    capsys.readouterr()
    rc = train_main(["synth", "--out", str(tmp_path / "x"), "--hours", "0.01", "--kits", "synthkit-000"])
    assert rc == 2 and "for training only" in capsys.readouterr().err
    assert train_main(["synth", "--out", str(tmp_path / "y"), "--hours", "0.01", "--synth-kits", "-1"]) == 2
    assert train_main(["synth", "--out", str(out), "--hours", "1", "--list-kits"]) == 0
    assert "synthkit-000" in capsys.readouterr().out
