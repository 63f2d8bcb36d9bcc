"""Per-stem effect chains (pedalboard) and loudness normalisation."""

from __future__ import annotations

import numpy as np

from drumscribe_training.synth.band.settings import BandSettings
from drumscribe_training.synth.events import SAMPLE_RATE

__all__ = ["gated_rms_db", "process_stem", "reverb_bus"]

_BLOCK_S = 0.4
_EPS = 1e-12
_CHORUS_ROLES = frozenset(
    {"guitar_clean", "guitar_drive", "epiano", "organ", "pad", "strings", "arp", "pluck"}
)
_BASS_ROLES = frozenset({"bass", "synth_bass"})
_BASS_LOWPASS_HZ = (1500.0, 5000.0)
_PERC_HIGHPASS_HZ = 300.0


def gated_rms_db(x: np.ndarray, *, gate_db: float, sample_rate: int = SAMPLE_RATE) -> float:
    """Loudness of a stem: RMS in dBFS of its 400 ms blocks within ``gate_db`` of the loudest.

    Parameters
    ----------
    x : np.ndarray
        Shape (samples,), float.
    gate_db : float
        Blocks quieter than the loudest block by more than this (negative) are left out.
    sample_rate : int
        Hz of ``x`` (the synth's 44.1 kHz by default; the training crops' rate when mixing).

    Returns
    -------
    float
        dBFS; ``-inf`` for silence.
    """
    n = max(1, int(_BLOCK_S * sample_rate))
    if x.size == 0:
        return float("-inf")
    pad = (-x.size) % n
    blocks = np.pad(x.astype(np.float64), (0, pad)).reshape(-1, n)
    ms = np.mean(blocks**2, axis=1)
    top = float(ms.max())
    if top <= _EPS:
        return float("-inf")
    keep = ms[ms >= top * 10 ** (gate_db / 10)]
    return float(10 * np.log10(keep.mean() + _EPS))


def process_stem(
    x: np.ndarray, role: str, rng: np.random.Generator, *, settings: BandSettings, drive: bool
) -> np.ndarray:
    """Run one stem through its effects, then normalise its loudness to 0 dB gated RMS.

    Parameters
    ----------
    x : np.ndarray
        Dry stem, shape (samples,), float32 at 44.1 kHz.
    role : str
        Instrument role (decides which effects may apply).
    drive : bool
        Amp-like distortion and cabinet EQ (driven guitars).

    Returns
    -------
    np.ndarray
        Shape (samples,), float32, gated RMS 0 dBFS (scaled later); silence stays silence.
    """
    import pedalboard as pb

    s = settings
    fx: list[pb.Plugin] = []
    if drive:
        fx += [
            pb.HighpassFilter(cutoff_frequency_hz=float(rng.uniform(*s.cab_highpass_hz))),
            pb.Distortion(drive_db=float(rng.uniform(*s.drive_db))),
            pb.LowpassFilter(cutoff_frequency_hz=float(rng.uniform(*s.cab_lowpass_hz))),
            pb.PeakFilter(cutoff_frequency_hz=float(rng.uniform(*s.eq_hz)), gain_db=float(rng.uniform(*s.eq_gain_db)), q=1.0),
        ]  # fmt: skip
    if role in _BASS_ROLES:
        if rng.random() < s.bass_drive:
            fx.append(pb.Distortion(drive_db=float(rng.uniform(*s.drive_db)) / 2))
        fx.append(pb.LowpassFilter(cutoff_frequency_hz=float(rng.uniform(*_BASS_LOWPASS_HZ))))
    if role == "percussion":
        fx.append(pb.HighpassFilter(cutoff_frequency_hz=_PERC_HIGHPASS_HZ))
    if rng.random() < s.eq:
        fx.append(pb.PeakFilter(cutoff_frequency_hz=float(rng.uniform(*s.eq_hz)), gain_db=float(rng.uniform(*s.eq_gain_db)), q=float(rng.uniform(0.5, 2.0))))  # fmt: skip
    if rng.random() < s.compressor:
        fx.append(
            pb.Compressor(
                threshold_db=float(rng.uniform(*s.compressor_db)), ratio=float(rng.uniform(2.0, 6.0))
            )
        )
    if role in _CHORUS_ROLES and rng.random() < s.chorus:
        fx.append(
            pb.Chorus(rate_hz=float(rng.uniform(0.3, 2.0)), depth=float(rng.uniform(0.1, 0.4)), mix=0.5)
        )
    y = np.ascontiguousarray(x, dtype=np.float32)
    if fx:  # pedalboard is several times faster on (channels, samples) than on 1-D input
        y = pb.Pedalboard(fx)(y[None, :], SAMPLE_RATE)[0].astype(np.float32)  # type: ignore[attr-defined]
    level = gated_rms_db(y, gate_db=s.gate_db)
    if not np.isfinite(level):
        return np.zeros_like(x)
    return (y * np.float32(10 ** (-level / 20))).astype(np.float32)


def reverb_bus(send: np.ndarray, rng: np.random.Generator, *, settings: BandSettings) -> np.ndarray:
    """The part's reverb return: one room for every stem that sends to it (wet only).

    Parameters
    ----------
    send : np.ndarray
        Sum of the stems' sends, shape (samples,), float32.

    Returns
    -------
    np.ndarray
        Shape (samples,), float32.
    """
    import pedalboard as pb

    s = settings
    wet = float(rng.uniform(*s.reverb_wet))
    rev = pb.Reverb(room_size=float(rng.uniform(*s.reverb_room)), wet_level=wet, dry_level=0.0, width=0.0)
    out: np.ndarray = rev(np.ascontiguousarray(send, dtype=np.float32)[None, :], SAMPLE_RATE)[0]
    return out.astype(np.float32)
