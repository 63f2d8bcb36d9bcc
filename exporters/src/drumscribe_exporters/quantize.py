"""Smaller variants of an exported model: dynamic int8 and fp16."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from drumscribe._io import atomic_path
from drumscribe.model import sidecar_path

__all__ = ["to_fp16", "to_int8"]


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
