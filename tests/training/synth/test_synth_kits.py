"""The kit registry, kit building and label alignment of every kit and note."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from synth_helpers import require_installed

from drumscribe_training.synth import registry
from drumscribe_training.synth.events import SAMPLE_RATE, NoteEvent, roland_notes
from drumscribe_training.synth.kitmodel import (
    PREROLL,
    load_bank,
    onset_index,
    save_bank,
    trim_one_shot,
)
from drumscribe_training.synth.mixer import KitPlayer, render_dry
from drumscribe_training.synth.registry import (
    KIT_NAMES,
    KitError,
    KitSpec,
    kit_names,
    load_kit,
    resolve_kits,
)
from drumscribe_training.synth.tinykit import build_tiny_kit

HELD_OUT = {"ForzeeStereo", "AVL Red Zeppelin", "BJA_Pacific", "Audiophob", "FluidR3 TR-808"}
ONSET_S = 0.25


def _onset_error_s(kit, split_kits, note: int, velocity: int, seed: int) -> float:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    player = KitPlayer.create(kit, split_kits, rng)
    assert player.playable(note), f"{kit.name}: note {note} cannot be played"
    audio = render_dry([NoteEvent(ONSET_S, note, velocity)], player, int(0.8 * SAMPLE_RATE), rng)
    assert np.abs(audio).max() > 0, f"{kit.name}: note {note} is silent"
    return onset_index(audio) / SAMPLE_RATE - ONSET_S


def test_registry_splits_are_disjoint_and_hold_out_the_suggested_kits() -> None:
    assert set(kit_names("test")) == HELD_OUT
    splits = {s: set(kit_names(s)) for s in ("train", "validation", "test")}
    assert not splits["train"] & splits["validation"]
    assert not splits["train"] & splits["test"]
    assert not splits["validation"] & splits["test"]
    assert len(splits["validation"]) >= 3
    assert "tiny" in KIT_NAMES and all(n in KIT_NAMES for s in splits.values() for n in s)
    assert len(KIT_NAMES) == len(set(KIT_NAMES))


def test_extra_kits_join_a_split_only_when_asked_for() -> None:
    extra = {s.name for s in registry.KIT_SPECS if s.extra}
    assert extra == {"Sonic Pi Acoustic", "LMMS", "STK"}
    assert not extra & set(kit_names("train"))  # earlier recipes keep their kits
    assert set(kit_names("train", extra=True)) == set(kit_names("train")) | extra
    assert kit_names("test", extra=True) == kit_names("test")  # none is held out
    require_installed(sorted(extra))
    assert set(resolve_kits("train", None, extra_kits=True)) - set(resolve_kits("train", None)) == extra
    assert resolve_kits("train", ["STK"]) == ("STK",)  # a named extra kit needs no flag


def _write_pcm16_be(path: Path, x: np.ndarray) -> None:
    path.write_bytes((np.clip(x, -1, 1) * 32767).astype(">i2").tobytes())


def test_files_kit_reads_layers_and_raw_rawwaves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import soundfile as sf

    root = tmp_path / "cache" / "packages" / "some-package" / "usr" / "share" / "drums"
    root.mkdir(parents=True)
    t = np.arange(int(0.3 * 44100)) / 44100
    decay = np.exp(-t / 0.05)
    sf.write(root / "kick_soft.wav", 0.3 * np.sin(2 * np.pi * 60 * t) * decay, 44100)
    sf.write(root / "kick_hard.wav", 0.9 * np.sin(2 * np.pi * 60 * t) * decay, 44100)
    t22 = np.arange(int(0.5 * 22050)) / 22050
    ride = 0.5 * np.sin(2 * np.pi * 3000 * t22) * np.exp(-t22 / 0.3)
    _write_pcm16_be(root / "ride.raw", ride)  # STK rawwave: headerless, big-endian, 22.05 kHz
    monkeypatch.setenv("DRUMSCRIBE_KIT_CACHE", str(tmp_path / "cache"))
    spec = KitSpec("Files", "files", "train", "some-package", "MIT", "usr/share/drums",
                   mapping={36: ("kick_soft.wav|kick_hard.wav",), 51: ("ride.raw",)})  # fmt: skip
    assert spec.installed()
    kit = registry.build_kit(spec)
    (kick,) = kit.voices_for(36)
    assert [(la.lo, la.hi) for la in kick.layers] == [(0.0, 0.5), (0.5, 1.0)]  # softest first
    (ride_voice,) = kit.voices_for(51)
    (shot,) = ride_voice.layers[0].shots
    audio = np.asarray(kit.audio[shot[0] : shot[0] + shot[1]])
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * 44100 / len(audio) - 3000) < 20  # read at 22.05 kHz, not 44.1
    assert abs(audio[-1]) < 1e-3  # cut-off one-shots end in a fade
    for note in (36, 51):
        assert abs(_onset_error_s(kit, [], note, 100, note)) <= 0.001
    (root / "ride.raw").unlink()
    assert not spec.installed()


def test_resolve_kits_keeps_the_split() -> None:
    assert resolve_kits("test", ["tiny"]) == ("tiny",)
    with pytest.raises(KitError, match="belongs to the test split"):
        resolve_kits("test", ["FluidR3 Standard"])
    with pytest.raises(KitError, match="unknown kit 'Foo'"):
        resolve_kits("train", ["Foo"])
    with pytest.raises(ValueError, match="unknown split"):
        kit_names("val")


def test_missing_package_error_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(registry, "HYDROGEN_DIR", tmp_path / "nothing")
    monkeypatch.setattr(registry, "SF2_DIR", tmp_path / "nothing")
    monkeypatch.setenv("DRUMSCRIBE_KIT_CACHE", str(tmp_path / "no-banks"))
    with pytest.raises(KitError) as err:
        resolve_kits("test", None)
    msg = str(err.value)
    assert "'ForzeeStereo'" in msg and "scripts/setup_kits.sh" in msg
    assert "hydrogen-drumkits" in msg and "avldrums.lv2-soundfont" in msg
    monkeypatch.setattr(registry, "_LOADED", {})
    with pytest.raises(
        KitError,
        match=r"kit 'BJA_Pacific' not found; run scripts/setup_kits.sh \(needs Debian package hydrogen-drumkits\)",
    ):
        load_kit("BJA_Pacific")


def test_a_copied_bank_loads_without_its_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A training machine with the banks copied over but no Debian packages: the bank is
    # used as it is (no source to check its signature against); without it, the error.
    monkeypatch.setattr(registry, "HYDROGEN_DIR", tmp_path / "nothing")
    monkeypatch.setenv("DRUMSCRIBE_KIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(registry, "_LOADED", {})
    assert registry.missing_kits(["BJA_Pacific", "tiny"]) == ["BJA_Pacific"]
    with pytest.raises(KitError, match="hydrogen-drumkits"):
        load_kit("BJA_Pacific")
    kit = build_tiny_kit()
    index, samples = registry.bank_files("BJA_Pacific")
    assert index.parent == samples.parent == tmp_path / "cache" / "banks"
    save_bank(kit, index.with_suffix(""), "signature-of-another-machine")
    assert registry.missing_kits(["BJA_Pacific"]) == []
    back = load_kit("BJA_Pacific")
    assert back.notes == kit.notes
    np.testing.assert_array_equal(np.asarray(back.audio), kit.audio)


def test_tiny_kit_plays_every_note_with_layers_and_round_robin() -> None:
    kit = load_kit("tiny")
    assert set(kit.notes) == set(roland_notes())
    for note in roland_notes():
        (voice,) = kit.voices_for(note)
        assert len(voice.layers) == 2 and all(len(la.shots) == 2 for la in voice.layers)
        assert voice.pick_layer(20).hi <= 0.5 < voice.pick_layer(120).hi


def test_trim_one_shot_removes_latency_and_keeps_a_short_preroll() -> None:
    x = np.zeros(4000, np.float32)
    x[1000:] = np.sin(np.arange(3000) * 0.3) * np.exp(-np.arange(3000) / 500)
    x[:1000] = 1e-5  # quiet lead-in below -40 dB
    y, cut = trim_one_shot(x, max_s=1.0)
    assert cut == onset_index(x) - PREROLL
    assert onset_index(y) == PREROLL
    assert y[0] == 0.0  # faded in


def test_bank_round_trip(tmp_path: Path) -> None:
    kit = build_tiny_kit()
    save_bank(kit, tmp_path / "tiny", "sig1")
    assert load_bank(tmp_path / "tiny", "other-signature") is None
    back = load_bank(tmp_path / "tiny", "sig1")
    assert back is not None
    assert back.notes == kit.notes and back.voices == kit.voices
    np.testing.assert_array_equal(np.asarray(back.audio), kit.audio)
    assert not list(tmp_path.glob(".*tmp"))


def _write_h2_kit(root: Path) -> None:
    import soundfile as sf

    root.mkdir(parents=True)
    t = np.arange(8000) / SAMPLE_RATE
    for i, (f, decay) in enumerate([(60, 0.2), (200, 0.1), (210, 0.1), (150, 0.3), (100, 0.4)]):
        wave = np.sin(2 * np.pi * f * t) * np.exp(-t / decay)
        pad = np.concatenate([np.zeros(300), wave])  # 300 samples of silence before the hit
        sf.write(root / f"s{i}.wav", np.stack([pad, pad], 1), SAMPLE_RATE if i else 48000)
    ns = "http://www.hydrogen-music.org/drumkit"
    root.joinpath("drumkit.xml").write_text(
        f"""<?xml version="1.0"?>
<drumkit_info xmlns="{ns}"><name>t</name><instrumentList>
 <instrument><id>0</id><name>Kick</name><volume>1</volume><gain>1</gain>
  <instrumentComponent><layer><filename>s0.wav</filename><min>0</min><max>1</max><gain>1</gain><pitch>0</pitch></layer></instrumentComponent>
 </instrument>
 <instrument><id>1</id><name>Snare</name>
  <layer><filename>s1.wav</filename><min>0</min><max>0.5</max><gain>0.5</gain><pitch>0</pitch></layer>
  <layer><filename>s2.wav</filename><min>0.5</min><max>1</max><gain>1</gain><pitch>0</pitch></layer>
  <layer><filename>s1.wav</filename><min>0.5</min><max>1</max><gain>1</gain><pitch>2</pitch></layer>
 </instrument>
 <instrument><id>2</id><name>Tom Hi</name><filename>s3.wav</filename></instrument>
 <instrument><id>3</id><name>Floor</name><filename>s4.wav</filename></instrument>
 <instrument><id>4</id><name>Empty</name></instrument>
</instrumentList></drumkit_info>""",
        encoding="utf-8",
    )


def test_hydrogen_kit_layers_round_robin_and_derived_tom(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _write_h2_kit(tmp_path / "h2" / "MyKit")
    monkeypatch.setattr(registry, "HYDROGEN_DIR", tmp_path / "h2")
    spec = KitSpec("MyKit", "hydrogen", "train", "test-package", "MIT", "MyKit",
                   mapping={36: ("Kick",), 38: ("Snare",), 48: ("Tom Hi",), 43: ("Floor",)})  # fmt: skip
    kit = registry.build_kit(spec)
    (snare,) = kit.voices_for(38)
    assert [len(la.shots) for la in snare.layers] == [1, 2]  # soft layer; two round-robin hard shots
    assert kit.voices_for(45), "the missing mid tom is derived from a neighbour"
    assert "derived 45" in kit.info["completed"]  # type: ignore[operator]
    assert kit.voices_for(40) == kit.voices_for(38)  # rim falls back to the head
    assert 46 not in kit.notes  # nothing to stand in for an open hi-hat: a donor kit plays it
    for note in (36, 38, 48, 45, 43):
        assert abs(_onset_error_s(kit, [], note, 100, note)) <= 0.001
    bad = KitSpec("MyKit", "hydrogen", "train", "p", "MIT", "MyKit", mapping={36: ("Nope",)})
    with pytest.raises(KitError, match="no instrument 'Nope'"):
        registry.build_kit(bad)


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_every_kit_and_lane_starts_within_1ms_of_its_onset(split: str) -> None:
    """Isolated hits of every note of every kit (donors included) at three velocities."""
    names = kit_names(split, extra=True)
    require_installed(names)
    kits = [load_kit(n) for n in names]
    worst = 0.0
    for kit in [*kits, load_kit("tiny")]:
        for note in roland_notes():
            for vel in (12, 70, 127):
                err = _onset_error_s(kit, kits, note, vel, seed=note * 7 + vel)
                assert abs(err) <= 0.001, f"{kit.name} note {note} vel {vel}: onset off by {err * 1e3:.2f} ms"
                worst = max(worst, abs(err))
    assert worst <= 0.001


def test_no_one_shot_is_shared_between_splits() -> None:
    names = [n for n in KIT_NAMES if n != "tiny"]
    require_installed(names)
    ids = {
        s: set().union(*(load_kit(n).sample_ids() for n in kit_names(s)))
        for s in ("train", "validation", "test")
    }
    assert all(ids.values())
    assert not ids["train"] & ids["test"], sorted(ids["train"] & ids["test"])[:5]
    assert not ids["train"] & ids["validation"], sorted(ids["train"] & ids["validation"])[:5]
    assert not ids["validation"] & ids["test"], sorted(ids["validation"] & ids["test"])[:5]


def _shot_heads(name: str, n: int = 4096) -> np.ndarray:
    """The first ``n`` samples of each distinct one-shot of a kit, unit-norm rows."""
    kit = load_kit(name)
    audio = np.asarray(kit.audio)
    spans = {shot for note in kit.notes for v in kit.voices_for(note) for la in v.layers for shot in la.shots}
    rows = np.zeros((len(spans), n))
    for i, (off, length) in enumerate(sorted(spans)):
        head = audio[off : off + min(length, n)]
        rows[i, : len(head)] = head / (np.linalg.norm(head) + 1e-12)
    return rows


def test_extra_kits_share_no_recording_with_held_out_kits() -> None:
    """md5s differ between a WAV and an OGG of one recording: compare the audio (max normalised
    cross-correlation over lags). Different drums of one kind stay below 0.92 here; the LMMS
    files that are TimGM6mb's recordings, left out of the LMMS kit, reach 0.97-0.99."""
    extra = [s.name for s in registry.KIT_SPECS if s.extra]
    held = [n for split in ("validation", "test") for n in kit_names(split)]
    require_installed(extra + held)
    a = np.fft.rfft(np.concatenate([_shot_heads(n) for n in extra]), 8192)
    b = np.fft.rfft(np.concatenate([_shot_heads(n) for n in held]), 8192)
    worst = max(float(np.abs(np.fft.irfft(row[None, :] * np.conj(b), 8192)).max()) for row in a)
    assert worst < 0.95


def test_soundfont_velocity_layers() -> None:
    require_installed(["FluidR3 Standard"])
    from drumscribe_training.synth.sf2 import list_presets, read_preset_zones

    sf2 = registry.SF2_DIR / "FluidR3_GM.sf2"
    assert (128, 25, "TR-808") in list_presets(sf2)
    kick = {(z.vel_lo, z.vel_hi) for z in read_preset_zones(sf2, 128, 0) if z.key == 36}
    assert len(kick) == 7
    (voice,) = load_kit("FluidR3 Standard").voices_for(36)
    assert len(voice.layers) == 7 and voice.relative_velocity


_TOM_LANES = {"hi_tom": (48, 50), "mid_tom": (45, 47), "low_tom": (43, 58)}


def _loudest_shots(kit, notes: tuple[int, ...]) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    return [
        np.asarray(kit.shot(v.layers[-1].shots[0]), dtype=np.float64)
        for n in notes
        for v in kit.voices_for(n)
    ]


def _f0_hz(x: np.ndarray) -> float:
    """The strongest spectral peak of a tom's first 0.5 s between 40 and 600 Hz."""
    x = x[: SAMPLE_RATE // 2]
    n = 1 << 17
    mag = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    band = (freqs > 40) & (freqs < 600)
    return float(freqs[band][np.argmax(mag[band])])


def test_no_two_tom_lanes_of_a_training_kit_play_one_sound() -> None:
    """Two tom lanes playing the same recording at the same pitch teach the model to guess
    (Millo_MultiLayered2's Tom Hi and Tom Mid share their files; docs/DATA.md "Tom lanes")."""
    names = kit_names("train", extra=True)
    require_installed(names)
    for name in names:
        kit = load_kit(name)
        heads = {}
        for lane, notes in _TOM_LANES.items():
            rows = [x[:4096] / (np.linalg.norm(x[:4096]) + 1e-12) for x in _loudest_shots(kit, notes)]
            heads[lane] = [np.pad(r, (0, 4096 - len(r))) for r in rows]
        lanes = list(heads)
        for i, a in enumerate(lanes):
            for b in lanes[i + 1 :]:
                # a kit without a lane's drum borrows it from a donor kit when rendering
                same = max((float(np.dot(x, y)) for x in heads[a] for y in heads[b]), default=0.0)
                assert same < 0.99, f"{name}: {a} and {b} play the same sound (correlation {same:.3f})"


def test_soundfont_training_kits_order_their_tom_lanes_by_pitch() -> None:
    """Every voice of a higher tom lane sounds at least a semitone above every voice of the
    lane below (FluidR3 Standard's GM keys 45 and 43 are one pitch: GM_KEYS_SPREAD_TOMS)."""
    names = [s.name for s in registry.KIT_SPECS if s.kind == "sf2" and s.split == "train"]
    require_installed(names)
    semitone = 2 ** (1 / 12)
    for name in names:
        kit = load_kit(name)
        f0 = {lane: [_f0_hz(x) for x in _loudest_shots(kit, notes)] for lane, notes in _TOM_LANES.items()}
        for upper, lower in (("hi_tom", "mid_tom"), ("mid_tom", "low_tom")):
            assert min(f0[upper]) > semitone * max(f0[lower]), (
                f"{name}: {upper} {f0[upper]} vs {lower} {f0[lower]}"
            )
