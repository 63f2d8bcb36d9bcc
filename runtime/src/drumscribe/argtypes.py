"""Checked command-line values: argparse ``type=`` callables shared by every drumscribe CLI.

Each raises :class:`argparse.ArgumentTypeError` with a short reason, which argparse turns
into the one-line usage error (exit 2) before any work is done.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["bounded_float", "finite_float", "positive_int"]


def positive_int(text: str) -> int:
    """An integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def finite_float(text: str) -> float:
    """Any finite number (NaN and infinities refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def bounded_float(low: float, high: float, *, low_open: bool) -> Callable[[str], float]:
    """A finite number in ``(low, high]`` (``low_open``) or ``[low, high]``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        above = value > low if low_open else value >= low
        if not (math.isfinite(value) and above and value <= high):
            interval = f"({low:g}, {high:g}]" if low_open else f"[{low:g}, {high:g}]"
            raise argparse.ArgumentTypeError(f"must be a finite number in {interval}, got {text!r}")
        return value

    return parse
