"""Files and folders that hold personal data: created ``0640`` (owner reads and writes,
group reads) in folders ``0750``, whatever the process's umask.

The umask masks the mode given to ``open`` and ``mkdir`` (under 077 a file would be 0600,
under 002 a folder 0775; ``Path.mkdir(parents=True)`` even creates the parents with the
default mode, 0755 under 022), so every file is opened with the mode and then ``fchmod``-ed,
and every new folder is ``chmod``-ed after ``mkdir``. Folders that already exist are left
as they are (the operator's choice), except that :func:`private_dirs` never loosens them.

Every writer of the working folder (``data_dir``: downloads, rejects, baselines, Data Docs,
run reports, the SQLite registry) and of the outbox goes through these helpers.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path, PurePosixPath
from typing import IO, Any

from core.errors import InvalidInput

__all__ = [
    "DIR_MODE", "FILE_MODE", "atomic_write", "fsync_dir", "make_dirs", "open_private",
    "private_dirs", "restrict_file", "restrict_tree",
]  # fmt: skip

FILE_MODE = 0o640
DIR_MODE = 0o750


def _new_dir(folder: Path) -> None:
    """``mkdir`` one folder ``DIR_MODE`` (a folder made meanwhile by another writer is
    left as it is)."""
    try:
        folder.mkdir(mode=DIR_MODE)
    except FileExistsError:
        if not folder.is_dir():
            raise
        return
    os.chmod(folder, DIR_MODE)


def private_dirs(folder: Path) -> Path:
    """Create ``folder`` and its missing parents, each new one ``DIR_MODE``; returns it."""
    folder = Path(folder)
    missing: list[Path] = []
    current = folder
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for new in reversed(missing):
        _new_dir(new)
    return folder


def make_dirs(base: Path, relative: PurePosixPath) -> Path:
    """Create ``base/relative`` folder by folder, each new one ``DIR_MODE``."""
    current = Path(base)
    for part in relative.parts:
        current = current / part
        if not current.is_dir():
            _new_dir(current)
    return current


def open_private(path: Path, mode: str = "wb", *, exclusive: bool = False, **kwargs: Any) -> IO:
    """Open ``path`` for writing (created or truncated), ``FILE_MODE`` whatever the umask;
    ``mode`` and ``kwargs`` as for :func:`open` (``"wb"``, ``"w"`` with ``encoding``...).
    ``exclusive``: fail when the file exists (a temporary name)."""
    if not mode.startswith("w"):
        raise InvalidInput(f"open_private writes files, mode {mode!r} is not a write mode")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # the umask took bits off, or the file existed
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def fsync_dir(path: Path) -> None:
    """Make the renames in a folder durable (POSIX)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes | memoryview) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, ``fsync`` and
    rename; the file ends up ``FILE_MODE`` whatever the umask.

    The folder itself is not synced here (a caller writing many files syncs each folder
    once: :func:`fsync_dir`).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open_private(tmp, exclusive=True) as fh:
            view = memoryview(data).cast("B")
            fd = fh.fileno()
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def restrict_file(path: Path) -> None:
    """Take every permission beyond ``FILE_MODE`` off an existing file (never adds one;
    a missing file, or one this user may not change, is left alone)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & ~FILE_MODE:
            os.chmod(path, mode & FILE_MODE)
    except (FileNotFoundError, PermissionError):
        pass


def restrict_tree(root: Path) -> None:
    """Set every folder under ``root`` (``root`` included) to ``DIR_MODE`` and every file
    to ``FILE_MODE``: for trees another library writes with its own modes (the Great
    Expectations stores and Data Docs), inside a folder already ``DIR_MODE``."""
    root = Path(root)
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        os.chmod(folder, DIR_MODE)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, FILE_MODE)
