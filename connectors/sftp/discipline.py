"""The delivery discipline both sources share (``contracts/EXTRACTS.md``):
:class:`_ChecksummedSource` fetches a data file only against its ``.sha256`` (into a
``.part``, renamed into place when it matches) and uploads with the checksum checked
on the far side, over a few storage primitives each source implements."""

from __future__ import annotations

import logging
import os
import posixpath
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from connectors.files import private_dirs
from connectors.sftp.checksums import parse_sha256_line, sha256_file
from connectors.sftp.interface import (
    CHECKSUM_SUFFIX,
    MAX_TEXT_BYTES,
    PART_SUFFIX,
    FetchedFile,
)
from core.errors import (
    ChecksumMismatch,
    DataError,
    DeliveryIncomplete,
    InvalidInput,
    RemoteFileMissing,
    SftpUnavailable,
)

# the package's logger: the records keep the name connectors.sftp
log = logging.getLogger(__package__)


def _clean_relative(relative_path: str) -> str:
    """``relative_path`` normalised (``a//b/./c`` -> ``a/b/c``); refuses absolute paths,
    ``..`` and empty paths (a ``ValueError``: the caller's mistake, not the provider's)."""
    text = str(relative_path).replace("\\", "/")
    if not text or text.startswith("/"):
        raise InvalidInput(f"expected a path relative to the source root, got {relative_path!r}")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise InvalidInput(f"expected a path inside the source root, got {relative_path!r}")
    return "/".join(parts)


def _rate(size: int, seconds: float) -> float:
    """MB/s (10^6 bytes per second) for the logs."""
    return size / 1e6 / seconds if seconds > 0 else float("inf")


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


class _ChecksummedSource:
    """The fetch algorithm shared by both sources, over five storage primitives."""

    #: label used in logs (the host or ``local``)
    _where: str = ""

    def __init__(
        self,
        name: str,
        *,
        checksum_wait_seconds: float = 0.0,
        checksum_poll_seconds: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if checksum_wait_seconds < 0 or checksum_poll_seconds < 0:
            raise InvalidInput("checksum_wait_seconds and checksum_poll_seconds must be >= 0")
        self.name = str(name)
        self.checksum_wait_seconds = float(checksum_wait_seconds)
        self.checksum_poll_seconds = float(checksum_poll_seconds)
        self._sleep = sleep

    # primitives -----------------------------------------------------------------------
    def _describe(self, rel: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _size(self, rel: str) -> int | None:  # pragma: no cover - abstract
        """Size of a regular file, ``None`` when it does not exist."""
        raise NotImplementedError

    def _read_bytes(self, rel: str, limit: int) -> bytes | None:  # pragma: no cover
        """Whole content of a small file, ``None`` when it does not exist."""
        raise NotImplementedError

    def _stream_to(self, rel: str, part: Path) -> tuple[str, int]:  # pragma: no cover
        """Copy ``rel`` into ``part`` (created or truncated), hashing while streaming:
        ``(sha256 hex, bytes)``. Raises ``FileNotFoundError`` when ``rel`` is missing."""
        raise NotImplementedError

    def _put(self, local: Path, rel: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _send_part(self, local: Path, rel: str, *, resume: bool) -> int:  # pragma: no cover
        """Write ``local`` to ``rel`` (parents created). With ``resume``, a shorter file
        already at ``rel`` is kept and only the bytes after it are sent. Returns the
        offset the transfer started from."""
        raise NotImplementedError

    def _digest(self, rel: str) -> tuple[str, int]:  # pragma: no cover - abstract
        """``(sha256 hex, bytes)`` of ``rel``, read back from where it is stored."""
        raise NotImplementedError

    def _write_small(self, rel: str, data: bytes) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _rename(self, rel: str, new_rel: str) -> None:  # pragma: no cover - abstract
        """Rename, replacing ``new_rel`` when it exists."""
        raise NotImplementedError

    def _remove(self, rel: str) -> None:  # pragma: no cover - abstract
        """Remove ``rel``; nothing when it does not exist."""
        raise NotImplementedError

    # the interface --------------------------------------------------------------------
    def fetch(self, relative_path: str, dest_dir: Path) -> FetchedFile:
        """Fetch ``relative_path`` into ``dest_dir/<file name>``, verified.

        Raises :class:`~core.errors.RemoteFileMissing` (no data file),
        :class:`~core.errors.DeliveryIncomplete` (no ``.sha256`` after the wait),
        :class:`~core.errors.ChecksumMismatch` (nothing is left in ``dest_dir``) or
        :class:`~core.errors.DataError` (an unreadable ``.sha256``).
        """
        rel = _clean_relative(relative_path)
        remote = self._describe(rel)
        file_name = posixpath.basename(rel)
        expected = self._announced_checksum(rel, remote)

        dest_dir = private_dirs(Path(dest_dir))  # the extracts are personal data
        dest = dest_dir / file_name
        if dest.is_file() and sha256_file(dest) == expected:
            size = dest.stat().st_size
            log.info(
                "%s: %s already present with the announced checksum (%d bytes); not downloaded",
                self._where, remote, size,
            )  # fmt: skip
            return FetchedFile(path=dest, sha256=expected, size=size, remote=remote)

        part = dest_dir / f"{file_name}{PART_SUFFIX}"
        started = time.perf_counter()
        try:
            try:
                digest, size = self._stream_to(rel, part)
            except FileNotFoundError:
                raise RemoteFileMissing(
                    "the data file is missing (its .sha256 is there)", file=remote
                ) from None
            if digest != expected:
                raise ChecksumMismatch(
                    f"SHA-256 of the {size} bytes received is {digest}, the .sha256 file says "
                    f"{expected}: a broken transfer or a broken file, not used",
                    file=remote,
                )
            os.replace(part, dest)
        finally:
            _remove_quietly(part)
        seconds = time.perf_counter() - started
        log.info(
            "%s: fetched %s (%d bytes) in %.2f s, %.1f MB/s",
            self._where, remote, size, seconds, _rate(size, seconds),
        )  # fmt: skip
        return FetchedFile(path=dest, sha256=expected, size=size, remote=remote)

    def exists(self, relative_path: str) -> bool:
        """Whether ``relative_path`` exists as a regular file."""
        return self._size(_clean_relative(relative_path)) is not None

    def read_text(self, relative_path: str) -> str:
        """Content of a small UTF-8 text file (BOM removed), at most 16 MiB.

        Raises :class:`~core.errors.RemoteFileMissing` when absent,
        :class:`~core.errors.DataError` when too large or not UTF-8.
        """
        rel = _clean_relative(relative_path)
        data = self._read_bytes(rel, MAX_TEXT_BYTES)
        if data is None:
            raise RemoteFileMissing("file not found", file=self._describe(rel))
        return self._decode(data, rel)

    def upload(self, local: Path, relative_path: str) -> None:
        """Upload ``local`` to ``relative_path`` (parents created; temporary name, then
        an atomic rename, so a reader never sees half a file)."""
        local = Path(local)
        if not local.is_file():
            raise FileNotFoundError(f"nothing to upload: {local} is not a file")
        rel = _clean_relative(relative_path)
        size = local.stat().st_size
        started = time.perf_counter()
        self._put(local, rel)
        seconds = time.perf_counter() - started
        log.info(
            "%s: uploaded %s (%d bytes) in %.2f s, %.1f MB/s",
            self._where, self._describe(rel), size, seconds, _rate(size, seconds),
        )  # fmt: skip

    def upload_verified(self, local: Path, relative_path: str, sha256: str) -> None:
        """Put ``local`` at ``relative_path`` with its ``.sha256`` beside it, so that the
        data file is never there without its checksum, nor half-written, nor damaged.

        1. The data goes to ``<name>.part`` and the checksum line to
           ``<name>.sha256.part``.
        2. Both are read back from the server and checked: the data file's size and
           sha256 against ``sha256`` (SFTP has no server-side hash: OpenSSH offers none),
           the checksum file byte for byte.
        3. They are renamed into place, the checksum first, then the data file (each
           replacing an older copy).

        A ``<name>.part`` left by an upload that was cut off (a killed process, a lost
        connection) is resumed: only the missing bytes are sent, and the whole is
        checked; when that does not match, the file is sent again from the start.
        Raises :class:`~core.errors.ChecksumMismatch` when ``local`` itself no longer
        matches ``sha256``, :class:`~core.errors.SftpUnavailable` when the bytes on the
        server do not match after a full transfer (the ``.part`` is removed).
        """
        local = Path(local)
        if not local.is_file():
            raise FileNotFoundError(f"nothing to upload: {local} is not a file")
        rel = _clean_relative(relative_path)
        size = local.stat().st_size
        part, checksum = rel + PART_SUFFIX, rel + CHECKSUM_SUFFIX
        started = time.perf_counter()
        offset = self._send_part(local, part, resume=True)
        got = self._digest(part)
        if got != (sha256, size) and offset:
            log.warning(
                "%s: the resumed upload of %s does not match (%d bytes, sha256 %s); "
                "sending it again from the start",
                self._where, self._describe(rel), got[1], got[0],
            )  # fmt: skip
            offset = self._send_part(local, part, resume=False)
            got = self._digest(part)
        if got != (sha256, size):
            self._remove(part)
            if sha256_file(local) != sha256:
                raise ChecksumMismatch(
                    f"no longer matches its recorded sha256 {sha256}: not uploaded", file=str(local)
                )
            raise SftpUnavailable(
                f"{self.name}: {self._describe(part)} holds {got[1]} bytes with sha256 {got[0]} "
                f"after the upload, not the {size} bytes sent ({sha256}): removed; the next "
                "attempt sends it again"
            )
        line = f"{sha256}  {posixpath.basename(rel)}\n".encode()
        self._write_small(checksum + PART_SUFFIX, line)
        if self._read_bytes(checksum + PART_SUFFIX, MAX_TEXT_BYTES) != line:
            self._remove(checksum + PART_SUFFIX)
            raise SftpUnavailable(
                f"{self.name}: {self._describe(checksum + PART_SUFFIX)} does not hold what "
                "was sent: removed; the next attempt sends it again"
            )
        self._rename(checksum + PART_SUFFIX, checksum)
        self._rename(part, rel)
        seconds = time.perf_counter() - started
        log.info(
            "%s: uploaded %s (%d bytes%s) and its %s, checked, in %.2f s, %.1f MB/s",
            self._where, self._describe(rel), size,
            f", resumed at byte {offset}" if offset else "", CHECKSUM_SUFFIX,
            seconds, _rate(size - offset, seconds),
        )  # fmt: skip

    def close(self) -> None:
        """Nothing to release by default."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # internals ------------------------------------------------------------------------
    def _decode(self, data: bytes, rel: str) -> str:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(f"not UTF-8 text ({exc.reason})", file=self._describe(rel)) from None

    def _announced_checksum(self, rel: str, remote: str) -> str:
        """The digest from ``<rel>.sha256``, polling while the data file is there without it."""
        checksum_rel = rel + CHECKSUM_SUFFIX
        waited = 0.0
        while True:
            data = self._read_bytes(checksum_rel, MAX_TEXT_BYTES)
            if data is not None:
                return parse_sha256_line(
                    self._decode(data, checksum_rel),
                    posixpath.basename(rel),
                    checksum_file=self._describe(checksum_rel),
                )
            if self._size(rel) is None:
                raise RemoteFileMissing("file not found (nor its .sha256)", file=remote)
            remaining = self.checksum_wait_seconds - waited
            if remaining <= 0:
                raise DeliveryIncomplete(
                    f"the data file is there but its {CHECKSUM_SUFFIX} is not"
                    + (f" (waited {waited:g} s)" if waited else "")
                    + ": the provider is still writing it",
                    file=remote,
                )
            step = (
                remaining
                if self.checksum_poll_seconds <= 0
                else min(self.checksum_poll_seconds, remaining)
            )
            log.info(
                "%s: %s has no %s yet; checking again in %g s",
                self._where, remote, CHECKSUM_SUFFIX, step,
            )  # fmt: skip
            self._sleep(step)
            waited += step
