"""The seed's entry point: ``python scripts/train.py --config C --experiment-name NAME ...``.

Same flags as ``drumscribe-train fit`` (it is that command).
"""

from __future__ import annotations

import sys

from drumscribe_training.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["fit", *sys.argv[1:]]))
