"""Audio augmentation run in the DataLoader workers (pedalboard: Rubber Band + JUCE DSP).

Each transform fires with its probability from the ``augmentation`` config section:

=================  ====================================  ==================================
transform          config keys                           labels
=================  ====================================  ==================================
time stretch       time_stretch_prob, time_stretch_range  onset at ``t`` moves to ``t / rate``
pitch shift        pitch_shift_prob, pitch_shift_semitones  unchanged
EQ (peak filter)   eq_prob, eq_gain_db                   unchanged
reverb             reverb_prob                           unchanged
gain               gain_prob, gain_db                    unchanged
noise (white)      noise_prob, noise_snr_db              unchanged
=================  ====================================  ==================================

``rate > 1`` plays faster (shorter audio). Time stretch and pitch shift share one Rubber
Band pass (``pedalboard.time_stretch``, fast mode, short window; a pitch shift is a soxr
speed change plus the compensating stretch), which keeps onsets within a few ms (see
tests/training/test_augment.py). Reverb and EQ are pedalboard (JUCE) plugins. Ranges
that are not settings (reverb room, EQ frequency and Q) are module constants below.

Use: ``params = aug.sample(rng)`` then ``aug.apply(audio, params)``; the same params give
the same output (noise is drawn from ``params.noise_seed``), so a seeded rng makes the whole
chain deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from drumscribe_training.synth.dsp import fit_length

__all__ = ["AugmentParams", "Augmenter"]

#: Reverb ranges (pedalboard.Reverb parameters, 0..1).
REVERB_ROOM_SIZE = (0.1, 0.7)
REVERB_DAMPING = (0.2, 0.8)
REVERB_WET_LEVEL = (0.05, 0.3)
#: EQ peak filter: centre frequency (Hz, log-uniform; capped below Nyquist) and Q.
EQ_FREQ_HZ = (80.0, 6000.0)
EQ_Q = (0.5, 2.0)
#: soxr quality of the speed change that carries a pitch shift.
SPEED_CHANGE_QUALITY = "HQ"
#: Peak level above which augmented audio is scaled back to full scale.
PEAK_LIMIT = 1.0
#: Floor of the signal RMS used to set the noise level (so silence still gets some noise).
MIN_SIGNAL_RMS = 1e-4


@dataclass(frozen=True)
class AugmentParams:
    """One draw of augmentation parameters (neutral values mean "not applied").

    Attributes
    ----------
    stretch_rate : float
        Speed factor; output length ``≈ len / stretch_rate``; onsets ``t -> t / stretch_rate``.
    semitones : float
        Pitch shift.
    eq : (freq_hz, gain_db, q) or None
    reverb : (room_size, damping, wet_level) or None
    gain_db : float
    noise_snr_db : float or None
    noise_seed : int
        Seed of the noise (so that ``apply`` is a pure function of audio and params).
    """

    stretch_rate: float = 1.0
    semitones: float = 0.0
    eq: tuple[float, float, float] | None = None
    reverb: tuple[float, float, float] | None = None
    gain_db: float = 0.0
    noise_snr_db: float | None = None
    noise_seed: int = 0

    @property
    def identity(self) -> bool:
        return self == AugmentParams(noise_seed=self.noise_seed)


def _stretch_and_shift(x: np.ndarray, sr: int, rate: float, semitones: float) -> np.ndarray:
    """Time-stretch by ``rate`` and pitch-shift by ``semitones`` in one Rubber Band pass.

    A pitch shift is a speed change by ``s = 2 ** (semitones / 12)`` (soxr resampling:
    pitch and tempo both move) followed by a time stretch of ``rate / s`` (Rubber Band,
    pitch kept), so onsets end at ``t / rate``. Rubber Band runs in its fast mode with the
    short FFT window: about 4x faster than pedalboard's defaults and closer on onsets
    (benchmarks/bench_data.py and the note on issue 4 have the numbers).
    """
    import pedalboard
    import soxr

    target = round(x.shape[0] / rate)
    factor = rate
    if semitones != 0.0:
        speed = 2.0 ** (semitones / 12.0)
        x = soxr.resample(x, sr * speed, sr, quality=SPEED_CHANGE_QUALITY).astype(np.float32, copy=False)
        factor = rate / speed
    if abs(factor - 1.0) > 1e-9:
        x = pedalboard.time_stretch(
            x[None, :],
            sr,
            stretch_factor=factor,
            high_quality=False,
            use_long_fft_window=False,
        )[0]
    return fit_length(x, target)  # exactly round(len / rate) samples (the tools may be off by one)


class Augmenter:
    """Draws and applies audio augmentation from an ``AugmentationConfig``.

    Parameters
    ----------
    config : AugmentationConfig
        ``config.augmentation`` (``enabled`` is the DataModule's business; an Augmenter
        always augments).
    sample_rate : int
        Rate of the audio it will see.
    """

    def __init__(self, config: Any, *, sample_rate: int) -> None:
        self.config = config
        self.sample_rate = int(sample_rate)

    def sample(self, rng: np.random.Generator) -> AugmentParams:
        """Draw parameters: each transform fires with its configured probability."""
        c = self.config

        def fires(p: float) -> bool:
            return bool(rng.random() < p)

        def uniform(lo_hi: tuple[float, float]) -> float:
            return float(rng.uniform(lo_hi[0], lo_hi[1]))

        rate = uniform(c.time_stretch_range) if fires(c.time_stretch_prob) else 1.0
        semitones = uniform(c.pitch_shift_semitones) if fires(c.pitch_shift_prob) else 0.0
        eq = None
        if fires(c.eq_prob):
            hi = min(EQ_FREQ_HZ[1], 0.45 * self.sample_rate)
            freq = float(math.exp(rng.uniform(math.log(EQ_FREQ_HZ[0]), math.log(hi))))
            eq = (freq, uniform(c.eq_gain_db), uniform(EQ_Q))
        reverb = None
        if fires(c.reverb_prob):
            reverb = (uniform(REVERB_ROOM_SIZE), uniform(REVERB_DAMPING), uniform(REVERB_WET_LEVEL))
        gain = uniform(c.gain_db) if fires(c.gain_prob) else 0.0
        snr = uniform(c.noise_snr_db) if fires(c.noise_prob) else None
        return AugmentParams(
            stretch_rate=rate,
            semitones=semitones,
            eq=eq,
            reverb=reverb,
            gain_db=gain,
            noise_snr_db=snr,
            noise_seed=int(rng.integers(0, 2**31 - 1)),
        )

    def apply(self, audio: np.ndarray, params: AugmentParams) -> np.ndarray:
        """Augment ``(samples,)`` float32 audio; returns float32 (length changes only with
        time stretch: about ``len / stretch_rate``)."""
        import pedalboard

        x = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return x
        if params.identity:
            return x
        sr = self.sample_rate
        if params.stretch_rate != 1.0 or params.semitones != 0.0:
            x = _stretch_and_shift(x, sr, params.stretch_rate, params.semitones)
        board: list[pedalboard.Plugin] = []
        if params.eq is not None:
            freq, gain_db, q = params.eq
            board.append(pedalboard.PeakFilter(cutoff_frequency_hz=freq, gain_db=gain_db, q=q))
        if params.reverb is not None:
            room, damping, wet = params.reverb
            board.append(
                pedalboard.Reverb(room_size=room, damping=damping, wet_level=wet, dry_level=1.0 - wet)
            )
        if board:
            x = pedalboard.Pedalboard(board)(x, sr)  # type: ignore[attr-defined]  # not re-exported by pedalboard's __init__
        if params.gain_db != 0.0:
            x = x * np.float32(10.0 ** (params.gain_db / 20.0))
        if params.noise_snr_db is not None:
            rms = max(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))), MIN_SIGNAL_RMS)
            level = rms / (10.0 ** (params.noise_snr_db / 20.0))
            noise = np.random.default_rng(params.noise_seed).standard_normal(x.shape[0])
            x = x + (noise * level).astype(np.float32)
        peak = float(np.max(np.abs(x))) if x.size else 0.0
        if peak > PEAK_LIMIT:
            x = x * np.float32(PEAK_LIMIT / peak)
        return np.ascontiguousarray(x, dtype=np.float32)

    def __call__(
        self, audio: np.ndarray, times_s: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw, apply, and move onset times with the stretch: ``(audio, times_s / rate)``."""
        params = self.sample(rng)
        out = self.apply(audio, params)
        return out, np.asarray(times_s, dtype=np.float64) / params.stretch_rate
