"""A source's delivery folder on its SFTP server: :class:`SftpSource` (paramiko; key
authentication only, the host key pinned, transient failures retried with backoff)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import posixpath
import time
from collections.abc import Callable
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, TypeVar

import paramiko

from connectors.files import open_private
from connectors.sftp.checksums import _HashingWriter
from connectors.sftp.discipline import _ChecksummedSource
from connectors.sftp.interface import CHUNK_BYTES, PART_SUFFIX
from connectors.sftp.transfer import (
    CHANNEL_PACKET_BYTES,
    CHANNEL_WINDOW_BYTES,
    _makedirs,
    _read_ahead,
    _send_bytes,
)
from core.errors import (
    AuthenticationFailed,
    ConfigError,
    DataError,
    SftpUnavailable,
    UnknownHostKey,
)

if TYPE_CHECKING:
    from core.settings import SftpEndpoint

# the package's logger: the records keep the name connectors.sftp
log = logging.getLogger(__package__)

#: longest single backoff between two attempts
MAX_BACKOFF_SECONDS = 60.0

T = TypeVar("T")


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
