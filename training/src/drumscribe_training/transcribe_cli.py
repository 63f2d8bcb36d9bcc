"""``drumscribe-train transcribe AUDIO OUT --checkpoint best.ckpt``: the seed's way, from a checkpoint.

The checkpoint runs through the runtime's chunking, peak picking and writers, so the output
equals what the exported ONNX model gives (up to the parity tolerance).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "transcribe", help="transcribe audio with a checkpoint (torch)"
    )
    p.add_argument("audio", help="audio file")
    p.add_argument("output", help="output .mid or .json")
    p.add_argument("--checkpoint", required=True, help="a .ckpt from drumscribe-train fit")
    p.add_argument("--threshold", type=float, help="peak threshold (default: the config's)")
    p.add_argument(
        "--min-interval", type=float, help="seconds between hits of a lane (default: the config's)"
    )
    p.add_argument("--format", choices=["midi", "json"], help="default: from the extension")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import drumscribe
    from drumscribe_training.checkpoint import load_checkpoint
    from drumscribe_training.torch_model import TorchModel

    model = TorchModel(load_checkpoint(args.checkpoint), thresholds=args.threshold)
    result = drumscribe.transcribe(args.audio, model=model, min_interval_s=args.min_interval)
    result.write(args.output, format=args.format)
    print(f"{args.audio} -> {args.output}: {len(result.hits)} hits")
    return 0
