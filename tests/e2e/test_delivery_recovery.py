"""Nothing lost: a monthly run killed (SIGKILL, no cleanup) at a named point between the
database commit and the end of its delivery, then a plain re-run of the same period
(or a run of the next period) finishes the delivery before anything else.

The real flow runs in a subprocess whose small driver patches the named point to kill
its own process; nothing in the production code knows about it. After the re-run every
recorded file is in the outbox with a matching ``.sha256`` (and uploaded where an
outbound endpoint is configured: a real OpenSSH sshd here), the worklists are written,
nothing is left in ``.staging``, the database says delivered, and the release itself is
"nothing new published".
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from connectors import registry_db
from connectors.outbox import DIR_MODE, FILE_MODE, STAGING_DIR, Outbox
from core.settings import RuleSettings, Settings, SourcesSettings, to_toml

pytestmark = pytest.mark.prefect
P1, P2 = "2026-08", "2026-09"
REPO = Path(__file__).resolve().parents[2]

#: the driver: patch one named point to kill this process, then run the monthly flow
DRIVER = r'''
import os, signal, sys

point, period, config = sys.argv[1:4]


def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


if point == "before-outbox-commit":  # the release is committed; its files are staged
    from connectors import delivery
    delivery.commit_staged = die
elif point == "mid-outbox-commit":  # every checksum and the registry file are moved
    from connectors.outbox import staging  # where StagedOutbox.commit looks it up
    real, moved = staging._move_into_place, []

    def move(source, target):
        real(source, target)
        moved.append(target)
        if not str(target).endswith(".sha256"):  # every checksum, then the first data file
            die()

    staging._move_into_place = move
elif point == "after-publish":  # published and delivered; the re-verification flow never starts
    import flows.reverification
    flows.reverification.reverification = die
elif point == "before-worklists":  # the re-verification flow runs, but writes nothing
    from tasks import reverify
    reverify.write_release_worklists = die
elif point == "mid-upload":  # half of the first file's bytes are on the server
    from connectors.sftp import remote  # where SftpSource looks it up

    def half_then_die(out, src):
        start = src.tell()
        size = os.fstat(src.fileno()).st_size
        out.write(src.read(max(1, (size - start) // 2)))
        out.flush()
        out.stat()  # one round trip: the server has written what came before it
        die()

    remote._send_bytes = half_then_die
else:
    raise SystemExit(f"unknown point {point}")

from flows.monthly import monthly_reconciliation
from flows.runtime import local_flow_runs

with local_flow_runs():
    monthly_reconciliation(period=period, config=config)
raise SystemExit("the run ended without reaching the point " + point)
'''


@pytest.fixture(autouse=True)
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture()
def tree(e2e_sample, tmp_path) -> Path:
    root = tmp_path / "inbox"
    shutil.copytree(e2e_sample.sftp_root, root)
    return root


def _config(tmp_path: Path, tree: Path, e2e_sample, **overrides) -> str:
    from devkit.demo import demo_quota

    settings = Settings(
        data_dir=tmp_path / "data",
        sources=SourcesSettings(kind="local", local_root=tree, **overrides.pop("sources", {})),
        rules=RuleSettings(quota=demo_quota(e2e_sample, P1)),
        **overrides,
    )
    path = tmp_path / "sigap.toml"
    path.write_text(to_toml(settings, include_secrets=True))
    return str(path)


def _killed_at(point: str, period: str, config: str) -> None:
    """Run the monthly flow in a subprocess killed at ``point`` (it must get there)."""
    from prefect.settings import PREFECT_API_URL

    driver = Path(config).with_name("driver.py")
    driver.write_text(DRIVER)
    done = subprocess.run(
        [sys.executable, str(driver), point, period, config],
        cwd=REPO, env={**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()},
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout[-3000:], done.stderr[-3000:])


def _engine(config: str):
    from core.settings import load_settings

    return registry_db.make_engine(load_settings(config).database_url)


def _rows(engine, period: str) -> list[registry_db.ReleaseFileRow]:
    release = registry_db.latest_release(engine, period)
    assert release is not None and release.status == "PUBLISHED"
    return registry_db.release_files(engine, release.release_id)


def _assert_delivered(config: str, remote: Path | None = None) -> None:
    """Every recorded file of every release is delivered (and uploaded when due), in the
    outbox with a matching .sha256, owner+group only; no data file without its checksum;
    nothing staged; the worklists written where due."""
    from core.settings import load_settings

    settings = load_settings(config)
    outbox = Outbox(settings.outbox)
    engine = _engine(config)
    try:
        assert registry_db.pending_release_files(engine) == []
        rows = [r for rel in registry_db.releases(engine) for r in registry_db.release_files(engine, rel.release_id)]
    finally:
        engine.dispose()
    files = [r for r in rows if r.is_file]
    assert {r.kind for r in files} >= {"registry", "mutasi", "report_md", "report_html", "worklist"}
    for row in rows:
        assert row.delivered_at is not None, row
        if row.is_file:
            assert outbox.verify(row.path) == row.sha256 and outbox.path(row.path).stat().st_size == row.size
            assert (row.uploaded_at is not None) == (remote is not None), row
            if remote is not None:
                data = (remote / row.path).read_bytes()
                assert hashlib.sha256(data).hexdigest() == row.sha256
                assert (remote / f"{row.path}.sha256").read_text() == f"{row.sha256}  {Path(row.path).name}\n"
    in_outbox = [p for p in outbox.root.rglob("*") if STAGING_DIR not in p.relative_to(outbox.root).parts]
    for path in in_outbox:
        if path.is_file() and path.suffix != ".sha256":
            assert path.with_name(path.name + ".sha256").is_file(), path
        assert stat.S_IMODE(path.stat().st_mode) == (DIR_MODE if path.is_dir() else FILE_MODE), path
    assert {str(p.relative_to(outbox.root)) for p in in_outbox if p.is_file() and p.suffix != ".sha256"} == {
        r.path for r in files
    }
    assert outbox.staging_folders() == []
    if remote is not None:
        assert not list(remote.rglob("*.part"))


def _rerun(period: str, config: str):
    from flows.monthly import monthly_reconciliation

    summary = monthly_reconciliation(period=period, config=config)
    return summary


# --------------------------------------------------------------------------------------
# each named point, then a plain re-run of the same period
# --------------------------------------------------------------------------------------


def test_killed_before_the_outbox_commit(prefect_harness, e2e_sample, tree, tmp_path):
    """The release is PUBLISHED but none of its files is in the outbox; the status says
    so and points at `sigap repair`; the re-run moves them, says nothing new was
    published, and a second re-run has nothing left to complete."""
    from core.settings import load_settings
    from sigap.lookups import status_report

    config = _config(tmp_path, tree, e2e_sample)
    _killed_at("before-outbox-commit", P1, config)
    engine = _engine(config)
    rows = _rows(engine, P1)
    engine.dispose()
    outbox = Outbox(load_settings(config).outbox)
    assert rows and all(r.delivered_at is None for r in rows)
    assert not outbox.path("registry_202608_v1.csv").exists()
    assert len(outbox.staging_folders()) == 1
    status = status_report(load_settings(config))
    assert status.pending and status.rows[0]["delivery"] == "PENDING"
    assert any("sigap repair" in note for note in status.notes)

    summary = _rerun(P1, config)
    assert summary.status == "UNCHANGED" and "nothing new published" in summary.headline()
    assert summary.deliveries and "moved from staging into the outbox" in summary.deliveries
    assert "worklists written for 2026-08 v1" in summary.deliveries
    _assert_delivered(config)
    again = _rerun(P1, config)
    assert again.status == "UNCHANGED" and again.deliveries is None  # idempotent


def test_killed_halfway_through_the_outbox_commit(prefect_harness, e2e_sample, tree, tmp_path):
    config = _config(tmp_path, tree, e2e_sample)
    _killed_at("mid-outbox-commit", P1, config)
    outbox = Outbox(tmp_path / "data" / "outbox")
    outbox.verify("registry_202608_v1.csv")  # the first file is in place with its checksum
    assert (outbox.root / "mutasi_bpjstk_202608_v1.csv.sha256").is_file()  # the next checksum too...
    assert not outbox.path("mutasi_bpjstk_202608_v1.csv").exists()  # no data without checksum
    summary = _rerun(P1, config)
    assert summary.status == "UNCHANGED" and "nothing new published" in summary.headline()
    assert "found in place" in summary.deliveries and "moved from staging" in summary.deliveries
    _assert_delivered(config)


@pytest.mark.parametrize("point", ["after-publish", "before-worklists"])
def test_killed_before_the_worklists_are_written(prefect_harness, e2e_sample, tree, tmp_path, point):
    config = _config(tmp_path, tree, e2e_sample)
    _killed_at(point, P1, config)
    engine = _engine(config)
    rows = _rows(engine, P1)
    engine.dispose()
    marker = [r for r in rows if r.kind == "worklists"]
    assert len(marker) == 1 and marker[0].delivered_at is None
    assert all(r.delivered_at is not None for r in rows if r.is_file)  # the rest is delivered
    assert not (tmp_path / "data" / "outbox" / "verifikasi").exists()
    summary = _rerun(P1, config)
    assert summary.status == "UNCHANGED"
    assert summary.deliveries == "deliveries completed of 2026-08 v1: worklists written for 2026-08 v1"
    _assert_delivered(config)
    assert list((tmp_path / "data" / "outbox" / "verifikasi").glob("*/worklist_202608_v1.csv"))


def test_the_next_period_completes_the_earlier_delivery_first(prefect_harness, e2e_sample, tree, tmp_path):
    config = _config(tmp_path, tree, e2e_sample)
    _killed_at("mid-outbox-commit", P1, config)
    summary = _rerun(P2, config)
    assert summary.status == "PUBLISHED" and summary.period == P2
    assert "of 2026-08 v1" in summary.deliveries
    engine = _engine(config)
    first, second = _rows(engine, P1), _rows(engine, P2)
    published = registry_db.latest_release(engine, P2).published_at
    engine.dispose()
    assert max(r.delivered_at for r in first) < published  # before anything else
    assert second and all(r.delivered_at is not None for r in second)
    _assert_delivered(config)


def test_killed_before_the_outbox_commit_on_postgresql_with_a_staged_file_lost(
    prefect_harness, e2e_sample, tree, tmp_path
):
    """On PostgreSQL, and with the staged registry file gone as well: the re-run makes it
    again from the release's entries (exactly the published bytes) and moves the rest."""
    from devkit.bench import throwaway_postgres
    from tests.conftest import skip_or_fail

    try:
        ctx = throwaway_postgres()
        url = ctx.__enter__()
    except Exception as exc:  # noqa: BLE001 - any connection failure
        skip_or_fail(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    try:
        config = _config(tmp_path, tree, e2e_sample, database={"url": url})
        _killed_at("before-outbox-commit", P1, config)
        (staging,) = Outbox(tmp_path / "data" / "outbox").staging_folders()
        (tmp_path / "data" / "outbox" / staging / "registry_202608_v1.csv").unlink()
        summary = _rerun(P1, config)
        assert summary.status == "UNCHANGED"
        assert "1 file made again from the database" in summary.deliveries
        _assert_delivered(config)
    finally:
        ctx.__exit__(None, None, None)


# --------------------------------------------------------------------------------------
# the outbound upload, end to end against a real OpenSSH sshd
# --------------------------------------------------------------------------------------


@pytest.fixture()
def outbound_sshd(tmp_path):
    from devkit.local_sshd import LocalSshd
    from tests.conftest import skip_or_fail

    if not LocalSshd.available():
        skip_or_fail("OpenSSH sshd is not installed (./dev test installs it)")
    (tmp_path / "bpjs").mkdir()
    with LocalSshd(tmp_path / "bpjs", tmp_path / "sshd-state") as server:
        yield server


@pytest.mark.sshd
def test_every_file_is_uploaded_and_a_cut_off_upload_is_resumed(
    prefect_harness, e2e_sample, tree, tmp_path, outbound_sshd, caplog
):
    """With sources.outbound on a real sshd every outbox file (the worklists too) arrives
    with its .sha256; a run killed halfway through an upload leaves a .part on the server
    and no file there without its checksum; the re-run resumes it and completes."""
    import logging

    remote = outbound_sshd.root / "masuk"
    endpoint = outbound_sshd.client_endpoint("masuk").model_dump()
    config = _config(tmp_path, tree, e2e_sample, sources={"outbound": endpoint})
    first = _rerun(P1, config)
    assert first.status == "PUBLISHED"
    _assert_delivered(config, remote)
    assert list(remote.glob("verifikasi/*/worklist_202608_v1.csv"))

    _killed_at("mid-upload", P2, config)
    parts = list(remote.rglob("*.part"))
    assert len(parts) == 1 and parts[0].stat().st_size > 0
    for path in remote.rglob("*"):
        if path.is_file() and path.suffix not in (".sha256", ".part"):
            assert path.with_name(path.name + ".sha256").is_file(), path
    engine = _engine(config)
    rows = _rows(engine, P2)
    engine.dispose()
    assert all(r.delivered_at is not None for r in rows if r.is_file)  # in the outbox...
    assert all(r.uploaded_at is None for r in rows if r.is_file)  # ...not yet at BPJS
    with caplog.at_level(logging.INFO, logger="connectors.sftp"):
        summary = _rerun(P2, config)
    assert summary.status == "UNCHANGED" and "uploaded" in summary.deliveries
    assert "resumed at byte" in caplog.text
    _assert_delivered(config, remote)
