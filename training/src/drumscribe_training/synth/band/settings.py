"""Every range and probability of the band-part renderer, in one frozen dataclass."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["BAND_VERSION", "BandSettings"]

#: Bump when the same settings and seed would render a different band part.
BAND_VERSION = 1


@dataclass(frozen=True)
class BandSettings:
    """Ranges (``(low, high)``) and probabilities of a band part; defaults are the recipe.

    Times are in seconds, levels in dB, pitches in MIDI note numbers.
    """

    instruments: tuple[int, int] = (1, 5)  # melodic/percussion stems per part (vocals count)
    section_bars: tuple[int, ...] = (4, 8)  # bars per section (verse, chorus, ...)
    double_chord_rate: float = 0.15  # a section changes chord twice per bar
    seventh_chords: float = 0.3  # chords get a seventh (jazz: always)
    bass_kick_lock: float = 0.6  # bass plays on the kick
    bass_walk: float = 0.15  # bass walks in quarter notes (jazz styles: walk_jazz)
    bass_walk_jazz: float = 0.7
    bass_octave_jump: float = 0.2  # a locked bass note an octave up
    bass_register: tuple[int, int] = (28, 52)
    chord_register: tuple[int, int] = (48, 72)
    lead_register: tuple[int, int] = (62, 86)
    guitar_chug: float = 0.4  # a driven guitar plays power-chord chugs (else strums)
    palm_mute: float = 0.5  # chugs are palm-muted (short, dull)
    palm_mute_s: tuple[float, float] = (0.05, 0.12)
    strum_spread_s: tuple[float, float] = (0.004, 0.02)  # delay between strings of a strum
    staccato: float = 0.35  # keys and brass play short notes
    staccato_s: tuple[float, float] = (0.06, 0.2)
    lead_rest: float = 0.3  # chance of a rest per lead-line step
    arp_rate: tuple[int, ...] = (2, 4)  # arpeggio notes per beat
    percussion_density: tuple[float, float] = (0.5, 1.0)  # share of grid steps played
    vocals_spoken: float = 0.35  # a vocal part is spoken (rap) rather than sung
    vocal_phrases: int = 2  # distinct phrases rendered per clip (choruses repeat)
    vocal_speed_wpm: tuple[int, int] = (90, 220)  # espeak-ng -s
    sung_speed_wpm: tuple[int, ...] = (80, 110)  # one of these (syllables are cached per speed)
    vocal_register_male: tuple[int, int] = (48, 64)
    vocal_register_female: tuple[int, int] = (57, 74)
    velocity: tuple[int, int] = (60, 118)
    humanize_s: float = 0.004  # onset jitter (uniform +-), kept well inside a 16th note
    release_fade_s: float = 0.06  # fade when a cached note is cut to its length
    tail_s: float = 0.5  # release tail rendered after note-off
    duration_buckets_s: tuple[float, ...] = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4)
    velocity_buckets: tuple[int, ...] = (80, 118)
    note_cache_mb: float = 256.0  # pre-rendered notes kept per worker
    # effects (pedalboard), per stem
    drive_db: tuple[float, float] = (12.0, 38.0)
    cab_lowpass_hz: tuple[float, float] = (3000.0, 6500.0)
    cab_highpass_hz: tuple[float, float] = (70.0, 140.0)
    eq: float = 0.7
    eq_gain_db: tuple[float, float] = (-6.0, 6.0)
    eq_hz: tuple[float, float] = (150.0, 6000.0)
    compressor: float = 0.5
    compressor_db: tuple[float, float] = (-30.0, -12.0)
    chorus: float = 0.3  # guitars, keys, pads
    reverb: float = 0.6  # a stem feeds the part's reverb bus (one reverb per part)
    reverb_send_db: tuple[float, float] = (-12.0, 0.0)
    reverb_room: tuple[float, float] = (0.1, 0.8)
    reverb_wet: tuple[float, float] = (0.05, 0.35)
    bass_drive: float = 0.3
    # levels
    stem_level_db: tuple[float, float] = (-6.0, 3.0)  # after loudness normalisation
    part_rms_dbfs: float = -20.0  # the written band part's gated RMS
    peak_ceiling: float = 0.98
    gate_db: float = -50.0  # loudness gate below the stem's peak block

    def as_json(self) -> dict[str, object]:
        """The settings as JSON-ready values (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
