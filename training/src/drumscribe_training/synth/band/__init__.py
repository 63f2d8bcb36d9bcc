"""Band parts: a procedural accompaniment stem per synthetic drum clip (issue 22).

Each clip of ``drumscribe-train synth --band`` gets ``<clip>.band.wav`` beside it (same
tempo, meter and sample-exact length, 44.1 kHz mono) and a line in ``band-manifest.csv``::

    from drumscribe_training.synth.band import band_path, read_band_manifest
    wav = band_path(egmd_root, row.audio_filename)   # Path or None (no band part)

On the fly::

    part = render_band_part(drum_events=events, quarter_s=60 / bpm, time_signature="4-4",
                            drum_style="rock", n_samples=n, split="train", rng=rng)
    part.audio  # (n,) float32 at 44.1 kHz

Sources are held out per split (``sources.yaml``; DATA.md "Band parts").
"""

from __future__ import annotations

from drumscribe_training.synth.band.instruments import (
    BandSourceError,
    soundfonts_for_split,
    voices_for_split,
)
from drumscribe_training.synth.band.manifest import (
    MANIFEST_NAME,
    BandManifestRow,
    band_filename,
    band_path,
    band_rng,
    read_band_manifest,
)
from drumscribe_training.synth.band.render import BandPart, BandStem, band_style, render_band_part
from drumscribe_training.synth.band.settings import BAND_VERSION, BandSettings

__all__ = [
    "BAND_VERSION",
    "MANIFEST_NAME",
    "BandManifestRow",
    "BandPart",
    "BandSettings",
    "BandSourceError",
    "BandStem",
    "band_filename",
    "band_path",
    "band_rng",
    "band_style",
    "read_band_manifest",
    "render_band_part",
    "soundfonts_for_split",
    "voices_for_split",
]
