"""A minimal SoundFont 2 reader: which samples a drum preset plays per key and velocity.

tinysoundfont renders SoundFonts but does not tell which sample a key plays. This module
reads the preset/instrument/sample tables (``pdta``) of an ``.sf2``/``.sf3`` file so that
the kit builder can render one one-shot per velocity layer, and the kit registry can check
that held-out kits share no samples with training kits.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KeyZone", "list_presets", "read_preset_zones"]

_GEN_KEY_RANGE = 43
_GEN_VEL_RANGE = 44
_GEN_INSTRUMENT = 41
_GEN_SAMPLE_ID = 53


@dataclass(frozen=True)
class KeyZone:
    """One sample a preset plays for ``key`` at velocities ``vel_lo..vel_hi``."""

    key: int
    vel_lo: int
    vel_hi: int
    sample: str


def _chunks(data: bytes, start: int, end: int) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    pos = start
    while pos + 8 <= end:
        cid = data[pos : pos + 4].decode("latin-1")
        size = struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if cid == "LIST":
            kind = data[body : body + 4].decode("latin-1")
            out[kind] = (body + 4, body + size)
        else:
            out[cid] = (body, body + size)
        pos = body + size + (size & 1)
    return out


def _read_pdta(path: Path) -> dict[str, bytes]:
    with open(path, "rb") as fh:
        head = fh.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
            raise ValueError(f"{path}: not a SoundFont (RIFF sfbk) file")
        # walk top-level chunks without reading the (large) sample data
        pdta: dict[str, bytes] = {}
        while True:
            hdr = fh.read(12)
            if len(hdr) < 8:
                break
            cid = hdr[:4]
            size = struct.unpack_from("<I", hdr, 4)[0]
            if cid == b"LIST" and hdr[8:12] == b"pdta":
                body = hdr[8:12] + fh.read(size - 4)
                for name, (a, b) in _chunks(body, 4, len(body)).items():
                    pdta[name] = body[a:b]
                break
            fh.seek(size - 4 + (size & 1), 1)
    for need in ("phdr", "pbag", "pgen", "inst", "ibag", "igen", "shdr"):
        if need not in pdta:
            raise ValueError(f"{path}: SoundFont without a {need} chunk")
    return pdta


def _name(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("latin-1").strip()


def _gens(gen: bytes, a: int, b: int) -> list[tuple[int, bytes]]:
    return [(struct.unpack_from("<H", gen, i * 4)[0], gen[i * 4 + 2 : i * 4 + 4]) for i in range(a, b)]


def list_presets(path: str | Path) -> list[tuple[int, int, str]]:
    """``(bank, preset, name)`` of every preset in a SoundFont."""
    pdta = _read_pdta(Path(path))
    phdr = pdta["phdr"]
    out = []
    for i in range(len(phdr) // 38 - 1):  # the last record is the terminal EOP
        name = _name(phdr[i * 38 : i * 38 + 20])
        preset, bank = struct.unpack_from("<HH", phdr, i * 38 + 20)
        out.append((bank, preset, name))
    return out


def _zones(bag: bytes, gen: bytes, first: int, last: int) -> list[list[tuple[int, bytes]]]:
    zones = []
    for z in range(first, last):
        g0 = struct.unpack_from("<H", bag, z * 4)[0]
        g1 = struct.unpack_from("<H", bag, (z + 1) * 4)[0]
        zones.append(_gens(gen, g0, g1))
    return zones


def _range(zone: list[tuple[int, bytes]], oper: int) -> tuple[int, int]:
    for op, amt in zone:
        if op == oper:
            return amt[0], amt[1]
    return 0, 127


def read_preset_zones(path: str | Path, bank: int, preset: int) -> list[KeyZone]:
    """Every (key, velocity range, sample name) that preset ``bank:preset`` plays.

    Raises
    ------
    KeyError
        If the SoundFont holds no such preset.
    """
    pdta = _read_pdta(Path(path))
    phdr, pbag, pgen = pdta["phdr"], pdta["pbag"], pdta["pgen"]
    inst, ibag, igen, shdr = pdta["inst"], pdta["ibag"], pdta["igen"], pdta["shdr"]
    n_presets = len(phdr) // 38 - 1
    for i in range(n_presets):
        p, b = struct.unpack_from("<HH", phdr, i * 38 + 20)
        if (b, p) == (bank, preset):
            bag0 = struct.unpack_from("<H", phdr, i * 38 + 24)[0]
            bag1 = struct.unpack_from("<H", phdr, (i + 1) * 38 + 24)[0]
            break
    else:
        raise KeyError(f"{path}: no preset {bank}:{preset}")
    out: list[KeyZone] = []
    for pz in _zones(pbag, pgen, bag0, bag1):
        inst_id = next((struct.unpack("<H", a)[0] for op, a in pz if op == _GEN_INSTRUMENT), None)
        if inst_id is None:
            continue  # global zone
        pk = _range(pz, _GEN_KEY_RANGE)
        pv = _range(pz, _GEN_VEL_RANGE)
        ib0 = struct.unpack_from("<H", inst, inst_id * 22 + 20)[0]
        ib1 = struct.unpack_from("<H", inst, (inst_id + 1) * 22 + 20)[0]
        for iz in _zones(ibag, igen, ib0, ib1):
            sid = next((struct.unpack("<H", a)[0] for op, a in iz if op == _GEN_SAMPLE_ID), None)
            if sid is None:
                continue
            ik = _range(iz, _GEN_KEY_RANGE)
            iv = _range(iz, _GEN_VEL_RANGE)
            k0, k1 = max(pk[0], ik[0]), min(pk[1], ik[1])
            v0, v1 = max(pv[0], iv[0]), min(pv[1], iv[1])
            if k0 > k1 or v0 > v1:
                continue
            sname = _name(shdr[sid * 46 : sid * 46 + 20])
            for key in range(k0, k1 + 1):
                out.append(KeyZone(key, v0, v1, sname))
    return out
