"""An embedded SFTP server (paramiko) for the demo and fast tests.

:class:`EmbeddedSftpServer` serves one local folder read-write over SFTP on 127.0.0.1, on
an ephemeral port, to exactly one client key (public-key authentication only). The folder
is the client's ``/`` (a chroot): a path that climbs above it with ``..`` or leaves it
through a symbolic link is refused, and symbolic links cannot be created.

On first start it writes into ``state_dir``:

* ``host_ed25519``: the server's host key (Ed25519);
* ``client_ed25519`` (mode 0600) and ``client_ed25519.pub``: the one authorised client key;
* ``known_hosts``: ``[127.0.0.1]:<port> ssh-ed25519 ...`` pinning the host key.

:meth:`EmbeddedSftpServer.client_endpoint` returns a ready
:class:`~core.settings.SftpEndpoint` using those files. ``stop()`` then ``start()`` serves
again on the same port with the same keys (tests use this to simulate an outage).

Every connection runs in its own paramiko ``Transport`` thread, so several clients can
work at once; ``stop()`` closes them and joins every thread it started.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import Self

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paramiko.sftp import SFTP_FAILURE, SFTP_OK, SFTP_OP_UNSUPPORTED, SFTP_PERMISSION_DENIED

from core.settings import SftpEndpoint

__all__ = ["EmbeddedSftpServer", "write_ed25519_key"]

log = logging.getLogger(__name__)

#: logger of the server-side paramiko transports (see _QuietDisconnects)
_TRANSPORT_LOG = f"{__name__}.transport"
#: how often the accept loop looks at the stop flag
_ACCEPT_POLL_SECONDS = 0.1
#: how long stop() waits for each thread
_JOIN_SECONDS = 5.0


class _QuietDisconnects(logging.Filter):
    """A client that hangs up is routine for a server: paramiko reports it at ERROR
    ("Socket exception: Connection reset by peer"); here it becomes DEBUG, and is only
    kept when this logger is set to show DEBUG (a handler at level 0, such as Prefect's
    console, would otherwise print the relabelled record in the demo's console)."""

    _ROUTINE = ("Socket exception", "EOF in transport thread", "Error reading SSH protocol banner")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and any(
            text in str(record.msg) for text in self._ROUTINE
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(_TRANSPORT_LOG).isEnabledFor(logging.DEBUG)
        return True


logging.getLogger(_TRANSPORT_LOG).addFilter(_QuietDisconnects())


def write_ed25519_key(private_path: Path, *, comment: str = "sigap") -> str:
    """Generate an Ed25519 key pair: the private key in OpenSSH format at ``private_path``
    (mode 0600), the public key at ``<private_path>.pub``. Returns the public key line
    (``ssh-ed25519 AAAA... comment``)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode("ascii")
    )
    private_path = Path(private_path)
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private)
    os.chmod(private_path, 0o600)  # the umask cannot widen it, but an older file could be wider
    line = f"{public} {comment}"
    Path(f"{private_path}.pub").write_text(line + "\n", encoding="ascii")
    return line


# --------------------------------------------------------------------------------------
# the file system view: a chroot onto ``root``
# --------------------------------------------------------------------------------------


class _Refused(Exception):
    """A path that would leave the served folder."""


class _Handle(paramiko.SFTPHandle):
    """An open file of the served folder."""

    def __init__(self, path: str, flags: int, fh) -> None:
        super().__init__(flags)
        self._path = path
        if flags & (os.O_WRONLY | os.O_RDWR):
            self.writefile = fh
        if not flags & os.O_WRONLY:
            self.readfile = fh

    def stat(self):
        try:
            return paramiko.SFTPAttributes.from_stat(os.fstat(self._fileobj().fileno()))
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    def chattr(self, attr):
        try:
            paramiko.SFTPServer.set_file_attr(self._path, attr)
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        return SFTP_OK

    def _fileobj(self):
        return getattr(self, "writefile", None) or self.readfile


class _ChrootedSftp(paramiko.SFTPServerInterface):
    """Serves ``root`` as ``/``; refuses whatever would leave it."""

    def __init__(self, server, root: Path, *args, **kwargs) -> None:
        super().__init__(server, *args, **kwargs)
        self._root = os.path.realpath(root)

    # path mapping ---------------------------------------------------------------------
    @staticmethod
    def _virtual(path: str) -> str:
        """The normalised absolute path inside the chroot; ``..`` above ``/`` is refused."""
        parts: list[str] = []
        for part in str(path).replace("\\", "/").split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    raise _Refused(path)
                parts.pop()
            else:
                parts.append(part)
        return "/" + "/".join(parts)

    def _real(self, path: str, *, follow_last: bool = True) -> str:
        """The local path for a client path, after checking symlinks do not lead out."""
        real = os.path.join(self._root, self._virtual(path).lstrip("/"))
        if follow_last:
            resolved = os.path.realpath(real)
        else:  # lstat/remove/rename act on the link itself: check only its folder
            resolved = os.path.join(os.path.realpath(os.path.dirname(real)), os.path.basename(real))
        if resolved != self._root and not resolved.startswith(self._root + os.sep):
            raise _Refused(path)
        return real

    # the interface --------------------------------------------------------------------
    def canonicalize(self, path):
        # a string is required here: an escape raises, which the server answers with a failure
        return self._virtual(path)

    def open(self, path, flags, attr):
        try:
            real = self._real(path)
            mode = attr.st_mode if (attr._flags & attr.FLAG_PERMISSIONS) else 0o644
            fd = os.open(real, flags | getattr(os, "O_BINARY", 0), mode & 0o7777)
        except _Refused:
            return SFTP_PERMISSION_DENIED
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        if (flags & os.O_CREAT) and (attr._flags & attr.FLAG_PERMISSIONS):
            attr._flags &= ~attr.FLAG_PERMISSIONS  # already applied through os.open
        if attr._flags:
            paramiko.SFTPServer.set_file_attr(real, attr)
        if flags & os.O_WRONLY:
            fstr = "ab" if flags & os.O_APPEND else "wb"
        elif flags & os.O_RDWR:
            fstr = "a+b" if flags & os.O_APPEND else "r+b"
        else:
            fstr = "rb"
        try:
            fh = os.fdopen(fd, fstr)
        except OSError as exc:
            os.close(fd)
            return paramiko.SFTPServer.convert_errno(exc.errno)
        return _Handle(real, flags, fh)

    def list_folder(self, path):
        try:
            real = self._real(path)
            out = []
            for name in os.listdir(real):
                attr = paramiko.SFTPAttributes.from_stat(os.lstat(os.path.join(real, name)))
                attr.filename = name
                out.append(attr)
            return out
        except _Refused:
            return SFTP_PERMISSION_DENIED
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    def stat(self, path):
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self._real(path)))
        except _Refused:
            return SFTP_PERMISSION_DENIED
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    def lstat(self, path):
        try:
            return paramiko.SFTPAttributes.from_stat(os.lstat(self._real(path, follow_last=False)))
        except _Refused:
            return SFTP_PERMISSION_DENIED
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    def remove(self, path):
        return self._do(os.remove, path, follow_last=False)

    def rename(self, oldpath, newpath):
        # SFTP v3 rename does not overwrite (as OpenSSH's server)
        try:
            old = self._real(oldpath, follow_last=False)
            new = self._real(newpath, follow_last=False)
            if os.path.lexists(new):
                return SFTP_FAILURE
            os.rename(old, new)
        except _Refused:
            return SFTP_PERMISSION_DENIED
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        return SFTP_OK

    def posix_rename(self, oldpath, newpath):
        try:
            os.replace(
                self._real(oldpath, follow_last=False), self._real(newpath, follow_last=False)
            )
        except _Refused:
            return SFTP_PERMISSION_DENIED
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        return SFTP_OK

    def mkdir(self, path, attr):
        try:
            real = self._real(path, follow_last=False)
            mode = attr.st_mode if (attr._flags & attr.FLAG_PERMISSIONS) else 0o755
            os.mkdir(real, mode & 0o7777)
        except _Refused:
            return SFTP_PERMISSION_DENIED
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        return SFTP_OK

    def rmdir(self, path):
        return self._do(os.rmdir, path, follow_last=False)

    def chattr(self, path, attr):
        try:
            paramiko.SFTPServer.set_file_attr(self._real(path), attr)
        except _Refused:
            return SFTP_PERMISSION_DENIED
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        return SFTP_OK

    def readlink(self, path):
        return SFTP_OP_UNSUPPORTED

    def symlink(self, target_path, path):
        # a link could point anywhere on this machine: not in a chroot
        return SFTP_PERMISSION_DENIED

    def _do(self, func, path, *, follow_last: bool):
        try:
            func(self._real(path, follow_last=follow_last))
        except _Refused:
            return SFTP_PERMISSION_DENIED
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        return SFTP_OK


# --------------------------------------------------------------------------------------
# authentication and channels
# --------------------------------------------------------------------------------------


class _OneKeyServer(paramiko.ServerInterface):
    """Public-key authentication of one user with one key; session channels for SFTP."""

    def __init__(self, username: str, key: paramiko.PKey, registry: _ThreadRegistry) -> None:
        self._username = username
        self._key_blob = key.asbytes()
        self._key_name = key.get_name()
        self.registry = registry

    def get_allowed_auths(self, username):
        return "publickey"

    def check_auth_none(self, username):
        return paramiko.AUTH_FAILED

    def check_auth_password(self, username, password):
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        if (
            username == self._username
            and key.get_name() == self._key_name
            and key.asbytes() == self._key_blob
        ):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _ThreadRegistry:
    """The threads a server started, for a clean stop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def add(self, thread: threading.Thread) -> None:
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)

    def drain(self) -> list[threading.Thread]:
        with self._lock:
            threads, self._threads = self._threads, []
        return threads


class _TrackedSftpServer(paramiko.SFTPServer):
    """paramiko's SFTP subsystem, registered so that ``stop()`` can join its thread."""

    def __init__(self, channel, name, server, *args, **kwargs) -> None:
        super().__init__(channel, name, server, *args, **kwargs)
        self.daemon = True
        server.registry.add(self)


# --------------------------------------------------------------------------------------
# the server
# --------------------------------------------------------------------------------------


class EmbeddedSftpServer:
    """A threaded SFTP server on 127.0.0.1 serving ``root`` to one generated client key.

    ``with EmbeddedSftpServer(root, state_dir) as server:`` starts it;
    ``server.client_endpoint("dukcapil")`` gives the endpoint to hand to
    :class:`connectors.sftp.SftpSource`.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        root: Path,
        state_dir: Path,
        *,
        username: str = "sigap",
        port: int = 0,
    ) -> None:
        self.root = Path(root)
        self.state_dir = Path(state_dir)
        self.username = username
        self._port = int(port)
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._transports: list[paramiko.Transport] = []
        self._lock = threading.Lock()
        self._threads = _ThreadRegistry()
        self._host_key: paramiko.Ed25519Key | None = None
        self._server_interface: _OneKeyServer | None = None

    # files in state_dir -----------------------------------------------------------------
    @property
    def host_key_path(self) -> Path:
        return self.state_dir / "host_ed25519"

    @property
    def private_key_path(self) -> Path:
        """The authorised client's private key (mode 0600)."""
        return self.state_dir / "client_ed25519"

    @property
    def known_hosts_path(self) -> Path:
        return self.state_dir / "known_hosts"

    def _ensure_keys(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if not self.host_key_path.is_file():
            write_ed25519_key(self.host_key_path, comment="sigap-embedded-host")
        if not self.private_key_path.is_file():
            write_ed25519_key(self.private_key_path, comment="sigap-embedded-client")
        self._host_key = paramiko.Ed25519Key.from_private_key_file(str(self.host_key_path))
        client_key = paramiko.Ed25519Key.from_private_key_file(str(self.private_key_path))
        self._server_interface = _OneKeyServer(self.username, client_key, self._threads)

    # life cycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The listening port (known after the first ``start()``)."""
        if not self._port:
            raise RuntimeError("the embedded SFTP server has not been started yet")
        return self._port

    @property
    def running(self) -> bool:
        return self._accept_thread is not None and self._accept_thread.is_alive()

    def start(self) -> Self:
        """Listen (on the same port as before after a ``stop()``) and serve."""
        if self.running:
            return self
        self.root.mkdir(parents=True, exist_ok=True)
        self._ensure_keys()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self._port))
            listener.listen(32)
            listener.settimeout(_ACCEPT_POLL_SECONDS)
        except BaseException:
            listener.close()
            raise
        self._port = listener.getsockname()[1]
        self._listener = listener
        self._write_known_hosts()
        self._stopping.clear()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"sftp-embedded-accept-{self._port}", daemon=True
        )
        self._accept_thread.start()
        log.info("embedded SFTP server on %s:%d serving %s", self.host, self._port, self.root)
        return self

    def stop(self) -> None:
        """Stop listening, close every connection and join every thread (idempotent)."""
        self._stopping.set()
        if self._accept_thread is not None:
            self._accept_thread.join(_JOIN_SECONDS)
            self._accept_thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            transports, self._transports = self._transports, []
        for transport in transports:
            transport.close()
        for transport in transports:
            transport.join(_JOIN_SECONDS)
        for thread in self._threads.drain():
            thread.join(_JOIN_SECONDS)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # clients ------------------------------------------------------------------------------
    def known_hosts_line(self) -> str:
        """``[127.0.0.1]:<port> ssh-ed25519 AAAA...`` for the running server."""
        if self._host_key is None:
            raise RuntimeError("the embedded SFTP server has not been started yet")
        return (
            f"[{self.host}]:{self.port} {self._host_key.get_name()} {self._host_key.get_base64()}"
        )

    def client_endpoint(self, remote_root: str = ".", **overrides) -> SftpEndpoint:
        """An endpoint for the authorised client: host, port, user, the generated private
        key and the pinned known_hosts. ``overrides`` replace other fields (``retries``,
        ``timeout_seconds``...)."""
        fields = {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "private_key_path": self.private_key_path,
            "known_hosts_path": self.known_hosts_path,
            "remote_root": remote_root,
            "timeout_seconds": 10.0,
        }
        fields.update(overrides)
        return SftpEndpoint(**fields)

    # internals ----------------------------------------------------------------------------
    def _write_known_hosts(self) -> None:
        self.known_hosts_path.write_text(self.known_hosts_line() + "\n", encoding="ascii")

    def _accept_loop(self) -> None:
        listener = self._listener
        while listener is not None and not self._stopping.is_set():
            try:
                conn, _addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    break
                continue
            try:
                self._serve(conn)
            except Exception as exc:  # noqa: BLE001 - one bad client must not stop the server
                log.warning("embedded SFTP server: connection failed: %s", exc)
                conn.close()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(None)
        transport = paramiko.Transport(conn)
        transport.set_log_channel(_TRANSPORT_LOG)
        transport.add_server_key(self._host_key)
        transport.set_subsystem_handler("sftp", _TrackedSftpServer, _ChrootedSftp, self.root)
        with self._lock:
            self._transports = [t for t in self._transports if t.is_alive()]
            self._transports.append(transport)
        # negotiation and authentication run in the transport's own thread
        transport.start_server(event=threading.Event(), server=self._server_interface)
