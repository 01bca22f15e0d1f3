"""Who may talk to whom: client keys, pinned host keys, passphrases, key types."""

from __future__ import annotations

import base64
import logging
import subprocess
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from pydantic import SecretStr

from connectors.sftp import SftpSource
from devkit.sftp_server import write_ed25519_key
from core.errors import AuthenticationFailed, ConfigError, UnknownHostKey


def _host_key_fingerprint(server) -> str:
    """SHA256 fingerprint of the server's host key, read from its pinned known_hosts."""
    _host, key_type, blob = server.known_hosts_path.read_text().split()[:3]
    return paramiko.PKey.from_type_string(key_type, base64.b64decode(blob)).fingerprint


def test_wrong_client_key_is_authentication_failed_and_not_retried(
    sftp_server, tmp_path, recording_sleep
):
    other_key = tmp_path / "other_ed25519"
    write_ed25519_key(other_key)
    endpoint = sftp_server.client_endpoint(".", private_key_path=other_key, retries=3)
    sleep = recording_sleep()
    with (
        SftpSource(endpoint, "bpjstk", sleep=sleep) as source,
        pytest.raises(AuthenticationFailed) as info,
    ):
        source.exists("anything")
    assert sleep.calls == []
    message = str(info.value)
    assert str(other_key) in message and endpoint.username in message
    assert "BEGIN" not in message  # never key material


def test_changed_host_key_is_refused_with_the_offered_fingerprint(
    sftp_server, tmp_path, recording_sleep
):
    impostor = tmp_path / "impostor_host"
    public = write_ed25519_key(impostor).split()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{sftp_server.port} {public[0]} {public[1]}\n")
    endpoint = sftp_server.client_endpoint(".", known_hosts_path=known_hosts)
    sleep = recording_sleep()

    with (
        SftpSource(endpoint, "dtsen", sleep=sleep) as source,
        pytest.raises(UnknownHostKey) as info,
    ):
        source.exists("anything")

    assert sleep.calls == []
    assert _host_key_fingerprint(sftp_server) in str(info.value)
    assert "verify the key fingerprint" in str(info.value)  # the operator's hint


def test_host_missing_from_known_hosts_is_refused_not_added(sftp_server, tmp_path, recording_sleep):
    known_hosts = tmp_path / "known_hosts"
    # an entry for the same host on port 22 does not count for another port
    line = sftp_server.known_hosts_path.read_text().split()
    known_hosts.write_text(f"127.0.0.1 {line[1]} {line[2]}\n")
    endpoint = sftp_server.client_endpoint(".", known_hosts_path=known_hosts)
    sleep = recording_sleep()

    with (
        SftpSource(endpoint, "dtsen", sleep=sleep) as source,
        pytest.raises(UnknownHostKey) as info,
    ):
        source.exists("anything")

    assert sleep.calls == []
    assert f"[127.0.0.1]:{sftp_server.port}" in str(info.value)
    assert _host_key_fingerprint(sftp_server) in str(info.value)
    assert known_hosts.read_text() == f"127.0.0.1 {line[1]} {line[2]}\n"  # nothing auto-added


def test_missing_key_settings_are_configuration_errors(sftp_server, tmp_path):
    no_key = sftp_server.client_endpoint(".", private_key_path=None)
    with (
        SftpSource(no_key, "dukcapil") as source,
        pytest.raises(ConfigError, match="private_key_path"),
    ):
        source.exists("x")
    no_pin = sftp_server.client_endpoint(".", known_hosts_path=None)
    with SftpSource(no_pin, "dukcapil") as source, pytest.raises(ConfigError, match="pinned"):
        source.exists("x")
    absent = sftp_server.client_endpoint(".", known_hosts_path=tmp_path / "nope")
    with (
        SftpSource(absent, "dukcapil") as source,
        pytest.raises(ConfigError, match="does not exist"),
    ):
        source.exists("x")


def test_encrypted_private_key_needs_its_passphrase(sftp_server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    # the authorised key, re-saved with a passphrase
    key = serialization.load_ssh_private_key(sftp_server.private_key_path.read_bytes(), None)
    encrypted = tmp_path / "client_encrypted"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.BestAvailableEncryption(b"s3cret-passphrase"),
        )
    )
    encrypted.chmod(0o600)

    good = sftp_server.client_endpoint(
        ".", private_key_path=encrypted, private_key_passphrase=SecretStr("s3cret-passphrase")
    )
    with SftpSource(good, "dukcapil") as source:
        assert source.exists("nothing-here") is False

    missing = sftp_server.client_endpoint(".", private_key_path=encrypted)
    with SftpSource(missing, "dukcapil") as source, pytest.raises(ConfigError, match="encrypted"):
        source.exists("x")

    wrong = sftp_server.client_endpoint(
        ".", private_key_path=encrypted, private_key_passphrase=SecretStr("wrong-passphrase")
    )
    with SftpSource(wrong, "dukcapil") as source, pytest.raises(ConfigError) as info:
        source.exists("x")
    assert "passphrase" in str(info.value) and "wrong-passphrase" not in str(info.value)
    assert "s3cret" not in caplog.text and "wrong-passphrase" not in caplog.text


@pytest.mark.sshd
@pytest.mark.parametrize("key_type", [["-t", "rsa", "-b", "2048"], ["-t", "ecdsa", "-b", "256"]])
def test_rsa_and_ecdsa_client_keys_against_real_sshd(fresh_sshd, tmp_path, key_type, deliveries):
    """Besides Ed25519, the RSA and ECDSA keys the settings allow work with OpenSSH."""
    sshd = fresh_sshd()
    key = tmp_path / "client_key"
    subprocess.run(
        ["ssh-keygen", "-q", *key_type, "-N", "", "-C", "test", "-f", str(key)], check=True
    )
    with sshd.authorized_keys_path.open("a") as fh:  # read by sshd at each login
        fh.write(Path(f"{key}.pub").read_text())
    deliveries.deliver(sshd.root, "2026/10/x.csv.gz", b"hello")
    with SftpSource(sshd.client_endpoint(".", private_key_path=key), "bpjstk") as source:
        assert source.fetch("2026/10/x.csv.gz", tmp_path / "dl").path.read_bytes() == b"hello"
