"""The seed's ``transcribe.py audio.wav output.mid --threshold 0.6 --min-interval 0.03``.

Maps onto ``drumscribe transcribe audio.wav -o output.mid ...``; the output format
follows the extension (.mid or .json). Other flags pass through unchanged.
"""

from __future__ import annotations

import sys

from drumscribe.cli import main


def _translate(argv: list[str]) -> list[str]:
    positional = [a for a in argv if not a.startswith("-")]
    # flags that take a value: keep their values out of the positionals
    takes_value = {
        "--threshold",
        "--min-interval",
        "--model",
        "--format",
        "--chunk",
        "--threads",
        "--bpm",
        "--offset",
    }
    values = {argv[i + 1] for i, a in enumerate(argv[:-1]) if a in takes_value}
    positional = [a for a in positional if a not in values]
    if len(positional) == 2:
        src, out = positional
        rest = [a for a in argv if a not in (src, out)]
        return ["transcribe", src, "-o", out, *rest]
    return ["transcribe", *argv]


if __name__ == "__main__":
    raise SystemExit(main(_translate(sys.argv[1:])))
