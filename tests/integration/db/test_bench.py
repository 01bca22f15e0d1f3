"""The publishing benchmark runs (with a small size here; see the report for 100k/300k)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from connectors import registry_db as db
from devkit.bench_publish import bench_publish


@pytest.mark.slow
def test_bench_publish(db_url):
    seconds = bench_publish(db_url, 20_000)
    assert seconds > 0
    engine = db.make_engine(db_url)
    try:
        release = db.latest_release(engine, "2000-01")
        assert release is not None and release.quota == 20_000
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(sa.func.count()).select_from(db.registry_entry)
                .where(db.registry_entry.c.release_id == release.release_id)
            ).scalar_one()  # fmt: skip
        assert rows == 20_000
        entries = db.release_entries(engine, release.release_id)
        assert entries["nik"].is_unique and entries["decision"].notna().all()
        assert sum(release.counts.values()) == 20_000
    finally:
        engine.dispose()
