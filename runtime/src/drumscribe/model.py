"""ONNX model + sidecar: load, check the contract, run.

A model is ``model.onnx`` plus ``model.onnx.json`` beside it (the sidecar). The runtime
refuses a model whose sidecar is missing or malformed, whose sha256 differs from the
sidecar's, or whose graph does not take ``audio`` float32 [batch, samples] and give
``onsets`` float32 [batch, frames, 8] (and optionally ``velocities``, same shape), or whose
output on a probe signal is not finite and within [0, 1]. The sidecar's numbers must lie
within the bounds below (a sidecar's ``sample_rate: 1e9`` would otherwise ask for gigabytes
per chunk).
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from drumscribe._io import read_regular_file, regular_file_problem
from drumscribe.audio import file_sha256
from drumscribe.contract import (
    DEFAULT_PEAK_RULE,
    INPUT_NAME,
    LANE_NAMES,
    LANES,
    LIVE_KEY,
    ONSETS_NAME,
    PEAK_RULES,
    SIDECAR_CORE_KEYS,
    SIDECAR_FORMAT,
    SIDECAR_VERSION,
    VELOCITIES_NAME,
)
from drumscribe.errors import ModelError

__all__ = [
    "MAX_CHUNK_S",
    "MAX_CONTEXT_S",
    "MAX_HOP_LENGTH",
    "MAX_MODEL_SAMPLE_RATE",
    "MAX_SIDECAR_BYTES",
    "MAX_THREADS",
    "MIN_MODEL_SAMPLE_RATE",
    "PROBE_S",
    "InferenceModel",
    "Model",
    "ModelSpec",
    "default_model_path",
    "load_model",
    "model_info",
    "rewrite_sidecar",
    "sidecar_path",
    "write_sidecar",
]


#: A model's input rate, Hz: telephone-band speech up to the highest studio rate.
MIN_MODEL_SAMPLE_RATE = 4000
MAX_MODEL_SAMPLE_RATE = 192000
#: Samples per output frame (8192 at 192 kHz is 23 frames per second).
MAX_HOP_LENGTH = 8192
#: Chunk length and context per side, seconds: bounds on the memory one model call needs.
MAX_CHUNK_S = 600.0
MAX_CONTEXT_S = 60.0
#: A sidecar larger than this is not a sidecar (the bundled one is a few kB).
MAX_SIDECAR_BYTES = 1 << 20
#: onnxruntime intra-op threads at most; more threads than cores only slow a run down, and
#: thousands exhaust memory (each thread has its own stack and scratch space).
MAX_THREADS = 64
#: Seconds of the probe signal every loaded model is run on once (its output must be finite
#: and within [0, 1]).
PROBE_S = 1.0


def sidecar_path(model_path: str | os.PathLike[str]) -> Path:
    """``model.onnx`` -> ``model.onnx.json``."""
    p = Path(model_path)
    return p.with_name(p.name + ".json")


def default_model_path() -> Path:
    """Path of the default model bundled inside the package."""
    return Path(str(resources.files("drumscribe") / "models" / "default" / "model.onnx"))


@dataclass(frozen=True)
class ModelSpec:
    """What the sidecar promises about a model.

    Attributes
    ----------
    name : str
    sample_rate : int
        Hz of the ``audio`` input.
    hop_length : int
        Samples per output frame.
    lanes : tuple of str
        Output lane order; must equal :data:`drumscribe.LANE_NAMES`.
    thresholds : dict of str to float
        Per-lane peak-picking thresholds tuned on validation.
    min_interval_s : float
        Minimum seconds between two hits of a lane.
    peak_rule : str
        The peak-picking rule, one of :data:`~drumscribe.contract.PEAK_RULES` (sidecar
        ``peak_picking.rule``, optional; default :data:`~drumscribe.contract.DEFAULT_PEAK_RULE`).
    chunk_s, context_s : float
        Recommended chunk length and context on each side, seconds.
    onnx_sha256 : str
    raw : dict
        The whole sidecar.
    """

    name: str
    sample_rate: int
    hop_length: int
    lanes: tuple[str, ...]
    thresholds: dict[str, float]
    min_interval_s: float
    chunk_s: float
    context_s: float
    onnx_sha256: str
    raw: dict[str, Any] = field(repr=False, compare=False)
    peak_rule: str = DEFAULT_PEAK_RULE

    @property
    def frame_rate(self) -> float:
        """Frames per second."""
        return self.sample_rate / self.hop_length

    @classmethod
    def from_dict(cls, data: Any, *, where: str) -> ModelSpec:
        """Validate a parsed sidecar; raise :class:`ModelError` naming ``where`` and the key."""
        if not isinstance(data, dict):
            raise ModelError(f"{where}: sidecar must be a JSON object")

        def get(
            key: str, kind: type | tuple[type, ...], parent: dict[str, Any] = data, prefix: str = ""
        ) -> Any:
            if key not in parent:
                raise ModelError(f"{where}: sidecar misses key {prefix}{key}")
            value = parent[key]
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
                raise ModelError(
                    f"{where}: sidecar key {prefix}{key} has the wrong type ({type(value).__name__})"
                )
            return value

        if get("format", str) != SIDECAR_FORMAT:
            raise ModelError(f"{where}: not a drumscribe model sidecar (format {data['format']!r})")
        version = get("format_version", int)
        if version != SIDECAR_VERSION:
            raise ModelError(
                f"{where}: sidecar format_version {version} is not supported (this runtime reads {SIDECAR_VERSION})"
            )
        lanes = tuple(get("lanes", list))
        if lanes != LANE_NAMES:
            raise ModelError(
                f"{where}: model lanes {list(lanes)} differ from the runtime's {list(LANE_NAMES)}"
            )
        sample_rate = get("sample_rate", int)
        hop = get("hop_length", int)
        if sample_rate <= 0 or hop <= 0:
            raise ModelError(f"{where}: sample_rate and hop_length must be positive")
        if not MIN_MODEL_SAMPLE_RATE <= sample_rate <= MAX_MODEL_SAMPLE_RATE:
            raise ModelError(
                f"{where}: sample_rate {sample_rate} is outside"
                f" {MIN_MODEL_SAMPLE_RATE}..{MAX_MODEL_SAMPLE_RATE} Hz"
            )
        if hop > MAX_HOP_LENGTH:
            raise ModelError(f"{where}: hop_length {hop} is more than {MAX_HOP_LENGTH} samples")
        pp = get("peak_picking", dict)
        thr = get("thresholds", dict, pp, "peak_picking.")
        if set(thr) != set(LANE_NAMES) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 1 for v in thr.values()
        ):
            raise ModelError(
                f"{where}: peak_picking.thresholds must give each of the 8 lanes a value in (0, 1]"
            )
        min_interval = float(get("min_interval_s", (int, float), pp, "peak_picking."))
        if not 0 <= min_interval < math.inf:
            raise ModelError(
                f"{where}: peak_picking.min_interval_s must be a number >= 0, got {min_interval}"
            )
        rule = pp.get("rule", DEFAULT_PEAK_RULE)
        if rule not in PEAK_RULES:
            raise ModelError(
                f"{where}: peak_picking.rule must be one of {', '.join(PEAK_RULES)}, got {rule!r}"
            )
        inf = get("inference", dict)
        chunk_s = float(get("chunk_s", (int, float), inf, "inference."))
        context_s = float(get("context_s", (int, float), inf, "inference."))
        if not (0 < chunk_s < math.inf and 0 <= context_s < math.inf):
            raise ModelError(f"{where}: inference.chunk_s must be > 0 and context_s >= 0 (finite seconds)")
        if chunk_s > MAX_CHUNK_S or context_s > MAX_CONTEXT_S:
            raise ModelError(
                f"{where}: inference.chunk_s must be <= {MAX_CHUNK_S:g} s and context_s <= {MAX_CONTEXT_S:g} s,"
                f" got {chunk_s:g} and {context_s:g}"
            )
        sha = get("onnx_sha256", str)
        return cls(
            name=str(data.get("name", "drumscribe")),
            sample_rate=sample_rate,
            hop_length=hop,
            lanes=lanes,
            thresholds={k: float(v) for k, v in thr.items()},
            min_interval_s=min_interval,
            chunk_s=chunk_s,
            context_s=context_s,
            onnx_sha256=sha,
            raw=data,
            peak_rule=rule,
        )


@runtime_checkable
class InferenceModel(Protocol):
    """What inference needs of a model: its sidecar spec and a ``run``.

    :class:`Model` (ONNX) is the runtime's implementation; the training side adapts torch
    checkpoints to it, so both go through the same chunking and peak picking.
    """

    spec: ModelSpec

    @property
    def info(self) -> dict[str, Any]: ...

    def run(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]: ...


def model_info(spec: ModelSpec, path: Path) -> dict[str, Any]:
    """What results record of a model: its name, path, ONNX sha256 and the sidecar's versions."""
    return {
        "name": spec.name,
        "path": str(path),
        "sha256": spec.onnx_sha256,
        "versions": spec.raw.get("versions", {}),
    }


class Model:
    """An ONNX drum model with its sidecar, ready to run.

    Build it with :func:`load_model`; one instance holds one onnxruntime session and is
    meant to be reused across calls.

    Attributes
    ----------
    path : pathlib.Path
    spec : ModelSpec
    has_velocities : bool
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        threads: int | None = None,
        providers: list[str] | None = None,
    ) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        problem = regular_file_problem(self.path)
        if problem == "no such file":
            raise ModelError(f"{self.path}: model file not found")
        if problem is not None:
            raise ModelError(f"{self.path}: cannot open the model ({problem})")
        side = sidecar_path(self.path)
        problem = regular_file_problem(side)
        if problem == "no such file":
            raise ModelError(f"{self.path}: sidecar {side.name} not found beside the model")
        try:
            raw = read_regular_file(side, max_bytes=MAX_SIDECAR_BYTES, what="the sidecar")
            data = json.loads(raw.decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(f"{side}: unreadable sidecar ({exc})") from None
        except ValueError as exc:  # a folder, a device, too large
            raise ModelError(f"{side}: unreadable sidecar ({exc})") from None
        self.spec = ModelSpec.from_dict(data, where=str(side))
        actual = file_sha256(self.path)
        if actual != self.spec.onnx_sha256:
            raise ModelError(
                f"{self.path}: sha256 {actual[:12]}… does not match the sidecar's {self.spec.onnx_sha256[:12]}…"
                " (model and sidecar are from different exports, or the file is damaged)"
            )
        options = ort.SessionOptions()
        if threads is not None:
            if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= MAX_THREADS:
                raise ModelError(f"{self.path}: threads must be an integer 1..{MAX_THREADS}, got {threads!r}")
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        available = ort.get_available_providers()
        chosen = [p for p in (providers or ["CPUExecutionProvider"]) if p in available] or [
            "CPUExecutionProvider"
        ]
        try:
            self.session = ort.InferenceSession(str(self.path), sess_options=options, providers=chosen)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"{self.path}: onnxruntime cannot load the model ({_first_line(exc)})") from None
        self._check_contract()
        self._probe()

    def _probe(self) -> None:
        """Run the model once on a fixed probe signal (silence, then decaying noise bursts):
        its onsets (and velocities) must be finite and within [0, 1]. Catches a graph whose
        output is NaN, scaled, negated or not a probability before any audio is decoded."""
        n = round(PROBE_S * self.spec.sample_rate)
        rng = np.random.default_rng(0)
        t = np.arange(n) / self.spec.sample_rate
        probe = (0.5 * rng.standard_normal(n) * np.exp(-((t * 4) % 1.0) * 20) * (t >= 0.25)).astype(
            np.float32
        )
        onsets, velocities = self.run(probe[None, :])
        for name, out in ((ONSETS_NAME, onsets), (VELOCITIES_NAME, velocities)):
            if out is None:
                continue
            if not np.all(np.isfinite(out)):
                raise ModelError(
                    f"{self.path}: output {name!r} is not finite (NaN or infinite) on a probe signal"
                )
            low, high = float(out.min(initial=0.0)), float(out.max(initial=0.0))
            if low < 0.0 or high > 1.0:
                raise ModelError(
                    f"{self.path}: output {name!r} ranges {low:.3g}..{high:.3g} on a probe signal;"
                    " the contract is probabilities in [0, 1]"
                )

    def _check_contract(self) -> None:
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or inputs[0].name != INPUT_NAME:
            names = [i.name for i in inputs]
            raise ModelError(f"{self.path}: expected one input named {INPUT_NAME!r}, found {names}")
        if inputs[0].type != "tensor(float)" or len(inputs[0].shape) != 2:
            raise ModelError(
                f"{self.path}: input 'audio' must be float32 [batch, samples], got {inputs[0].type} {inputs[0].shape}"
            )
        outputs = {o.name: o for o in self.session.get_outputs()}
        if ONSETS_NAME not in outputs:
            raise ModelError(f"{self.path}: no output named {ONSETS_NAME!r} (found {sorted(outputs)})")
        for name in (ONSETS_NAME, VELOCITIES_NAME):
            out = outputs.get(name)
            if out is None:
                continue
            if out.type != "tensor(float)" or len(out.shape) != 3:
                raise ModelError(f"{self.path}: output {name!r} must be float32 [batch, frames, lanes]")
            lanes = out.shape[2]
            if isinstance(lanes, int) and lanes != len(LANE_NAMES):
                raise ModelError(
                    f"{self.path}: output {name!r} has {lanes} lanes, expected {len(LANE_NAMES)}"
                )
        self.has_velocities = VELOCITIES_NAME in outputs
        self._output_names = [ONSETS_NAME] + ([VELOCITIES_NAME] if self.has_velocities else [])

    def release_memory(self) -> None:
        """Hand the session's working memory back to the system.

        onnxruntime keeps the buffers of its largest run (about 220 MB for a 30 s chunk of the
        default model) in its CPU arena until the session is closed. Writers call this after a
        transcription so that building a long song's chart reuses that memory instead of adding
        to it: peak memory then no longer grows with the song's length. The next run grows the
        arena again. It runs the network once on one hop of silence with onnxruntime's
        ``memory.enable_memory_arena_shrinkage`` run option.
        """
        import onnxruntime as ort

        options = ort.RunOptions()
        options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        silence = np.zeros((1, self.spec.hop_length), dtype=np.float32)
        self.session.run(self._output_names, {INPUT_NAME: silence}, options)

    @property
    def info(self) -> dict[str, Any]:
        """Short description for results: name, path, sha256, versions."""
        return model_info(self.spec, self.path)

    def frames_for(self, samples: int) -> int:
        """Number of output frames for ``samples`` input samples."""
        return samples // self.spec.hop_length + 1

    def run(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Run the network on raw audio.

        Parameters
        ----------
        audio : numpy.ndarray
            Shape (batch, samples), float32, mono at ``spec.sample_rate``.

        Returns
        -------
        onsets : numpy.ndarray
            Shape (batch, frames, 8), float32 in [0, 1].
        velocities : numpy.ndarray or None
            Same shape, when the model has a velocity head.
        """
        x = np.ascontiguousarray(audio, dtype=np.float32)
        if x.ndim != 2:
            raise ValueError(f"audio must be (batch, samples), got shape {x.shape}")
        outs = self.session.run(self._output_names, {INPUT_NAME: x})
        onsets = np.asarray(outs[0], dtype=np.float32)
        expected = self.frames_for(x.shape[1])
        if onsets.shape[0] != x.shape[0] or onsets.shape[1] != expected or onsets.shape[2] != len(LANE_NAMES):
            raise ModelError(
                f"{self.path}: output 'onsets' has shape {onsets.shape}, expected ({x.shape[0]}, {expected}, {len(LANE_NAMES)})"
            )
        velocities = np.asarray(outs[1], dtype=np.float32) if self.has_velocities else None
        return onsets, velocities

    def __repr__(self) -> str:
        return f"Model({str(self.path)!r}, name={self.spec.name!r}, sample_rate={self.spec.sample_rate})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


@functools.lru_cache(maxsize=8)
def _cached_model(path: str, threads: int | None, providers: tuple[str, ...] | None) -> Model:
    return Model(path, threads=threads, providers=list(providers) if providers else None)


def load_model(
    path: str | os.PathLike[str] | None = None,
    *,
    threads: int | None = None,
    providers: list[str] | None = None,
    cache: bool = True,
) -> Model:
    """Load a model and its sidecar (the bundled default model when ``path`` is None).

    Parameters
    ----------
    path : path-like, optional
        ``model.onnx``; its sidecar ``model.onnx.json`` must sit beside it.
    threads : int, optional
        onnxruntime intra-op threads (default: onnxruntime's choice).
    providers : list of str, optional
        Execution providers in order of preference, e.g. ``["CUDAExecutionProvider"]``
        with the ``gpu`` extra; unavailable ones are skipped, CPU is the fallback.
    cache : bool
        Reuse one loaded model per (path, threads, providers) in this process.

    Raises
    ------
    ModelError
        If the model or sidecar is missing, mismatched or breaks the ONNX contract.
    """
    p = Path(path) if path is not None else default_model_path()
    if path is None and not p.is_file():
        raise ModelError(f"{p}: the bundled default model is missing from this installation")
    if not cache:
        return Model(p, threads=threads, providers=providers)
    try:
        key = str(p.resolve())
    except (OSError, RuntimeError):  # a symbolic link loop: Model names the problem
        return Model(p, threads=threads, providers=providers)
    return _cached_model(key, threads, tuple(providers) if providers else None)


def write_sidecar(
    model_path: str | os.PathLike[str],
    *,
    sample_rate: int,
    hop_length: int,
    thresholds: float | dict[str, float] = 0.5,
    min_interval_s: float = 0.03,
    peak_rule: str = DEFAULT_PEAK_RULE,
    chunk_s: float = 20.0,
    context_s: float = 2.0,
    name: str = "drumscribe",
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``model.onnx.json`` beside an ONNX file, with its sha256.

    Parameters
    ----------
    model_path : path-like
        The ``.onnx`` file (must exist: it is hashed).
    sample_rate, hop_length : int
        Input rate in Hz and samples per output frame.
    thresholds : float or dict of str to float
        One value for all lanes or one per lane.
    min_interval_s, chunk_s, context_s : float
        Seconds.
    peak_rule : str
        One of :data:`~drumscribe.contract.PEAK_RULES`.
    name : str
    extra : dict, optional
        More top-level keys (frontend, training, metrics, versions, ...).

    Returns
    -------
    pathlib.Path
        The sidecar written (atomically).
    """
    from drumscribe._io import atomic_write

    thr = thresholds if isinstance(thresholds, dict) else dict.fromkeys(LANE_NAMES, float(thresholds))
    data: dict[str, Any] = {
        "format": SIDECAR_FORMAT,
        "format_version": SIDECAR_VERSION,
        "name": name,
        "lanes": list(LANE_NAMES),
        "gm_notes": [lane.gm_note for lane in LANES],
        "sample_rate": int(sample_rate),
        "hop_length": int(hop_length),
        "frame_rate": sample_rate / hop_length,
        "inputs": {INPUT_NAME: "float32 [batch, samples], mono"},
        "outputs": {ONSETS_NAME: "float32 [batch, frames, 8] in [0, 1]; frames = samples // hop_length + 1"},
        "peak_picking": {
            "thresholds": {k: float(thr[k]) for k in LANE_NAMES},
            "min_interval_s": float(min_interval_s),
            "rule": peak_rule,
        },
        "inference": {"chunk_s": float(chunk_s), "context_s": float(context_s)},
    }
    if extra:
        data.update(extra)
    data["onnx_sha256"] = file_sha256(model_path)
    side = sidecar_path(model_path)
    with atomic_write(side) as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    return side


def rewrite_sidecar(
    source_model: str | os.PathLike[str],
    model_path: str | os.PathLike[str] | None = None,
    *,
    thresholds: dict[str, float] | None = None,
    name: str | None = None,
    extra: dict[str, Any] | None = None,
    drop: Iterable[str] = (),
) -> Path:
    """Write a sidecar for ``model_path`` from ``source_model``'s, changing only what is given.

    The core keys (:data:`drumscribe.contract.SIDECAR_CORE_KEYS`) are rebuilt by
    :func:`write_sidecar` (so the hash is the new file's); every other key is kept.

    Parameters
    ----------
    source_model : path-like
        The ``.onnx`` whose sidecar is read.
    model_path : path-like, optional
        The ``.onnx`` the new sidecar describes (and hashes); ``source_model`` when None
        (rewrite in place).
    thresholds : dict of str to float, optional
        New per-lane thresholds; the source's when None.
    name : str, optional
        New model name; the source's when None.
    extra : dict, optional
        Keys added to (or replacing) the source's free-form keys.
    drop : iterable of str
        Free-form keys of the source not to keep (e.g. metrics measured on another model).

    Returns
    -------
    pathlib.Path
        The sidecar written (atomically).
    """
    data = json.loads(sidecar_path(source_model).read_text(encoding="utf-8"))
    dropped = set(drop)
    kept = {k: v for k, v in data.items() if k not in SIDECAR_CORE_KEYS and k not in dropped}
    if LIVE_KEY in data:  # a live model's tensors are its own: keep their descriptions
        kept |= {k: data[k] for k in ("inputs", "outputs") if k in data}
    kept.update(extra or {})
    peak_picking = data["peak_picking"]
    inference = data["inference"]
    return write_sidecar(
        source_model if model_path is None else model_path,
        sample_rate=data["sample_rate"],
        hop_length=data["hop_length"],
        thresholds=thresholds if thresholds is not None else peak_picking["thresholds"],
        min_interval_s=peak_picking["min_interval_s"],
        peak_rule=peak_picking.get("rule", DEFAULT_PEAK_RULE),
        chunk_s=inference["chunk_s"],
        context_s=inference["context_s"],
        name=name if name is not None else data.get("name", "drumscribe"),
        extra=kept,
    )
