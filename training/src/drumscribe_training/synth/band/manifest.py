"""Where a clip's band part lies, and the band manifest (``band-manifest.csv``).

A band part is written beside its drum clip as ``<clip>.band.wav`` (44.1 kHz, 16-bit mono,
the clip's exact length); the E-GMD CSV lists only the drums. The manifest at the data
set's root lists, per drum clip (``audio_filename`` as in the E-GMD CSV), its band file,
split, style, key, sources, stems, seed and levels.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

__all__ = [
    "BAND_RNG_SALT",
    "BAND_SUFFIX",
    "MANIFEST_NAME",
    "BandManifestRow",
    "band_filename",
    "band_path",
    "band_rng",
    "manifest_text",
    "read_band_manifest",
]

MANIFEST_NAME = "band-manifest.csv"
BAND_SUFFIX = ".band.wav"
#: Mixed with a clip's render seed: the band's generator is independent of the drums'.
BAND_RNG_SALT = 0xBA4D


@dataclass(frozen=True)
class BandManifestRow:
    """One line of ``band-manifest.csv`` (all strings, as in the CSV).

    ``sources`` and ``stems`` are ``;``-separated (stems as ``role=source``); ``seed`` is the
    clip's render seed (the band generator is :func:`band_rng` of it); levels are gated RMS
    in dBFS of the band file and of the drum file.
    """

    audio_filename: str
    band_filename: str
    split: str
    style: str
    key: str
    sources: str
    stems: str
    seed: str
    band_rms_dbfs: str
    drums_rms_dbfs: str


MANIFEST_HEADER = tuple(f.name for f in fields(BandManifestRow))


def band_rng(seed: int) -> np.random.Generator:
    """The band generator of a clip with render seed ``seed``."""
    return np.random.default_rng([seed, BAND_RNG_SALT])


def band_filename(audio_filename: str) -> str:
    """``drummer1/session1/1_rock_120_beat_4-4_1.wav`` -> ``....._1.band.wav``."""
    if not audio_filename.endswith(".wav"):
        raise ValueError(f"not a .wav audio_filename: {audio_filename!r}")
    return audio_filename[: -len(".wav")] + BAND_SUFFIX


def read_band_manifest(root: str | Path) -> dict[str, BandManifestRow]:
    """``audio_filename`` -> row of ``root/band-manifest.csv``; empty when there is none."""
    path = Path(root) / MANIFEST_NAME
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as fh:
        return {
            r["audio_filename"]: BandManifestRow(**{k: r[k] for k in MANIFEST_HEADER})
            for r in csv.DictReader(fh)
        }


def band_path(root: str | Path, audio_filename: str) -> Path | None:
    """The band part of a drum clip (E-GMD root + CSV ``audio_filename``), or None.

    None for clips without one (real E-GMD, or a set rendered without ``--band``).
    """
    p = Path(root) / band_filename(audio_filename)
    return p if p.is_file() else None


def manifest_text(rows: list[BandManifestRow]) -> str:
    """The CSV text of ``rows`` (header first, in the given order)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(MANIFEST_HEADER), lineterminator="\n")
    w.writeheader()
    w.writerows(asdict(r) for r in rows)
    return buf.getvalue()
