"""Read Hydrogen drum kits (``drumkit.xml`` + wav/flac/aiff one-shots)."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drumscribe_training.synth.events import SAMPLE_RATE

__all__ = ["H2Instrument", "H2Layer", "load_sample", "read_drumkit"]


@dataclass(frozen=True)
class H2Layer:
    path: Path
    lo: float  # velocity range as Hydrogen writes it (0..1)
    hi: float
    gain: float
    pitch: float  # semitones


@dataclass(frozen=True)
class H2Instrument:
    name: str
    volume: float
    gain: float
    layers: tuple[H2Layer, ...]


def _strip(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if _strip(c.tag) == name:
            return c
    return None


def _text(el: ET.Element, name: str, default: str = "") -> str:
    c = _child(el, name)
    return (c.text or "").strip() if c is not None and c.text is not None else default


def _float(el: ET.Element, name: str, default: float) -> float:
    try:
        return float(_text(el, name, str(default)))
    except ValueError:
        return default


def read_drumkit(kit_dir: Path) -> dict[str, H2Instrument]:
    """Instruments of a Hydrogen kit by name (instruments without samples are left out).

    Handles the old layout (one ``<filename>`` per instrument), the layered layout
    (``<layer>`` with ``min``/``max``/``gain``/``pitch``) and the component layout of
    Hydrogen 0.9.7+ (``<instrumentComponent>`` holding the layers).
    """
    xml_path = kit_dir / "drumkit.xml"
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise ValueError(f"{xml_path}: cannot read Hydrogen drumkit.xml ({exc})") from None
    out: dict[str, H2Instrument] = {}
    for ins in root.iter():
        if _strip(ins.tag) != "instrument":
            continue
        name = _text(ins, "name")
        layers: list[H2Layer] = []
        for el in ins.iter():
            if _strip(el.tag) != "layer":
                continue
            fn = _text(el, "filename")
            if not fn:
                continue
            layers.append(
                H2Layer(
                    kit_dir / fn,
                    _float(el, "min", 0.0),
                    _float(el, "max", 1.0),
                    _float(el, "gain", 1.0),
                    _float(el, "pitch", 0.0),
                )
            )
        if not layers:
            fn = _text(ins, "filename")
            if fn:
                layers.append(H2Layer(kit_dir / fn, 0.0, 1.0, 1.0, 0.0))
        if not name or not layers:
            continue
        out[name] = H2Instrument(name, _float(ins, "volume", 1.0), _float(ins, "gain", 1.0), tuple(layers))
    return out


def load_sample(path: Path, *, raw: dict[str, object] | None = None) -> tuple[np.ndarray, str]:
    """Decode a one-shot to mono float32 at 44.1 kHz; also return the md5 of the file.

    ``raw`` reads a headerless file with these ``soundfile.read`` arguments (``format="RAW"``,
    ``samplerate``, ``channels``, ``subtype``, ``endian``).
    """
    import soundfile as sf

    try:
        raw_bytes = path.read_bytes()
        import io

        data, sr = sf.read(io.BytesIO(raw_bytes), dtype="float32", always_2d=True, **(raw or {}))
    except (OSError, RuntimeError, sf.LibsndfileError) as exc:
        raise ValueError(f"{path}: cannot decode one-shot ({exc})") from None
    mono = data.mean(axis=1).astype(np.float32)
    if sr != SAMPLE_RATE:
        import soxr

        mono = soxr.resample(mono, sr, SAMPLE_RATE).astype(np.float32)
    return mono, hashlib.md5(raw_bytes).hexdigest()
