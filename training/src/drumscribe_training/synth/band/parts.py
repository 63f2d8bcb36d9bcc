"""Note lines of each band role on the clip's grid: bass, guitars, keys, pads, strings,
brass, lead, synth bass, arpeggios, plucks and non-kit percussion.

Every onset lies on the clip's sixteenth-note grid (or on a kick onset, for a locked bass)
before a small humanising jitter; strums spread their strings after the grid point.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from drumscribe_training.synth.band.harmony import Grid, Song
from drumscribe_training.synth.band.instruments import percussion_keys
from drumscribe_training.synth.band.settings import BandSettings

__all__ = ["PART_MAKERS", "Note", "make_notes"]

_STEPS_PER_QUARTER = 4  # sixteenth-note grid
_FIFTH = 7
_OCTAVE = 12
_MIN_NOTE_S = 0.03


@dataclass(frozen=True, slots=True)
class Note:
    """One note of a stem.

    Attributes
    ----------
    time_s : float
        Onset, seconds from the start of the clip.
    duration_s : float
        Held length, seconds.
    pitch : int
        MIDI note (for percussion: the GM percussion key).
    velocity : int
        1..127.
    """

    time_s: float
    duration_s: float
    pitch: int
    velocity: int


@dataclass
class _Ctx:
    rng: np.random.Generator
    grid: Grid
    song: Song
    s: BandSettings
    kicks: np.ndarray

    @property
    def step_s(self) -> float:
        return self.grid.quarter_s / _STEPS_PER_QUARTER

    @property
    def steps_per_bar(self) -> int:
        return round(self.grid.bar_quarters * _STEPS_PER_QUARTER)

    def vel(self, accent: float = 1.0) -> int:
        lo, hi = self.s.velocity
        return int(np.clip(self.rng.uniform(lo, hi) * accent, 1, 127))

    def t(self, bar: int, step: int) -> float:
        return self.grid.time(bar, step / _STEPS_PER_QUARTER)

    def chord(self, bar: int, step: int):  # type: ignore[no-untyped-def]
        return self.song.chord_at(bar, step / _STEPS_PER_QUARTER, self.grid.bar_quarters)

    def pattern(self, density: float, *, strong: Sequence[int] = ()) -> list[int]:
        """Steps of one bar: the strong ones always, others with ``density``."""
        n = self.steps_per_bar
        return [i for i in range(n) if i in strong or self.rng.random() < density]


def _beat_steps(c: _Ctx) -> list[int]:
    per_beat = c.steps_per_bar // c.grid.beats_per_bar
    return [i * per_beat for i in range(c.grid.beats_per_bar)]


def _bass(c: _Ctx, *, synth: bool = False) -> list[Note]:
    lo, hi = c.s.bass_register
    notes: list[Note] = []
    u = c.rng.random()
    lock, walk = c.s.bass_kick_lock, c.s.bass_walk
    mode = "lock" if u < lock else ("walk" if u < lock + walk else "pattern")
    if synth and mode == "walk":
        mode = "pattern"
    if mode == "lock" and c.kicks.size:
        for i, t in enumerate(c.kicks):
            bar = int((t - c.grid.phase_s) // c.grid.bar_s)
            q = (t - c.grid.time(bar, 0.0)) / c.grid.quarter_s
            ch = c.song.chord_at(max(0, bar), q, c.grid.bar_quarters)
            p = lo + (ch.root - lo) % _OCTAVE
            if c.rng.random() < c.s.bass_octave_jump and p + _OCTAVE <= hi:
                p += _OCTAVE
            nxt = c.kicks[i + 1] if i + 1 < c.kicks.size else t + c.grid.quarter_s
            dur = float(np.clip(nxt - t, _MIN_NOTE_S, c.grid.quarter_s * 2))
            notes.append(Note(float(t), dur * 0.9, int(p), c.vel()))
        return notes
    if mode == "walk":
        beats = _beat_steps(c)
        for bar in range(c.grid.n_bars):
            for j, st in enumerate(beats):
                ch = c.chord(bar, st)
                root = lo + (ch.root - lo) % _OCTAVE
                if j == 0:
                    p = root
                else:
                    cands = c.song.scale_notes(root - 5, root + 9)
                    p = int(c.rng.choice(cands)) if cands else root
                notes.append(Note(c.t(bar, st), c.grid.quarter_s * 0.85, int(np.clip(p, lo, hi)), c.vel()))
        return notes
    steps = c.pattern(float(c.rng.uniform(0.2, 0.7)), strong=(0,))
    eighth = c.rng.random() < 0.5
    if eighth:
        steps = list(range(0, c.steps_per_bar, 2))
    for bar in range(c.grid.n_bars):
        for st in steps:
            ch = c.chord(bar, st)
            p = lo + (ch.root - lo) % _OCTAVE
            if st and c.rng.random() < 0.2:
                p += _FIFTH
            dur = c.step_s * (1.7 if eighth else 1.0) * float(c.rng.uniform(0.6, 1.0))
            notes.append(Note(c.t(bar, st), max(dur, _MIN_NOTE_S), int(p), c.vel()))
    return notes


def _guitar(c: _Ctx, *, drive: bool) -> list[Note]:
    notes: list[Note] = []
    lo, hi = c.s.chord_register
    if drive and c.rng.random() < c.s.guitar_chug:
        muted = c.rng.random() < c.s.palm_mute
        steps = c.pattern(float(c.rng.uniform(0.3, 0.9)), strong=(0,))
        for bar in range(c.grid.n_bars):
            for st in steps:
                ch = c.chord(bar, st)
                root = lo - _OCTAVE + (ch.root - lo) % _OCTAVE
                dur = float(c.rng.uniform(*c.s.palm_mute_s)) if muted else c.step_s * 1.8
                for p in (root, root + _FIFTH, root + _OCTAVE):
                    notes.append(Note(c.t(bar, st), dur, int(p), c.vel()))
        return notes
    spread = float(c.rng.uniform(*c.s.strum_spread_s))
    steps = c.pattern(float(c.rng.uniform(0.2, 0.6)), strong=tuple(_beat_steps(c)))
    for bar in range(c.grid.n_bars):
        for k, st in enumerate(steps):
            ch = c.chord(bar, st)
            voicing = ch.voicing(lo - 8, hi - 4, int(c.rng.integers(4, 7)))
            if st % 2:  # upstrokes on the off-beats
                voicing = tuple(reversed(voicing))
            nxt = steps[k + 1] if k + 1 < len(steps) else c.steps_per_bar
            dur = (nxt - st) * c.step_s
            v = c.vel()
            for j, p in enumerate(voicing):
                notes.append(Note(c.t(bar, st) + j * spread, max(dur, _MIN_NOTE_S), int(p), v))
    return notes


def _comp(c: _Ctx, *, sustain: bool = False) -> list[Note]:
    """Block chords: piano, organ, e-piano comping; pads and strings with ``sustain``."""
    lo, hi = c.s.chord_register
    notes: list[Note] = []
    if sustain:
        for bar in range(c.grid.n_bars):
            for half in (0, c.steps_per_bar // 2):
                ch = c.chord(bar, half)
                for p in ch.voicing(lo, hi, 4):
                    notes.append(Note(c.t(bar, half), c.step_s * c.steps_per_bar / 2, int(p), c.vel(0.8)))
        return notes
    short = c.rng.random() < c.s.staccato
    offbeat = c.rng.random() < 0.4
    beats = _beat_steps(c)
    half = c.steps_per_bar // c.grid.beats_per_bar // 2
    steps = (
        [b + half for b in beats]
        if offbeat
        else c.pattern(float(c.rng.uniform(0.1, 0.35)), strong=beats[1::2] or beats)
    )
    for bar in range(c.grid.n_bars):
        for st in steps:
            ch = c.chord(bar, st)
            dur = (
                float(c.rng.uniform(*c.s.staccato_s))
                if short
                else c.step_s * 2 * float(c.rng.uniform(0.8, 2.0))
            )
            for p in ch.voicing(lo, hi, int(c.rng.integers(3, 5))):
                notes.append(Note(c.t(bar, st), dur, int(p), c.vel()))
    return notes


def _brass(c: _Ctx) -> list[Note]:
    lo, hi = c.s.chord_register
    notes: list[Note] = []
    stab_steps = [st for st in range(c.steps_per_bar) if c.rng.random() < 0.12] or [c.steps_per_bar // 2]
    every = int(c.rng.choice([1, 2, 4]))
    for bar in range(0, c.grid.n_bars, every):
        for st in stab_steps:
            ch = c.chord(bar, st)
            dur = float(c.rng.uniform(*c.s.staccato_s))
            for p in ch.voicing(lo + 4, hi + 4, 3):
                notes.append(Note(c.t(bar, st), dur, int(p), c.vel(1.1)))
    return notes


def melody(c: _Ctx, register: tuple[int, int]) -> list[Note]:
    """A phrase-shaped line on scale notes (lead instruments and sung vocals)."""
    scale = c.song.scale_notes(*register)
    if not scale:
        return []
    notes: list[Note] = []
    idx = len(scale) // 2
    step_len = int(c.rng.choice([2, 2, 4]))  # eighths or quarters
    for bar in range(c.grid.n_bars):
        if bar % 4 == 3 and c.rng.random() < 0.5:
            continue  # breathe at the end of a phrase
        for st in range(0, c.steps_per_bar, step_len):
            if c.rng.random() < c.s.lead_rest:
                continue
            ch = c.chord(bar, st)
            if st == 0:  # chord tone on the downbeat
                tones = [i for i, p in enumerate(scale) if p % 12 in ch.pitch_classes]
                if tones:
                    idx = min(tones, key=lambda i: abs(i - idx))
            else:
                idx = int(np.clip(idx + int(c.rng.choice([-2, -1, -1, 0, 1, 1, 2])), 0, len(scale) - 1))
            dur = step_len * c.step_s * float(c.rng.uniform(0.6, 1.0))
            notes.append(Note(c.t(bar, st), dur, int(scale[idx]), c.vel()))
    return notes


def _lead(c: _Ctx) -> list[Note]:
    return melody(c, c.s.lead_register)


def _arp(c: _Ctx) -> list[Note]:
    lo, hi = c.s.chord_register
    rate = int(c.rng.choice(c.s.arp_rate))
    stride = _STEPS_PER_QUARTER // rate
    up = c.rng.random() < 0.6
    notes: list[Note] = []
    for bar in range(c.grid.n_bars):
        for k, st in enumerate(range(0, c.steps_per_bar, stride)):
            ch = c.chord(bar, st)
            v = ch.voicing(lo + 12, hi + 12, 4)
            p = v[k % len(v)] if up else v[-1 - k % len(v)]
            notes.append(Note(c.t(bar, st), stride * c.step_s * 0.8, int(p), c.vel(0.9)))
    return notes


def _pluck(c: _Ctx) -> list[Note]:
    lo, hi = c.s.chord_register
    steps = c.pattern(float(c.rng.uniform(0.2, 0.5)), strong=(2,))
    notes: list[Note] = []
    for bar in range(c.grid.n_bars):
        for st in steps:
            ch = c.chord(bar, st)
            v = ch.voicing(lo + 12, hi + 12, 3)
            notes.append(Note(c.t(bar, st), c.step_s, int(v[int(c.rng.integers(len(v)))]), c.vel()))
    return notes


def _percussion(c: _Ctx, key: int, kind: str) -> list[Note]:
    notes: list[Note] = []
    beats = _beat_steps(c)
    if kind == "shaker":
        steps = c.pattern(float(c.rng.uniform(*c.s.percussion_density)))
    elif kind == "tambourine":
        steps = c.pattern(float(c.rng.uniform(*c.s.percussion_density)) / 2, strong=beats[1::2])
        steps = [s for s in steps if s % 2 == 0]
    elif kind == "clap":
        steps = beats[1::2] or beats
    else:  # cowbell
        steps = beats if c.rng.random() < 0.5 else [s for s in range(0, c.steps_per_bar, 2)]
    for bar in range(c.grid.n_bars):
        for st in steps:
            accent = 1.0 if st in beats else 0.7
            notes.append(Note(c.t(bar, st), c.step_s, key, c.vel(accent)))
    return notes


#: role -> maker(ctx) for the melodic roles (percussion and vocals are made apart).
PART_MAKERS: dict[str, Callable[[_Ctx], list[Note]]] = {
    "bass": lambda c: _bass(c),
    "synth_bass": lambda c: _bass(c, synth=True),
    "guitar_clean": lambda c: _guitar(c, drive=False),
    "guitar_drive": lambda c: _guitar(c, drive=True),
    "piano": lambda c: _comp(c),
    "epiano": lambda c: _comp(c),
    "organ": lambda c: _comp(c, sustain=bool(c.rng.random() < 0.5)),
    "pad": lambda c: _comp(c, sustain=True),
    "strings": lambda c: _comp(c, sustain=True),
    "brass": _brass,
    "lead": _lead,
    "arp": _arp,
    "pluck": _pluck,
}


def make_notes(
    role: str, rng: np.random.Generator, *, grid: Grid, song: Song, settings: BandSettings,
    kicks_s: np.ndarray, walk: bool = False, percussion: str | None = None,
) -> list[Note]:  # fmt: skip
    """The notes of one stem, humanised, inside the clip.

    Parameters
    ----------
    role : str
        A key of :data:`PART_MAKERS`, ``"percussion"`` (with ``percussion`` naming the kind),
        or ``"melody"`` (a vocal line in the lead register).
    kicks_s : np.ndarray
        Kick onsets of the drum clip, seconds, sorted; shape (n,).
    walk : bool
        The style walks its bass (jazz): walking gets the style's probability.
    """
    s = settings
    if walk:
        s = dataclasses.replace(s, bass_walk=s.bass_walk_jazz, bass_kick_lock=s.bass_kick_lock / 2)
    c = _Ctx(rng, grid, song, s, kicks_s)
    if role == "percussion":
        kind = percussion or "shaker"
        keys = percussion_keys()[kind]
        notes = _percussion(c, int(keys[int(rng.integers(len(keys)))]), kind)
    elif role == "melody":
        notes = melody(c, s.lead_register)
    else:
        notes = PART_MAKERS[role](c)
    out: list[Note] = []
    for n in notes:
        t = n.time_s + float(rng.uniform(-s.humanize_s, s.humanize_s))
        if 0.0 <= t < grid.duration_s:
            out.append(Note(max(0.0, t), n.duration_s, n.pitch, n.velocity))
    return out
