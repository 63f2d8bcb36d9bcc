"""Render a band part (accompaniment stem) for a drum clip: same tempo, meter and length."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from drumscribe_training.synth.band.effects import gated_rms_db, process_stem, reverb_bus
from drumscribe_training.synth.band.harmony import Grid, beat_grid, make_song
from drumscribe_training.synth.band.instruments import (
    DRUM_BANK,
    MELODIC_BANK,
    band_data,
    note_renderer,
    percussion_keys,
    soundfonts_for_split,
    voices_for_split,
)
from drumscribe_training.synth.band.parts import Note, make_notes
from drumscribe_training.synth.band.settings import BandSettings
from drumscribe_training.synth.events import SAMPLE_RATE, NoteEvent, lane_of_note

__all__ = ["BandPart", "BandStem", "band_style", "render_band_part"]

_NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_DEFAULT_STYLE = "pop"
_DRIVE_ROLE = "guitar_drive"
_GRID_LANES = frozenset({"kick", "snare"})
_PERC_PROGRAM = 0  # the SoundFont's standard GM kit; only non-kit keys are played


@dataclass(frozen=True)
class BandStem:
    """One stem of a band part.

    Attributes
    ----------
    role : str
        Instrument role (``bass``, ``guitar_drive``, ..., ``percussion``, ``vocals``).
    source : str
        ``SoundFont:bank:program`` (percussion: ``SoundFont:128:key``) or ``espeak-ng:voice``.
    level_db : float
        Gain of the loudness-normalised stem in the part, dB.
    onsets_s : tuple of float
        Note onsets, seconds (vocals: syllables or phrases).
    """

    role: str
    source: str
    level_db: float
    onsets_s: tuple[float, ...] = field(repr=False)


@dataclass(frozen=True)
class BandPart:
    """A rendered band part.

    Attributes
    ----------
    audio : np.ndarray
        Shape (n_samples,), float32 mono at :data:`SAMPLE_RATE` (44.1 kHz), gated RMS
        ``settings.part_rms_dbfs`` (peak at most ``settings.peak_ceiling``); silence when no
        stem sounded.
    style, key : str
        Band style and key (``"E aeolian"``).
    grid : Grid
        The beat grid the part was played on.
    stems : tuple of BandStem
        What plays.
    """

    audio: np.ndarray = field(repr=False)
    style: str
    key: str
    grid: Grid
    stems: tuple[BandStem, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """SoundFont names and espeak-ng voices used, sorted."""
        return tuple(
            sorted(
                {
                    st.source.rsplit(":", 2)[0] if not st.source.startswith("espeak") else st.source
                    for st in self.stems
                }
            )
        )


def band_style(drum_style: str) -> str:
    """Band style for a drum clip's style (``"funk/groove1"``, ``"rock/synth3"``)."""
    mapping = band_data()["style_of_drums"]
    word = drum_style.split("/", 1)[0].lower()
    for k, v in mapping.items():
        if word.startswith(str(k)):
            return str(v)
    return _DEFAULT_STYLE


def _draw_roles(rng: np.random.Generator, style: str, n: int, *, vocals: bool) -> list[str]:
    weights = {k: float(v) for k, v in band_data()["styles"][style]["roles"].items()}
    if not vocals:
        weights.pop("vocals", None)
    names = sorted(weights)
    w = np.array([weights[k] for k in names])
    n = min(n, len(names))
    idx = rng.choice(len(names), size=n, replace=False, p=w / w.sum())
    return [names[int(i)] for i in sorted(idx)]


def render_band_part(
    *,
    drum_events: Sequence[NoteEvent],
    quarter_s: float,
    time_signature: str,
    drum_style: str,
    n_samples: int,
    split: str,
    rng: np.random.Generator,
    settings: BandSettings | None = None,
    vocals: bool | None = None,
) -> BandPart:
    """Render a band part for a drum clip.

    Parameters
    ----------
    drum_events : sequence of NoteEvent
        The clip's drum hits (Roland notes); kicks and snares set the grid's phase, kicks
        the locked bass.
    quarter_s : float
        Seconds per quarter note (the clip's MIDI tempo, 60 / bpm).
    time_signature : str
        ``"4-4"``, ``"3-4"``, ``"6-8"`` (E-GMD's form).
    drum_style : str
        The clip's style (E-GMD ``style`` column), mapped by :func:`band_style`.
    n_samples : int
        Length in samples at 44.1 kHz: the drum clip's length, so both start and end together.
    split : {"train", "validation", "test"}
        Only this split's SoundFonts and voices are used (held-out sources).
    rng : np.random.Generator
        The clip's band generator; same state, same part.
    settings : BandSettings, optional
        Ranges and probabilities (default :class:`BandSettings`).
    vocals : bool, optional
        Allow vocals; default: when espeak-ng is installed.

    Returns
    -------
    BandPart
        ``audio`` of shape (n_samples,), float32.

    Raises
    ------
    BandSourceError
        If no SoundFont of ``split`` is installed.
    """
    from drumscribe_training.synth.band.vocals import espeak_available, render_vocals, voice_name

    s = settings or BandSettings()
    if vocals is None:
        vocals = espeak_available()
    duration = n_samples / SAMPLE_RATE
    kicks = np.sort(
        np.array([e.time_s for e in drum_events if lane_of_note(e.note) == "kick"], dtype=np.float64)
    )
    grid_onsets = [e.time_s for e in drum_events if lane_of_note(e.note) in _GRID_LANES]
    grid = beat_grid(
        quarter_s=quarter_s, time_signature=time_signature, duration_s=duration, onsets_s=grid_onsets
    )
    style = band_style(drum_style)
    song = make_song(rng, style=style, n_bars=grid.n_bars + 1, settings=s)
    fonts = soundfonts_for_split(split)
    roles_of = band_data()["roles"]
    walk = bool(band_data()["styles"][style].get("walk", False))
    n = int(rng.integers(s.instruments[0], s.instruments[1] + 1))
    renderer = note_renderer(s.duration_buckets_s, s.velocity_buckets, s.tail_s, s.note_cache_mb)
    mix = np.zeros(n_samples, dtype=np.float32)
    send = np.zeros(n_samples, dtype=np.float32)
    stems: list[BandStem] = []
    for role in _draw_roles(rng, style, n, vocals=vocals):
        if role == "vocals":
            voice, female = voice_name(rng, voices_for_split(split))
            reg = s.vocal_register_female if female else s.vocal_register_male
            line = make_notes("melody", rng, grid=grid, song=song, settings=_with_lead(s, reg), kicks_s=kicks)
            dry, _, onsets = render_vocals(
                rng, voice=voice, melody=line, grid=grid, n_samples=n_samples, settings=s
            )
            source = f"espeak-ng:{voice}"
        else:
            font = fonts[int(rng.integers(len(fonts)))]
            if role == "percussion":
                kinds = sorted(percussion_keys())
                kind = kinds[int(rng.integers(len(kinds)))]
                notes = make_notes(
                    "percussion", rng, grid=grid, song=song, settings=s, kicks_s=kicks, percussion=kind
                )
                bank, program = DRUM_BANK, _PERC_PROGRAM
                source = f"{font.name}:{bank}:{notes[0].pitch if notes else 0}"
            else:
                programs = roles_of[role]
                program = int(programs[int(rng.integers(len(programs)))])
                notes = make_notes(role, rng, grid=grid, song=song, settings=s, kicks_s=kicks, walk=walk)
                bank = MELODIC_BANK
                source = f"{font.name}:{bank}:{program}"
            dry = np.zeros(n_samples, dtype=np.float32)
            for nt in notes:
                x = renderer.note(
                    font,
                    bank=bank,
                    program=program,
                    pitch=nt.pitch,
                    duration_s=nt.duration_s,
                    velocity=nt.velocity,
                )
                _add_note(dry, x, nt, renderer.bucket(nt.duration_s, nt.velocity)[1], s)
            onsets = [nt.time_s for nt in notes]
        wet = process_stem(dry, role, rng, settings=s, drive=role == _DRIVE_ROLE)
        level = float(rng.uniform(*s.stem_level_db))
        if not np.any(wet):
            continue
        gain = np.float32(10 ** (level / 20))
        mix += wet * gain
        if rng.random() < s.reverb:
            send += wet * (gain * np.float32(10 ** (float(rng.uniform(*s.reverb_send_db)) / 20)))
        stems.append(BandStem(role, source, round(level, 2), tuple(sorted(onsets))))
    if np.any(send):
        mix += reverb_bus(send, rng, settings=s)
    loud = gated_rms_db(mix, gate_db=s.gate_db)
    if np.isfinite(loud):
        mix *= np.float32(10 ** ((s.part_rms_dbfs - loud) / 20))
        peak = float(np.abs(mix).max())
        if peak > s.peak_ceiling:
            mix *= np.float32(s.peak_ceiling / peak)
    key = f"{_NOTE_NAMES[song.tonic]} {song.mode}"
    return BandPart(mix.astype(np.float32), style, key, grid, tuple(stems))


@functools.cache
def _fade(n: int) -> np.ndarray:
    return np.linspace(1.0, 0.0, max(n, 1), dtype=np.float32)


def _with_lead(s: BandSettings, register: tuple[int, int]) -> BandSettings:
    import dataclasses

    return dataclasses.replace(s, lead_register=register)


def _add_note(out: np.ndarray, x: np.ndarray, note: Note, rendered_velocity: int, s: BandSettings) -> None:
    """Add a cached note at its onset, cut to its length with a release fade, velocity as gain."""
    start = round(note.time_s * SAMPLE_RATE)
    if x.size == 0 or start >= out.size:
        return
    keep = min(x.size, int((note.duration_s + s.release_fade_s) * SAMPLE_RATE), out.size - start)
    y = x[:keep] * np.float32(note.velocity / rendered_velocity)
    cut = int(note.duration_s * SAMPLE_RATE)
    if keep > cut:
        y[cut:keep] *= _fade(int((note.duration_s + s.release_fade_s) * SAMPLE_RATE) - cut)[: keep - cut]
    out[start : start + keep] += y
