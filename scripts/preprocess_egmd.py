#!/usr/bin/env python
"""Seed-compatible entry point: ``python scripts/preprocess_egmd.py --config ... --num-workers 8 --use-hdf5``.

The same as ``drumscribe-train preprocess`` (see ``drumscribe_training.cli``).
"""

from __future__ import annotations

import sys

from drumscribe_training.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["preprocess", *sys.argv[1:]]))
