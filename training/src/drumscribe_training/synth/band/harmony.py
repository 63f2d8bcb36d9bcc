"""Keys, modes, chord progressions and song sections on a clip's beat grid."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from drumscribe_training.synth.band.instruments import band_data
from drumscribe_training.synth.band.settings import BandSettings

__all__ = ["Chord", "Grid", "Song", "beat_grid", "make_song"]

_QUARTERS_PER_WHOLE = 4.0
_SECTION_NAMES = ("verse", "chorus", "bridge")
_MINOR_MODES = frozenset({"aeolian", "dorian", "phrygian", "harmonic_minor"})


@dataclass(frozen=True)
class Grid:
    """A clip's beat grid.

    Attributes
    ----------
    quarter_s : float
        Seconds per quarter note (the clip's MIDI tempo).
    bar_quarters : float
        Quarter notes per bar (4 in 4/4, 3 in 3/4 and 6/8).
    phase_s : float
        Time of the first bar line, seconds (0 for clips that start on the beat).
    duration_s : float
        Clip length, seconds.
    beats_per_bar : int
        Counted beats per bar (4 in 4/4, 3 in 3/4, 2 in 6/8: dotted quarters).
    """

    quarter_s: float
    bar_quarters: float
    phase_s: float
    duration_s: float
    beats_per_bar: int

    @property
    def bar_s(self) -> float:
        """Seconds per bar."""
        return self.quarter_s * self.bar_quarters

    @property
    def n_bars(self) -> int:
        """Bars that start inside the clip."""
        return max(1, math.ceil((self.duration_s - self.phase_s) / self.bar_s))

    def time(self, bar: int, quarter: float) -> float:
        """Seconds of ``quarter`` quarter notes after the start of ``bar``."""
        return self.phase_s + (bar * self.bar_quarters + quarter) * self.quarter_s


def beat_grid(
    *, quarter_s: float, time_signature: str, duration_s: float, onsets_s: Sequence[float] = ()
) -> Grid:
    """The grid of a clip; its phase from the drum onsets (circular mean at the beat).

    Parameters
    ----------
    quarter_s : float
        Seconds per quarter note.
    time_signature : str
        E-GMD's form, ``"4-4"``, ``"3-4"``, ``"6-8"``.
    duration_s : float
        Clip length in seconds.
    onsets_s : sequence of float
        Kick and snare onsets (seconds); when they agree on a beat phase, the grid takes it,
        else the grid starts at 0.
    """
    num, den = (int(x) for x in time_signature.split("-"))
    bar_q = num * _QUARTERS_PER_WHOLE / den
    beats = num // 3 if den == 8 and num % 3 == 0 else num
    phase = 0.0
    if len(onsets_s):
        ang = 2.0 * np.pi * np.asarray(onsets_s, dtype=np.float64) / quarter_s
        vec = np.exp(1j * ang).mean()
        if abs(vec) > 0.5:
            phase = float((np.angle(vec) / (2.0 * np.pi)) % 1.0) * quarter_s
            if phase > quarter_s / 2:
                phase -= quarter_s
            if abs(phase) < 1e-6:
                phase = 0.0
    return Grid(quarter_s, bar_q, phase, duration_s, max(1, beats))


@dataclass(frozen=True)
class Chord:
    """A chord: root pitch class and the pitch classes it holds (root first)."""

    root: int
    pitch_classes: tuple[int, ...]

    def voicing(self, low: int, high: int, n: int) -> tuple[int, ...]:
        """``n`` MIDI notes of the chord, stacked upward from the lowest root above ``low``."""
        base = low + (self.root - low) % 12
        notes: list[int] = []
        octave = 0
        while len(notes) < n:
            for pc in self.pitch_classes:
                p = base + (pc - self.root) % 12 + 12 * octave
                if p > high:
                    p -= 12 * (1 + (p - high) // 12)
                notes.append(p)
                if len(notes) == n:
                    break
            octave += 1
        return tuple(sorted(set(notes)))


@dataclass(frozen=True)
class Song:
    """A procedural song: key, mode, and one chord per half bar, with section names."""

    tonic: int
    mode: str
    scale: tuple[int, ...]
    chords: tuple[Chord, ...]  # per half bar
    sections: tuple[str, ...]  # per bar

    def chord_at(self, bar: int, quarter: float, bar_quarters: float) -> Chord:
        """The chord sounding at ``quarter`` quarter notes into ``bar``."""
        half = 1 if quarter >= bar_quarters / 2 else 0
        return self.chords[min(len(self.chords) - 1, 2 * bar + half)]

    def scale_notes(self, low: int, high: int) -> tuple[int, ...]:
        """MIDI notes of the key's scale within ``low..high``."""
        pcs = {(self.tonic + s) % 12 for s in self.scale}
        return tuple(p for p in range(low, high + 1) if p % 12 in pcs)


def _chord(tonic: int, scale: Sequence[int], degree: int, seventh: bool) -> Chord:
    idx = [degree, degree + 2, degree + 4] + ([degree + 6] if seventh else [])
    pcs = tuple((tonic + scale[i % 7]) % 12 for i in idx)
    return Chord(pcs[0], pcs)


def make_song(rng: np.random.Generator, *, style: str, n_bars: int, settings: BandSettings) -> Song:
    """Draw a key, a mode and sections of 4-8 bars with their own progressions."""
    data = band_data()
    st = data["styles"][style]
    tonics = data["tonics"]
    keys = [int(k) for k in tonics]
    w = np.array([float(tonics[k]) for k in tonics])
    tonic = int(keys[int(rng.choice(len(keys), p=w / w.sum()))])
    mode = str(rng.choice(st["modes"]))
    scale = tuple(int(s) for s in data["modes"][mode])
    kind = "minor" if mode in _MINOR_MODES else "major"
    progs = data["progressions"][kind]
    seventh = bool(st.get("walk")) or rng.random() < settings.seventh_chords
    section_progs = [progs[int(rng.integers(len(progs)))] for _ in _SECTION_NAMES]
    section_rates = [2 if rng.random() < settings.double_chord_rate else 1 for _ in _SECTION_NAMES]
    chords: list[Chord] = []
    sections: list[str] = []
    bar = 0
    order = [0, 1, 0, 1, 2, 1]
    k = 0
    while bar < n_bars:
        s = order[k % len(order)]
        k += 1
        length = int(rng.choice(settings.section_bars))
        prog = section_progs[s]
        for i in range(length):
            if section_rates[s] == 2:
                degs = (prog[(2 * i) % len(prog)], prog[(2 * i + 1) % len(prog)])
            else:
                d = prog[(i * len(prog) // length) % len(prog)] if length > len(prog) else prog[i % len(prog)]
                degs = (d, d)
            for d in degs:
                chords.append(_chord(tonic, scale, int(d), seventh))
            sections.append(_SECTION_NAMES[s])
        bar += length
    return Song(tonic, mode, scale, tuple(chords), tuple(sections))
