"""Tempo and beat estimation from a transcription, with numpy only.

The method, step by step:

1. **Onset strength** ``o(t)`` at 100 frames per second: from the model's activations when
   the transcription kept them (a weighted sum of the 8 lanes), else from the hits (each an
   impulse weighted by lane and velocity, split between the two nearest frames and smoothed
   by a 10 ms Gaussian). Lane weights: kick and snare 1.0, crash 0.8, toms 0.7, hi-hat and
   ride 0.6.
2. **Global tempo**: the autocorrelation of ``o`` (mean removed) is read at the lag of each
   candidate tempo in ``bpm_range`` and at its 2nd, 3rd and 4th multiples (weights 1, 1/2,
   1/3, 1/4, a comb that sharpens the peak); the sum is weighted by a log-normal prior of one
   octave around ``start_bpm`` (120), which settles octave ambiguity the way listeners do
   (Ellis 2007). The best candidate is refined by a parabola through its neighbours.
   Octave check from the drum roles: when the transcription's kick-to-next-snare interval
   (ghost notes left out) has a clear mode, and it matches half, once or twice the
   estimate, that octave wins (the snare answers the kick one beat later in most grooves).
3. **Tempo changes**: the same estimate over 8 s windows (hop 2 s), with the prior centred on
   the global tempo; a median filter and grouping (tempo within 4 %) give sections of steady
   tempo. Where two sections meet, both tempi are allowed.
4. **Beat tracking** by dynamic programming (Ellis 2007): ``C(t) = o(t) + max_p [C(p) -
   alpha * log((t - p) / tau(t))^2]`` over ``p`` in ``[t - 2 tau, t - tau / 2]``, tightness
   ``alpha`` 100, then backtracking from the best end; beat times are refined below one frame
   by a parabola through the onset strength. Every predecessor lies at least half a period
   back, so the frames are scored in blocks of that length at once (O(frames x 1.5 periods)
   in numpy; an hour is a few seconds).
5. **Tempo map**: tracked beats before the first (after the last) run of three beats on
   onsets are dropped (they only bridge silence); the rest are split greedily into runs
   that one straight line (constant tempo) fits within ``max_error_s`` (25 ms; one stray
   beat may be off by 3x that), each split moved to where the two lines fit best; a
   continuous piecewise-linear least-squares fit through the split points (a tridiagonal
   system) gives each segment's start time and bpm. The grid is then extended back to the earliest beat at
   or after 0 s (the first-beat offset), skipping a beat closer to 0 s than a quarter beat
   (unless exactly at 0).
6. **Downbeats**: the bar phase (beat index modulo ``beats_per_bar``) whose beats carry the
   most kick (+1) and crash (+1.5) and the least snare (-0.5), by velocity.

User overrides: ``bpm`` (constant tempo; the phase is still fitted to the onsets),
``offset_s`` (the first beat; the estimated map is moved by less than a beat to put a beat
there), ``tempo_map`` (a :class:`~drumscribe.charts.tempo.TempoMap`, a list of segments or a
JSON/CSV file). With fewer than 4 onsets the tempo defaults to ``start_bpm`` with the first
beat on the first hit.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from drumscribe.charts.records import Beat, TempoSegment
from drumscribe.charts.tempo import TempoMap, tempo_map_from
from drumscribe.contract import LANE_NAMES
from drumscribe.hits import DrumHit, TranscriptionRecord

__all__ = [
    "LANE_TEMPO_WEIGHTS",
    "MAX_OFFSET_S",
    "TempoEstimate",
    "estimate_tempo",
    "fit_tempo_map",
    "global_tempo",
    "lane_onset_strength",
    "onset_envelope",
    "track_beats",
]

#: Weight of each lane (in lane order) in the onset strength used for tempo.
LANE_TEMPO_WEIGHTS = np.array([1.0, 1.0, 0.6, 0.7, 0.7, 0.7, 0.8, 0.6])
#: Weight of each lane when finding the downbeat (kick and crash mark bar starts).
LANE_DOWNBEAT_WEIGHTS = np.array([1.0, -0.5, 0.0, 0.0, 0.0, 0.0, 1.5, 0.0])

ENVELOPE_FPS = 100.0
#: The latest first-beat offset accepted, seconds (a day, the chart schema's limit on times).
MAX_OFFSET_S = 86400.0
_MIN_ONSETS = 4
_TIGHTNESS = 100.0
#: Window and hop of the local tempo estimates that find tempo changes, seconds.
_SECTION_WINDOW_S = 8.0
_SECTION_HOP_S = 2.0


@dataclass(frozen=True, slots=True)
class TempoEstimate:
    """Result of :func:`estimate_tempo`.

    Attributes
    ----------
    tempo_map : TempoMap
        The tempo map; its first segment starts on the first beat.
    beats : tuple of Beat
        The beat grid from the first beat to the end of the audio, downbeats marked.
    bpm : float
        The dominant tempo (of the longest segment), beats per minute.
    beats_per_bar : int
        Bar length used for downbeats.
    downbeat_phase : int
        Index of the first downbeat in :attr:`beats`, 0..beats_per_bar-1.
    tracked_beats_s : tuple of float
        Beat times the tracker found (before the tempo-map fit), seconds; empty when the
        tempo was given.
    method : str
        ``"activations"``, ``"hits"``, ``"bpm"`` (given tempo, fitted phase), ``"offset"``,
        ``"tempo_map"`` (given) or ``"default"`` (too few onsets).
    """

    tempo_map: TempoMap
    beats: tuple[Beat, ...]
    bpm: float
    beats_per_bar: int
    downbeat_phase: int
    tracked_beats_s: tuple[float, ...]
    method: str


# -- onset strength ----------------------------------------------------------------------
def _smooth(x: np.ndarray, sigma_frames: float) -> np.ndarray:
    if sigma_frames <= 0:
        return x
    half = max(1, math.ceil(3 * sigma_frames))
    k = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma_frames) ** 2)
    k /= k.sum()
    return np.convolve(x, k, mode="same")


def lane_onset_strength(activations: np.ndarray) -> np.ndarray:
    """Onset strength per frame from the model's activations: the lanes weighted by
    :data:`LANE_TEMPO_WEIGHTS` (NaN and negative values count 0).

    Computed a lane at a time, so each frame's value does not depend on how the frames are
    batched: the streaming transcriber keeps this per chunk (``keep_onset_strength``) and
    gets what :func:`onset_envelope` computes from the whole activations.

    Parameters
    ----------
    activations : numpy.ndarray
        Shape (frames, 8).

    Returns
    -------
    numpy.ndarray
        Shape (frames,), float64, >= 0.
    """
    a = np.asarray(activations)
    if a.ndim != 2 or a.shape[1] != len(LANE_NAMES):
        raise ValueError(f"activations must have shape (frames, {len(LANE_NAMES)}), got {a.shape}")
    env = np.zeros(a.shape[0], dtype=np.float64)
    for lane, weight in enumerate(LANE_TEMPO_WEIGHTS):
        col = np.nan_to_num(a[:, lane].astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        env += weight * np.clip(col, 0.0, None)
    return env


def onset_envelope(
    transcription: TranscriptionRecord,
    *,
    source: Literal["auto", "hits", "activations"] = "auto",
    frame_rate: float = ENVELOPE_FPS,
) -> tuple[np.ndarray, float, str]:
    """Onset strength of a transcription, for tempo estimation.

    Parameters
    ----------
    transcription : TranscriptionRecord
        Hits and, optionally, activations.
    source : {"auto", "hits", "activations"}
        ``"auto"`` uses the model's output when kept (the activations, or the onset strength
        the transcription kept in their place, see :func:`lane_onset_strength`), else the hits.
    frame_rate : float
        Frames per second of the envelope built from hits (activations keep their rate).

    Returns
    -------
    envelope : numpy.ndarray
        Shape (frames,), float64, >= 0.
    fps : float
        Frames per second of ``envelope``.
    used : str
        ``"activations"`` or ``"hits"``.
    """
    acts = transcription.activations
    kept = transcription.onset_strength
    from_model = acts is not None or kept is not None
    if source == "activations" or (source == "auto" and from_model):
        if acts is not None:
            env = lane_onset_strength(acts)
        elif kept is not None:
            env = np.asarray(kept, dtype=np.float64)
            if env.ndim != 1:
                raise ValueError(f"onset_strength must have shape (frames,), got {env.shape}")
        else:
            raise ValueError(
                "source='activations' but the transcription kept no activations or onset strength"
            )
        return env, float(transcription.frame_rate), "activations"
    fps = float(frame_rate)
    last = max([transcription.duration_s, *(h.time_s for h in transcription.hits)], default=0.0)
    n = math.ceil(last * fps) + 2
    env = np.zeros(n, dtype=np.float64)
    for h in transcription.hits:
        pos = h.time_s * fps
        i = math.floor(pos)
        frac = pos - i
        w = LANE_TEMPO_WEIGHTS[h.lane] * (0.3 + 0.7 * h.velocity / 127.0)
        env[i] += w * (1.0 - frac)
        env[i + 1] += w * frac
    return _smooth(env, 0.010 * fps), fps, "hits"


# -- tempo strength ----------------------------------------------------------------------
def _autocorrelation(x: np.ndarray) -> np.ndarray:
    x = x - x.mean()
    n = len(x)
    if n < 2:
        return np.zeros(max(n, 1))
    nfft = 1 << (2 * n - 1).bit_length()
    spec = np.fft.rfft(x, nfft)
    ac = np.fft.irfft(spec * np.conj(spec), nfft)[:n]
    if ac[0] <= 1e-12:
        return np.zeros(n)
    return np.asarray(ac / ac[0])


def _tempo_scores(
    env: np.ndarray, fps: float, bpms: np.ndarray, *, prior_bpm: float, prior_octaves: float
) -> np.ndarray:
    ac = _autocorrelation(env)
    n = len(ac)
    lags = 60.0 * fps / bpms
    grid = np.arange(n, dtype=np.float64)
    strength = np.zeros_like(bpms)
    for mult, weight in ((1, 1.0), (2, 0.5), (3, 1.0 / 3.0), (4, 0.25)):
        lag = lags * mult
        vals = np.interp(lag, grid, ac, right=0.0)
        strength += weight * np.where(lag < n - 1, vals, 0.0)
    prior = np.exp(-0.5 * (np.log2(bpms / prior_bpm) / prior_octaves) ** 2)
    out: np.ndarray = np.clip(strength, 0.0, None) * prior
    return out


def _best_bpm(scores: np.ndarray, bpms: np.ndarray) -> float:
    i = int(np.argmax(scores))
    if 0 < i < len(bpms) - 1:
        a, b, c = scores[i - 1], scores[i], scores[i + 1]
        den = a - 2 * b + c
        if den < 0:
            shift = float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))
            lo, hi = (bpms[i - 1], bpms[i]) if shift < 0 else (bpms[i], bpms[i + 1])
            return float(math.exp(math.log(bpms[i]) + shift * math.log(hi / lo)))
    return float(bpms[i])


def global_tempo(
    env: np.ndarray,
    fps: float,
    *,
    bpm_range: tuple[float, float] = (60.0, 200.0),
    start_bpm: float = 120.0,
    prior_octaves: float = 1.0,
) -> float:
    """The dominant tempo of an onset-strength envelope, beats per minute.

    Parameters
    ----------
    env : numpy.ndarray
        Onset strength, shape (frames,).
    fps : float
        Frames per second of ``env``.
    bpm_range : (float, float)
        Lowest and highest tempo considered, bpm.
    start_bpm : float
        Centre of the log-normal tempo prior, bpm.
    prior_octaves : float
        Width (standard deviation) of the prior, octaves.
    """
    lo, hi = bpm_range
    if not 0 < lo < hi <= 500:
        raise ValueError(f"bpm_range must be 0 < low < high <= 500, got {bpm_range}")
    bpms = np.geomspace(lo, hi, math.ceil(math.log(hi / lo) / math.log(1.002)) + 1)
    scores = _tempo_scores(env, fps, bpms, prior_bpm=start_bpm, prior_octaves=prior_octaves)
    if not np.any(scores > 0):
        return float(start_bpm)
    return _best_bpm(scores, bpms)


def _backbeat_hits(hits: Sequence[DrumHit]) -> tuple[np.ndarray, np.ndarray]:
    """Times of the kicks and of the snares that are not ghost notes (velocity > 40), sorted."""
    strong = [h for h in hits if h.velocity > 40]
    kicks = np.sort(np.array([h.time_s for h in strong if h.drum == "kick"], dtype=np.float64))
    snares = np.sort(np.array([h.time_s for h in strong if h.drum == "snare"], dtype=np.float64))
    return kicks, snares


def _backbeat_lag(
    backbeat_hits: tuple[np.ndarray, np.ndarray], start_s: float = 0.0, end_s: float = math.inf
) -> float | None:
    """The usual time from a kick to the next snare backbeat, seconds, or None.

    In most drum grooves the snare answers the kick one beat later (kick on 1, snare on 2),
    so this lag names the beat among the octave candidates. ``backbeat_hits`` are the kick
    and snare times of :func:`_backbeat_hits` (ghost notes left out); only those in
    ``[start_s, end_s)`` count. The lag counts only when it is the clear mode (40 % of the
    pairs within 15 ms of it) of at least 4 pairs.
    """
    all_kicks, all_snares = backbeat_hits
    kicks = all_kicks[np.searchsorted(all_kicks, start_s) : np.searchsorted(all_kicks, end_s)]
    snares = all_snares[np.searchsorted(all_snares, start_s) : np.searchsorted(all_snares, end_s)]
    if len(kicks) < 4 or len(snares) < 4:
        return None
    prev = np.searchsorted(kicks, snares, side="right") - 1
    ok = prev >= 0
    lags = snares[ok] - kicks[prev[ok]]
    lags = lags[(lags > 0.2) & (lags < 1.25)]
    if len(lags) < 4:
        return None
    ordered = np.sort(lags)  # pairs within 15 ms of each lag, by binary search
    counts = np.searchsorted(ordered, lags + 0.015, side="right") - np.searchsorted(ordered, lags - 0.015)
    best = lags[int(np.argmax(counts))]
    near = lags[np.abs(lags - best) <= 0.015]
    if len(near) < max(4, 0.4 * len(lags)):
        return None
    return float(np.median(near))


def _octave_from_backbeat(bpm: float, lag: float | None, bpm_range: tuple[float, float]) -> float:
    """``bpm``, halved or doubled when the kick-snare lag says the beat is that octave."""
    if lag is None:
        return bpm
    target = 60.0 / lag
    for factor in (1.0, 0.5, 2.0):
        cand = bpm * factor
        in_range = bpm_range[0] / 1.02 <= cand <= bpm_range[1] * 1.02
        if in_range and abs(math.log(target / cand)) < math.log(1.08):
            return cand
    return bpm


def _local_tempi(
    env: np.ndarray,
    fps: float,
    global_bpm: float,
    *,
    bpm_range: tuple[float, float],
    window_s: float,
    hop_s: float,
    backbeat_hits: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[tuple[float, float, float]]:
    """Sections of steady tempo: (start_s, end_s, bpm)."""
    n = len(env)
    duration = n / fps
    if duration < 2 * window_s:
        return [(0.0, duration, global_bpm)]
    win = round(window_s * fps)
    hop = round(hop_s * fps)
    lo, hi = bpm_range
    bpms = np.geomspace(lo, hi, math.ceil(math.log(hi / lo) / math.log(1.004)) + 1)
    centres: list[float] = []
    values: list[float] = []
    total = float(env.sum())
    for start in range(0, max(1, n - win + 1), hop):
        seg = env[start : start + win]
        if seg.sum() < 0.02 * total * win / n or np.count_nonzero(seg > 0.1 * seg.max()) < 4:
            est = float("nan")
        else:
            sc = _tempo_scores(seg, fps, bpms, prior_bpm=global_bpm, prior_octaves=1.0)
            est = _best_bpm(sc, bpms) if np.any(sc > 0) else float("nan")
            if not math.isnan(est):
                lag = (
                    _backbeat_lag(backbeat_hits, start / fps, (start + win) / fps) if backbeat_hits else None
                )
                est = _octave_from_backbeat(est, lag, bpm_range)
        centres.append((start + win / 2) / fps)
        values.append(est)
    v = np.array(values)
    if np.all(np.isnan(v)):
        return [(0.0, duration, global_bpm)]
    # fill gaps with the nearest estimate, then a 3-point median filter
    idx = np.arange(len(v))
    good = ~np.isnan(v)
    v = np.interp(idx, idx[good], v[good])
    if len(v) >= 3:
        padded = np.concatenate([v[:1], v, v[-1:]])
        v = np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)
    # group consecutive windows within 4 %
    groups: list[list[int]] = [[0]]
    for i in range(1, len(v)):
        med = float(np.median(v[groups[-1]]))
        if abs(math.log(v[i] / med)) < math.log(1.04):
            groups[-1].append(i)
        else:
            groups.append([i])
    # single-window groups are transitions: give them to the closer neighbour
    changed = True
    while changed and len(groups) > 1:
        changed = False
        for g in range(len(groups)):
            if len(groups[g]) == 1:
                here = v[groups[g][0]]
                cands = [k for k in (g - 1, g + 1) if 0 <= k < len(groups)]
                best = min(cands, key=lambda k: abs(math.log(here / float(np.median(v[groups[k]])))))
                if best < g:
                    groups[best].extend(groups[g])
                else:
                    groups[best][:0] = groups[g]
                del groups[g]
                changed = True
                break
    sections: list[tuple[float, float, float]] = []
    for g, members in enumerate(groups):
        start_s = 0.0 if g == 0 else centres[members[0]] - window_s / 2
        end_s = duration if g == len(groups) - 1 else centres[members[-1]] + window_s / 2
        sections.append((start_s, end_s, float(np.median(v[members]))))
    return sections


# -- beat tracking -----------------------------------------------------------------------
def _beat_scores(
    o: np.ndarray, periods: np.ndarray, alt: np.ndarray, tightness: float
) -> tuple[np.ndarray, np.ndarray]:
    """The dynamic programme of :func:`track_beats`: cumulative scores and back pointers.

    ``C(t) = o(t) + max(0, max_p [C(p) - tightness * d(t, p)])`` with ``d`` the smaller squared
    log ratio of ``t - p`` to the two allowed periods, ``p`` in ``[t - 2 tau_max, t - tau_min / 2]``.
    Every predecessor lies at least half the shorter period back, so a block of that many
    frames depends only on frames before it: each block is scored at once, which makes
    the programme O(frames x candidates) in numpy (candidates: up to 1.5 periods) instead of
    a Python loop over frames. The result equals the frame-by-frame loop's.
    """
    n = len(o)
    score = np.zeros(n)
    back = np.full(n, -1, dtype=np.int64)
    t_all = np.arange(n)
    tau_max = np.maximum(periods, alt)
    tau_min = np.minimum(periods, alt)
    lo_all = np.maximum(t_all - np.round(2 * tau_max).astype(np.int64), 0)
    hi_all = t_all - np.round(tau_min / 2).astype(np.int64)
    block = max(1, int(np.min(t_all - hi_all)))  # hi(t) <= t - block: a block needs no frame of itself
    steady = np.ones(n, dtype=bool)  # the same two periods as the frame before
    steady[1:] = (periods[1:] == periods[:-1]) & (alt[1:] == alt[:-1])
    run_start = np.maximum.accumulate(np.where(steady, 0, t_all))  # first frame of each steady run
    penalties: dict[tuple[float, float], tuple[int, np.ndarray, np.ndarray]] = {}
    for t0 in range(0, n, block):
        t1 = min(n, t0 + block)
        if run_start[t1 - 1] <= t0 and lo_all[t0] > 0:  # one pair of periods, no clipping at 0
            _score_steady_block(
                score,
                back,
                o,
                t0,
                t1,
                (lo_all[t0], hi_all[t0]),
                penalties,
                (float(periods[t0]), float(alt[t0])),
                tightness,
            )
            continue
        t = t_all[t0:t1]
        lo, hi = lo_all[t0:t1], hi_all[t0:t1]
        valid = (hi >= lo) & (hi >= 0)
        if not np.any(valid):
            score[t] = o[t]
            continue
        width = int(np.max(np.where(valid, hi - lo + 1, 0)))
        p = lo[:, None] + np.arange(width)[None, :]
        inside = (p <= hi[:, None]) & valid[:, None]
        p = np.where(inside, p, 0)
        lag = np.where(inside, t[:, None] - p, 1).astype(np.float64)
        tau_a = periods[t][:, None]
        tau_b = alt[t][:, None]
        d = np.log(lag / tau_a) ** 2
        d = np.where(tau_b != tau_a, np.minimum(d, np.log(lag / tau_b) ** 2), d)
        cand = np.where(inside, score[p] - tightness * d, -np.inf)
        j = np.argmax(cand, axis=1)
        best = cand[np.arange(len(t)), j]
        take = best > 0
        score[t] = o[t] + np.where(take, best, 0.0)
        back[t[take]] = p[take, j[take]]
    return score, back


def _score_steady_block(
    score: np.ndarray,
    back: np.ndarray,
    o: np.ndarray,
    t0: int,
    t1: int,
    window: tuple[int, int],
    penalties: dict[tuple[float, float], tuple[int, np.ndarray, np.ndarray]],
    taus: tuple[float, float],
    tightness: float,
) -> None:
    """Frames ``t0..t1-1`` of :func:`_beat_scores` where both periods stay the same.

    Every frame then looks back over the same lags, so the candidates are rows of one strided
    view of ``score`` less one penalty row (both made once per pair of periods and kept in
    ``penalties``; the view sees the scores written after it was made).
    """
    if taus not in penalties:
        lo0, hi0 = window
        lag = np.arange(t0 - lo0, t0 - hi0 - 1, -1).astype(np.float64)  # ascending predecessor
        d = np.log(lag / taus[0]) ** 2
        if taus[1] != taus[0]:
            d = np.minimum(d, np.log(lag / taus[1]) ** 2)
        rows = np.lib.stride_tricks.sliding_window_view(score, len(lag))
        penalties[taus] = (t0 - lo0, tightness * d, rows)
    largest, pen, rows = penalties[taus]
    cand = rows[t0 - largest : t1 - largest] - pen
    j = np.argmax(cand, axis=1)
    best = cand[np.arange(t1 - t0), j]
    take = best > 0
    score[t0:t1] = o[t0:t1] + np.where(take, best, 0.0)
    frames = np.arange(t0, t1)
    back[frames[take]] = frames[take] - largest + j[take]


def track_beats(
    env: np.ndarray,
    fps: float,
    periods: np.ndarray,
    alt_periods: np.ndarray | None = None,
    *,
    tightness: float = _TIGHTNESS,
    start_s: float = 0.0,
    end_s: float | None = None,
) -> np.ndarray:
    """Beat times by dynamic programming (Ellis 2007).

    Parameters
    ----------
    env : numpy.ndarray
        Onset strength, shape (frames,).
    fps : float
        Frames per second.
    periods : numpy.ndarray
        Expected beat period at each frame, in frames, shape (frames,).
    alt_periods : numpy.ndarray, optional
        A second allowed period per frame (where two tempo sections meet).
    tightness : float
        Weight of the squared log deviation from the expected period.
    start_s, end_s : float
        Region (seconds) where beats are kept.

    Returns
    -------
    numpy.ndarray
        Beat times in seconds, increasing, refined below one frame.
    """
    n = len(env)
    if n == 0:
        return np.zeros(0)
    std = float(env.std())
    o = env / std if std > 0 else env.copy()
    alt = periods if alt_periods is None else alt_periods
    score, back = _beat_scores(
        o, np.asarray(periods, dtype=np.float64), np.asarray(alt, dtype=np.float64), tightness
    )
    end_frame = n - 1 if end_s is None else min(n - 1, round(end_s * fps))
    tail_lo = max(0, end_frame - round(2 * periods[end_frame]))
    t = tail_lo + int(np.argmax(score[tail_lo : end_frame + 1]))
    frames = []
    while t >= 0:
        frames.append(t)
        t = int(back[t])
    frames.reverse()
    f = np.array(frames, dtype=np.float64)
    # sub-frame refinement on local peaks of the onset strength
    for k, i in enumerate(frames):
        if 0 < i < n - 1 and env[i] >= env[i - 1] and env[i] >= env[i + 1]:
            a, b, c = env[i - 1], env[i], env[i + 1]
            den = a - 2 * b + c
            if den < 0:
                f[k] = i + float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))
    times = f / fps
    return times[times >= start_s - 1e-9]


def _repair_beats(times: np.ndarray) -> np.ndarray:
    """Fill single skipped beats and drop doubled ones (by the local median interval)."""
    if len(times) < 4:
        return times
    out = [float(times[0])]
    ibis = np.diff(times)
    for k in range(1, len(times)):
        lo, hi = max(0, k - 5), min(len(ibis), k + 4)
        med = float(np.median(ibis[lo:hi]))
        gap = float(times[k]) - out[-1]
        if gap < 0.6 * med:
            continue  # a doubled beat
        steps = round(gap / med)
        if steps >= 2 and abs(gap / steps - med) < 0.15 * med:
            base = out[-1]
            out.extend([base + gap * j / steps for j in range(1, steps)])
        out.append(float(times[k]))
    return np.array(out)


def _linefit(idx: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, float]:
    """Residuals and SSE of the least-squares line t ~ a + b idx."""
    if len(idx) < 3:
        return np.zeros(len(idx)), 0.0
    x = idx - idx.mean()  # closed form: ~40x faster than lstsq on these short fits
    y = t - t.mean()
    slope = float(x @ y) / float(x @ x)
    r = y - slope * x
    return r, float(r @ r)


def _breaks(r: np.ndarray, tol: float) -> bool:
    """A line stops fitting when its two newest residuals exceed ``tol`` on the same side,
    or any residual exceeds ``3 tol`` (one stray beat is not a tempo change)."""
    if len(r) < 3:
        return False
    if float(np.abs(r).max()) > 3 * tol:
        return True
    return bool((r[-1] > tol and r[-2] > tol) or (r[-1] < -tol and r[-2] < -tol))


def fit_tempo_map(beat_times_s: Sequence[float] | np.ndarray, *, max_error_s: float = 0.025) -> TempoMap:
    """Piecewise-constant tempo map through tracked beat times.

    Parameters
    ----------
    beat_times_s : sequence of float
        Beat times in seconds, increasing, at least 2.
    max_error_s : float
        Tolerance in seconds: a new tempo segment starts when two consecutive tracked
        beats lie farther than this on the same side of the current segment's straight
        line, or one lies farther than three times this.

    Returns
    -------
    TempoMap
        Starting at the first beat time (beat 0), one segment per steady stretch.
    """
    t = np.asarray(beat_times_s, dtype=np.float64)
    if t.ndim != 1 or len(t) < 2 or np.any(np.diff(t) <= 0):
        raise ValueError("fit_tempo_map needs at least 2 increasing beat times")
    n = len(t)
    idx = np.arange(n, dtype=np.float64)
    knots = [0]
    s = 0
    e = s + 2
    while e < n:
        r, _ = _linefit(idx[s : e + 1], t[s : e + 1])
        if not _breaks(r, max_error_s):
            e += 1
            continue
        # the line through s..e-1 fits, s..e does not: split where two lines fit best
        best_b, best_cost = e - 1, math.inf
        for b in range(s + 1, e):
            _, c1 = _linefit(idx[s : b + 1], t[s : b + 1])
            _, c2 = _linefit(idx[b : e + 1], t[b : e + 1])
            if c1 + c2 < best_cost:
                best_b, best_cost = b, c1 + c2
        knots.append(best_b)
        s = best_b
        e = s + 2
    knots.append(n - 1)
    knots = sorted(set(knots))
    m = len(knots)
    knot_t = _continuous_fit(idx, t, knots)
    if np.any(np.diff(knot_t) <= 0) or knot_t[0] < 0:  # a degenerate fit: use the beats themselves
        knot_t = t[knots]
    segs = []
    for i in range(m - 1):
        bpm = 60.0 * (knots[i + 1] - knots[i]) / float(knot_t[i + 1] - knot_t[i])
        segs.append((float(knot_t[i]), bpm, float(knots[i])))
    # merge neighbours whose tempo differs by less than 0.2 %
    merged: list[tuple[float, float, float]] = [segs[0]]
    for seg in segs[1:]:
        if abs(math.log(seg[1] / merged[-1][1])) < math.log(1.002):
            continue
        merged.append(seg)
    origin = merged[0][0]
    if origin < 0:  # cannot happen for beats >= 0 but keep the map valid
        merged = [(0.0, merged[0][1], merged[0][2] - origin * merged[0][1] / 60.0), *merged[1:]]
    return TempoMap.from_points([s_[0] for s_ in merged], [s_[1] for s_ in merged])


def _continuous_fit(idx: np.ndarray, t: np.ndarray, knots: list[int]) -> np.ndarray:
    """Knot times of the continuous piecewise-linear least-squares fit of ``t`` over ``idx``.

    Each beat between two knots is a mix of the two knot times (weights ``1 - u`` and ``u``),
    so the normal equations are tridiagonal and positive definite (every knot is a beat):
    solved in O(knots), where a dense least squares took O(beats x knots^2) (30 s for an
    hour of music with 1500 segments).
    """
    k = np.asarray(knots)
    seg = np.clip(np.searchsorted(k, idx, side="right") - 1, 0, len(k) - 2)
    u = (idx - k[seg]) / (k[seg + 1] - k[seg])
    w0, w1 = 1.0 - u, u
    m = len(k)
    diag = np.bincount(seg, w0 * w0, m) + np.bincount(seg + 1, w1 * w1, m)
    off = np.bincount(seg, w0 * w1, m - 1)
    rhs = np.bincount(seg, w0 * t, m) + np.bincount(seg + 1, w1 * t, m)
    return _solve_tridiagonal(diag, off, rhs)


def _solve_tridiagonal(diag: np.ndarray, off: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve a symmetric positive-definite tridiagonal system (Thomas algorithm, no pivoting)."""
    m = len(diag)
    c = np.zeros(m)
    d = np.zeros(m)
    c_prev, d_prev = 0.0, 0.0
    for i in range(m):
        lower = float(off[i - 1]) if i else 0.0
        den = float(diag[i]) - lower * c_prev
        c_prev = float(off[i]) / den if i < m - 1 else 0.0
        d_prev = (float(rhs[i]) - lower * d_prev) / den
        c[i], d[i] = c_prev, d_prev
    x = np.zeros(m)
    x[-1] = d[-1]
    for i in range(m - 2, -1, -1):
        x[i] = d[i] - c[i] * x[i + 1]
    return x


def _extend_back(tmap: TempoMap) -> TempoMap:
    """Start the grid at the earliest beat at or after 0 s, extending the first tempo back.

    A first beat closer to 0 s than a quarter of a beat (but not at 0) is left out, so the
    game formats' lead-in from 0 s to the first beat stays a sane tempo (see
    :mod:`~drumscribe.charts.timeline`).
    """
    first = tmap.segments[0]
    period = first.period_s
    extra = math.floor(first.time_s / period + 1e-9)
    start = first.time_s - extra * period
    if start <= 1e-6:
        start = 0.0
    elif start < 0.25 * period:
        extra -= 1
        start += period
    if extra == 0 and start == first.time_s:
        return tmap
    if extra < 0 and len(tmap.segments) > 1 and start >= tmap.segments[1].time_s - 1e-9:
        return tmap  # the first segment is too short to give up a beat: keep it
    segs = [TempoSegment(time_s=max(0.0, start), bpm=first.bpm, beat=0.0)]
    segs.extend(TempoSegment(time_s=s.time_s, bpm=s.bpm, beat=s.beat + extra) for s in tmap.segments[1:])
    return TempoMap(tuple(segs))


def _supported(times: np.ndarray, env: np.ndarray, fps: float) -> np.ndarray:
    """Tracked beats without the leading and trailing ones that no onset supports.

    The tracker bridges silence with beats; before the first and after the last run of
    three beats that each sit on an onset (strength above a fifth of the median on-beat
    strength), those bridged beats only bend the tempo map, so they are dropped.
    """
    if len(times) < 4:
        return times
    frames = np.clip(np.round(times * fps).astype(int), 0, len(env) - 1)
    strength = np.array([env[max(0, f - 2) : f + 3].max() for f in frames])
    positive = strength[strength > 0]
    if not len(positive):
        return times
    ok = strength > 0.2 * float(np.median(positive))
    runs = [i for i in range(len(ok) - 2) if ok[i] and ok[i + 1] and ok[i + 2]]
    if not runs:
        return times
    return times[runs[0] : runs[-1] + 3]


def _fit_phase(env: np.ndarray, fps: float, bpm: float) -> float:
    """Offset in [0, period) of a constant-tempo grid that best matches the onsets."""
    period = 60.0 / bpm
    n = len(env)
    duration = n / fps
    steps = max(1, math.ceil(period * fps * 2))
    phases = np.arange(steps) * period / steps
    ks = np.arange(int(duration / period) + 1)
    pos = (phases[:, None] + ks[None, :] * period) * fps
    vals = np.interp(pos, np.arange(n), env, right=0.0).sum(axis=1)
    return float(phases[int(np.argmax(vals))])


def _downbeat_phase(
    transcription: TranscriptionRecord, tmap: TempoMap, n_beats: int, beats_per_bar: int
) -> int:
    if beats_per_bar <= 1 or not transcription.hits or n_beats == 0:
        return 0
    first = math.ceil(tmap.segments[0].beat - 1e-9)  # beat number of the grid's first beat
    hits = transcription.hits
    b = np.asarray(tmap.beat_at(np.array([h.time_s for h in hits])), dtype=np.float64).reshape(-1) - first
    k = np.round(b).astype(np.int64)
    on_beat = (k >= 0) & (k < n_beats) & (np.abs(b - k) < 0.15)
    weight = LANE_DOWNBEAT_WEIGHTS[[h.lane for h in hits]] * np.array([h.velocity for h in hits]) / 127.0
    strength = np.bincount(k[on_beat], weights=weight[on_beat], minlength=n_beats)
    scores = [float(strength[p::beats_per_bar].sum()) for p in range(beats_per_bar)]
    return int(np.argmax(scores))


def estimate_tempo(
    transcription: TranscriptionRecord,
    *,
    bpm: float | None = None,
    offset_s: float | None = None,
    tempo_map: TempoMap | Sequence[TempoSegment] | str | os.PathLike[str] | None = None,
    beats_per_bar: int = 4,
    bpm_range: tuple[float, float] = (60.0, 200.0),
    start_bpm: float = 120.0,
    source: Literal["auto", "hits", "activations"] = "auto",
    max_error_s: float = 0.025,
) -> TempoEstimate:
    """Estimate (or take from the user) the tempo map, beat grid and downbeats.

    Parameters
    ----------
    transcription : TranscriptionRecord
        Hits and optionally activations; ``duration_s`` bounds the beat grid.
    bpm : float, optional
        Constant tempo to use instead of estimating, beats per minute.
    offset_s : float, optional
        Time of the first beat, seconds.
    tempo_map : TempoMap, sequence of TempoSegment or path, optional
        A complete tempo map (excludes ``bpm`` and ``offset_s``).
    beats_per_bar : int
        Beats per bar for downbeats (4 for 4/4).
    bpm_range : (float, float)
        Tempo search range, bpm.
    start_bpm : float
        Centre of the tempo prior, bpm.
    source : {"auto", "hits", "activations"}
        What the onset strength is built from.
    max_error_s : float
        Tolerance of the tempo-map fit, seconds (see :func:`fit_tempo_map`).

    Returns
    -------
    TempoEstimate
    """
    _check_tempo_options(
        bpm=bpm, offset_s=offset_s, tempo_map=tempo_map, beats_per_bar=beats_per_bar, bpm_range=bpm_range
    )
    end_s = max([transcription.duration_s, *(h.time_s for h in transcription.hits)], default=0.0)
    tracked: tuple[float, ...] = ()
    if tempo_map is not None:
        tmap, method = tempo_map_from(tempo_map), "tempo_map"
    else:
        tmap, method, tracked = _estimated_map(
            transcription,
            bpm=bpm,
            offset_s=offset_s,
            bpm_range=bpm_range,
            start_bpm=start_bpm,
            source=source,
            max_error_s=max_error_s,
        )
    n_beats = len(tmap.beat_times(end_s))
    phase = _downbeat_phase(transcription, tmap, n_beats, beats_per_bar)
    return TempoEstimate(
        tempo_map=tmap,
        beats=tmap.beats(end_s, beats_per_bar=beats_per_bar, downbeat_phase=phase),
        bpm=_dominant_bpm(tmap, end_s),
        beats_per_bar=beats_per_bar,
        downbeat_phase=phase,
        tracked_beats_s=tracked,
        method=method,
    )


def _check_tempo_options(
    *,
    bpm: float | None,
    offset_s: float | None,
    tempo_map: object,
    beats_per_bar: int,
    bpm_range: tuple[float, float],
) -> None:
    """The option checks of :func:`estimate_tempo` (``ValueError`` naming the option)."""
    if tempo_map is not None and (bpm is not None or offset_s is not None):
        raise ValueError("give either tempo_map or bpm/offset_s, not both")
    if not 1 <= beats_per_bar <= 32:
        raise ValueError(f"beats_per_bar must be 1..32, got {beats_per_bar}")
    if not 0 < bpm_range[0] < bpm_range[1] <= 500:
        raise ValueError(f"bpm_range must be 0 < low < high <= 500, got {bpm_range}")
    if bpm is not None and not 0 < bpm <= 1000:
        raise ValueError(f"bpm must be in (0, 1000], got {bpm}")
    if offset_s is not None and not 0 <= offset_s <= MAX_OFFSET_S:
        raise ValueError(f"offset_s must be in 0..{MAX_OFFSET_S:g} s, got {offset_s}")


def _estimated_map(
    transcription: TranscriptionRecord,
    *,
    bpm: float | None,
    offset_s: float | None,
    bpm_range: tuple[float, float],
    start_bpm: float,
    source: Literal["auto", "hits", "activations"],
    max_error_s: float,
) -> tuple[TempoMap, str, tuple[float, ...]]:
    """The tempo map from the onsets (with a given bpm or offset): (map, method, tracked beats)."""
    env, fps, used = onset_envelope(transcription, source=source)
    tracked: tuple[float, ...] = ()
    if bpm is not None:
        offset = offset_s if offset_s is not None else _fit_phase(env, fps, bpm)
        tmap, method = TempoMap.constant(bpm, offset_s=offset), "bpm"
    elif _onset_count(transcription, env, used) < _MIN_ONSETS:
        period = 60.0 / start_bpm
        first = transcription.hits[0].time_s if transcription.hits else 0.0
        start = offset_s if offset_s is not None else first - math.floor(first / period) * period
        tmap, method = TempoMap.constant(start_bpm, offset_s=start), "default"
    else:
        tmap, tracked = _tracked_map(
            transcription, env, fps, used, bpm_range=bpm_range, start_bpm=start_bpm, max_error_s=max_error_s
        )
        method = used
        if offset_s is not None:
            tmap, method = tmap.shifted_to(offset_s), "offset"
    if offset_s is None:
        tmap = _extend_back(tmap)
    return tmap, method, tracked


def _onset_count(transcription: TranscriptionRecord, env: np.ndarray, used: str) -> int:
    """Hits, or strong envelope frames (above half the peak); 0 for an empty or flat envelope."""
    if env.size == 0 or env.max() <= 0:
        return 0
    return len(transcription.hits) if used == "hits" else int(np.count_nonzero(env > 0.5 * env.max()))


def _tracked_map(
    transcription: TranscriptionRecord,
    env: np.ndarray,
    fps: float,
    used: str,
    *,
    bpm_range: tuple[float, float],
    start_bpm: float,
    max_error_s: float,
) -> tuple[TempoMap, tuple[float, ...]]:
    """Steps 2 to 5 of the module's method: global tempo and octave, steady sections, beats
    tracked through them, the tempo map fitted to the beats. Returns (map, tracked beats)."""
    backbeats = _backbeat_hits(transcription.hits)
    g_bpm = global_tempo(env, fps, bpm_range=bpm_range, start_bpm=start_bpm)
    g_bpm = _octave_from_backbeat(g_bpm, _backbeat_lag(backbeats), bpm_range)
    sections = _local_tempi(
        env,
        fps,
        g_bpm,
        bpm_range=bpm_range,
        window_s=_SECTION_WINDOW_S,
        hop_s=_SECTION_HOP_S,
        backbeat_hits=backbeats,
    )
    periods, alt = _period_tracks(sections, len(env), fps)
    onset_times = _onset_times(transcription, env, fps, used)
    first_on, last_on = float(onset_times[0]), float(onset_times[-1])
    half = 0.5 * 60.0 / max(b for _, _, b in sections)
    beats_t = track_beats(env, fps, periods, alt, start_s=first_on - half, end_s=last_on + half)
    beats_t = _supported(_repair_beats(beats_t[beats_t <= last_on + half]), env, fps)
    tracked = tuple(float(x) for x in beats_t)
    if len(beats_t) >= 2:
        return fit_tempo_map(beats_t, max_error_s=max_error_s), tracked
    return TempoMap.constant(g_bpm, offset_s=first_on), tracked


def _period_tracks(
    sections: list[tuple[float, float, float]], n: int, fps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Expected beat period per frame (in frames) from the steady sections, and the second
    allowed period: the previous section's, where a section overlaps the one before it."""
    frame_t = np.arange(n) / fps
    starts = np.array([s0 for s0, _, _ in sections[1:]])
    period_of = np.array([60.0 * fps / b for _, _, b in sections])
    periods = period_of[np.searchsorted(starts, frame_t, side="right")]
    alt = periods.copy()
    for k in range(1, len(sections)):
        zone_end = (
            sections[k - 1][1] if k + 1 == len(sections) else min(sections[k - 1][1], sections[k + 1][0])
        )
        a = int(np.searchsorted(frame_t, sections[k][0], side="left"))
        b = int(np.searchsorted(frame_t, zone_end, side="left"))
        alt[a:b] = period_of[k - 1]
    return periods, alt


def _dominant_bpm(tmap: TempoMap, end_s: float) -> float:
    """The tempo of the segment that covers the most time up to ``end_s``."""
    seg_times = [s.time_s for s in tmap.segments] + [max(end_s, tmap.segments[-1].time_s)]
    spans = [seg_times[i + 1] - seg_times[i] for i in range(len(tmap.segments))]
    return float(tmap.segments[int(np.argmax(spans))].bpm)


def _onset_times(transcription: TranscriptionRecord, env: np.ndarray, fps: float, used: str) -> np.ndarray:
    if used == "hits" and transcription.hits:
        return np.array([h.time_s for h in transcription.hits])
    strong = np.flatnonzero(env > 0.3 * env.max())
    return strong / fps
