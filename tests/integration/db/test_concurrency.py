"""Concurrent publishers of one period (threads, each with its own engine and connection):
never two PUBLISHED releases of a period, versions unique, identical runs publish once."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from connectors import registry_db as db
from core.errors import PublishConflict

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


def test_a_new_version_and_a_release_built_on_the_old_one_never_both_look_current(
    engine, db_url, make_request
):
    """September v2 and October (computed on September v1) publish at the same moment.
    Publishers take a registry-wide history lock after their period's lock (periods used
    to publish side by side on PostgreSQL; the period history needs the check of a base
    and the stale marking to see every other commit), so that either October is refused
    (its base is no longer current) or it is published first and then marked stale by
    September v2: never a current October built on a superseded September."""
    sep1 = db.publish_release(engine, make_request(period="2026-09"))
    requests = [
        make_request(period="2026-09", tag="b"),
        make_request(period="2026-10", based_on_release_id=sep1.release_id),
    ]
    errors: list[Exception] = []
    try:
        outcomes = _run_concurrently(db_url, requests, hold_seconds=0.5)
    except PublishConflict as exc:
        errors.append(exc)
        outcomes = []
    october = db.latest_release(engine, "2026-10")
    if errors:  # September v2 first: October refused, nothing of it published
        assert "no longer its current release" in str(errors[0]) and october is None
    else:
        assert october is not None and october.based_on_release_id == sep1.release_id
        assert october.stale and "2026-09 v2" in october.stale_because
    assert db.latest_release(engine, "2026-09").version == 2


