"""Evaluation of a model on audio + MIDI in E-GMD layout, and threshold tuning.

Scores use mir_eval's onset matching (``mir_eval.util.match_events``) per lane at 50 ms
(also 30 and 20 ms), summed over clips (micro-averaged over lanes for "overall"). Also:
velocity error of matched hits, where missed and false hits went (a confusion table),
cross-stick counted as snare and left out, lane groups (``evaluation.lane_groups``: toms or
cymbals scored as one lane, as charts with fewer lanes play them, and how often the model named
the right lane of the group), a JSON and a Markdown report, a PNG of per-lane F and a
piano-roll PNG of one clip.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import mir_eval
import numpy as np

import drumscribe
from drumscribe._io import atomic_write
from drumscribe.contract import DEFAULT_PEAK_RULE, LANE_NAMES
from drumscribe.peaks import pick_peaks
from drumscribe_training.config import Config
from drumscribe_training.data.band_mix import mix_at_level
from drumscribe_training.data.egmd import EGMDRow, OnsetEvent, read_index, read_onsets
from drumscribe_training.data.splits import assign_splits
from drumscribe_training.eval.metrics import OnsetCounts, OnsetScores, prf
from drumscribe_training.synth.band.manifest import band_path

__all__ = [
    "CROSS_STICK_NOTE",
    "WINDOWS_S",
    "ClipResult",
    "EvalReport",
    "condition_name",
    "conditions_markdown",
    "evaluate_model",
    "require_band_parts",
    "tune_thresholds",
    "write_thresholds",
]

#: Matching windows reported, seconds (the first is the headline).
WINDOWS_S: tuple[float, ...] = (0.05, 0.03, 0.02)
#: Roland cross-stick: counted as snare, and also reported with it left out.
CROSS_STICK_NOTE = 37
#: Threshold grid searched per lane on validation.
THRESHOLD_GRID = np.round(np.arange(0.10, 0.951, 0.05), 2)
_NONE = "(none)"


@dataclass
class ClipResult:
    """One clip's reference and estimated onsets."""

    audio_filename: str
    kit_name: str
    duration_s: float
    reference: tuple[OnsetEvent, ...]
    hits: tuple[drumscribe.DrumHit, ...]
    activations: np.ndarray | None = None
    velocities: np.ndarray | None = None


@dataclass
class EvalReport:
    """Scores of a model on one split."""

    model: str
    split: str
    clips: int
    hours: float
    kits: list[str]
    scores: dict[str, dict[str, Any]]  # window label -> OnsetScores as dict
    scores_without_cross_stick: dict[str, Any]
    velocity_mae: dict[str, float | None]
    confusion: dict[str, dict[str, int]]
    thresholds: dict[str, float]
    per_kit: dict[str, dict[str, Any]] = field(default_factory=dict)  # kit -> clips, hours, F1 per lane @50ms
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # group -> lanes, P/R/F1, named right
    extra: dict[str, Any] = field(default_factory=dict)

    def headline(self) -> dict[str, Any]:
        return self.scores[_label(WINDOWS_S[0])]

    def to_markdown(self) -> str:
        head = self.headline()
        lines = [
            f"# Evaluation: {self.model} on {self.split}",
            "",
            f"{self.clips} clips, {self.hours:.2f} h of audio, kits: {', '.join(self.kits)}",
            "",
            "| lane | F1 @50ms | P @50ms | R @50ms | F1 @30ms | F1 @20ms | support | velocity MAE | threshold |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name in LANE_NAMES:
            vel = self.velocity_mae.get(name)
            lines.append(
                f"| {name} | {100 * head['f1'][name]:.1f} | {100 * head['precision'][name]:.1f} | "
                f"{100 * head['recall'][name]:.1f} | {100 * self.scores[_label(0.03)]['f1'][name]:.1f} | "
                f"{100 * self.scores[_label(0.02)]['f1'][name]:.1f} | {head['support'][name]} | "
                f"{_fmt(vel)} | {self.thresholds.get(name, float('nan')):.2f} |"
            )
        lines.append(
            f"| **overall (micro)** | **{100 * head['micro_f1']:.1f}** | {100 * head['micro_precision']:.1f} | "
            f"{100 * head['micro_recall']:.1f} | {100 * self.scores[_label(0.03)]['micro_f1']:.1f} | "
            f"{100 * self.scores[_label(0.02)]['micro_f1']:.1f} | {sum(head['support'].values())} | "
            f"{_fmt(self.velocity_mae.get('overall'))} | |"
        )
        wo = self.scores_without_cross_stick
        lines += self._per_kit_markdown()
        lines += self._groups_markdown()
        lines += [
            "",
            f"Snare with cross-stick (note 37) left out of the reference: F1 {100 * wo['f1']['snare']:.1f} "
            f"(P {100 * wo['precision']['snare']:.1f}, R {100 * wo['recall']['snare']:.1f}).",
            "",
            "## Where misses and false hits went (50 ms)",
            "",
            "Rows: reference lane of a missed hit (or `(none)` for a false hit with no reference"
            " nearby); columns: the lane the model put there instead (`(none)`: nothing).",
            "",
            "| reference \\ estimate | " + " | ".join([*LANE_NAMES, _NONE]) + " |",
            "|---|" + "---|" * (len(LANE_NAMES) + 1),
        ]
        for ref in [*LANE_NAMES, _NONE]:
            row = self.confusion.get(ref, {})
            lines.append(
                f"| {ref} | " + " | ".join(str(row.get(est, 0)) for est in [*LANE_NAMES, _NONE]) + " |"
            )
        return "\n".join(lines) + "\n"

    def _per_kit_markdown(self) -> list[str]:
        if not self.per_kit:
            return []
        lines = [
            "",
            "## F1 @50ms per kit",
            "",
            "| kit | clips | " + " | ".join(LANE_NAMES) + " | overall |",
            "|---|---|" + "---|" * (len(LANE_NAMES) + 1),
        ]
        for kit, row in self.per_kit.items():
            cells = [_pct(row["f1"].get(name)) for name in LANE_NAMES]
            lines.append(f"| {kit} | {row['clips']} | " + " | ".join(cells) + f" | {_pct(row['overall'])} |")
        lines.append("")
        lines.append("`-`: the kit's clips hold no hit of that lane and the model put none there.")
        return lines

    def _groups_markdown(self) -> list[str]:
        if not self.groups:
            return []
        lines = [
            "",
            "## Lane groups (50 ms)",
            "",
            "Each group scored as one lane, as a chart with fewer lanes plays it (its lanes' hits merged,"
            " two closer than the peak picker's minimum interval counted once); *named right*: of the"
            " group's matched hits, the share the model put in the reference's own lane.",
            "",
            "| group | lanes | F1 | P | R | support | named right |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, g in self.groups.items():
            lines.append(
                f"| {name} | {', '.join(g['lanes'])} | {100 * g['f1']:.1f} | {100 * g['precision']:.1f} | "
                f"{100 * g['recall']:.1f} | {g['support']} | {_pct(g['named_right'])} |"
            )
        return lines


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _label(window: float) -> str:
    return f"{round(window * 1000)}ms"


def _ref_times(ref: Sequence[OnsetEvent], lane: int, *, skip_notes: tuple[int, ...] = ()) -> np.ndarray:
    return np.array(
        sorted(e.time_s for e in ref if e.lane == lane and e.note not in skip_notes), dtype=np.float64
    )


def _score(clips: Sequence[ClipResult], window: float, *, skip_notes: tuple[int, ...] = ()) -> OnsetScores:
    return _counts(clips, window, skip_notes=skip_notes).scores()


def _counts(clips: Sequence[ClipResult], window: float, *, skip_notes: tuple[int, ...] = ()) -> OnsetCounts:
    counts = OnsetCounts()
    for clip in clips:
        for lane, name in enumerate(LANE_NAMES):
            est = [h.time_s for h in clip.hits if h.drum == name]
            counts.add(lane, _ref_times(clip.reference, lane, skip_notes=skip_notes), est, window_s=window)
    return counts


def _per_kit(clips: Sequence[ClipResult], window: float) -> dict[str, dict[str, Any]]:
    """F1 per lane and overall for each kit's clips (None where a lane has no reference and no estimate).

    Each kit's row also holds its per-lane match counts (``counts``: tp, fp, fn).
    """
    out: dict[str, dict[str, Any]] = {}
    for kit in sorted({c.kit_name for c in clips}):
        mine = [c for c in clips if c.kit_name == kit]
        counts = _counts(mine, window)
        scores = counts.scores()
        f1: dict[str, float | None] = {
            name: (scores.f1[name] if counts.tp[i] + counts.fp[i] + counts.fn[i] else None)
            for i, name in enumerate(LANE_NAMES)
        }
        out[kit] = {
            "clips": len(mine),
            "hours": round(sum(c.duration_s for c in mine) / 3600, 3),
            "f1": f1,
            "overall": scores.micro_f1,
            "counts": {  # per lane, so any group of kits can be re-scored
                key: dict(zip(LANE_NAMES, (int(v) for v in arr), strict=True))
                for key, arr in (("tp", counts.tp), ("fp", counts.fp), ("fn", counts.fn))
            },
        }
    return out


def _group_scores(
    clips: Sequence[ClipResult],
    groups: dict[str, tuple[str, ...]],
    *,
    window_s: float,
    min_interval_s: float,
) -> dict[str, dict[str, Any]]:
    """Score each group of lanes as one lane.

    The group's estimated hits are merged in time order, a hit closer than
    ``min_interval_s`` to the last one kept is dropped (one note in a merged lane), and
    the merged hits are matched to the group's reference hits with mir_eval at
    ``window_s``. ``named_right`` is the share of matched pairs whose estimate is in the
    reference's own lane (None without matches).
    """
    out: dict[str, dict[str, Any]] = {}
    for name, lanes in groups.items():
        lane_ids = {LANE_NAMES.index(lane) for lane in lanes}
        tp = fp = fn = named = 0
        for clip in clips:
            ref = sorted((e.time_s, e.lane) for e in clip.reference if e.lane in lane_ids)
            est: list[tuple[float, int]] = []
            for h in sorted(clip.hits, key=lambda h: h.time_s):
                lane = LANE_NAMES.index(h.drum)
                if lane in lane_ids and (not est or h.time_s - est[-1][0] >= min_interval_s):
                    est.append((h.time_s, lane))
            matched = (
                mir_eval.util.match_events(
                    np.array([t for t, _ in ref]), np.array([t for t, _ in est]), window_s
                )
                if ref and est
                else []
            )
            tp += len(matched)
            fp += len(est) - len(matched)
            fn += len(ref) - len(matched)
            named += sum(ref[i][1] == est[j][1] for i, j in matched)
        p, r, f = (float(x) for x in prf(tp, fp, fn))
        out[name] = {
            "lanes": list(lanes),
            "precision": p,
            "recall": r,
            "f1": f,
            "support": tp + fn,
            "named_right": named / tp if tp else None,
        }
    return out


def _velocity_mae(clips: Sequence[ClipResult], window: float) -> dict[str, float | None]:
    errors: dict[str, list[float]] = {name: [] for name in LANE_NAMES}
    for clip in clips:
        for lane, name in enumerate(LANE_NAMES):
            ref = [e for e in clip.reference if e.lane == lane]
            est = [h for h in clip.hits if h.drum == name]
            if not ref or not est:
                continue
            ref_t = np.array([e.time_s for e in ref])
            est_t = np.array([h.time_s for h in est])
            order_r, order_e = np.argsort(ref_t), np.argsort(est_t)
            for i, j in mir_eval.util.match_events(ref_t[order_r], est_t[order_e], window):
                errors[name].append(abs(ref[order_r[i]].velocity - est[order_e[j]].velocity))
    out: dict[str, float | None] = {k: (float(np.mean(v)) if v else None) for k, v in errors.items()}
    every = [x for v in errors.values() for x in v]
    out["overall"] = float(np.mean(every)) if every else None
    return out


def _confusion(clips: Sequence[ClipResult], window: float) -> dict[str, dict[str, int]]:
    """Missed references -> nearest unmatched estimate's lane; false estimates with no reference -> (none)."""
    table: dict[str, dict[str, int]] = {r: {} for r in [*LANE_NAMES, _NONE]}
    for clip in clips:
        unmatched_ref: list[tuple[float, str]] = []
        unmatched_est: list[tuple[float, str]] = []
        for lane, name in enumerate(LANE_NAMES):
            ref_t = _ref_times(clip.reference, lane)
            est_t = np.array(sorted(h.time_s for h in clip.hits if h.drum == name))
            matched = mir_eval.util.match_events(ref_t, est_t, window) if len(ref_t) and len(est_t) else []
            mr = {i for i, _ in matched}
            me = {j for _, j in matched}
            unmatched_ref += [(float(t), name) for i, t in enumerate(ref_t) if i not in mr]
            unmatched_est += [(float(t), name) for j, t in enumerate(est_t) if j not in me]
        used: set[int] = set()
        for t, ref_name in unmatched_ref:
            best, best_d = None, window
            for k, (te, _) in enumerate(unmatched_est):
                d = abs(te - t)
                if k not in used and d <= best_d:
                    best, best_d = k, d
            est_name = _NONE if best is None else unmatched_est[best][1]
            if best is not None:
                used.add(best)
            table[ref_name][est_name] = table[ref_name].get(est_name, 0) + 1
        for k, (_, est_name) in enumerate(unmatched_est):
            if k not in used:
                table[_NONE][est_name] = table[_NONE].get(est_name, 0) + 1
    return table


def select_rows(cfg: Config, data_dir: str | Path, split: str) -> list[EGMDRow]:
    """Rows of one split (``train``/``val``/``test``), assigned as preprocessing does."""
    rows = read_index(data_dir)
    splits = assign_splits(
        rows, mode=cfg.data.split_mode, fractions=cfg.data.grouped_fractions, seed=cfg.data.split_seed
    )
    key = {"validation": "val"}.get(split, split)
    if key not in splits:
        raise ValueError(f"unknown split {split!r}; use train, val or test")
    return list(splits[key])


def run_clips(
    model: drumscribe.Model,
    cfg: Config,
    data_dir: str | Path,
    rows: Sequence[EGMDRow],
    *,
    thresholds: float | dict[str, float] | None = None,
    keep_activations: bool = False,
    progress: Callable[[int], None] | None = None,
    band_level_db: float | None = None,
) -> list[ClipResult]:
    """Transcribe each row's audio and read its reference onsets.

    With ``band_level_db``, each clip is transcribed as a full mix: its drums plus its band
    part (``<clip>.band.wav``) at that drums-to-band level in dB (0 = equal loudness,
    negative = band louder; :func:`~drumscribe_training.data.band_mix.mix_at_level`).
    Rows without a band part are left out.
    """
    root = Path(data_dir)
    out = []
    for i, row in enumerate(rows):
        audio: Any = root / row.audio_filename
        sample_rate = None
        if band_level_db is not None:
            band_file = band_path(root, row.audio_filename)
            if band_file is None:
                continue
            audio, sample_rate = _mixed_clip(audio, band_file, band_level_db)
        ref = read_onsets(
            root / row.midi_filename, note_map=cfg.classes.note_map, ignored_notes=cfg.classes.ignored_notes
        )
        result = drumscribe.transcribe(
            audio,
            sample_rate=sample_rate,
            model=model,
            thresholds=thresholds,
            keep_activations=keep_activations,
        )
        out.append(
            ClipResult(
                audio_filename=row.audio_filename,
                kit_name=row.kit_name,
                duration_s=result.duration_s,
                reference=ref.events,
                hits=result.hits,
                activations=result.activations,
            )
        )
        if progress is not None:
            progress(i + 1)
    return out


def _mixed_clip(drums_file: Path, band_file: Path, level_db: float) -> tuple[np.ndarray, int]:
    """A clip's drums and band part mixed at ``level_db`` (float32 mono, the files' rate)."""
    import soundfile as sf

    drums, sr = sf.read(drums_file, dtype="float32", always_2d=True)
    band, band_sr = sf.read(band_file, dtype="float32", always_2d=True)
    if band_sr != sr:
        raise ValueError(f"{band_file}: band part at {band_sr} Hz, its drums at {sr} Hz")
    return mix_at_level(drums.mean(axis=1), band.mean(axis=1), level_db=level_db, sample_rate=sr), sr


def require_band_parts(data_dir: str | Path, rows: Sequence[EGMDRow], split: str) -> None:
    """Raise ValueError unless some of ``rows`` has a band part (a mix to score).

    Raises
    ------
    ValueError
        Naming the folder and the split, and how to render band parts.
    """
    if not any(band_path(data_dir, r.audio_filename) for r in rows):
        raise ValueError(
            f"{data_dir}: no clip of split {split!r} has a band part; render them with "
            "`drumscribe-train synth --band` over the same folder"
        )


def condition_name(band_level_db: float | None) -> str:
    """How a report names its listening condition: ``drums`` or ``mix+0dB``, ``mix-6dB``."""
    return "drums" if band_level_db is None else f"mix{band_level_db:+g}dB"


def tune_thresholds(
    clips: Sequence[ClipResult],
    *,
    frame_rate: float,
    min_interval_s: float,
    window_s: float = WINDOWS_S[0],
    rule: str = DEFAULT_PEAK_RULE,
) -> tuple[dict[str, float], dict[str, float]]:
    """Per-lane threshold maximising F1 at ``window_s`` over ``clips`` (which hold activations),
    with the model's peak rule (``rule``, see :mod:`drumscribe.peaks`).

    Returns
    -------
    thresholds : dict of str to float
    f1 : dict of str to float
        The F1 each threshold reaches on these clips.
    """
    best_thr: dict[str, float] = {}
    best_f1: dict[str, float] = {}
    for lane, name in enumerate(LANE_NAMES):
        scores = []
        for thr in THRESHOLD_GRID:
            counts = OnsetCounts()
            for clip in clips:
                if clip.activations is None:
                    raise ValueError("tune_thresholds needs clips with activations")
                acts = np.zeros_like(clip.activations)
                acts[:, lane] = clip.activations[:, lane]
                hits = pick_peaks(
                    acts,
                    frame_rate=frame_rate,
                    threshold=float(thr),
                    min_interval_s=min_interval_s,
                    rule=rule,
                )
                counts.add(
                    lane, _ref_times(clip.reference, lane), [h.time_s for h in hits], window_s=window_s
                )
            scores.append(counts.scores().f1[name])
        k = int(np.argmax(scores))  # first best: the lowest threshold among ties
        best_thr[name] = float(THRESHOLD_GRID[k])
        best_f1[name] = float(scores[k])
    return best_thr, best_f1


def update_sidecar(
    model_path: str | Path, *, thresholds: dict[str, float] | None = None, extra: dict[str, Any] | None = None
) -> Path:
    """Rewrite a model's sidecar with new thresholds and/or extra keys (the .onnx is untouched)."""
    from drumscribe.model import rewrite_sidecar

    return rewrite_sidecar(model_path, thresholds=thresholds, extra=extra)


def write_thresholds(
    model_path: str | Path, thresholds: dict[str, float], *, tuned_on: dict[str, Any]
) -> Path:
    """Rewrite a model's sidecar with new per-lane thresholds (the .onnx is untouched)."""
    return update_sidecar(model_path, thresholds=thresholds, extra={"threshold_tuning": tuned_on})


def sidecar_metrics(report: EvalReport) -> dict[str, Any]:
    """The compact per-lane scores stored in a sidecar's ``metrics``."""
    out: dict[str, Any] = {
        "split": report.split,
        "clips": report.clips,
        "hours": round(report.hours, 3),
        "kits": report.kits,
    }
    for label, scores in report.scores.items():
        out[f"f1_{label}"] = {k: round(v, 4) for k, v in scores["f1"].items()} | {
            "overall": round(scores["micro_f1"], 4)
        }
    return out


def evaluate_model(
    model: drumscribe.Model,
    cfg: Config,
    data_dir: str | Path,
    *,
    split: str = "test",
    limit: int | None = None,
    progress: bool = False,
    band_level_db: float | None = None,
) -> tuple[EvalReport, list[ClipResult]]:
    """Score ``model`` on one split of an E-GMD-layout folder.

    ``band_level_db`` scores the split as full mixes at that drums-to-band level (see
    :func:`run_clips`); the report's ``extra["condition"]`` names the condition.

    Raises
    ------
    ValueError
        If the split has no rows, or (with ``band_level_db``) none of them a band part.
    """
    rows = select_rows(cfg, data_dir, split)[:limit]
    if not rows:
        raise ValueError(f"{data_dir}: no rows in split {split!r}")
    condition = condition_name(band_level_db)
    if band_level_db is not None:
        require_band_parts(data_dir, rows, split)
    bar = _bar(len(rows), f"evaluate {split} {condition}") if progress else None
    clips = run_clips(
        model,
        cfg,
        data_dir,
        rows,
        keep_activations=True,
        progress=bar.update_to if bar else None,
        band_level_db=band_level_db,
    )
    if bar:
        bar.close()
    scores = {_label(w): asdict(_score(clips, w)) for w in WINDOWS_S}
    report = EvalReport(
        model=str(model.path),
        split=split,
        clips=len(clips),
        hours=sum(c.duration_s for c in clips) / 3600,
        kits=sorted({c.kit_name for c in clips}),
        scores=scores,
        scores_without_cross_stick=asdict(_score(clips, WINDOWS_S[0], skip_notes=(CROSS_STICK_NOTE,))),
        velocity_mae=_velocity_mae(clips, WINDOWS_S[0]),
        confusion=_confusion(clips, WINDOWS_S[0]),
        thresholds=dict(model.spec.thresholds),
        per_kit=_per_kit(clips, WINDOWS_S[0]),
        groups=_group_scores(
            clips,
            cfg.evaluation.lane_groups,
            window_s=WINDOWS_S[0],
            min_interval_s=model.spec.min_interval_s,
        ),
        extra={"condition": condition, "band_level_db": band_level_db, "clips_in_split": len(rows)},
    )
    return report, clips


def conditions_markdown(reports: Sequence[EvalReport]) -> str:
    """One table of F1 at 50 ms per lane with the listening conditions side by side.

    Parameters
    ----------
    reports : sequence of EvalReport
        Reports of one model on one split, one per condition (``extra["condition"]``).
    """
    names = [str(r.extra.get("condition", "drums")) for r in reports]
    heads = [r.headline() for r in reports]
    first = reports[0]
    lines = [
        f"# Evaluation: {first.model} on {first.split}, by listening condition",
        "",
        "F1 at 50 ms. `drums`: the drum stems alone; `mix+0dB`, `mix-6dB`: each clip's drums with its"
        " band part at that drums-to-band loudness (negative: band louder), held-out band sources"
        " on held-out kits.",
        "",
        "| lane | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for lane in LANE_NAMES:
        lines.append(f"| {lane} | " + " | ".join(f"{100 * h['f1'][lane]:.1f}" for h in heads) + " |")
    lines.append(
        "| **overall (micro)** | " + " | ".join(f"**{100 * h['micro_f1']:.1f}**" for h in heads) + " |"
    )
    lines.append("| clips | " + " | ".join(str(r.clips) for r in reports) + " |")
    return "\n".join(lines) + "\n"


class _bar:
    def __init__(self, total: int, desc: str) -> None:
        from tqdm import tqdm

        self._t = tqdm(total=total, desc=desc, unit="clip")

    def update_to(self, n: int) -> None:
        self._t.update(n - self._t.n)

    def close(self) -> None:
        self._t.close()


def write_reports(
    report: EvalReport, clips: Sequence[ClipResult], out_dir: str | Path, *, frame_rate: float
) -> list[Path]:
    """JSON + Markdown reports, a per-lane F1 bar chart and one clip's piano roll (PNGs)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md", out / "f1_per_lane.png", out / "piano_roll.png"]
    with atomic_write(paths[0]) as fh:
        json.dump(asdict(report), fh, indent=2)
    with atomic_write(paths[1]) as fh:
        fh.write(report.to_markdown())
    _plot_f1(report, paths[2])
    busiest = max(clips, key=lambda c: len({e.lane for e in c.reference}))
    _plot_piano_roll(busiest, paths[3], frame_rate=frame_rate)
    return paths


def _save_png(fig: Any, path: Path) -> None:
    """Save a matplotlib figure atomically and close it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    with tempfile.NamedTemporaryFile(suffix=".png", dir=path.parent, delete=False) as tmp:
        fig.savefig(tmp.name, dpi=110)
    Path(tmp.name).replace(path)
    plt.close(fig)


def _plot_f1(report: EvalReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    head = report.headline()
    fig, ax = plt.subplots(figsize=(8, 3.5))
    values = [100 * head["f1"][n] for n in LANE_NAMES]
    ax.bar(LANE_NAMES, values, color="#4c72b0")
    for i, v in enumerate(values):
        ax.text(i, v + 1, f"{v:.0f}", ha="center", fontsize=8)
    ax.axhline(
        100 * head["micro_f1"], color="#c44e52", ls="--", lw=1, label=f"overall {100 * head['micro_f1']:.1f}"
    )
    ax.set_ylim(0, 105)
    ax.set_ylabel("F1 at 50 ms (%)")
    ax.set_title(f"{Path(report.model).name} on {report.split} ({report.clips} clips)")
    ax.legend(loc="lower right")
    _save_png(fig, path)


def _plot_piano_roll(clip: ClipResult, path: Path, *, frame_rate: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    span = min(clip.duration_s, 12.0)
    fig, ax = plt.subplots(figsize=(12, 4))
    if clip.activations is not None:
        n = min(len(clip.activations), int(span * frame_rate))
        ax.imshow(
            clip.activations[:n].T,
            aspect="auto",
            origin="lower",
            extent=(0, n / frame_rate, -0.5, len(LANE_NAMES) - 0.5),
            cmap="Greys",
            vmin=0,
            vmax=1,
            alpha=0.6,
        )
    ref = [e for e in clip.reference if e.time_s <= span]
    est = [h for h in clip.hits if h.time_s <= span]
    ax.scatter(
        [e.time_s for e in ref],
        [e.lane for e in ref],
        marker="o",
        s=60,
        facecolors="none",
        edgecolors="#2ca02c",
        label="truth",
    )
    ax.scatter(
        [h.time_s for h in est], [h.lane for h in est], marker="x", s=30, color="#d62728", label="predicted"
    )
    ax.set_yticks(range(len(LANE_NAMES)), LANE_NAMES)
    ax.set_xlabel("time (s)")
    ax.set_title(f"{clip.audio_filename} ({clip.kit_name}): activations, truth (o) and predictions (x)")
    ax.legend(loc="upper right")
    _save_png(fig, path)


def model_from_checkpoint(checkpoint: str | Path) -> drumscribe.model.InferenceModel:
    """A checkpoint as a runtime-compatible model (torch eager, the config's peak picking).

    ``drumscribe.transcribe`` runs it through the same chunking and peak picking as an
    exported ONNX model, so their hits agree (the exporter's parity check measures it).
    """
    from drumscribe_training.network.checkpoint import load_checkpoint
    from drumscribe_training.network.torch_transcriber import TorchModel

    return TorchModel(load_checkpoint(checkpoint))
