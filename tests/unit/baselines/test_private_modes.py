"""Files of the working folder that hold personal data are 0640 in 0750 folders whatever
the umask (issue 15, point 6): rejects files, baselines, the Data Docs, the SQLite registry
and its WAL/SHM files, a failed run's report."""

from __future__ import annotations

import hashlib
import sqlite3
import stat

import pandas as pd
import pytest
from sqlalchemy import text

from connectors import registry_db
from connectors.baselines import BaselineStore
from expectations.quarantine import write_rejects
from tests.private_modes import umask, wrong_modes

SHA = hashlib.sha256(b"x").hexdigest()
MASKS = [pytest.param(0o022, id="umask022"), pytest.param(0o077, id="umask077")]


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"NIK": ["3275014101900001"], "NAMA_LGKP": ["SITI AMINAH"]})


@pytest.mark.parametrize("mask", MASKS)
def test_rejects_file(tmp_path, mask):
    with umask(mask):
        write_rejects(_frame(), tmp_path / "data" / "runs" / "2026-10" / "rejects" / "dukcapil_202610_rejects.csv")
        # written again (a re-run replaces it): still private
        write_rejects(_frame(), tmp_path / "data" / "runs" / "2026-10" / "rejects" / "dukcapil_202610_rejects.csv")
    assert wrong_modes(tmp_path / "data") == []


@pytest.mark.parametrize("mask", MASKS)
def test_baselines(tmp_path, mask):
    with umask(mask):
        BaselineStore(tmp_path / "data" / "baselines").save("dukcapil", "2026-10", SHA, _frame())
    assert wrong_modes(tmp_path / "data") == []


@pytest.mark.parametrize("mask", MASKS)
def test_sqlite_registry_and_its_wal_and_shm(tmp_path, mask):
    data_dir = tmp_path / "data"
    url = f"sqlite:///{data_dir / 'registry.sqlite'}"
    with umask(mask):
        registry_db.upgrade(url)
        engine = registry_db.make_engine(url)
        try:
            with engine.connect() as conn:  # open: the -wal and -shm files exist
                conn.execute(text("SELECT count(*) FROM registry_release")).scalar()
                names = sorted(p.name for p in data_dir.iterdir())
                assert names == ["registry.sqlite", "registry.sqlite-shm", "registry.sqlite-wal"]
                assert wrong_modes(data_dir) == []
        finally:
            engine.dispose()
    assert wrong_modes(data_dir) == []


def test_sqlite_wal_and_shm_left_world_readable_are_tightened(tmp_path):
    """A registry made before this fix: the database 0644 and its -wal/-shm too (SQLite
    gives them the database file's mode when it creates them, but keeps existing ones)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o750)
    db = data_dir / "registry.sqlite"
    with umask(0o022):
        old = sqlite3.connect(db)  # kept open: its -wal and -shm stay
        old.execute("PRAGMA journal_mode = WAL")
        old.execute("CREATE TABLE t (x)")
        old.commit()
        assert stat.S_IMODE((data_dir / "registry.sqlite-wal").stat().st_mode) == 0o644
        try:
            engine = registry_db.make_engine(f"sqlite:///{db}")
            with engine.connect() as conn:
                conn.execute(text("SELECT count(*) FROM t")).scalar()
                assert wrong_modes(data_dir) == []
            engine.dispose()
        finally:
            old.close()


@pytest.fixture(scope="module")
def bpjstk_extract(tmp_path_factory):
    from devkit.sample import generate
    from domain.extracts import SPECS

    root = tmp_path_factory.mktemp("sample")
    sample = generate(root, residents=1_000, periods=["2026-10"], seed=3)
    spec = SPECS["bpjstk"]
    return spec, root / sample.sftp_root / "bpjstk" / spec.remote_path("2026-10")


@pytest.mark.parametrize("mask", MASKS)
def test_data_docs(tmp_path, mask, bpjstk_extract):
    from expectations.validate import validate_extract

    spec, extract = bpjstk_extract
    with umask(mask):
        outcome = validate_extract(
            extract, spec, "2026-10", work_dir=tmp_path / "data" / "runs" / "2026-10",
            max_reject_share=0.01, row_count_tolerance=0.1, previous_rows=None,
            max_uncompressed_bytes=2**30, data_docs=True,
        )
    assert outcome.data_docs_path is not None and outcome.data_docs_path.is_file()
    assert (tmp_path / "data" / "runs" / "2026-10" / "gx").is_dir()
    assert wrong_modes(tmp_path / "data") == []
