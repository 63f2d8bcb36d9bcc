"""Compare two evaluation reports of the same clips with a paired bootstrap over kits.

The question a model choice asks is whether a candidate would do better on kits neither model
heard, and the kits, not the clips, are the sample: a held-out split of five or ten kits
moves by whole points when one kit's cymbals happen to suit a model. :func:`compare_reports`
resamples the kits of two ``report.json`` files (written by ``drumscribe-train evaluate`` on
the same split) with replacement, pools each resample's per-lane match counts, and gives the
difference in F1 (candidate minus baseline) with a percentile interval and the share of
resamples in which the candidate is ahead. Kits that share recordings or a maker (the presets of
one SoundFont) are not independent: with ``families`` the resampled units are kit families,
each drawn with all its kits (:func:`registry_families` reads them from the kit registry).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from drumscribe.contract import LANE_NAMES

__all__ = ["Comparison", "LaneDifference", "compare_reports", "kit_counts", "registry_families"]

_COUNTS = ("tp", "fp", "fn")


@dataclass(frozen=True)
class LaneDifference:
    """One score of two models and its bootstrap over kits.

    Attributes
    ----------
    name : str
        A lane name, ``"overall"`` (micro-averaged F1) or ``"lane_mean"`` (mean of the
        per-lane F1 over the lanes with hits).
    baseline, candidate : float
        The score of each model on all kits, 0..1.
    low, high : float
        Percentile interval of ``candidate - baseline`` over kit resamples.
    ahead : float
        Share of resamples in which the candidate scores higher, 0..1.
    """

    name: str
    baseline: float
    candidate: float
    low: float
    high: float
    ahead: float

    @property
    def difference(self) -> float:
        """``candidate - baseline`` on all kits."""
        return self.candidate - self.baseline


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare_reports`."""

    baseline: str
    candidate: str
    kits: tuple[str, ...]
    resamples: int
    confidence: float
    rows: tuple[LaneDifference, ...]
    units: tuple[str, ...] = ()  # the resampled kit families; empty: each kit on its own

    def to_markdown(self) -> str:
        """A table of the scores, differences and intervals in points (F1 x 100)."""
        pct = round(100 * self.confidence)
        lines = [
            f"Baseline: {self.baseline}",
            f"Candidate: {self.candidate}",
            f"{len(self.kits)} kits, {self.resamples} paired resamples of the kits"
            + (f" by family ({len(self.units)}: {', '.join(self.units)})" if self.units else ""),
            "",
            f"| score | baseline | candidate | difference | {pct} % interval | candidate ahead |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.rows:
            lines.append(
                f"| {r.name} | {100 * r.baseline:.1f} | {100 * r.candidate:.1f} | {100 * r.difference:+.1f} "
                f"| {100 * r.low:+.1f} .. {100 * r.high:+.1f} | {100 * r.ahead:.0f} % |"
            )
        return "\n".join(lines) + "\n"


def kit_counts(report: dict[str, Any], *, source: str = "report") -> dict[str, np.ndarray]:
    """Per-kit match counts of a report.

    Returns
    -------
    dict[str, numpy.ndarray]
        Kit name -> int array of shape (3, 8): rows tp, fp, fn; columns the lanes in
        :data:`drumscribe.contract.LANE_NAMES` order (50 ms window).
    """
    per_kit = report.get("per_kit")
    if not isinstance(per_kit, dict) or not per_kit:
        raise ValueError(f"{source}: no per-kit scores (write it with a current `drumscribe-train evaluate`)")
    out = {}
    for kit, row in per_kit.items():
        counts = row.get("counts") if isinstance(row, dict) else None
        if not isinstance(counts, dict) or any(c not in counts for c in _COUNTS):
            raise ValueError(f"{source}: kit {kit!r} has no tp/fp/fn counts")
        out[kit] = np.array([[int(counts[c].get(lane, 0)) for lane in LANE_NAMES] for c in _COUNTS])
    return out


def registry_families(kits: list[str] | tuple[str, ...] | None = None) -> dict[str, str]:
    """Kit name -> family: a SoundFont's presets share one (``KitSpec.family``, e.g. the seven
    TimGM6mb presets of the validation split); any other kit, or one the registry does not
    know (real E-GMD kits), is a family of its own. ``kits`` defaults to every registry kit
    (:func:`compare_reports` takes a kit missing from the mapping as a family of its own)."""
    from drumscribe_training.synth.registry import KIT_NAMES, get_spec

    out = {}
    for kit in KIT_NAMES if kits is None else kits:
        family = get_spec(kit).family if kit in KIT_NAMES else ""
        out[kit] = family or kit
    return out


def _scores(counts: np.ndarray) -> np.ndarray:
    """F1 per lane, then overall (micro) and lane mean, from pooled counts of shape (..., 3, 8).

    Returns shape (..., 10); a lane without reference or estimate is NaN and left out of the mean.
    """
    tp, fp, fn = counts[..., 0, :], counts[..., 1, :], counts[..., 2, :]
    denom = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), np.nan)
        t, d = tp.sum(-1), denom.sum(-1)
        overall = np.where(d > 0, 2 * t / np.maximum(d, 1), np.nan)
    return np.concatenate([f1, overall[..., None], np.nanmean(f1, axis=-1)[..., None]], axis=-1)


def compare_reports(
    baseline: str | os.PathLike[str],
    candidate: str | os.PathLike[str],
    *,
    resamples: int = 10_000,
    confidence: float = 0.95,
    seed: int = 0,
    families: dict[str, str] | None = None,
) -> Comparison:
    """Paired bootstrap over kits of two models' scores on the same split.

    Parameters
    ----------
    baseline, candidate : path-like
        ``report.json`` files of ``drumscribe-train evaluate`` on the same clips.
    resamples : int, keyword-only
        Number of kit resamples (each draws as many kits as the split has, with replacement,
        the same kits for both models).
    confidence : float, keyword-only
        Coverage of the percentile interval, in (0, 1).
    seed : int, keyword-only
        Seed of the resampling.
    families : dict of str to str, keyword-only
        Kit -> family; when given, each resample draws as many families as there are, with
        replacement, each with all its kits (kits missing from it are families of their own).

    Raises
    ------
    ValueError
        If a report has no per-kit counts, or the two reports hold different kits or clips.
    """
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    reports = []
    for path in (baseline, candidate):
        try:
            reports.append(json.loads(Path(path).read_text()))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a readable report.json ({exc})") from exc
    a, b = (kit_counts(r, source=str(p)) for r, p in zip(reports, (baseline, candidate), strict=True))
    if sorted(a) != sorted(b):
        raise ValueError(f"{baseline} and {candidate} score different kits: {sorted(a)} vs {sorted(b)}")
    kits = tuple(sorted(a))
    for kit in kits:
        ref_a, ref_b = a[kit][0] + a[kit][2], b[kit][0] + b[kit][2]  # tp + fn = reference hits
        if not np.array_equal(ref_a, ref_b):
            raise ValueError(f"{baseline} and {candidate} hold different reference hits for kit {kit!r}")
    of_kit = {k: (families or {}).get(k, k) for k in kits}
    units = tuple(sorted(set(of_kit.values())))
    # per unit (a kit, or a family of kits) the summed counts: (units, 3, 8)
    ca = np.stack([sum(a[k] for k in kits if of_kit[k] == u) for u in units])
    cb = np.stack([sum(b[k] for k in kits if of_kit[k] == u) for u in units])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(units), size=(resamples, len(units)))
    sa, sb = _scores(ca[idx].sum(1)), _scores(cb[idx].sum(1))  # (resamples, 10)
    diff = sb - sa
    full_a, full_b = _scores(ca.sum(0)), _scores(cb.sum(0))
    tail = 100 * (1 - confidence) / 2
    names = (*LANE_NAMES, "overall", "lane_mean")
    rows = []
    for j, name in enumerate(names):
        if np.isnan(full_a[j]) or np.isnan(full_b[j]):
            continue  # a lane no kit of the split plays
        d = diff[:, j][~np.isnan(diff[:, j])]
        low, high = np.percentile(d, [tail, 100 - tail])
        rows.append(
            LaneDifference(
                name=name,
                baseline=float(full_a[j]),
                candidate=float(full_b[j]),
                low=float(low),
                high=float(high),
                ahead=float(np.mean(d > 0)),
            )
        )
    return Comparison(
        baseline=str(baseline),
        candidate=str(candidate),
        kits=kits,
        resamples=resamples,
        confidence=confidence,
        rows=tuple(rows),
        units=units if families is not None else (),
    )
