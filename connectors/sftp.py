"""Where the monthly extracts come from: an SFTP server per source, or a local folder.

Both implementations of :class:`ExtractSource` apply the same delivery discipline
(``contracts/EXTRACTS.md``):

* every data file has a ``<file>.sha256`` beside it, in ``sha256sum`` format, written by the
  provider *after* the data file. A data file without its checksum file is still being
  written: it is never read (:class:`~core.errors.DeliveryIncomplete`, after an optional
  poll of ``checksum_wait_seconds``);
* the download goes to ``<dest>/<name>.part`` (``0640``, in folders created ``0750``,
  whatever the umask: the extracts are personal data) while its SHA-256 is computed, is compared
  with the ``.sha256`` (:class:`~core.errors.ChecksumMismatch`, the ``.part`` removed) and is
  renamed into place atomically only when it matches;
* a destination that already holds a file with the announced checksum is not downloaded
  again, so a re-run fetches only what changed. Downloads are not fsync'ed: a copy torn
  by a crash no longer matches its checksum and is simply fetched again.

:class:`SftpSource` logs in with a private key only and pins the server's host key from a
``known_hosts`` file (paramiko ``RejectPolicy``: an unknown or changed key is refused, never
added). Transient network failures are retried with exponential backoff and end in
:class:`~core.errors.SftpUnavailable`; authentication and host-key failures are
configuration errors and are not retried.

Logs name the host, the file, its size and the transfer rate; never credentials.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import posixpath
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, TypeVar, runtime_checkable

import paramiko
import paramiko.sftp

from connectors.files import open_private, private_dirs
from core.errors import (
    AuthenticationFailed,
    ChecksumMismatch,
    ConfigError,
    DataError,
    DeliveryIncomplete,
    InvalidInput,
    RemoteFileMissing,
    SftpUnavailable,
    UnknownHostKey,
)
from domain.codes import Source

if TYPE_CHECKING:
    from core.settings import Settings, SftpEndpoint

__all__ = [
    "CHECKSUM_SUFFIX",
    "ExtractSource",
    "FetchedFile",
    "LocalSource",
    "SftpSource",
    "open_source",
    "parse_sha256_line",
    "sha256_file",
]

log = logging.getLogger(__name__)

#: suffix of the checksum file written beside every data file
CHECKSUM_SUFFIX = ".sha256"
#: suffix of a download (or upload) in progress
PART_SUFFIX = ".part"
#: read/write block size while streaming and hashing
CHUNK_BYTES = 1024 * 1024
#: cap on what ``read_text`` (and the ``.sha256`` reader) accepts
MAX_TEXT_BYTES = 16 * 1024 * 1024
#: longest single backoff between two attempts
MAX_BACKOFF_SECONDS = 60.0

_SHA256_LINE = re.compile(r"^(?P<hex>[0-9a-fA-F]{64}) (?P<mode>[ *])(?P<name>\S.*)$")

T = TypeVar("T")


# --------------------------------------------------------------------------------------
# results and the interface
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchedFile:
    """A data file fetched and verified against its ``.sha256``."""

    #: the local copy (after the atomic rename)
    path: Path
    #: its SHA-256, lower-case hex (equal to the announced checksum)
    sha256: str
    #: its size in bytes
    size: int
    #: where it came from (``sftp://host:port/dir/file`` or the local path)
    remote: str


@runtime_checkable
class ExtractSource(Protocol):
    """One source's delivery folder (remote or local), addressed by relative paths.

    ``relative_path`` is relative to the source's root, e.g.
    ``2026/10/DUKCAPIL_3275_202610.csv.gz`` (see ``domain.extracts.ExtractSpec.remote_path``).
    """

    def fetch(self, relative_path: str, dest_dir: Path) -> FetchedFile:
        """Download a data file into ``dest_dir`` after checking it against its ``.sha256``."""
        ...

    def exists(self, relative_path: str) -> bool:
        """Whether the file is there (the data file only; says nothing of its checksum)."""
        ...

    def read_text(self, relative_path: str) -> str:
        """The content of a small UTF-8 text file."""
        ...

    def upload(self, local: Path, relative_path: str) -> None:
        """Put a local file at ``relative_path`` (written under a temporary name, then renamed)."""
        ...

    def upload_verified(self, local: Path, relative_path: str, sha256: str) -> None:
        """Put a local file and its ``.sha256`` at ``relative_path``, checked on the far
        side before they are renamed into place, the checksum first."""
        ...

    def close(self) -> None:
        """Release the connection (idempotent)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


# --------------------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------------------


def sha256_file(path: Path | str) -> str:
    """SHA-256 of a local file, lower-case hex, read in 1 MiB blocks."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def parse_sha256_line(text: str, expected_name: str, *, checksum_file: str | None = None) -> str:
    """The digest in a ``sha256sum`` checksum file that names ``expected_name``.

    Accepts ``<64 hex>  <name>`` (text mode) and ``<64 hex> *<name>`` (binary mode), a
    UTF-8 byte-order mark, CRLF line ends and blank lines; the file must hold exactly one
    entry, and its name (or the name's last path component) must be ``expected_name``'s
    file name. Returns the digest in lower case.

    Raises :class:`~core.errors.DataError` naming ``checksum_file`` (default
    ``<expected_name>.sha256``) when the content does not fit.
    """
    expected = posixpath.basename(expected_name.replace("\\", "/"))
    where = checksum_file or f"{expected}{CHECKSUM_SUFFIX}"
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) != 1:
        raise DataError(
            f"expected one line '<sha256>  {expected}' in sha256sum format, found {len(lines)}",
            file=where,
        )
    match = _SHA256_LINE.match(lines[0])
    if match is None:
        raise DataError(
            f"not in sha256sum format ('<64 hex digits>  {expected}'): {lines[0][:120]!r}",
            file=where,
        )
    named = match["name"].strip()
    named_base = posixpath.basename(named.replace("\\", "/"))
    if named != expected and named_base != expected:
        raise DataError(
            f"the checksum file names {named!r}, not {expected!r}",
            file=where,
        )
    return match["hex"].lower()


class _HashingWriter:
    """A binary sink that hashes and counts what passes through on its way to a file."""

    def __init__(self, out) -> None:
        self._out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self._out.write(data)


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


# --------------------------------------------------------------------------------------
# the shared delivery discipline
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# a local folder
# --------------------------------------------------------------------------------------


class LocalSource(_ChecksummedSource):
    """A source's delivery tree in a local folder (operators without SFTP, tests).

    Same interface and the same ``.sha256`` discipline as :class:`SftpSource`.
    """

    _where = "local"

    def __init__(
        self,
        root: Path,
        name: str,
        *,
        checksum_wait_seconds: float = 0.0,
        checksum_poll_seconds: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            name,
            checksum_wait_seconds=checksum_wait_seconds,
            checksum_poll_seconds=checksum_poll_seconds,
            sleep=sleep,
        )
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalSource(root={str(self.root)!r}, name={self.name!r})"

    def _path(self, rel: str) -> Path:
        return self.root / rel

    def _describe(self, rel: str) -> str:
        return str(self._path(rel))

    def _size(self, rel: str) -> int | None:
        path = self._path(rel)
        return path.stat().st_size if path.is_file() else None

    def _read_bytes(self, rel: str, limit: int) -> bytes | None:
        path = self._path(rel)
        if not path.is_file():
            return None
        if path.stat().st_size > limit:
            raise DataError(f"larger than {limit} bytes: not a small text file", file=str(path))
        return path.read_bytes()

    def _stream_to(self, rel: str, part: Path) -> tuple[str, int]:
        source = self._path(rel)
        if not source.is_file():
            raise FileNotFoundError(errno.ENOENT, "no such file", str(source))
        with open(source, "rb") as src, open_private(part) as out:
            writer = _HashingWriter(out)
            shutil.copyfileobj(src, writer, CHUNK_BYTES)
        return writer.digest.hexdigest(), writer.size

    def _put(self, local: Path, rel: str) -> None:
        target = self._path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + PART_SUFFIX)
        try:
            with open(local, "rb") as src, open(part, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK_BYTES)
                out.flush()
                os.fsync(out.fileno())
            os.replace(part, target)
        finally:
            _remove_quietly(part)

    def _send_part(self, local: Path, rel: str, *, resume: bool) -> int:
        target = self._path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        size = local.stat().st_size
        have = target.stat().st_size if resume and target.is_file() else None
        offset = have if have is not None and have <= size else 0
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | (0 if offset else os.O_TRUNC), 0o640)
        with open(fd, "r+b" if offset else "wb", closefd=True) as out, open(local, "rb") as src:
            out.seek(offset)
            src.seek(offset)
            _send_bytes(out, src)
            out.flush()
            os.fsync(out.fileno())
        return offset

    def _digest(self, rel: str) -> tuple[str, int]:
        path = self._path(rel)
        return sha256_file(path), path.stat().st_size

    def _write_small(self, rel: str, data: bytes) -> None:
        target = self._path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with open(fd, "wb", closefd=True) as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

    def _rename(self, rel: str, new_rel: str) -> None:
        os.replace(self._path(rel), self._path(new_rel))

    def _remove(self, rel: str) -> None:
        _remove_quietly(self._path(rel))


# --------------------------------------------------------------------------------------
# SFTP
# --------------------------------------------------------------------------------------


class _HostKeyNotPinned(paramiko.SSHException):
    """Raised by :class:`_PinnedHostKeys` for a host with no entry in known_hosts."""

    def __init__(self, hostname: str, key: paramiko.PKey) -> None:
        super().__init__(f"{hostname} is not in known_hosts")
        self.hostname = hostname
        self.key = key


class _PinnedHostKeys(paramiko.RejectPolicy):
    """paramiko's ``RejectPolicy``, keeping the offered key for the error message."""

    def missing_host_key(self, client, hostname, key):
        raise _HostKeyNotPinned(hostname, key)


class SftpSource(_ChecksummedSource):
    """A source's delivery folder on its SFTP server (paramiko).

    Key authentication only (Ed25519, ECDSA or RSA key at ``endpoint.private_key_path``,
    with ``endpoint.private_key_passphrase`` if it is encrypted); the host key must be in
    ``endpoint.known_hosts_path`` (entries for a port other than 22 are written
    ``[host]:port``). The connection opens on first use and is reused; one instance
    serves one thread.

    Transient failures (socket errors, timeouts, EOF, SSH errors other than
    authentication and host key) close the connection and retry the whole operation
    ``endpoint.retries`` times, waiting ``backoff_seconds * 2**n`` in between, then raise
    :class:`~core.errors.SftpUnavailable`.
    """

    def __init__(
        self,
        endpoint: SftpEndpoint,
        name: str,
        *,
        checksum_wait_seconds: float = 0.0,
        checksum_poll_seconds: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        backoff_seconds: float = 1.0,
    ) -> None:
        super().__init__(
            name,
            checksum_wait_seconds=checksum_wait_seconds,
            checksum_poll_seconds=checksum_poll_seconds,
            sleep=sleep,
        )
        self.endpoint = endpoint
        self.backoff_seconds = float(backoff_seconds)
        self._where = f"{endpoint.host}:{endpoint.port}"
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None

    def __repr__(self) -> str:
        ep = self.endpoint
        return f"SftpSource(name={self.name!r}, host={ep.host!r}, port={ep.port}, root={ep.remote_root!r})"

    # connection -------------------------------------------------------------------------
    def _load_private_key(self) -> paramiko.PKey:
        ep = self.endpoint
        if ep.private_key_path is None:
            raise ConfigError(
                f"{self.name}: no private_key_path for SFTP {self._where} (key authentication only)"
            )
        passphrase = (
            ep.private_key_passphrase.get_secret_value().encode("utf-8")
            if ep.private_key_passphrase
            else None
        )
        try:
            return paramiko.PKey.from_path(ep.private_key_path, password=passphrase)
        except (paramiko.PasswordRequiredException, TypeError) as exc:
            # cryptography reports a missing passphrase as TypeError, older PEM keys via
            # paramiko's PasswordRequiredException
            if passphrase is not None and not isinstance(exc, paramiko.PasswordRequiredException):
                raise ConfigError(
                    f"{self.name}: cannot load the private key {ep.private_key_path} "
                    f"({type(exc).__name__})"
                ) from None
            raise ConfigError(
                f"{self.name}: private key {ep.private_key_path} is encrypted and no "
                "private_key_passphrase is set"
            ) from None
        except (OSError, paramiko.SSHException, ValueError) as exc:
            raise ConfigError(
                f"{self.name}: cannot load the private key {ep.private_key_path} "
                f"({type(exc).__name__}; wrong passphrase or unsupported key type?)"
            ) from None

    def _connect(self) -> paramiko.SFTPClient:
        if self._sftp is not None and self._client is not None:
            transport = self._client.get_transport()
            if transport is not None and transport.is_active():
                return self._sftp
            self._disconnect()
        ep = self.endpoint
        if ep.known_hosts_path is None:
            raise ConfigError(
                f"{self.name}: no known_hosts_path for SFTP {self._where}: the host key must be pinned"
            )
        if not Path(ep.known_hosts_path).is_file():
            raise ConfigError(f"{self.name}: known_hosts file {ep.known_hosts_path} does not exist")
        pkey = self._load_private_key()
        client = paramiko.SSHClient()
        try:
            # only the pinned file: never ~/.ssh/known_hosts, never auto-add
            client.load_host_keys(str(ep.known_hosts_path))
            client.set_missing_host_key_policy(_PinnedHostKeys())
            client.connect(
                hostname=ep.host,
                port=ep.port,
                username=ep.username,
                pkey=pkey,
                allow_agent=False,
                look_for_keys=False,
                timeout=ep.timeout_seconds,
                banner_timeout=ep.timeout_seconds,
                auth_timeout=ep.timeout_seconds,
                channel_timeout=ep.timeout_seconds,
            )
            # a wider window and larger packets than paramiko's defaults (2 MiB, 32 KiB):
            # each SSH packet costs paramiko the same Python work whatever its size, so
            # 256 KiB packets carry a 90 MB extract about four times faster
            sftp = paramiko.SFTPClient.from_transport(
                client.get_transport(),
                window_size=CHANNEL_WINDOW_BYTES,
                max_packet_size=CHANNEL_PACKET_BYTES,
            )
            if sftp is None:
                raise paramiko.SSHException("the server refused to open an SFTP channel")
            channel = sftp.get_channel()
            if channel is not None:
                channel.settimeout(ep.timeout_seconds)
        except BaseException:
            client.close()
            raise
        self._client, self._sftp = client, sftp
        log.debug("%s: connected (%s)", self._where, self.name)
        return sftp

    def _disconnect(self) -> None:
        sftp, client = self._sftp, self._client
        self._sftp = self._client = None
        for closable in (sftp, client):
            if closable is not None:
                # closing a broken connection can fail in many ways; nothing to add
                with contextlib.suppress(Exception):
                    closable.close()

    def close(self) -> None:
        """Close the SFTP session and the SSH connection (idempotent)."""
        self._disconnect()

    def _run(self, what: str, operation: Callable[[paramiko.SFTPClient], T]) -> T:
        """Run ``operation`` on a live connection, retrying transient failures."""
        ep = self.endpoint
        attempts = max(0, int(ep.retries)) + 1
        for attempt in range(1, attempts + 1):
            try:
                return operation(self._connect())
            except paramiko.BadHostKeyException as exc:
                self._disconnect()
                raise UnknownHostKey(
                    f"{self.name}: the host key of {self._where} does not match the one pinned in "
                    f"{ep.known_hosts_path}: the server offered {exc.key.get_name()} "
                    f"{exc.key.fingerprint}, the file holds {exc.expected_key.get_name()} "
                    f"{exc.expected_key.fingerprint}"
                ) from None
            except _HostKeyNotPinned as exc:
                self._disconnect()
                raise UnknownHostKey(
                    f"{self.name}: {exc.hostname} is not in the pinned known_hosts "
                    f"{ep.known_hosts_path}; the server offered {exc.key.get_name()} "
                    f"{exc.key.fingerprint}"
                ) from None
            except paramiko.AuthenticationException as exc:
                self._disconnect()
                raise AuthenticationFailed(
                    f"{self.name}: {self._where} refused user {ep.username!r} with the key "
                    f"{ep.private_key_path} ({type(exc).__name__})"
                ) from None
            except FileNotFoundError:
                raise  # a missing remote file: each operation decides what that means
            except PermissionError as exc:
                self._disconnect()
                raise ConfigError(
                    f"{self.name}: permission denied on {self._where} while trying to {what} "
                    f"({exc.strerror or exc})"
                ) from None
            except (OSError, EOFError, paramiko.SSHException) as exc:
                # FileNotFoundError is handled by each operation; what reaches here is the
                # network, the SSH layer or a server-side failure: worth another try
                self._disconnect()
                if attempt >= attempts:
                    raise SftpUnavailable(
                        f"{self.name}: could not {what} on {self._where} after {attempts} "
                        f"attempt(s): {type(exc).__name__}: {exc}"
                    ) from exc
                delay = min(self.backoff_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
                log.warning(
                    "%s: %s failed (%s: %s); attempt %d of %d, retrying in %g s",
                    self._where, what, type(exc).__name__, exc, attempt, attempts, delay,
                )  # fmt: skip
                self._sleep(delay)
        raise SftpUnavailable(f"{self.name}: could not {what} on {self._where}")  # unreachable

    # primitives -----------------------------------------------------------------------
    def _remote(self, rel: str) -> str:
        return posixpath.normpath(posixpath.join(self.endpoint.remote_root or ".", rel))

    def _describe(self, rel: str) -> str:
        return f"sftp://{self._where}/{self._remote(rel)}"

    def _size(self, rel: str) -> int | None:
        remote = self._remote(rel)

        def stat(sftp: paramiko.SFTPClient) -> int | None:
            try:
                attrs = sftp.stat(remote)
            except FileNotFoundError:
                return None
            if attrs.st_mode is not None and not S_ISREG(attrs.st_mode):
                return None
            return int(attrs.st_size or 0)

        return self._run(f"stat {remote}", stat)

    def _read_bytes(self, rel: str, limit: int) -> bytes | None:
        remote = self._remote(rel)

        def read(sftp: paramiko.SFTPClient) -> bytes | None:
            try:
                with sftp.open(remote, "rb") as fh:
                    size = fh.stat().st_size or 0
                    if size > limit:
                        raise DataError(
                            f"larger than {limit} bytes: not a small text file",
                            file=self._describe(rel),
                        )
                    data = fh.read(limit + 1)
            except FileNotFoundError:
                return None
            if len(data) > limit:
                raise DataError(
                    f"larger than {limit} bytes: not a small text file", file=self._describe(rel)
                )
            return data

        return self._run(f"read {remote}", read)

    def _stream_to(self, rel: str, part: Path) -> tuple[str, int]:
        remote = self._remote(rel)

        def download(sftp: paramiko.SFTPClient) -> tuple[str, int]:
            # FileNotFoundError from open() propagates to fetch() as "data file missing"
            with sftp.open(remote, "rb") as fh:
                expected_size = int(fh.stat().st_size or 0)
                with open_private(part, buffering=CHUNK_BYTES) as out:
                    writer = _HashingWriter(out)
                    for chunk in _read_ahead(sftp, fh, expected_size):
                        writer.write(chunk)
            if writer.size != expected_size:
                raise EOFError(
                    f"received {writer.size} bytes of {expected_size} (connection cut short "
                    "or file changed during the transfer)"
                )
            return writer.digest.hexdigest(), writer.size

        return self._run(f"download {remote}", download)

    def _put(self, local: Path, rel: str) -> None:
        remote = self._remote(rel)
        part = remote + PART_SUFFIX

        def upload(sftp: paramiko.SFTPClient) -> None:
            _makedirs(sftp, posixpath.dirname(remote))
            try:
                sftp.put(str(local), part, confirm=True)
                sftp.posix_rename(part, remote)
            except BaseException:
                # the connection may be gone; the next upload overwrites the leftover
                with contextlib.suppress(Exception):
                    sftp.remove(part)
                raise

        self._run(f"upload {remote}", upload)

    def _send_part(self, local: Path, rel: str, *, resume: bool) -> int:
        remote = self._remote(rel)
        size = local.stat().st_size

        def send(sftp: paramiko.SFTPClient) -> int:
            # on a retry after a lost connection this runs again: it resumes from what
            # the server has by then
            _makedirs(sftp, posixpath.dirname(remote))
            have = None
            if resume:
                with contextlib.suppress(FileNotFoundError):
                    have = int(sftp.stat(remote).st_size or 0)
            offset = have if have is not None and have <= size else 0
            with sftp.open(remote, "r+b" if offset else "wb") as fh, open(local, "rb") as src:
                fh.set_pipelined(True)
                fh.seek(offset)
                src.seek(offset)
                _send_bytes(fh, src)
            return offset

        return self._run(f"upload {remote}", send)

    def _digest(self, rel: str) -> tuple[str, int]:
        remote = self._remote(rel)

        def read_back(sftp: paramiko.SFTPClient) -> tuple[str, int]:
            digest, got = hashlib.sha256(), 0
            with sftp.open(remote, "rb") as fh:
                for chunk in _read_ahead(sftp, fh, int(fh.stat().st_size or 0)):
                    digest.update(chunk)
                    got += len(chunk)
            return digest.hexdigest(), got

        return self._run(f"read back {remote}", read_back)

    def _write_small(self, rel: str, data: bytes) -> None:
        remote = self._remote(rel)

        def write(sftp: paramiko.SFTPClient) -> None:
            _makedirs(sftp, posixpath.dirname(remote))
            with sftp.open(remote, "wb") as fh:
                fh.write(data)

        self._run(f"upload {remote}", write)

    def _rename(self, rel: str, new_rel: str) -> None:
        remote, new_remote = self._remote(rel), self._remote(new_rel)
        self._run(f"rename {remote}", lambda sftp: sftp.posix_rename(remote, new_remote))

    def _remove(self, rel: str) -> None:
        remote = self._remote(rel)

        def remove(sftp: paramiko.SFTPClient) -> None:
            with contextlib.suppress(FileNotFoundError):
                sftp.remove(remote)

        self._run(f"remove {remote}", remove)


def _send_bytes(out, src) -> int:
    """Copy ``src`` from its position to ``out`` (a local file or an SFTP file opened
    for writing) in :data:`CHUNK_BYTES` blocks; returns the bytes sent."""
    sent = 0
    while chunk := src.read(CHUNK_BYTES):
        out.write(chunk)
        sent += len(chunk)
    return sent


#: the SSH channel's window and largest packet this client announces (OpenSSH sends
#: packets up to the announced size; its own limit is 256 KiB)
CHANNEL_WINDOW_BYTES = 16 << 20
CHANNEL_PACKET_BYTES = 256 << 10
#: the largest READ :func:`_read_ahead` asks for: OpenSSH's sftp-server answers up to
#: 255 KiB per READ (its 256 KiB message limit less room for the header); a server that
#: answers less tells the block size by its answer to the first request
READ_BLOCK_BYTES = 255 << 10
#: READ requests kept in flight by :func:`_read_ahead` (x 255 KiB: about 8 MB on the wire)
READ_AHEAD_REQUESTS = 32


class _Responses:
    """Where paramiko delivers the answers to :func:`_read_ahead`'s requests (it calls
    ``_async_response`` of the object a request was made for)."""

    def __init__(self, sftp: paramiko.SFTPClient) -> None:
        self.sftp = sftp
        self.data: dict[int, bytes | BaseException] = {}

    def _async_response(self, t: int, msg: paramiko.Message, num: int) -> None:
        if t == paramiko.sftp.CMD_DATA:
            self.data[num] = msg.get_string()
            return
        try:
            self.sftp._convert_status(msg)  # raises for every status but OK
            self.data[num] = paramiko.SFTPError("unexpected OK status to a READ request")
        except EOFError:
            self.data[num] = b""  # the file ended before this offset
        except Exception as exc:  # noqa: BLE001 - handed to the reader, which raises it
            self.data[num] = exc


def _read_ahead(sftp: paramiko.SFTPClient, fh: paramiko.SFTPFile, size: int):
    """The file's bytes, in order, with :data:`READ_AHEAD_REQUESTS` READ requests kept in
    flight from this thread.

    paramiko's own read-ahead (``SFTPFile.prefetch``, as in ``SFTPClient.get``) sends its
    requests from a second thread and marks itself done whenever every request sent *so
    far* has been answered; when that thread falls behind (the GIL is busy), every later
    read becomes one synchronous round trip: a 90 MB extract took 12-25 s instead of 1-2
    in about one run in three. Here requests are sent and answers consumed by one thread,
    in a sliding window, so that cannot happen. (Uses paramiko's request/response
    primitives ``_async_request``/``_read_response``, stable within the locked version.)

    The first request asks for :data:`READ_BLOCK_BYTES`; if the server answers with
    fewer bytes before the end of the file, that is its largest read, and the later
    requests ask for that much (never less than paramiko's 32 KiB, which every server
    serves): no request is then split by a server that caps its reads.
    """
    block = READ_BLOCK_BYTES
    responses = _Responses(sftp)
    pending: list[tuple[int, int, int]] = []  # (request number, offset, length), in order
    head = 0  # index of the oldest pending request
    sent = 0  # bytes requested so far

    def request(offset: int, length: int) -> None:
        num = sftp._async_request(
            responses, paramiko.sftp.CMD_READ, fh.handle, paramiko.sftp.int64(offset), int(length)
        )
        pending.append((num, offset, length))

    try:
        if size > 0:  # the probe: how much does the server give for one READ?
            request(0, min(block, size))
            sent = pending[0][2]
            while pending[0][0] not in responses.data:
                sftp._read_response()
            first = responses.data[pending[0][0]]  # consumed below, in order
            if isinstance(first, bytes) and 0 < len(first) < sent:
                block = max(len(first), fh.MAX_REQUEST_SIZE)
        while sent < size and len(pending) < READ_AHEAD_REQUESTS:
            length = min(block, size - sent)
            request(sent, length)
            sent += length
        while head < len(pending):
            num, offset, length = pending[head]
            head += 1
            while num not in responses.data:
                sftp._read_response()
            data = responses.data.pop(num)
            if isinstance(data, BaseException):
                raise data
            if not data:
                return  # end of file (it shrank): the caller's size check says so
            yield data
            if len(data) < length:  # a short read: ask for the rest, next in line
                request(offset + len(data), length - len(data))
                pending.insert(head, pending.pop())
            elif sent < size:
                length = min(block, size - sent)
                request(sent, length)
                sent += length
            if head > 4096:  # keep the list short on very large files
                del pending[:head]
                head = 0
    finally:
        # answers still on the way belong to nobody once this generator is closed
        for num, _, _ in pending[head:]:
            with contextlib.suppress(Exception):
                sftp._expecting.pop(num, None)


def _makedirs(sftp: paramiko.SFTPClient, remote_dir: str) -> None:
    """``mkdir -p`` over SFTP."""
    if remote_dir in ("", ".", "/"):
        return
    try:
        sftp.stat(remote_dir)
        return
    except FileNotFoundError:
        pass
    _makedirs(sftp, posixpath.dirname(remote_dir))
    try:
        sftp.mkdir(remote_dir)
    except OSError:
        # created meanwhile by someone else is fine; anything else shows up on put()
        sftp.stat(remote_dir)


# --------------------------------------------------------------------------------------
# choosing a source from the settings
# --------------------------------------------------------------------------------------

#: endpoint names that are not extract sources but use the same interface
_OTHER_ENDPOINTS = ("verifikasi", "outbound")


def _endpoint_for(settings: Settings, name: str) -> SftpEndpoint:
    sources = settings.sources
    if name in {s.value for s in Source}:
        return getattr(sources, name)
    if name == "verifikasi":
        if sources.verifikasi is not None:
            return sources.verifikasi
        # default: beside Dukcapil's delivery folder, on Dukcapil's server
        dukcapil = sources.dukcapil
        parent = posixpath.dirname(posixpath.normpath(dukcapil.remote_root or "."))
        return dukcapil.model_copy(update={"remote_root": posixpath.join(parent, "verifikasi")})
    if name == "outbound":
        if sources.outbound is None:
            raise ConfigError("no outbound SFTP endpoint is configured (sources.outbound)")
        return sources.outbound
    raise ConfigError(
        f"unknown source {name!r}; expected one of "
        f"{', '.join([s.value for s in Source] + list(_OTHER_ENDPOINTS))}"
    )


def open_source(settings: Settings, source: Source | str) -> ExtractSource:
    """The :class:`ExtractSource` for ``source`` as the settings describe it.

    ``settings.sources.kind == "local"``: a :class:`LocalSource` on
    ``settings.sources.local_root / <source>``; ``"sftp"``: an :class:`SftpSource` on the
    source's endpoint. ``kind`` says where the extracts come from: a configured
    ``sources.outbound`` (where the outbox goes) is always its own SFTP endpoint. Besides the three extract sources, ``"verifikasi"`` (default:
    Dukcapil's server, folder ``verifikasi`` beside Dukcapil's) and ``"outbound"`` are
    accepted. The connection opens on first use; close it (or use ``with``).
    """
    name = source.value if isinstance(source, Source) else str(source).strip().lower()
    sources = settings.sources
    timing = {
        "checksum_wait_seconds": sources.checksum_wait_seconds,
        "checksum_poll_seconds": sources.checksum_poll_seconds,
    }
    if sources.kind == "local" and not (name == "outbound" and sources.outbound is not None):
        if name not in {s.value for s in Source} and name not in _OTHER_ENDPOINTS:
            _endpoint_for(settings, name)  # raises the ConfigError for an unknown name
        if sources.local_root is None:
            raise ConfigError("sources.kind is 'local' but sources.local_root is not set")
        return LocalSource(Path(sources.local_root) / name, name, **timing)
    return SftpSource(_endpoint_for(settings, name), name, **timing)
