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
    assert committed == [  # each checksum put in place before its data file
        root / "registry_202610_v1.csv.sha256", root / "registry_202610_v1.csv",
        root / "laporan_202610_v1.md.sha256", root / "laporan_202610_v1.md",
        root / "verifikasi/32.75.01.1001/worklist_202610_v1.csv.sha256",
        root / "verifikasi/32.75.01.1001/worklist_202610_v1.csv",
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

    monkeypatch.setattr(os, "fsync", broken_fsync)
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
        self.calls: list[tuple[str, bytes, str]] = []

    def upload_verified(self, local: Path, rel_path: str, sha256: str) -> None:
        self.calls.append((rel_path, Path(local).read_bytes(), sha256))


def test_upload_sends_each_file_with_its_digest(tmp_path):
    outbox = ob.Outbox(tmp_path)
    with outbox.staging("t") as staged:
        staged.write_bytes("registry_202610_v1.csv", b"r\n")
        staged.write_bytes("verifikasi/32.75.01.1001/worklist_202610_v1.csv", b"w\n")
        committed = staged.commit()
    target = RecordingTarget()
    uploaded = outbox.upload(committed, target)  # the .sha256 entries ride with their file
    assert uploaded == ["registry_202610_v1.csv", "verifikasi/32.75.01.1001/worklist_202610_v1.csv"]
    assert target.calls == [
        ("registry_202610_v1.csv", b"r\n", hashlib.sha256(b"r\n").hexdigest()),
        ("verifikasi/32.75.01.1001/worklist_202610_v1.csv", b"w\n", hashlib.sha256(b"w\n").hexdigest()),
    ]
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


# --------------------------------------------------------------------------------------
# delivery after a crash: the checksum first, placing from the record, staging locks
# --------------------------------------------------------------------------------------

_KILL_DURING_COMMIT = """
import os, sys
from pathlib import Path
from connectors import outbox as ob
from connectors.outbox import staging

root, kill_after = Path(sys.argv[1]), int(sys.argv[2])
moves = []
real = staging._move_into_place  # the commit calls it there

def move_then_maybe_die(source, target):
    real(source, target)
    moves.append(target)
    if len(moves) == kill_after:
        os._exit(9)  # killed: no cleanup, no finally

staging._move_into_place = move_then_maybe_die
staged = ob.Outbox(root).staging("202610_v2")
staged.write_bytes("registry_202610_v2.csv", b"r" * 1000)
staged.write_bytes("mutasi_bpjstk_202610_v2.csv", b"m" * 100)
staged.write_bytes("verifikasi/32.75.01.1001/worklist_202610_v2.csv", b"w")
print(staged.staging, flush=True)
staged.commit()
"""


def _data_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and ob.STAGING_DIR not in p.relative_to(root).parts and p.suffix != ".sha256"
    )  # fmt: skip


@pytest.mark.parametrize("kill_after", [1, 3, 4, 5])
def test_a_commit_killed_at_any_rename_never_shows_a_file_without_its_checksum(tmp_path, kill_after):
    """The process is killed (os._exit) after the n-th rename of a commit (the three
    checksums are renamed first, then the data files): every data file in the root has
    its .sha256 and matches it; the record finishes the delivery."""
    import sys

    root = tmp_path / "outbox"
    done = subprocess.run(
        [sys.executable, "-c", _KILL_DURING_COMMIT, str(root), str(kill_after)],
        capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parents[3],
    )  # fmt: skip
    assert done.returncode == 9, done.stderr
    staging = done.stdout.strip()
    outbox = ob.Outbox(root)
    for data in _data_files(root):
        outbox.verify(str(data.relative_to(root)))  # has its checksum, and matches it
    assert len(_data_files(root)) == max(0, kill_after - 3)
    # the staging folder is still there, and no longer locked (its process is gone)
    assert staging in outbox.staging_folders() and not outbox.in_use(staging)
    files = {
        "registry_202610_v2.csv": b"r" * 1000,
        "mutasi_bpjstk_202610_v2.csv": b"m" * 100,
        "verifikasi/32.75.01.1001/worklist_202610_v2.csv": b"w",
    }
    for rel, data in files.items():
        how = outbox.place_recorded(rel, hashlib.sha256(data).hexdigest(), len(data), staging)
        assert how in ("moved", "present")
        assert outbox.verify(rel) == hashlib.sha256(data).hexdigest()
    assert outbox.remove_stale_staging() == [staging]
    # idempotent: everything is found in place
    for rel, data in files.items():
        assert outbox.place_recorded(rel, hashlib.sha256(data).hexdigest(), len(data), staging) == "present"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_place_recorded_from_staging_restores_a_missing_checksum(tmp_path):
    outbox = ob.Outbox(tmp_path)
    staged = outbox.staging("202610_v1")
    staged.write_bytes("registry_202610_v1.csv", b"data\n")
    staged.release()  # as if its process had died
    staged.path("registry_202610_v1.csv").with_name("registry_202610_v1.csv.sha256").unlink()
    assert outbox.place_recorded("registry_202610_v1.csv", _sha(b"data\n"), 5, staged.staging) == "moved"
    assert outbox.verify("registry_202610_v1.csv") == _sha(b"data\n")


def test_place_recorded_refuses_a_damaged_copy_and_renders_it_again(tmp_path, umask):
    outbox = ob.Outbox(tmp_path / "outbox")
    staged = outbox.staging("202610_v1")
    staged.write_bytes("registry_202610_v1.csv", b"published\n")
    staged.release()
    staged.path("registry_202610_v1.csv").write_bytes(b"damaged!!\n")  # same size, other bytes
    digest = _sha(b"published\n")
    with pytest.raises(ob.FileLost) as lost:
        outbox.place_recorded("registry_202610_v1.csv", digest, 10, staged.staging)
    assert "registry_202610_v1.csv" in str(lost.value) and "sigap run" in str(lost.value)
    assert "does not match its recorded sha256" in str(lost.value)
    assert not (outbox.root / "registry_202610_v1.csv").exists()
    assert not (outbox.root / "registry_202610_v1.csv.sha256").exists()
    # made again from the database: delivered only when it is exactly what was published
    with pytest.raises(ob.FileLost, match="differs from the published file"):
        outbox.place_recorded("registry_202610_v1.csv", digest, 10, staged.staging, render=lambda: b"other\n")
    how = outbox.place_recorded(
        "sub/registry_202610_v1.csv", digest, 10, None, render=lambda: b"published\n"
    )
    assert how == "rendered"
    assert outbox.verify("sub/registry_202610_v1.csv") == digest
    # what repair creates is owner+group only, whatever the umask
    for path in (outbox.root / "sub", outbox.root / "sub/registry_202610_v1.csv",
                 outbox.root / "sub/registry_202610_v1.csv.sha256", outbox.root / ob.STAGING_DIR):  # fmt: skip
        assert _mode(path) == (ob.DIR_MODE if path.is_dir() else ob.FILE_MODE), path
    # a damaged copy in the outbox itself is not "present"
    (outbox.root / "sub/registry_202610_v1.csv").write_bytes(b"damaged!!\n")
    with pytest.raises(ob.FileLost, match="in the outbox does not match"):
        outbox.place_recorded("sub/registry_202610_v1.csv", digest, 10, None)
    with pytest.raises(ob.FileLost, match="neither staged nor in the outbox"):
        outbox.place_recorded("gone_202610_v1.csv", digest, 10, None)


def test_place_recorded_restores_the_checksum_of_a_file_in_place(tmp_path):
    outbox = ob.Outbox(tmp_path)
    (tmp_path / "laporan_202610_v1.md").write_bytes(b"# laporan\n")
    assert outbox.place_recorded("laporan_202610_v1.md", _sha(b"# laporan\n"), 10, None) == "present"
    assert outbox.verify("laporan_202610_v1.md") == _sha(b"# laporan\n")


def test_staging_of_a_live_process_is_never_swept(tmp_path, umask):
    outbox = ob.Outbox(tmp_path / "outbox")
    live = outbox.staging("202610_v1")
    live.write_bytes("registry_202610_v1.csv", b"x")
    dead = outbox.staging("202609_v1")
    dead.write_bytes("registry_202609_v1.csv", b"y")
    dead.release()  # its process died before the database committed: an orphan
    kept = outbox.staging("202608_v1")
    kept.release()
    assert outbox.in_use(live.staging) and not outbox.in_use(dead.staging)
    assert outbox.remove_stale_staging(keep=[kept.staging]) == [dead.staging]
    assert sorted(outbox.staging_folders()) == sorted([live.staging, kept.staging])
    assert _mode(outbox.root / ob.STAGING_DIR) == ob.DIR_MODE and _mode(live.folder) == ob.DIR_MODE
    live.commit()
    assert outbox.remove_stale_staging() == [kept.staging]
    assert outbox.staging_folders() == []


def test_kind_of_names_the_contract_files_and_keeps_the_list_open():
    assert ob.kind_of("registry_202610_v2.csv") == "registry"
    assert ob.kind_of("mutasi_bpjstk_202610_v2.csv") == "mutasi"
    assert ob.kind_of("laporan_202610_v2.md") == "report_md"
    assert ob.kind_of("laporan_202610_v2.html") == "report_html"
    assert ob.kind_of("verifikasi/32.75.01.1001/worklist_202610_v2.csv") == "worklist"
    assert ob.kind_of("perubahan_keputusan_202610_v2.csv") == "perubahan_keputusan"
    assert ob.kind_of("statistik_202610_v2.csv") == "statistik"
    assert ob.kind_of("README.txt") == "README"


def test_the_manifest_is_taken_while_writing(tmp_path):
    with ob.Outbox(tmp_path).staging("202610_v1") as staged:
        staged.write_bytes("registry_202610_v1.csv", b"abc")
        staged.write_text("laporan_202610_v1.md", "# x\n", kind="report_md")
        staged.write_bytes("statistik_202610_v1.csv", memoryview(b"s|t\n"), kind="statistik")
        assert staged.manifest() == [
            ob.StagedFile("registry_202610_v1.csv", "registry", _sha(b"abc"), 3),
            ob.StagedFile("laporan_202610_v1.md", "report_md", _sha(b"# x\n"), 4),
            ob.StagedFile("statistik_202610_v1.csv", "statistik", _sha(b"s|t\n"), 4),
        ]
        assert staged.staging.startswith(".staging/202610_v1.")
