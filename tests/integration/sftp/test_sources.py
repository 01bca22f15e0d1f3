"""The delivery discipline, the same against a real sshd, the embedded server and a folder."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import pytest

from connectors.sftp import ExtractSource, FetchedFile, sha256_file
from core.errors import ChecksumMismatch, DataError, DeliveryIncomplete, RemoteFileMissing

REL = "2026/10/DUKCAPIL_3275_202610.csv.gz"
NAME = "DUKCAPIL_3275_202610.csv.gz"


def payload(size: int, seed: int = 0) -> bytes:
    """Deterministic bytes that are not all alike (so a partial copy cannot hash right)."""
    block = hashlib.sha256(f"block-{seed}".encode()).digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def test_is_an_extract_source(backend):
    with backend.source() as source:
        assert isinstance(source, ExtractSource)


def test_fetch_verifies_then_renames_atomically(backend, deliveries, tmp_path):
    data = payload(3 * 1024 * 1024 + 17)
    digest = deliveries.deliver(backend.root, REL, data)
    dest = tmp_path / "downloads" / "dukcapil"  # created by fetch

    with backend.source() as source:
        fetched = source.fetch(REL, dest)

    assert isinstance(fetched, FetchedFile)
    assert fetched.path == dest / NAME
    assert fetched.sha256 == digest
    assert fetched.size == len(data)
    assert fetched.remote.endswith(REL)
    assert fetched.path.read_bytes() == data
    assert deliveries.files_under(dest) == [NAME]  # no .part, no .sha256 copy


def test_fetch_logs_file_size_and_rate(backend, deliveries, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="connectors.sftp")
    deliveries.deliver(backend.root, REL, payload(123_456))
    with backend.source() as source:
        source.fetch(REL, tmp_path)
    (record,) = [r for r in caplog.records if "fetched" in r.getMessage()]
    assert NAME in record.getMessage() and "123456 bytes" in record.getMessage()
    assert "MB/s" in record.getMessage()


def test_checksum_in_binary_mode_and_uppercase_is_accepted(backend, deliveries, tmp_path):
    data = payload(1000, seed=1)
    digest = hashlib.sha256(data).hexdigest()
    deliveries.deliver(backend.root, REL, data, announced=digest.upper(), binary_mode=True)
    with backend.source() as source:
        assert source.fetch(REL, tmp_path).sha256 == digest


def test_data_file_without_checksum_is_an_incomplete_delivery(
    backend, deliveries, tmp_path, recording_sleep
):
    deliveries.deliver(backend.root, REL, payload(5000), checksum=False)
    sleep = recording_sleep()
    with backend.source(sleep=sleep) as source, pytest.raises(DeliveryIncomplete) as info:
        source.fetch(REL, tmp_path / "dl")

    assert type(info.value) is DeliveryIncomplete  # not RemoteFileMissing: the file is there
    assert NAME in str(info.value) and ".sha256" in str(info.value)
    assert sleep.calls == []  # checksum_wait_seconds defaults to 0: no polling
    assert deliveries.files_under(tmp_path / "dl") == []


def test_checksum_written_during_the_wait_completes_the_delivery(
    backend, deliveries, tmp_path, recording_sleep
):
    data = payload(200_000, seed=2)
    deliveries.deliver(backend.root, REL, data, checksum=False)
    digest = hashlib.sha256(data).hexdigest()
    # the provider writes the .sha256 while we wait for the second poll
    sleep = recording_sleep({2: lambda: deliveries.write_checksum(backend.root / REL, digest)})

    with backend.source(checksum_wait_seconds=30, checksum_poll_seconds=10, sleep=sleep) as source:
        fetched = source.fetch(REL, tmp_path)

    assert sleep.calls == [10, 10]
    assert fetched.sha256 == digest and fetched.path.read_bytes() == data


def test_wait_for_checksum_is_bounded(backend, deliveries, tmp_path, recording_sleep):
    deliveries.deliver(backend.root, REL, payload(100), checksum=False)
    sleep = recording_sleep()
    with (
        backend.source(checksum_wait_seconds=25, checksum_poll_seconds=10, sleep=sleep) as source,
        pytest.raises(DeliveryIncomplete, match="waited 25 s"),
    ):
        source.fetch(REL, tmp_path)
    assert sleep.calls == [10, 10, 5]


def test_checksum_mismatch_leaves_nothing_behind(backend, deliveries, tmp_path):
    data = payload(2 * 1024 * 1024, seed=3)
    deliveries.deliver(backend.root, REL, data, announced="0" * 64)
    dest = tmp_path / "dl"

    with backend.source() as source, pytest.raises(ChecksumMismatch) as info:
        source.fetch(REL, dest)

    assert NAME in str(info.value) and "0" * 64 in str(info.value)
    assert deliveries.files_under(dest) == []


def test_checksum_mismatch_keeps_the_previous_good_copy(backend, deliveries, tmp_path):
    old = payload(4096, seed=4)
    dest = tmp_path / "dl"
    dest.mkdir()
    (dest / NAME).write_bytes(old)
    deliveries.deliver(backend.root, REL, payload(8192, seed=5), announced="1" * 64)

    with backend.source() as source, pytest.raises(ChecksumMismatch):
        source.fetch(REL, dest)

    assert (dest / NAME).read_bytes() == old
    assert deliveries.files_under(dest) == [NAME]


def test_missing_file_and_missing_checksum(backend, tmp_path):
    with backend.source() as source, pytest.raises(RemoteFileMissing, match=NAME):
        source.fetch(REL, tmp_path)


def test_checksum_without_data_file_is_missing(backend, deliveries, tmp_path):
    path = backend.root / REL
    path.parent.mkdir(parents=True)
    deliveries.write_checksum(path, "a" * 64)
    with backend.source() as source, pytest.raises(RemoteFileMissing, match="data file is missing"):
        source.fetch(REL, tmp_path)


def test_malformed_checksum_file_is_a_data_error(backend, deliveries, tmp_path):
    deliveries.deliver(backend.root, REL, b"x", checksum=False)
    Path(f"{backend.root / REL}.sha256").write_text("not a checksum\n")
    with backend.source() as source, pytest.raises(DataError, match=r"\.sha256.*sha256sum format"):
        source.fetch(REL, tmp_path)


def test_checksum_naming_another_file_is_refused(backend, deliveries, tmp_path):
    data = b"payload"
    deliveries.deliver(backend.root, REL, data, checksum=False)
    digest = hashlib.sha256(data).hexdigest()
    Path(f"{backend.root / REL}.sha256").write_text(f"{digest}  DTSEN_3275_202610.csv.gz\n")
    with backend.source() as source, pytest.raises(DataError, match="names 'DTSEN_3275_202610"):
        source.fetch(REL, tmp_path)


def test_identical_local_copy_is_not_downloaded_again(backend, deliveries, tmp_path, monkeypatch):
    data = payload(300_000, seed=6)
    digest = deliveries.deliver(backend.root, REL, data)
    dest = tmp_path / "dl"
    with backend.source() as source:
        first = source.fetch(REL, dest)
        downloads = []
        original = source._stream_to
        monkeypatch.setattr(source, "_stream_to", lambda *a: downloads.append(a) or original(*a))
        os.utime(first.path, (1_000_000_000, 1_000_000_000))

        again = source.fetch(REL, dest)
        assert downloads == []
        assert again == first
        assert first.path.stat().st_mtime == 1_000_000_000  # untouched

        # a corrected resend (new data, new .sha256) is downloaded
        corrected = payload(300_000, seed=7)
        new_digest = deliveries.deliver(backend.root, REL, corrected)
        third = source.fetch(REL, dest)
    assert len(downloads) == 1
    assert (third.sha256, digest != new_digest) == (new_digest, True)
    assert third.path.read_bytes() == corrected


def test_exists_and_read_text(backend, deliveries):
    rel = "verifikasi/2026/10/HASIL_VERIFIKASI_202610.csv"
    deliveries.deliver(backend.root, rel, "\ufeffCASE_ID|NIK\nC-1|ÄÖ\n".encode())
    with backend.source() as source:
        assert source.exists(rel)
        assert not source.exists("verifikasi/2026/11/HASIL_VERIFIKASI_202611.csv")
        assert not source.exists("verifikasi/2026/10")  # a folder is not a file
        assert source.read_text(rel) == "CASE_ID|NIK\nC-1|ÄÖ\n"
        with pytest.raises(RemoteFileMissing):
            source.read_text("verifikasi/2026/11/nothing.csv")


def test_read_text_refuses_binary(backend, deliveries):
    deliveries.deliver(backend.root, "x.bin", b"\xff\xfe\x00garbage", checksum=False)
    with backend.source() as source, pytest.raises(DataError, match="not UTF-8"):
        source.read_text("x.bin")


def test_upload_creates_folders_and_replaces(backend, tmp_path, deliveries):
    local = tmp_path / "registry_202610_v1.csv"
    local.write_bytes(payload(700_000, seed=8))
    rel = "outbox/2026/10/registry_202610_v1.csv"
    with backend.source() as source:
        source.upload(local, rel)
        assert (backend.root / rel).read_bytes() == local.read_bytes()
        local.write_bytes(b"second version\n")
        source.upload(local, rel)
    assert (backend.root / rel).read_bytes() == b"second version\n"
    assert deliveries.files_under(backend.root / "outbox") == ["2026/10/registry_202610_v1.csv"]
    assert sha256_file(backend.root / rel) == sha256_file(local)


@pytest.mark.parametrize("bad", ["../outside.csv.gz", "/etc/passwd", "2026/../../x", ""])
def test_paths_outside_the_root_are_refused(backend, tmp_path, bad):
    with backend.source() as source, pytest.raises(ValueError):
        source.fetch(bad, tmp_path)


@pytest.mark.parametrize("mask", [0o022, 0o077], ids=["umask022", "umask077"])
def test_downloads_are_private_whatever_the_umask(backend, deliveries, tmp_path, mask):
    """Downloads are the providers' full extracts: 0640 in 0750 folders (the folders
    fetch creates, the .part while it streams, the file renamed into place)."""
    from tests.private_modes import umask, wrong_modes

    deliveries.deliver(backend.root, REL, payload(300_000))
    data_dir = tmp_path / "data"  # every folder down to the period's is created by fetch
    with umask(mask), backend.source() as source:
        source.fetch(REL, data_dir / "downloads" / "dukcapil" / "2026-10")
    assert wrong_modes(data_dir) == []


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_upload_verified_puts_the_checksum_then_the_data(backend, tmp_path, deliveries, monkeypatch):
    """The data file and its .sha256 arrive under temporary names, are checked on the far
    side, and are renamed into place checksum first; nothing temporary is left."""
    data = payload(3_000_000, seed=11)
    local = tmp_path / "mutasi_bpjstk_202610_v1.csv"
    local.write_bytes(data)
    rel = "outbox/mutasi_bpjstk_202610_v1.csv"
    with backend.source() as source:
        renames: list[tuple[str, str]] = []
        original = source._rename
        monkeypatch.setattr(source, "_rename", lambda a, b: (renames.append((a, b)), original(a, b)))
        source.upload_verified(local, rel, _sha(data))
    assert renames == [
        (rel + ".sha256.part", rel + ".sha256"),
        (rel + ".part", rel),
    ]
    assert (backend.root / rel).read_bytes() == data
    assert (backend.root / (rel + ".sha256")).read_text() == f"{_sha(data)}  mutasi_bpjstk_202610_v1.csv\n"
    assert deliveries.files_under(backend.root / "outbox") == [
        "mutasi_bpjstk_202610_v1.csv", "mutasi_bpjstk_202610_v1.csv.sha256",
    ]  # fmt: skip


def test_upload_verified_resumes_a_cut_off_part(backend, tmp_path, caplog):
    """A .part left by a cut-off upload keeps its bytes: only the rest is sent, and the
    whole is checked against the sha256 before it is renamed into place."""
    data = payload(2_500_000, seed=12)
    local = tmp_path / "registry_202610_v1.csv"
    local.write_bytes(data)
    rel = "out/registry_202610_v1.csv"
    (backend.root / "out").mkdir()
    (backend.root / (rel + ".part")).write_bytes(data[:1_000_003])
    with backend.source() as source, caplog.at_level(logging.INFO, logger="connectors.sftp"):
        source.upload_verified(local, rel, _sha(data))
    assert (backend.root / rel).read_bytes() == data
    assert not (backend.root / (rel + ".part")).exists()
    assert "resumed at byte 1000003" in caplog.text


def test_upload_verified_sends_again_when_the_part_is_not_a_prefix(backend, tmp_path, caplog):
    data = payload(1_200_000, seed=13)
    local = tmp_path / "registry_202610_v1.csv"
    local.write_bytes(data)
    rel = "out/registry_202610_v1.csv"
    (backend.root / "out").mkdir()
    (backend.root / (rel + ".part")).write_bytes(payload(500_000, seed=99))  # another file's bytes
    with backend.source() as source, caplog.at_level(logging.INFO, logger="connectors.sftp"):
        source.upload_verified(local, rel, _sha(data))
    assert (backend.root / rel).read_bytes() == data
    assert "sending it again from the start" in caplog.text


def test_upload_verified_refuses_a_local_file_that_changed(backend, tmp_path, deliveries):
    local = tmp_path / "registry_202610_v1.csv"
    local.write_bytes(b"what was published\n")
    recorded = _sha(local.read_bytes())
    local.write_bytes(b"tampered with since\n")
    with backend.source() as source, pytest.raises(ChecksumMismatch, match="recorded sha256"):
        source.upload_verified(local, "out/registry_202610_v1.csv", recorded)
    assert deliveries.files_under(backend.root / "out") == []
