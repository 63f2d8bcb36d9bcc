"""The contract between drumscribe's halves: lanes, GM notes, rates and sidecar keys.

This module is the single source of what the runtime, the training side and the
exporters must agree on:

* the eight drum lanes and their General MIDI notes (the lane order is the model's output
  order and the JSON chart's lane index; the sidecar repeats it and the runtime checks it);
* the sample rates: the model's input rate by default and E-GMD's audio rate;
* the ONNX tensor names and the sidecar's format, version and core keys.

It imports nothing from drumscribe, so every other module may import it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_FRAME_RATE",
    "DEFAULT_PEAK_RULE",
    "EGMD_SAMPLE_RATE",
    "GM_DRUM_CHANNEL",
    "INPUT_NAME",
    "LANES",
    "LANE_NAMES",
    "LIVE_KEY",
    "LIVE_REQUIRED_KEYS",
    "LIVE_STATE_OUTPUT_SUFFIX",
    "MODEL_SAMPLE_RATE",
    "ONSETS_NAME",
    "PEAK_RULES",
    "PEAK_RULE_CONFIRM_FRAMES",
    "SIDECAR_CORE_KEYS",
    "SIDECAR_FORMAT",
    "SIDECAR_VERSION",
    "VELOCITIES_NAME",
    "Lane",
    "lane_index",
]

#: General MIDI percussion channel, zero-based (channel 10 to humans).
GM_DRUM_CHANNEL = 9

#: Audio rate of E-GMD's recordings and of the synthetic E-GMD-shaped set, Hz.
EGMD_SAMPLE_RATE = 44100
#: The default model's input rate, Hz (a model's own rate is in its sidecar).
MODEL_SAMPLE_RATE = 16000
#: Frames per second of activations when nothing else is known (hop 160 at 16 kHz).
DEFAULT_FRAME_RATE = 100.0

#: ONNX input: float32 [batch, samples], mono, at the sidecar's sample rate.
INPUT_NAME = "audio"
#: ONNX output: float32 [batch, frames, 8] in [0, 1].
ONSETS_NAME = "onsets"
#: Optional ONNX output, same shape as onsets.
VELOCITIES_NAME = "velocities"

#: ``"format"`` of every sidecar (``model.onnx.json``).
SIDECAR_FORMAT = "drumscribe-model"
#: ``"format_version"`` this runtime reads and writes.
SIDECAR_VERSION = 1
#: The keys the sidecar writer owns; every other key is free-form model information.
SIDECAR_CORE_KEYS: frozenset[str] = frozenset(
    {
        "format",
        "format_version",
        "name",
        "lanes",
        "gm_notes",
        "sample_rate",
        "hop_length",
        "frame_rate",
        "inputs",
        "outputs",
        "peak_picking",
        "inference",
        "onnx_sha256",
    }
)


#: Peak-picking rules (sidecar ``peak_picking.rule``, default :data:`DEFAULT_PEAK_RULE`), each
#: with the frames after a hit's frame that it reads before deciding it: ``peak``, a hit at a
#: local maximum over the threshold, decided when the next frame arrives; ``rise``, a hit at the
#: first frame over the threshold of each rise, decided at once (a live model declares one hop
#: less latency). drumscribe/peaks.py defines both.
PEAK_RULE_CONFIRM_FRAMES: dict[str, int] = {"peak": 1, "rise": 0}
PEAK_RULES: tuple[str, ...] = tuple(PEAK_RULE_CONFIRM_FRAMES)
DEFAULT_PEAK_RULE = "peak"

#: Sidecar key of a live (causal, stateful) model's section. A live model's graph takes
#: ``audio`` float32 [1, hops * hop_length] plus its state tensors and gives ``onsets``
#: [1, hops, 8] (optionally ``velocities``) plus the new state tensors (docs/LIVE.md).
LIVE_KEY = "live"
#: An output carrying a state to the next call is the state input's name plus this suffix.
LIVE_STATE_OUTPUT_SUFFIX = "_out"
#: Keys of the sidecar's ``live`` section:
#:
#: * ``hops_per_call`` (int): hops of audio per call the model was exported and tested for;
#: * ``lookahead_frames`` (int): frames the network reads past the one it predicts;
#: * ``output_delay_frames`` (int): output frame ``k`` of a stream is the prediction for
#:   frame ``k - output_delay_frames`` (the first ones are dropped);
#: * ``latency_s`` (float): declared algorithmic latency, the longest time from a hit's time
#:   to the last input sample needed to emit it (peak confirmation included);
#: * ``states`` (list): ``{"name", "output", "shape", "dtype"}`` per state tensor, in the
#:   graph's input order after ``audio``; every state starts as zeros.
LIVE_REQUIRED_KEYS: tuple[str, ...] = (
    "hops_per_call",
    "lookahead_frames",
    "output_delay_frames",
    "latency_s",
    "states",
)


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
