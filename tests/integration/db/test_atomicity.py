"""A publish that fails anywhere leaves the registry exactly as it was: no new release, no
partial rows, the previous release still PUBLISHED."""

from __future__ import annotations

import pandas as pd
import pytest

from connectors import registry_db as db
from connectors.registry_db import bulk, publishing
from core.errors import DatabaseBusy


@pytest.fixture
def published_v1(engine, make_request):
    return db.publish_release(engine, make_request())


def _assert_untouched(engine, v1, rows_before, counts_of):
    assert counts_of(engine) == rows_before
    latest = db.latest_release(engine, "2026-10")
    assert latest.release_id == v1.release_id and latest.status == "PUBLISHED"
    assert [r.version for r in db.releases(engine, "2026-10")] == [1]


def test_before_commit_receives_the_pending_release(engine, make_request):
    seen = []

    def stage(release_id):
        seen.append((int(release_id), release_id.period, release_id.version))

    outcome = db.publish_release(engine, make_request(), before_commit=stage)
    assert seen == [(outcome.release_id, "2026-10", 1)]


def test_before_commit_failure_rolls_back(engine, make_request, published_v1, counts_of):
    rows = counts_of(engine)

    def explode(release_id):
        # the release is visible inside the transaction ...
        assert release_id.version == 2
        raise OSError("outbox disk full (injected)")

    with pytest.raises(OSError, match="injected"):
        db.publish_release(engine, make_request(tag="b"), before_commit=explode)
    _assert_untouched(engine, published_v1, rows, counts_of)
    # ... and a later run publishes v2 normally (no gap, no leftover lock)
    again = db.publish_release(engine, make_request(tag="b"))
    assert (again.status, again.version) == ("PUBLISHED", 2)


def test_failure_during_entries_insert_rolls_back(
    engine, make_request, published_v1, counts_of, monkeypatch
):
    """The loader has already written part of the entries when it fails."""
    rows = counts_of(engine)
    real_load = publishing.bulk_load
    written = {}

    def half_then_fail(conn, table, frame, order=None):
        if table is db.registry_entry:
            real_load(conn, table, frame.iloc[: len(frame) // 2])
            written["rows"] = len(frame) // 2
            raise RuntimeError("connection dropped mid-load (injected)")
        real_load(conn, table, frame, order)

    monkeypatch.setattr(publishing, "bulk_load", half_then_fail)
    with pytest.raises(RuntimeError, match="injected"):
        db.publish_release(engine, make_request(tag="b"))
    assert written["rows"] == 3
    _assert_untouched(engine, published_v1, rows, counts_of)


def test_database_refusing_a_row_rolls_back_without_leaking_it(
    engine, make_request, published_v1, counts_of, monkeypatch, entries_sample
):
    """A CHECK violation in the last of several batches: earlier batches were written in the
    transaction; the error names the constraint, not the row (no NIK, no name)."""
    monkeypatch.setattr(bulk, "INSERT_BATCH_ROWS", 2)
    rows = counts_of(engine)
    entries = entries_sample.copy()
    entries.loc[5, "decision"] = "BOGUS"
    with pytest.raises(db.RegistryDatabaseError) as info:
        db.publish_release(engine, make_request(tag="b", entries=entries))
    message = str(info.value)
    assert "ck_registry_entry_decision" in message or "CHECK constraint" in message
    for secret in ("32750106", "3275014101900001", "ÑOÑO", "SITI"):
        assert secret not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    _assert_untouched(engine, published_v1, rows, counts_of)


def test_case_plan_referring_to_unknown_case_rolls_back(
    engine, make_request, published_v1, counts_of
):
    rows = counts_of(engine)
    plan = db.CasePlanRows(
        seen=pd.DataFrame({"case_id": ["RV-NOPE"], "triggers": ["X"], "kode_kelurahan": [None],
                           "periods_open": [2], "escalated": [False]})
    )  # fmt: skip
    with pytest.raises(ValueError, match="not OPEN"):
        db.publish_release(engine, make_request(tag="b", case_plan=plan))
    _assert_untouched(engine, published_v1, rows, counts_of)


@pytest.mark.timeout(60)
def test_locked_database_raises_database_busy(db_url, make_request):
    """Another writer holds the period (SQLite: the write lock; PostgreSQL: the period's
    advisory lock) for longer than we wait."""
    import hashlib

    import sqlalchemy as sa

    db.upgrade(db_url)
    holder = db.make_engine(db_url)
    engine = db.make_engine(db_url, busy_timeout_seconds=0.2)
    try:
        with holder.connect() as conn:
            conn.execution_options(sigap_begin="IMMEDIATE")
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    key = int.from_bytes(
                        hashlib.sha256(b"sigap.publish:2026-10").digest()[:8], "big", signed=True
                    )
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
                with pytest.raises(DatabaseBusy) as info:
                    db.publish_release(engine, make_request(), lock_timeout_seconds=0.2)
                assert "publishing period 2026-10" in str(info.value)
        assert db.latest_release(engine, "2026-10") is None
        # the lock is gone: the retry succeeds
        assert db.publish_release(engine, make_request()).status == "PUBLISHED"
    finally:
        engine.dispose()
        holder.dispose()


def test_unreachable_postgresql_raises_database_busy(make_request):
    engine = db.make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    try:
        with pytest.raises(DatabaseBusy):
            db.publish_release(engine, make_request())
    finally:
        engine.dispose()
