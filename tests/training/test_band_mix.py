"""Drums and band kept apart by preprocessing and mixed per training example."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from drumscribe_training.config import Config, load_config
from drumscribe_training.data.band_mix import BandMixer, loudness_db, mix_at_level, mix_parts_at_level
from drumscribe_training.data.dataset import CropDataset, FixedCropDataset, ShardIndex, TargetSpec
from drumscribe_training.data.egmd import read_index
from drumscribe_training.data.preprocess import PreprocessOptions, run_preprocess
from drumscribe_training.synth.band import band_filename
from support.band import need_band_sources

SR = 16000


def _tone(n: int, freq: float, sr: int, amp: float = 0.3) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(n) / sr)).astype(np.float32)


def _bursts(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    x = np.zeros(n, dtype=np.float32)
    for start in range(0, n - sr // 10, sr // 4):
        x[start : start + sr // 20] = rng.normal(0, 0.08, sr // 20) * np.exp(-np.arange(sr // 20) / 200.0)
    return x


def test_mix_at_level_sets_the_loudness_difference() -> None:
    rng = np.random.default_rng(0)
    drums = _bursts(SR * 4, SR, rng)
    band = _tone(SR * 4, 220.0, SR, amp=0.01)
    for level in (-6.0, 0.0, 6.0):
        mixed = mix_at_level(drums, band, level_db=level, sample_rate=SR)
        scaled_band = mixed - drums  # no peak limiting at these levels
        got = loudness_db(drums, sample_rate=SR) - loudness_db(scaled_band, sample_rate=SR)
        assert got == pytest.approx(level, abs=0.05)
    loud = mix_at_level(drums, _tone(SR * 4, 220.0, SR, amp=0.9), level_db=-12.0, sample_rate=SR)
    assert np.abs(loud).max() <= 0.99 + 1e-6  # the ceiling holds when the band is far louder


def test_mix_parts_are_the_terms_of_the_mix() -> None:
    """Drums and band as they sit in the mix: their sum is the mix, both scaled by its peak fit."""
    rng = np.random.default_rng(3)
    drums = 3 * _bursts(SR * 4, SR, rng)
    band = _tone(SR * 3, 220.0, SR, amp=0.9)  # shorter: padded; far louder: the peak fit acts
    mixed = mix_at_level(drums, band, level_db=-24.0, sample_rate=SR)
    d, b = mix_parts_at_level(drums, band, level_db=-24.0, sample_rate=SR)
    assert d.shape == b.shape == mixed.shape and d.dtype == b.dtype == np.float32
    np.testing.assert_allclose(d + b, mixed, atol=1e-6)
    scale = float(np.abs(d).max() / np.abs(drums).max())
    assert scale < 1.0  # the drums were turned down with the sum
    got = loudness_db(d, sample_rate=SR) - loudness_db(b, sample_rate=SR)
    assert got == pytest.approx(-24.0, abs=0.05)


def test_mixer_draws_follow_the_settings() -> None:
    cfg = load_config()
    off = BandMixer(cfg.band_mix, sample_rate=SR)
    rng = np.random.default_rng(1)
    assert not any(off.sample(rng).with_band for _ in range(50))  # off by default
    on = cfg.replace(band_mix={"probability": 0.75, "master_probability": 1.0, "level_db": [-3.0, 3.0]})
    mixer = BandMixer(on.band_mix, sample_rate=SR)
    draws = [mixer.sample(rng) for _ in range(400)]
    share = np.mean([d.with_band for d in draws])
    assert 0.65 < share < 0.85
    assert all(-3.0 <= d.level_db <= 3.0 and d.master is not None for d in draws if d.with_band)
    drums = _bursts(SR * 2, SR, rng)
    mixed = mixer.apply(drums, _tone(SR * 2, 330.0, SR), next(d for d in draws if d.with_band))
    assert mixed.shape == drums.shape and np.all(np.isfinite(mixed)) and not np.allclose(mixed, drums)
    assert mixer.apply(drums, None, draws[0]) is drums  # no band part: the drums as they are


def test_config_refuses_bad_band_mix(tmp_path: Path) -> None:
    from drumscribe_training.config import ConfigError, default_config_path

    bad = tmp_path / "bad.yaml"
    bad.write_text(f"base: {default_config_path()}\nband_mix: {{probability: 1.5}}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: band_mix\.probability must be within 0\.\.1"):
        load_config(bad)
    bad.write_text(f"base: {default_config_path()}\nband_mix: {{level_db: [6.0, -6.0]}}\n")
    with pytest.raises(ConfigError, match=r"band_mix\.level_db"):
        load_config(bad)
    bad.write_text(f"base: {default_config_path()}\nband_mix: {{bank: some/bank}}\n")
    with pytest.raises(ConfigError, match=r"band_mix\.bank needs band_mix\.on_the_fly"):
        load_config(bad)


@pytest.fixture(scope="module")
def band_egmd(tiny_egmd: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tiny_egmd`` with a tone as the band part of every clip but the first train clip."""
    root = tmp_path_factory.mktemp("band-egmd") / "e-gmd"
    shutil.copytree(tiny_egmd, root)
    rows = read_index(root)
    first_train = next(r for r in rows if r.split == "train")
    for k, row in enumerate(r for r in rows if r is not first_train):
        info = sf.info(root / row.audio_filename)
        n = info.frames - (k % 3) * 100  # a stem a little short is padded to the drums' length
        band = _tone(n, 110.0 * (k + 2), info.samplerate, amp=0.2)
        sf.write(root / band_filename(row.audio_filename), band, info.samplerate, subtype="PCM_16")
    return root


@pytest.fixture(scope="module")
def band_processed(band_egmd: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``band_egmd`` preprocessed (one worker); returns the shard folder."""
    out = tmp_path_factory.mktemp("band-processed")
    opts = PreprocessOptions.from_config(
        load_config(), data_dir=band_egmd, out_dir=out / "shards", splits_dir=out / "splits", num_workers=1,
        progress=False,
    )  # fmt: skip
    run_preprocess(opts)
    return out / "shards"


def test_preprocess_keeps_drums_and_band_apart(band_processed: Path, tiny_processed: Path) -> None:
    idx = ShardIndex.for_split(band_processed, "train", sample_rate=SR)
    plain = ShardIndex.for_split(tiny_processed, "train", sample_rate=SR)
    assert np.array_equal(idx.audio_length, plain.audio_length)  # the drums as they were
    has = idx.band_length > 0
    assert 0 < has.sum() < len(idx)  # one clip has no band part
    assert np.array_equal(idx.band_length[has], idx.audio_length[has])  # each as long as its drums
    assert plain.band_share == 0.0  # a set without band parts has none


def _train_crops(band_processed: Path) -> tuple[Config, TargetSpec, ShardIndex, CropDataset, int]:
    """A config that mixes every crop, the train split's crops unmixed, and the index of a
    crop whose clip has a band part."""
    cfg = load_config().replace(band_mix={"probability": 1.0, "band_only_probability": 0.0})
    spec = TargetSpec(sample_rate=SR, hop_length=cfg.audio.hop_length)
    idx = ShardIndex.for_split(band_processed, "train", sample_rate=SR)
    ex = int(np.flatnonzero(idx.band_length > 0)[0])
    plain = CropDataset(idx, crop_s=1.0, spec=spec, seed=3)
    return cfg, spec, idx, plain, int(np.flatnonzero(plain.window_example == ex)[0])


def test_training_crops_mix_and_validation_mixes_at_its_level(band_processed: Path) -> None:
    cfg, spec, idx, plain, i = _train_crops(band_processed)
    mixed = CropDataset(
        idx, crop_s=1.0, spec=spec, seed=3, band_mixer=BandMixer(cfg.band_mix, sample_rate=SR)
    )
    a, b = plain[i], mixed[i]
    assert not np.allclose(a["audio"].numpy(), b["audio"].numpy(), atol=1e-3)  # the band is in
    assert np.array_equal(a["onsets"].numpy(), b["onsets"].numpy())  # labels untouched

    only = cfg.replace(band_mix={"probability": 1.0, "band_only_probability": 1.0})
    band_only = CropDataset(
        idx, crop_s=1.0, spec=spec, seed=3, band_mixer=BandMixer(only.band_mix, sample_rate=SR)
    )
    assert band_only[i]["onsets"].sum() == 0  # band alone: nothing to find

    vidx = ShardIndex.for_split(band_processed, "val", sample_rate=SR)
    dry = FixedCropDataset(vidx, crop_s=1.0, spec=spec)
    wet = FixedCropDataset(vidx, crop_s=1.0, spec=spec, band_level_db=0.0)
    j = int(np.flatnonzero(wet.window_example == int(np.flatnonzero(vidx.band_length > 0)[0]))[0])
    assert not np.allclose(dry[j]["audio"].numpy(), wet[j]["audio"].numpy(), atol=1e-3)
    assert np.array_equal(wet[j]["audio"].numpy(), wet[j]["audio"].numpy())  # the same every time


def test_teacher_audio_is_the_crops_drums_before_the_band(band_processed: Path) -> None:
    cfg, spec, idx, plain, i = _train_crops(band_processed)

    def crop(settings: dict[str, float]) -> dict[str, torch.Tensor]:
        mixer = BandMixer(cfg.replace(band_mix=settings).band_mix, sample_rate=SR)
        item: dict[str, torch.Tensor] = CropDataset(
            idx, crop_s=1.0, spec=spec, seed=3, band_mixer=mixer, teacher_drums=True
        )[i]
        return item

    drums = plain[i]["audio"].numpy()
    mixed = crop({"probability": 1.0, "band_only_probability": 0.0})
    assert np.array_equal(mixed["teacher_audio"].numpy(), drums)  # the drums as they were
    assert not np.allclose(mixed["audio"].numpy(), drums, atol=1e-3)  # the student hears the band
    alone = crop({"probability": 0.0})
    assert np.array_equal(alone["teacher_audio"].numpy(), alone["audio"].numpy())
    band_only = crop({"probability": 1.0, "band_only_probability": 1.0})
    assert not band_only["teacher_audio"].any() and band_only["audio"].any()  # no drums to hear
    assert "teacher_audio" not in plain[i]


def test_evaluate_scores_drums_and_mixes_side_by_side(
    band_egmd: Path, tiny_egmd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from drumscribe_training.cli import main as train_main
    from support.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "m" / "model.onnx")
    out = tmp_path / "eval"
    argv = ["evaluate", "--model", str(model), "--split", "test", "--out", str(out)]
    assert train_main([*argv, "--data-dir", str(band_egmd), "--mix-levels", "0", "-6"]) == 0
    table = (out / "conditions.md").read_text()
    assert "| lane | drums | mix+0dB | mix-6dB |" in table
    reports = {c: json.loads((out / c / "report.json").read_text()) for c in ("drums", "mix+0dB", "mix-6dB")}
    assert {r["extra"]["condition"] for r in reports.values()} == {"drums", "mix+0dB", "mix-6dB"}
    assert reports["mix-6dB"]["extra"]["band_level_db"] == -6.0
    assert len({r["clips"] for r in reports.values()}) == 1  # every test clip has its band part
    tuned = [*argv, "--data-dir", str(band_egmd), "--mix-levels", "0", "--tune-thresholds"]
    assert train_main([*tuned, "--out", str(tmp_path / "tuned")]) == 0
    side = json.loads(model.with_name(model.name + ".json").read_text())
    assert side["threshold_tuning"]["conditions"] == ["drums", "mix+0dB"]  # tuned on both
    capsys.readouterr()
    assert train_main([*argv, "--data-dir", str(tiny_egmd), "--mix-levels", "0"]) == 2
    assert "has a band part" in capsys.readouterr().err  # no band parts: one clear line
    with pytest.raises(SystemExit) as exc:
        train_main([*argv, "--data-dir", str(band_egmd), "--mix-levels", "nan"])
    assert exc.value.code == 2 and "--mix-levels: must be finite" in capsys.readouterr().err


# -- band parts rendered on the fly (band_mix.on_the_fly) ------------------------------------

FLY_CROP_S = 2.0


@pytest.fixture
def band_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Crops rendered on the fly through the tiny kit from procedural grooves (no kit
    packages, no Groove MIDI); every band part rendered is recorded (its arguments and part)."""
    import functools

    import drumscribe_training.synth as synth
    import drumscribe_training.synth.band.render as band_render
    from drumscribe_training.synth.render import ClipRenderer

    need_band_sources("train")
    tiny = functools.partial(ClipRenderer, kits=["tiny"], procedural_fraction=1.0)
    monkeypatch.setattr(synth, "ClipRenderer", tiny)
    calls: list[dict[str, object]] = []
    real = band_render.render_band_part

    def spy(**kwargs: object) -> object:
        part = real(**kwargs)  # type: ignore[arg-type]
        calls.append({**kwargs, "part": part})
        return part

    monkeypatch.setattr(band_render, "render_band_part", spy)
    return calls


def _rendered_crops(processed: Path, *, seed: int, on_the_fly: bool, **band_mix: object) -> CropDataset:
    """A dataset of crops all rendered on the fly, every one drawn with a band (0 dB unless
    ``level_db`` says otherwise)."""
    mix = {"probability": 1.0, "level_db": [0.0, 0.0], "on_the_fly": on_the_fly, **band_mix}
    cfg = load_config().replace(band_mix=mix)
    return CropDataset(
        ShardIndex.for_split(processed, "train", sample_rate=SR),
        crop_s=FLY_CROP_S,
        spec=TargetSpec(sample_rate=SR, hop_length=cfg.audio.hop_length),
        synth_fraction=1.0,
        note_map=dict(cfg.classes.note_map),
        band_mixer=BandMixer(cfg.band_mix, sample_rate=SR),
        seed=seed,
    )


def _frame_rms(x: np.ndarray, n: int = SR // 50) -> np.ndarray:
    m = x.shape[0] // n
    return np.sqrt((x[: m * n].reshape(m, n).astype(np.float64) ** 2).mean(axis=1))


def test_rendered_crops_get_a_band_part_from_train_sources(
    tiny_processed: Path, band_calls: list[dict[str, object]]
) -> None:
    import torch

    from drumscribe_training.synth.band import soundfonts_for_split, voices_for_split

    assert load_config().band_mix.on_the_fly is False  # opt-in
    quiet_mix = quiet_drums = 0.0
    with torch.random.fork_rng():
        torch.manual_seed(0)  # the crops' generator takes torch's seed: the same crops every run
        for seed in (3, 4, 5):  # each crop the first of its seed: one clip with and without band
            a = _rendered_crops(tiny_processed, seed=seed, on_the_fly=False, level_db=[-6.0, -6.0])[0]
            b = _rendered_crops(tiny_processed, seed=seed, on_the_fly=True, level_db=[-6.0, -6.0])[0]
            assert np.array_equal(a["onsets"].numpy(), b["onsets"].numpy())  # same labels
            x, y = a["audio"].numpy(), b["audio"].numpy()
            assert not np.allclose(x, y, atol=1e-3)
            # the drums' quietest 20 ms frames (between hits); y's drums are x scaled by ~k
            fx, fy = _frame_rms(x), _frame_rms(y)
            quiet = fx <= np.quantile(fx, 0.25)
            k = float(x @ y) / float(x @ x)
            quiet_mix += float(np.sum(fy[quiet] ** 2))
            quiet_drums += k * k * float(np.sum(fx[quiet] ** 2))
    assert quiet_mix > 4.0 * quiet_drums  # the band sounds where the drums are quiet
    assert len(band_calls) == 3  # one band part per mixed crop, none for drums alone
    train_fonts = {s.name for s in soundfonts_for_split("train", installed_only=False)}
    train_voices = set(voices_for_split("train"))
    for call in band_calls:
        assert call["split"] == "train" and call["n_samples"] == round(FLY_CROP_S * 44100)
        assert 0.3 <= float(call["quarter_s"]) <= 1.0  # type: ignore[arg-type]  # the groove's tempo
        for source in call["part"].sources:  # type: ignore[attr-defined]
            if source.startswith("espeak-ng:"):
                assert source.split(":", 1)[1].split("+")[0] in train_voices, source
            else:
                assert source in train_fonts, source
    only = _rendered_crops(tiny_processed, seed=3, on_the_fly=True, band_only_probability=1.0)
    assert only[0]["onsets"].sum() == 0  # a rendered band-only crop has nothing to find


def test_rendered_band_parts_are_reproducible_per_seed(
    tiny_processed: Path, band_calls: list[dict[str, object]]
) -> None:
    first = [_rendered_crops(tiny_processed, seed=5, on_the_fly=True)[i]["audio"].numpy() for i in range(2)]
    again = [_rendered_crops(tiny_processed, seed=5, on_the_fly=True)[i]["audio"].numpy() for i in range(2)]
    other = _rendered_crops(tiny_processed, seed=6, on_the_fly=True)[0]["audio"].numpy()
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(first[0], other, atol=1e-3)
    assert len(band_calls) == 5


def test_rendered_crops_under_a_band_come_from_the_band_bank(
    tiny_processed: Path, band_bank: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``band_mix.bank`` a crop the draw puts under a band plays a bank groove and takes its
    band part; no band source is touched, and the other crops are rendered as before."""
    import functools

    import drumscribe_training.synth as synth
    import drumscribe_training.synth.band as band
    import drumscribe_training.synth.band.render as band_render
    from drumscribe_training.synth.render import ClipRenderer

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a band source was used beside a band bank")

    monkeypatch.setattr(band_render, "render_band_part", refuse)
    monkeypatch.setattr(band, "soundfonts_for_split", refuse)
    clips: list[bool] = []  # per rendered crop: whether it came with a bank band part

    class Spy(ClipRenderer):
        def render(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            clip = super().render(*args, **kwargs)  # type: ignore[arg-type]
            clips.append(clip.band is not None)
            return clip

    monkeypatch.setattr(synth, "ClipRenderer", functools.partial(Spy, kits=["tiny"], procedural_fraction=1.0))
    mixed: list[bool] = []
    real_apply = BandMixer.apply

    def apply(self: BandMixer, drums: np.ndarray, part: np.ndarray | None, params: object) -> np.ndarray:
        mixed.append(part is not None and bool(params.with_band))  # type: ignore[attr-defined]
        return real_apply(self, drums, part, params)  # type: ignore[arg-type]

    monkeypatch.setattr(BandMixer, "apply", apply)
    ds = _rendered_crops(tiny_processed, seed=3, on_the_fly=True, bank=str(band_bank), probability=0.5)
    items = [ds[i] for i in range(12)]
    assert all(np.isfinite(it["audio"].numpy()).all() for it in items)
    assert 0 < sum(clips) < len(clips) == 12  # some crops under a band, some drums alone
    assert mixed == [c for c in clips if c]  # exactly the bank's clips were mixed
    only = _rendered_crops(
        tiny_processed, seed=3, on_the_fly=True, bank=str(band_bank), band_only_probability=1.0
    )
    assert only[0]["onsets"].sum() == 0 and float(only[0]["audio"].abs().max()) > 0  # the band alone
