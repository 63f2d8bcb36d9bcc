"""Mixing one-shots into a drum performance, and the random per-clip mix chain.

:class:`KitPlayer` decides, once per clip, which voice plays each Roland note (the
primary kit's, a donor kit's for pieces the kit lacks, sometimes a blend of two kits'
one-shots), the per-piece gains (balance), the velocity-to-gain curve and, optionally, a
re-voicing of some lanes' one-shots (:mod:`drumscribe_training.synth.variation`).
:func:`render_dry` places one-shots at exact sample positions (numpy only; open hi-hats
are choked by the next closed or pedal hat). :func:`apply_mix` runs the random mix
chain with pedalboard: EQ, compression, room reverb (algorithmic or a synthetic impulse
response), saturation, limiting, slow level changes, a noise floor and lossy re-encoding.
None of these move an onset: the alignment tests run them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from drumscribe_training.synth.events import (
    CLOSED_HIHAT_NOTES,
    OPEN_HIHAT_NOTES,
    SAMPLE_RATE,
    NoteEvent,
    lane_of_note,
    roland_notes,
)
from drumscribe_training.synth.kitmodel import Kit, Voice
from drumscribe_training.synth.variation import PieceVariation, Voicing

__all__ = ["KitPlayer", "MixSettings", "apply_mix", "draw_mix", "render_dry"]

# nominal level of each lane at full velocity (dB re the loudest piece)
_LANE_DB = {
    "kick": 0.0, "snare": -1.0, "hihat": -8.0, "hi_tom": -3.0, "mid_tom": -3.0,
    "low_tom": -3.0, "crash": -6.0, "ride": -8.0,
}  # fmt: skip


@dataclass(frozen=True)
class _Slot:
    kit: Kit
    voice: Voice
    weight: float


@dataclass
class KitPlayer:
    """Per-clip choice of voices for every Roland note, gains and velocity curve."""

    primary: Kit
    slots: dict[int, tuple[_Slot, ...]]
    lane_gain: dict[str, float]
    gamma: float
    choke_s: float
    kits_used: set[str] = field(default_factory=set)
    voicing: dict[str, Voicing] = field(default_factory=dict)
    _revoiced: dict[tuple[str, tuple[int, int], str], np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def create(
        cls,
        primary: Kit,
        others: Sequence[Kit],
        rng: np.random.Generator,
        *,
        blend_probability: float = 0.0,
        balance_db: float = 4.0,
        variation: PieceVariation | None = None,
    ) -> KitPlayer:
        """Choose voices for a clip.

        Parameters
        ----------
        primary : Kit
            The clip's kit (its name goes in the CSV).
        others : sequence of Kit
            Kits of the same split: donors for pieces the primary kit lacks, and partners
            for blends.
        rng : numpy Generator
        blend_probability : float
            Chance, per piece, that two one-shots (the primary's and another kit's) are
            blended, as in one-shot-bank synthesis.
        balance_db : float
            Half-range of the random per-lane gain (mix balance).
        variation : PieceVariation, optional
            Re-voices some lane groups' one-shots for this clip (drawn last, so that
            without it, or at probability 0, every other choice is unchanged).
        """
        others = [k for k in others if k.name != primary.name]
        # one donor kit per clip (a consistent borrowed cymbal set), others as reserve
        order = list(rng.permutation(len(others))) if others else []
        donors = [others[i] for i in order]
        slots: dict[int, tuple[_Slot, ...]] = {}
        used = {primary.name}
        choice_cache: dict[tuple[str, int], Voice] = {}

        def pick(kit: Kit, note: int) -> Voice | None:
            vs = kit.voices_for(note)
            if not vs:
                return None
            key = (kit.name, kit.notes[note][0])
            # the same alternative list -> the same choice for notes sharing it
            if key not in choice_cache:
                choice_cache[key] = vs[int(rng.integers(len(vs)))]
            return choice_cache[key]

        for note in roland_notes():
            v = pick(primary, note)
            kit = primary
            if v is None:
                for d in donors:
                    v = pick(d, note)
                    if v is not None:
                        kit = d
                        break
            if v is None:
                continue
            used.add(kit.name)
            entry = [_Slot(kit, v, 1.0)]
            if blend_probability > 0 and rng.random() < blend_probability and donors:
                partner = donors[int(rng.integers(len(donors)))]
                pv = pick(partner, note)
                if pv is not None and partner.name != kit.name:
                    a = float(rng.uniform(0.3, 0.7))
                    entry = [_Slot(kit, v, 1.0 - a), _Slot(partner, pv, a)]
                    used.add(partner.name)
            slots[note] = tuple(entry)
        lane_gain = {
            lane: 10.0 ** ((db + rng.uniform(-balance_db, balance_db)) / 20.0)
            for lane, db in _LANE_DB.items()
        }
        return cls(
            primary=primary,
            slots=slots,
            lane_gain=lane_gain,
            gamma=float(rng.uniform(1.1, 2.2)),
            choke_s=float(rng.uniform(0.01, 0.04)),
            kits_used=used,
            voicing=variation.draw(rng) if variation is not None else {},
        )

    def playable(self, note: int) -> bool:
        return note in self.slots

    def shot(self, kit: Kit, ref: tuple[int, int], lane: str) -> np.ndarray:
        """One-shot ``ref`` of ``kit`` as this clip plays it in ``lane`` (int16 scale)."""
        v = self.voicing.get(lane)
        if v is None:
            return kit.shot(ref)
        key = (kit.name, ref, lane)
        if key not in self._revoiced:
            self._revoiced[key] = v.apply(kit.shot(ref), SAMPLE_RATE)
        return self._revoiced[key]


def render_dry(
    events: Sequence[NoteEvent],
    player: KitPlayer,
    n_samples: int,
    rng: np.random.Generator,
    *,
    offset_s: float = 0.0,
) -> np.ndarray:
    """Mix one-shots into a mono float32 buffer of ``n_samples`` at 44.1 kHz.

    ``offset_s`` is subtracted from every event time (events before 0 start inside the
    buffer with their heads cut; used for pre-rolls). Events the player cannot play are
    skipped (callers drop them from the labels with :meth:`KitPlayer.playable`).
    """
    out = np.zeros(n_samples, dtype=np.float32)
    evs = sorted(events)
    # next closing-hat time for each open-hat event (choke)
    next_close = [math.inf] * len(evs)
    nxt = math.inf
    for i in range(len(evs) - 1, -1, -1):
        next_close[i] = nxt
        if evs[i].note in CLOSED_HIHAT_NOTES:
            nxt = evs[i].time_s
    choke_n = max(1, int(player.choke_s * SAMPLE_RATE))
    for i, ev in enumerate(evs):
        slots = player.slots.get(ev.note)
        if not slots:
            continue
        start = round((ev.time_s - offset_s) * SAMPLE_RATE)
        if start >= n_samples:
            continue
        lane = lane_of_note(ev.note) or "snare"
        x = ev.velocity / 127.0
        for slot in slots:
            layers = slot.voice.candidates(ev.velocity)
            layer = layers[int(rng.integers(len(layers)))] if len(layers) > 1 else layers[0]
            ref = layer.shots[int(rng.integers(len(layer.shots)))] if len(layer.shots) > 1 else layer.shots[0]
            shot = player.shot(slot.kit, ref, lane)
            if slot.voice.relative_velocity:
                vg = min(1.0, x / max(layer.hi, 1e-3)) ** player.gamma
            else:
                vg = x**player.gamma
            gain = slot.weight * player.lane_gain[lane] * vg / 32767.0
            a, b = start, start + shot.shape[0]
            s0 = 0
            if a < 0:
                s0, a = -a, 0
            if ev.note in OPEN_HIHAT_NOTES and next_close[i] < math.inf:
                stop = round((next_close[i] - offset_s) * SAMPLE_RATE)
                b = min(b, stop + choke_n)
            b = min(b, n_samples)
            if b <= a:
                continue
            seg = shot[s0 : s0 + (b - a)].astype(np.float32) * np.float32(gain)
            if ev.note in OPEN_HIHAT_NOTES and next_close[i] < math.inf:
                stop = round((next_close[i] - offset_s) * SAMPLE_RATE) - a
                if 0 <= stop < seg.shape[0]:
                    n = seg.shape[0] - stop
                    seg[stop:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
            out[a : a + seg.shape[0]] += seg
    return out


@dataclass(frozen=True)
class MixSettings:
    """Random mix parameters of one clip (all drawn by :func:`draw_mix`)."""

    highpass_hz: float | None
    low_shelf: tuple[float, float] | None  # (Hz, dB)
    peaks: tuple[tuple[float, float, float], ...]  # (Hz, dB, Q)
    high_shelf: tuple[float, float] | None
    lowpass_hz: float | None
    compressor: tuple[float, float, float, float] | None  # threshold dB, ratio, attack ms, release ms
    reverb: tuple[str, float, float, float] | None  # kind, size/rt60, damping, wet
    drive_db: float | None
    limiter_db: float | None
    automation_db: float
    noise_db: float | None  # re peak
    noise_colour: str
    hum: float | None  # 50 or 60 Hz
    mp3_quality: float | None
    bitcrush: int | None
    peak_db: float


def draw_mix(rng: np.random.Generator, *, realism: float = 1.0) -> MixSettings:
    """Draw the mix of a clip; ``realism=0`` gives a clean mix (normalisation only)."""

    def maybe(p: float) -> bool:
        return bool(rng.random() < p * realism)

    def logu(lo: float, hi: float) -> float:
        return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))

    reverb = None
    if maybe(0.75):
        if rng.random() < 0.5:
            reverb = ("freeverb", float(rng.uniform(0.05, 0.8)), float(rng.uniform(0.2, 0.8)),
                      float(rng.uniform(0.05, 0.35)))  # fmt: skip
        else:
            reverb = ("ir", float(rng.uniform(0.15, 1.5)), float(rng.uniform(0.2, 0.9)),
                      float(rng.uniform(0.05, 0.4)))  # fmt: skip
    return MixSettings(
        highpass_hz=logu(20, 90) if maybe(0.7) else None,
        low_shelf=(logu(80, 250), float(rng.uniform(-5, 5))) if maybe(0.5) else None,
        peaks=tuple(
            (logu(150, 6000), float(rng.uniform(-7, 7)), float(rng.uniform(0.5, 2.0)))
            for _ in range(int(rng.integers(0, 3)) if realism > 0 else 0)
        ),
        high_shelf=(logu(3000, 10000), float(rng.uniform(-6, 5))) if maybe(0.5) else None,
        lowpass_hz=logu(6000, 18000) if maybe(0.2) else None,
        compressor=(float(rng.uniform(-30, -8)), float(rng.uniform(1.5, 8)), logu(0.5, 30), logu(40, 300))
        if maybe(0.6)
        else None,
        reverb=reverb,
        drive_db=float(rng.uniform(2, 12)) if maybe(0.12) else None,
        limiter_db=float(rng.uniform(-8, -1)) if maybe(0.5) else None,
        automation_db=float(rng.uniform(0.3, 2.0)) if maybe(0.7) else 0.0,
        noise_db=float(rng.uniform(-80, -45)) if maybe(0.6) else None,
        noise_colour=str(rng.choice(["white", "pink", "brown"])),
        hum=float(rng.choice([50.0, 60.0])) if maybe(0.08) else None,
        mp3_quality=float(rng.uniform(2, 9)) if maybe(0.25) else None,
        bitcrush=int(rng.integers(10, 15)) if maybe(0.05) else None,
        peak_db=float(rng.uniform(-6, -0.5)),
    )


def _synthetic_ir(rng: np.random.Generator, rt60: float, damping: float) -> np.ndarray:
    """Exponentially decaying filtered noise with a few early reflections; no direct path."""
    from scipy.signal import lfilter

    n = int(rt60 * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    tail = rng.standard_normal(n) * np.exp(-6.91 * t / rt60)
    # darker as it decays: one-pole low-pass with rising smoothing
    a = 0.15 + 0.8 * damping
    tail = lfilter([1 - a], [1, -a], tail)
    pre = int(rng.uniform(0.003, 0.02) * SAMPLE_RATE)
    ir = np.zeros(n + pre)
    ir[pre:] = tail
    for _ in range(int(rng.integers(2, 7))):
        d = int(rng.uniform(0.002, 0.04) * SAMPLE_RATE)
        ir[d] += rng.uniform(-0.6, 0.6)
    ir /= np.sqrt(np.sum(ir**2)) + 1e-12
    return ir.astype(np.float32)


def _noise(rng: np.random.Generator, n: int, colour: str) -> npt.NDArray[np.float32]:
    w = rng.standard_normal(n).astype(np.float32)
    if colour == "white":
        return w
    from scipy.signal import lfilter

    y: np.ndarray
    if colour == "pink":  # Paul Kellet's economy pink filter
        b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
        a = [1, -2.494956002, 2.017265875, -0.522189400]
        y = lfilter(b, a, w)
    else:
        y = lfilter([1.0], [1.0, -0.995], w)
    y = y / (np.std(y) + 1e-12)
    return y.astype(np.float32)


def apply_mix(audio: np.ndarray, mix: MixSettings, rng: np.random.Generator) -> np.ndarray:
    """Run the mix chain on mono 44.1 kHz float32 audio; returns peak ``mix.peak_db`` dBFS.

    An all-silent input stays silent (no noise is added to it).
    """
    import pedalboard as pb

    x: npt.NDArray[np.float32] = np.asarray(audio, dtype=np.float32)
    peak = float(np.abs(x).max()) if x.size else 0.0
    if peak <= 0.0:
        return x.copy()
    x = x * np.float32(10 ** (-3 / 20) / peak)
    fx: list[pb.Plugin] = []
    if mix.highpass_hz:
        fx.append(pb.HighpassFilter(cutoff_frequency_hz=mix.highpass_hz))
    if mix.low_shelf:
        fx.append(pb.LowShelfFilter(cutoff_frequency_hz=mix.low_shelf[0], gain_db=mix.low_shelf[1]))
    for f, g, q in mix.peaks:
        fx.append(pb.PeakFilter(cutoff_frequency_hz=f, gain_db=g, q=q))
    if mix.high_shelf:
        fx.append(pb.HighShelfFilter(cutoff_frequency_hz=mix.high_shelf[0], gain_db=mix.high_shelf[1]))
    if mix.lowpass_hz:
        fx.append(pb.LowpassFilter(cutoff_frequency_hz=mix.lowpass_hz))
    if mix.compressor:
        th, ratio, att, rel = mix.compressor
        fx.append(pb.Compressor(threshold_db=th, ratio=ratio, attack_ms=att, release_ms=rel))
    if fx:
        x = pb.Pedalboard(fx)(x, SAMPLE_RATE)  # type: ignore[attr-defined]  # not re-exported by pedalboard's __init__
    if mix.reverb:
        kind, size, damping, wet = mix.reverb
        if kind == "freeverb":
            x = pb.Reverb(room_size=size, damping=damping, wet_level=wet, dry_level=1.0, width=0.0)(
                x, SAMPLE_RATE
            )
        else:
            from scipy.signal import fftconvolve

            ir = _synthetic_ir(rng, size, damping)
            w = fftconvolve(x, ir)[: x.shape[0]].astype(np.float32)
            w *= np.float32(wet * 3.0)
            x = x + w
    post: list[pb.Plugin] = []
    if mix.drive_db:
        post.append(pb.Distortion(drive_db=mix.drive_db))
    if mix.limiter_db is not None:
        x = x * np.float32(10 ** (-3 / 20) / (float(np.abs(x).max()) + 1e-12))
        post.append(pb.Limiter(threshold_db=mix.limiter_db, release_ms=float(rng.uniform(50, 300))))
    if mix.bitcrush:
        post.append(pb.Bitcrush(bit_depth=mix.bitcrush))
    if post:
        x = pb.Pedalboard(post)(x, SAMPLE_RATE)  # type: ignore[attr-defined]  # not re-exported by pedalboard's __init__
    n = x.shape[0]
    if mix.automation_db > 0 and n > 1:
        t = np.arange(n, dtype=np.float32) / SAMPLE_RATE
        curve = np.zeros(n, dtype=np.float32)
        for _ in range(3):
            period = rng.uniform(3.0, 40.0)
            curve += np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi)).astype(np.float32)
        curve *= np.float32(mix.automation_db / 3.0)
        x = x * (10.0 ** (curve / 20.0)).astype(np.float32)
    pk = float(np.abs(x).max()) + 1e-12
    if mix.noise_db is not None:
        x = x + _noise(rng, n, mix.noise_colour) * np.float32(pk * 10 ** (mix.noise_db / 20))
    if mix.hum:
        t = np.arange(n, dtype=np.float32) / SAMPLE_RATE
        hum = np.sin(2 * np.pi * mix.hum * t) + 0.3 * np.sin(2 * np.pi * 3 * mix.hum * t)
        x = x + (hum * pk * 10 ** (rng.uniform(-70, -50) / 20)).astype(np.float32)
    target = 10 ** (mix.peak_db / 20)
    x = x * np.float32(target / (float(np.abs(x).max()) + 1e-12))
    if mix.mp3_quality is not None:
        x = pb.MP3Compressor(vbr_quality=mix.mp3_quality)(x, SAMPLE_RATE)
        x = x * np.float32(target / (float(np.abs(x).max()) + 1e-12))
    return np.clip(x, -1.0, 1.0).astype(np.float32)
