"""Synthetic E-GMD-shaped drum data: Groove MIDI and procedural grooves rendered through
real sampled kits with a random mix, on disk (``drumscribe-train synth``) or on the fly.

On the fly (e.g. in a DataModule's loader workers)::

    from drumscribe_training.synth import ClipRenderer
    renderer = ClipRenderer(split="train", sample_rate=16000, seed=0)  # kits=["tiny"]: no packages
    clip = renderer.render(duration_s=4.0, rng=np.random.default_rng(123))
    clip.audio, clip.sample_rate, clip.events, clip.kit_name

Kits: :data:`KIT_NAMES`, :func:`kit_names` (per split), :func:`load_kit`; ``"tiny"`` is
a kit synthesised in code, and ``synthkit-000``, ``synthkit-001``, ... (:func:`synth_kit_names`)
an open-ended family of synthesised kits for training (opt-in). See docs/DATA.md in the
repository.

Attributes are imported lazily so that importing the package (e.g. for the CLI) is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "KIT_NAMES",
    "SPLITS",
    "TINY_KIT_NAME",
    "ClipRenderer",
    "GmdError",
    "KitError",
    "NoteEvent",
    "PieceVariation",
    "RenderedClip",
    "SynthSettings",
    "kit_names",
    "load_kit",
    "synth_kit_names",
    "write_dataset",
]

_WHERE = {
    "ClipRenderer": "render",
    "RenderedClip": "render",
    "NoteEvent": "events",
    "KIT_NAMES": "registry",
    "SPLITS": "registry",
    "KitError": "registry",
    "kit_names": "registry",
    "load_kit": "registry",
    "TINY_KIT_NAME": "tinykit",
    "synth_kit_names": "synthkits",
    "GmdError": "gmd",
    "SynthSettings": "writer",
    "write_dataset": "writer",
    "PieceVariation": "variation",
}

if TYPE_CHECKING:  # pragma: no cover
    from drumscribe_training.synth.events import NoteEvent
    from drumscribe_training.synth.gmd import GmdError
    from drumscribe_training.synth.registry import KIT_NAMES, SPLITS, KitError, kit_names, load_kit
    from drumscribe_training.synth.render import ClipRenderer, RenderedClip
    from drumscribe_training.synth.synthkits import synth_kit_names
    from drumscribe_training.synth.tinykit import TINY_KIT_NAME
    from drumscribe_training.synth.variation import PieceVariation
    from drumscribe_training.synth.writer import SynthSettings, write_dataset


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
