"""One release's files being prepared: :class:`StagedOutbox` (a locked staging folder,
each file written atomically with its ``.sha256``, committed checksums first) and
:class:`StagedFile`."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Self

import pandas as pd

from connectors.files import atomic_write as _atomic_write
from connectors.files import make_dirs as _make_dirs
from connectors.outbox.csv_render import render_csv
from connectors.outbox.fileops import (
    _fsync_dirs,
    _move_into_place,
    _try_lock,
    checksum_line,
)
from connectors.outbox.names import CHECKSUM_SUFFIX, _checked_rel_path, kind_of
from core.errors import InvalidInput


@dataclass(frozen=True)
class StagedFile:
    """A staged file: its path relative to the outbox root, kind, sha256 and size."""

    path: str
    kind: str
    sha256: str
    size: int


class StagedOutbox:
    """The files of one release being prepared, in a staging folder that this object
    holds an exclusive lock on (``flock``) until it is committed, discarded or released:
    :meth:`Outbox.remove_stale_staging` never touches a folder that is in use, and a
    killed process's lock goes with it.

    A context manager that discards the files unless :meth:`commit` was called (a
    commit that failed half-way leaves them for :meth:`Outbox.place_recorded`)."""

    def __init__(self, root: Path, folder: Path) -> None:
        self.root = root
        self.folder = folder
        self._files: dict[PurePosixPath, StagedFile] = {}
        self._state = "open"
        self._lock = _try_lock(folder)
        if self._lock is None:  # a fresh folder: nobody else can hold it
            raise RuntimeError(f"staging folder {folder} is locked by another process")

    # writing ---------------------------------------------------------------------------
    @property
    def files(self) -> list[str]:
        """Relative paths written so far, in write order."""
        return [str(f) for f in self._files]

    @property
    def staging(self) -> str:
        """The staging folder relative to the outbox root (``.staging/<tag>.<random>``),
        as ``release_file.staging`` records it."""
        return self.folder.relative_to(self.root).as_posix()

    def manifest(self) -> list[StagedFile]:
        """The staged files with kind, sha256 and size, in write order (computed while
        writing: nothing is read back)."""
        return list(self._files.values())

    def path(self, rel_path: str) -> Path:
        """Where ``rel_path`` is staged (for a reader that wants to check it)."""
        return self.folder / _checked_rel_path(rel_path)

    def write_bytes(self, rel_path: str, data: bytes | memoryview, *, kind: str | None = None) -> Path:
        """Stage ``data`` (any bytes-like object) as ``rel_path`` plus its ``.sha256``;
        returns the staged path. ``kind``: see :func:`kind_of` (the default)."""
        if self._state != "open":
            raise RuntimeError(f"staged outbox {self.folder.name} is already {self._state}")
        rel = _checked_rel_path(rel_path)
        if rel in self._files:
            raise InvalidInput(f"outbox file {rel} was already written in this release")
        folder = _make_dirs(self.folder, rel.parent)
        target = folder / rel.name
        _atomic_write(target, data)
        digest = hashlib.sha256(data).hexdigest()
        _atomic_write(
            folder / (rel.name + CHECKSUM_SUFFIX), checksum_line(digest, rel.name).encode()
        )
        size = memoryview(data).nbytes
        self._files[rel] = StagedFile(str(rel), kind or kind_of(str(rel)), digest, size)
        return target

    def write_text(self, rel_path: str, text: str, *, kind: str | None = None) -> Path:
        """Stage UTF-8 text."""
        return self.write_bytes(rel_path, text.encode("utf-8"), kind=kind)

    def write_csv(self, rel_path: str, frame: pd.DataFrame, *, kind: str | None = None) -> Path:
        """Stage ``frame`` as ``|``-separated UTF-8 CSV with a header row (LF line ends;
        missing values empty; fields holding ``|``, quotes or line feeds are quoted): see
        :func:`render_csv`."""
        return self.write_bytes(rel_path, render_csv(frame), kind=kind)

    # finishing -------------------------------------------------------------------------
    def commit(self) -> list[Path]:
        """Move the staged files into the outbox root and remove the staging folder.

        Two rounds of renames: every ``.sha256`` first, then every data file, each round
        followed by an ``fsync`` of the folders it touched (in parallel: one journal
        commit, not one per folder). A data file is never in the root without its
        checksum, not even after a power cut. Returns the committed files as paths in the
        root, in write order, each checksum followed by its data file.

        If a rename fails, the files not yet moved stay in the staging folder (the lock
        is released): :meth:`Outbox.place_recorded` finishes the job from the record.
        """
        if self._state != "open":
            raise RuntimeError(f"staged outbox {self.folder.name} is already {self._state}")
        self._state = "committing"
        committed: list[Path] = []
        try:
            folders = {rel: _make_dirs(self.root, rel.parent) for rel in self._files}
            for suffix in (CHECKSUM_SUFFIX, ""):  # the checksums, then the data files
                for rel, folder in folders.items():
                    name = rel.name + suffix
                    _move_into_place(self.folder / rel.parent / name, folder / name)
                _fsync_dirs(set(folders.values()))
            committed = [
                folder / name
                for rel, folder in folders.items()
                for name in (rel.name + CHECKSUM_SUFFIX, rel.name)
            ]
            shutil.rmtree(self.folder)
        except BaseException:
            self._state = "interrupted"
            self.release()
            raise
        self._state = "committed"
        self.release()
        return committed

    def discard(self) -> None:
        """Remove the staging folder and everything in it (nothing reaches the root)."""
        if self._state == "committed":
            return
        shutil.rmtree(self.folder, ignore_errors=True)
        self._state = "discarded"
        self.release()

    def release(self) -> None:
        """Give up the folder's lock (idempotent); the files stay where they are."""
        lock, self._lock = self._lock, None
        if lock is not None:
            os.close(lock)  # closing the descriptor releases the flock

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._state == "open":
            self.discard()
        self.release()
