"""Files the training side ships with: the default config and the Groove MIDI Dataset.

Both are package data of ``drumscribe_training`` (``resources/``), found through
:mod:`importlib.resources`, so a plain clone, an editable install and a wheel all train
with nothing beside them. ``resources/default_config.yaml`` is the repository's
``configs/default_config.yaml`` (a link in the source tree, a copy in a wheel): one file.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

__all__ = ["GMD_ENV", "default_config_path", "groove_midi_root"]

#: Environment variable naming another Groove MIDI Dataset folder (info.csv + drummerN/).
GMD_ENV = "DRUMSCRIBE_GROOVE_MIDI"


def _resource(name: str) -> Path:
    return Path(str(resources.files("drumscribe_training") / "resources" / name))


def default_config_path() -> Path:
    """The default config: every key the training side reads, with its default value."""
    return _resource("default_config.yaml")


def groove_midi_root() -> Path:
    """The Groove MIDI Dataset's folder: ``$DRUMSCRIBE_GROOVE_MIDI``, else the shipped copy."""
    env = os.environ.get(GMD_ENV)
    return Path(env) if env else _resource("groove-midi")
