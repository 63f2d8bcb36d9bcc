"""Atomic file output: write to a temp file in the same folder, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from drumscribe.errors import DrumscribeError

__all__ = ["atomic_path", "atomic_write"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left untouched, so a
    reader never sees a half-written file. A ``path`` that already exists and is not a
    regular file (``/dev/stdout``, ``/dev/null``, a FIFO) is written in place: renaming
    onto it would replace the device or pipe with a plain file.

    Raises
    ------
    DrumscribeError
        If the folder does not exist or is not writable, or ``path`` is a folder.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise DrumscribeError(f"{target}: is a folder; give an output file name")
    if target.exists() and not target.is_file():
        yield target
        return
    if not folder.is_dir():
        raise DrumscribeError(
            f"{target}: output folder {folder} "
            + ("is a file, not a folder" if folder.exists() else "does not exist")
        )
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise DrumscribeError(f"{target}: cannot write to {folder}: {exc.strerror}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        # mkstemp makes 0600 files; give the output the permissions a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        yield tmp
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename is not None and Path(exc.filename) == tmp:
            # name the output the caller asked for, not our hidden temp file
            raise type(exc)(exc.errno, exc.strerror, str(target)) from None
        raise


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = "utf-8"
) -> Iterator[IO[Any]]:
    """Open a temp file for writing and rename it onto ``path`` when the block succeeds.

    Parameters
    ----------
    path : path-like
        Final destination.
    mode : {"w", "wb"}
        Text or binary.
    encoding : str or None
        Text encoding (ignored for binary mode).
    """
    with atomic_path(path) as tmp:
        kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": encoding, "newline": "\n"}
        with open(tmp, mode, **kwargs) as fh:
            yield fh
