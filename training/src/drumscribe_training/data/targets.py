"""Frame targets made on the fly from onset events.

Frame ``i`` is centred at ``i * hop / sample_rate`` seconds, so an onset at ``t`` seconds
lands on frame ``round(t * frame_rate)``. A clip of ``N`` samples has ``N // hop + 1``
frames (a centred STFT). Optional widening sets the ``±widening`` neighbouring frames of
each onset to ``widening_value`` (never lowering a frame already set); velocity targets are
``velocity / 127`` on onset frames only.
"""

from __future__ import annotations

import numpy as np

from drumscribe.contract import LANE_NAMES

__all__ = ["MAX_VELOCITY", "frame_count", "frame_index", "make_targets"]

#: MIDI velocity that maps to a velocity target of 1.0.
MAX_VELOCITY = 127


def frame_count(n_samples: int, hop_length: int) -> int:
    """Number of frames of ``n_samples`` of audio: ``n_samples // hop_length + 1``."""
    return int(n_samples) // int(hop_length) + 1


def frame_index(times_s: np.ndarray | float, frame_rate: float) -> np.ndarray:
    """Frame index of each time: ``round(time_s * frame_rate)`` (half to even), int64."""
    return np.rint(np.asarray(times_s, dtype=np.float64) * frame_rate).astype(np.int64)


def make_targets(
    times_s: np.ndarray,
    lanes: np.ndarray,
    velocities: np.ndarray,
    *,
    n_frames: int,
    frame_rate: float,
    n_lanes: int = len(LANE_NAMES),
    widening: int = 0,
    widening_value: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Onset and velocity targets of one clip.

    Parameters
    ----------
    times_s : (E,) array
        Onset times in seconds from the start of the clip (events outside
        ``[0, n_frames)`` after rounding are dropped).
    lanes : (E,) int array
        Lane index of each onset, 0..n_lanes-1.
    velocities : (E,) array
        MIDI velocities 0..127.
    n_frames : int
        Frames of the clip (see :func:`frame_count`).
    frame_rate : float
        Frames per second (``sample_rate / hop_length``).
    n_lanes : int
        Number of lanes (8).
    widening : int
        Frames on each side of an onset set to ``widening_value`` (0 = off).
    widening_value : float
        Target of the widened frames.

    Returns
    -------
    onsets : (n_frames, n_lanes) float32
        1.0 on onset frames, ``widening_value`` beside them, 0 elsewhere.
    velocities : (n_frames, n_lanes) float32
        ``velocity / 127`` on onset frames (the loudest when two share a frame), else 0.
    """
    onsets = np.zeros((n_frames, n_lanes), dtype=np.float32)
    vel = np.zeros((n_frames, n_lanes), dtype=np.float32)
    times = np.asarray(times_s, dtype=np.float64).reshape(-1)
    lane_arr = np.asarray(lanes, dtype=np.int64).reshape(-1)
    vel_arr = np.asarray(velocities, dtype=np.float32).reshape(-1)
    if times.size == 0:
        return onsets, vel
    frames = frame_index(times, frame_rate)
    keep = (frames >= 0) & (frames < n_frames) & (lane_arr >= 0) & (lane_arr < n_lanes)
    frames, lane_arr, vel_arr = frames[keep], lane_arr[keep], vel_arr[keep]
    if widening > 0 and widening_value > 0:
        for d in range(-widening, widening + 1):
            if d == 0:
                continue
            f = frames + d
            ok = (f >= 0) & (f < n_frames)
            np.maximum.at(onsets, (f[ok], lane_arr[ok]), np.float32(widening_value))
    onsets[frames, lane_arr] = 1.0
    np.maximum.at(vel, (frames, lane_arr), np.clip(vel_arr / MAX_VELOCITY, 0.0, 1.0))
    return onsets, vel
