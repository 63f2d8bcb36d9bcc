"""Drums and band mixed per training example, then mastered: one model for both conditions.

Preprocessing keeps a clip's drums and its band part apart (``/audio`` and ``/band`` of a
shard). For each training crop a :class:`BandMixer` draws whether the band plays (a share
of crops stays drums alone), at which drums-to-band level, and whether the sum goes
through a mastering chain (bus compression, shelving EQ, limiter, loudness), all from
``band_mix.*`` of the config. Levels are set on loudness-normalised stems: the band's
gated RMS is put ``level_db`` below the drums' (0 dB = equal loudness, negative = the band
louder). Labels never change: the band holds no kit piece.

Evaluation mixes the same way at fixed levels with no mastering (:func:`mix_at_level`), so
a score "at 0 dB" means the same in training, validation and reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drumscribe_training.config import BandMixConfig
from drumscribe_training.synth.band.effects import gated_rms_db
from drumscribe_training.synth.dsp import fit_length

__all__ = ["BandMixer", "MixParams", "loudness_db", "mix_at_level", "mix_parts_at_level"]

#: Loudness gate (dB under the loudest 400 ms block) of the stems' gated RMS.
LOUDNESS_GATE_DB = -30.0
#: Peak ceiling (linear) of every mix: no clipping, a little headroom.
PEAK_CEILING = 0.99


@dataclass(frozen=True)
class MixParams:
    """One draw of :meth:`BandMixer.sample`: how one crop is mixed."""

    with_band: bool
    level_db: float = 0.0
    band_only: bool = False
    master: dict[str, float] | None = None


def loudness_db(x: np.ndarray, *, sample_rate: int) -> float:
    """Gated-RMS loudness in dBFS, as the band renderer measures its stems (``-inf``: silence)."""
    return gated_rms_db(x, gate_db=LOUDNESS_GATE_DB, sample_rate=sample_rate)


def _db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def _band_gain(drums: np.ndarray, band: np.ndarray, level_db: float, sample_rate: int) -> float:
    """Gain on the band that puts its loudness ``level_db`` under the drums'."""
    d = loudness_db(drums, sample_rate=sample_rate)
    b = loudness_db(band, sample_rate=sample_rate)
    if not np.isfinite(b):
        return 0.0
    if not np.isfinite(d):
        return 1.0  # a silent drum crop: the band as it is
    return _db_to_gain(d - level_db - b)


def _peak_scale(x: np.ndarray) -> float:
    """The gain that brings ``x``'s peak down to :data:`PEAK_CEILING` (1.0 when it is under)."""
    peak = float(np.abs(x).max()) if x.size else 0.0
    return PEAK_CEILING / peak if peak > PEAK_CEILING else 1.0


def _fit_peak(x: np.ndarray) -> np.ndarray:
    scale = _peak_scale(x)
    if scale < 1.0:
        x = x * np.float32(scale)
    return np.asarray(x, dtype=np.float32)


def mix_at_level(drums: np.ndarray, band: np.ndarray, *, level_db: float, sample_rate: int) -> np.ndarray:
    """Drums plus band at a fixed drums-to-band level, no mastering (evaluation, validation).

    Parameters
    ----------
    drums, band : np.ndarray
        Shape (samples,), float32; the band is cut or zero-padded to the drums' length.
    level_db : float
        Drums-to-band loudness difference in dB (0 = equal, -6 = band 6 dB louder).
    sample_rate : int
        Hz.

    Returns
    -------
    np.ndarray
        Shape (samples,), float32, peak at most :data:`PEAK_CEILING`.
    """
    band = fit_length(band, drums.shape[0])
    gain = _band_gain(drums, band, level_db, sample_rate)
    return _fit_peak(drums.astype(np.float32) + np.float32(gain) * band.astype(np.float32))


def mix_parts_at_level(
    drums: np.ndarray, band: np.ndarray, *, level_db: float, sample_rate: int
) -> tuple[np.ndarray, np.ndarray]:
    """The two terms of :func:`mix_at_level`'s sum, each scaled as it sits in the mix.

    For analyses that need to know what the drums and the band each contribute to a mix
    (their sum is :func:`mix_at_level`'s result up to float rounding).

    Returns
    -------
    drums, band : np.ndarray
        Shape (samples,) each, float32: the drums and the level-matched band, both times the
        mix's peak-fitting gain.
    """
    band = fit_length(band, drums.shape[0])
    d = drums.astype(np.float32)
    b = np.float32(_band_gain(drums, band, level_db, sample_rate)) * band.astype(np.float32)
    scale = np.float32(_peak_scale(d + b))
    return d * scale, b * scale


class BandMixer:
    """Random per-crop mixing of drums and band (training), from ``band_mix.*``.

    Parameters
    ----------
    settings : BandMixConfig
    sample_rate : int
        Hz of the crops.
    """

    def __init__(self, settings: BandMixConfig, *, sample_rate: int) -> None:
        self.settings = settings
        self.sample_rate = int(sample_rate)

    def sample(self, rng: np.random.Generator) -> MixParams:
        """Draw how the next crop is mixed."""
        s = self.settings
        if rng.random() >= s.probability:
            return MixParams(with_band=False)
        level = float(rng.uniform(*s.level_db))
        band_only = bool(rng.random() < s.band_only_probability)
        master = None
        if rng.random() < s.master_probability:
            master = {
                "threshold_db": float(rng.uniform(*s.compressor_threshold_db)),
                "ratio": float(rng.uniform(*s.compressor_ratio)),
                "low_shelf_db": float(rng.uniform(*s.shelf_gain_db)),
                "high_shelf_db": float(rng.uniform(*s.shelf_gain_db)),
                "limiter_db": float(rng.uniform(*s.limiter_threshold_db)),
                "loudness_db": float(rng.uniform(*s.loudness_db)),
            }
        return MixParams(with_band=True, level_db=level, band_only=band_only, master=master)

    def apply(self, drums: np.ndarray, band: np.ndarray | None, params: MixParams) -> np.ndarray:
        """Mix one crop as ``params`` says.

        Parameters
        ----------
        drums : np.ndarray
            Shape (samples,), float32.
        band : np.ndarray or None
            The crop's band part, same span; None (no band part) returns the drums.
        params : MixParams

        Returns
        -------
        np.ndarray
            Shape (samples,), float32. With ``band_only`` the drums are left out: the
            caller must then drop the crop's labels.
        """
        if band is None or not params.with_band:
            return drums
        band = fit_length(band, drums.shape[0]).astype(np.float32)
        gain = _band_gain(drums, band, params.level_db, self.sample_rate)
        mixed = np.float32(gain) * band if params.band_only else drums + np.float32(gain) * band
        if params.master is not None:
            mixed = self._master(mixed, params.master)
        return _fit_peak(mixed)

    def _master(self, x: np.ndarray, m: dict[str, float]) -> np.ndarray:
        """Bus compressor, low and high shelves, loudness, limiter (pedalboard)."""
        # Pedalboard is there at run time; pedalboard's __init__ imports it without re-exporting it
        from pedalboard import Compressor, HighShelfFilter, Limiter, LowShelfFilter, Pedalboard  # type: ignore[attr-defined]

        loud = loudness_db(x, sample_rate=self.sample_rate)
        if not np.isfinite(loud):
            return x
        s = self.settings
        chain = Pedalboard(
            [
                Compressor(threshold_db=m["threshold_db"], ratio=m["ratio"]),
                LowShelfFilter(cutoff_frequency_hz=s.low_shelf_hz, gain_db=m["low_shelf_db"]),
                HighShelfFilter(cutoff_frequency_hz=s.high_shelf_hz, gain_db=m["high_shelf_db"]),
            ]
        )
        y = chain(x.astype(np.float32), self.sample_rate)
        loud = loudness_db(y, sample_rate=self.sample_rate)
        if np.isfinite(loud):
            y = y * np.float32(_db_to_gain(m["loudness_db"] - loud))
        y = Limiter(threshold_db=m["limiter_db"])(y.astype(np.float32), self.sample_rate)
        return np.asarray(y, dtype=np.float32)
