"""The outbox folder: :class:`Outbox` (fresh staging folders, checks against the
``.sha256`` files, completing a recorded delivery after a crash, removing stale staging
folders, uploading) and :class:`FileLost`."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Protocol

from connectors.files import DIR_MODE, private_dirs
from connectors.files import atomic_write as _atomic_write
from connectors.files import fsync_dir as _fsync_dir
from connectors.files import make_dirs as _make_dirs
from connectors.outbox.fileops import (
    _flocked,
    _matches,
    _move_into_place,
    _try_lock,
    checksum_line,
    file_sha256,
)
from connectors.outbox.names import (
    _TAG,
    CHECKSUM_SUFFIX,
    STAGING_DIR,
    _checked_rel_path,
    _checked_staging,
)
from connectors.outbox.staging import StagedOutbox
from core.errors import ChecksumMismatch, DataError, InvalidInput


class UploadTarget(Protocol):
    """Where outbox files go (an SFTP endpoint): ``upload_verified(local, rel_path,
    sha256)`` puts the file and its ``.sha256`` in place, the data checked on the far
    side (see :meth:`connectors.sftp.ExtractSource.upload_verified`)."""

    def upload_verified(self, local: Path, rel_path: str, sha256: str) -> None: ...


class FileLost(DataError):
    """A file a release must deliver is neither staged nor in the outbox (or neither copy
    matches its recorded sha256), and it cannot be rendered again."""

    hint = (
        "put the file back (with the content its sha256 names) and run `sigap repair`, or "
        "publish a new version of the period: `sigap run --period YYYY-MM --force`"
    )


class Outbox:
    """The outbox folder ``root`` (created ``0750`` when missing)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def staging(self, release_tag: str) -> StagedOutbox:
        """A fresh staging folder ``root/.staging/<release_tag>.<random>``, locked."""
        if not _TAG.match(release_tag):
            raise InvalidInput(f"release tag {release_tag!r} must be a plain file-name part")
        staging_root = self._staging_root()
        # created and locked under the shared sweep lock: a sweep never sees it unlocked
        with _flocked(staging_root, fcntl.LOCK_SH):
            folder = staging_root / f"{release_tag}.{secrets.token_hex(4)}"
            folder.mkdir(mode=DIR_MODE)
            os.chmod(folder, DIR_MODE)
            return StagedOutbox(self.root, folder)

    def _staging_root(self) -> Path:
        private_dirs(self.root)  # its missing parents too (data_dir/outbox)
        return _make_dirs(self.root, PurePosixPath(STAGING_DIR))

    def path(self, rel_path: str) -> Path:
        """The committed file ``rel_path`` in the root."""
        return self.root / _checked_rel_path(rel_path)

    def verify(self, rel_path: str) -> str:
        """Check a committed file against its ``.sha256``; returns the digest.

        Raises :class:`core.errors.ChecksumMismatch` when the checksum file is missing,
        malformed or disagrees.
        """
        local = self.path(rel_path)
        checksum = local.with_name(local.name + CHECKSUM_SUFFIX)
        if not checksum.is_file():
            raise ChecksumMismatch("checksum file is missing", file=str(rel_path))
        fields = checksum.read_text(encoding="utf-8").split()
        if len(fields) != 2 or fields[1].lstrip("*") != local.name:
            raise ChecksumMismatch("checksum file is not in sha256sum format", file=str(rel_path))
        actual = file_sha256(local)
        if actual != fields[0].lower():
            raise ChecksumMismatch("file does not match its .sha256", file=str(rel_path))
        return actual

    # completing a recorded delivery ----------------------------------------------------
    def place_recorded(
        self,
        rel_path: str,
        sha256: str,
        size: int,
        staging: str | None,
        *,
        render: Callable[[], bytes] | None = None,
    ) -> str:
        """Make sure the recorded file ``rel_path`` (``sha256``, ``size``) is in the root
        with its ``.sha256``, whatever a crash left behind; idempotent.

        The data come from the staging folder when the staged copy matches the record,
        else from the root when the file is already there and matches, else from
        ``render()`` (the file made again, e.g. from the database) when it gives exactly
        the recorded bytes. Then, as in :meth:`StagedOutbox.commit`, the checksum is put
        in place first and the data file second. Returns ``"moved"``, ``"present"`` or
        ``"rendered"``; raises :class:`FileLost` when there is nothing to deliver.
        """
        rel = _checked_rel_path(rel_path)
        final = self.root / rel
        line = checksum_line(sha256, rel.name).encode()
        staged = self.root / _checked_staging(staging) / rel if staging else None
        problems: list[str] = []
        if staged is not None and staged.is_file():
            if _matches(staged, sha256, size):
                self._place(rel, staged, line)
                return "moved"
            problems.append("the staged copy does not match its recorded sha256")
        if final.is_file() and _matches(final, sha256, size):
            checksum = final.with_name(final.name + CHECKSUM_SUFFIX)
            if not (checksum.is_file() and checksum.read_bytes() == line):
                self._place(rel, None, line)
            return "present"
        if final.is_file():
            problems.append("the file in the outbox does not match its recorded sha256")
        if render is not None:
            data = render()
            if hashlib.sha256(data).hexdigest() == sha256 and len(data) == size:
                with self.staging("repair") as scratch:
                    scratch.write_bytes(str(rel), data)
                    self._place(rel, scratch.path(str(rel)), line)
                return "rendered"
            problems.append("made again from the database it differs from the published file")
        if not problems:
            problems.append("neither staged nor in the outbox")
        raise FileLost("; ".join(problems), file=str(final))

    def _place(self, rel: PurePosixPath, source: Path | None, line: bytes) -> None:
        """The checksum ``line`` then ``source`` (when given) into the root, each by
        rename followed by the folder's ``fsync``."""
        folder = _make_dirs(self.root, rel.parent)
        checksum_name = rel.name + CHECKSUM_SUFFIX
        staged_checksum = None if source is None else source.with_name(checksum_name)
        if staged_checksum is not None and staged_checksum.is_file() and staged_checksum.read_bytes() == line:
            _move_into_place(staged_checksum, folder / checksum_name)
        else:  # written from the record, in a staging folder of its own, then moved
            with self.staging("checksum") as scratch:
                _atomic_write(scratch.folder / checksum_name, line)
                _move_into_place(scratch.folder / checksum_name, folder / checksum_name)
        _fsync_dir(folder)
        if source is not None:
            _move_into_place(source, folder / rel.name)
            _fsync_dir(folder)

    def remove_stale_staging(self, keep: Iterable[str] = ()) -> list[str]:
        """Remove every staging folder except those in ``keep`` and those a live process
        holds; returns the folders removed (relative to the root)."""
        base = self.root / STAGING_DIR
        if not base.is_dir():
            return []
        kept = {str(k) for k in keep}
        removed = []
        with _flocked(base, fcntl.LOCK_EX):  # no staging folder is being created meanwhile
            for folder in self.staging_folders():
                if folder not in kept and self.remove_staging(folder):
                    removed.append(folder)
        return removed

    def staging_folders(self) -> list[str]:
        """Every folder under ``.staging`` (relative to the root, e.g. ``.staging/202610_v2.ab12cd34``)."""
        base = self.root / STAGING_DIR
        if not base.is_dir():
            return []
        return sorted(f"{STAGING_DIR}/{p.name}" for p in base.iterdir() if p.is_dir())

    def in_use(self, staging: str) -> bool:
        """Whether a live process holds the staging folder (its lock)."""
        folder = self.root / _checked_staging(staging)
        if not folder.is_dir():
            return False
        lock = _try_lock(folder)
        if lock is None:
            return True
        os.close(lock)
        return False

    def remove_staging(self, staging: str) -> bool:
        """Remove a staging folder unless a live process holds it; returns whether it is
        gone. The lock is held while removing, so a publisher cannot take it meanwhile."""
        folder = self.root / _checked_staging(staging)
        if not folder.is_dir():
            return True
        lock = _try_lock(folder)
        if lock is None:
            return False
        try:
            shutil.rmtree(folder)
        finally:
            os.close(lock)
        with contextlib.suppress(OSError):
            _fsync_dir(folder.parent)
        return True

    # uploading -------------------------------------------------------------------------
    def upload_file(self, rel_path: str, sha256: str, target: UploadTarget) -> None:
        """Upload the committed file ``rel_path`` (recorded as ``sha256``) and its
        checksum to ``target``, which checks the bytes that arrived against ``sha256``
        before renaming them into place. Raises :class:`FileLost` when the file is not in
        the outbox."""
        local = self.path(rel_path)
        if not local.is_file():
            raise FileLost("not in the outbox: nothing to upload", file=str(local))
        target.upload_verified(local, str(_checked_rel_path(rel_path)), sha256)

    def upload(self, files: Iterable[str | Path], target: UploadTarget) -> list[str]:
        """Upload committed files, each with its ``.sha256``.

        ``files``: relative paths or paths inside the root, e.g. what
        :meth:`StagedOutbox.commit` returned; ``.sha256`` entries are skipped (each goes
        with its data file). Every file is verified against its checksum before it leaves
        and checked again on the far side (:meth:`upload_file`). Returns the relative paths
        of the data files uploaded.
        """
        uploaded: list[str] = []
        for item in files:
            if str(item).endswith(CHECKSUM_SUFFIX):
                continue
            rel = self._relative(item)
            if rel in uploaded:
                continue
            self.upload_file(rel, self.verify(rel), target)
            uploaded.append(rel)
        return uploaded

    def _relative(self, item: str | Path) -> str:
        path = Path(item)
        if path.is_absolute():
            try:
                path = path.resolve().relative_to(self.root.resolve())
            except ValueError:
                raise InvalidInput(f"{item} is not inside the outbox {self.root}") from None
        return str(_checked_rel_path(path.as_posix()))
