"""Generated drum-kit audio at a known tempo: sine-and-noise kick, snare, hi-hat, toms, crash.

For tests that run the bundled default model on audio whose beats are known (song folders
checked by scan-chart, tempo agreement of a drum stem and its full mix).
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 44100


def _env(n: int, tau_s: float, sr: int) -> np.ndarray:
    return np.exp(-np.arange(n) / (tau_s * sr)).astype(np.float32)


def _piece(name: str, sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.6 * sr)
    t = np.arange(n) / sr
    if name == "kick":
        freq = 50.0 + 90.0 * np.exp(-t / 0.03)
        return (np.sin(2 * np.pi * np.cumsum(freq) / sr) * _env(n, 0.12, sr)).astype(np.float32)
    if name == "snare":
        tone = np.sin(2 * np.pi * 190.0 * t) * _env(n, 0.05, sr)
        noise = rng.standard_normal(n) * _env(n, 0.08, sr)
        return (0.5 * tone + 0.6 * noise).astype(np.float32)
    if name == "hihat":
        noise = np.diff(rng.standard_normal(n + 1))
        return (0.35 * noise * _env(n, 0.02, sr)).astype(np.float32)
    if name == "crash":
        noise = np.diff(rng.standard_normal(n + 1))
        return (0.5 * noise * _env(n, 0.35, sr)).astype(np.float32)
    toms = {"hi_tom": 210.0, "mid_tom": 150.0, "low_tom": 100.0}
    freq = toms[name] * (1.0 + 0.3 * np.exp(-t / 0.04))
    return (np.sin(2 * np.pi * np.cumsum(freq) / sr) * _env(n, 0.15, sr)).astype(np.float32)


def drum_groove_audio(
    *,
    bpm: float,
    bars: int,
    start_s: float = 0.0,
    tail_s: float = 1.0,
    sample_rate: int = SAMPLE_RATE,
    seed: int = 0,
    fills: bool = True,
    band: bool = False,
) -> tuple[np.ndarray, list[tuple[float, str]]]:
    """A rock groove: hi-hat eighths, kick on 1 and 3, snare on 2 and 4, a crash every four
    bars, a tom fill in the last two beats of every fourth bar.

    Parameters
    ----------
    bpm : float
        Tempo, beats per minute.
    bars : int
        Number of 4/4 bars.
    start_s : float
        Time of the first beat, seconds.
    tail_s : float
        Silence after the last bar, seconds.
    sample_rate : int
        Hz.
    seed : int
        Noise seed.
    fills : bool
        Tom fills every fourth bar.
    band : bool
        Add a band part (a bass line on the off-beat eighths and sustained chords changing
        every half bar): the "full mix" of the same performance.

    Returns
    -------
    audio : numpy.ndarray
        Shape (samples,), float32 mono, peak <= 0.9.
    hits : list of (time_s, drum)
        What was played.
    """
    rng = np.random.default_rng(seed)
    p = 60.0 / bpm
    total = start_s + bars * 4 * p + tail_s
    n = int(total * sample_rate)
    audio = np.zeros(n + sample_rate, dtype=np.float32)
    pieces = {
        k: _piece(k, sample_rate, rng)
        for k in ("kick", "snare", "hihat", "crash", "hi_tom", "mid_tom", "low_tom")
    }
    hits: list[tuple[float, str]] = []
    for bar in range(bars):
        for beat in range(4):
            bt = start_s + (bar * 4 + beat) * p
            fill = fills and bar % 4 == 3 and beat >= 2
            if fill:
                for k, drum in enumerate(("hi_tom", "hi_tom", "mid_tom", "low_tom")):
                    hits.append((bt + k * p / 4, drum))
            else:
                hits.append((bt, "hihat"))
                hits.append((bt + p / 2, "hihat"))
            hits.append((bt, "kick" if beat in (0, 2) else "snare"))
            if beat == 0 and bar % 4 == 0:
                hits.append((bt, "crash"))
    gains = {
        "kick": 0.9,
        "snare": 0.7,
        "hihat": 0.5,
        "crash": 0.5,
        "hi_tom": 0.7,
        "mid_tom": 0.7,
        "low_tom": 0.7,
    }
    for t, drum in hits:
        i = round(t * sample_rate)
        seg = pieces[drum]
        audio[i : i + len(seg)] += gains[drum] * seg[: len(audio) - i]
    if band:
        t_all = np.arange(len(audio)) / sample_rate
        roots = (55.0, 73.42, 61.74, 82.41)
        for k in range(bars * 8):
            t0 = start_s + k * p / 2 + p / 4  # bass on the "e"/"a": between the drums' eighths
            i = round(t0 * sample_rate)
            m = int(0.2 * sample_rate)
            f = roots[(k // 4) % len(roots)]
            tt = np.arange(m) / sample_rate
            audio[i : i + m] += (0.25 * np.sin(2 * np.pi * f * tt) * _env(m, 0.1, sample_rate))[
                : len(audio) - i
            ]
        for k in range(bars * 2):
            t0 = start_s + k * 2 * p
            i0, i1 = round(t0 * sample_rate), min(len(audio), round((t0 + 2 * p) * sample_rate))
            f = 2 * roots[k % len(roots)]
            tt = t_all[i0:i1] - t0
            chord = sum(np.sin(2 * np.pi * f * r * tt) for r in (1.0, 1.26, 1.5))
            audio[i0:i1] += (0.06 * chord * np.minimum(1.0, tt / 0.05)).astype(np.float32)
    audio = audio[:n]
    audio *= 0.9 / max(1e-9, float(np.abs(audio).max()))
    return audio.astype(np.float32), sorted(hits)
