"""Re-voiced pieces (drumscribe_training.synth.variation): virtual kits from one kit."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from drumscribe_training.cli import main as train_main
from drumscribe_training.config import ConfigError, load_config, piece_variation
from drumscribe_training.synth import ClipRenderer, PieceVariation
from drumscribe_training.synth.events import SAMPLE_RATE
from drumscribe_training.synth.variation import LANE_GROUPS, Voicing
from drumscribe_training.synth.writer import META_NAME

REPO = Path(__file__).resolve().parents[3]


def _variation(probability: float, decay_probability: float = 0.5) -> PieceVariation:
    d = load_config().data  # the ranges of the default config
    return PieceVariation(
        probability=probability,
        semitones=tuple(d.piece_semitones),
        decay_s=tuple(d.piece_decay_s),
        decay_probability=decay_probability,
    )


def test_off_draws_no_random_numbers() -> None:
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    assert _variation(0.0).draw(a) == {}
    assert a.random() == b.random()  # the stream is untouched: renders stay byte-identical


def test_every_group_revoiced_at_probability_one_and_toms_share_a_draw() -> None:
    rng = np.random.default_rng(0)
    faded = 0
    for _ in range(20):
        v = _variation(1.0).draw(rng)
        assert set(v) == {lane for lanes in LANE_GROUPS.values() for lane in lanes}
        assert v["hi_tom"] == v["mid_tom"] == v["low_tom"]  # tom order kept
        lo, hi = load_config().data.piece_semitones
        assert all(lo <= x.semitones <= hi for x in v.values())
        faded += sum(x.decay_s is not None for x in v.values())
    assert 0 < faded < 20 * 8  # decay_probability 0.5: some tails faded, not all
    assert len({_variation(1.0).draw(rng)["kick"].semitones for _ in range(5)}) == 5


def test_groups_limit_what_is_revoiced() -> None:
    pv = dataclasses.replace(_variation(1.0), groups=("kick", "toms"))
    assert set(pv.draw(np.random.default_rng(1))) == {"kick", "hi_tom", "mid_tom", "low_tom"}
    with pytest.raises(ValueError, match=r"groups \['cowbell'\] unknown"):
        dataclasses.replace(pv, groups=("cowbell",))


def test_voicing_retunes_like_a_sampler_and_fades_the_tail() -> None:
    sr = SAMPLE_RATE
    t = np.arange(sr, dtype=np.float32) / sr
    shot = (20000 * np.sin(2 * np.pi * 220.0 * t) * np.exp(-t / 2.0)).astype(np.float32)

    def peak_hz(x: np.ndarray) -> float:
        spec = np.abs(np.fft.rfft(x[:8192]))
        return float(np.argmax(spec) * sr / 8192)

    up = Voicing(semitones=12.0, decay_s=None).apply(shot, sr)
    assert abs(up.shape[0] - sr // 2) <= 2  # an octave up is half as long
    assert abs(peak_hz(up) - 440.0) < 8.0 and abs(peak_hz(shot) - 220.0) < 8.0
    faded = Voicing(semitones=0.0, decay_s=0.05).apply(shot, sr)
    assert faded.shape == shot.shape and faded[0] == shot[0]  # the onset stays
    tail = slice(int(0.5 * sr), None)
    ratio_db = 10 * np.log10(np.sum(faded[tail] ** 2) / np.sum(shot[tail] ** 2))
    assert ratio_db < -60.0  # 0.5 s is 10 time constants: -87 dB
    assert np.array_equal(Voicing(0.0, None).apply(shot, sr), shot)


def test_shelf_darkens_or_brightens_and_keeps_the_peak() -> None:
    sr = SAMPLE_RATE
    rng = np.random.default_rng(0)
    t = np.arange(sr, dtype=np.float32) / sr
    shot = (8000 * rng.standard_normal(sr) * np.exp(-t / 0.3)).astype(np.float32)  # a cymbal-ish hiss
    freqs = np.fft.rfftfreq(sr, 1 / sr)

    def high_share(x: np.ndarray) -> float:  # energy share above 8 kHz
        power = np.abs(np.fft.rfft(x)) ** 2
        return float(power[freqs > 8000].sum() / power.sum())

    dark = Voicing(0.0, None, shelf_db=-12.0).apply(shot, sr)
    bright = Voicing(0.0, None, shelf_db=6.0).apply(shot, sr)
    assert high_share(dark) < 0.5 * high_share(shot) < high_share(bright)
    for x in (dark, bright):
        assert x.shape == shot.shape and x.dtype == np.float32
        assert np.isclose(np.abs(x).max(), np.abs(shot).max(), rtol=1e-4)  # loudness by peak kept
    assert np.array_equal(Voicing(0.0, None, shelf_db=0.0).apply(shot, sr), shot)


def test_shelf_range_is_drawn_per_group_and_off_by_default() -> None:
    assert not _variation(1.0).shelves()
    assert all(v.shelf_db == 0.0 for v in _variation(1.0).draw(np.random.default_rng(2)).values())
    pv = dataclasses.replace(_variation(1.0), shelf_db=(-15.0, 6.0), groups=("toms", "ride"))
    gains = [pv.draw(np.random.default_rng(i)) for i in range(10)]
    assert all(-15.0 <= v["ride"].shelf_db <= 6.0 for v in gains)
    assert all(v["hi_tom"].shelf_db == v["low_tom"].shelf_db for v in gains)  # one draw per group
    assert len({v["ride"].shelf_db for v in gains}) == 10
    with pytest.raises(ValueError, match="shelf_db must be"):
        dataclasses.replace(pv, shelf_db=(6.0, -6.0))
    with pytest.raises(ValueError, match="shelf_hz must be > 0"):
        dataclasses.replace(pv, shelf_hz=0.0)


def test_a_group_can_have_its_own_semitone_range() -> None:
    plain = _variation(1.0)
    wide = dataclasses.replace(plain, group_semitones={"toms": (-7.0, 7.0)})
    draws = [(plain.draw(np.random.default_rng(i)), wide.draw(np.random.default_rng(i))) for i in range(40)]
    for a, b in draws:  # one draw per group either way: the other groups' voicings are unchanged
        assert all(a[lane] == b[lane] for lane in a if lane not in LANE_GROUPS["toms"])
        assert b["hi_tom"].semitones == b["mid_tom"].semitones == b["low_tom"].semitones
        assert -7.0 <= b["hi_tom"].semitones <= 7.0
    assert max(abs(b["hi_tom"].semitones) for _, b in draws) > 3.0  # beyond piece_semitones
    with pytest.raises(ValueError, match="semitones of toms must be"):
        dataclasses.replace(plain, group_semitones={"toms": (7.0, -7.0)})
    with pytest.raises(ValueError, match="cowbell"):
        dataclasses.replace(plain, group_semitones={"cowbell": (-1.0, 1.0)})


def test_renderer_revoices_the_audio_but_not_the_labels() -> None:
    def render(pv: PieceVariation | None):  # type: ignore[no-untyped-def]
        r = ClipRenderer("train", 16000, kits=["tiny"], procedural_fraction=1.0, piece_variation=pv)
        return r.render(duration_s=4.0, rng=np.random.default_rng(42))

    plain, off, on = render(None), render(_variation(0.0)), render(_variation(1.0))
    assert np.array_equal(plain.audio, off.audio)  # probability 0 = the renderer as before
    assert plain.events == on.events and plain.events  # the groove and its labels are the same
    assert not np.allclose(plain.audio, on.audio, atol=1e-3)
    assert np.all(np.isfinite(on.audio)) and np.abs(on.audio).max() <= 1.0


def test_config_keys_and_their_errors(tmp_path: Path) -> None:
    assert piece_variation(load_config()) is None  # off by default
    pv = piece_variation(load_config(), probability=0.25)
    assert pv is not None and pv.probability == 0.25
    bad = tmp_path / "bad.yaml"
    base = str(REPO / "configs" / "default_config.yaml")
    bad.write_text(yaml.safe_dump({"base": base, "data": {"piece_decay_s": [0.0, 0.5]}}))
    with pytest.raises(ConfigError, match=r"bad\.yaml: data\.piece_\*: .*decay_s"):
        load_config(bad)
    bad.write_text(yaml.safe_dump({"base": base, "data": {"piece_groups": ["kick", "cowbell"]}}))
    with pytest.raises(ConfigError, match=r"data\.piece_\*: .*cowbell"):
        load_config(bad)
    bad.write_text(yaml.safe_dump({"base": base, "data": {"piece_variation": 1.5}}))
    with pytest.raises(ConfigError, match=r"data\.piece_\*: .*probability"):
        load_config(bad)
    bad.write_text(yaml.safe_dump({"base": base, "data": {"piece_shelf_db": [3.0, -3.0]}}))
    with pytest.raises(ConfigError, match=r"data\.piece_\*: .*shelf_db"):
        load_config(bad)
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump({"base": base, "data": {"piece_group_semitones": {"toms": [-7, 7]}}}))
    pv = piece_variation(load_config(good), probability=1.0)
    assert pv is not None and pv.group_semitones == {"toms": (-7.0, 7.0)}


def test_cli_renders_a_revoiced_set_and_records_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "revoiced"
    argv = ["synth", "--out", str(out), "--hours", "0.004", "--seed", "3", "--kits", "tiny",
            "--procedural-fraction", "1", "--clip-seconds", "2", "3", "--no-progress"]  # fmt: skip
    assert train_main([*argv, "--piece-variation", "0.5"]) == 0, capsys.readouterr().err
    meta = json.loads((out / META_NAME).read_text())
    assert meta["piece_variation"]["probability"] == 0.5
    assert meta["piece_variation"]["semitones"] == list(load_config().data.piece_semitones)
    assert "shelf_db" not in meta["piece_variation"]  # no shelf: as written before it existed
    assert "group_semitones" not in meta["piece_variation"]  # likewise without per-group ranges
    capsys.readouterr()
    assert train_main(argv) == 2  # resuming the folder without it: other settings
    assert "piece_variation" in capsys.readouterr().err
    assert train_main([*argv[:2], str(tmp_path / "x"), *argv[3:], "--piece-variation", "2"]) == 2
    assert "--piece-variation must be within 0..1" in capsys.readouterr().err
    assert train_main(["synth", "--list-kits"]) == 0  # no --out or --hours needed
    assert "synthkit-000" in capsys.readouterr().out


def test_settings_record_per_group_ranges_only_when_set() -> None:
    from drumscribe_training.synth.writer import SynthSettings

    def meta(pv: PieceVariation) -> dict:  # type: ignore[type-arg]
        s = SynthSettings(
            hours=0.1, seed=1, kits=None, split_kits=True, procedural_fraction=0.5, realism=0.5,
            piece_variation=pv,
        )  # fmt: skip
        return s.as_json()["piece_variation"]  # type: ignore[return-value]

    assert "group_semitones" not in meta(_variation(0.5))
    wide = dataclasses.replace(_variation(0.5), group_semitones={"toms": (-7.0, 7.0)})
    assert meta(wide)["group_semitones"] == {"toms": [-7.0, 7.0]}
    assert json.loads(json.dumps(meta(wide))) == meta(wide)
