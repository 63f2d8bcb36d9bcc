"""Smaller or faster variants of an exported model: static int8, dynamic int8 and fp16.

:func:`to_int8_static` is the one that is faster on CPU: static (calibrated) int8 in QDQ
form of the body's 2-D convolutions only, the front-end (conv-DFT, mel, log) and the GRU
kept in fp32. :func:`to_int8` (dynamic) turns every Conv, the front-end's DFT included, into
ConvInteger and is about 2x *slower* than fp32 (benchmarks/NOTES.md).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from drumscribe._io import atomic_path
from drumscribe.model import sidecar_path

__all__ = ["CALIBRATION_METHODS", "calibration_windows", "to_fp16", "to_int8", "to_int8_static"]

#: onnxruntime calibration methods :func:`to_int8_static` accepts.
CALIBRATION_METHODS = ("minmax", "entropy", "percentile")
#: Rank of a 2-D convolution's weight (out, in, kh, kw); the front-end's conv-DFT is 1-D.
_CONV2D_WEIGHT_RANK = 4
#: What runs in int8: a convolution with the Relu and MaxPool right after it. A convolution
#: alone gains nothing (its output is dequantized at once, so onnxruntime cannot fuse it into
#: QLinearConv); with its followers the block stays uint8 until the next fp32 op.
_INT8_OPS = ("Conv", "Relu", "MaxPool")


def _with_followers(graph: Any, conv: Any) -> list[str]:
    """``conv``'s name and those of the single-consumer Relu, then MaxPool, chain after it."""
    names = [conv.name]
    tensor = conv.output[0]
    for op in _INT8_OPS[1:]:
        users = [n for n in graph.node if tensor in n.input]
        if len(users) != 1 or users[0].op_type != op:
            break
        names.append(users[0].name)
        tensor = users[0].output[0]
    return names


def _copy_sidecar(src: Path, dst: Path, variant: str) -> None:
    import json

    from drumscribe.audio import file_sha256
    from drumscribe.model import rewrite_sidecar

    name = json.loads(sidecar_path(src).read_text(encoding="utf-8")).get("name", "drumscribe")
    extra = {"variant": variant, "source_onnx_sha256": file_sha256(src)}
    rewrite_sidecar(src, dst, name=f"{name}-{variant}", extra=extra)


def to_int8(src: str | Path, dst: str | Path) -> Path:
    """Dynamic int8 quantisation (onnxruntime.quantization) of weights of MatMul/GRU/Conv."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    src_p, dst_p = Path(src), Path(dst)
    with atomic_path(dst_p) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_dynamic(str(src_p), str(tmp), weight_type=QuantType.QInt8)
    _copy_sidecar(src_p, dst_p, "int8")
    return dst_p


def calibration_windows(
    files: Sequence[str | os.PathLike[str]], *, sample_rate: int, window_s: float, max_windows: int
) -> list[np.ndarray]:
    """Equal windows of audio for :func:`to_int8_static`, spread over the files.

    Parameters
    ----------
    files : sequence of path-like
        Audio files (any rate and channel count the runtime decodes).
    sample_rate : int
        The model's rate (Hz); files are resampled to it.
    window_s : float
        Window length in seconds; a file shorter than one window gives none.
    max_windows : int
        At most this many windows, dealt in rounds: every file's first window, then every
        file's second, and so on; a round with fewer windows left than files takes evenly
        spaced files (lengths from the headers; only the files dealt a window are decoded).

    Returns
    -------
    list of numpy.ndarray
        Each of shape (round(window_s * sample_rate),), float32, mono; a file's windows are
        consecutive from its start, files in the order given.

    Raises
    ------
    drumscribe.errors.DrumscribeError
        If a file cannot be read (naming it), or no file holds one whole window.
    """
    from drumscribe.audio import probe_audio
    from drumscribe.errors import DrumscribeError

    size = round(window_s * sample_rate)
    whole = []
    for path in files:
        info = probe_audio(path)
        whole.append(int(info.frames * sample_rate / info.sample_rate) // size)
    dealt = [0] * len(files)
    while (need := max_windows - sum(dealt)) > 0:
        open_files = [i for i, n in enumerate(whole) if dealt[i] < n]
        if not open_files:
            break
        if need < len(open_files):  # the last round: evenly spaced files, not the first ones
            open_files = [open_files[k * len(open_files) // need] for k in range(need)]
        for i in open_files:
            dealt[i] += 1
    windows: list[np.ndarray] = []
    for path, count in zip(files, dealt, strict=True):
        if count:
            audio = _decode_head(path, sample_rate=sample_rate, samples=count * size)
            windows += [audio[k * size : (k + 1) * size] for k in range(min(count, audio.size // size))]
    if not windows:
        raise DrumscribeError(f"no calibration audio: no file holds a whole {window_s:g} s window")
    return windows


def _decode_head(path: str | os.PathLike[str], *, sample_rate: int, samples: int) -> np.ndarray:
    """The first ``samples`` of a file at ``sample_rate`` (or all of a shorter one): decoding
    stops at the block that reaches them, so a few windows of a long song cost a few blocks."""
    from drumscribe.audio import iter_file_blocks

    parts: list[np.ndarray] = []
    got = 0
    for block in iter_file_blocks(path, sample_rate=sample_rate):  # closed when dropped
        parts.append(block)
        got += block.size
        if got >= samples:
            break
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def to_int8_static(
    src: str | Path,
    dst: str | Path,
    *,
    calibration: Iterable[np.ndarray],
    method: str = "minmax",
    per_channel: bool = True,
    first_conv: bool = False,
) -> Path:
    """Static int8 (QDQ) of the 2-D convolutions, calibrated on audio; the rest stays fp32.

    Parameters
    ----------
    src : path-like
        fp32 ``model.onnx`` with its sidecar.
    dst : path-like
        Where to write the int8 model; its sidecar (variant ``int8-static``) is written beside.
    calibration : iterable of numpy.ndarray
        Mono float32 pieces of audio at the model's sample rate, each of shape (samples,):
        real-like drums (rendered performances, the example), a few minutes in all.
    method : {"minmax", "entropy", "percentile"}
        How activation ranges are taken from the calibration run.
    per_channel : bool
        One weight scale per output channel (recommended).
    first_conv : bool
        Also quantize the first 2-D convolution (one input channel: the log-mel itself;
        cheap, and the most sensitive to int8).

    Returns
    -------
    pathlib.Path
        ``dst``.

    Notes
    -----
    Weights are int8 (symmetric), activations uint8. Only ``Conv`` nodes with a 4-D weight
    are quantized, each with the Relu and MaxPool that follow it (so that onnxruntime fuses
    QLinearConv; a convolution alone is no faster): the front-end's 1-D conv-DFT feeds a log
    and loses accuracy in int8, and the GRU has no int8 kernel in onnxruntime.
    """
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from drumscribe.contract import INPUT_NAME

    methods = {
        "minmax": CalibrationMethod.MinMax,
        "entropy": CalibrationMethod.Entropy,
        "percentile": CalibrationMethod.Percentile,
    }
    if method not in methods:
        raise ValueError(f"method must be one of {CALIBRATION_METHODS}, got {method!r}")
    src_p, dst_p = Path(src), Path(dst)

    class _Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self, pieces: Iterable[np.ndarray]) -> None:
            self._items: Iterator[np.ndarray] = iter(pieces)

        def get_next(self) -> dict[str, np.ndarray] | None:
            piece = next(self._items, None)
            if piece is None:
                return None
            return {INPUT_NAME: np.ascontiguousarray(piece, dtype=np.float32).reshape(1, -1)}

    with tempfile.TemporaryDirectory(prefix="drumscribe-int8-") as tmpdir:
        pre = Path(tmpdir) / "pre.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quant_pre_process(str(src_p), str(pre), skip_symbolic_shape=True)
        graph = onnx.load(str(pre)).graph
        dims = {init.name: list(init.dims) for init in graph.initializer}
        convs = [
            n
            for n in graph.node
            if n.op_type == "Conv"
            and len(dims.get(n.input[1], [])) == _CONV2D_WEIGHT_RANK
            and (first_conv or dims[n.input[1]][1] > 1)
        ]
        if not convs:
            raise ValueError(f"{src_p}: no 2-D convolution to quantize")
        nodes = [name for conv in convs for name in _with_followers(graph, conv)]
        with atomic_path(dst_p) as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_static(
                str(pre),
                str(tmp),
                _Reader(calibration),
                quant_format=QuantFormat.QDQ,
                op_types_to_quantize=list(_INT8_OPS),
                nodes_to_quantize=nodes,
                per_channel=per_channel,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                calibrate_method=methods[method],
                extra_options={"CalibTensorRangeSymmetric": False},
            )
    _copy_sidecar(src_p, dst_p, "int8-static")
    return dst_p


def to_fp16(src: str | Path, dst: str | Path) -> Path:
    """fp16 weights and activations with fp32 inputs/outputs (onnxconverter-common).

    Meant for the CUDA execution provider. Known issue: onnxruntime 1.32's CPU provider
    crashes (SIGSEGV) creating a session for the fp16 graph of the full seed CRNN (the small
    test network loads and runs); use fp32 or int8 on CPU.
    """
    import onnx
    from onnxconverter_common import float16

    src_p, dst_p = Path(src), Path(dst)
    model = onnx.load(str(src_p))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        half = float16.convert_float_to_float16(model, keep_io_types=True)
    with atomic_path(dst_p) as tmp:
        onnx.save(half, str(tmp))
    _copy_sidecar(src_p, dst_p, "fp16")
    return dst_p


def copy_model(src: str | Path, dst: str | Path) -> Path:
    """Copy a model and its sidecar (e.g. into the runtime package)."""
    src_p, dst_p = Path(src), Path(dst)
    dst_p.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src_p, dst_p)
    shutil.copyfile(sidecar_path(src_p), sidecar_path(dst_p))
    return dst_p
