"""Chunked inference with context, and the streaming transcriber built on it.

Audio at the model rate is cut into fixed chunks of ``chunk`` samples (a multiple of the
hop). Chunk ``k`` covers output frames ``[k*chunk/hop, (k+1)*chunk/hop)``; the network
sees it with ``context`` samples more on each side (clipped at the ends of the signal,
where a whole-file pass has its own edge), and only the chunk's own frames are kept. With
a context at least as long as the network's receptive field, the joined activations equal
one whole-file pass; for the recurrent default model the context makes the difference
negligible (measured in the tests and the model card).

The network has no left edge to hear an onset against at the very start of a signal (a hit
in the first ~30 ms was lost), so the first :data:`HEAD_S` of output frames come from a
second, short pass over the first second of audio with :data:`LEAD_S` of silence before it.
Only those frames change: a recurrent network run on the whole padded chunk would move
activations everywhere in it (hits near their threshold flip). A file that starts in the
middle of a sound (cut from a recording) may in turn get a hit at 0 s for that sound.

Offline transcription is this same streaming path fed from file blocks, so the two cannot
disagree, and memory stays flat as files grow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from drumscribe.audio import Resampler, as_float_audio, check_sample_rate
from drumscribe.charts.beat_tracking import lane_onset_strength
from drumscribe.errors import DrumscribeError
from drumscribe.hits import DrumHit
from drumscribe.model import MAX_CHUNK_S, MAX_CONTEXT_S, InferenceModel
from drumscribe.peaks import PeakPicker

__all__ = ["HEAD_CONTEXT_S", "HEAD_S", "LEAD_S", "ActivationStream", "StreamingTranscriber", "chunk_geometry"]

#: Silence put before the start of a signal for its head pass, seconds (whole hops): the left
#: edge the network needs to hear a hit at 0 s.
LEAD_S = 0.1
#: Output frames at the start of a signal taken from the head pass, seconds.
HEAD_S = 0.05
#: Audio after the start that the head pass sees, seconds (its right-hand context).
HEAD_CONTEXT_S = 1.0


def chunk_geometry(
    model: InferenceModel, *, chunk_s: float | None = None, context_s: float | None = None
) -> tuple[int, int]:
    """Chunk and context lengths in samples, rounded to whole hops.

    Returns
    -------
    chunk, context : int
        Samples at the model rate; chunk >= one hop.

    Raises
    ------
    DrumscribeError
        Unless 0 < chunk_s <= :data:`~drumscribe.model.MAX_CHUNK_S` and
        0 <= context_s <= :data:`~drumscribe.model.MAX_CONTEXT_S` (NaN and infinity refused).
    """
    hop = model.spec.hop_length
    sr = model.spec.sample_rate
    c_s = model.spec.chunk_s if chunk_s is None else float(chunk_s)
    x_s = model.spec.context_s if context_s is None else float(context_s)
    if not 0 < c_s <= MAX_CHUNK_S:
        raise DrumscribeError(f"chunk_s must be > 0 and <= {MAX_CHUNK_S:g} seconds, got {c_s}")
    if not 0 <= x_s <= MAX_CONTEXT_S or math.isnan(x_s):
        raise DrumscribeError(f"context_s must be >= 0 and <= {MAX_CONTEXT_S:g} seconds, got {x_s}")
    chunk = max(1, round(c_s * sr / hop)) * hop
    context = round(x_s * sr / hop) * hop
    return chunk, context


class ActivationStream:
    """Push model-rate audio, get the activations of every finished chunk.

    Parameters
    ----------
    model : Model
    chunk_s, context_s : float, optional
        Chunk length and context on each side in seconds (default: the sidecar's).
    """

    def __init__(
        self, model: InferenceModel, *, chunk_s: float | None = None, context_s: float | None = None
    ) -> None:
        self.model = model
        self.chunk, self.context = chunk_geometry(model, chunk_s=chunk_s, context_s=context_s)
        self.hop = model.spec.hop_length
        sr = model.spec.sample_rate
        self.lead = round(LEAD_S * sr / self.hop) * self.hop
        self.head_frames = max(1, round(HEAD_S * sr / self.hop))
        self.head_context = round(HEAD_CONTEXT_S * sr)
        self.reset()

    def reset(self) -> None:
        """Start a new signal."""
        self._buf = np.zeros(0, dtype=np.float32)
        self._buf_start = 0  # absolute sample index of _buf[0]
        self._next_chunk = 0  # index k of the next chunk to run
        self.samples_seen = 0

    def _run_chunk(self, k: int, end: int, *, last: bool) -> tuple[np.ndarray, np.ndarray | None]:
        onsets, vels = self._run_window(k, end, last=last)
        if k == 0:  # the signal's first frames, heard after a lead of silence
            onsets, vels = self._splice_head(onsets, vels, end)
        return onsets, vels

    def _splice_head(
        self, onsets: np.ndarray, vels: np.ndarray | None, end: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        head = self._buf[: min(end, self.head_context)]  # chunk 0: _buf still starts at sample 0
        x = np.concatenate([np.zeros(self.lead, dtype=np.float32), head])
        h_onsets, h_vels = self.model.run(x[None, :])
        first = self.lead // self.hop
        n = min(self.head_frames, len(onsets), h_onsets.shape[1] - first)
        onsets = onsets.copy()
        onsets[:n] = h_onsets[0, first : first + n]
        if vels is not None and h_vels is not None:
            vels = vels.copy()
            vels[:n] = h_vels[0, first : first + n]
        return onsets, vels

    def _run_window(self, k: int, end: int, *, last: bool) -> tuple[np.ndarray, np.ndarray | None]:
        core_start = k * self.chunk
        core_end = (k + 1) * self.chunk
        win_start = max(0, core_start - self.context)
        win_end = min(end, core_end + self.context)
        x = self._buf[win_start - self._buf_start : win_end - self._buf_start]
        onsets, vels = self.model.run(x[None, :])
        first = (core_start - win_start) // self.hop
        total_frames = end // self.hop + 1 if last else None
        n = self.chunk // self.hop
        if total_frames is not None:
            n = min(n, total_frames - core_start // self.hop)
        sl = slice(first, first + n)
        return onsets[0, sl], (vels[0, sl] if vels is not None else None)

    def _drop_consumed(self) -> None:
        keep_from = max(0, self._next_chunk * self.chunk - self.context)
        if keep_from > self._buf_start:
            self._buf = self._buf[keep_from - self._buf_start :]
            self._buf_start = keep_from

    def push(self, block: np.ndarray) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Add samples; return (onsets, velocities) of each chunk now complete.

        Each array has shape (frames, 8); frames of successive results are consecutive.
        """
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        self._buf = np.concatenate([self._buf, block])
        self.samples_seen += block.size
        out = []
        while self.samples_seen >= (self._next_chunk + 1) * self.chunk + self.context:
            out.append(self._run_chunk(self._next_chunk, self.samples_seen, last=False))
            self._next_chunk += 1
            self._drop_consumed()
        return out

    def finish(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Run the remaining chunks up to the end of the signal, then reset."""
        end = self.samples_seen
        out = []
        if end > 0:
            total_frames = end // self.hop + 1
            while self._next_chunk * self.chunk // self.hop < total_frames:
                out.append(self._run_chunk(self._next_chunk, end, last=True))
                self._next_chunk += 1
        self.reset()
        return out


class StreamingTranscriber:
    """Transcribe audio as it arrives (e.g. from a live input).

    Hits come out as soon as their chunk's right-hand context is in: the delay is
    ``chunk_s + context_s`` at most. The hits equal those of :func:`drumscribe.transcribe`
    on the whole signal.

    A stream is one signal: after :meth:`finish`, :meth:`push` and :meth:`finish` raise
    :class:`~drumscribe.DrumscribeError` until :meth:`reset` starts a new signal.

    Parameters
    ----------
    model : Model
    sample_rate : int
        Rate of the pushed audio in Hz (resampled to the model's).
    threshold : float or sequence or dict, optional
        Default: the sidecar's per-lane thresholds.
    min_interval_s : float, optional
        Default: the sidecar's.
    chunk_s, context_s : float, optional
        Default: the sidecar's.
    keep_activations : bool
        Keep all activations (frames, 8) for :attr:`activations`.
    keep_onset_strength : bool
        Keep the onset strength per frame (frames,) for :attr:`onset_strength`: what the
        chart's tempo estimate needs from the activations, an eighth of their size.

    Examples
    --------
    >>> stream = StreamingTranscriber(model, sample_rate=48000)  # doctest: +SKIP
    >>> for block in microphone_blocks():                         # doctest: +SKIP
    ...     for hit in stream.push(block):
    ...         print(hit)
    >>> tail = stream.finish()                                     # doctest: +SKIP
    """

    def __init__(
        self,
        model: InferenceModel,
        *,
        sample_rate: int,
        threshold: float | Sequence[float] | dict[str, float] | None = None,
        min_interval_s: float | None = None,
        chunk_s: float | None = None,
        context_s: float | None = None,
        keep_activations: bool = False,
        keep_onset_strength: bool = False,
    ) -> None:
        self.model = model
        self.sample_rate = check_sample_rate(sample_rate, "StreamingTranscriber")
        self._acts = ActivationStream(model, chunk_s=chunk_s, context_s=context_s)
        self._picker = PeakPicker(
            frame_rate=model.spec.frame_rate,
            threshold=model.spec.thresholds if threshold is None else threshold,
            min_interval_s=model.spec.min_interval_s if min_interval_s is None else min_interval_s,
            rule=model.spec.peak_rule,
        )
        self.keep_activations = keep_activations
        self.keep_onset_strength = keep_onset_strength
        self.reset()

    def reset(self) -> None:
        """Forget the signal so far; the next push starts at time 0."""
        self._resample = Resampler(self.sample_rate, self.model.spec.sample_rate)
        self._acts.reset()
        self._picker.reset()
        self._kept: list[np.ndarray] = []
        self._strength: list[np.ndarray] = []
        self._model_samples = 0
        self._finished = False
        self.duration_s = 0.0

    @property
    def activations(self) -> np.ndarray | None:
        """All onset activations so far, shape (frames, 8), when kept."""
        if not self.keep_activations:
            return None
        if not self._kept:
            return np.zeros((0, len(self.model.spec.lanes)), dtype=np.float32)
        return np.concatenate(self._kept)

    @property
    def onset_strength(self) -> np.ndarray | None:
        """The onset strength so far, shape (frames,), float64, when kept."""
        if not self.keep_onset_strength:
            return None
        return np.concatenate(self._strength) if self._strength else np.zeros(0)

    def _collect(self, results: list[tuple[np.ndarray, np.ndarray | None]], *, final: bool) -> list[DrumHit]:
        hits: list[DrumHit] = []
        for i, (onsets, vels) in enumerate(results):
            if self.keep_activations:
                self._kept.append(onsets)
            if self.keep_onset_strength:
                self._strength.append(lane_onset_strength(onsets))
            hits += self._picker.process(onsets, vels, final=final and i == len(results) - 1)
        return hits

    def _check_open(self, call: str) -> None:
        if self._finished:
            raise DrumscribeError(
                f"StreamingTranscriber.{call}() after finish(): the signal has ended; call reset() to start a new one"
            )

    def push(self, block: np.ndarray) -> list[DrumHit]:
        """Add a mono block (samples,) at :attr:`sample_rate`; return the hits now decided.

        Samples are converted as :func:`drumscribe.transcribe` converts an array: floats as
        they are, signed integers scaled to [-1, 1) by their bit depth; unsigned integers and
        bools are refused (:class:`~drumscribe.AudioError`).
        """
        self._check_open("push")
        block = as_float_audio(block, "audio block")
        if block.ndim != 1:
            raise ValueError(f"push expects a mono block (samples,), got shape {block.shape}")
        if not np.all(np.isfinite(block)):
            raise ValueError("audio block contains NaN or infinite samples")
        self.duration_s += block.size / self.sample_rate
        return self._push_model_rate(self._resample(block))

    def _push_model_rate(self, block: np.ndarray) -> list[DrumHit]:
        self._model_samples += block.size
        return self._collect(self._acts.push(block), final=False)

    def finish(self) -> list[DrumHit]:
        """Flush: return the remaining hits. Activations stay readable until :meth:`reset`."""
        self._check_open("finish")
        self._finished = True
        tail = self._resample(np.zeros(0, dtype=np.float32), last=True)
        hits = self._collect(self._acts.push(tail), final=False) if tail.size else []
        self._model_samples += tail.size
        results = self._acts.finish()
        if results:
            hits += self._collect(results, final=True)
        else:
            hits += self._picker.process(np.zeros((0, len(self.model.spec.lanes))), final=True)
        return hits
