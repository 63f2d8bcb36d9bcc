"""File checks and atomic file output (write to a temp file in the same folder, then rename)."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from drumscribe.errors import DrumscribeError

__all__ = [
    "STALE_TEMP_AGE_S",
    "atomic_path",
    "atomic_write",
    "check_output_location",
    "display",
    "read_regular_file",
    "regular_file_problem",
]

#: A hidden temp file of ours (``.NAME.XXXXXXXX.tmp``) older than this is left over from a run
#: that was killed (SIGKILL, power loss) and is removed when the same output is written again.
#: A temp file lives only while one output is being written (seconds), never this long.
STALE_TEMP_AGE_S = 3600.0
#: ``tempfile.mkstemp``'s random part: 8 characters of ``[a-z0-9_]``.
_TEMP_NAME = re.compile(r"[a-z0-9_]{8}\.tmp")


def display(path: str | os.PathLike[str]) -> str:
    """``path`` as printable text: bytes that are not valid in the file-system encoding
    (a non-UTF-8 file name arrives as lone surrogates) shown as U+FFFD instead of raising."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "replace")
    return text


def regular_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` is not a readable regular file, in a few words; None when it is one.

    Tells apart a missing file, a symbolic link loop, a folder and a pipe or device (which
    could be endless: ``/dev/zero``, a FIFO nobody writes to).
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a loop of symbolic links"
        return exc.strerror or str(exc)
    if stat.S_ISDIR(mode):
        return "is a folder"
    if not stat.S_ISREG(mode):
        return "not a regular file (a pipe or a device)"
    return None


def read_regular_file(path: str | os.PathLike[str], *, max_bytes: int, what: str) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; never reads a pipe or device.

    Raises
    ------
    OSError
        From the file system (no such file, permission denied, ...).
    ValueError
        ``"{what}: ..."``: not a regular file, or larger than ``max_bytes``.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe or a device)"
        raise ValueError(f"{what} is {kind}")
    if info.st_size > max_bytes:
        os.close(fd)
        raise ValueError(f"{what} is {info.st_size} bytes, more than the {max_bytes} allowed")
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew while read
        raise ValueError(f"{what} is more than the {max_bytes} bytes allowed")
    return data


def check_output_location(path: str | os.PathLike[str], *, make_folder: bool = False) -> None:
    """Raise :class:`DrumscribeError` when an output file cannot go to ``path``: it is a
    folder, or its folder is a file or missing (with ``make_folder``, a missing folder is
    fine when the nearest folder that exists above it is a folder: it can be made). Cheap:
    run it before any work is done."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise DrumscribeError(f"{display(target)}: is a folder; give an output file name")
    if target.exists() and not target.is_file():
        return  # a pipe or device, written in place
    if make_folder:
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
    if not folder.is_dir():
        raise DrumscribeError(
            f"{display(target)}: output folder {display(folder)} "
            + ("is a file, not a folder" if folder.exists() else "does not exist")
        )


def _sweep_stale_temps(folder: Path, name: str) -> None:
    """Remove our temp files for ``name`` left by a killed run (older than STALE_TEMP_AGE_S)."""
    prefix = f".{name}."
    cutoff = time.time() - STALE_TEMP_AGE_S
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            rest = entry.name[len(prefix) :]
            if entry.name.startswith(prefix) and _TEMP_NAME.fullmatch(rest):
                with contextlib.suppress(OSError):
                    if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception (Ctrl-C, and SIGTERM in the CLI, included) the temporary file is
    removed and ``path`` is left untouched, so a reader never sees a half-written file.
    Temp files of the same output left by a killed run (older than
    :data:`STALE_TEMP_AGE_S`) are removed first. A ``path`` that already exists and is not a
    regular file (``/dev/stdout``, ``/dev/null``, a FIFO) is written in place: renaming
    onto it would replace the device or pipe with a plain file.

    Raises
    ------
    DrumscribeError
        If the folder does not exist or is not writable, or ``path`` is a folder.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    check_output_location(target)
    if target.exists() and not target.is_file():
        yield target
        return
    _sweep_stale_temps(folder, target.name)
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
