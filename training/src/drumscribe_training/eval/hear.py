"""How a model hears a kit's single pieces: each voice of a note played alone, as a steady
pulse, and which lanes the model puts at those hits.

An evaluation report says a held-out kit's ride scores 28; this says why: its ride bow heard
as ride *and* hi-hat, its other ride voice heard as a crash, a lo-fi kit's 0.4 s ride heard as a
hi-hat (docs/model/MODEL.md "Per held-out kit"). Each voice is rendered at one velocity, every
``interval_s``, optionally over a kick and snare backbeat of the same kit (a groove's context,
as in the evaluation clips); a played hit counts each lane the model put within
``tolerance_s`` of it, or ``(none)``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from drumscribe.contract import LANE_NAMES
from drumscribe.model import InferenceModel
from drumscribe_training.data.band_mix import mix_at_level

__all__ = ["DEFAULT_NOTES", "NOTHING", "PieceHearing", "hear_pieces", "to_markdown"]

#: Notes heard by default: each lane's usual notes (Roland numbering, as in E-GMD).
DEFAULT_NOTES: tuple[int, ...] = (36, 38, 42, 46, 48, 45, 43, 49, 57, 51, 53)
#: The column of played hits the model put no lane at.
NOTHING = "(none)"

_KICK, _SNARE = 36, 38
_LEAD_S = 0.5  # silence before the first hit (s)
_TAIL_S = 3.0  # room after the last hit for its ring (s)
_GAIN = 0.5  # one-shot peak in the render (full scale 1.0), below clipping with the backbeat


@dataclass(frozen=True)
class PieceHearing:
    """What the model made of one voice played ``hits`` times.

    Attributes
    ----------
    kit : str
        Kit name.
    note : int
        The note played (Roland numbering).
    lane : str
        The lane that note is labelled as (``classes.note_map``).
    voice : str
        The kit's voice (one of the note's alternatives).
    backing : bool
        Whether a kick and snare backbeat played along.
    hits : int
        How many times the voice was played.
    heard : dict of str to int
        Lane name (or :data:`NOTHING`) -> how many of the played hits had it within the
        tolerance; a hit heard as two lanes counts in both.
    """

    kit: str
    note: int
    lane: str
    voice: str
    backing: bool
    hits: int
    heard: dict[str, int]

    @property
    def recall(self) -> float:
        """Share of the played hits heard in their own lane, 0..1."""
        return self.heard.get(self.lane, 0) / self.hits if self.hits else 0.0


def _render(parts: Sequence[tuple[np.ndarray, Sequence[float]]], seconds: float, rate: int) -> np.ndarray:
    out = np.zeros(int(seconds * rate), dtype=np.float32)
    for shot, times in parts:
        x = shot.astype(np.float32) / 32768.0 * _GAIN
        for t in times:
            i = round(t * rate)
            seg = x[: max(0, out.shape[0] - i)]
            out[i : i + seg.shape[0]] += seg
    return out


def hear_pieces(
    kit_name: str,
    notes: Sequence[int] = DEFAULT_NOTES,
    *,
    model: InferenceModel | str | os.PathLike[str] | None = None,
    velocity: int = 100,
    hits: int = 32,
    interval_s: float = 0.25,
    tolerance_s: float = 0.05,
    backing: bool = False,
    band_level_db: float | None = None,
    band_split: str = "test",
    seed: int = 0,
) -> list[PieceHearing]:
    """Play each voice of ``notes`` in a kit and count the lanes the model hears there.

    Parameters
    ----------
    kit_name : str
        A registered kit (:func:`drumscribe_training.synth.registry.load_kit`).
    notes : sequence of int
        Notes to play (Roland numbering); those the kit has no voice for, or that
        ``classes.note_map`` does not map to a lane, are skipped.
    model : model or path-like, optional
        For :func:`drumscribe.transcribe` (the bundled default model if None).
    velocity : int
        MIDI velocity 1..127: picks the voice's layer.
    hits : int
        Times each voice is played.
    interval_s : float
        Seconds between two hits (0.25: eighths at 120 bpm).
    tolerance_s : float
        Match window (s) each side of a played hit.
    backing : bool
        Play the kit's kick on every other beat and snare on the beats between (beats of
        ``2 * interval_s``) along with the voice.
    band_level_db : float, optional
        With ``backing``, also a band part (:func:`~drumscribe_training.synth.band.render_band_part`,
        4/4 at one beat per ``2 * interval_s``, locked to that kick) mixed in at this
        drums-to-band level in dB (0 = equal loudness, negative = band louder). None: no band.
    band_split : str
        Whose band sources play (``"test"``: the held-out SoundFont and voice).
    seed : int
        Seeds the band part (the same part for every voice).

    Returns
    -------
    list of PieceHearing
        One per voice, in note order.

    Raises
    ------
    ValueError
        On a velocity, count or interval out of range.
    """
    import drumscribe
    from drumscribe_training.config import load_config
    from drumscribe_training.synth.events import SAMPLE_RATE
    from drumscribe_training.synth.registry import load_kit

    if not 1 <= velocity <= 127:
        raise ValueError(f"velocity must be 1..127, got {velocity}")
    if hits < 1 or not interval_s > 0 or not tolerance_s > 0:
        raise ValueError("hits must be >= 1 and interval_s, tolerance_s > 0")
    note_map = load_config().classes.note_map
    kit = load_kit(kit_name)
    times = [_LEAD_S + i * interval_s for i in range(hits)]
    seconds = times[-1] + _TAIL_S
    extra: list[tuple[np.ndarray, list[float]]] = []
    band: np.ndarray | None = None
    if backing and band_level_db is not None:
        band = _band_part(times[::2], 2 * interval_s, seconds, band_split, seed)
    if backing:
        beats = times[::2]
        for note, beat_times in ((_KICK, beats[::2]), (_SNARE, beats[1::2])):
            voices = kit.voices_for(note)
            if voices:
                extra.append((kit.shot(voices[0].pick_layer(velocity).shots[0]), beat_times))
    out: list[PieceHearing] = []
    for note in notes:
        lane = note_map.get(note)
        if lane is None:
            continue
        for voice in kit.voices_for(note):
            shot = kit.shot(voice.pick_layer(velocity).shots[0])
            audio = _render([(shot, times), *extra], seconds, SAMPLE_RATE)
            if band is not None and band_level_db is not None:
                audio = mix_at_level(audio, band, level_db=band_level_db, sample_rate=SAMPLE_RATE)
            found = drumscribe.transcribe(audio, sample_rate=SAMPLE_RATE, model=model).hits
            onsets = np.array([h.time_s for h in found])
            names = [h.drum for h in found]
            heard: Counter[str] = Counter()
            for t in times:
                near = {names[i] for i in np.flatnonzero(np.abs(onsets - t) <= tolerance_s)}
                heard.update(near or {NOTHING})
            out.append(PieceHearing(kit.name, note, lane, voice.name, backing, hits, dict(heard)))
    return out


def _band_part(beats: Sequence[float], beat_s: float, seconds: float, split: str, seed: int) -> np.ndarray:
    """A band part over the backbeat: kicks on every other beat, snares between."""
    from drumscribe_training.synth.band import render_band_part
    from drumscribe_training.synth.events import SAMPLE_RATE, NoteEvent

    events = [NoteEvent(t, _KICK if k % 2 == 0 else _SNARE, 100) for k, t in enumerate(beats)]
    part = render_band_part(
        drum_events=events,
        quarter_s=beat_s,
        time_signature="4-4",
        drum_style="rock",
        n_samples=round(seconds * SAMPLE_RATE),
        split=split,
        rng=np.random.default_rng(seed),
    )
    return np.asarray(part.audio, dtype=np.float32)


def to_markdown(results: Sequence[PieceHearing]) -> str:
    """A table: one row per voice, one column per lane (share of its hits heard there, %)."""
    cols = [*LANE_NAMES, NOTHING]
    lines = [
        "| kit | note | lane | voice | backing | " + " | ".join(cols) + " |",
        "|---|---|---|---|---|" + "---|" * len(cols),
    ]
    for r in results:
        cells = [f"{100 * r.heard.get(c, 0) / r.hits:.0f}" if r.heard.get(c) else "" for c in cols]
        voice = r.voice.replace("|", "/")
        backing = "yes" if r.backing else "no"
        lines.append(f"| {r.kit} | {r.note} | {r.lane} | {voice} | {backing} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
