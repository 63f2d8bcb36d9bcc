"""A procedural groove generator: drum performances in many styles with every Roland note.

Grooves are built bar by bar on a 16th-note (or triplet) grid: a style's kick and snare
patterns (mutated per clip), a time-keeper that changes between phrases (closed, open
or edge hi-hat, ride bow/edge/bell, crash-ride, floor tom, pedal hi-hat), ghost notes,
open hi-hat accents that the next closed/pedal hat chokes, crashes on downbeats after
fills and at phrase starts, fills (tom runs across all three toms, snare rolls,
triplets, flams, tom rims) and tom grooves. Timing is humanised (per-clip tightness,
per-instrument push/drag, slow tempo drift) and so are velocities (accents, noise).
Toms, crashes and ride, which are rare in the Groove MIDI Dataset, are deliberately
frequent.

Times are quantised to MIDI ticks (480 per quarter) and the events' seconds are computed
back from the ticks, so the MIDI file written beside the audio and the audio agree
exactly.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from drumscribe_training.synth.events import CLOSED_HIHAT_NOTES, NoteEvent, lane_of_note

__all__ = ["STYLES", "ProceduralGroove", "Style", "generate_groove", "groove_midi"]

PPQ = 480
#: Two hits of one lane are never closer than this (flam grace notes are 15-35 ms early).
MIN_GAP_S = 0.012

KICK, SNARE, RIM, XSTICK = 36, 38, 40, 37
HH_CLOSED, HH_CLOSED_EDGE, HH_OPEN, HH_OPEN_EDGE, HH_PEDAL = 42, 22, 46, 26, 44
TOM_HI, TOM_HI_RIM, TOM_MID, TOM_MID_RIM, TOM_LOW, TOM_LOW_RIM = 48, 50, 45, 47, 43, 58
CRASH1, CRASH1_EDGE, CRASH2, CRASH2_EDGE = 49, 55, 57, 52
RIDE, RIDE_EDGE, RIDE_BELL = 51, 59, 53

TOMS = (TOM_HI, TOM_MID, TOM_LOW)
TOM_RIMS = {TOM_HI: TOM_HI_RIM, TOM_MID: TOM_MID_RIM, TOM_LOW: TOM_LOW_RIM}
CRASHES = (CRASH1, CRASH1_EDGE, CRASH2, CRASH2_EDGE)


@dataclass(frozen=True)
class Style:
    """A groove style: tempo range, grid, patterns and how often things happen."""

    name: str
    weight: float
    bpm: tuple[int, int]
    kicks: tuple[str, ...]  # one char per grid step of a 4/4 bar; 'x' = hit
    snares: tuple[str, ...]  # 'x' accent, 'g' ghost, 'c' cross-stick
    keepers: dict[str, float]  # time-keeper -> probability
    triplet: bool = False  # 12 steps per bar (shuffle/jazz) instead of 16
    swing: tuple[float, float] = (0.5, 0.5)  # 16th-grid swing of the off-beat 16ths
    ghost: float = 0.0  # probability of a ghost note on a free 16th
    fill_every: tuple[int, ...] = (4, 8)
    open_hat: float = 0.1  # probability of an open hat on a keeper off-beat
    crash_phrase: float = 0.8  # probability of a crash on a phrase's first downbeat
    time_signatures: tuple[tuple[str, float], ...] = (("4-4", 1.0),)
    tom_groove: float = 0.0  # probability that a phrase is a tom groove


_R = "x.......x......."
STYLES: tuple[Style, ...] = (
    Style("rock", 3.0, (80, 160),
          ("x.......x.x.....", "x.......x.......", "x.x.....x.x.....", "x......xx.x....."),
          ("....x.......x...", "....x.......x..x"),
          {"hh8": 0.4, "hh16": 0.1, "ride8": 0.25, "crashride": 0.1, "hhopen8": 0.1, "floortom": 0.05},
          ghost=0.04, fill_every=(2, 4, 8), open_hat=0.12),
    Style("pop", 2.0, (85, 130),
          ("x.....x.x.......", "x.......x.x.....", "x..x..x.x......."),
          ("....x.......x...",),
          {"hh8": 0.35, "hh16": 0.25, "ride8": 0.2, "hhedge8": 0.1, "ridebell4": 0.1},
          ghost=0.05, fill_every=(4, 8), open_hat=0.15),
    Style("funk", 2.0, (85, 125),
          ("x.x...x...x..x..", "x..x..x.x.....x.", "x.....xx..x....."),
          ("....x..g.g..x..g", "..g.x..g.g.gx...", "....x.g..g..x.g."),
          {"hh16": 0.5, "hh8": 0.2, "ride8": 0.15, "hhedge16": 0.15},
          ghost=0.2, swing=(0.5, 0.56), fill_every=(4, 8), open_hat=0.2),
    Style("punk", 1.2, (150, 200),
          ("x.x.x.x.x.x.x.x.", "x...x...x...x...", "x.......x.x....."),
          ("....x.......x...", "..x...x...x...x."),
          {"hh8": 0.3, "crashride": 0.35, "ride8": 0.25, "ridebell4": 0.1},
          fill_every=(4, 8), open_hat=0.05, crash_phrase=0.95),
    Style("metal", 1.5, (90, 200),
          ("xxxxxxxxxxxxxxxx", "x.x.x.x.x.x.x.x.", "xx.xxx.xxx.xxx.x", "x..xx..xx..xx..x"),
          ("....x.......x...", "........x.......", "x...x...x...x..."),
          {"crashride": 0.35, "ride8": 0.2, "ridebell4": 0.15, "hh8": 0.2, "china": 0.1},
          fill_every=(2, 4), open_hat=0.05, crash_phrase=1.0),
    Style("hiphop", 1.5, (70, 100),
          ("x......x..x.....", "x.x.......x..x..", "x..x......x....."),
          ("....x.......x...", "....x..g....x..."),
          {"hh16": 0.4, "hh8": 0.4, "ride8": 0.2},
          swing=(0.52, 0.62), ghost=0.08, fill_every=(4, 8), open_hat=0.15, crash_phrase=0.5),
    Style("reggae", 0.8, (70, 95),
          ("........x.......", "x.......x......."),
          ("........c.......", "....c.......c..."),
          {"hh8": 0.5, "ridebell4": 0.2, "ride8": 0.3},
          swing=(0.5, 0.6), fill_every=(4, 8), open_hat=0.2, crash_phrase=0.6),
    Style("latin", 1.2, (90, 180),
          ("x..x..x.x..x..x.", "x..x....x..x...."),
          ("...c..c....c..c.", "..c..c..c...c..."),
          {"ridebell8": 0.35, "ride8": 0.3, "hh8": 0.2, "cascara": 0.15},
          fill_every=(4, 8), open_hat=0.05, crash_phrase=0.6, tom_groove=0.15),
    Style("jazz", 1.5, (90, 200),
          ("x.....x.....", "x...........", "......x....."),
          ("........g...", "....g.....g.", "..g.....g..."),
          {"jazzride": 0.75, "jazzridebell": 0.1, "ride8": 0.15},
          triplet=True, ghost=0.1, fill_every=(4, 8), open_hat=0.0, crash_phrase=0.4),
    Style("shuffle", 1.2, (80, 150),
          ("x.....x.....", "x.....x..x..", "x.x...x.x..."),
          ("...x.....x..",),
          {"hhtrip": 0.5, "ridetrip": 0.4, "hhopen8": 0.1},
          triplet=True, ghost=0.08, fill_every=(4, 8), open_hat=0.1),
    Style("disco", 1.0, (110, 130),
          ("x...x...x...x...",),
          ("....x.......x...",),
          {"disco": 0.7, "hh16": 0.2, "ride8": 0.1},
          fill_every=(4, 8), open_hat=0.0),
    Style("dnb", 0.8, (160, 190),
          ("x.........x.....", "x.x.......x....."),
          ("....x.......x...", "....x..g.g..x..g"),
          {"hh8": 0.4, "ride8": 0.3, "ridebell4": 0.3},
          ghost=0.1, fill_every=(4, 8), open_hat=0.1),
    Style("halftime", 0.8, (60, 90),
          ("x.....x...x.....", "x.........x....."),
          ("........x.......",),
          {"hh16": 0.4, "hh8": 0.3, "ride8": 0.3},
          ghost=0.05, fill_every=(4,), open_hat=0.1, crash_phrase=0.7),
    Style("waltz", 0.6, (80, 180),
          ("x...........", "x.......x..."),
          ("....x...x...",),
          {"hh8": 0.4, "ride8": 0.4, "jazzride": 0.2},
          fill_every=(4, 8), time_signatures=(("3-4", 1.0),)),
    Style("blues68", 0.6, (60, 110),
          ("x.....x.....", "x..x..x....."),
          ("......x.....",),
          {"hh8": 0.4, "ride8": 0.5, "floortom": 0.1},
          fill_every=(4,), time_signatures=(("6-8", 1.0),), open_hat=0.1),
    Style("afrobeat", 0.8, (100, 130),
          ("x.....x...x.....", "x...x.....x..x.."),
          ("..g.x..g.g..x..g",),
          {"hhopen8": 0.3, "hh16": 0.3, "ridebell8": 0.2, "cascara": 0.2},
          ghost=0.15, fill_every=(4, 8), open_hat=0.2, tom_groove=0.15),
    Style("tribal", 1.0, (90, 160),
          ("x.....x.x.......", "x...x...x...x...", "x..x..x.x..x..x."),
          ("....x.......x...", "........x......."),
          {"floortom": 0.5, "ride8": 0.2, "crashride": 0.1, "hh8": 0.2},
          fill_every=(2, 4), tom_groove=0.6, crash_phrase=0.8),
    Style("gospel", 0.8, (70, 140),
          ("x.....x.x.....x.", "x..x..x...x....."),
          ("....x..g....x.g.", "....x.......x..."),
          {"hh16": 0.3, "ride8": 0.3, "ridebell4": 0.2, "crashride": 0.2},
          ghost=0.12, fill_every=(2, 4), open_hat=0.15, tom_groove=0.1),
    Style("ballad", 0.8, (60, 85),
          ("x.........x.....", "x.......x......."),
          ("....c.......c...", "....x.......x..."),
          {"hh8": 0.4, "ride8": 0.4, "hh16": 0.2},
          fill_every=(4, 8), open_hat=0.1, crash_phrase=0.7),
)  # fmt: skip

_STYLE_BY_NAME = {s.name: s for s in STYLES}


@dataclass(frozen=True)
class ProceduralGroove:
    """A generated performance: events in seconds and the same notes in MIDI ticks."""

    style: str  # e.g. "rock" (the writer names it "rock/synth12")
    bpm: int
    time_signature: str  # "4-4" | "3-4" | "6-8"
    beat_type: str  # "beat" or "fill"
    events: tuple[NoteEvent, ...]
    ticks: tuple[tuple[int, int, int], ...]  # (tick, note, velocity), sorted
    duration_s: float

    @property
    def quarter_s(self) -> float:
        """Seconds per quarter note, as :func:`groove_midi` stores the tempo."""
        return _midi_quarter_s(self.bpm)


def _midi_quarter_s(bpm: int) -> float:
    """Seconds per quarter note as a MIDI file stores ``bpm`` (whole microseconds), so
    that times computed from the written MIDI equal the times rendered."""
    return round(60_000_000 / bpm) / 1e6


def _bar_steps(ts: str, triplet: bool) -> tuple[int, int]:
    """(steps per bar, steps per quarter note)."""
    if ts == "3-4":
        return (9, 3) if triplet else (12, 4)
    if ts == "6-8":
        return 12, 4  # 12 sixteenths = six eighths = three quarters
    return (12, 3) if triplet else (16, 4)


def _fit(pattern: str, steps: int) -> str:
    if len(pattern) >= steps:
        return pattern[:steps]
    return (pattern * (steps // len(pattern) + 1))[:steps]


class _Builder:
    def __init__(self, rng: np.random.Generator, spq: int) -> None:
        self.rng = rng
        self.spq = spq
        # (quarter-note position, note, velocity 0..1, seconds early: flam grace notes)
        self.hits: list[tuple[float, int, float, float]] = []

    def add(self, pos_q: float, note: int, vel: float, early_s: float = 0.0) -> None:
        self.hits.append((pos_q, note, float(np.clip(vel, 0.02, 1.0)), early_s))

    def step(self, bar_q: float, step: int) -> float:
        return bar_q + step / self.spq


def _keeper_hits(
    b: _Builder,
    keeper: str,
    bar_q: float,
    steps: int,
    style: Style,
    rng: np.random.Generator,
    hh_note: int,
    open_note: int,
    ride_note: int,
    accent: float,
) -> None:
    spq = b.spq
    per_beat = spq

    def beats(step_every: int, note: int, base: float, accent_on_beat: bool = True) -> None:
        for s in range(0, steps, step_every):
            on_beat = s % per_beat == 0
            v = base * (accent if (on_beat and accent_on_beat) else 1.0)
            b.add(b.step(bar_q, s), note, v * rng.uniform(0.85, 1.05))

    eighth = max(1, spq // 2) if not style.triplet else spq
    if keeper in ("hh8", "hhedge8", "hhopen8"):
        note = HH_CLOSED_EDGE if keeper == "hhedge8" else hh_note
        for s in range(0, steps, 2 if not style.triplet else spq):
            off = s % per_beat != 0
            if (keeper == "hhopen8" and off and rng.random() < 0.5) or (
                off and rng.random() < style.open_hat
            ):
                b.add(b.step(bar_q, s), open_note, 0.75 * rng.uniform(0.85, 1.05))
            else:
                b.add(b.step(bar_q, s), note, (0.8 if not off else 0.55) * accent * rng.uniform(0.85, 1.05))
    elif keeper in ("hh16", "hhedge16"):
        note = HH_CLOSED_EDGE if keeper == "hhedge16" else hh_note
        for s in range(steps):
            lvl = 0.8 if s % per_beat == 0 else (0.6 if s % 2 == 0 else 0.4)
            if s % per_beat == 2 and rng.random() < style.open_hat:
                b.add(b.step(bar_q, s), open_note, 0.7)
            else:
                b.add(b.step(bar_q, s), note, lvl * rng.uniform(0.85, 1.05))
    elif keeper == "hhtrip":
        for s in range(steps):
            if s % 3 != 1:
                b.add(b.step(bar_q, s), hh_note, (0.8 if s % 3 == 0 else 0.5) * rng.uniform(0.85, 1.05))
    elif keeper == "ridetrip":
        for s in range(steps):
            if s % 3 != 1:
                b.add(b.step(bar_q, s), ride_note, (0.8 if s % 3 == 0 else 0.55) * rng.uniform(0.85, 1.05))
        for s in range(per_beat, steps, 2 * per_beat):
            b.add(b.step(bar_q, s), HH_PEDAL, 0.5)
    elif keeper in ("ride8", "ridebell8"):
        note = RIDE_BELL if keeper == "ridebell8" else ride_note
        for s in range(0, steps, eighth if not style.triplet else spq):
            on = s % per_beat == 0
            n = RIDE_BELL if (note == ride_note and on and rng.random() < 0.08) else note
            b.add(b.step(bar_q, s), n, (0.75 if on else 0.55) * rng.uniform(0.85, 1.05))
        if rng.random() < 0.5:
            for s in range(per_beat, steps, 2 * per_beat):
                b.add(b.step(bar_q, s), HH_PEDAL, 0.45 * rng.uniform(0.8, 1.1))
    elif keeper == "ridebell4":
        beats(per_beat, RIDE_BELL, 0.75)
        for s in range(per_beat // 2, steps, per_beat):
            if rng.random() < 0.5:
                b.add(b.step(bar_q, s), ride_note, 0.5)
    elif keeper in ("jazzride", "jazzridebell"):
        note = RIDE_BELL if keeper == "jazzridebell" else ride_note
        # spang-spang-a-lang on a triplet grid: every beat, plus the last triplet of 2 and 4
        for beat in range(steps // per_beat):
            b.add(b.step(bar_q, beat * per_beat), note, (0.7 if beat % 2 else 0.6) * rng.uniform(0.85, 1.1))
            if beat % 2 == 1 and per_beat == 3:
                b.add(b.step(bar_q, beat * per_beat + 2), note, 0.5 * rng.uniform(0.8, 1.1))
            if beat % 2 == 1:
                b.add(b.step(bar_q, beat * per_beat), HH_PEDAL, 0.55 * rng.uniform(0.8, 1.1))
    elif keeper in ("crashride", "china"):
        step_every = per_beat if rng.random() < 0.7 else max(1, per_beat // 2)
        for s in range(0, steps, step_every):
            note = rng.choice(CRASHES) if keeper == "china" else (CRASH1 if rng.random() < 0.7 else CRASH2)
            b.add(b.step(bar_q, s), int(note), 0.8 * rng.uniform(0.85, 1.05))
    elif keeper == "floortom":
        for s in range(0, steps, 2 if not style.triplet else spq):
            on = s % per_beat == 0
            note = TOM_LOW if rng.random() < 0.85 else TOM_MID
            b.add(b.step(bar_q, s), note, (0.75 if on else 0.55) * rng.uniform(0.85, 1.05))
    elif keeper == "cascara":
        pat = "x.x.xx.x.x.xx.x."
        for s in range(steps):
            if _fit(pat, steps)[s] == "x":
                n = RIDE_BELL if rng.random() < 0.5 else TOM_LOW_RIM
                b.add(b.step(bar_q, s), n, 0.6 * rng.uniform(0.85, 1.1))
    elif keeper == "disco":
        for s in range(0, steps, 2):
            if s % per_beat == 0:
                b.add(b.step(bar_q, s), hh_note, 0.7)
            else:
                b.add(b.step(bar_q, s), open_note, 0.75)
    else:  # pragma: no cover
        raise ValueError(keeper)


def _fill(
    b: _Builder,
    bar_q: float,
    steps: int,
    start_step: int,
    rng: np.random.Generator,
    triplet: bool,
) -> None:
    """A fill from ``start_step`` to the end of the bar: tom runs, rolls, flams, kicks."""
    kind = rng.choice(["descend", "ascend", "toms_random", "snare_toms", "roll", "flams", "tom_kick"],
                      p=[0.3, 0.1, 0.22, 0.14, 0.06, 0.1, 0.08])  # fmt: skip
    n = steps - start_step
    toms = list(TOMS)
    rim_p = rng.uniform(0.0, 0.3)
    dens = 1 if rng.random() < 0.75 else 2  # every step, or every other step
    for i, s in enumerate(range(start_step, steps, dens)):
        frac = i * dens / max(1, n)
        if kind == "descend":
            note = toms[min(2, int(frac * 3))] if frac > 0.15 or rng.random() < 0.5 else SNARE
        elif kind == "ascend":
            note = toms[2 - min(2, int(frac * 3))]
        elif kind == "toms_random":
            note = int(rng.choice([*toms, SNARE]))
        elif kind == "snare_toms":
            note = SNARE if i % 2 == 0 else int(rng.choice(toms))
        elif kind == "roll":
            note = SNARE
        elif kind == "flams":
            note = int(rng.choice([*toms, SNARE]))
        else:  # tom_kick
            note = int(rng.choice(toms)) if i % 2 == 0 else KICK
        vel = 0.6 + 0.35 * frac if kind != "roll" else 0.35 + 0.6 * frac
        vel *= rng.uniform(0.85, 1.1)
        if note in TOM_RIMS and rng.random() < rim_p:
            note = TOM_RIMS[note]
        pos = b.step(bar_q, s)
        b.add(pos, note, vel)
        if kind == "roll" and not triplet and rng.random() < 0.6:
            b.add(pos + 0.5 / b.spq, SNARE, vel * 0.8)  # 32nd-note double
        if (kind == "flams" or rng.random() < 0.06) and note != KICK:
            b.add(pos, note, vel * rng.uniform(0.3, 0.6), early_s=rng.uniform(0.015, 0.035))  # flam
        if kind != "tom_kick" and rng.random() < 0.2:
            b.add(pos, KICK, 0.7)


@dataclass(frozen=True)
class _Clip:
    """The choices made once per clip: style, tempo, metre, patterns and voicing."""

    style: Style
    fill_clip: bool
    bpm: int
    time_signature: str
    steps: int  # grid steps per bar
    spq: int  # grid steps per quarter note
    bar_q: float  # quarter notes per bar
    sec_per_q: float  # as the MIDI file stores the tempo (whole microseconds per quarter)
    n_bars: int
    kick_pat: str
    snare_pat: str
    hh_note: int
    open_note: int
    ride_note: int
    backbeat: int
    phrase: int  # bars per phrase
    fill_every: int  # bars
    keepers: tuple[str, ...]
    keeper_p: np.ndarray  # the keepers' probabilities, normalised
    mutate: float  # probability of flipping a kick-pattern step
    swing: float
    accent: float

    def draw_keeper(self, rng: np.random.Generator) -> str:
        return str(rng.choice(list(self.keepers), p=self.keeper_p))


def _choose_clip(
    rng: np.random.Generator, duration_s: float, style: str | None, fill_clip: bool | None
) -> _Clip:
    """Draw the per-clip choices (in the order the random stream gives them)."""
    if style is None:
        w = np.array([s.weight for s in STYLES])
        st = STYLES[int(rng.choice(len(STYLES), p=w / w.sum()))]
    else:
        st = _STYLE_BY_NAME[style]
    if fill_clip is None:
        fill_clip = bool(rng.random() < 0.12)
    bpm = int(rng.integers(st.bpm[0], st.bpm[1] + 1))
    bpm = int(np.clip(bpm, 60, 200))
    ts_names = [t for t, _ in st.time_signatures]
    ts_p = np.array([p for _, p in st.time_signatures])
    ts = ts_names[int(rng.choice(len(ts_names), p=ts_p / ts_p.sum()))]
    steps, spq = _bar_steps(ts, st.triplet)
    bar_q = steps / spq
    sec_per_q = _midi_quarter_s(bpm)
    n_bars = max(1, math.floor(duration_s / (bar_q * sec_per_q)))
    kick_pat = _fit(str(rng.choice(st.kicks)), steps)
    snare_pat = _fit(str(rng.choice(st.snares)), steps)
    if ts == "6-8":
        kick_pat, snare_pat = "x.....x.....", "......x....."
        if rng.random() < 0.5:
            kick_pat = "x..x..x....."
    hh_note = HH_CLOSED if rng.random() < 0.75 else HH_CLOSED_EDGE
    open_note = HH_OPEN if rng.random() < 0.7 else HH_OPEN_EDGE
    ride_note = RIDE if rng.random() < 0.8 else RIDE_EDGE
    backbeat = SNARE if rng.random() < 0.75 else RIM
    phrase = int(rng.choice([4, 8])) if not fill_clip else 1
    fill_every = 1 if fill_clip else int(rng.choice(st.fill_every))
    keepers = tuple(st.keepers)
    kp = np.array([st.keepers[k] for k in keepers])
    return _Clip(
        style=st,
        fill_clip=fill_clip,
        bpm=bpm,
        time_signature=ts,
        steps=steps,
        spq=spq,
        bar_q=bar_q,
        sec_per_q=sec_per_q,
        n_bars=n_bars,
        kick_pat=kick_pat,
        snare_pat=snare_pat,
        hh_note=hh_note,
        open_note=open_note,
        ride_note=ride_note,
        backbeat=backbeat,
        phrase=phrase,
        fill_every=fill_every,
        keepers=keepers,
        keeper_p=kp / kp.sum(),
        mutate=rng.uniform(0.0, 0.08),
        swing=rng.uniform(*st.swing),
        accent=rng.uniform(1.0, 1.25),
    )


def _crash(b: _Builder, rng: np.random.Generator, pos_q: float, lo: float, kick_vel: float) -> None:
    """A crash (one of the four, weighted) with a kick under it."""
    note = int(rng.choice(CRASHES, p=[0.45, 0.2, 0.25, 0.1]))
    b.add(pos_q, note, rng.uniform(lo, 1.0))
    b.add(pos_q, KICK, kick_vel)


def _fill_start(clip: _Clip, bar: int, rng: np.random.Generator) -> int:
    """The grid step where this bar's fill starts; ``clip.steps`` when it has none."""
    every = clip.fill_every
    is_fill = (bar % every == every - 1) and (clip.fill_clip or rng.random() < 0.85)
    is_fill = is_fill or (bar % 2 == 1 and rng.random() < 0.15)  # an extra short fill
    if not is_fill:
        return clip.steps
    if clip.fill_clip:
        frac = float(rng.choice([0.5, 1.0]))
    else:
        frac = float(rng.choice([0.25, 0.5, 0.5, 1.0, 1.0]))
    start = int(clip.steps - round(clip.steps * frac))
    start -= start % 2 if not clip.style.triplet else 0
    return start


def _time_keeper(
    b: _Builder,
    clip: _Clip,
    q0: float,
    fill_start: int,
    keeper: str,
    tom_phrase: bool,
    rng: np.random.Generator,
) -> None:
    """One bar of the time-keeper (or of a tom groove), stopping where the fill starts."""
    spq = clip.spq
    if tom_phrase:
        pat = _fit(str(rng.choice(["x.x.x.x.x.x.x.x.", "x..x..x.x..x..x.", "xx.xx.x.xx.xx.x."])), clip.steps)
        for s in range(fill_start):
            if pat[s] == "x":
                note = (
                    TOM_LOW
                    if s % spq == 0
                    else int(rng.choice([TOM_LOW, TOM_MID, TOM_HI], p=[0.5, 0.3, 0.2]))
                )
                b.add(b.step(q0, s), note, (0.8 if s % spq == 0 else 0.6) * rng.uniform(0.85, 1.1))
        return
    tmp = _Builder(rng, spq)
    _keeper_hits(
        tmp,
        keeper,
        q0,
        clip.steps,
        clip.style,
        rng,
        clip.hh_note,
        clip.open_note,
        clip.ride_note,
        clip.accent,
    )
    for pos, note, vel, early in tmp.hits:
        if (pos - q0) * spq < fill_start - 1e-6:
            b.add(pos, note, vel, early)


def _kick_and_snare(b: _Builder, clip: _Clip, q0: float, fill_start: int, rng: np.random.Generator) -> None:
    """One bar of the kick and snare patterns (mutated; inside a fill, sparse kicks only)."""
    spq, st = clip.spq, clip.style
    for s in range(clip.steps):
        pos = b.step(q0, s)
        in_fill = s >= fill_start
        k = clip.kick_pat[s] == "x"
        if rng.random() < clip.mutate:
            k = not k
        if k and (not in_fill or rng.random() < 0.3):
            b.add(pos, KICK, (0.85 if s % spq == 0 else 0.7) * rng.uniform(0.85, 1.1))
        if in_fill:
            continue
        ch = clip.snare_pat[s]
        if ch == "x":
            b.add(pos, clip.backbeat, 0.9 * rng.uniform(0.9, 1.05))
            if rng.random() < 0.03:
                b.add(pos, clip.backbeat, 0.4, early_s=rng.uniform(0.015, 0.035))  # flam
        elif ch == "c":
            b.add(pos, XSTICK, 0.75 * rng.uniform(0.85, 1.1))
        elif ch == "g" or (st.ghost and rng.random() < st.ghost and s % 2 == 1):
            b.add(pos, SNARE, rng.uniform(0.1, 0.3))


def _accents(b: _Builder, q0: float, fill_start: int, rng: np.random.Generator) -> None:
    """Sporadic crash/ride accents (with a kick) and tom hits outside fills: these lanes
    are rare in real grooves, so the generator plays them more than a drummer would."""
    if rng.random() < 0.25:
        s = int(rng.integers(0, max(1, fill_start))) // 2 * 2
        cymbal = rng.choice(
            [CRASH1, CRASH2, CRASH1_EDGE, CRASH2_EDGE, RIDE_BELL, RIDE_EDGE],
            p=[0.3, 0.25, 0.1, 0.1, 0.15, 0.1],
        )
        b.add(b.step(q0, s), int(cymbal), rng.uniform(0.7, 1.0))
        b.add(b.step(q0, s), KICK, 0.8)
    if rng.random() < 0.2:
        s0 = int(rng.integers(0, max(1, fill_start)))
        for j in range(int(rng.integers(1, 4))):
            if s0 + j < fill_start:
                b.add(b.step(q0, s0 + j), int(rng.choice(TOMS)), rng.uniform(0.45, 0.95))


def _play(clip: _Clip, rng: np.random.Generator) -> _Builder:
    """Every bar on the grid (phrases, time-keepers, patterns, fills, crashes), then the
    final hit; positions in quarter notes, not yet humanised."""
    b = _Builder(rng, clip.spq)
    st = clip.style
    keeper = clip.draw_keeper(rng)
    tom_phrase = False
    for bar in range(clip.n_bars):
        q0 = bar * clip.bar_q
        if bar % clip.phrase == 0:
            if bar > 0 and rng.random() < 0.5:
                keeper = clip.draw_keeper(rng)
            tom_phrase = rng.random() < st.tom_groove
            if (bar == 0 and rng.random() < st.crash_phrase) or (bar > 0 and rng.random() < st.crash_phrase):
                _crash(b, rng, q0, 0.75, 0.85)
        fill_start = _fill_start(clip, bar, rng)
        _time_keeper(b, clip, q0, fill_start, keeper, tom_phrase, rng)
        _kick_and_snare(b, clip, q0, fill_start, rng)
        if fill_start < clip.steps:  # this bar has a fill
            _fill(b, q0, clip.steps, fill_start, rng, st.triplet)
            if bar + 1 < clip.n_bars and rng.random() < 0.8:  # the downbeat after a fill crashes
                _crash(b, rng, (bar + 1) * clip.bar_q, 0.8, 0.9)
        _accents(b, q0, fill_start, rng)
    end_q = clip.n_bars * clip.bar_q
    if rng.random() < 0.5:
        b.add(end_q, int(rng.choice(CRASHES)), 0.9)
        b.add(end_q, KICK, 0.9)
    return b


def _humanise(
    hits: list[tuple[float, int, float, float]], clip: _Clip, rng: np.random.Generator
) -> dict[tuple[int, int], int]:
    """Swing, timing noise, per-instrument push/drag, tempo drift and velocity noise:
    grid hits -> (MIDI tick, note) -> velocity 1..127."""
    spq, sec_per_q = clip.spq, clip.sec_per_q
    sigma = rng.uniform(0.002, 0.012)
    push = {KICK: rng.normal(0, 0.003), SNARE: rng.uniform(-0.002, 0.008), RIM: rng.uniform(-0.002, 0.008)}
    drift_amp = rng.uniform(0.0, 0.03)
    drift_period = rng.uniform(6.0, 30.0)
    drift_phase = rng.uniform(0, 2 * np.pi)
    vel_sigma = rng.uniform(0.04, 0.15)
    vel_scale = rng.uniform(0.8, 1.05)
    # one hit per lane and grid position (a pattern kick and a crash's kick, two crashes
    # drawn for one accent): the loudest stays, so no lane gets two onsets a few ms apart
    merged: dict[tuple[int, str, bool], tuple[float, int, float, float]] = {}
    for hit in hits:
        slot = (round(hit[0] * 96), lane_of_note(hit[1]) or str(hit[1]), hit[3] > 0)
        if slot not in merged or hit[2] > merged[slot][2]:
            merged[slot] = hit
    ticks: dict[tuple[int, int], int] = {}
    for pos, note, vel, early in sorted(merged.values()):
        if pos < 0:
            continue
        frac = (pos * spq) % 2
        if not clip.style.triplet and spq == 4 and abs(frac - 1.0) < 1e-6:
            pos += (clip.swing - 0.5) * 2 / spq  # delay the off-beat 16th
        t = pos * sec_per_q - early
        t += rng.normal(0.0, sigma) + push.get(note, 0.0)
        t += drift_amp * math.sin(2 * np.pi * t / drift_period + drift_phase)
        t = max(0.0, t)
        tick = round(t / sec_per_q * PPQ)
        v = int(np.clip(round(127 * vel * vel_scale * (1.0 + rng.normal(0.0, vel_sigma))), 1, 127))
        ticks[(tick, note)] = max(ticks.get((tick, note), 0), v)
    return ticks


def _clean(ticks: dict[tuple[int, int], int], sec_per_q: float) -> tuple[tuple[int, int, int], ...]:
    """Drop a closed hat under an open one, and the softer of two hits of a lane closer
    than :data:`MIN_GAP_S`; returns (tick, note, velocity), sorted."""
    opens = {t for (t, n) in ticks if n in (HH_OPEN, HH_OPEN_EDGE)}
    for t, n in list(ticks):
        if n in CLOSED_HIHAT_NOTES and n != HH_PEDAL and t in opens:
            del ticks[(t, n)]
    kept: list[tuple[int, int, int]] = []
    last: dict[str, int] = {}
    min_gap = math.ceil(MIN_GAP_S / sec_per_q * PPQ)
    for t, n, v in sorted((t, n, v) for (t, n), v in ticks.items()):
        lane = lane_of_note(n) or str(n)
        j = last.get(lane)
        if j is not None and t - kept[j][0] < min_gap:
            if v > kept[j][2]:
                kept[j] = (kept[j][0], n, v)  # keep the earlier onset, the louder sound
            continue
        last[lane] = len(kept)
        kept.append((t, n, v))
    return tuple(kept)


def generate_groove(
    rng: np.random.Generator,
    duration_s: float,
    *,
    style: str | None = None,
    fill_clip: bool | None = None,
) -> ProceduralGroove:
    """Generate a humanised groove about ``duration_s`` long (whole bars, at least one).

    Parameters
    ----------
    rng : numpy Generator
        All randomness comes from it (same state, same groove).
    duration_s : float
        Wanted length in seconds; the groove covers whole bars up to about this length.
    style : str, optional
        A name from :data:`STYLES`; random (weighted) when None.
    fill_clip : bool, optional
        A short, fill-heavy clip (``beat_type`` "fill": a fill every bar); random when None.
    """
    clip = _choose_clip(rng, duration_s, style, fill_clip)
    played = _play(clip, rng)
    tick_list = _clean(_humanise(played.hits, clip, rng), clip.sec_per_q)
    sec_per_tick = clip.sec_per_q / PPQ
    return ProceduralGroove(
        style=clip.style.name,
        bpm=clip.bpm,
        time_signature=clip.time_signature,
        beat_type="fill" if clip.fill_clip else "beat",
        events=tuple(NoteEvent(t * sec_per_tick, n, v) for t, n, v in tick_list),
        ticks=tick_list,
        duration_s=clip.n_bars * clip.bar_q * clip.sec_per_q,
    )


def groove_midi(g: ProceduralGroove) -> bytes:
    """A type-0 MIDI file (480 ticks per quarter, channel 10) of a generated groove."""
    import mido

    num, den = (int(x) for x in g.time_signature.split("-"))
    tr = mido.MidiTrack()
    tr.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(g.bpm), time=0))
    tr.append(mido.MetaMessage("time_signature", numerator=num, denominator=den, time=0))
    msgs: list[tuple[int, int, mido.Message]] = []
    for tick, note, vel in g.ticks:
        msgs.append((tick, 1, mido.Message("note_on", channel=9, note=note, velocity=vel)))
        msgs.append((tick + PPQ // 8, 0, mido.Message("note_off", channel=9, note=note, velocity=0)))
    msgs.sort(key=lambda m: (m[0], m[1]))
    now = 0
    for tick, _, msg in msgs:
        tr.append(msg.copy(time=tick - now))
        now = tick
    tr.append(mido.MetaMessage("end_of_track", time=0))
    mid = mido.MidiFile(type=0, ticks_per_beat=PPQ)
    mid.tracks.append(tr)
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()
