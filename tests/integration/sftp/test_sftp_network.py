"""Network behaviour: retries with backoff, concurrent connections, a large transfer."""

from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest

from connectors.sftp import SftpSource
from devkit.local_sshd import free_port
from core.errors import SftpUnavailable

REL = "2026/10/BPJSTK_BPU_3275_202610.csv.gz"


def test_outage_is_retried_with_backoff_until_the_server_is_back(
    fresh_server, deliveries, tmp_path, recording_sleep
):
    server = fresh_server()
    data = os.urandom(256 * 1024)
    deliveries.deliver(server.root, REL, data)
    endpoint = server.client_endpoint(".", retries=3)
    server.stop()
    # the server comes back (same port, same keys) during the second wait
    sleep = recording_sleep({2: server.start})

    with SftpSource(endpoint, "bpjstk", sleep=sleep, backoff_seconds=0.5) as source:
        fetched = source.fetch(REL, tmp_path / "dl")

    assert sleep.calls == [0.5, 1.0]  # exponential backoff
    assert fetched.path.read_bytes() == data


def test_connection_dropped_between_operations_is_reconnected(
    fresh_server, deliveries, tmp_path, recording_sleep
):
    server = fresh_server()
    deliveries.deliver(server.root, REL, b"first")
    sleep = recording_sleep({1: server.start})
    with SftpSource(server.client_endpoint(".", retries=2), "bpjstk", sleep=sleep) as source:
        assert source.fetch(REL, tmp_path / "a").size == 5
        server.stop()  # drops the open connection as well
        deliveries.deliver(server.root, REL, b"second")
        assert source.fetch(REL, tmp_path / "b").path.read_bytes() == b"second"
    assert len(sleep.calls) == 1


def test_retries_exhausted_raise_sftp_unavailable(sftp_server, tmp_path, recording_sleep):
    port = free_port()  # nobody listens there
    endpoint = sftp_server.client_endpoint(".", port=port, retries=3, timeout_seconds=2)
    sleep = recording_sleep()
    started = time.perf_counter()
    with (
        SftpSource(endpoint, "dukcapil", sleep=sleep, backoff_seconds=1.0) as source,
        pytest.raises(SftpUnavailable) as info,
    ):
        source.fetch(REL, tmp_path)
    assert sleep.calls == [1.0, 2.0, 4.0]  # 3 retries after the first attempt
    assert "4 attempt(s)" in str(info.value) and f"127.0.0.1:{port}" in str(info.value)
    assert time.perf_counter() - started < 5  # refused at once, no real waiting


def test_retries_zero_means_one_attempt(sftp_server, tmp_path, recording_sleep):
    endpoint = sftp_server.client_endpoint(".", port=free_port(), retries=0)
    sleep = recording_sleep()
    with SftpSource(endpoint, "dukcapil", sleep=sleep) as source, pytest.raises(SftpUnavailable):
        source.exists("x")
    assert sleep.calls == []


def test_concurrent_connections(sftp_server, deliveries, tmp_path):
    """Four clients at once, each its own connection (an SftpSource serves one thread)."""
    folder = f"concurrent_{type(sftp_server).__name__}"
    expected = {}
    for i in range(4):
        rel = f"2026/10/part{i}.bin"
        expected[rel] = deliveries.deliver(sftp_server.root / folder, rel, os.urandom(1_000_000))
    results: dict[str, str] = {}
    errors: list[BaseException] = []

    def worker(rel: str) -> None:
        try:
            with SftpSource(sftp_server.client_endpoint(folder), "dtsen") as source:
                results[rel] = source.fetch(rel, tmp_path / rel.replace("/", "_")).sha256
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(rel,)) for rel in expected]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert results == expected


@pytest.mark.slow
def test_large_file_throughput(sftp_server, deliveries, tmp_path, capsys):
    size = 50 * 1024 * 1024
    folder = f"large_{type(sftp_server).__name__}"
    data = os.urandom(size)
    digest = deliveries.deliver(sftp_server.root / folder, REL, data)
    del data
    with SftpSource(sftp_server.client_endpoint(folder), "bpjstk") as source:
        source.exists(REL)  # connect first: time the transfer, not the handshake
        started = time.perf_counter()
        fetched = source.fetch(REL, tmp_path)
        seconds = time.perf_counter() - started
    assert fetched.size == size and fetched.sha256 == digest
    with open(fetched.path, "rb") as fh:
        assert hashlib.file_digest(fh, "sha256").hexdigest() == digest
    rate = size / 1e6 / seconds
    with capsys.disabled():
        print(
            f"\n  {type(sftp_server).__name__}: 50 MiB fetched in {seconds:.2f} s = {rate:.0f} MB/s"
        )
    # a loose floor (2 shared cores): catches a transfer without read-ahead (~1-3 MB/s)
    assert rate > 8


def test_short_reads_from_the_server_are_completed(embedded, deliveries, tmp_path, monkeypatch):
    """A server may answer a READ with fewer bytes than asked; the read-ahead asks for the
    rest and the file arrives whole (the embedded server here answers 1,000 bytes at most)."""
    import devkit.sftp_server as server_module

    original = server_module._Handle.read
    calls = []

    def short_read(self, offset, length):
        calls.append(length)
        return original(self, offset, min(length, 1000))

    monkeypatch.setattr(server_module._Handle, "read", short_read, raising=False)
    data = os.urandom(300_000)
    digest = deliveries.deliver(embedded.root / "short_reads", REL, data)
    with SftpSource(embedded.client_endpoint("short_reads"), "bpjstk") as source:
        fetched = source.fetch(REL, tmp_path)
    assert fetched.size == len(data) and fetched.sha256 == digest
    with open(fetched.path, "rb") as fh:
        assert fh.read() == data
    assert len(calls) >= 300  # every answer was short: the rest was asked for


def test_a_server_that_caps_its_reads_sets_the_block_size(
    embedded, deliveries, tmp_path, monkeypatch
):
    """The first READ asks for 255 KiB; a server answering 64 KiB at most is then asked
    for 64 KiB blocks: only that first answer is short, none is split afterwards."""
    import devkit.sftp_server as server_module
    from connectors.sftp import READ_BLOCK_BYTES

    original = server_module._Handle.read
    asked = []

    def capped_read(self, offset, length):
        if not self._path.endswith(".sha256"):  # the data file's READs only
            asked.append(length)
        return original(self, offset, min(length, 64 * 1024))

    monkeypatch.setattr(server_module._Handle, "read", capped_read, raising=False)
    data = os.urandom(3 * 1024 * 1024 + 17)
    digest = deliveries.deliver(embedded.root / "capped_reads", REL, data)
    with SftpSource(embedded.client_endpoint("capped_reads"), "bpjstk") as source:
        fetched = source.fetch(REL, tmp_path)
    assert fetched.sha256 == digest and fetched.path.read_bytes() == data
    assert asked[0] == READ_BLOCK_BYTES
    # the rest of the first block (three requests: its remainder is asked for until it is
    # whole), then 64 KiB blocks to the end: 3 MiB / 64 KiB = 48 more, plus the tail
    assert max(asked[1:]) <= READ_BLOCK_BYTES - 64 * 1024
    assert sum(1 for n in asked[1:] if n == 64 * 1024) >= 44
    assert len(asked) <= 4 + 49


def test_large_packets_and_reads_are_used_with_openssh(sftp_server, deliveries, tmp_path):
    """Against OpenSSH's sftp-server the client announces 256 KiB packets and asks for
    255 KiB per READ: a 6 MB file takes few round trips and arrives whole."""
    data = os.urandom(6 * 1024 * 1024 + 3)
    digest = deliveries.deliver(sftp_server.root / "big_reads", REL, data)
    with SftpSource(sftp_server.client_endpoint("big_reads"), "bpjstk") as source:
        fetched = source.fetch(REL, tmp_path)
        channel = source._sftp.get_channel()
        assert channel.in_max_packet_size == 256 * 1024
    assert fetched.sha256 == digest and fetched.path.read_bytes() == data


@pytest.mark.parametrize("size", [0, 1, 32 * 1024, 32 * 1024 + 1, 128 * 32 * 1024 + 5])
def test_read_ahead_boundaries(embedded, deliveries, tmp_path, size):
    """Empty, one byte, exactly one request, one byte more, and more than the requests
    kept in flight (the sliding window refills)."""
    folder = f"boundary_{size}"
    data = os.urandom(size)
    digest = deliveries.deliver(embedded.root / folder, REL, data)
    with SftpSource(embedded.client_endpoint(folder), "bpjstk") as source:
        fetched = source.fetch(REL, tmp_path)
    assert fetched.size == size and fetched.sha256 == digest
