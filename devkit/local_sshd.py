"""A throwaway OpenSSH ``sshd`` on a free loopback port, serving one folder over SFTP.

For integration tests (real OpenSSH, as the agencies run) and for the benchmark::

    with LocalSshd(root, state_dir) as sshd:
        endpoint = sshd.client_endpoint("dukcapil")

Everything it needs is generated in ``state_dir``: a host key and a client key pair
(``ssh-keygen -t ed25519``), ``authorized_keys``, ``known_hosts`` (``[127.0.0.1]:<port>
<host key>``), ``sshd_config`` and the server's log. The server runs in the foreground
(``sshd -D -e``) as a child process, for the current user, public-key authentication only,
and offers nothing but ``internal-sftp`` started in ``root`` (``ForceCommand internal-sftp
-d <root>``). A ``ChrootDirectory`` is not used: it needs every component of the path to be
owned by root and not writable by others, which temporary folders under ``/tmp`` are not.
Relative remote paths therefore resolve inside ``root``.

``stop()`` then ``start()`` serves again on the same port with the same keys.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from core.settings import SftpEndpoint

__all__ = ["LocalSshd", "SshdError"]

#: where Debian/Ubuntu's ``openssh-server`` puts the daemon (sshd needs an absolute path)
SSHD = Path("/usr/sbin/sshd")
#: privilege separation directory sshd requires when started as root
PRIVSEP_DIR = Path("/run/sshd")


class SshdError(RuntimeError):
    """The throwaway sshd could not be set up or started (the message holds its log)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (children first, then theirs), from ``/proc``; empty
    where ``/proc`` is not available."""
    children: dict[int, list[int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    queue = [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def _terminate_pid(pid: int) -> None:
    """SIGTERM one process this launcher started (directly or through sshd)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


class LocalSshd:
    """A real OpenSSH server on 127.0.0.1 for one user (the current one) and one key."""

    host = "127.0.0.1"

    def __init__(
        self,
        root: Path,
        state_dir: Path,
        *,
        port: int | None = None,
        start_timeout: float = 10.0,
    ) -> None:
        self.root = Path(root).resolve()
        self.state_dir = Path(state_dir).resolve()
        self.username = pwd.getpwuid(os.getuid()).pw_name
        self.start_timeout = start_timeout
        self._port = port
        self._process: subprocess.Popen | None = None
        self._log_handle = None

    # discovery ----------------------------------------------------------------------------
    @classmethod
    def available(cls) -> bool:
        """Whether OpenSSH's server (``/usr/sbin/sshd``) and ``ssh-keygen`` are installed."""
        return (
            SSHD.is_file() and os.access(SSHD, os.X_OK) and shutil.which("ssh-keygen") is not None
        )

    # files ----------------------------------------------------------------------------------
    @property
    def host_key_path(self) -> Path:
        return self.state_dir / "ssh_host_ed25519_key"

    @property
    def private_key_path(self) -> Path:
        """The authorised client's private key (mode 0600)."""
        return self.state_dir / "client_ed25519"

    @property
    def authorized_keys_path(self) -> Path:
        return self.state_dir / "authorized_keys"

    @property
    def known_hosts_path(self) -> Path:
        return self.state_dir / "known_hosts"

    @property
    def config_path(self) -> Path:
        return self.state_dir / "sshd_config"

    @property
    def pid_path(self) -> Path:
        return self.state_dir / "sshd.pid"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "sshd.log"

    @property
    def port(self) -> int:
        if self._port is None:
            raise SshdError("sshd has not been started yet")
        return self._port

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _keygen(self, path: Path, comment: str) -> None:
        if path.is_file():
            return
        result = subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SshdError(f"ssh-keygen failed for {path}: {result.stderr.strip()}")
        path.chmod(0o600)

    def _prepare(self) -> None:
        if any(ch.isspace() or ch in "%\"'" for ch in str(self.root)):
            # ForceCommand takes the rest of its line as words, and -d expands %-tokens
            raise SshdError(
                f"the served folder's path must not hold spaces, quotes or '%': {self.root}"
            )
        if not self.available():
            raise SshdError(
                f"OpenSSH server not installed ({SSHD}); apt-get install openssh-server"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0 and not PRIVSEP_DIR.is_dir():
            PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        self._keygen(self.host_key_path, "sigap-local-sshd-host")
        self._keygen(self.private_key_path, "sigap-local-sshd-client")
        public = Path(f"{self.private_key_path}.pub").read_text(encoding="ascii").strip()
        self.authorized_keys_path.write_text(public + "\n", encoding="ascii")
        self.authorized_keys_path.chmod(0o600)
        if self._port is None:
            self._port = free_port(self.host)
        host_public = Path(f"{self.host_key_path}.pub").read_text(encoding="ascii").split()
        self.known_hosts_path.write_text(
            f"[{self.host}]:{self._port} {host_public[0]} {host_public[1]}\n", encoding="ascii"
        )
        self.config_path.write_text(self._config(), encoding="ascii")

    def _config(self) -> str:
        lines = [
            f"ListenAddress {self.host}",
            f"Port {self._port}",
            f"HostKey {self.host_key_path}",
            f"PidFile {self.pid_path}",
            f"AuthorizedKeysFile {self.authorized_keys_path}",
            f"AllowUsers {self.username}",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "HostbasedAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "UseDNS no",
            "AllowTcpForwarding no",
            "AllowAgentForwarding no",
            "X11Forwarding no",
            "PermitTTY no",
            "PermitUserRC no",
            "PrintMotd no",
            "MaxStartups 50:30:100",
            "MaxSessions 20",
            "LogLevel ERROR",
            "Subsystem sftp internal-sftp",
            f"ForceCommand internal-sftp -d {self.root}",
        ]
        return "\n".join(lines) + "\n"

    # life cycle -------------------------------------------------------------------------------
    def start(self) -> Self:
        """Generate what is missing, start sshd and wait until it answers with its banner."""
        if self.running:
            return self
        self._prepare()
        test = subprocess.run(
            [str(SSHD), "-t", "-f", str(self.config_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if test.returncode != 0:
            raise SshdError(f"sshd rejected {self.config_path}: {test.stderr.strip()}")
        # kept open for the life of the process; closed by stop()
        self._log_handle = open(self.log_path, "ab")  # noqa: SIM115
        self._process = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise SshdError(f"sshd exited at start-up: {self._log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                    if sock.recv(64).startswith(b"SSH-"):
                        return
            except OSError as exc:
                last_error = exc
            time.sleep(0.02)
        raise SshdError(
            f"sshd did not answer on {self.host}:{self._port} within {self.start_timeout} s "
            f"({last_error}); {self._log_tail()}"
        )

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:].strip() or "(empty log)"
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Terminate sshd and the session processes it forked (one per open connection,
        in their own sessions), so that clients see the outage; idempotent."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            sessions = _descendants(process.pid)
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            for pid in sessions:
                _terminate_pid(pid)
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # clients ------------------------------------------------------------------------------------
    def client_endpoint(self, remote_root: str = ".", **overrides) -> SftpEndpoint:
        """An endpoint for the authorised client (current user, generated key, pinned
        known_hosts); ``remote_root`` is relative to ``root`` (or absolute).
        ``overrides`` replace other fields (``retries``, ``timeout_seconds``...)."""
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
