"""``drumscribe-export CKPT -o model.onnx``: checkpoint -> ONNX + sidecar, parity, variants.

A causal checkpoint (``model.kind: causal``) is exported as the live, stateful graph (docs/LIVE.md).
An exported ``model.onnx`` in place of the checkpoint makes variants of it only (``--int8-static``,
``--int8``, ``--fp16``; export settings from the default config), written beside ``-o``.

``drumscribe-export average A.onnx B.onnx [...] -o model.onnx [--weights 0.5 0.5]`` writes the
weighted mean of exports of one network (:mod:`drumscribe_exporters.average`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drumscribe.contract import PEAK_RULES

if TYPE_CHECKING:
    from drumscribe_training.config import Config
    from drumscribe_training.network.checkpoint import LoadedCheckpoint

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="drumscribe-export",
        description="Export a drumscribe checkpoint to ONNX.",
        epilog="drumscribe-export average A.onnx B.onnx -o OUT.onnx: the weighted mean of exported"
        " models of one network (drumscribe-export average --help).",
    )
    p.add_argument(
        "checkpoint",
        help="a .ckpt written by drumscribe-train fit, or an exported model.onnx to make variants of",
    )
    p.add_argument("-o", "--output", required=True, help="model.onnx to write (sidecar: model.onnx.json)")
    p.add_argument("--name", default="drumscribe", help="model name in the sidecar")
    p.add_argument("--thresholds", help="JSON file {lane: threshold} or one number (default: config)")
    p.add_argument("--min-interval", type=float, help="seconds (default: config)")
    p.add_argument(
        "--peak-rule",
        choices=PEAK_RULES,
        help="peak picking rule for the sidecar (default: config); rise takes a live model's"
        " peak confirmation hop off its declared latency (docs/LIVE.md)",
    )
    p.add_argument("--chunk-s", type=float, help="inference chunk length in seconds (default: config)")
    p.add_argument("--context-s", type=float, help="context each side of a chunk, seconds (default: config)")
    p.add_argument(
        "--training-info", help="JSON file merged into the sidecar's training summary (data, hardware, time)"
    )
    p.add_argument("--no-parity", action="store_true", help="skip the torch vs onnxruntime parity check")
    p.add_argument("--int8", action="store_true", help="also write model.int8.onnx (dynamic int8)")
    p.add_argument("--fp16", action="store_true", help="also write model.fp16.onnx")
    p.add_argument(
        "--int8-static",
        nargs="+",
        metavar="AUDIO",
        help="also write model.int8-static.onnx (static int8 of the body convolutions, faster on CPU),"
        " calibrated on these audio files or folders (real-like drums and mixes, not the test split);"
        " settings: the config's export section",
    )
    return p


def build_average_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="drumscribe-export average",
        description="Average exported models of one network (model.onnx files with sidecars, fp32 or"
        " static int8, at least one fp32), e.g. a fine-tune and the model it started from.",
    )
    p.add_argument("models", nargs="+", help="two or more model.onnx files of one network")
    p.add_argument("-o", "--output", required=True, help="model.onnx to write (sidecar: model.onnx.json)")
    p.add_argument("--weights", nargs="+", type=float, help="one weight per model (default equal)")
    p.add_argument("--name", help="model name in the sidecar (default: the first model's, -average)")
    p.add_argument("--training-info", help="JSON file merged into the sidecar's training summary")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    averaging = bool(argv) and argv[0] == "average"
    args = build_average_parser().parse_args(argv[1:]) if averaging else build_parser().parse_args(argv)
    from drumscribe.errors import DrumscribeError

    try:
        return _run_average(args) if averaging else _run(args)
    except DrumscribeError as exc:
        print(f"drumscribe-export: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from drumscribe_exporters.onnx_export import export_checkpoint
    from drumscribe_exporters.parity import check_parity
    from drumscribe_training.network.checkpoint import load_checkpoint

    thresholds: float | dict[str, float] | None = None
    if args.thresholds:
        try:
            thresholds = float(args.thresholds)
        except ValueError:
            thresholds = _read_json_object(args.thresholds, what="thresholds")
    training_info: dict[str, Any] | None = None
    if args.training_info:
        training_info = _read_json_object(args.training_info, what="training info")
    out = Path(args.output)
    if Path(args.checkpoint).suffix == ".onnx":
        return _variants_of_onnx(args, Path(args.checkpoint), out)
    loaded = load_checkpoint(args.checkpoint)
    if args.peak_rule is not None:
        config = loaded.config.replace(peak_picking={"rule": args.peak_rule})
        loaded = dataclasses.replace(loaded, config=config)
    out.parent.mkdir(parents=True, exist_ok=True)
    if loaded.model.causal:
        return _run_live(args, loaded, out, thresholds=thresholds, training_info=training_info)
    result = export_checkpoint(
        loaded,
        out,
        thresholds=thresholds,
        min_interval_s=args.min_interval,
        chunk_s=args.chunk_s,
        context_s=args.context_s,
        name=args.name,
        training=training_info,
    )
    print(f"wrote {result.onnx_path} and {result.sidecar_path.name}")
    status = 0
    if not args.no_parity:
        report = check_parity(loaded.model, out)
        print(report.table())
        if not report.ok:
            print(f"drumscribe-export: parity FAILED (atol {report.atol})", file=sys.stderr)
            status = 1
    _write_variants(args, out, loaded.config)
    return status


def _run_average(args: argparse.Namespace) -> int:
    from drumscribe_exporters.average import average_models

    training = _read_json_object(args.training_info, what="training info") if args.training_info else None
    out = average_models(args.models, args.output, weights=args.weights, name=args.name, training=training)
    print(f"wrote {out} (average of {len(args.models)} models)")
    return 0


def _variants_of_onnx(args: argparse.Namespace, src: Path, out: Path) -> int:
    """An exported model given in place of a checkpoint: copy it to ``out`` (if elsewhere), then
    the variants asked for beside it."""
    from drumscribe.errors import DrumscribeError
    from drumscribe.model import load_model
    from drumscribe_exporters.quantize import copy_model
    from drumscribe_training.config import load_config

    given = [flag for flag, value in _CHECKPOINT_ONLY.items() if getattr(args, value) is not None]
    if given:
        raise DrumscribeError(f"{src}: {', '.join(given)} need a checkpoint, not an exported model")
    if not (args.int8 or args.fp16 or args.int8_static):
        raise DrumscribeError(
            f"{src}: an exported model: say which variants to make (--int8-static, --int8, --fp16)"
        )
    spec = load_model(src, cache=False).spec  # the contract and the sidecar's hash hold
    if out.resolve() != src.resolve():
        copy_model(src, out)
        print(f"wrote {out}")
    config = load_config().replace(audio={"sample_rate": spec.sample_rate, "hop_length": spec.hop_length})
    _write_variants(args, out, config)
    return 0


#: Options that only apply when exporting a checkpoint (flag -> argparse attribute).
_CHECKPOINT_ONLY = {
    "--thresholds": "thresholds",
    "--min-interval": "min_interval",
    "--peak-rule": "peak_rule",
    "--chunk-s": "chunk_s",
    "--context-s": "context_s",
    "--training-info": "training_info",
}


def _write_variants(args: argparse.Namespace, out: Path, config: Config) -> None:
    """The variants asked for, beside ``out``."""
    from drumscribe_exporters.quantize import to_fp16, to_int8

    if args.int8:
        print(f"wrote {to_int8(out, out.with_name(out.stem + '.int8.onnx'))}")
    if args.fp16:
        print(f"wrote {to_fp16(out, out.with_name(out.stem + '.fp16.onnx'))}")
    if args.int8_static:
        print(f"wrote {_int8_static(config, out, args.int8_static)}")


def _int8_static(config: Config, out: Path, audio: Sequence[str]) -> Path:
    """``model.int8-static.onnx`` beside ``out``, calibrated on ``audio`` (files or folders)."""
    from drumscribe.catalog import collect_inputs
    from drumscribe.errors import DrumscribeError
    from drumscribe_exporters.quantize import CALIBRATION_METHODS, calibration_windows, to_int8_static

    settings = config.export
    if settings.int8_calibration not in CALIBRATION_METHODS:
        raise DrumscribeError(
            f"{config.source}: export.int8_calibration must be one of {list(CALIBRATION_METHODS)},"
            f" got {settings.int8_calibration!r}"
        )
    files = [path for path, _ in collect_inputs(audio)]
    windows = calibration_windows(
        files,
        sample_rate=config.audio.sample_rate,
        window_s=settings.int8_window_s,
        max_windows=settings.int8_max_windows,
    )
    print(f"calibrating static int8 on {len(windows)} windows of {settings.int8_window_s:g} s")
    return to_int8_static(
        out,
        out.with_name(out.stem + ".int8-static.onnx"),
        calibration=windows,
        method=settings.int8_calibration,
        first_conv=settings.int8_first_conv,
    )


def _run_live(
    args: argparse.Namespace,
    loaded: LoadedCheckpoint,
    out: Path,
    *,
    thresholds: float | dict[str, float] | None,
    training_info: dict[str, Any] | None,
) -> int:
    """A causal checkpoint: the live (stateful) graph, then hop-by-hop parity with torch."""
    import numpy as np
    import torch

    from drumscribe_exporters.live_export import export_live_model, run_live_onnx

    training = {
        "checkpoint": Path(loaded.path).name,
        "epoch": loaded.epoch,
        "global_step": loaded.global_step,
    }
    training |= training_info or {}
    notes = str(training.get("notes", ""))
    result = export_live_model(
        loaded.model,
        loaded.config,
        out,
        thresholds=thresholds,
        min_interval_s=args.min_interval,
        name=args.name,
        notes=notes,
        training=training,
    )
    print(f"wrote {result.onnx_path} and {result.sidecar_path.name} (live model)")
    if args.no_parity:
        return 0
    rate, hop = loaded.config.audio.sample_rate, loaded.config.audio.hop_length
    audio = (0.3 * np.random.default_rng(0).standard_normal(rate)).astype(np.float32)
    with torch.no_grad():
        whole = torch.sigmoid(loaded.model(torch.from_numpy(audio)[None])[0])[0].numpy()
    worst = float(np.abs(run_live_onnx(out, audio, hop=hop) - whole).max())
    print(f"live parity (hop by hop vs whole signal): max |diff| {worst:.2e}")
    if worst > _LIVE_PARITY_ATOL:
        print(f"drumscribe-export: live parity FAILED (atol {_LIVE_PARITY_ATOL})", file=sys.stderr)
        return 1
    return 0


#: Largest difference between the live graph run hop by hop and torch on the whole signal.
_LIVE_PARITY_ATOL = 1e-4


def _read_json_object(path: str, *, what: str) -> dict[str, Any]:
    """A JSON file holding one object; ``what`` names it in errors."""
    from drumscribe.errors import DrumscribeError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DrumscribeError(f"{path}: cannot read {what} ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise DrumscribeError(f"{path}: {what} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise DrumscribeError(f"{path}: {what} must be a JSON object")
    return data


if __name__ == "__main__":
    raise SystemExit(main())
