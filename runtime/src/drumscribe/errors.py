"""Exceptions raised by drumscribe. Each message names the file and the problem."""

from __future__ import annotations

__all__ = ["AudioError", "ChartError", "DrumscribeError", "ModelError"]


class DrumscribeError(Exception):
    """Base class of every error drumscribe raises on bad input."""


class AudioError(DrumscribeError):
    """Audio that cannot be read or used (missing, empty, truncated, not audio, NaN)."""


class ModelError(DrumscribeError):
    """A model or sidecar that does not honour the ONNX contract."""


class ChartError(DrumscribeError):
    """A chart that does not follow the chart schema."""
