"""Peak picking: onset activations -> drum hits.

Two rules (:data:`drumscribe.contract.PEAK_RULES`; a model's sidecar names its own in
``peak_picking.rule``). The ``peak`` rule (the default), per lane, on activations ``a[t]`` at
``frame_rate`` frames per second:

1. frame ``t`` is a candidate when ``a[t] >= threshold``, ``a[t] > a[t-1]`` and
   ``a[t] >= a[t+1]`` (a missing neighbour at either end of the signal counts as 0), so a
   flat top yields its first frame;
2. its time is refined below one frame by a parabola through ``a[t-1], a[t], a[t+1]``
   (the shift is clipped to half a frame; none where a neighbour is missing);
3. candidates are accepted left to right; one closer than ``min_interval_s`` to the last
   accepted hit of its lane (measured in whole frames) is dropped;
4. velocity is ``round(127 * v[t])`` from the velocity head when the model has one, else
   ``round(127 * a[t])``, clipped to 1..127.

The ``rise`` rule replaces 1 and 2: frame ``t`` is a candidate when it is the first frame at or
over the threshold of a rise, ``a[t] >= threshold``, ``a[t] > a[t-1]`` and not
(``a[t-1] >= threshold`` and ``a[t-1] > a[t-2]``) (frames before the signal count as 0), with
no refinement. Every rise that reaches the threshold gives one candidate, as every such peak
does under the ``peak`` rule, but it needs no later frame: a live model declares one hop less
latency with it (docs/LIVE.md).

The same :class:`PeakPicker` serves offline and streaming use: a frame is decided as soon as
the frames its rule reads have arrived (the next one for ``peak``, none for ``rise``) or the
stream ends, and streaming gives exactly the offline hits. The TypeScript binding ports both
rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from drumscribe.contract import DEFAULT_PEAK_RULE, LANE_NAMES, PEAK_RULE_CONFIRM_FRAMES, PEAK_RULES
from drumscribe.hits import DrumHit

__all__ = ["PeakPicker", "check_peak_rule", "pick_peaks", "resolve_thresholds"]

#: Frames before a frame that a rule reads (``rise``: two), kept between blocks.
_CONTEXT_FRAMES = 2


def check_peak_rule(rule: str) -> str:
    """``rule`` if it is one of :data:`~drumscribe.contract.PEAK_RULES`, else ``ValueError``."""
    if rule not in PEAK_RULES:
        raise ValueError(f"peak rule must be one of {', '.join(PEAK_RULES)}, got {rule!r}")
    return rule


_EPS = 1e-9


def resolve_thresholds(
    threshold: float | Sequence[float] | dict[str, float], *, n_lanes: int = len(LANE_NAMES)
) -> np.ndarray:
    """Turn one threshold, a sequence, or a ``{lane name: value}`` dict into an array.

    Returns
    -------
    numpy.ndarray
        Shape (n_lanes,), float64, each in (0, 1].

    Raises
    ------
    ValueError
        On a wrong length, an unknown lane name, or a value outside (0, 1].
    """
    if isinstance(threshold, dict):
        unknown = set(threshold) - set(LANE_NAMES[:n_lanes])
        if unknown:
            raise ValueError(f"unknown lanes in thresholds: {', '.join(sorted(unknown))}")
        missing = set(LANE_NAMES[:n_lanes]) - set(threshold)
        if missing:
            raise ValueError(f"thresholds missing for lanes: {', '.join(sorted(missing))}")
        values = np.array([float(threshold[name]) for name in LANE_NAMES[:n_lanes]])
    elif np.ndim(threshold) == 0:
        values = np.full(n_lanes, float(threshold))  # type: ignore[arg-type]
    else:
        values = np.asarray(threshold, dtype=np.float64)
        if values.shape != (n_lanes,):
            raise ValueError(f"expected {n_lanes} thresholds, got {values.size}")
    if not np.all((values > 0) & (values <= 1)):
        raise ValueError(f"thresholds must lie in (0, 1], got {values.tolist()}")
    return values


class PeakPicker:
    """Incremental peak picker; feed activation blocks in order, get hits as they settle.

    Parameters
    ----------
    frame_rate : float
        Frames per second of the activations.
    threshold : float or sequence of float or dict
        One threshold for every lane or one per lane (see :func:`resolve_thresholds`).
    min_interval_s : float
        Minimum time between two hits of one lane, in seconds.
    refine : bool
        Refine times below one frame (rule 2 of ``peak``). Live mode turns it off: a refined
        time may lie up to half a frame before its frame, which would stretch the declared
        latency.
    rule : {"peak", "rise"}
        The candidate rule (module docstring).
    """

    def __init__(
        self,
        *,
        frame_rate: float,
        threshold: float | Sequence[float] | dict[str, float] = 0.5,
        min_interval_s: float = 0.03,
        refine: bool = True,
        rule: str = DEFAULT_PEAK_RULE,
    ) -> None:
        if frame_rate <= 0:
            raise ValueError(f"frame_rate must be > 0, got {frame_rate}")
        if not 0 <= min_interval_s < math.inf:  # NaN fails this too
            raise ValueError(f"min_interval_s must be a finite number >= 0, got {min_interval_s}")
        self.frame_rate = float(frame_rate)
        self.thresholds = resolve_thresholds(threshold)
        self.min_interval_frames = min_interval_s * self.frame_rate
        self.rule = check_peak_rule(rule)
        self.refine = refine and rule == "peak"
        self._confirm = PEAK_RULE_CONFIRM_FRAMES[rule]
        self.reset()

    def reset(self) -> None:
        """Forget everything; the next block starts a new signal at frame 0."""
        n = len(self.thresholds)
        self._frames_seen = 0
        self._tail_acts = np.zeros((0, n))  # the last few frames: context, then undecided ones
        self._tail_vels: np.ndarray | None = None
        self._undecided = 0  # frames at the end of the tail not decided yet
        self._last_frame = np.full(n, -np.inf)

    def process(
        self, onsets: np.ndarray, velocities: np.ndarray | None = None, *, final: bool = False
    ) -> list[DrumHit]:
        """Take the next block of frames and return the hits now decided.

        Parameters
        ----------
        onsets : numpy.ndarray
            Shape (frames, lanes), activations in [0, 1].
        velocities : numpy.ndarray, optional
            Shape (frames, lanes), velocity head outputs in [0, 1].
        final : bool
            True on the last block: the frame after it counts as 0.

        Returns
        -------
        list of DrumHit
            Sorted by time, then lane.
        """
        onsets = np.asarray(onsets, dtype=np.float64)
        n_lanes = len(self.thresholds)
        if onsets.ndim != 2 or onsets.shape[1] != n_lanes:
            raise ValueError(f"onsets must have shape (frames, {n_lanes}), got {onsets.shape}")
        if velocities is not None:
            velocities = np.asarray(velocities, dtype=np.float64)
            if velocities.shape != onsets.shape:
                raise ValueError("velocities must have the same shape as onsets")
        start = self._frames_seen - len(self._tail_acts)  # absolute index of acts[0]
        first = len(self._tail_acts) - self._undecided  # tail frames before it are context
        acts = np.concatenate([self._tail_acts, onsets])
        vels = None
        if velocities is not None:
            tail_v = self._tail_vels if self._tail_vels is not None else np.zeros_like(self._tail_acts)
            vels = np.concatenate([tail_v, velocities])
        self._frames_seen += len(onsets)
        if len(acts) == 0:
            return []
        # Decide the frames whose right neighbours the rule reads are known (all when final).
        n_decide = len(acts) if final else max(first, len(acts) - self._confirm)
        hits = self._decide(acts, vels, start, first, n_decide) if n_decide > first else []
        keep = 0 if final else min(len(acts), _CONTEXT_FRAMES + self._confirm)
        self._tail_acts = acts[len(acts) - keep :]
        self._tail_vels = vels[len(acts) - keep :] if (vels is not None and keep) else None
        self._undecided = len(acts) - n_decide
        if final:
            self.reset()
        return hits

    def _decide(
        self, acts: np.ndarray, vels: np.ndarray | None, start: int, first: int, stop: int
    ) -> list[DrumHit]:
        zero = np.zeros((1, acts.shape[1]))
        padded = np.concatenate([zero, zero, acts, zero])  # padded[i + 2] == acts[i]
        idx = np.arange(first, stop)
        cur = padded[idx + 2]
        prev = padded[idx + 1]
        if self.rule == "rise":
            before = padded[idx]
            is_peak = (cur >= self.thresholds) & (cur > prev) & ~((prev >= self.thresholds) & (prev > before))
        else:
            is_peak = (cur >= self.thresholds) & (cur > prev) & (cur >= padded[idx + 3])
        # neighbours really present (not the zero padding) for sub-frame refinement
        abs_idx = idx + start
        left_ok = abs_idx > 0
        right_ok = idx + 1 < len(acts)
        events: list[tuple[int, int]] = []
        for i_rel, lane in zip(*np.nonzero(is_peak), strict=True):
            events.append((int(idx[i_rel]), int(lane)))
        events.sort()
        hits = []
        for i, lane in events:
            frame = i + start
            if frame - self._last_frame[lane] < self.min_interval_frames - _EPS:
                continue
            self._last_frame[lane] = frame
            shift = 0.0
            i_rel = i - first
            if self.refine and left_ok[i_rel] and right_ok[i_rel]:
                a, b, c = padded[i + 1, lane], padded[i + 2, lane], padded[i + 3, lane]
                denom = a - 2.0 * b + c
                if denom < -_EPS:
                    shift = float(np.clip(0.5 * (a - c) / denom, -0.5, 0.5))
            value = vels[i, lane] if vels is not None else acts[i, lane]
            velocity = int(np.clip(round(127.0 * float(value)), 1, 127))
            time_s = max(0.0, (frame + shift) / self.frame_rate)
            hits.append(DrumHit(time_s=time_s, drum=LANE_NAMES[lane], velocity=velocity))
        hits.sort()
        return hits


def pick_peaks(
    onsets: np.ndarray,
    *,
    frame_rate: float,
    threshold: float | Sequence[float] | dict[str, float] = 0.5,
    min_interval_s: float = 0.03,
    velocities: np.ndarray | None = None,
    rule: str = DEFAULT_PEAK_RULE,
) -> list[DrumHit]:
    """Pick drum hits from a whole activation matrix.

    Parameters
    ----------
    onsets : numpy.ndarray
        Shape (frames, 8), onset activations in [0, 1].
    frame_rate : float
        Frames per second.
    threshold : float or sequence or dict
        Per-lane or global threshold in (0, 1].
    min_interval_s : float
        Minimum seconds between two hits of one lane.
    velocities : numpy.ndarray, optional
        Shape (frames, 8), velocity outputs in [0, 1].
    rule : {"peak", "rise"}
        The candidate rule (module docstring).

    Returns
    -------
    list of DrumHit
        Sorted by time, then lane.
    """
    picker = PeakPicker(frame_rate=frame_rate, threshold=threshold, min_interval_s=min_interval_s, rule=rule)
    return picker.process(onsets, velocities, final=True)
