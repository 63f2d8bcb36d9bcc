"""``drumscribe.transcribe``: audio (file or array) -> :class:`Transcription`."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drumscribe.audio import (
    as_float_audio,
    check_array_shape,
    check_sample_rate,
    file_sha256,
    iter_array_blocks,
    iter_file_blocks,
    probe_audio,
)
from drumscribe.errors import DrumscribeError
from drumscribe.hits import DrumHit
from drumscribe.inference import StreamingTranscriber
from drumscribe.model import InferenceModel, Model, load_model
from drumscribe.progress import Progress
from drumscribe.transcription import Transcription

__all__ = ["transcribe"]

AudioInput = str | os.PathLike[str] | np.ndarray


def transcribe(
    audio: AudioInput,
    *,
    sample_rate: int | None = None,
    model: InferenceModel | str | os.PathLike[str] | None = None,
    thresholds: float | Sequence[float] | dict[str, float] | None = None,
    min_interval_s: float | None = None,
    chunk_s: float | None = None,
    context_s: float | None = None,
    providers: list[str] | None = None,
    threads: int | None = None,
    keep_activations: bool = False,
    keep_onset_strength: bool = False,
    progress: bool = False,
) -> Transcription:
    """Transcribe drums in a piece of audio.

    Parameters
    ----------
    audio : path-like or numpy.ndarray
        A file libsndfile decodes (wav, flac, ogg, mp3, ...), or an array of shape
        (samples,) or (channels, samples); arrays need ``sample_rate``.
    sample_rate : int, optional
        Rate of an array input in Hz.
    model : Model or path-like, optional
        A loaded model (anything with ``spec`` and ``run``, see
        :class:`~drumscribe.model.InferenceModel`) or the path of a ``model.onnx``; the
        bundled default if None.
    thresholds : float or sequence of 8 floats or dict, optional
        Peak-picking threshold(s) in (0, 1]; the sidecar's tuned values if None.
    min_interval_s : float, optional
        Minimum seconds between two hits of one lane; the sidecar's if None.
    chunk_s, context_s : float, optional
        Chunk length and context per side in seconds; the sidecar's if None.
    providers : list of str, optional
        onnxruntime execution providers (e.g. CUDA with the ``gpu`` extra).
    threads : int, optional
        onnxruntime intra-op threads.
    keep_activations : bool
        Keep the (frames, 8) onset activations in the result.
    keep_onset_strength : bool
        Keep the per-frame onset strength (frames,) in the result: enough for the chart's
        tempo to come from the model's activations, at an eighth of their memory.
    progress : bool
        Draw a progress bar on stderr.

    Returns
    -------
    Transcription
        Hits sorted by time, the duration, model info, optional activations.

    Raises
    ------
    AudioError
        Unreadable, truncated or non-finite audio (the message names the file).
    ModelError
        A model that is missing or breaks the ONNX contract.
    """
    m: InferenceModel = (
        model
        if isinstance(model, Model | InferenceModel)
        else load_model(model, threads=threads, providers=providers)
    )
    # the options are checked (chunk, thresholds, interval) before any audio is read;
    # blocks reach the stream already at the model rate
    stream = StreamingTranscriber(
        m,
        sample_rate=m.spec.sample_rate,
        threshold=thresholds,
        min_interval_s=min_interval_s,
        chunk_s=chunk_s,
        context_s=context_s,
        keep_activations=keep_activations,
        keep_onset_strength=keep_onset_strength,
    )
    opened = _open_audio(audio, sample_rate=sample_rate, model_rate=m.spec.sample_rate)
    bar = Progress(
        opened.duration_s, label=Path(opened.source).name if opened.source else "audio", enabled=progress
    )
    hits: list[DrumHit] = []
    for block in opened.blocks:
        hits += stream.push(block)
        bar.update(block.size / m.spec.sample_rate)
    hits += stream.finish()
    bar.close()
    return Transcription(
        hits=tuple(sorted(hits)),
        duration_s=float(opened.duration_s),
        model_info=m.info,
        activations=stream.activations,
        frame_rate=m.spec.frame_rate,
        source=opened.source,
        audio_sha256=opened.sha256,
        onset_strength=stream.onset_strength,
    )


@dataclass(frozen=True)
class _OpenedAudio:
    """An input checked and opened: its blocks (mono float32 at the model rate), its length in
    seconds, and for a file its path and SHA-256."""

    blocks: Iterator[np.ndarray]
    duration_s: float
    source: str | None = None
    sha256: str | None = None


def _open_audio(audio: AudioInput, *, sample_rate: int | None, model_rate: int) -> _OpenedAudio:
    """Check an array (shape, rate, dtype) or probe a file, before any work on its samples."""
    if isinstance(audio, np.ndarray):
        if sample_rate is None:
            raise DrumscribeError("transcribe: an array input needs sample_rate=")
        check_array_shape(audio)
        rate = check_sample_rate(sample_rate)
        as_float_audio(audio[..., :0])  # the dtype check, before any work
        return _OpenedAudio(
            iter_array_blocks(audio, sample_rate=rate, target_rate=model_rate),
            audio.shape[-1] / rate if audio.size else 0.0,
        )
    path = Path(audio)
    info = probe_audio(path)
    blocks = iter_file_blocks(path, sample_rate=model_rate)
    return _OpenedAudio(blocks, info.duration_s, source=str(path), sha256=file_sha256(path))
