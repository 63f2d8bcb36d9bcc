"""Average the weights of checkpoints of one lineage ("model soup") into a new checkpoint.

    uv run python scripts/average_checkpoints.py A.ckpt B.ckpt [...] -o soup.ckpt [--weights 1 1]

The result exports and evaluates like any checkpoint (bash scripts/build_default_model.sh
soup.ckpt); see drumscribe_training.network.checkpoint.average_checkpoints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from drumscribe.errors import ModelError
from drumscribe_training.network.checkpoint import average_checkpoints


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--weights", nargs="+", type=float, help="one weight per checkpoint (default equal)")
    args = parser.parse_args()
    try:
        out = average_checkpoints(args.checkpoints, args.out, weights=args.weights)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
