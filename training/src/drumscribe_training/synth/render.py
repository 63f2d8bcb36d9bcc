"""Rendering note events through a kit and a mix; the on-the-fly :class:`ClipRenderer`.

The on-disk writer (:mod:`drumscribe_training.synth.writer`) and :class:`ClipRenderer`
share :func:`render_events`: the same kit players, mixer and mix chain. A rendered clip keeps
its groove's tempo, meter and style, so :meth:`ClipRenderer.render_band` can play a band part
to it (the band renderer of ``drumscribe-train synth --band``, on the fly).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from drumscribe_training.synth.dsp import fit_length
from drumscribe_training.synth.events import SAMPLE_RATE, NoteEvent
from drumscribe_training.synth.mixer import KitPlayer, apply_mix, draw_mix, render_dry
from drumscribe_training.synth.registry import get_spec, load_kit, resolve_kits
from drumscribe_training.synth.variation import PieceVariation

if TYPE_CHECKING:  # pragma: no cover
    from drumscribe_training.synth.band.bank import BandBank
    from drumscribe_training.synth.band.settings import BandSettings
    from drumscribe_training.synth.gmd import GmdPerformance

__all__ = [
    "DEFAULT_BLEND",
    "ClipRenderer",
    "Groove",
    "RenderedClip",
    "choose_kit",
    "render_events",
    "resample_from_synth",
]

#: Chance per piece of blending two kits' one-shots, by split (held-out splits: none, so
#: their kit_name is the kit heard).
DEFAULT_BLEND = {"train": 0.25, "validation": 0.0, "test": 0.0}


@dataclass(frozen=True)
class RenderedClip:
    """A rendered example.

    Attributes
    ----------
    audio : np.ndarray
        float32, shape (samples,), mono at ``sample_rate``, peak <= 1.
    sample_rate : int
    events : tuple of NoteEvent
        Every hit heard in ``audio`` (times in seconds from its start), sorted by time.
    kit_name : str
        The clip's kit (pieces it lacks are borrowed from another kit of the split).
    quarter_s : float
        Seconds per quarter note of the groove (its MIDI tempo).
    time_signature : str
        The groove's meter in E-GMD's form (``"4-4"``, ``"6-8"``).
    style : str
        The groove's style (GMD's ``"funk/groove1"``, or a procedural style's name).
    band : np.ndarray or None
        The clip's band part when its groove came from a band bank (``audio``'s shape and
        rate); None otherwise (:meth:`ClipRenderer.render_band` renders one).
    """

    audio: np.ndarray
    sample_rate: int
    events: tuple[NoteEvent, ...]
    kit_name: str
    quarter_s: float = 0.5
    time_signature: str = "4-4"
    style: str = ""
    band: np.ndarray | None = None


class Groove(NamedTuple):
    """The events of a window (times from its start, from ``-PREROLL_S`` on) and the
    groove's tempo (seconds per quarter note), meter and style."""

    events: list[NoteEvent]
    quarter_s: float
    time_signature: str
    style: str


@functools.lru_cache(maxsize=4096)
def _performance_quarter_s(midi_path: Path) -> float:
    """A Groove MIDI performance's tempo, read as band parts on disk read it (cached)."""
    from drumscribe_training.synth.band.clip import midi_quarter_s

    return midi_quarter_s(midi_path)


def resample_from_synth(audio: np.ndarray, sample_rate: int, n_out: int) -> np.ndarray:
    """44.1 kHz audio resampled to ``sample_rate`` (soxr HQ), cut or zero-padded to ``n_out``."""
    if sample_rate != SAMPLE_RATE:
        import soxr

        audio = soxr.resample(audio, SAMPLE_RATE, sample_rate, quality="HQ")
    return np.asarray(fit_length(audio, n_out), dtype=np.float32)


def choose_kit(names: Sequence[str], rng: np.random.Generator) -> str:
    """A kit drawn with the registry's weights (FluidR3's many presets share a weight)."""
    w = np.array([get_spec(n).weight for n in names], dtype=np.float64)
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def render_events(
    events: Sequence[NoteEvent],
    kit: str,
    split_kits: Sequence[str],
    rng: np.random.Generator,
    *,
    n_samples: int,
    offset_s: float = 0.0,
    blend_probability: float = 0.0,
    realism: float = 1.0,
    variation: PieceVariation | None = None,
) -> tuple[np.ndarray, tuple[NoteEvent, ...]]:
    """Render events at 44.1 kHz through ``kit`` and a random mix.

    Returns the mono float32 audio (``n_samples`` long, peak <= 1) and the events that
    were heard (those the kit and its donors can play), in time order. ``variation``
    re-voices some lanes' one-shots (:class:`~drumscribe_training.synth.variation.PieceVariation`).
    """
    primary = load_kit(kit)
    others = [load_kit(n) for n in split_kits if n != kit]
    player = KitPlayer.create(primary, others, rng, blend_probability=blend_probability, variation=variation)
    played = tuple(sorted(e for e in events if player.playable(e.note)))
    dry = render_dry(played, player, n_samples, rng, offset_s=offset_s)
    mix = draw_mix(rng, realism=realism)
    return apply_mix(dry, mix, rng), played


class ClipRenderer:
    """Render random training examples on the fly (no disk), e.g. in loader workers.

    Parameters
    ----------
    split : {"train", "validation", "test"}
        Decides the kits (the split's own, never another split's) and the Groove MIDI
        performances drawn from (GMD's split column).
    sample_rate : int
        Output rate; rendering runs at 44.1 kHz and is resampled with soxr.
    seed : int
        Seeds the generator :meth:`render` uses when given no ``rng``.
    kits : sequence of str, optional
        Kit names; None gives the split's registered kits. ``["tiny"]`` uses the kit
        synthesised in code (no Debian packages needed).
    procedural_fraction : float
        Share of examples from the procedural generator; the rest are random windows of
        Groove MIDI performances of the split.
    realism : float
        Scales the probability of each mix effect (0: dry mix, normalised).
    blend_probability : float, optional
        Chance per piece of blending two kits' one-shots; default by split
        (:data:`DEFAULT_BLEND`).
    split_kits : bool
        With explicit ``kits``, keep only those registered to ``split`` (and ``tiny``).
    synth_kits : int
        Also render through ``synthkit-000`` .. ``synthkit-{N-1}``, kits synthesised in
        code (train split only; each drawn as often as one sampled kit of weight 1, and,
        like every kit of the split, a donor and blend partner for the others).
    extra_kits : bool
        With ``kits=None``, also the split's extra kits (registry: one-shot folders of other
        packages, opt-in so that earlier recipes keep their kits).
    piece_variation : PieceVariation, optional
        Re-voices some lane groups' one-shots per clip (tuning, shortened tails): many
        virtual kits from each sampled one.
    band_bank : path-like or BandBank, optional
        A band bank of this split (:mod:`~drumscribe_training.synth.band.bank`):
        ``render(from_bank=True)`` then plays one of its grooves and takes the band part from
        it, so band parts need no SoundFont here. A path is opened on first use.

    Construction only checks the kit names and packages; kits (memory-mapped banks) and
    the Groove MIDI index load on the first :meth:`render` and are cached per process.
    """

    PREROLL_S = 1.5

    def __init__(
        self,
        split: str = "train",
        sample_rate: int = 16000,
        seed: int = 0,
        kits: Sequence[str] | None = None,
        *,
        procedural_fraction: float = 0.5,
        realism: float = 1.0,
        blend_probability: float | None = None,
        split_kits: bool = True,
        synth_kits: int = 0,
        extra_kits: bool = False,
        piece_variation: PieceVariation | None = None,
        band_bank: str | Path | BandBank | None = None,
    ) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        if not 0.0 <= procedural_fraction <= 1.0:
            raise ValueError("procedural_fraction must be within 0..1")
        self.split = split
        self.sample_rate = int(sample_rate)
        self.kit_names = resolve_kits(
            split, kits, split_kits=split_kits, synth_kits=synth_kits, extra_kits=extra_kits
        )
        self.procedural_fraction = float(procedural_fraction)
        self.realism = float(realism)
        self.blend_probability = (
            DEFAULT_BLEND[split] if blend_probability is None else float(blend_probability)
        )
        self.piece_variation = piece_variation
        self._band_bank = band_bank
        self._rng = np.random.default_rng(seed)
        self._gmd: list[GmdPerformance] | None = None
        if self.procedural_fraction < 1.0:
            from drumscribe_training.synth.gmd import load_gmd_index

            load_gmd_index()  # fail early with a clear error when GMD is missing

    def prepare(self) -> ClipRenderer:
        """Load (building once per machine if needed) every kit of the renderer now.

        Call it in the main process before loader workers start, so that workers share
        the memory-mapped banks and none of them builds a bank itself. Returns self.
        """
        for name in self.kit_names:
            load_kit(name)
        if self.procedural_fraction < 1.0:
            self._performances()
        return self

    def _performances(self) -> list[GmdPerformance]:
        if self._gmd is None:
            from drumscribe_training.synth.gmd import load_gmd_index

            self._gmd = [p for p in load_gmd_index() if p.split == self.split]
        return self._gmd

    def draw_groove(self, duration_s: float, rng: np.random.Generator) -> Groove:
        """A random groove window of the split: a procedural groove (``procedural_fraction``)
        or a window of a Groove MIDI performance; events from ``-PREROLL_S`` to ``duration_s``
        (times relative to the window start)."""
        total = duration_s + self.PREROLL_S
        if rng.random() < self.procedural_fraction or not self._performances():
            from drumscribe_training.synth.procedural import generate_groove

            g = generate_groove(rng, total + 2.0, fill_clip=bool(rng.random() < 0.1))
            shift = float(rng.uniform(0.0, max(0.0, g.duration_s - total)))
            events = [NoteEvent(e.time_s - shift - self.PREROLL_S, e.note, e.velocity) for e in g.events]
            return Groove(events, g.quarter_s, g.time_signature, g.style)
        from drumscribe_training.synth.gmd import read_events

        perfs = self._performances()
        perf = perfs[int(rng.integers(len(perfs)))]
        ev = read_events(perf.midi_path)  # parsed once per process
        end = ev[-1].time_s if ev else 0.0
        t0 = float(rng.uniform(-0.5, max(-0.5, end - duration_s * 0.5)))
        events = [
            NoteEvent(e.time_s - t0, e.note, e.velocity)
            for e in ev
            if t0 - self.PREROLL_S <= e.time_s < t0 + duration_s
        ]
        quarter_s = _performance_quarter_s(perf.midi_path)
        return Groove(events, quarter_s, perf.time_signature, perf.style)

    def band_bank(self) -> BandBank:
        """The renderer's band bank, opened on first use.

        Raises
        ------
        BandBankError
            If there is none, it cannot be read, or it was built from another split.
        """
        from drumscribe_training.synth.band.bank import BandBank, BandBankError

        if self._band_bank is None:
            raise BandBankError("this renderer has no band bank (band_bank=...)")
        if not isinstance(self._band_bank, BandBank):
            self._band_bank = BandBank.open(self._band_bank)
        if self._band_bank.split != self.split:
            raise BandBankError(
                f"{self._band_bank.path}: a band bank of the {self._band_bank.split} split; this "
                f"renderer draws the {self.split} split (held-out sources never mix)"
            )
        return self._band_bank

    def render(
        self, duration_s: float = 4.0, rng: np.random.Generator | None = None, *, from_bank: bool = False
    ) -> RenderedClip:
        """Render one example of ``duration_s`` seconds.

        A random groove (procedural, or a random window of a Groove MIDI performance of
        the split), a random kit of the split and a random mix. Hits that started before
        the window are heard (ringing cymbals) but not labelled, as in a crop of a song.
        With ``from_bank`` the groove is a random window of a band bank entry and the clip
        carries that window of its band part (:attr:`RenderedClip.band`).
        """
        if duration_s <= 0:
            raise ValueError(f"duration_s must be positive, got {duration_s}")
        rng = self._rng if rng is None else rng
        n_out = round(duration_s * self.sample_rate)
        band = None
        if from_bank:
            bank = self.band_bank()
            entry, offset_s = bank.draw(rng, duration_s=duration_s)
            e = bank.entries[entry]
            events = bank.events(entry, offset_s=offset_s, duration_s=duration_s)
            groove = Groove(events, e.quarter_s, e.time_signature, e.style)
            band = bank.band(entry, offset_s=offset_s, n_samples=n_out, sample_rate=self.sample_rate)
        else:
            groove = self.draw_groove(duration_s, rng)
        kit = choose_kit(self.kit_names, rng)
        n_pre = round(self.PREROLL_S * SAMPLE_RATE)
        n_win = round(duration_s * SAMPLE_RATE)
        audio, played = render_events(
            groove.events,
            kit,
            self.kit_names,
            rng,
            n_samples=n_pre + n_win,
            offset_s=-self.PREROLL_S,
            blend_probability=self.blend_probability,
            realism=self.realism,
            variation=self.piece_variation,
        )
        audio = resample_from_synth(audio[n_pre:], self.sample_rate, n_out)
        pk = float(np.abs(audio).max()) if audio.size else 0.0
        if pk > 1.0:
            audio = audio / np.float32(pk)
        labels = tuple(e for e in played if 0.0 <= e.time_s < duration_s)
        return RenderedClip(
            audio=audio, sample_rate=self.sample_rate, events=labels, kit_name=kit,
            quarter_s=groove.quarter_s, time_signature=groove.time_signature, style=groove.style,
            band=band,
        )  # fmt: skip

    def render_band(
        self, clip: RenderedClip, rng: np.random.Generator, *, settings: BandSettings | None = None
    ) -> np.ndarray:
        """A band part for a clip of :meth:`render`: its tempo, meter, style and length.

        The band renderer of ``drumscribe-train synth --band``
        (:func:`~drumscribe_training.synth.band.render_band_part`) plays on the clip's grid
        (its groove's tempo and meter, the phase from its kicks and snares, the bass locked to
        its kicks) with this renderer's split's SoundFonts and voices only, held out as the
        kits are; the part is then resampled as the drums are.

        Parameters
        ----------
        clip : RenderedClip
            A clip of this renderer.
        rng : numpy Generator
            The band's randomness (same state, same part).
        settings : BandSettings, optional
            Ranges and probabilities (default ``BandSettings()``).

        Returns
        -------
        np.ndarray
            float32, the clip's shape and sample rate; gated RMS about -20 dBFS (silence when
            no stem sounded). A clip rendered ``from_bank`` returns its bank band part.

        Raises
        ------
        BandSourceError
            If no SoundFont of the split is installed.
        """
        if clip.band is not None:
            return clip.band
        from drumscribe_training.synth.band.render import render_band_part

        n = int(clip.audio.shape[0])
        part = render_band_part(
            drum_events=clip.events, quarter_s=clip.quarter_s, time_signature=clip.time_signature,
            drum_style=clip.style, n_samples=round(n / clip.sample_rate * SAMPLE_RATE),
            split=self.split, rng=rng, settings=settings,
        )  # fmt: skip
        return resample_from_synth(part.audio, clip.sample_rate, n)
