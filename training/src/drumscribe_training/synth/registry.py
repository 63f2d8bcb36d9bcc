"""The kit registry: which sampled kits exist, how their sounds map to Roland notes,
which split hears which kit, and building/caching their one-shot banks.

Splits (see DATA.md): the *test* split renders only kits never heard in training, each
from a different source (ForzeeStereo, AVL Red Zeppelin, BJA_Pacific, Audiophob,
FluidR3 TR-808); *validation* uses other held-out kits; *train* gets the rest. Where two
kits share recordings (the AVL SoundFonts share their hi-hats; FluidR3's TR-808 preset
shares its cymbals and cross-stick with every FluidR3 kit), the held-out kit drops those
pieces (``exclude``) and borrows them at render time from another kit of its own split,
so no one-shot heard in training is ever heard in validation or test
(``tests/training/synth/test_kits.py`` checks the sample identities).

Notes a kit lacks are filled in this order: a derived tom (a neighbouring tom resampled
3-7 semitones), a fallback within the kit (closed edge -> closed bow, rims -> heads,
crash 2 -> crash 1 pitched down, ...), a *donor* kit of the same split (at render time),
and only then dropped from the labels.

*Extra* kits (``KitSpec.extra``: one-shot folders of other Debian packages, unpacked into
the kit cache by ``scripts/setup_kits.sh``) belong to a split but join its default kit list
only when asked for (``extra=True``, ``data.extra_kits``), so the kits of earlier recipes
stay as they were.

Besides the registered kits, ``synthkit-000``, ``synthkit-001``, ... name kits
synthesised in code (:mod:`drumscribe_training.synth.synthkits`): train split only,
never in the default kit lists, opt-in by name or with ``synth_kits=N`` of
:func:`resolve_kits`.
"""

from __future__ import annotations

import hashlib
import os
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from drumscribe_training.synth.events import SAMPLE_RATE
from drumscribe_training.synth.kitmodel import (
    Kit,
    RawLayer,
    RawVoice,
    load_bank,
    pack_kit,
    pitch_shift,
    save_bank,
)
from drumscribe_training.synth.synthkits import (
    SYNTH_KIT_PREFIX,
    SYNTH_KIT_VERSION,
    build_synth_kit,
    synth_kit_index,
    synth_kit_name,
    synth_kit_names,
)
from drumscribe_training.synth.tinykit import TINY_KIT_NAME, build_tiny_kit

__all__ = [
    "KIT_NAMES",
    "KIT_SPECS",
    "SPLITS",
    "KitError",
    "KitSpec",
    "bank_files",
    "kit_cache_dir",
    "kit_names",
    "kits_for_split",
    "load_kit",
    "missing_kits",
    "resolve_kits",
    "synth_kit_names",
]

SPLITS = ("train", "validation", "test")

HYDROGEN_DIR = Path("/usr/share/hydrogen/data/drumkits")
SF2_DIR = Path("/usr/share/sounds/sf2")

CYMBAL_NOTES = frozenset({49, 55, 57, 52, 51, 59, 53, 46, 26})

#: Roland note -> General MIDI drum key of a GM SoundFont preset.
GM_KEYS: dict[int, int] = {
    36: 36, 38: 38, 40: 40, 37: 37, 42: 42, 22: 42, 46: 46, 26: 46, 44: 44,
    48: 48, 50: 50, 45: 45, 47: 47, 43: 43, 58: 41,
    49: 49, 55: 49, 57: 57, 52: 57, 51: 51, 59: 59, 53: 53,
}  # fmt: skip

#: GM_KEYS for the FluidR3 presets whose GM "low tom" (45) and "high floor tom" (43) are one
#: pitch (79 and 78 Hz in Standard, Room, Jazz and Brush): the low lane plays the low floor tom
#: (41, 53 Hz) and each tom's rim note (47, 58) its own drum, so no two tom lanes sound alike.
GM_KEYS_SPREAD_TOMS: dict[int, int] = {**GM_KEYS, 47: 45, 43: 41, 58: 41}

#: Roland note -> key of the AVL drumkits SoundFonts (4-piece: 12" tom and 16" floor).
AVL_KEYS: dict[int, int] = {
    36: 36, 38: 38, 40: 40, 37: 37, 42: 42, 22: 42, 46: 46, 26: 48, 44: 44,
    48: 45, 50: 47, 43: 41, 58: 43,
    49: 49, 55: 49, 57: 57, 52: 57, 51: 51, 59: 59, 53: 53,
}  # fmt: skip

# Fallbacks inside one kit: note -> notes whose voice may stand in (same lane).
FALLBACKS: dict[int, tuple[int, ...]] = {
    22: (42,), 26: (46,), 44: (42,), 40: (38,), 37: (40, 38),
    50: (48,), 47: (45,), 58: (43,),
    55: (49,), 52: (57,), 59: (51,), 53: (51,),
}  # fmt: skip

# Missing toms: derive from a neighbour, shifted by semitones in this range (sign: up/down).
TOM_DERIVATION: dict[int, tuple[tuple[int, float, float], ...]] = {
    48: ((45, 3.0, 7.0), (43, 6.0, 10.0)),
    45: ((48, -5.0, -3.0), (43, 3.0, 5.0)),
    43: ((45, -7.0, -3.0), (48, -10.0, -6.0)),
}


class KitError(RuntimeError):
    """A kit that is unknown or whose package is not installed (the message says which)."""


@dataclass(frozen=True)
class KitSpec:
    """One kit of the registry.

    ``mapping`` is Roland note -> instrument names (Hydrogen, eXaDrums; alternatives a
    clip chooses between) or SoundFont key (SoundFonts).
    """

    name: str
    kind: str  # "hydrogen" | "sf2" | "exadrums" | "files" | "tiny" | "synth"
    split: str | None  # None: any split (the tiny kit)
    package: str
    licence: str
    path: str = ""  # a folder (hydrogen/exadrums, relative to its root) or a file name
    bank: int = 128
    preset: int = 0
    family: str = ""
    mapping: dict[int, tuple[str, ...]] | dict[int, int] = field(default_factory=dict)
    exclude: frozenset[int] = frozenset()
    weight: float = 1.0
    attribution: str = ""
    extra: bool = False  # opt-in: not in the split's default kits (``kit_names(extra=True)``)

    def source_path(self) -> Path:
        if self.kind == "hydrogen":
            return HYDROGEN_DIR / self.path
        if self.kind == "sf2":
            return SF2_DIR / self.path
        if self.kind == "exadrums":
            return kit_cache_dir() / "exadrums" / "usr" / "share" / "exadrums"
        if self.kind == "files":
            return kit_cache_dir() / "packages" / self.package / self.path
        return Path()

    def installed(self) -> bool:
        if self.kind in ("tiny", "synth"):
            return True
        p = self.source_path()
        if self.kind == "sf2":
            return p.is_file()
        if self.kind == "files":
            return all(
                (p / f).is_file() for names in self.mapping.values() for n in names for f in n.split("|")
            )  # type: ignore[union-attr]
        marker = "drumkit.xml" if self.kind == "hydrogen" else "Default.xml"
        return (p / marker).is_file()


def _h2(
    name: str,
    split: str,
    mapping: dict[int, tuple[str, ...]],
    *,
    licence: str,
    package: str = "hydrogen-drumkits",
    path: str | None = None,
    weight: float = 1.0,
    attribution: str = "",
) -> KitSpec:
    return KitSpec(
        name, "hydrogen", split, package, licence, path or name,
        mapping=mapping, weight=weight, attribution=attribution,
    )  # fmt: skip


_GM_FLUID = "fluid-soundfont-gm"
_FLUID_PRESETS = {  # distinct FluidR3 drum presets (identical ones left out)
    0: "Standard", 1: "Standard 1", 2: "Standard 2", 3: "Standard 3", 4: "Standard 4",
    6: "Standard 6", 7: "Standard 7", 9: "Room 1", 10: "Room 2", 11: "Room 3",
    13: "Room 5", 14: "Room 6", 15: "Room 7", 16: "Power", 17: "Power 1", 18: "Power 2",
    19: "Power 3", 24: "Electronic", 32: "Jazz", 33: "Jazz 1", 34: "Jazz 2", 35: "Jazz 3",
    40: "Brush", 41: "Brush 1", 42: "Brush 2",
}  # fmt: skip
_TIMGM_PRESETS = {0: "Standard", 8: "Room", 16: "Power", 24: "Electronic", 25: "TR 808",
                  32: "Jazz", 40: "Brush"}  # fmt: skip

KIT_SPECS: tuple[KitSpec, ...] = (
    # ---------------------------------------------------------------- test (held out)
    _h2(
        "ForzeeStereo",
        "test",
        {
            36: ('Kick (Tama Superstar 22")',),
            38: ("Snare (Pearl Free Floating Maple 14x3.5)", "Snare 2 (Pearl Free Floating Maple 14x3.5)"),
            40: (
                "Snare Rimshot (Pearl Free Floating Maple 14x3.5)",
                "Snare 2 Rimshot (Pearl Free Floating Maple 14x3.5)",
            ),
            37: ("Rim Click (Pearl Free Floating Maple 14x3.5)",),
            42: ('Hi-Hat Closed (Paiste Alpha Metal edge 14")',),
            46: ('Hi-Hat Open (Paiste Alpha Metal edge 14")',),
            26: ('Hi-Hat Semiopen (Paiste Alpha Metal edge 14")',),
            44: ('Hi-Hat Pedal (Paiste Alpha Metal edge 14")',),
            48: ('Tom High (Tama Superstar 12")',),
            45: ('Tom Mid (Tama Superstar 13")',),
            43: ('Tom Low (Tama Superstar 16")',),
            49: ('Crash (Paiste Rude Thin 18")',),
            57: ('Crash/Ride (Paiste Rude Crash/Ride 18")',),
            52: ('Crash/Ride Bow (Paiste Rude Crash/Ride 18")',),
            51: ('Ride (Custom, Zagrebin 22")', 'Ride Bow (Custom, Zagrebin 22")'),
            53: ('Ride Bell (Custom, Zagrebin 22")',),
        },
        licence="GPL-2",
        attribution="ForzeeStereo Hydrogen drumkit",
    ),
    KitSpec(
        "AVL Red Zeppelin",
        "sf2",
        "test",
        "avldrums.lv2-soundfont",
        "GPL-2+ (the SF2 says CC-BY-SA)",
        "Red_Zeppelin_4_LV2.sf2",
        bank=0,
        preset=0,
        family="avl",
        mapping=AVL_KEYS,
        # hi-hats (and splash/china, unused) are the same recordings as AVL Black Pearl
        exclude=frozenset({42, 22, 46, 26, 44}),
        attribution="AVL Drumkits, Glen MacArthur (AV Linux)",
    ),
    _h2(
        "BJA_Pacific",
        "test",
        {
            36: ("BassDrum",),
            38: ("Snare", "Snare Dry"),
            42: ("Hi Hat Closed",),
            46: ("Hi Hat Opened",),
            26: ("Hi Hat Free",),
            45: ("Tom",),
            43: ("Floor Tom",),
            49: ("Crash Left",),
            57: ("Crash Right",),
            51: ("Ride", "Ride 2"),
            53: ("Ride Bell",),
        },
        licence="CC-BY-SA-3.0",
        attribution="Pacific set sampled by Bransin James Anderson; Hydrogen kit by Luc Tanguay",
    ),
    _h2(
        "Audiophob",
        "test",
        {
            36: ("Kick",),
            38: ("Snare Rock", "Snare Jazz"),
            37: ("Stick",),
            42: ("Closed HH",),
            44: ("Pedal HH",),
            46: ("Open HH",),
            48: ("Tom Hi",),
            45: ("Tom Mid",),
            43: ("Tom Low",),
            49: ("Crash",),
            51: ("Ride Jazz",),
        },
        licence="CC0",
        attribution="Audiophob Hydrogen drumkit (CC0)",
    ),
    KitSpec(
        "FluidR3 TR-808",
        "sf2",
        "test",
        _GM_FLUID,
        "MIT",
        "FluidR3_GM.sf2",
        bank=128,
        preset=25,
        family="fluidr3",
        mapping=GM_KEYS,
        # its cymbals and rim tap are the acoustic FluidR3 samples every FluidR3 kit plays
        exclude=frozenset({37, 49, 55, 57, 52, 51, 59, 53}),
        attribution="FluidR3_GM, Frank Wen",
    ),
    # ---------------------------------------------------------------- validation
    _h2(
        "ColomboAcousticDrumkit",
        "validation",
        {
            36: ("BassDrum",),
            38: ("Snare1", "Snare Rock"),
            37: ("Stick",),
            42: ("Closed HH",),
            46: ("Open HH",),
            26: ("Pedal HH",),
            48: ("Tom Hi",),
            45: ("Tom Mid",),
            43: ("Tom Low",),
            49: ("crash16inch",),
            57: ("crash20inch--2",),
            51: ("ride-crash20inch",),
            53: ("ride-cup",),
        },
        licence="GPL-2+ with exception",
        attribution="Colombo Acoustic Drumkit (Hydrogen)",
    ),
    _h2(
        "Millo_MultiLayered3",
        "validation",
        {
            36: ("Kick",),
            38: ("Snare Rock",),
            37: ("Stick",),
            42: ("Closed HH",),
            44: ("Pedal HH",),
            46: ("Open HH",),
            48: ("Tom Hi",),
            45: ("Tom Mid",),
            43: ("Tom Low",),
            49: ("Crash",),
            51: ("Ride Jazz",),
        },
        licence="GPL-2",
        attribution="Millo MultiLayered 3 (Hydrogen)",
    ),
    KitSpec(
        "eXaDrums Default",
        "exadrums",
        "validation",
        "exadrums (apt-get download + dpkg -x)",
        "BSD-3-Clause",
        mapping={
            36: ("BD_Acou_01.wav",),
            38: ("Snr_Acou_01.wav",),
            42: ("HiHat.wav",),
            48: ("Tom01.wav",),
            43: ("Tom03.wav",),
            49: ("Crash_High.wav",),
            51: ("RideEdge.wav",),
            53: ("RideBell.wav",),
        },
        attribution="eXaDrums default kit, sounds recorded by Phill Mason",
    ),
    *(
        KitSpec(
            f"TimGM6mb {n}",
            "sf2",
            "validation",
            "timgm6mb-soundfont",
            "GPL-2",
            "TimGM6mb.sf2",
            bank=128,
            preset=p,
            family="timgm6mb",
            mapping=GM_KEYS,
            weight=1.0 / len(_TIMGM_PRESETS),
            attribution="TimGM6mb, Tim Brechbill",
        )
        for p, n in _TIMGM_PRESETS.items()
    ),
    # ---------------------------------------------------------------- train
    _h2(
        "The Black Pearl 1.0",
        "train",
        {
            36: ("Pearl Kick",),
            38: ("Pearl Snare",),
            40: ("Pearl Snare Rimshot",),
            37: ("Pearl Side Stick",),
            42: ("Sabian Hat Closed",),
            44: ("Sabian Hat Pedal",),
            46: ("Sabian Hat Open",),
            26: ("Sabian Hat Semi-Open", "Sabian Hat Swish"),
            48: ("Pearl Tom 1",),
            45: ("Pearl Tom 2",),
            43: ("Pearl Tom Floor",),
            49: ("Sabian Crash",),
            57: ("Sabian Crash Flink",),
            51: ("Paiste Ride",),
            59: ("Paiste Ride Flink",),
            53: ("Paiste Bell",),
        },
        licence="GPL-2",
        attribution="The Black Pearl, Glen MacArthur (Hydrogen)",
    ),
    _h2(
        "Millo_MultiLayered2",
        "train",
        {
            36: ("Kick",),
            38: ("Snare Rock", "Snare Jazz"),
            37: ("Stick",),
            42: ("Closed HH",),
            44: ("Pedal HH",),
            46: ("Open HH",),
            48: ("Tom Hi",),
            # "Tom Mid" plays Tom Hi's files at Tom Hi's pitch: the mid tom is derived instead
            # (Tom Hi 3-5 semitones down, TOM_DERIVATION)
            43: ("Tom Low",),
            49: ("Crash",),
            57: ("Crash Jazz",),
            51: ("Ride Rock", "Ride Jazz"),
        },
        licence="GPL-2",
        attribution="Millo MultiLayered 2 (Hydrogen)",
    ),
    _h2(
        "Millo-Drums_v.1",
        "train",
        {
            36: ("Kick",),
            38: ("Snare Rock", "Snare Jazz"),
            37: ("Stick",),
            42: ("Closed HH",),
            44: ("Pedal HH",),
            46: ("Open HH",),
            48: ("Tom Hi",),
            45: ("Tom Mid",),
            43: ("Tom Low",),
            49: ("Crash",),
            57: ("Crash Jazz",),
            51: ("Ride Jazz", "Ride Rock"),
        },
        licence="GPL-2",
        attribution="Millo Drums v.1 (Hydrogen)",
    ),
    _h2(
        "rumpf_kit_z01_h2",
        "train",
        {
            36: ("c3 - bass drum 1", "f3 - bass drum 2", "g3 - bass drum 3", "a3 - bass drum 4"),
            38: ("d3 - snare 1", "e3 - snare 2"),
            37: ("c#3 - stick",),
            42: ("f#3 - hi-hat closed",),
            44: ("g#3 - hi-hat pedal",),
            46: ("a#3 - hi-hat open",),
            48: ("d4 - high tom",),
            45: ("c4 - middle tom",),
            43: ("b3 - low tom",),
            49: ("c#4 - crash",),
            57: ("d#4 - cymbal 1",),
            52: ("e4 - cymbal 2",),
            53: ("f4 - ride bell",),
        },
        licence="CC-BY-3.0",
        attribution="rumpf kit z01 (Hydrogen), CC BY 3.0",
    ),
    _h2(
        "TR808EmulationKit",
        "train",
        {
            36: ("Kick Long", "Kick Short"),
            38: ("Snare 1", "Snare 2"),
            42: ("Closed Hat",),
            44: ("Pedal Hat",),
            46: ("Open Hat",),
            48: ("Tom Hi",),
            45: ("Tom Mid",),
            43: ("Tom Low",),
            49: ("Cymbal",),
        },
        licence="GPL",
        package="hydrogen-data",
        weight=0.5,
        attribution="TR808 Emulation Kit (Hydrogen)",
    ),
    _h2(
        "VariBreaks",
        "train",
        {
            36: ("VariBreaks Kick 1", "VariBreaks Kick 2", "VariBreaks Kick 3"),
            38: ("VariBreaks Snare 1", "VariBreaks Snare 2", "VariBreaks Snare 3"),
            42: ("VariBreaks Hat 1 Cl", "VariBreaks Hat 2 Cl", "VariBreaks Hat 3 Cl"),
            44: ("VariBreaks Hat 1 Pd",),
            46: ("VariBreaks Hat 1 Op",),
            48: ("VariBreaks Tom Hi",),
            45: ("VariBreaks Tom Mid",),
            43: ("VariBreaks Tom Low",),
        },
        licence="GPL-2+",
        weight=0.4,
        attribution="VariBreaks (Hydrogen)",
    ),
    _h2(
        "ElectricEmpireKit",
        "train",
        {
            36: ("Kick Lite 1", "Kick Low 1", "Kick Power", "Kick Hard 1", "Kick Ring"),
            38: ("Snare 1", "Snare 2", "Snare 3", "Snare Ring"),
            42: ("Hat Closed Bs", "Hat Closed Dirty"),
            46: ("Hat Op Dirty",),
            48: ("Drum 1",),
            43: ("Drum 2",),
        },
        licence="GPL-2+",
        weight=0.3,
        attribution="Electric Empire Kit (Hydrogen)",
    ),
    _h2(
        "HardElectro1",
        "train",
        {
            36: ("Kick 1", "Kick 2", "Kick 3"),
            38: ("Snare",),
            42: ("Closed HH 1", "Closed HH 2", "Closed HH 3", "Closed HH 4"),
            46: ("Open HH",),
        },
        licence="GPL-2+",
        weight=0.3,
        attribution="Hard Electro 1 (Hydrogen)",
    ),
    KitSpec(
        "AVL Black Pearl",
        "sf2",
        "train",
        "avldrums.lv2-soundfont",
        "GPL-2+ (the SF2 says CC-BY-SA)",
        "Black_Pearl_4_LV2.sf2",
        bank=0,
        preset=0,
        family="avl",
        mapping=AVL_KEYS,
        attribution="AVL Drumkits, Glen MacArthur (AV Linux)",
    ),
    *(
        KitSpec(
            f"FluidR3 {n}",
            "sf2",
            "train",
            _GM_FLUID,
            "MIT",
            "FluidR3_GM.sf2",
            bank=128,
            preset=p,
            family="fluidr3",
            mapping=GM_KEYS if n.startswith(("Power", "Electronic")) else GM_KEYS_SPREAD_TOMS,
            weight=4.0 / len(_FLUID_PRESETS),
            attribution="FluidR3_GM, Frank Wen",
        )
        for p, n in _FLUID_PRESETS.items()
    ),
    # ------------------------------------------- train, extra (opt-in: data.extra_kits)
    KitSpec(
        "Sonic Pi Acoustic",
        "files",
        "train",
        "sonic-pi-samples",
        "CC0-1.0",
        "usr/share/sonic-pi/samples",
        mapping={
            36: ("drum_bass_soft.flac|drum_bass_hard.flac", "drum_heavy_kick.flac"),
            38: ("drum_snare_soft.flac|drum_snare_hard.flac",),
            42: ("drum_cymbal_closed.flac",),
            46: ("drum_cymbal_open.flac",),
            44: ("drum_cymbal_pedal.flac",),
            48: ("drum_tom_hi_soft.flac|drum_tom_hi_hard.flac",),
            45: ("drum_tom_mid_soft.flac|drum_tom_mid_hard.flac",),
            43: ("drum_tom_lo_soft.flac|drum_tom_lo_hard.flac",),
            49: ("drum_cymbal_soft.flac|drum_cymbal_hard.flac",),
            57: ("drum_splash_soft.flac|drum_splash_hard.flac",),
        },
        extra=True,
        attribution="Sonic Pi samples (acoustic kit by menegass, Freesound, CC0)",
    ),
    KitSpec(
        "LMMS",
        "files",
        "train",
        "lmms-common",
        "GPL-2+ (the package's; the samples' origin is not documented)",
        "usr/share/lmms/samples/drums",
        mapping={
            36: (
                *(f"bassdrum0{i}.ogg" for i in range(1, 5)),
                *("bassdrum_acoustic02.ogg", "kick01.ogg", "kick_hard01.ogg", "kick_soft02.ogg"),
            ),
            38: (*(f"snare0{i}.ogg" for i in range(1, 8)), "snare_muffled01.ogg"),
            40: ("snare_rim01.ogg", "rim01.ogg"),
            42: tuple(f"hihat_closed0{i}.ogg" for i in range(1, 6)),
            46: ("hihat_opened01.ogg", "hihat_opened02.ogg"),
            44: ("hihat_foot_pedal01.ogg",),
            49: ("crash02.ogg",),
        },
        # left out: tom_hi01/mid01/low01, snare_acoustic01 and sidestick01 are TimGM6mb's (a
        # validation kit) recordings (audio correlation 0.88-0.99); its toms come from donors.
        # crash01, ride01 and ride02 (0.21 s) are cut off mid-ring: a ride or crash that stops
        # short taught the model wrongly in a CPU run (DATA.md "Extra kits"); donors ring instead
        extra=True,
        attribution="LMMS drum samples (lmms-common)",
    ),
    KitSpec(
        "STK",
        "files",
        "train",
        "stk",
        "STK licence (MIT-style)",
        "usr/share/stk/rawwaves",
        mapping={
            36: ("bassdrum.raw",),
            38: ("snardrum.raw",),
            42: ("hihatcym.raw",),
            48: ("tomhidrm.raw",),
            45: ("tommiddr.raw",),
            43: ("tomlowdr.raw",),
            49: ("crashcym.raw",),
            51: ("ridecymb.raw",),
        },
        weight=0.5,
        extra=True,
        attribution="The Synthesis ToolKit in C++ (STK) rawwaves, Perry R. Cook and Gary P. Scavone",
    ),
    # ---------------------------------------------------------------- any split
    KitSpec(TINY_KIT_NAME, "tiny", None, "(none: synthesised in code)", "MIT"),
)

_BY_NAME = {s.name: s for s in KIT_SPECS}

#: Names of every registered kit (sampled kits and the in-code ``tiny`` kit).
KIT_NAMES: tuple[str, ...] = tuple(s.name for s in KIT_SPECS)


def kit_names(split: str | None = None, *, extra: bool = False) -> tuple[str, ...]:
    """Registered kit names, all or those of one split (``tiny`` belongs to none).

    A split's *extra* kits (see the module docstring) are included only with ``extra``.
    """
    if split is None:
        return KIT_NAMES
    _check_split(split)
    return tuple(s.name for s in KIT_SPECS if s.split == split and (extra or not s.extra))


def kits_for_split(split: str) -> tuple[str, ...]:
    """The sampled kits a split renders with by default."""
    return kit_names(split)


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")


def _synth_spec(name: str) -> KitSpec:
    return KitSpec(
        name,
        "synth",
        "train",
        "(none: synthesised in code)",
        "generated in code (no samples)",
        attribution=f"drumscribe synthesised kit, version {SYNTH_KIT_VERSION}",
    )


def get_spec(name: str) -> KitSpec:
    """The registry entry of a kit name (``synthkit-NNN`` names get a train-split entry).

    Raises
    ------
    KitError
        If the name is unknown (with a hint when it is close to a known name).
    """
    spec = _BY_NAME.get(name)
    if spec is not None:
        return spec
    if synth_kit_index(name) is not None:
        return _synth_spec(name)
    close = [n for n in KIT_NAMES if n.lower().replace(" ", "") == name.lower().replace(" ", "")]
    if name.lower().startswith(SYNTH_KIT_PREFIX) and name[len(SYNTH_KIT_PREFIX) :].isdigit():
        close = [synth_kit_name(int(name[len(SYNTH_KIT_PREFIX) :]))]
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise KitError(
        f"unknown kit {name!r}{hint}; known kits: {', '.join(KIT_NAMES)}, "
        f"and {SYNTH_KIT_PREFIX}NNN (synthesised, train only)"
    ) from None


def _missing_message(specs: Sequence[KitSpec]) -> str:
    pkgs = sorted({s.package for s in specs})
    names = ", ".join(repr(s.name) for s in specs)
    return (
        f"kit {names} not found; run scripts/setup_kits.sh "
        f"(needs Debian package{'s' if len(pkgs) > 1 else ''} {', '.join(pkgs)})"
    )


def missing_kits(names: Iterable[str]) -> list[str]:
    """The kits among ``names`` that can't be loaded here: neither their package is
    installed nor their one-shot bank is in the cache (:func:`load_kit`)."""
    return [n for n in names if not _available(get_spec(n))]


def _bank_stem(spec: KitSpec) -> Path:
    return kit_cache_dir() / "banks" / _slug(spec.name)


def bank_files(name: str) -> tuple[Path, Path]:
    """Where a sampled kit's one-shot bank is cached: its index (.json) and samples (.npy).

    Copy both to another machine's cache (``$DRUMSCRIBE_KIT_CACHE/banks``) to use the kit
    there without its package (``scripts/gpu_bundle.sh`` does so for the train split)."""
    stem = _bank_stem(get_spec(name))
    return stem.with_suffix(".json"), stem.with_suffix(".npy")


def _available(spec: KitSpec) -> bool:
    """Installed, or its bank was copied here without its source (see :func:`load_kit`)."""
    return spec.installed() or _bank_stem(spec).with_suffix(".json").is_file()


def resolve_kits(
    split: str,
    kits: Sequence[str] | None,
    *,
    split_kits: bool = True,
    synth_kits: int = 0,
    extra_kits: bool = False,
) -> tuple[str, ...]:
    """The kit names a split renders with.

    Parameters
    ----------
    split : {"train", "validation", "test"}
    kits : sequence of str, optional
        None gives the split's registered kits. An explicit list is checked (unknown
        names raise :class:`KitError`); with ``split_kits`` the split keeps only the
        listed kits registered to it (plus ``tiny``, which belongs to every split), and
        an empty result is an error; without it every listed kit is used in every split.
    split_kits : bool
        Keep the kit hold-out. Synthesised kits (``synthkit-NNN``) are train-only: with
        ``split_kits``, naming one for validation or test raises :class:`KitError`.
    synth_kits : int
        Add ``synthkit-000`` .. ``synthkit-{N-1}`` to the train split's kits (each drawn
        like one sampled kit of weight 1). Only for ``split="train"``; asking for them
        in another split raises :class:`KitError` while ``split_kits`` is on.
    extra_kits : bool
        With ``kits=None``, also the split's extra kits (named kits are used either way).

    Returns
    -------
    tuple of str
        Distinct kit names, in order: the listed (or registered) kits, then the
        synthesised ones.
    """
    _check_split(split)
    if synth_kits < 0:
        raise ValueError(f"synth_kits must be >= 0, got {synth_kits}")
    if split_kits and split != "train":
        synth = [k for k in (kits or ()) if get_spec(k).kind == "synth"]
        if synth or synth_kits:
            what = ", ".join(synth) if synth else f"{synth_kits} synthesised kits"
            raise KitError(
                f"synthesised kits ({what}) are for training only: the {split} split renders "
                "held-out sampled kits; add them to the train split only (--synth-kits N, "
                "data.synth_kits) or disable the kit split"
            )
    if kits is None:
        names = kit_names(split, extra=extra_kits)
    else:
        specs = [get_spec(k) for k in kits]
        names = tuple(s.name for s in specs if not split_kits or s.split is None or s.split == split)
        if not names:
            raise KitError(
                f"none of the kits {list(kits)} belongs to the {split} split "
                f"(its kits: {', '.join(kit_names(split))}); pass kits of that split, "
                "'tiny', or disable the kit split"
            )
    if split == "train" and synth_kits:
        names = (*names, *synth_kit_names(synth_kits))
    missing = [get_spec(n) for n in missing_kits(names)]
    if missing:
        raise KitError(_missing_message(missing))
    return tuple(dict.fromkeys(names))


def kit_cache_dir() -> Path:
    """Where one-shot banks (and the unpacked eXaDrums kit) live.

    ``$DRUMSCRIBE_KIT_CACHE``, else ``$XDG_CACHE_HOME/drumscribe/kits``, else
    ``~/.cache/drumscribe/kits``.
    """
    env = os.environ.get("DRUMSCRIBE_KIT_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "drumscribe" / "kits"


# ---------------------------------------------------------------------------- building


def _signature(spec: KitSpec) -> str:
    from drumscribe_training.synth.kitmodel import BANK_FORMAT

    src = spec.source_path()
    parts = [str(BANK_FORMAT), repr(spec)]
    files = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
    for f in files:
        st = f.stat()
        parts.append(f"{f.name}:{st.st_size}:{int(st.st_mtime)}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _stable_rng_value(name: str, lo: float, hi: float) -> float:
    u = (zlib.crc32(name.encode()) % 10_000) / 10_000.0
    return lo + (hi - lo) * u


def _build_hydrogen(spec: KitSpec) -> tuple[list[RawVoice], dict[int, list[int]]]:
    from drumscribe_training.synth.hydrogen import load_sample, read_drumkit

    kit_dir = spec.source_path()
    instruments = read_drumkit(kit_dir)
    voices: list[RawVoice] = []
    by_name: dict[str, int] = {}
    notes: dict[int, list[int]] = {}
    for note, names in spec.mapping.items():
        assert isinstance(names, tuple)
        for iname in names:
            if iname not in by_name:
                ins = instruments.get(iname)
                if ins is None:
                    raise KitError(f"kit {spec.name!r}: {kit_dir}/drumkit.xml has no instrument {iname!r}")
                layers: dict[tuple[float, float], RawLayer] = {}
                ids: set[str] = set()
                for la in ins.layers:
                    x, md5 = load_sample(la.path)
                    if not (abs(x).max() > 1e-6):
                        continue
                    ids.add(f"md5:{md5}")
                    x = x * float(la.gain)
                    if la.pitch:
                        x = pitch_shift(x, la.pitch)
                    key = (max(0.0, la.lo), min(1.0, la.hi))
                    layers.setdefault(key, RawLayer(key[0], key[1], [])).shots.append(x)
                if not layers:
                    raise KitError(f"kit {spec.name!r}: instrument {iname!r} has only silent samples")
                by_name[iname] = len(voices)
                voices.append(
                    RawVoice(iname, list(layers.values()), ids,
                             max_s=4.0 if note in CYMBAL_NOTES else 2.5)
                )  # fmt: skip
            notes.setdefault(note, []).append(by_name[iname])
    return voices, notes


#: STK's rawwaves: headerless 16-bit big-endian mono PCM at 22.05 kHz.
STK_RAW = {"samplerate": 22050, "channels": 1, "subtype": "PCM_16", "endian": "BIG", "format": "RAW"}
#: Fade at the end of each one-shot of a "files" kit (some are cut off mid-ring), in seconds.
FILES_END_FADE_S = 0.01


def _build_files(spec: KitSpec, *, end_fade_s: float) -> tuple[list[RawVoice], dict[int, list[int]]]:
    """One-shot files of a folder (kinds ``files`` and ``exadrums``): each mapped name is a
    voice (a clip picks one per note); ``"soft.flac|hard.flac"`` splits the velocity range
    evenly into layers, softest first; each one-shot's last ``end_fade_s`` fades out."""
    from drumscribe_training.synth.hydrogen import load_sample

    root = spec.source_path()
    fade = int(end_fade_s * SAMPLE_RATE)
    voices: list[RawVoice] = []
    notes: dict[int, list[int]] = {}
    for note, names in spec.mapping.items():
        assert isinstance(names, tuple)
        for entry in names:
            files = entry.split("|")
            layers, ids = [], set()
            for i, fname in enumerate(files):
                path = root / fname
                x, md5 = load_sample(path, raw=STK_RAW if path.suffix == ".raw" else None)
                if not (abs(x).max() > 1e-6):
                    raise KitError(f"kit {spec.name!r}: {path} is silent")
                n = min(fade, len(x))
                x[len(x) - n :] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
                layers.append(RawLayer(i / len(files), (i + 1) / len(files), [x]))
                ids.add(f"md5:{md5}")
            notes.setdefault(note, []).append(len(voices))
            voices.append(
                RawVoice(entry, layers, ids, max_s=4.0 if note in CYMBAL_NOTES else 2.5)
            )  # fmt: skip
    return voices, notes


def _build_sf2(spec: KitSpec) -> tuple[list[RawVoice], dict[int, list[int]]]:
    from drumscribe_training.synth.soundfont import render_preset

    mapping = {n: k for n, k in spec.mapping.items() if n not in spec.exclude}
    keys: dict[int, float] = {}
    for note, key in mapping.items():
        assert isinstance(key, int)
        keys[key] = max(keys.get(key, 0.0), 4.0 if note in CYMBAL_NOTES else 2.0)
    rendered = render_preset(spec.source_path(), spec.bank, spec.preset, keys, spec.family)
    voices: list[RawVoice] = []
    by_key: dict[int, int] = {}
    notes: dict[int, list[int]] = {}
    for note, key in sorted(mapping.items()):
        assert isinstance(key, int)
        if key not in rendered:
            continue
        if key not in by_key:
            layers, ids = rendered[key]
            by_key[key] = len(voices)
            voices.append(
                RawVoice(f"key {key}", [RawLayer(lo, hi, [x]) for lo, hi, x in layers], ids,
                         relative_velocity=True, max_s=4.0 if note in CYMBAL_NOTES else 2.5)
            )  # fmt: skip
        notes[note] = [by_key[key]]
    return voices, notes


def _complete(spec: KitSpec, voices: list[RawVoice], notes: dict[int, list[int]]) -> dict[str, object]:
    """Derive missing toms and crash 2, then apply in-kit fallbacks. Returns what was done."""
    done: dict[str, object] = {}
    for note in spec.exclude:
        notes.pop(note, None)
    for tom, sources in TOM_DERIVATION.items():
        if tom in notes or tom in spec.exclude:
            continue
        for src, lo, hi in sources:
            if src in notes and src not in spec.exclude:
                st = round(_stable_rng_value(f"{spec.name}/{tom}", lo, hi), 2)
                base = voices[notes[src][0]]
                layers = [
                    RawLayer(la.lo, la.hi, [pitch_shift(x, st) for x in la.shots]) for la in base.layers
                ]
                notes[tom] = [len(voices)]
                voices.append(
                    RawVoice(f"{base.name} {st:+.2f} st", layers, set(base.ids),
                             base.relative_velocity, base.max_s)
                )  # fmt: skip
                done[f"derived {tom}"] = f"from {src} shifted {st:+.2f} semitones"
                break
    for a, b, st in ((57, 49, -1.5), (49, 57, 1.5)):
        if a not in notes and a not in spec.exclude and b in notes:
            base = voices[notes[b][0]]
            layers = [RawLayer(la.lo, la.hi, [pitch_shift(x, st) for x in la.shots]) for la in base.layers]
            notes[a] = [len(voices)]
            voices.append(
                RawVoice(f"{base.name} {st:+.1f} st", layers, set(base.ids),
                         base.relative_velocity, base.max_s)
            )  # fmt: skip
            done[f"derived {a}"] = f"from {b} shifted {st:+.1f} semitones"
    for note, subs in FALLBACKS.items():
        if note in notes or note in spec.exclude:
            continue
        for s in subs:
            if s in notes:
                notes[note] = list(notes[s])
                done[f"fallback {note}"] = s
                break
    return done


def build_kit(spec: KitSpec) -> Kit:
    """Build a kit from its source files (slow for SoundFonts: seconds)."""
    if spec.kind == "tiny":
        return build_tiny_kit()
    if spec.kind == "synth":
        index = synth_kit_index(spec.name)
        if index is None:  # pragma: no cover (get_spec only makes synth specs of valid names)
            raise KitError(f"kit {spec.name!r}: not a synthesised kit name")
        return build_synth_kit(index)
    if not spec.installed():
        raise KitError(_missing_message([spec]))
    if spec.kind == "hydrogen":
        voices, notes = _build_hydrogen(spec)
    elif spec.kind == "sf2":
        voices, notes = _build_sf2(spec)
    elif spec.kind in ("exadrums", "files"):  # eXaDrums' one-shots end cleanly: no fade
        voices, notes = _build_files(spec, end_fade_s=FILES_END_FADE_S if spec.kind == "files" else 0.0)
    else:  # pragma: no cover
        raise KitError(f"kit {spec.name!r}: unknown kind {spec.kind!r}")
    done = _complete(spec, voices, notes)
    info = {
        "source": str(spec.source_path()),
        "kind": spec.kind,
        "licence": spec.licence,
        "package": spec.package,
        "split": spec.split,
        "completed": done,
    }
    return pack_kit(spec.name, voices, notes, info)


_LOADED: dict[str, Kit] = {}
_LOCK = threading.Lock()


def load_kit(name: str) -> Kit:
    """Load a kit (cached per process; the bank is built once per machine into the cache).

    ``tiny`` and the synthesised ``synthkit-NNN`` kits are built in code, in memory
    (about 0.1-0.4 s and 11-19 MB per synthesised kit), once per process.

    Raises
    ------
    KitError
        If the kit is unknown or not installed; the message names the package.
    """
    with _LOCK:
        kit = _LOADED.get(name)
        if kit is not None:
            return kit
        spec = get_spec(name)
        if spec.kind in ("tiny", "synth"):
            kit = build_kit(spec)
        elif not spec.installed():
            # A bank copied from another machine (a training box without the Debian
            # packages): used as it is, since there is no source to check it against.
            kit = load_bank(_bank_stem(spec), None)
            if kit is None:
                raise KitError(_missing_message([spec]))
        else:
            stem = _bank_stem(spec)
            sig = _signature(spec)
            kit = load_bank(stem, sig)
            if kit is None:
                save_bank(build_kit(spec), stem, sig)
                kit = load_bank(stem, sig)
                if kit is None:  # pragma: no cover
                    raise KitError(f"kit {name!r}: could not read back its bank from {stem}")
        _LOADED[name] = kit
        return kit
