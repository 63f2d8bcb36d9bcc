"""Print the model card's score table from an evaluation report (report.json).

    uv run python scripts/write_model_table.py reports/default-model-test/report.json

The numbers in MODEL.md come from this script, so `drumscribe-train evaluate` reproduces them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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


def table(report: dict) -> str:
    head = report["scores"]["50ms"]
    s30, s20 = report["scores"]["30ms"], report["scores"]["20ms"]
    rows = [
        "| lane | F1 @50 ms | P | R | F1 @30 ms | F1 @20 ms | test hits | seed range | vs seed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for lane in ["kick", "snare", "hihat", "hi_tom", "mid_tom", "low_tom", "crash", "ride"]:
        f1 = 100 * head["f1"][lane]
        lo, hi = SEED_RANGES[lane]
        verdict = "above" if f1 > hi else "inside" if f1 >= lo else f"{f1 - lo:+.1f} below"
        rows.append(
            f"| {lane} | {f1:.1f} | {100 * head['precision'][lane]:.1f} | {100 * head['recall'][lane]:.1f} | "
            f"{100 * s30['f1'][lane]:.1f} | {100 * s20['f1'][lane]:.1f} | {head['support'][lane]} | {lo}-{hi} | {verdict} |"
        )
    f1 = 100 * head["micro_f1"]
    lo, hi = SEED_RANGES["overall"]
    verdict = "above" if f1 > hi else "inside" if f1 >= lo else f"{f1 - lo:+.1f} below"
    rows.append(
        f"| **overall (micro)** | **{f1:.1f}** | {100 * head['micro_precision']:.1f} | {100 * head['micro_recall']:.1f} | "
        f"{100 * s30['micro_f1']:.1f} | {100 * s20['micro_f1']:.1f} | {sum(head['support'].values())} | {lo}-{hi} | {verdict} |"
    )
    return "\n".join(rows)


def main() -> int:
    report = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    print(f"{report['clips']} clips, {report['hours']:.2f} h, kits: {', '.join(report['kits'])}\n")
    print(table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
