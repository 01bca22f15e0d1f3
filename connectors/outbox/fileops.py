"""The outbox's file operations: ``sha256sum`` lines and file digests, the rename into
place (:func:`_move_into_place`), folder syncs, and the ``flock`` on staging folders."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from connectors.files import fsync_dir as _fsync_dir

_HASH_CHUNK = 1 << 20


def checksum_line(digest: str, file_name: str) -> str:
    """One ``sha256sum`` line: ``<64 hex>  <file name>``."""
    return f"{digest}  {file_name}\n"


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _move_into_place(source: Path, target: Path) -> None:
    """One rename into the outbox (the caller syncs the folder before any rename that
    must come after this one)."""
    os.replace(source, target)


def _fsync_dirs(folders: set[Path]) -> None:
    """``fsync`` every folder, in parallel when there are several (a journaling file
    system then commits them together)."""
    if len(folders) <= 1:
        for folder in folders:
            _fsync_dir(folder)
        return
    with ThreadPoolExecutor(min(16, len(folders)), thread_name_prefix="outbox-fsync") as pool:
        list(pool.map(_fsync_dir, folders))


def _matches(path: Path, sha256: str, size: int) -> bool:
    """Whether the file has ``size`` bytes and the sha256 ``sha256`` (size first: cheap)."""
    try:
        if path.stat().st_size != size:
            return False
        return file_sha256(path) == sha256
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def _flocked(folder: Path, how: int) -> Iterator[None]:
    """Hold ``flock(folder, how)`` (waiting for it) for the block."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, how)
        yield
    finally:
        os.close(fd)


def _try_lock(folder: Path) -> int | None:
    """An exclusive ``flock`` on ``folder`` (a descriptor to close to release it), or
    ``None`` when another open descriptor holds it."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd
