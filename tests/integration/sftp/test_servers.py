"""The two test servers themselves: the embedded server's chroot, authentication and
clean shutdown; the sshd launcher's configuration."""

from __future__ import annotations

import os
import stat
import threading

import paramiko
import pytest

from devkit.sftp_server import EmbeddedSftpServer
from devkit.local_sshd import LocalSshd


def _raw_client(server) -> tuple[paramiko.SSHClient, paramiko.SFTPClient]:
    endpoint = server.client_endpoint(".")
    client = paramiko.SSHClient()
    client.load_host_keys(str(endpoint.known_hosts_path))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        endpoint.host,
        endpoint.port,
        endpoint.username,
        key_filename=str(endpoint.private_key_path),
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    return client, client.open_sftp()


# --------------------------------------------------------------------------------------
# embedded server
# --------------------------------------------------------------------------------------


def test_embedded_generates_keys_and_pins_its_host_key(fresh_embedded):
    server = fresh_embedded()
    endpoint = server.client_endpoint("dukcapil")
    assert (endpoint.host, endpoint.port, endpoint.remote_root) == (
        "127.0.0.1",
        server.port,
        "dukcapil",
    )
    assert stat.S_IMODE(endpoint.private_key_path.stat().st_mode) == 0o600
    assert endpoint.private_key_path.parent == server.state_dir
    line = endpoint.known_hosts_path.read_text().split()
    assert line[0] == f"[127.0.0.1]:{server.port}" and line[1] == "ssh-ed25519"


def test_embedded_serves_only_its_folder(fresh_embedded, tmp_path):
    server = fresh_embedded()
    outside = tmp_path / "secret.txt"
    outside.write_text("not for you")
    (server.root / "inbox").mkdir()
    (server.root / "inbox" / "a.txt").write_text("inside")
    os.symlink(outside, server.root / "escape.txt")
    os.symlink(tmp_path, server.root / "escape_dir")

    client, sftp = _raw_client(server)
    try:
        assert sftp.normalize(".") == "/"
        assert sorted(sftp.listdir("/")) == ["escape.txt", "escape_dir", "inbox"]
        with sftp.open("/inbox/a.txt") as fh:
            assert fh.read() == b"inside"
        with sftp.open("inbox/../inbox/./a.txt") as fh:  # normalised, stays inside
            assert fh.read() == b"inside"
        for escaping in ("../secret.txt", "/../secret.txt", "inbox/../../secret.txt"):
            with pytest.raises(PermissionError):
                sftp.open(escaping)
        with pytest.raises(PermissionError):
            sftp.open("escape.txt")  # a link that leads out
        with pytest.raises(PermissionError):
            sftp.listdir("escape_dir")
        with pytest.raises(PermissionError):
            sftp.stat("escape_dir/secret.txt")
        with pytest.raises(PermissionError):
            sftp.symlink("/etc/passwd", "inbox/link")
        with pytest.raises(PermissionError):
            sftp.put(str(outside), "../planted.txt")
        with pytest.raises(OSError):
            sftp.normalize("..")
    finally:
        client.close()
    assert not (tmp_path / "planted.txt").exists()
    assert outside.read_text() == "not for you"


def test_embedded_write_operations(fresh_embedded, tmp_path):
    server = fresh_embedded()
    local = tmp_path / "f.txt"
    local.write_text("one")
    client, sftp = _raw_client(server)
    try:
        sftp.mkdir("out")
        sftp.put(str(local), "out/f.txt")
        sftp.rename("out/f.txt", "out/g.txt")
        sftp.put(str(local), "out/h.txt")
        with pytest.raises(OSError):
            sftp.rename("out/h.txt", "out/g.txt")  # SFTP v3 rename never overwrites
        sftp.posix_rename("out/h.txt", "out/g.txt")  # this one does
        with sftp.open("out/g.txt", "a") as fh:
            fh.write(b"+two")
        assert sftp.stat("out/g.txt").st_size == len("one+two")
        sftp.remove("out/g.txt")
        sftp.rmdir("out")
    finally:
        client.close()
    assert list(server.root.iterdir()) == []


def test_embedded_accepts_only_its_key(fresh_embedded, tmp_path):
    server = fresh_embedded()
    endpoint = server.client_endpoint(".")
    client = paramiko.SSHClient()
    client.load_host_keys(str(endpoint.known_hosts_path))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        with pytest.raises(paramiko.AuthenticationException):
            client.connect(
                endpoint.host, endpoint.port, endpoint.username, password="guess",
                look_for_keys=False, allow_agent=False, timeout=10,
            )  # fmt: skip
    finally:
        client.close()
    client = paramiko.SSHClient()
    client.load_host_keys(str(endpoint.known_hosts_path))
    try:
        with pytest.raises(paramiko.AuthenticationException):  # right key, wrong user
            client.connect(
                endpoint.host, endpoint.port, "root", key_filename=str(endpoint.private_key_path),
                look_for_keys=False, allow_agent=False, timeout=10,
            )  # fmt: skip
    finally:
        client.close()


def test_embedded_stops_cleanly_with_clients_connected(tmp_path):
    before = set(threading.enumerate())
    server = EmbeddedSftpServer(tmp_path / "root", tmp_path / "state")
    with server:
        clients = [_raw_client(server) for _ in range(3)]
        for _, sftp in clients:
            sftp.listdir(".")
        assert len(set(threading.enumerate()) - before) >= 4  # accept loop + transports
    # the server side is gone although the clients never said goodbye
    client_transports = [client.get_transport() for client, _ in clients]
    server_threads = [
        t for t in set(threading.enumerate()) - before
        if not any(t is transport for transport in client_transports)
    ]  # fmt: skip
    assert server_threads == []
    assert not server.running
    for client, _ in clients:
        client.close()
    for transport in client_transports:
        transport.join(5)
    assert set(threading.enumerate()) - before == set()


def test_embedded_restarts_on_the_same_port_with_the_same_keys(fresh_embedded):
    server = fresh_embedded()
    port, known_hosts = server.port, server.known_hosts_path.read_text()
    server.stop()
    server.start()
    assert server.port == port and server.known_hosts_path.read_text() == known_hosts
    client, sftp = _raw_client(server)
    try:
        assert sftp.listdir(".") == []
    finally:
        client.close()


# --------------------------------------------------------------------------------------
# the real sshd launcher
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_missing_sshd_skips_locally_but_fails_in_ci(sshd_requirement, monkeypatch, ci, outcome):
    monkeypatch.setattr(LocalSshd, "available", classmethod(lambda cls: False))
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="openssh-server"):
        sshd_requirement()


@pytest.mark.sshd
def test_local_sshd_configuration(sshd):
    config = sshd.config_path.read_text().splitlines()
    for line in (
        "ListenAddress 127.0.0.1",
        f"Port {sshd.port}",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "UsePAM no",
        "StrictModes no",
        "Subsystem sftp internal-sftp",
        f"ForceCommand internal-sftp -d {sshd.root}",
        "LogLevel ERROR",
        f"HostKey {sshd.host_key_path}",
        f"PidFile {sshd.pid_path}",
        f"AuthorizedKeysFile {sshd.authorized_keys_path}",
    ):
        assert line in config
    host, key_type, _blob = sshd.known_hosts_path.read_text().split()
    assert (host, key_type) == (f"[127.0.0.1]:{sshd.port}", "ssh-ed25519")
    assert stat.S_IMODE(sshd.private_key_path.stat().st_mode) == 0o600
    assert sshd.running and sshd.available()
    assert sshd.client_endpoint("x").username == sshd.username


@pytest.mark.sshd
def test_local_sshd_refuses_passwords(sshd):
    endpoint = sshd.client_endpoint(".")
    client = paramiko.SSHClient()
    client.load_host_keys(str(endpoint.known_hosts_path))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        with pytest.raises(paramiko.AuthenticationException):
            client.connect(
                endpoint.host, endpoint.port, endpoint.username, password="guess",
                look_for_keys=False, allow_agent=False, timeout=10,
            )  # fmt: skip
    finally:
        client.close()


@pytest.mark.sshd
def test_local_sshd_offers_only_sftp_in_its_root(sshd):
    (sshd.root / "marker.txt").write_text("here")
    client, sftp = _raw_client(sshd)
    try:
        assert "marker.txt" in sftp.listdir(".")  # starts in root
        _stdin, stdout, _stderr = client.exec_command("echo pwned", timeout=10)
        assert b"pwned" not in stdout.read()  # ForceCommand: no shell
    finally:
        client.close()


@pytest.mark.sshd
def test_local_sshd_stop_ends_its_processes(fresh_sshd):
    server = fresh_sshd()
    client, sftp = _raw_client(server)
    try:
        sftp.listdir(".")
        pid = int(server.pid_path.read_text())
        server.stop()
        assert not server.running
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        with pytest.raises((OSError, EOFError, paramiko.SSHException)):
            sftp.listdir(".")  # the session process is gone too
    finally:
        client.close()


def test_embedded_says_nothing_when_a_client_resets_the_connection(fresh_embedded):
    """A client that drops the connection mid-session (a reset, not a goodbye) is routine:
    no "Socket exception: Connection reset by peer" reaches a console handler at level 0
    (Prefect's console handler is one: the demo's console showed such lines as DEBUG)."""
    import logging
    import socket
    import struct
    import time

    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__(level=0)
            self.records: list[logging.LogRecord] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record)

    server = fresh_embedded()
    handler = Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        sock = socket.create_connection((server.host, server.port), timeout=10)
        sock.sendall(b"SSH-2.0-sigap-test\r\n")
        assert sock.recv(64).startswith(b"SSH-2.0-")  # the server's banner: it is talking
        time.sleep(0.3)
        # an abortive close: the server's next read fails with "Connection reset by peer"
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        time.sleep(1.0)
    finally:
        root.removeHandler(handler)
    noise = [r.getMessage() for r in handler.records if r.name.startswith("devkit.sftp_server.")]
    assert noise == []
