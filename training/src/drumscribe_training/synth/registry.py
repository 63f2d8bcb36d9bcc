"""The kit registry: which sampled kits exist, how their sounds map to Roland notes,
which split hears which kit, and building/caching their one-shot banks.

The tables (every kit, its split, its note mapping) are data: ``kits.yaml`` beside this
module, read once at import into :data:`KIT_SPECS`.

Splits (see docs/DATA.md): the *test* split renders only kits never heard in training, each
from a different source (ForzeeStereo, AVL Red Zeppelin, BJA_Pacific, Audiophob,
FluidR3 TR-808); *validation* uses other held-out kits; *train* gets the rest. Where two
kits share recordings (the AVL SoundFonts share their hi-hats; FluidR3's TR-808 preset
shares its cymbals and cross-stick with every FluidR3 kit), the held-out kit drops those
pieces (``exclude``) and borrows them at render time from another kit of its own split,
so no one-shot heard in training is ever heard in validation or test
(``tests/training/synth/test_synth_kits.py`` checks the sample identities).

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
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

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


#: Roland note -> instrument or file names (alternatives a clip chooses between), or -> SoundFont key.
KitMapping = dict[int, tuple[str, ...]] | dict[int, int]


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
    mapping: KitMapping = field(default_factory=dict)
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
            names = (n for ns in self.mapping.values() if isinstance(ns, tuple) for n in ns)
            return all((p / f).is_file() for n in names for f in n.split("|"))
        marker = "drumkit.xml" if self.kind == "hydrogen" else "Default.xml"
        return (p / marker).is_file()


#: The kit tables: package data beside this module.
KITS_FILE = "kits.yaml"


def _read_kits_file() -> dict[str, Any]:
    text = (resources.files(__package__) / KITS_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return data


def _kit_specs(
    entries: list[dict[str, Any]],
    kind_defaults: dict[str, dict[str, Any]],
    key_maps: dict[str, dict[int, int]],
) -> list[KitSpec]:
    """A :class:`KitSpec` per entry of the kits file, in its order; an entry with
    ``presets`` gives one kit per preset (named after it, sharing the entry's weight)."""
    specs = []
    for raw in entries:
        entry = {**kind_defaults.get(raw["kind"], {}), **raw}
        presets: dict[int, str] = entry.pop("presets", {})
        preset_mappings: dict[int, str] = entry.pop("preset_mappings", {})
        # built through a set: the spec's repr, part of the bank cache's signature, keeps the
        # element order it had as a set literal in code, so banks cached before stay valid
        entry["exclude"] = frozenset(set(entry.get("exclude", ())))
        kits = [entry]
        if presets:
            share = float(entry.get("weight", 1.0)) / len(presets)
            kits = [
                {
                    **entry,
                    "name": entry["name"].replace("{preset}", name),
                    "preset": preset,
                    "mapping": preset_mappings.get(preset, entry["mapping"]),
                    "weight": share,
                }
                for preset, name in presets.items()
            ]
        for fields in kits:
            mapping = fields["mapping"]  # a key map's name, or note -> names
            if isinstance(mapping, str):
                fields["mapping"] = key_maps[mapping]
            else:
                fields["mapping"] = {int(note): tuple(names) for note, names in mapping.items()}
            if fields["kind"] == "hydrogen":
                fields.setdefault("path", fields["name"])
            specs.append(KitSpec(**fields))
    return specs


_KITS_DATA = _read_kits_file()
_KEY_MAPS = {name: {int(n): int(k) for n, k in m.items()} for name, m in _KITS_DATA["key_maps"].items()}

#: Roland note -> General MIDI drum key of a GM SoundFont preset.
GM_KEYS: dict[int, int] = _KEY_MAPS["gm"]
#: GM_KEYS for the FluidR3 presets whose GM low tom and high floor tom are one pitch.
GM_KEYS_SPREAD_TOMS: dict[int, int] = _KEY_MAPS["gm_spread_toms"]
#: Roland note -> key of the AVL drumkits SoundFonts.
AVL_KEYS: dict[int, int] = _KEY_MAPS["avl"]

KIT_SPECS: tuple[KitSpec, ...] = (
    *_kit_specs(_KITS_DATA["kits"], _KITS_DATA["kind_defaults"], _KEY_MAPS),
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
