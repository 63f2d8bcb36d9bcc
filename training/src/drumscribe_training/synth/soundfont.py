"""Pre-render SoundFont drum presets into one-shots (one per key x velocity layer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from drumscribe_training.synth.events import SAMPLE_RATE
from drumscribe_training.synth.sf2 import read_preset_zones

__all__ = ["MAX_LAYERS", "render_preset"]

#: At most this many velocity layers are rendered per key.
MAX_LAYERS = 8


def _import_tsf() -> Any:  # tinysoundfont ships no type hints
    try:
        import tinysoundfont
    except ImportError as exc:  # pragma: no cover - a dependency of drumscribe-training
        raise RuntimeError(
            "SoundFont kits need the Python package tinysoundfont (pip install --no-deps tinysoundfont)"
        ) from exc
    return tinysoundfont


def render_preset(
    path: Path, bank: int, preset: int, keys: dict[int, float], family: str
) -> dict[int, tuple[list[tuple[float, float, np.ndarray]], set[str]]]:
    """Render keys of a preset.

    Parameters
    ----------
    path : Path
        The ``.sf2``/``.sf3`` file.
    bank, preset : int
        The preset (GM drum kits are in bank 128).
    keys : dict
        MIDI key -> seconds to render (cymbals ring longer).
    family : str
        Prefix of the sample identities (samples are identified by name within a family
        of SoundFonts made from the same recordings).

    Returns
    -------
    dict
        key -> ([(vel_lo, vel_hi, mono float32 at 44.1 kHz)], sample ids); keys the
        preset does not play are left out. Each one-shot is rendered at the top velocity
        of its layer, untrimmed (the start latency is removed later by trimming).
    """
    tsf = _import_tsf()
    zones = read_preset_zones(path, bank, preset)
    synth = tsf.Synth(samplerate=SAMPLE_RATE)
    sfid = synth.sfload(str(path))
    chan = 9
    synth.program_select(chan, sfid, bank, preset, is_drums=bank == 128)
    out: dict[int, tuple[list[tuple[float, float, np.ndarray]], set[str]]] = {}
    for key, seconds in sorted(keys.items()):
        kz = [z for z in zones if z.key == key]
        if not kz:
            continue
        ranges = sorted({(z.vel_lo, z.vel_hi) for z in kz})
        # merge to disjoint layers by their top velocities
        tops = sorted({hi for _, hi in ranges})
        if len(tops) > MAX_LAYERS:
            idx = np.linspace(0, len(tops) - 1, MAX_LAYERS).round().astype(int)
            tops = [tops[i] for i in sorted(set(idx.tolist()))]
        layers = []
        lo = 1
        for top in tops:
            vel = int(min(127, max(1, top)))
            synth.sounds_off()
            synth.generate(4096)  # flush any release tail
            synth.noteon(chan, key, vel)
            n = int(seconds * SAMPLE_RATE)
            buf = synth.generate(n)
            synth.noteoff(chan, key)
            stereo = np.frombuffer(bytes(buf), dtype=np.float32).reshape(-1, 2)
            mono = stereo.mean(axis=1).astype(np.float32)
            if np.abs(mono).max() > 1e-5:
                layers.append((lo / 127.0, vel / 127.0, mono))
            lo = vel + 1
        if layers:
            out[key] = (layers, {f"{family}:{z.sample}" for z in kz})
    synth.sounds_off()
    return out
