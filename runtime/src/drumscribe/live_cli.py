"""``drumscribe live``: hits as they happen, from a file played at real-time pace or a sound card.

``drumscribe live --input FILE [--realtime]`` pushes the file to a
:class:`~drumscribe.LiveTranscriber` in blocks of ``--block-ms`` (at real-time pace with
``--realtime``, else as fast as it goes) and prints each hit when it comes out, with its
delay: the wall-clock time from the moment the hit's sample was pushed to the moment the hit
left :meth:`~drumscribe.LiveTranscriber.push`. ``drumscribe live`` with no ``--input``
listens to a sound card (``--device``, ``--list-devices``) through the optional
``sounddevice`` package (``pip install 'drumscribe[live]'``); Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import bisect
import queue
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from drumscribe.contract import PEAK_RULES
from drumscribe.errors import DrumscribeError

__all__ = ["DEFAULT_BLOCK_MS", "add_live_parser", "cmd_live"]

#: Block length pushed per call, milliseconds (a typical sound-card buffer).
DEFAULT_BLOCK_MS = 10.0
#: Block lengths accepted, milliseconds.
MIN_BLOCK_MS, MAX_BLOCK_MS = 0.1, 1000.0
#: Printed when the optional sound-card package is missing.
SOUNDDEVICE_MISSING = (
    "listening to a sound card needs the optional 'sounddevice' package: pip install 'drumscribe[live]'"
)


def add_live_parser(sub: Any) -> None:
    """Add the ``live`` subcommand to the ``drumscribe`` parser's subparsers."""
    p = sub.add_parser(
        "live", help="print drum hits as they happen (a file at real-time pace, or a sound card)"
    )
    p.add_argument("--input", metavar="FILE", help="audio file to play into the live transcriber")
    p.add_argument(
        "--realtime", action="store_true", help="push the file at real-time pace (else as fast as it goes)"
    )
    p.add_argument(
        "--device", help="sound card to listen to (a number or part of a name; see --list-devices)"
    )
    p.add_argument("--list-devices", action="store_true", help="list sound cards and exit")
    p.add_argument(
        "--seconds", type=float, help="stop listening after this long (sound card; default: Ctrl-C)"
    )
    p.add_argument("--model", help="live model.onnx (default: the bundled live model)")
    p.add_argument("--threshold", type=float, help="peak threshold for every lane (default: the sidecar's)")
    p.add_argument(
        "--min-interval", type=float, help="seconds between two hits of a lane (default: the sidecar's)"
    )
    p.add_argument(
        "--peak-rule",
        choices=PEAK_RULES,
        help="peak picking rule (default: the sidecar's); rise decides a hit one frame sooner (docs/LIVE.md)",
    )
    p.add_argument(
        "--block-ms",
        type=float,
        default=DEFAULT_BLOCK_MS,
        help=f"block length pushed per call (default {DEFAULT_BLOCK_MS:g})",
    )
    p.set_defaults(func=cmd_live)


def _sounddevice() -> Any:
    try:
        import sounddevice
    except (ImportError, OSError):  # OSError: the package is there but PortAudio is not
        raise DrumscribeError(SOUNDDEVICE_MISSING) from None
    return sounddevice


def cmd_live(args: argparse.Namespace) -> int:
    """Run ``drumscribe live``; returns the exit code."""
    if args.list_devices:
        print(_sounddevice().query_devices())
        return 0
    if not MIN_BLOCK_MS <= args.block_ms <= MAX_BLOCK_MS:
        raise DrumscribeError(
            f"--block-ms must be within {MIN_BLOCK_MS:g}..{MAX_BLOCK_MS:g}, got {args.block_ms:g}"
        )
    if args.threshold is not None and not 0 < args.threshold <= 1:
        raise DrumscribeError(f"--threshold must be within (0, 1], got {args.threshold:g}")
    if args.min_interval is not None and not 0 <= args.min_interval < 10:
        raise DrumscribeError(f"--min-interval must be seconds within 0..10, got {args.min_interval:g}")
    from drumscribe.live import LiveTranscriber, load_live_model

    model = load_live_model(args.model)
    if args.input is not None:
        blocks, rate = _file_blocks(args.input, block_ms=args.block_ms)
    else:
        blocks, rate = _card_blocks(args.device, block_ms=args.block_ms, seconds=args.seconds)
    live = LiveTranscriber(
        model,
        sample_rate=rate,
        threshold=args.threshold,
        min_interval_s=args.min_interval,
        peak_rule=args.peak_rule,
    )
    source = args.input or f"sound card {args.device or '(default)'}"
    print(
        f"# {model.spec.name}: declared latency {1000 * live.latency_s:.1f} ms; {source} at {rate} Hz;"
        f" blocks of {args.block_ms:g} ms{' at real-time pace' if args.realtime else ''}",
        flush=True,
    )
    delays: list[float] = []
    arrivals = Arrivals()
    pushed = 0
    start = time.perf_counter()
    try:
        for block in blocks:
            if args.realtime:  # the block's last sample is due at start + its time
                wait = start + (pushed + len(block)) / rate - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
            pushed += len(block)
            arrivals.add(pushed / rate, time.perf_counter())
            hits = live.push(block)
            _report(hits, delays, arrivals, now=time.perf_counter())
    except KeyboardInterrupt:
        print("# stopped", flush=True)
    _report(live.finish(), delays, arrivals, now=time.perf_counter(), final=True)
    if delays:
        d = 1000 * np.array(delays)
        print(
            f"# {len(d)} hits; delay from the hit's sample entering push to the hit leaving it:"
            f" median {np.median(d):.1f} ms, 95th percentile {np.percentile(d, 95):.1f} ms, max {d.max():.1f} ms"
        )
    else:
        print("# no hits")
    return 0


class Arrivals:
    """When each pushed block arrived (wall clock) and where it ended (seconds of audio)."""

    #: Blocks remembered: hits are never older than the latency, a few blocks back.
    KEEP = 4096

    def __init__(self) -> None:
        self.ends: list[float] = []
        self.walls: list[float] = []

    def add(self, end_s: float, wall: float) -> None:
        """Record a block ending at ``end_s`` of audio, pushed at ``wall`` (perf_counter)."""
        self.ends.append(end_s)
        self.walls.append(wall)
        if len(self.ends) > 2 * self.KEEP:
            del self.ends[: self.KEEP], self.walls[: self.KEEP]

    def pushed_at(self, time_s: float) -> float:
        """Wall-clock moment the sample at ``time_s`` entered push (its block's arrival)."""
        i = bisect.bisect_right(self.ends, time_s)
        return self.walls[min(i, len(self.walls) - 1)] if self.walls else time.perf_counter()


def _report(
    hits: list[Any], delays: list[float], arrivals: Arrivals, *, now: float, final: bool = False
) -> None:
    """Print hits with their delay: from the moment the hit's sample entered push to now."""
    for hit in hits:
        delay = now - arrivals.pushed_at(hit.time_s)
        if not final:
            delays.append(delay)
        tag = "after finish" if final else f"delay {1000 * delay:6.1f} ms"
        print(f"{hit.time_s:9.3f} s  {hit.drum:8s} vel {hit.velocity:3d}  {tag}", flush=True)


def _file_blocks(path: str, *, block_ms: float) -> tuple[Iterator[np.ndarray], int]:
    import soundfile as sf

    from drumscribe.audio import probe_audio

    info = probe_audio(path)
    rate = int(info.sample_rate)
    frames = max(1, round(block_ms / 1000 * rate))

    def gen() -> Iterator[np.ndarray]:
        with sf.SoundFile(path) as fh:
            while True:
                block = fh.read(frames, dtype="float32", always_2d=True)
                if not len(block):
                    return
                yield block

    return gen(), rate


def _card_blocks(
    device: str | None, *, block_ms: float, seconds: float | None
) -> tuple[Iterator[np.ndarray], int]:
    sd = _sounddevice()
    dev: int | str | None = int(device) if device is not None and device.isdigit() else device
    try:
        rate = int(sd.query_devices(dev, "input")["default_samplerate"])
    except (ValueError, sd.PortAudioError) as exc:
        raise DrumscribeError(f"sound card {device!r}: {exc}") from None
    frames = max(1, round(block_ms / 1000 * rate))
    q: queue.Queue[np.ndarray] = queue.Queue()

    def callback(indata: np.ndarray, n: int, t: Any, status: Any) -> None:
        if status:
            print(f"# {status}", file=sys.stderr)
        q.put(indata.copy())

    def gen() -> Iterator[np.ndarray]:
        end = None if seconds is None else time.perf_counter() + seconds
        with sd.InputStream(
            device=dev, channels=1, samplerate=rate, blocksize=frames, dtype="float32", callback=callback
        ):
            while end is None or time.perf_counter() < end:
                yield q.get()

    return gen(), rate
