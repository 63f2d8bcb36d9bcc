"""Event-level onset scores with mir_eval, accumulated over many clips."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import mir_eval
import numpy as np

from drumscribe.contract import LANE_NAMES

__all__ = ["OnsetCounts", "OnsetScores", "match_counts", "prf"]


def match_counts(reference: np.ndarray, estimated: np.ndarray, *, window_s: float) -> int:
    """Number of matched onsets (mir_eval's bipartite matching within ``window_s``)."""
    if len(reference) == 0 or len(estimated) == 0:
        return 0
    ref = np.sort(np.asarray(reference, dtype=np.float64))
    est = np.sort(np.asarray(estimated, dtype=np.float64))
    return len(mir_eval.util.match_events(ref, est, window_s))


@dataclass
class OnsetCounts:
    """True positives, false positives and false negatives per lane."""

    tp: np.ndarray = field(default_factory=lambda: np.zeros(len(LANE_NAMES), dtype=np.int64))
    fp: np.ndarray = field(default_factory=lambda: np.zeros(len(LANE_NAMES), dtype=np.int64))
    fn: np.ndarray = field(default_factory=lambda: np.zeros(len(LANE_NAMES), dtype=np.int64))

    def add(
        self,
        lane: int,
        reference: Sequence[float] | np.ndarray,
        estimated: Sequence[float] | np.ndarray,
        *,
        window_s: float,
    ) -> None:
        """Score one clip's onsets (seconds) of one lane."""
        matched = match_counts(np.asarray(reference), np.asarray(estimated), window_s=window_s)
        self.tp[lane] += matched
        self.fp[lane] += len(estimated) - matched
        self.fn[lane] += len(reference) - matched

    def merge(self, other: OnsetCounts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def scores(self) -> OnsetScores:
        return OnsetScores.from_counts(self.tp, self.fp, self.fn)


def prf(
    tp: np.ndarray | int, fp: np.ndarray | int, fn: np.ndarray | int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 (0 where undefined) from match counts, elementwise."""
    tp_f = np.asarray(tp, dtype=np.float64)
    fp_f = np.asarray(fp, dtype=np.float64)
    fn_f = np.asarray(fn, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tp_f + fp_f > 0, tp_f / (tp_f + fp_f), 0.0)
        r = np.where(tp_f + fn_f > 0, tp_f / (tp_f + fn_f), 0.0)
        f = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    return p, r, f


@dataclass(frozen=True)
class OnsetScores:
    """Per-lane and micro-averaged precision, recall, F1 (0..1), with support."""

    precision: dict[str, float]
    recall: dict[str, float]
    f1: dict[str, float]
    support: dict[str, int]
    micro_precision: float
    micro_recall: float
    micro_f1: float

    @classmethod
    def from_counts(cls, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> OnsetScores:
        p, r, f = prf(tp, fp, fn)
        mp, mr, mf = prf(int(tp.sum()), int(fp.sum()), int(fn.sum()))
        names = LANE_NAMES
        return cls(
            precision={n: float(p[i]) for i, n in enumerate(names)},
            recall={n: float(r[i]) for i, n in enumerate(names)},
            f1={n: float(f[i]) for i, n in enumerate(names)},
            support={n: int(tp[i] + fn[i]) for i, n in enumerate(names)},
            micro_precision=float(mp),
            micro_recall=float(mr),
            micro_f1=float(mf),
        )
