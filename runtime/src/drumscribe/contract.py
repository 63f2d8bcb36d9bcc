"""The eight drum lanes drumscribe predicts, and their General MIDI notes.

The lane order is the model's output order and the JSON chart's lane index; it is part
of the ONNX contract (the sidecar repeats it and the runtime checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GM_DRUM_CHANNEL", "LANES", "LANE_NAMES", "Lane", "lane_index"]

#: General MIDI percussion channel, zero-based (channel 10 to humans).
GM_DRUM_CHANNEL = 9


@dataclass(frozen=True, slots=True)
class Lane:
    """One output lane.

    Attributes
    ----------
    index : int
        Position in the model output and in charts, 0..7.
    name : str
        Stable machine name (``"kick"``, ``"snare"``, ...).
    gm_note : int
        General MIDI note written for this lane on channel 10.
    label : str
        Human-readable name.
    """

    index: int
    name: str
    gm_note: int
    label: str


LANES: tuple[Lane, ...] = (
    Lane(0, "kick", 36, "Kick"),
    Lane(1, "snare", 38, "Snare"),
    Lane(2, "hihat", 42, "Hi-hat"),
    Lane(3, "hi_tom", 50, "High tom"),
    Lane(4, "mid_tom", 47, "Mid tom"),
    Lane(5, "low_tom", 45, "Low tom"),
    Lane(6, "crash", 49, "Crash"),
    Lane(7, "ride", 51, "Ride"),
)

LANE_NAMES: tuple[str, ...] = tuple(lane.name for lane in LANES)

_BY_NAME = {lane.name: lane for lane in LANES}


def lane_index(drum: str | int) -> int:
    """Return the lane index of a lane name or index.

    Parameters
    ----------
    drum : str or int
        A lane name from :data:`LANE_NAMES` or an index 0..7.

    Returns
    -------
    int
        The lane index.

    Raises
    ------
    ValueError
        If ``drum`` names no lane.
    """
    if isinstance(drum, bool):
        raise ValueError(f"not a drum lane: {drum!r}")
    if isinstance(drum, int):
        if 0 <= drum < len(LANES):
            return drum
        raise ValueError(f"lane index {drum} out of range 0..{len(LANES) - 1}")
    try:
        return _BY_NAME[drum].index
    except KeyError:
        raise ValueError(f"unknown drum lane {drum!r}; expected one of {', '.join(LANE_NAMES)}") from None
