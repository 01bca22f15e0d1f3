"""Fixtures of the registry database tests: every test that takes ``db_url`` runs on SQLite
(a file under ``tmp_path``) and on PostgreSQL (127.0.0.1:5432, trust auth).

PostgreSQL: one throwaway database ``sigap_test_<random>`` per test session (dropped at the
end), one schema per test (selected with ``search_path`` in the URL), so tests never see
each other's rows. When PostgreSQL cannot be reached the PostgreSQL variants are skipped
with the reason, except when ``CI=true``: then they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import psycopg
import pytest
from sqlalchemy.engine import Engine

from connectors import registry_db as db

PG_HOST = "127.0.0.1"
PG_PORT = 5432


def _admin_connection() -> tuple[psycopg.Connection | None, str]:
    """An autocommit connection as the first user/database that answers, or the reasons."""
    failures = []
    for user in ("postgres", "root"):
        for dbname in ("postgres", "test", "root"):
            try:
                conn = psycopg.connect(
                    host=PG_HOST, port=PG_PORT, user=user, dbname=dbname,
                    autocommit=True, connect_timeout=3,
                )  # fmt: skip
                return conn, user
            except psycopg.Error as exc:
                failures.append(f"{user}@{dbname}: {type(exc).__name__}")
    return None, "; ".join(failures)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """URL of a throwaway PostgreSQL database for this test session."""
    admin, user_or_reason = _admin_connection()
    if admin is None:
        message = f"PostgreSQL unreachable at {PG_HOST}:{PG_PORT} ({user_or_reason})"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " and CI=true: PostgreSQL tests must run in CI")
        pytest.skip(message)
    name = f"sigap_test_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{user_or_reason}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty registry database (not migrated), on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite'}"
        return
    base = request.getfixturevalue("pg_database")
    schema = f"t_{secrets.token_hex(6)}"
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a registry migrated to head."""
    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def digests(tag: str = "a") -> dict[str, str]:
    """Deterministic fake sha256 digests; a different ``tag`` gives different ones."""
    import hashlib

    return {
        s: hashlib.sha256(f"{s}:{tag}".encode()).hexdigest()
        for s in ("dukcapil", "dtsen", "bpjstk")
    }


def sample_entries() -> pd.DataFrame:
    """Six entries covering every decision, nulls, and awkward text (tab, newline,
    backslash, pipe, quotes, non-ASCII)."""
    return pd.DataFrame(
        {
            "nik": ["3275014101900001", "3275010202850002", "3275010303700003",
                    "3275010404950004", "3275010505990005", "32750106"],
            "kpj": ["10000000001", "10000000002", "10000000003", None, None, "10000000006"],
            "nama": ["SITI AMINAH", "BUDI\tSANTOSO", "DEWI \\ LESTARI", "RINA | SARI",
                     'AGUS "GUS" W.', "ÑOÑO\nBARIS"],
            "kode_kelurahan": ["32.75.01.1001", "32.75.01.1002", "32.75.02.1001",
                               "32.75.03.1001", "32.75.03.1002", None],
            "kode_kecamatan": ["32.75.01", "32.75.01", "32.75.02", "32.75.03", "32.75.03", None],
            "desil": pd.array([1, 7, 3, 2, 4, None], dtype="Int8"),
            "kategori": ["OJOL", "PKL", "RT_RW", None, None, "LAINNYA"],
            "jenis_kelamin": pd.array([2, 1, 2, 2, 1, None], dtype="Int8"),
            "umur": pd.array([36, 41, 70, 31, 27, None], dtype="Int16"),
            "kode_pekerjaan": pd.array([88, 84, 15, 2, 19, None], dtype="Int16"),
            "disabilitas": pd.array([False, True, None, False, False, None], dtype="boolean"),
            "decision": ["KEEP", "REVERIFY", "TERMINATE", "ENROLL", "WAITLIST", "REVERIFY"],
            "reasons": ["", "DESIL_ABOVE_LIMIT", "AGE_ABOVE_LIMIT;DECEASED;JKM_CLAIM_ALERT", "", "",
                        "NIK_NOT_FOUND"],
            "match_method": ["NIK_EXACT", "NIK_EXACT", "NIK_EXACT", "NONE", "NONE", "NONE"],
            "suggested_nik": [None, None, None, None, None, None],
            "priority_rank": pd.array([None, None, None, 1, 2, None], dtype="Int64"),
            "monthly_contribution_idr": np.array([16800, 16800, 0, 16800, 0, 16800], dtype=np.int64),
            "jkm_claim_alert": [False, False, True, False, False, False],
            "evidence": ["", "DESIL_ABOVE_LIMIT: DTSEN desil 7 (ranked 2025-10-01)",
                         "DECEASED: died 2026-10-03", "", "\\N", "NIK_NOT_FOUND: no match"],
        }
    )  # fmt: skip


def sample_changes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nik": ["3275010202850002", "3275010303700003"],
            "change_type": ["DESIL_CHANGED", "DIED"],
            "before": ["4", "HIDUP"],
            "after": ["7", None],
            "source": ["dtsen", "dukcapil"],
            "triggers_reverification": [True, False],
        }
    )


@pytest.fixture
def make_request() -> Callable[..., db.PublishRequest]:
    """``make_request(period="2026-10", tag="a", **overrides)``: a valid publish request."""

    def _make(period: str = "2026-10", tag: str = "a", **overrides) -> db.PublishRequest:
        entries = overrides.pop("entries", None)
        entries = sample_entries() if entries is None else entries
        fields = {
            "period": period,
            "rules_version": "2026.11.1+deadbeef",
            "input_digests": digests(tag),
            "flow_run_id": "00000000-0000-0000-0000-000000000001",
            "counts": entries["decision"].value_counts().to_dict() if "decision" in entries else {},
            "monthly_cost_idr": int(entries.get("monthly_contribution_idr", pd.Series([0])).sum()),
            "quota": 51_666,
            "entries": entries,
            "changes": sample_changes(),
            "case_plan": None,
        }
        fields.update(overrides)
        return db.PublishRequest(**fields)

    return _make


def table_counts(engine: Engine) -> dict[str, int]:
    """Row count of every registry table."""
    import sqlalchemy as sa

    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables
        }


@pytest.fixture
def counts_of() -> Callable[[Engine], dict[str, int]]:
    return table_counts


@pytest.fixture
def digests_for() -> Callable[[str], dict[str, str]]:
    """``digests_for(tag)``: fake input digests (see :func:`digests`)."""
    return digests


@pytest.fixture
def entries_sample() -> pd.DataFrame:
    return sample_entries()
