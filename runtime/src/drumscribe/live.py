"""Live mode: a causal ONNX model run a hop at a time, hits out within a declared latency.

A live model is an ONNX graph plus its sidecar whose ``live`` section
(:data:`drumscribe.contract.LIVE_REQUIRED_KEYS`) names the state tensors: each call takes
``audio`` float32 [1, hops_per_call * hop_length] and the states, and gives ``onsets``
[1, hops_per_call, 8] (optionally ``velocities``) and the new states (docs/LIVE.md).

:class:`LiveTranscriber` feeds it blocks of any length: samples are converted as
:func:`drumscribe.transcribe` converts them, mixed to mono, resampled to the model's rate
with a short linear-phase filter (:class:`LowLatencyResampler`, 1 ms of delay; none at the
model's rate), cut into hops, and the activations go through the same causal
:class:`~drumscribe.peaks.PeakPicker` as offline (a peak is certain once the next frame is
in; live hit times stay on the frame grid, without the offline sub-frame refinement). The model is always called with exactly ``hops_per_call`` hops, so the hits do not
depend on how the input was split into blocks. No torch here: onnxruntime, numpy.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from drumscribe._io import read_regular_file, regular_file_problem
from drumscribe.audio import as_float_audio, check_sample_rate, file_sha256, to_mono
from drumscribe.contract import (
    INPUT_NAME,
    LANE_NAMES,
    LIVE_KEY,
    LIVE_REQUIRED_KEYS,
    ONSETS_NAME,
    PEAK_RULE_CONFIRM_FRAMES,
    VELOCITIES_NAME,
)
from drumscribe.errors import DrumscribeError, ModelError
from drumscribe.hits import DrumHit
from drumscribe.model import (
    MAX_CHUNK_S,
    MAX_SIDECAR_BYTES,
    MAX_THREADS,
    Model,
    ModelSpec,
    load_model,
    model_info,
    sidecar_path,
)
from drumscribe.peaks import PeakPicker, check_peak_rule

__all__ = [
    "LIVE_THREADS",
    "MAX_HOPS_PER_CALL",
    "MAX_LIVE_CHANNELS",
    "MAX_LIVE_LATENCY_S",
    "MAX_STATE_ELEMENTS",
    "RESAMPLE_KAISER_BETA",
    "RESAMPLE_ZERO_CROSSINGS",
    "LiveAsOfflineModel",
    "LiveModel",
    "LiveSpec",
    "LiveTranscriber",
    "LowLatencyResampler",
    "default_live_model_path",
    "is_live_model",
    "load_any_model",
    "load_live_model",
]

#: onnxruntime threads of a live session: one hop is a few hundred thousand multiply-adds,
#: too little work to share between threads (more threads only add wake-up jitter).
LIVE_THREADS = 1
#: Zero crossings of the resampling filter on each side, counted at the lower of the two
#: rates: the filter's delay is this many periods of that rate (1 ms at 16 kHz).
RESAMPLE_ZERO_CROSSINGS = 16
#: Kaiser window beta of the resampling filter (about 60 dB of stop-band attenuation).
RESAMPLE_KAISER_BETA = 6.0
#: Channels a pushed block may have (columns of a (samples, channels) block).
MAX_LIVE_CHANNELS = 64
#: A sidecar declaring more latency than this is not a live model.
MAX_LIVE_LATENCY_S = 1.0
#: Hops per call and state elements a sidecar may declare (bounds on one call's memory).
MAX_HOPS_PER_CALL = 1000
MAX_STATE_ELEMENTS = 1 << 24


def default_live_model_path() -> Path:
    """Path of the live model bundled inside the package (what it scores: docs/model/MODEL.md, "Live model")."""
    return Path(str(resources.files("drumscribe") / "models" / "live" / "model.onnx"))


@dataclass(frozen=True)
class LiveSpec:
    """What a live sidecar's ``live`` section promises.

    Attributes
    ----------
    hops_per_call : int
        Hops of audio per model call.
    lookahead_frames : int
        Frames the network reads past the one it predicts.
    output_delay_frames : int
        Output frame ``k`` of a stream is the prediction for frame ``k - output_delay_frames``.
    latency_s : float
        Declared algorithmic latency: a hit at time ``t`` is out once the input up to
        ``t + latency_s`` has been pushed (at the model's rate).
    states : tuple of (str, str, tuple of int)
        Input name, output name and shape of each state tensor, in input order.
    """

    hops_per_call: int
    lookahead_frames: int
    output_delay_frames: int
    latency_s: float
    states: tuple[tuple[str, str, tuple[int, ...]], ...]

    @classmethod
    def from_dict(cls, data: Any, *, where: str) -> LiveSpec:
        """Validate a sidecar's ``live`` section; :class:`ModelError` names ``where`` and the key."""
        if not isinstance(data, dict):
            raise ModelError(f"{where}: not a live model (the sidecar has no {LIVE_KEY!r} section)")
        missing = [k for k in LIVE_REQUIRED_KEYS if k not in data]
        if missing:
            raise ModelError(f"{where}: sidecar misses key {LIVE_KEY}.{missing[0]}")

        def count(key: str, low: int, high: int) -> int:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ModelError(f"{where}: {LIVE_KEY}.{key} must be an integer {low}..{high}, got {value!r}")
            return value

        latency = data["latency_s"]
        if (
            isinstance(latency, bool)
            or not isinstance(latency, int | float)
            or not 0 <= latency <= MAX_LIVE_LATENCY_S
        ):
            raise ModelError(
                f"{where}: {LIVE_KEY}.latency_s must be seconds 0..{MAX_LIVE_LATENCY_S:g}, got {latency!r}"
            )
        states = []
        raw_states = data["states"]
        if not isinstance(raw_states, list):
            raise ModelError(f"{where}: {LIVE_KEY}.states must be a list")
        for i, s in enumerate(raw_states):
            shape = s.get("shape") if isinstance(s, dict) else None
            name = s.get("name") if isinstance(s, dict) else None
            output = s.get("output") if isinstance(s, dict) else None
            if (
                not isinstance(name, str)
                or not isinstance(output, str)
                or not isinstance(shape, list)
                or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
                or math.prod(shape) > MAX_STATE_ELEMENTS
            ):
                raise ModelError(
                    f"{where}: {LIVE_KEY}.states[{i}] must be {{name, output, shape: positive ints}}, got {s!r}"
                )
            states.append((name, output, tuple(shape)))
        return cls(
            hops_per_call=count("hops_per_call", 1, MAX_HOPS_PER_CALL),
            lookahead_frames=count("lookahead_frames", 0, MAX_HOPS_PER_CALL),
            output_delay_frames=count("output_delay_frames", 0, MAX_HOPS_PER_CALL),
            latency_s=float(latency),
            states=tuple(states),
        )


class LiveModel:
    """A live ONNX model with its sidecar: one onnxruntime session, stateless itself.

    Build it with :func:`load_live_model`; the state lives in each :class:`LiveTranscriber`,
    so one model serves many streams.

    Attributes
    ----------
    path : pathlib.Path
    spec : ModelSpec
        Rates, lanes, thresholds (the sidecar's common keys).
    live : LiveSpec
        The ``live`` section.
    has_velocities : bool
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        threads: int = LIVE_THREADS,
        providers: list[str] | None = None,
    ) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        problem = regular_file_problem(self.path)
        if problem is not None:
            raise ModelError(
                f"{self.path}: live model file not found"
                if problem == "no such file"
                else f"{self.path}: cannot open the model ({problem})"
            )
        side = sidecar_path(self.path)
        try:
            data = json.loads(
                read_regular_file(side, max_bytes=MAX_SIDECAR_BYTES, what="the sidecar").decode("utf-8")
            )
        except (OSError, ValueError) as exc:  # missing, unreadable, not JSON, too large
            raise ModelError(f"{side}: unreadable sidecar ({exc})") from None
        self.spec = ModelSpec.from_dict(data, where=str(side))
        self.live = LiveSpec.from_dict(data.get(LIVE_KEY), where=str(side))
        actual = file_sha256(self.path)
        if actual != self.spec.onnx_sha256:
            raise ModelError(
                f"{self.path}: sha256 {actual[:12]}… does not match the sidecar's {self.spec.onnx_sha256[:12]}…"
            )
        if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= MAX_THREADS:
            raise ModelError(f"{self.path}: threads must be an integer 1..{MAX_THREADS}, got {threads!r}")
        options = ort.SessionOptions()
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
            raise ModelError(
                f"{self.path}: onnxruntime cannot load the model ({str(exc).strip()[:300]})"
            ) from None
        self._check_contract()

    @property
    def samples_per_call(self) -> int:
        """Model-rate samples of one call: ``hops_per_call * hop_length``."""
        return self.live.hops_per_call * self.spec.hop_length

    def _check_contract(self) -> None:
        inputs = [i.name for i in self.session.get_inputs()]
        expected = [INPUT_NAME] + [name for name, _out, _shape in self.live.states]
        if inputs != expected:
            raise ModelError(f"{self.path}: live model inputs {inputs} differ from the sidecar's {expected}")
        outputs = {o.name for o in self.session.get_outputs()}
        needed = {ONSETS_NAME} | {out for _name, out, _shape in self.live.states}
        if not needed <= outputs:
            raise ModelError(f"{self.path}: live model misses outputs {sorted(needed - outputs)}")
        self.has_velocities = VELOCITIES_NAME in outputs
        self._output_names = (
            [ONSETS_NAME]
            + ([VELOCITIES_NAME] if self.has_velocities else [])
            + [out for _name, out, _shape in self.live.states]
        )

    def initial_state(self) -> dict[str, np.ndarray]:
        """Zero state tensors by input name: the start of a stream."""
        return {name: np.zeros(shape, dtype=np.float32) for name, _out, shape in self.live.states}

    def step(
        self, audio: np.ndarray, state: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray | None, dict[str, np.ndarray]]:
        """One call: ``hops_per_call`` hops of audio and the state in, frames and new state out.

        Parameters
        ----------
        audio : numpy.ndarray
            Shape (samples_per_call,), float32 at ``spec.sample_rate``.
        state : dict of str to numpy.ndarray
            From :meth:`initial_state` or the previous call.

        Returns
        -------
        onsets : numpy.ndarray
            Shape (hops_per_call, 8) in [0, 1].
        velocities : numpy.ndarray or None
            Same shape, when the model has a velocity head.
        state : dict of str to numpy.ndarray
            The state for the next call.
        """
        feeds = {INPUT_NAME: audio.reshape(1, -1), **state}
        outs = self.session.run(self._output_names, feeds)
        onsets = np.asarray(outs[0], dtype=np.float32)[0]
        if onsets.shape != (self.live.hops_per_call, len(LANE_NAMES)):
            raise ModelError(
                f"{self.path}: output 'onsets' has shape {onsets.shape[1:]}, expected ({self.live.hops_per_call}, 8)"
            )
        k = 1
        velocities = None
        if self.has_velocities:
            velocities = np.asarray(outs[1], dtype=np.float32)[0]
            k = 2
        new_state = {name: np.asarray(outs[k + i]) for i, (name, _out, _shape) in enumerate(self.live.states)}
        return onsets, velocities, new_state

    def __repr__(self) -> str:
        return f"LiveModel({str(self.path)!r}, name={self.spec.name!r}, latency_s={self.live.latency_s:g})"


def is_live_model(path: str | os.PathLike[str]) -> bool:
    """Whether the sidecar beside ``path`` has a ``live`` section (False when unreadable)."""
    try:
        raw = read_regular_file(sidecar_path(path), max_bytes=MAX_SIDECAR_BYTES, what="the sidecar")
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and LIVE_KEY in data


def load_live_model(
    path: str | os.PathLike[str] | None = None,
    *,
    threads: int = LIVE_THREADS,
    providers: list[str] | None = None,
) -> LiveModel:
    """Load a live model and its sidecar (the bundled one when ``path`` is None).

    Raises
    ------
    ModelError
        If the model or sidecar is missing, mismatched, not a live model, or breaks the contract.
    """
    p = Path(path) if path is not None else default_live_model_path()
    if path is None and not p.is_file():
        raise ModelError(f"{p}: the bundled live model is missing from this installation")
    return LiveModel(p, threads=threads, providers=providers)


class LiveAsOfflineModel:
    """A live model behind the offline :class:`~drumscribe.model.InferenceModel` interface.

    :meth:`run` streams each signal hop by hop from zero state, flushes the look-ahead with
    zeros and drops the delayed frames, so ``samples // hop + 1`` frames come out as from an
    offline model; the spec asks for one chunk per file (:data:`~drumscribe.model.MAX_CHUNK_S`,
    no context), so a file of up to that length is exactly one stream. Evaluation and
    threshold tuning (``drumscribe-train evaluate --model live/model.onnx``) go through it;
    peak picking there is the offline one (times refined below a frame).

    Parameters
    ----------
    live : LiveModel
    """

    def __init__(self, live: LiveModel) -> None:
        self.live_model = live
        self.path = live.path
        self.spec = dataclasses.replace(live.spec, chunk_s=MAX_CHUNK_S, context_s=0.0)
        self.has_velocities = live.has_velocities

    @property
    def info(self) -> dict[str, Any]:
        """Name, path, sha256 and versions, as :attr:`drumscribe.Model.info`."""
        return model_info(self.spec, self.path)

    def run(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Shape (batch, samples) float32 -> onsets (batch, samples // hop + 1, 8) and velocities."""
        x = np.asarray(audio, dtype=np.float32)
        model = self.live_model
        hop, step = model.spec.hop_length, model.samples_per_call
        delay = model.live.output_delay_frames
        frames = x.shape[1] // hop + 1
        calls = -(-(frames + delay) * hop // step)
        onsets, velocities = [], []
        for row in x:
            padded = np.zeros(calls * step, dtype=np.float32)
            padded[: row.size] = row
            state = model.initial_state()
            outs, vels = [], []
            for c in range(calls):
                o, v, state = model.step(padded[c * step : (c + 1) * step], state)
                outs.append(o)
                vels.append(v)
            onsets.append(np.concatenate(outs)[delay : delay + frames])
            if self.has_velocities:
                velocities.append(np.concatenate([v for v in vels if v is not None])[delay : delay + frames])
        return np.stack(onsets), (np.stack(velocities) if self.has_velocities else None)


def load_any_model(path: str | os.PathLike[str] | None = None) -> Model | LiveAsOfflineModel:
    """An offline model, or a live one behind the offline interface (by its sidecar)."""
    if path is not None and is_live_model(path):
        return LiveAsOfflineModel(load_live_model(path))
    return load_model(path, cache=False)


class LowLatencyResampler:
    """Streaming windowed-sinc resampler with a short, known delay; chunk-invariant.

    Output sample ``m`` is the input signal at time ``m / out_rate`` (so times need no
    correction), low-passed below the lower Nyquist frequency by a Kaiser-windowed sinc with
    :data:`RESAMPLE_ZERO_CROSSINGS` zero crossings each side. It needs input up to
    :attr:`delay_s` past its time, so it adds that much latency (1 ms with 16 kHz out). Each
    output depends only on its index and the input samples, so any split of the input into
    blocks gives the same output. Equal rates pass through with no delay.

    Parameters
    ----------
    in_rate, out_rate : int
        Sample rates in Hz.
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self.in_rate = int(in_rate)
        self.out_rate = int(out_rate)
        self.passthrough = self.in_rate == self.out_rate
        self.cutoff = min(1.0, self.out_rate / self.in_rate)  # of the input's Nyquist
        self.half_width = RESAMPLE_ZERO_CROSSINGS / self.cutoff  # input samples each side
        self._table: np.ndarray | None = None  # kernels per phase, built on first use
        self.reset()

    @property
    def delay_s(self) -> float:
        """Seconds of input needed past an output sample's time (0 when passing through)."""
        return 0.0 if self.passthrough else self.half_width / self.in_rate

    def reset(self) -> None:
        """Start a new signal at input sample 0."""
        self._buf = np.zeros(0, dtype=np.float64)
        self._base = 0  # absolute input index of _buf[0]
        self._n_in = 0
        self._next_out = 0

    def _kernels(self) -> np.ndarray:
        """Filter taps for every phase: (phases, taps), row ``p`` for outputs whose position's
        fractional part is ``p / phases`` of an input sample (a rational ratio repeats them)."""
        phases = self.out_rate // math.gcd(self.in_rate, self.out_rate)
        reach = math.ceil(self.half_width)
        taps = np.arange(2 * reach + 2, dtype=np.float64)
        frac = np.arange(phases, dtype=np.float64)[:, None] / phases
        dist = frac + reach - taps[None, :]  # input samples from the output's time
        inside = np.abs(dist) <= self.half_width
        ratio = np.clip(1.0 - (dist / self.half_width) ** 2, 0.0, 1.0)
        window = np.where(inside, np.i0(RESAMPLE_KAISER_BETA * np.sqrt(ratio)), 0.0) / np.i0(
            RESAMPLE_KAISER_BETA
        )
        return np.asarray(self.cutoff * np.sinc(self.cutoff * dist) * window, dtype=np.float64)

    def __call__(self, block: np.ndarray, *, last: bool = False) -> np.ndarray:
        """Resample the next mono block (samples,); ``last`` flushes (the input ends with zeros).

        Returns
        -------
        numpy.ndarray
            Shape (new output samples,), float32.
        """
        block = np.asarray(block, dtype=np.float32)
        if self.passthrough:
            self._n_in += block.size
            return block.copy()
        self._buf = np.concatenate([self._buf, block.astype(np.float64)])
        self._n_in += block.size
        if last:
            stop = -(-self._n_in * self.out_rate // self.in_rate)
        else:  # outputs whose whole kernel has arrived: position + half_width <= n_in - 1
            stop = math.floor((self._n_in - 1 - self.half_width) * self.out_rate / self.in_rate) + 1
        stop = max(stop, self._next_out)
        out = self._render(self._next_out, stop)
        self._next_out = stop
        keep_from = self._next_out * self.in_rate // self.out_rate - math.ceil(self.half_width) - 1
        drop = min(max(0, keep_from - self._base), self._buf.size)
        self._buf = self._buf[drop:]
        self._base += drop
        return out

    def _render(self, start: int, stop: int) -> np.ndarray:
        if stop <= start:
            return np.zeros(0, dtype=np.float32)
        if self._table is None:
            self._table = self._kernels()
        phases = self._table.shape[0]
        step = self.out_rate // phases  # out_rate / phases = gcd
        num = np.arange(start, stop, dtype=np.int64) * self.in_rate  # positions * out_rate, exact
        whole = num // self.out_rate
        phase = (num % self.out_rate) // step
        reach = (self._table.shape[1] - 2) // 2
        idx = (whole - reach)[:, None] + np.arange(self._table.shape[1], dtype=np.int64)[None, :]
        rel = idx - self._base
        valid = (idx < self._n_in) & (rel >= 0) & (rel < self._buf.size)  # before 0 / after the end: zeros
        padded = np.concatenate([self._buf, np.zeros(1)])
        samples = padded[np.where(valid, rel, self._buf.size)]
        return np.asarray((samples * self._table[phase]).sum(axis=1), dtype=np.float32)


class LiveTranscriber:
    """Transcribe a live signal with a causal model: hits out within :attr:`latency_s`.

    Push blocks of any length as they arrive; each :meth:`push` returns the hits decided by
    then. A hit at time ``t`` (seconds from the first pushed sample, in the input's timeline)
    is returned by the push that brings the input past ``t + latency_s``. The hits do not
    depend on how the signal is split into blocks.

    A transcriber is one signal: after :meth:`finish`, :meth:`push` and :meth:`finish`
    raise :class:`~drumscribe.DrumscribeError` until :meth:`reset` starts a new one.

    Parameters
    ----------
    model : LiveModel or path-like, optional
        A live model (:func:`load_live_model`) or its ``.onnx`` path; default: the bundled
        live model (docs/model/MODEL.md, "Live model").
    sample_rate : int
        Rate of the pushed audio in Hz (resampled to the model's).
    threshold : float or sequence or dict, optional
        Peak threshold, one or per lane; default: the sidecar's.
    min_interval_s : float, optional
        Minimum seconds between two hits of a lane; default: the sidecar's.
    peak_rule : {"peak", "rise"}, optional
        The peak-picking rule (:mod:`drumscribe.peaks`); default: the sidecar's. ``rise``
        decides a hit without waiting for the next frame: on a ``peak`` model it takes one hop
        off :attr:`latency_s` (10 ms for the bundled model, at about the same F1 at 50 ms and
        a little less at 20 ms; docs/model/MODEL.md, "Live model").

    Examples
    --------
    >>> live = LiveTranscriber(sample_rate=48000)                  # doctest: +SKIP
    >>> for block in sound_card_blocks():                           # doctest: +SKIP
    ...     for hit in live.push(block):
    ...         print(hit)
    >>> tail = live.finish()                                        # doctest: +SKIP
    """

    def __init__(
        self,
        model: LiveModel | str | os.PathLike[str] | None = None,
        *,
        sample_rate: int,
        threshold: float | Sequence[float] | dict[str, float] | None = None,
        min_interval_s: float | None = None,
        peak_rule: str | None = None,
    ) -> None:
        self.model = model if isinstance(model, LiveModel) else load_live_model(model)
        self.sample_rate = check_sample_rate(sample_rate, "LiveTranscriber")
        spec = self.model.spec
        self.peak_rule = spec.peak_rule if peak_rule is None else check_peak_rule(peak_rule)
        # the sidecar's latency holds its own rule's confirmation frames: swap them for this rule's
        confirm = PEAK_RULE_CONFIRM_FRAMES[self.peak_rule] - PEAK_RULE_CONFIRM_FRAMES[spec.peak_rule]
        self._model_latency_s = self.model.live.latency_s + confirm * spec.hop_length / spec.sample_rate
        self._picker = PeakPicker(
            frame_rate=spec.frame_rate,
            threshold=spec.thresholds if threshold is None else threshold,
            min_interval_s=spec.min_interval_s if min_interval_s is None else min_interval_s,
            refine=False,  # hit times on the frame grid: never earlier than their frame
            rule=self.peak_rule,
        )
        self._resample = LowLatencyResampler(self.sample_rate, spec.sample_rate)
        self.reset()

    @property
    def latency_s(self) -> float:
        """Declared algorithmic latency, seconds: the model's plus the resampler's delay.

        A hit at time ``t`` is returned once the input up to ``t + latency_s`` has been
        pushed. Compute time and the sound card's buffers come on top.
        """
        return self._model_latency_s + self._resample.delay_s

    def reset(self) -> None:
        """Forget the signal so far; the next push starts at time 0."""
        self._resample.reset()
        self._picker.reset()
        self._state = self.model.initial_state()
        self._pending = np.zeros(0, dtype=np.float32)
        self._model_samples = 0  # model-rate samples received (before flushing)
        self._frames_out = 0  # model output frames so far, delayed ones included
        self._finished = False
        self.samples_pushed = 0

    def _check_open(self, call: str) -> None:
        if self._finished:
            raise DrumscribeError(
                f"LiveTranscriber.{call}() after finish(): the signal has ended; call reset() to start a new one"
            )

    def push(self, block: np.ndarray) -> list[DrumHit]:
        """Add a block of audio; return the hits now decided (sorted by time, then lane).

        Parameters
        ----------
        block : numpy.ndarray
            Shape (samples,) mono or (samples, channels) as sound cards deliver it (channels
            are averaged), at :attr:`sample_rate`; any length, 0 included. Floats are taken
            as they are; signed integers (int16, int32) are scaled to [-1, 1) by their bit
            depth, as :func:`drumscribe.transcribe` scales them.

        Raises
        ------
        AudioError
            On unsigned or non-numeric samples.
        ValueError
            On a wrong shape or NaN/infinite samples.
        DrumscribeError
            After :meth:`finish`.
        """
        self._check_open("push")
        arr = as_float_audio(block, "audio block")
        if arr.ndim == 2 and 1 <= arr.shape[1] <= MAX_LIVE_CHANNELS:
            arr = to_mono(arr)
        elif arr.ndim != 1:
            raise ValueError(
                f"push expects (samples,) or (samples, channels) with 1..{MAX_LIVE_CHANNELS} channels, got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError("audio block contains NaN or infinite samples")
        self.samples_pushed += arr.size
        model_rate = self._resample(arr)
        self._model_samples += model_rate.size
        return self._feed(model_rate)

    def _feed(self, samples: np.ndarray, *, frames_wanted: int | None = None) -> list[DrumHit]:
        """Append model-rate samples, run every whole call, pick peaks on the frames out."""
        pending = np.concatenate([self._pending, samples]) if self._pending.size else samples
        step = self.model.samples_per_call
        calls = pending.size // step
        hits: list[DrumHit] = []
        delay = self.model.live.output_delay_frames
        for c in range(calls):
            onsets, velocities, self._state = self.model.step(pending[c * step : (c + 1) * step], self._state)
            first = self._frames_out
            self._frames_out += len(onsets)
            lo = max(0, delay - first)  # drop the delayed start of the stream
            hi = (
                len(onsets)
                if frames_wanted is None
                else max(lo, min(len(onsets), frames_wanted + delay - first))
            )
            if hi > lo:
                hits += self._picker.process(onsets[lo:hi], None if velocities is None else velocities[lo:hi])
        self._pending = np.array(pending[calls * step :], dtype=np.float32)
        return hits

    def finish(self) -> list[DrumHit]:
        """End the signal: run the model over the look-ahead (zeros) and return the last hits.

        The frames are those of the whole signal: ``samples // hop + 1`` at the model rate,
        as offline. Then the transcriber is closed until :meth:`reset`.
        """
        self._check_open("finish")
        self._finished = True
        tail = self._resample(np.zeros(0, dtype=np.float32), last=True)
        self._model_samples += tail.size
        hits = self._feed(tail)
        hop = self.model.spec.hop_length
        frames = self._model_samples // hop + 1
        needed = frames + self.model.live.output_delay_frames  # output frames to produce
        missing = needed - self._frames_out
        if missing > 0:
            calls = -(-missing // self.model.live.hops_per_call)
            zeros = max(0, calls * self.model.samples_per_call - self._pending.size)
            hits += self._feed(np.zeros(zeros, dtype=np.float32), frames_wanted=frames)
        hits += self._picker.process(np.zeros((0, len(LANE_NAMES))), final=True)
        return sorted(hits)

    @property
    def time_s(self) -> float:
        """Seconds of input pushed so far."""
        return self.samples_pushed / self.sample_rate

    def __repr__(self) -> str:
        return f"LiveTranscriber({self.model!r}, sample_rate={self.sample_rate})"
