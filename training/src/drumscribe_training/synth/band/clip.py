"""Render and write the band part of one drum clip already on disk (the writer's hook)."""

from __future__ import annotations

import io
from pathlib import Path

from drumscribe._io import atomic_write
from drumscribe_training.synth.band.effects import gated_rms_db
from drumscribe_training.synth.band.manifest import BandManifestRow, band_filename, band_rng
from drumscribe_training.synth.band.render import render_band_part
from drumscribe_training.synth.band.settings import BandSettings
from drumscribe_training.synth.events import SAMPLE_RATE

__all__ = ["midi_quarter_s", "write_band_file"]

_DEFAULT_TEMPO_US = 500_000


def midi_quarter_s(midi_path: Path) -> float:
    """Seconds per quarter note of a MIDI file's first tempo (120 bpm when it has none)."""
    import mido

    for msg in mido.MidiFile(midi_path):
        if msg.type == "set_tempo":
            return float(msg.tempo) / 1e6
    return _DEFAULT_TEMPO_US / 1e6


def write_band_file(
    root: str | Path, *, audio_filename: str, midi_filename: str, style: str, time_signature: str,
    split: str, seed: int, settings: BandSettings, old: BandManifestRow | None = None,
) -> BandManifestRow:  # fmt: skip
    """Write ``<clip>.band.wav`` beside a drum clip (kept when it and its row exist).

    The band reads the clip's drum MIDI (kicks, grid, tempo) and WAV (length), so a band
    part added later to an existing set equals one rendered with it.

    Returns
    -------
    BandManifestRow
        The clip's manifest row.
    """
    import soundfile as sf

    from drumscribe_training.synth.gmd import read_performance

    root = Path(root)
    band_name = band_filename(audio_filename)
    out = root / band_name
    if old is not None and out.is_file():
        return old
    drums, sr = sf.read(str(root / audio_filename), dtype="float32")
    if sr != SAMPLE_RATE:
        raise ValueError(f"{audio_filename}: {sr} Hz, band parts need {SAMPLE_RATE} Hz clips")
    midi = root / midi_filename
    events, _, _ = read_performance(midi)
    part = render_band_part(
        drum_events=events, quarter_s=midi_quarter_s(midi), time_signature=time_signature,
        drum_style=style, n_samples=int(drums.shape[0]), split=split, rng=band_rng(seed),
        settings=settings,
    )  # fmt: skip
    pcm = io.BytesIO()
    sf.write(pcm, part.audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out, "wb") as fh:
        fh.write(pcm.getvalue())
    return BandManifestRow(
        audio_filename=audio_filename,
        band_filename=band_name,
        split=split,
        style=part.style,
        key=part.key,
        sources=";".join(part.sources),
        stems=";".join(f"{st.role}={st.source}" for st in part.stems),
        seed=str(seed),
        band_rms_dbfs=f"{gated_rms_db(part.audio, gate_db=settings.gate_db):.2f}",
        drums_rms_dbfs=f"{gated_rms_db(drums, gate_db=settings.gate_db):.2f}",
    )
