"""A minimal stderr progress bar (the runtime has no tqdm/rich dependency)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]

_BAR_WIDTH = 30
_MIN_REFRESH_S = 0.1


class Progress:
    """Progress over a known total, drawn on one terminal line.

    Parameters
    ----------
    total : float
        Amount of work (e.g. seconds of audio).
    label : str
        Shown before the bar.
    unit : str
        Unit of ``total`` for display.
    enabled : bool
        False turns every call into a no-op.
    stream : file-like
        Where to draw (stderr by default).
    digits : int
        Decimals shown for amounts and the rate.
    """

    def __init__(
        self,
        total: float,
        *,
        label: str = "",
        unit: str = "s",
        enabled: bool = True,
        stream: TextIO | None = None,
        digits: int = 1,
    ) -> None:
        self.total = max(float(total), 1e-9)
        self.label = label
        self.unit = unit
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.digits = digits
        self.done = 0.0
        self._start = time.monotonic()
        self._last_draw = 0.0

    def update(self, amount: float) -> None:
        """Add ``amount`` of finished work and redraw (at most every 0.1 s)."""
        self.done += amount
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last_draw >= _MIN_REFRESH_S or self.done >= self.total:
            self._last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        frac = min(1.0, self.done / self.total)
        filled = int(frac * _BAR_WIDTH)
        elapsed = now - self._start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        eta = f" ETA {_clock((self.total - self.done) / rate)}" if rate > 0 and frac < 1.0 else ""
        self.stream.write(
            f"\r{self.label} [{bar}] {frac * 100:5.1f}% {self.done:.{self.digits}f}/{self.total:.{self.digits}f}{self.unit}"
            f" ({rate:.{self.digits}f}{self.unit}/s){eta}"
        )
        self.stream.flush()

    def close(self) -> None:
        """Finish the line."""
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    """Seconds as ``M:SS`` or ``H:MM:SS``."""
    s = max(0, round(seconds))
    hours, rest = divmod(s, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
