"""Print the model card's score tables from an evaluation report (report.json).

    uv run python scripts/write_model_table.py docs/model/reports/default-model-test/report.json [PREVIOUS.json] \
        [--group "NAME=KIT,KIT"]

With a second report (the previous default model on the same split), its F1 @50 ms is added as
a last column. The per-kit table follows when the report has one; each --group adds a row that
scores those kits together (from the per-kit match counts).

The numbers in the model card (docs/model/MODEL.md) come from this script, so `drumscribe-train evaluate` reproduces them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from drumscribe.contract import LANE_NAMES as LANES
from drumscribe_training.eval.metrics import OnsetScores

#: The seed's expected F1 ranges (percent) per lane at 50 ms.
SEED_RANGES = {
    "kick": (85, 90),
    "snare": (80, 85),
    "hihat": (75, 80),
    "hi_tom": (70, 75),
    "mid_tom": (65, 75),
    "low_tom": (65, 75),
    "crash": (70, 75),
    "ride": (70, 75),
    "overall": (70, 80),
}


def table(report: dict, previous: dict | None = None, previous_label: str = "previous") -> str:
    head = report["scores"]["50ms"]
    s30, s20 = report["scores"]["30ms"], report["scores"]["20ms"]
    prev = previous["scores"]["50ms"] if previous else None
    rows = [
        "| lane | F1 @50 ms | P | R | F1 @30 ms | F1 @20 ms | test hits | seed range | vs seed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    if prev:
        rows = [rows[0] + f" {previous_label} |", rows[1] + "---|"]
    for lane in LANES:
        f1 = 100 * head["f1"][lane]
        lo, hi = SEED_RANGES[lane]
        verdict = "above" if f1 > hi else "inside" if f1 >= lo else f"{f1 - lo:+.1f} below"
        rows.append(
            f"| {lane} | {f1:.1f} | {100 * head['precision'][lane]:.1f} | {100 * head['recall'][lane]:.1f} | "
            f"{100 * s30['f1'][lane]:.1f} | {100 * s20['f1'][lane]:.1f} | {head['support'][lane]} | {lo}-{hi} | {verdict} |"
            + (f" {100 * prev['f1'][lane]:.1f} |" if prev else "")
        )
    f1 = 100 * head["micro_f1"]
    lo, hi = SEED_RANGES["overall"]
    verdict = "above" if f1 > hi else "inside" if f1 >= lo else f"{f1 - lo:+.1f} below"
    rows.append(
        f"| **overall (micro)** | **{f1:.1f}** | {100 * head['micro_precision']:.1f} | {100 * head['micro_recall']:.1f} | "
        f"{100 * s30['micro_f1']:.1f} | {100 * s20['micro_f1']:.1f} | {sum(head['support'].values())} | {lo}-{hi} | {verdict} |"
        + (f" {100 * prev['micro_f1']:.1f} |" if prev else "")
    )
    return "\n".join(rows)


def group_row(report: dict, name: str, kits: list[str]) -> str:
    """One row scoring a group of kits together, from the per-kit match counts."""
    per_kit = report["per_kit"]
    missing = [k for k in kits if k not in per_kit]
    if missing:
        raise SystemExit(f"group {name!r}: no kit {missing} in the report (kits: {sorted(per_kit)})")
    tp, fp, fn = (
        np.array([sum(per_kit[k]["counts"][key][lane] for k in kits) for lane in LANES])
        for key in ("tp", "fp", "fn")
    )
    scores = OnsetScores.from_counts(tp, fp, fn)
    cells = [f"{100 * scores.f1[lane]:.1f}" for lane in LANES]
    clips = sum(per_kit[k]["clips"] for k in kits)
    return f"| *{name}* | {clips} | " + " | ".join(cells) + f" | {100 * scores.micro_f1:.1f} |"


def kit_table(report: dict, groups: dict[str, list[str]] | None = None) -> str:
    """F1 @50 ms per held-out kit and lane (``-``: no hit of that lane in the kit's clips)."""
    rows = [
        "| kit | clips | " + " | ".join(LANES) + " | overall |",
        "|---|---|" + "---|" * (len(LANES) + 1),
    ]
    for kit, row in report["per_kit"].items():
        cells = ["-" if row["f1"][lane] is None else f"{100 * row['f1'][lane]:.1f}" for lane in LANES]
        rows.append(f"| {kit} | {row['clips']} | " + " | ".join(cells) + f" | {100 * row['overall']:.1f} |")
    rows += [group_row(report, name, kits) for name, kits in (groups or {}).items()]
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument(
        "previous", type=Path, nargs="?", help="the previous model's report on the same split"
    )
    parser.add_argument("--previous-label", default="previous", help="header of the previous model's column")
    parser.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME=KIT,KIT",
        help="a row scoring these kits together in the per-kit table (repeatable)",
    )
    args = parser.parse_args()
    groups = {}
    for spec in args.group:
        name, _, kits = spec.partition("=")
        groups[name] = [k.strip() for k in kits.split(",") if k.strip()]
    report = json.loads(args.report.read_text(encoding="utf-8"))
    previous = json.loads(args.previous.read_text(encoding="utf-8")) if args.previous else None
    print(f"{report['clips']} clips, {report['hours']:.2f} h, kits: {', '.join(report['kits'])}\n")
    print(table(report, previous, args.previous_label))
    if report.get("per_kit"):
        print()
        print(kit_table(report, groups))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
