"""Train/val/test splits of E-GMD rows and the ``{split}_split.txt`` files.

Two modes (``data.split_mode``):

- ``official``: the CSV's ``split`` column (train / validation / test -> train / val / test).
- ``grouped``: a deterministic split grouped by drummer and session, so that no
  performance (the same groove on several kits) leaks across splits. Groups are shuffled
  with ``data.split_seed`` and each goes to the split furthest below its share of
  ``data.grouped_fractions``, weighted by duration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from drumscribe._io import atomic_write
from drumscribe_training.data.egmd import EGMDError, EGMDRow

__all__ = ["SPLITS", "assign_splits", "read_split_file", "split_file_path", "write_split_files"]

#: Split names in order.
SPLITS: tuple[str, str, str] = ("train", "val", "test")


def assign_splits(
    rows: Iterable[EGMDRow],
    *,
    mode: str = "official",
    fractions: Sequence[float] = (0.7, 0.15, 0.15),
    seed: int = 0,
) -> dict[str, tuple[EGMDRow, ...]]:
    """Assign rows to ``train`` / ``val`` / ``test``.

    Parameters
    ----------
    rows : iterable of EGMDRow
    mode : {"official", "grouped"}
    fractions : three floats
        Target shares of train, val, test by duration (``grouped`` only).
    seed : int
        Shuffle seed of the groups (``grouped`` only).

    Returns
    -------
    dict
        Split name -> rows sorted by ``audio_filename`` (every split present, maybe empty).
    """
    rows = tuple(rows)
    out: dict[str, list[EGMDRow]] = {s: [] for s in SPLITS}
    if mode == "official":
        for row in rows:
            out[row.split].append(row)
    elif mode == "grouped":
        if len(fractions) != len(SPLITS) or any(f < 0 for f in fractions) or sum(fractions) <= 0:
            raise ValueError(f"grouped_fractions must be three non-negative shares, got {fractions}")
        shares = np.asarray(fractions, dtype=np.float64) / float(sum(fractions))
        groups: dict[str, list[EGMDRow]] = {}
        for row in rows:
            groups.setdefault(row.group, []).append(row)
        names = sorted(groups)
        order = np.random.default_rng(seed).permutation(len(names))
        total = sum(max(r.duration, 0.0) for r in rows) or 1.0
        assigned = np.zeros(len(SPLITS))
        for i in order:
            group = groups[names[int(i)]]
            deficit = shares * total - assigned
            k = int(np.argmax(deficit))
            out[SPLITS[k]].extend(group)
            assigned[k] += sum(max(r.duration, 0.0) for r in group) or 1e-9
    else:
        raise ValueError(f"unknown split mode {mode!r}; expected 'official' or 'grouped'")
    return {s: tuple(sorted(out[s], key=lambda r: r.audio_filename)) for s in SPLITS}


def split_file_path(splits_dir: str | Path, split: str) -> Path:
    """``<splits_dir>/<split>_split.txt``."""
    return Path(splits_dir) / f"{split}_split.txt"


def write_split_files(splits_dir: str | Path, splits: Mapping[str, Sequence[EGMDRow]]) -> list[Path]:
    """Write ``{train,val,test}_split.txt`` (one ``audio_filename`` a line), atomically."""
    folder = Path(splits_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for split in SPLITS:
        path = split_file_path(folder, split)
        with atomic_write(path) as fh:
            for row in splits.get(split, ()):
                fh.write(row.audio_filename + "\n")
        paths.append(path)
    return paths


def read_split_file(path: str | Path) -> tuple[str, ...]:
    """Read a ``*_split.txt`` file: the ``audio_filename`` of each line, blank lines skipped."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise EGMDError(f"{p}: cannot read split file ({exc.strerror})") from None
    return tuple(line.strip() for line in text.splitlines() if line.strip())
