"""Regenerate the tables of docs/RELIABILITY.md from tests/runtime/reliability_cases.py.

Runs every case (the same runs the tests make, with the tiny test model) and writes what
each one printed between the ``<!-- table:NAME -->`` markers; the prose around them is
left alone. The tests fail when a row no longer says what the code does, so run this after
changing an error message or adding a case:

    uv run python scripts/write_reliability_table.py          # rewrite the tables
    uv run python scripts/write_reliability_table.py --check  # exit 1 if they are stale
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "runtime")]

import reliability_cases as rc  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the document is up to date")
    args = parser.parse_args(argv)
    text = rc.DOC.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        sections = rc.render_sections(rc.make_context(Path(tmp) / "ctx"), Path(tmp) / "cases")
    new = rc.replace_sections(text, sections)
    if args.check:
        if new != text:
            print(f"{rc.DOC}: tables are stale; run scripts/write_reliability_table.py", file=sys.stderr)
            return 1
        print(f"{rc.DOC}: up to date")
        return 0
    if new != text:
        rc.DOC.write_text(new, encoding="utf-8")
        print(f"{rc.DOC}: tables rewritten")
    else:
        print(f"{rc.DOC}: already up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
