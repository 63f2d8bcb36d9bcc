"""Typed configuration loaded from YAML.

``configs/default_config.yaml`` holds every default. An experiment config may start with
``base: default_config.yaml`` (a path relative to itself) and override a few keys; the
merged result must then name exactly the keys of the dataclasses below. An unknown or a
missing key raises :class:`ConfigError` naming the key.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from drumscribe_training.resources import default_config_path

if typing.TYPE_CHECKING:
    from drumscribe_training.synth.variation import PieceVariation

__all__ = [
    "AudioConfig",
    "AugmentationConfig",
    "BandMixConfig",
    "ClassesConfig",
    "Config",
    "ConfigError",
    "DataConfig",
    "DistillConfig",
    "FrontendConfig",
    "HardwareConfig",
    "InferenceConfig",
    "LoggingConfig",
    "ModelConfig",
    "PeakPickingConfig",
    "TrainingConfig",
    "config_from_stored",
    "default_config_path",
    "load_config",
    "onset_pos_weights",
]


class ConfigError(ValueError):
    """A config file with an unknown, missing or ill-typed key."""


@dataclass(frozen=True)
class ClassesConfig:
    names: tuple[str, ...]
    note_map: dict[int, str]
    ignored_notes: tuple[int, ...]


@dataclass(frozen=True)
class AudioConfig:
    sample_rate: int
    hop_length: int

    @property
    def frame_rate(self) -> float:
        """Frames per second."""
        return self.sample_rate / self.hop_length


@dataclass(frozen=True)
class FrontendConfig:
    n_fft: int
    win_length: int
    n_mels: int
    fmin: float
    fmax: float
    log_offset: float


@dataclass(frozen=True)
class ModelConfig:
    n_classes: int
    conv_filters: tuple[int, ...]
    conv_dropout: float
    hidden_size: int
    num_gru_layers: int
    gru_dropout: float
    dense_size: int
    dense_dropout: float
    velocity_head: bool
    kind: Literal["crnn", "causal"]
    lookahead_frames: int


@dataclass(frozen=True)
class DataConfig:
    data_dir: str
    processed_dir: str
    splits_dir: str
    split_mode: Literal["official", "grouped"]
    grouped_fractions: tuple[float, float, float]
    split_seed: int
    shard_hours: float
    crop_s: float
    val_crop_s: float
    target_widening: int
    widening_value: float
    rare_lane_oversampling: float
    on_the_fly_synth: float
    synth_kits: int
    extra_kits: bool
    train_epoch_items: int | None
    piece_variation: float
    piece_semitones: tuple[float, float]
    piece_group_semitones: dict[str, tuple[float, float]]
    piece_decay_s: tuple[float, float]
    piece_decay_probability: float
    piece_groups: tuple[str, ...]
    piece_shelf_db: tuple[float, float]
    piece_shelf_hz: float


@dataclass(frozen=True)
class BandMixConfig:
    """``band_mix.*``: how drums and band parts are mixed per training example.

    Levels are drums-to-band loudness differences in dB (0 = equal, negative = band
    louder); ranges are ``[low, high]``, drawn uniformly (``data/band_mix.py``). With
    ``on_the_fly``, crops rendered on the fly (``data.on_the_fly_synth``) get a band part
    rendered with them from the train split's band sources, mixed by the same draw; with
    ``bank`` (a band bank folder, ``drumscribe-train band-bank``) those that the draw puts
    under a band play one of the bank's grooves and take its band part instead (no
    SoundFont or espeak-ng needed).
    """

    probability: float
    level_db: tuple[float, float]
    band_only_probability: float
    master_probability: float
    compressor_threshold_db: tuple[float, float]
    compressor_ratio: tuple[float, float]
    shelf_gain_db: tuple[float, float]
    low_shelf_hz: float
    high_shelf_hz: float
    limiter_threshold_db: tuple[float, float]
    loudness_db: tuple[float, float]
    val_level_db: float | None
    on_the_fly: bool
    bank: str | None

    @property
    def enabled(self) -> bool:
        """Whether training crops are ever mixed with their band part."""
        return self.probability > 0.0

    def problems(self) -> list[str]:
        """What is out of range, one phrase per key (empty when the section is valid)."""
        out = []
        for name in ("probability", "band_only_probability", "master_probability"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                out.append(f"band_mix.{name} must be within 0..1, got {value}")
        for name in (
            "level_db",
            "compressor_threshold_db",
            "compressor_ratio",
            "shelf_gain_db",
            "limiter_threshold_db",
            "loudness_db",
        ):
            lo, hi = getattr(self, name)
            if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
                out.append(f"band_mix.{name} must be a finite [low, high] range, got {[lo, hi]}")
        if self.compressor_ratio[0] < 1.0:
            out.append(f"band_mix.compressor_ratio must be >= 1, got {list(self.compressor_ratio)}")
        if self.bank is not None and not self.on_the_fly:
            out.append("band_mix.bank needs band_mix.on_the_fly: true (the bank serves rendered crops)")
        if self.val_level_db is not None and not math.isfinite(self.val_level_db):
            out.append(f"band_mix.val_level_db must be a finite number or null, got {self.val_level_db}")
        return out


@dataclass(frozen=True)
class AugmentationConfig:
    enabled: bool
    time_stretch_prob: float
    time_stretch_range: tuple[float, float]
    pitch_shift_prob: float
    pitch_shift_semitones: tuple[float, float]
    reverb_prob: float
    noise_prob: float
    noise_snr_db: tuple[float, float]
    gain_prob: float
    gain_db: tuple[float, float]
    eq_prob: float
    eq_gain_db: tuple[float, float]


@dataclass(frozen=True)
class TrainingConfig:
    batch_size: int
    num_epochs: int
    learning_rate: float
    weight_decay: float
    lr_schedule: Literal["cosine", "plateau", "none"]
    warmup_steps: int
    gradient_clip_val: float
    early_stopping_patience: int
    limit_train_batches: int | float | None
    limit_val_batches: int | float | None
    onset_pos_weight: float | dict[str, float]
    velocity_loss_weight: float
    seed: int
    precision: str
    checkpoint_dir: str
    log_every_n_steps: int
    monitor: str
    monitor_mode: Literal["min", "max"]
    init_weights: str | None


@dataclass(frozen=True)
class DistillConfig:
    """``distill.*``: a frozen teacher model whose probabilities are part of the onset target.

    With ``teacher`` set, the onset loss is ``(1 - weight)`` times the loss against the
    labels plus ``weight`` times the loss against the teacher's onset probabilities
    (binary cross-entropy with soft targets, same per-lane positive weights).
    ``teacher_hears`` says what audio the teacher gets: ``drums``, the crop's drums alone
    (augmented as the student's crop, before any band part is mixed in; silence for a
    band-only crop), so that the student learns to be as sure of a hit under a band as the
    teacher is without it; or ``input``, the student's own input (a plain distillation,
    for example an offline teacher for a causal student).
    """

    teacher: str | None
    weight: float
    teacher_hears: Literal["drums", "input"]


@dataclass(frozen=True)
class HardwareConfig:
    accelerator: str
    devices: int | list[int] | str
    num_nodes: int
    strategy: str
    num_workers: int
    prefetch_factor: int
    pin_memory: bool | str


@dataclass(frozen=True)
class LoggingConfig:
    logger: Literal["wandb", "tensorboard", "csv"]
    log_dir: str
    wandb_project: str
    wandb_offline: bool


@dataclass(frozen=True)
class PeakPickingConfig:
    threshold: float
    min_interval_s: float
    match_window_s: float
    rule: Literal["peak", "rise"]


@dataclass(frozen=True)
class InferenceConfig:
    chunk_s: float
    context_s: float


@dataclass(frozen=True)
class ExportConfig:
    int8_calibration: str
    int8_window_s: float
    int8_max_windows: int
    int8_first_conv: bool


@dataclass(frozen=True)
class EvaluationConfig:
    lane_groups: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Config:
    classes: ClassesConfig
    audio: AudioConfig
    frontend: FrontendConfig
    model: ModelConfig
    data: DataConfig
    augmentation: AugmentationConfig
    band_mix: BandMixConfig
    training: TrainingConfig
    distill: DistillConfig
    hardware: HardwareConfig
    logging: LoggingConfig
    peak_picking: PeakPickingConfig
    inference: InferenceConfig
    export: ExportConfig
    evaluation: EvaluationConfig
    source: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (YAML/JSON friendly), without ``source``."""
        out = dataclasses.asdict(self)
        out.pop("source", None)
        plain: dict[str, Any] = _plain(out)
        return plain

    def replace(self, **sections: dict[str, Any]) -> Config:
        """Return a copy with some keys of some sections overridden.

        Example: ``cfg.replace(training={"batch_size": 4})``.
        """
        merged = _deep_merge(self.to_dict(), sections)
        return _build_config(merged, self.source)


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


#: Mappings a config replaces whole rather than merging into the base's.
_REPLACED_WHOLE = ("note_map", "lane_groups", "piece_group_semitones")


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key not in _REPLACED_WHOLE:
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from None
    try:
        data: object = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config must be a mapping of sections")
    base = data.pop("base", None)
    if base is not None:
        base_path = (path.parent / str(base)).resolve()
        data = _deep_merge(_read_yaml(base_path), data)
    return data


def _coerce(tp: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        errors = []
        for arg in args:
            try:
                return _coerce(arg, value, key)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"{key}: {value!r} does not fit {tp}")
    if tp is type(None):
        if value is None:
            return None
        raise ConfigError(f"{key}: expected null, got {value!r}")
    if origin is Literal:
        if value in args:
            return value
        raise ConfigError(f"{key}: {value!r} is not one of {', '.join(map(repr, args))}")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v, f"{key}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(f"{key}: expected {len(args)} values, got {len(value)}")
        return tuple(_coerce(a, v, f"{key}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True)))
    if origin is list:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [_coerce(args[0], v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        return {
            _coerce(args[0], k, f"{key}.{k}"): _coerce(args[1], v, f"{key}.{k}") for k, v in value.items()
        }
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key, "")
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: expected true/false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    raise ConfigError(f"{key}: unsupported type {tp}")  # pragma: no cover


def _build(cls: Any, data: Any, prefix: str, source: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix or 'config'}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        names = ", ".join(f"{prefix}.{k}" if prefix else str(k) for k in unknown)
        raise ConfigError(f"{source + ': ' if source else ''}unknown config key {names}")
    kwargs: dict[str, Any] = {}
    for name in fields:
        key = f"{prefix}.{name}" if prefix else name
        if name not in data:
            raise ConfigError(f"{source + ': ' if source else ''}missing config key {key}")
        try:
            kwargs[name] = _coerce(hints[name], data[name], key)
        except ConfigError as exc:
            raise ConfigError(f"{source + ': ' if source else ''}{exc}") from None
    if cls is Config:
        kwargs["source"] = source
    return cls(**kwargs)


def _build_config(data: dict[str, Any], source: str) -> Config:
    """A checked :class:`Config` from nested dicts (``source`` names them in errors)."""
    cfg: Config = _build(Config, data, "", source)
    return cfg


def piece_variation(cfg: Config, *, probability: float | None = None) -> PieceVariation | None:
    """The on-the-fly renderer's re-voicing of pieces, from ``data.piece_*``.

    ``probability`` overrides ``data.piece_variation``; None is returned when it is 0.

    Raises
    ------
    ConfigError
        On a value out of range, naming the ``data.piece_*`` keys.
    """
    from drumscribe_training.synth.variation import PieceVariation

    d = cfg.data
    try:
        pv = PieceVariation(
            probability=float(d.piece_variation if probability is None else probability),
            semitones=(float(d.piece_semitones[0]), float(d.piece_semitones[1])),
            group_semitones={g: (float(lo), float(hi)) for g, (lo, hi) in d.piece_group_semitones.items()},
            decay_s=(float(d.piece_decay_s[0]), float(d.piece_decay_s[1])),
            decay_probability=float(d.piece_decay_probability),
            groups=tuple(d.piece_groups),
            shelf_db=(float(d.piece_shelf_db[0]), float(d.piece_shelf_db[1])),
            shelf_hz=float(d.piece_shelf_hz),
        )
    except ValueError as exc:
        raise ConfigError(f"{cfg.source}: data.piece_*: {exc}") from None
    return pv if pv.probability > 0 else None


def onset_pos_weights(cfg: Config) -> list[float]:
    """``training.onset_pos_weight`` as one weight per lane, in lane order.

    Raises
    ------
    ConfigError
        If a mapping does not name exactly the 8 lanes, or a weight is not > 0.
    """
    from drumscribe.contract import LANE_NAMES

    pw = cfg.training.onset_pos_weight
    if isinstance(pw, dict):
        if set(pw) != set(LANE_NAMES):
            raise ConfigError(
                f"{cfg.source}: training.onset_pos_weight as a mapping must name every lane "
                f"{list(LANE_NAMES)}, got {sorted(pw)}"
            )
        weights = [float(pw[name]) for name in LANE_NAMES]
    else:
        weights = [float(pw)] * len(LANE_NAMES)
    if not all(w > 0 for w in weights):
        raise ConfigError(f"{cfg.source}: training.onset_pos_weight must be > 0, got {pw}")
    return weights


def config_from_stored(data: dict[str, Any], *, source: str = "checkpoint") -> Config:
    """Rebuild the config stored in a checkpoint.

    Keys added to ``configs/default_config.yaml`` after the checkpoint was written take
    their defaults (they cannot change a trained network: architecture keys are as old as
    the format); unknown or ill-typed keys still raise :class:`ConfigError`.
    """
    merged = _deep_merge(_read_yaml(default_config_path()), data)
    return _build_config(merged, source)


def load_config(path: str | Path | None = None, *, overrides: dict[str, Any] | None = None) -> Config:
    """Load a YAML config (defaults: ``configs/default_config.yaml``).

    Parameters
    ----------
    path : path-like, optional
        The config file; it may name ``base:`` to inherit another.
    overrides : dict, optional
        Nested ``{section: {key: value}}`` applied last.

    Raises
    ------
    ConfigError
        On an unknown, missing or ill-typed key, naming it.
    """
    cfg_path = Path(path) if path is not None else default_config_path()
    data = _read_yaml(cfg_path)
    if overrides:
        data = _deep_merge(data, overrides)
    cfg = _build_config(data, str(cfg_path))
    _check(cfg)
    return cfg


def _check(cfg: Config) -> None:
    from drumscribe.contract import LANE_NAMES

    if tuple(cfg.classes.names) != LANE_NAMES:
        raise ConfigError(
            f"{cfg.source}: classes.names must be {list(LANE_NAMES)} (the runtime's lane order)"
        )
    if cfg.model.n_classes != len(LANE_NAMES):
        raise ConfigError(f"{cfg.source}: model.n_classes must be {len(LANE_NAMES)}")
    bad = sorted({v for v in cfg.classes.note_map.values() if v not in LANE_NAMES})
    if bad:
        raise ConfigError(f"{cfg.source}: classes.note_map names unknown lanes {bad}")
    onset_pos_weights(cfg)  # raises on a bad value
    if cfg.data.train_epoch_items is not None and cfg.data.train_epoch_items < 1:
        raise ConfigError(
            f"{cfg.source}: data.train_epoch_items must be >= 1 or null, got {cfg.data.train_epoch_items}"
        )
    if cfg.data.synth_kits < 0:
        raise ConfigError(f"{cfg.source}: data.synth_kits must be >= 0, got {cfg.data.synth_kits}")
    piece_variation(cfg)  # raises on a bad value
    if not 0.0 <= cfg.distill.weight <= 1.0:
        raise ConfigError(f"{cfg.source}: distill.weight must be within 0..1, got {cfg.distill.weight}")
    if cfg.distill.teacher is not None and not str(cfg.distill.teacher).endswith(".onnx"):
        raise ConfigError(
            f"{cfg.source}: distill.teacher must name an exported model.onnx (with its sidecar), "
            f"got {cfg.distill.teacher!r}"
        )
    band_problems = cfg.band_mix.problems()
    if band_problems:
        raise ConfigError(f"{cfg.source}: {band_problems[0]}")
    for group, lanes in cfg.evaluation.lane_groups.items():
        unknown = sorted(set(lanes) - set(LANE_NAMES))
        if unknown or len(set(lanes)) < 2:
            raise ConfigError(
                f"{cfg.source}: evaluation.lane_groups.{group} must name two or more of "
                f"{list(LANE_NAMES)}, got {list(lanes)}"
            )
    if cfg.export.int8_window_s <= 0 or cfg.export.int8_max_windows < 1:
        raise ConfigError(f"{cfg.source}: export.int8_window_s must be > 0 and export.int8_max_windows >= 1")
    if cfg.frontend.win_length > cfg.frontend.n_fft:
        raise ConfigError(f"{cfg.source}: frontend.win_length must be <= frontend.n_fft")
    if cfg.frontend.fmax > cfg.audio.sample_rate / 2:
        raise ConfigError(f"{cfg.source}: frontend.fmax exceeds the Nyquist frequency")
    if cfg.model.lookahead_frames < 0:
        raise ConfigError(
            f"{cfg.source}: model.lookahead_frames must be >= 0, got {cfg.model.lookahead_frames}"
        )
    if cfg.model.kind == "causal" and not cfg.audio.hop_length < cfg.frontend.win_length:
        raise ConfigError(
            f"{cfg.source}: model.kind causal needs frontend.win_length > audio.hop_length"
            " (the front-end keeps win_length - hop_length samples between hops)"
        )
