"""Concurrent publishers of one period (threads, each with its own engine and connection):
never two PUBLISHED releases of a period, versions unique, identical runs publish once."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from connectors import registry_db as db

pytestmark = pytest.mark.timeout(120)


def _run_concurrently(db_url, requests, hold_seconds=0.3):
    """Start one publisher per request at the same moment; each holds its transaction open
    ``hold_seconds`` in ``before_commit`` so that the others must wait for it."""
    barrier = threading.Barrier(len(requests))
    outcomes, errors = [], []

    def publish(request):
        engine = db.make_engine(db_url)
        try:
            barrier.wait(timeout=30)
            outcomes.append(
                db.publish_release(
                    engine, request, before_commit=lambda _: time.sleep(hold_seconds)
                )
            )
        except Exception as exc:  # noqa: BLE001 - collected, re-raised by the test
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=publish, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]
    return outcomes


def _published_per_period(engine):
    t = db.registry_release
    with engine.connect() as conn:
        return dict(
            conn.execute(
                sa.select(t.c.period, sa.func.count())
                .where(t.c.status == "PUBLISHED")
                .group_by(t.c.period)
            ).all()
        )


def test_two_identical_concurrent_runs_publish_once(engine, db_url, make_request, counts_of):
    outcomes = _run_concurrently(db_url, [make_request(), make_request()])
    assert sorted(o.status for o in outcomes) == ["PUBLISHED", "UNCHANGED"]
    assert {o.release_id for o in outcomes} == {outcomes[0].release_id}
    assert {o.version for o in outcomes} == {1}
    assert _published_per_period(engine) == {"2026-10": 1}
    assert counts_of(engine)["registry_entry"] == 6


def test_concurrent_runs_with_different_inputs_get_unique_versions(engine, db_url, make_request):
    outcomes = _run_concurrently(db_url, [make_request(tag=t) for t in "abc"], hold_seconds=0.2)
    assert all(o.status == "PUBLISHED" for o in outcomes)
    assert sorted(o.version for o in outcomes) == [1, 2, 3]
    rows = db.releases(engine, "2026-10")
    assert [r.version for r in rows] == [1, 2, 3]
    assert [r.status for r in rows] == ["SUPERSEDED", "SUPERSEDED", "PUBLISHED"]
    assert _published_per_period(engine) == {"2026-10": 1}
    # each superseded the one published just before it
    by_version = {o.version: o for o in outcomes}
    assert by_version[1].superseded_release_id is None
    assert by_version[2].superseded_release_id == by_version[1].release_id
    assert by_version[3].superseded_release_id == by_version[2].release_id


def test_different_periods_do_not_wait_for_each_other_on_postgresql(engine, db_url, make_request):
    """PostgreSQL locks per period (SQLite has one writer at a time: this only checks
    correctness there)."""
    started = time.perf_counter()
    outcomes = _run_concurrently(
        db_url, [make_request(period="2026-09"), make_request(period="2026-10")], hold_seconds=1.0
    )
    elapsed = time.perf_counter() - started
    assert sorted((o.period, o.version) for o in outcomes) == [("2026-09", 1), ("2026-10", 1)]
    if engine.dialect.name == "postgresql":
        assert elapsed < 1.9, f"publishers of different periods were serialised ({elapsed:.2f}s)"
