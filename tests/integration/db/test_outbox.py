"""The outbox: staged atomic writes with sha256 files, owner+group permissions, commit by
rename, discard, upload order, and the contract's file names."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from connectors import outbox as ob
from core.errors import ChecksumMismatch


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000, 0o077], ids=["umask022", "umask000", "umask077"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_contract_file_names():
    assert ob.release_tag("2026-10", 2) == "202610_v2"
    assert ob.registry_csv_name("2026-10", 1) == "registry_202610_v1.csv"
    assert ob.mutasi_csv_name("2026-01", 3) == "mutasi_bpjstk_202601_v3.csv"
    assert ob.worklist_path("32.75.01.1001", "2026-10", 2) == (
        "verifikasi/32.75.01.1001/worklist_202610_v2.csv"
    )
    assert ob.report_name("2026-10", 2) == "laporan_202610_v2.md"
    assert ob.report_name("2026-10", 2, "html") == "laporan_202610_v2.html"
    for bad in (
        lambda: ob.registry_csv_name("2026-13", 1),
        lambda: ob.registry_csv_name("2026-10", 0),
        lambda: ob.registry_csv_name("2026-10", True),
        lambda: ob.worklist_path("../../etc", "2026-10", 1),
        lambda: ob.report_name("2026-10", 1, "pdf"),
    ):
        with pytest.raises(ValueError):
            bad()


def test_staged_files_reach_the_root_only_on_commit(tmp_path, umask):
    outbox = ob.Outbox(tmp_path / "outbox")
    frame = pd.DataFrame({"nik": ["3275014101900001", "3275010202850002"],
                          "nama": ["SITI | AMINAH", "ÑOÑO"], "desil": pd.array([1, None], dtype="Int8")})  # fmt: skip
    with outbox.staging("202610_v1") as staged:
        staged.write_csv("registry_202610_v1.csv", frame)
        staged.write_text("laporan_202610_v1.md", "# Laporan\n")
        staged.write_bytes("verifikasi/32.75.01.1001/worklist_202610_v1.csv", b"a|b\n1|2\n")
        # nothing visible in the root yet
        visible = [p for p in outbox.root.rglob("*") if ob.STAGING_DIR not in p.parts]
        assert visible == []
        assert staged.files == [
            "registry_202610_v1.csv", "laporan_202610_v1.md",
            "verifikasi/32.75.01.1001/worklist_202610_v1.csv",
        ]  # fmt: skip
        committed = staged.commit()
    root = outbox.root
    assert committed == [
        root / "registry_202610_v1.csv", root / "registry_202610_v1.csv.sha256",
        root / "laporan_202610_v1.md", root / "laporan_202610_v1.md.sha256",
        root / "verifikasi/32.75.01.1001/worklist_202610_v1.csv",
        root / "verifikasi/32.75.01.1001/worklist_202610_v1.csv.sha256",
    ]  # fmt: skip
    assert not staged.folder.exists()
    # permissions: owner and group only, whatever the umask
    for path in committed:
        assert _mode(path) == ob.FILE_MODE, path
    for folder in (root, root / "verifikasi", root / "verifikasi/32.75.01.1001"):
        assert _mode(folder) == ob.DIR_MODE, folder
    # no temporary files left behind
    assert not [p for p in root.rglob(".*.tmp")]
    # the CSV: |-separated UTF-8 with a header, a | inside a field is quoted
    text = (root / "registry_202610_v1.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "nik|nama|desil"
    assert '"SITI | AMINAH"' in text
    back = pd.read_csv(root / "registry_202610_v1.csv", sep="|", dtype=str, keep_default_na=False)
    assert back["nama"].tolist() == ["SITI | AMINAH", "ÑOÑO"] and back["desil"].tolist() == [
        "1",
        "",
    ]


def test_checksum_files_are_sha256sum_format(tmp_path):
    outbox = ob.Outbox(tmp_path)
    with outbox.staging("t1") as staged:
        staged.write_bytes("sub/data.csv", b"x|y\n")
        staged.commit()
    line = (tmp_path / "sub/data.csv.sha256").read_text()
    digest = hashlib.sha256(b"x|y\n").hexdigest()
    assert line == f"{digest}  data.csv\n"
    assert outbox.verify("sub/data.csv") == hashlib.sha256(b"x|y\n").hexdigest()
    if shutil.which("sha256sum"):
        done = subprocess.run(["sha256sum", "-c", "data.csv.sha256"], cwd=tmp_path / "sub",
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr


def test_discard_and_failed_block_leave_nothing(tmp_path):
    outbox = ob.Outbox(tmp_path / "out")
    with pytest.raises(RuntimeError), outbox.staging("202610_v2") as staged:
        staged.write_text("registry_202610_v2.csv", "a\n")
        raise RuntimeError("publish failed")
    assert not staged.folder.exists()
    with outbox.staging("202610_v2") as forgotten:  # leaving without commit discards too
        forgotten.write_text("registry_202610_v2.csv", "a\n")
    assert not forgotten.folder.exists()
    explicit = outbox.staging("202610_v2")
    explicit.write_text("x.md", "x")
    explicit.discard()
    assert not explicit.folder.exists()
    assert [p for p in outbox.root.rglob("*") if p.is_file()] == []
    with pytest.raises(RuntimeError):
        explicit.write_text("y.md", "y")


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    outbox = ob.Outbox(tmp_path)
    staged = outbox.staging("t")

    def broken_fsync(fd):
        raise OSError("I/O error (injected)")

    monkeypatch.setattr(ob.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="injected"):
        staged.write_bytes("data.csv", b"payload")
    monkeypatch.undo()
    assert [p.name for p in staged.folder.rglob("*")] == []
    assert staged.files == []


def test_commit_replaces_an_older_copy_atomically(tmp_path):
    outbox = ob.Outbox(tmp_path)
    for payload in (b"old\n", b"new\n"):
        with outbox.staging("t") as staged:
            staged.write_bytes("registry_202610_v1.csv", payload)
            staged.commit()
    assert (tmp_path / "registry_202610_v1.csv").read_bytes() == b"new\n"
    assert outbox.verify("registry_202610_v1.csv") == hashlib.sha256(b"new\n").hexdigest()


@pytest.mark.parametrize(
    "rel", ["../escape.csv", "/etc/passwd", ".hidden", "a/../../b", "x.csv.sha256", "", "a\\b"]
)
def test_unsafe_paths_are_refused(tmp_path, rel):
    with ob.Outbox(tmp_path).staging("t") as staged, pytest.raises(ValueError):
        staged.write_bytes(rel, b"x")


def test_bad_tags_and_duplicates_are_refused(tmp_path):
    outbox = ob.Outbox(tmp_path)
    for tag in ("../x", ".x", "a/b", ""):
        with pytest.raises(ValueError):
            outbox.staging(tag)
    with outbox.staging("t") as staged:
        staged.write_bytes("a.csv", b"1")
        with pytest.raises(ValueError, match="already written"):
            staged.write_bytes("a.csv", b"2")


class RecordingTarget:
    def __init__(self):
        self.calls: list[tuple[str, bytes]] = []

    def upload(self, local: Path, rel_path: str) -> None:
        self.calls.append((rel_path, Path(local).read_bytes()))


def test_upload_sends_each_file_then_its_checksum(tmp_path):
    outbox = ob.Outbox(tmp_path)
    with outbox.staging("t") as staged:
        staged.write_bytes("registry_202610_v1.csv", b"r\n")
        staged.write_bytes("verifikasi/32.75.01.1001/worklist_202610_v1.csv", b"w\n")
        committed = staged.commit()
    target = RecordingTarget()
    uploaded = outbox.upload(committed, target)  # the .sha256 entries ride with their file
    assert uploaded == ["registry_202610_v1.csv", "verifikasi/32.75.01.1001/worklist_202610_v1.csv"]
    assert [c[0] for c in target.calls] == [
        "registry_202610_v1.csv", "registry_202610_v1.csv.sha256",
        "verifikasi/32.75.01.1001/worklist_202610_v1.csv",
        "verifikasi/32.75.01.1001/worklist_202610_v1.csv.sha256",
    ]  # fmt: skip
    assert target.calls[1][1].decode().startswith(hashlib.sha256(b"r\n").hexdigest())
    # relative paths work as well
    again = RecordingTarget()
    assert outbox.upload(["registry_202610_v1.csv"], again) == ["registry_202610_v1.csv"]


def test_upload_refuses_a_file_that_no_longer_matches_its_checksum(tmp_path):
    outbox = ob.Outbox(tmp_path)
    with outbox.staging("t") as staged:
        staged.write_bytes("registry_202610_v1.csv", b"r\n")
        staged.commit()
    (tmp_path / "registry_202610_v1.csv").write_bytes(b"tampered\n")
    target = RecordingTarget()
    with pytest.raises(ChecksumMismatch):
        outbox.upload(["registry_202610_v1.csv"], target)
    assert target.calls == []
    with pytest.raises(ValueError):
        outbox.upload([tmp_path.parent / "elsewhere.csv"], target)
