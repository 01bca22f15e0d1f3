"""Alembic migrations on SQLite and PostgreSQL: from empty, from the previous revision with
data kept, and the models in registry_db matching what the migrations build."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from connectors import registry_db as db
from connectors.registry_db import engine as engine_module

TABLES = {"registry_release", "registry_entry", "population_change", "extract_delivery",
          "release_file", "case_state", "verification_answer"}  # fmt: skip
VIEWS = {"reverification_case"}
#: the head revision (one place: revisions may be renumbered when branches merge)
HEAD = "0007"
#: the revision before the period history's (0007: based_on_release_id, stale marks,
#: per-release case state)
BEFORE_HISTORY = "0006"
#: the revision that adds ``release_file`` (the outbox's delivery record), and the one before
RELEASE_FILES_REVISION, BEFORE_RELEASE_FILES = "0006", "0005"
#: the revision that adds the statistics' entry columns and the money summary, and the
#: one before it
STATISTICS_REVISION, BEFORE_STATISTICS = "0005", "0004"


def test_upgrade_empty_database_to_head(db_url):
    assert db.current_revision(db_url) is None
    db.upgrade(db_url)
    assert db.current_revision(db_url) == HEAD
    engine = db.make_engine(db_url)
    try:
        names = set(sa.inspect(engine).get_table_names())
        assert TABLES <= names and not VIEWS & names
        assert VIEWS <= set(sa.inspect(engine).get_view_names())
        # the head schema is exactly the models of registry_db (no drift), except that on
        # PostgreSQL the entry -> release foreign key is enforced by statement-level
        # triggers (migration 0003), which the models cannot declare
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        if engine.dialect.name == "postgresql":
            assert [(d[0], d[1].name) for d in diffs] == [("add_fk", "fk_registry_entry_release")]
            with engine.connect() as conn:
                triggers = set(
                    conn.exec_driver_sql(
                        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
                    ).scalars()
                )
            assert {
                "registry_entry_release_insert",
                "registry_entry_release_update",
                "registry_release_entries_delete",
                "registry_release_entries_update",
            } <= triggers
        else:
            assert diffs == []
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(db_url):
    db.upgrade(db_url)
    db.upgrade(db_url)
    assert db.current_revision(db_url) == HEAD


def test_contract_columns_exist(engine):
    inspector = sa.inspect(engine)
    columns = {t: {c["name"] for c in inspector.get_columns(t)} for t in TABLES | VIEWS}
    assert {
        "release_id",
        "period",
        "version",
        "status",
        "published_at",
        "rules_version",
        "input_digests",
        "flow_run_id",
        "counts",
        "monthly_cost_idr",
        "quota",
        "accepted_flags",
        "validation",
        "quota_summary",
        "money_summary",
        "based_on_release_id",
        "stale_since",
        "stale_because",
    } <= columns["registry_release"]
    assert {
        "release_id",
        "nik",
        "kpj",
        "nama",
        "kode_kelurahan",
        "desil",
        "kategori",
        "decision",
        "reasons",
        "match_method",
        "suggested_nik",
        "priority_rank",
        "monthly_contribution_idr",
        "jkm_claim_alert",
        "kode_kecamatan",
        "jenis_kelamin",
        "umur",
        "evidence",
        "kode_pekerjaan",
        "disabilitas",
    } <= columns["registry_entry"]
    assert {
        "release_id",
        "nik",
        "change_type",
        "before",
        "after",
        "source",
        "triggers_reverification",
    } <= columns["population_change"]
    assert {
        "case_id",
        "nik",
        "kpj",
        "kode_kelurahan",
        "opened_release_id",
        "last_seen_release_id",
        "triggers",
        "status",
        "opened_at",
        "resolved_at",
        "periods_open",
        "opened_period",
        "last_seen_period",
        "escalated",
        "resolution_note",
        "resolved_by",
        "nik_baru",
        "evidence",
    } <= columns["reverification_case"]
    assert {
        "period",
        "source",
        "file_name",
        "sha256",
        "rows_total",
        "rows_accepted",
        "rows_rejected",
        "status",
        "checked_at",
        "release_id",
    } <= columns["extract_delivery"]
    indexed = {
        ix["name"]: tuple(ix["column_names"]) for ix in inspector.get_indexes("registry_entry")
    }
    assert indexed == {  # kpj and terminate are partial (migration 0004)
        "ix_registry_entry_release_nik": ("release_id", "nik"),
        "ix_registry_entry_release_kpj": ("release_id", "kpj"),
        "ix_registry_entry_release_terminate": ("release_id",),
    }
    uniques = {
        tuple(u["column_names"]) for u in inspector.get_unique_constraints("registry_release")
    }
    assert ("period", "version") in uniques


def test_upgrade_from_0001_keeps_data(db_url, make_request, digests_for):
    db.upgrade(db_url, "0001")
    assert db.current_revision(db_url) == "0001"
    engine = db.make_engine(db_url)
    try:
        # a release written by the 0001 schema (contract columns only)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO registry_release (release_id, period, version, status, "
                    "published_at, rules_version, input_digests, flow_run_id, counts, "
                    "monthly_cost_idr, quota) VALUES (1, '2026-09', 1, 'PUBLISHED', "
                    ":ts, 'old', :digests, NULL, :counts, 33600, 51666)"
                ),
                {
                    "ts": "2026-10-01 00:00:00",
                    "digests": json.dumps(digests_for("old")),
                    "counts": json.dumps({"KEEP": 1, "TERMINATE": 1}),
                },
            )
            conn.execute(
                sa.text(
                    "INSERT INTO registry_entry (release_id, nik, kpj, nama, kode_kelurahan, "
                    "desil, kategori, decision, reasons, match_method, suggested_nik, "
                    "priority_rank, monthly_contribution_idr, jkm_claim_alert) VALUES "
                    "(1, '3275014101900001', '10000000001', 'SITI', '32.75.01.1001', 2, 'OJOL', "
                    "'KEEP', '', 'NIK_EXACT', NULL, NULL, 16800, :f), "
                    "(1, '3275010303700003', '10000000003', 'DEWI', '32.75.02.1001', 3, 'PKL', "
                    "'TERMINATE', 'DECEASED', 'NIK_EXACT', NULL, NULL, 0, :t)"
                ),
                {"f": False, "t": True},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO population_change (release_id, nik, change_type, before, after, "
                    "source) VALUES (1, '3275010303700003', 'DIED', 'HIDUP', 'MATI', 'dukcapil')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO reverification_case (case_id, nik, kpj, kode_kelurahan, "
                    "opened_release_id, last_seen_release_id, triggers, status, opened_at, "
                    "periods_open) VALUES ('RV-1', '3275014101900001', '10000000001', "
                    "'32.75.01.1001', 1, 1, 'DESIL_CHANGED', 'OPEN', :ts, 1)"
                ),
                {"ts": "2026-10-01 00:00:00"},
            )
            if engine.dialect.name == "postgresql":  # keep the sequence past the explicit id
                conn.execute(
                    sa.text(
                        "SELECT setval(pg_get_serial_sequence('registry_release', 'release_id'), 1)"
                    )
                )
    finally:
        engine.dispose()

    db.upgrade(db_url)
    assert db.current_revision(db_url) == HEAD
    engine = db.make_engine(db_url)
    try:
        old = db.latest_release(engine, "2026-09")
        assert old is not None and old.release_id == 1 and old.version == 1
        assert old.accepted_flags == () and old.validation == {} and old.quota_summary == {}
        assert old.counts == {"KEEP": 1, "TERMINATE": 1}
        entries = db.release_entries(engine, 1)
        assert sorted(entries["nik"]) == ["3275010303700003", "3275014101900001"]
        assert entries["kode_kecamatan"].isna().all()
        assert db.terminated_kpjs(engine, "2026-09") == frozenset({"10000000003"})
        changes = db.population_changes(engine, 1)
        assert changes["triggers_reverification"].tolist() == [False]
        case = db.open_cases(engine).iloc[0]
        assert case["case_id"] == "RV-1" and case["opened_period"] == "2026-09"
        assert case["last_seen_period"] == "2026-09" and not case["escalated"]
        # and the upgraded registry takes the next version of the old period
        outcome = db.publish_release(engine, make_request(period="2026-09", tag="new"))
        assert (outcome.status, outcome.version, outcome.superseded_release_id) == (
            "PUBLISHED",
            2,
            1,
        )
        assert db.releases(engine, "2026-09")[0].status == "SUPERSEDED"
    finally:
        engine.dispose()


def test_sqlite_connection_settings(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'sub' / 'r.sqlite'}", busy_timeout_seconds=7)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7000
    finally:
        engine.dispose()


def _entry(release_id: int, nik: str = "3275014101900001") -> dict:
    return {
        "release_id": release_id,
        "nik": nik,
        "decision": "KEEP",
        "reasons": "",
        "monthly_contribution_idr": 0,
        "jkm_claim_alert": False,
    }


def _release(conn, period: str = "2026-09") -> int:
    return conn.execute(
        db.registry_release.insert().values(
            period=period, version=1, status="PUBLISHED", published_at=sa.func.now(),
            rules_version="r", input_digests="{}", counts="{}", monthly_cost_idr=0, quota=1,
        )  # fmt: skip
    ).inserted_primary_key[0]


def _refused(exc: pytest.ExceptionInfo) -> None:
    """A foreign-key refusal (SQLite's message, or PostgreSQL's SQLSTATE 23503)."""
    orig = exc.value.orig
    if getattr(orig, "sqlstate", None) is not None:
        assert orig.sqlstate == "23503"
        assert "fk_registry_entry_release" in str(orig)
    else:
        assert "FOREIGN KEY" in str(orig)


def test_entries_must_refer_to_an_existing_release(engine):
    """On SQLite the declared foreign key; on PostgreSQL the statement-level triggers of
    migration 0003 (one check per statement, not per row): the same refusals."""
    with pytest.raises(sa.exc.IntegrityError) as exc, engine.begin() as conn:
        conn.execute(db.registry_entry.insert().values(**_entry(999)))
    _refused(exc)
    # many rows in one statement, one of them wrong: the whole statement is refused
    with engine.begin() as conn:
        good = _release(conn)
    with pytest.raises(sa.exc.IntegrityError) as exc, engine.begin() as conn:
        conn.execute(
            db.registry_entry.insert(),
            [_entry(good, f"32750141019{i:05d}") for i in range(1, 50)] + [_entry(good + 1)],
        )
    _refused(exc)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(db.registry_entry)).scalar() == 0
    # moving an entry to a release that does not exist
    with engine.begin() as conn:
        conn.execute(db.registry_entry.insert().values(**_entry(good)))
    with pytest.raises(sa.exc.IntegrityError) as exc, engine.begin() as conn:
        conn.execute(db.registry_entry.update().values(release_id=good + 7))
    _refused(exc)


def test_a_release_with_entries_cannot_be_deleted_or_renumbered(engine):
    with engine.begin() as conn:
        kept = _release(conn, "2026-09")
        empty = _release(conn, "2026-10")
        conn.execute(db.registry_entry.insert().values(**_entry(kept)))
    with pytest.raises(sa.exc.IntegrityError) as exc, engine.begin() as conn:
        conn.execute(db.registry_release.delete().where(db.registry_release.c.release_id == kept))
    _refused(exc)
    with pytest.raises(sa.exc.IntegrityError) as exc, engine.begin() as conn:
        conn.execute(
            db.registry_release.update()
            .where(db.registry_release.c.release_id == kept)
            .values(release_id=kept + 100)
        )
    _refused(exc)
    # what publishing does to a release (its status) and a release nobody refers to: fine
    with engine.begin() as conn:
        conn.execute(db.registry_release.update().values(status="SUPERSEDED"))
        conn.execute(db.registry_release.delete().where(db.registry_release.c.release_id == empty))
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(db.registry_release)).scalar() == 1


def test_sqlite_ddl_is_transactional(tmp_path):
    """SQLAlchemy, not pysqlite, emits BEGIN: a rolled-back transaction undoes DDL too
    (what makes a failed migration leave the database at its previous revision)."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    try:
        with pytest.raises(RuntimeError), engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE scratch (x INTEGER)")
            raise RuntimeError("roll back")
        assert "scratch" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_0003_downgrades_to_the_row_level_foreign_key(db_url):
    """Downgrading 0003 puts the declared foreign key back (PostgreSQL) and the 0002
    schema matches what it was; the refusals stay the same on the way down and up."""
    from alembic import command

    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    try:
        with engine.connect() as conn, conn.begin():
            command.downgrade(engine_module._alembic_config(conn), "0002")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0002"
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
            # the partial indexes of 0004 (the kpj one keeps its name and columns); the
            # columns and tables of the later revisions aside
            diffs = [d for d in diffs if isinstance(d, tuple) and d[0].endswith("_index")]
            diffs = [d for d in diffs if d[1].table.name == "registry_entry"]
            assert sorted((d[0], d[1].name) for d in diffs) == [
                ("add_index", "ix_registry_entry_release_terminate"),
                ("remove_index", "ix_registry_entry_release_decision"),
            ]
        with pytest.raises(sa.exc.IntegrityError) as exc, engine.begin() as conn:
            conn.execute(db.registry_entry.insert().values(**_entry(999)))
        _refused(exc)
    finally:
        engine.dispose()
    db.upgrade(db_url)
    assert db.current_revision(db_url) == HEAD


def _index_definitions(conn) -> dict[str, str]:
    if conn.dialect.name == "postgresql":
        sql = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'registry_entry'"
    else:
        sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'registry_entry'"
    return {name: " ".join(str(text).split()) for name, text in conn.exec_driver_sql(sql)}


def test_0004_indexes_only_entries_with_a_kpj_and_the_terminations(db_url):
    """The KPJ index holds the entries with a KPJ, the terminate index the TERMINATE
    entries; the look-ups that need them use them; 0004 downgrades to the full indexes of
    0003 and upgrades again, the data kept."""
    from alembic import command

    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as conn:
            release = _release(conn)
            rows = [
                {**_entry(release, f"32750141019{i:05d}"), "kpj": f"1{i:010d}" if i % 10 == 0 else None,
                 "decision": "TERMINATE" if i == 20 else "KEEP"}
                for i in range(200)
            ]  # fmt: skip
            conn.execute(db.registry_entry.insert(), rows)
            conn.execute(
                db.registry_release.update()
                .where(db.registry_release.c.release_id == release)
                .values(status="PUBLISHED")
            )
            definitions = _index_definitions(conn)
        assert "kpj IS NOT NULL" in definitions["ix_registry_entry_release_kpj"]
        assert "TERMINATE" in definitions["ix_registry_entry_release_terminate"]
        assert "ix_registry_entry_release_decision" not in definitions
        assert db.terminated_kpjs(engine, "2026-09") == frozenset({"10000000020"})
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                plan = " ".join(
                    str(row[-1])
                    for row in conn.exec_driver_sql(
                        "EXPLAIN QUERY PLAN SELECT kpj FROM registry_entry WHERE release_id = ? "
                        "AND decision = 'TERMINATE' AND kpj IS NOT NULL", (release,)
                    )
                )  # fmt: skip
                # one of the partial indexes (a few entries), not all of the release's
                assert "_terminate" in plan or "_kpj (release_id=? AND kpj>?)" in plan
                plan = " ".join(
                    str(row[-1])
                    for row in conn.exec_driver_sql(
                        "EXPLAIN QUERY PLAN SELECT nik FROM registry_entry WHERE release_id = ? "
                        "AND kpj = ?", (release, "10000000010")
                    )
                )  # fmt: skip
                assert "ix_registry_entry_release_kpj" in plan

        with engine.connect() as conn, conn.begin():
            command.downgrade(engine_module._alembic_config(conn), "0003")
        with engine.connect() as conn:
            definitions = _index_definitions(conn)
        assert "WHERE" not in definitions["ix_registry_entry_release_kpj"].upper()
        assert "ix_registry_entry_release_decision" in definitions
        assert "ix_registry_entry_release_terminate" not in definitions
    finally:
        engine.dispose()
    db.upgrade(db_url)
    assert db.current_revision(db_url) == HEAD
    engine = db.make_engine(db_url)
    try:
        assert db.terminated_kpjs(engine, "2026-09") == frozenset({"10000000020"})
    finally:
        engine.dispose()


def test_statistics_revision_adds_and_drops_its_columns_keeping_data(db_url, make_request):
    """Upgrading to the statistics revision keeps a release published before it (its new
    columns read as null / an empty money summary); a release published after it keeps
    occupation, disability and money summary; the downgrade drops exactly those columns
    and keeps the rows; upgrading again works."""
    from alembic import command

    db.upgrade(db_url, BEFORE_STATISTICS)
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as conn:
            old = _release(conn, "2026-08")
            conn.execute(
                sa.text(
                    "INSERT INTO registry_entry (release_id, nik, decision, reasons, "
                    "monthly_contribution_idr, jkm_claim_alert) VALUES "
                    "(:r, '3275014101900001', 'KEEP', '', 16800, :f)"
                ),
                {"r": old, "f": False},
            )
    finally:
        engine.dispose()
    db.upgrade(db_url)
    assert db.current_revision(db_url) == HEAD
    engine = db.make_engine(db_url)
    try:
        before = db.release_entries(engine, old)
        assert before["kode_pekerjaan"].isna().all() and before["disabilitas"].isna().all()
        assert str(before["disabilitas"].dtype) == "boolean"
        assert db.releases(engine, "2026-08")[0].money_summary == {}
        request = make_request(period="2026-09", tag="stats")
        entries = request.entries.assign(
            kode_pekerjaan=pd.array([88, 2, None, 84, 15, 1][: len(request.entries)], dtype="Int16"),
            disabilitas=pd.array([True, False, None, False, True, None][: len(request.entries)],
                                 dtype="boolean"),
        )  # fmt: skip
        money = {"billed_idr": 33_600, "arrears": {"people": 1}}
        outcome = db.publish_release(
            engine, dataclasses.replace(request, entries=entries, money_summary=money)
        )
        got = db.release_entries(engine, outcome.release_id)
        assert got["kode_pekerjaan"].tolist() == entries["kode_pekerjaan"].tolist()
        assert got["disabilitas"].tolist() == entries["disabilitas"].tolist()
        assert db.latest_release(engine, "2026-09").money_summary == money
        with engine.connect() as conn, conn.begin():
            command.downgrade(engine_module._alembic_config(conn), BEFORE_STATISTICS)
        inspector = sa.inspect(engine)
        assert not {"kode_pekerjaan", "disabilitas"} & {
            c["name"] for c in inspector.get_columns("registry_entry")
        }
        assert "money_summary" not in {c["name"] for c in inspector.get_columns("registry_release")}
        with engine.connect() as conn:
            kept = conn.execute(sa.text("SELECT count(*) FROM registry_entry")).scalar()
            indexes = _index_definitions(conn)
        assert kept == 1 + len(entries)
        assert "ix_registry_entry_release_terminate" in indexes  # untouched by the downgrade
    finally:
        engine.dispose()
    db.upgrade(db_url)
    assert db.current_revision(db_url) == HEAD


def test_release_files_revision_up_and_down(db_url, make_request):
    """0006 adds ``release_file`` to a registry of 0005 with its releases kept (they
    count as delivered: nothing was recorded for them); downgrading drops it and keeps
    the rest; upgrading again starts it empty."""
    from alembic import command

    db.upgrade(db_url, BEFORE_RELEASE_FILES)
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as conn:
            old = _release(conn, "2026-08")
        db.upgrade(db_url)
        assert db.current_revision(db_url) == HEAD
        assert [p.period for p in db.period_deliveries(engine)] == ["2026-08"]
        assert not db.period_deliveries(engine)[0].pending
        columns = {c["name"] for c in sa.inspect(engine).get_columns("release_file")}
        assert {"release_id", "path", "kind", "sha256", "size", "staging", "upload_due",
                "recorded_at", "delivered_at", "uploaded_at"} <= columns  # fmt: skip
        outcome = db.publish_release(
            engine, make_request(),
            while_loading=lambda p: [db.ReleaseFile("registry_202610_v1.csv", "registry", "a" * 64, 3)],
        )  # fmt: skip
        assert len(db.release_files(engine, outcome.release_id)) == 1
        with engine.connect() as conn, conn.begin():
            command.downgrade(engine_module._alembic_config(conn), BEFORE_RELEASE_FILES)
        engine.dispose()
        assert db.current_revision(db_url) == BEFORE_RELEASE_FILES
        assert "release_file" not in sa.inspect(engine).get_table_names()
        with engine.connect() as conn:  # the head models read later columns: plain SQL here
            kept = set(conn.exec_driver_sql("SELECT release_id FROM registry_release").scalars())
        assert kept == {old, outcome.release_id}
        db.upgrade(db_url)
        assert db.release_files(engine, outcome.release_id) == []
    finally:
        engine.dispose()


def _insert_release(conn, release_id: int, period: str, version: int, status: str, published: str, digests) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO registry_release (release_id, period, version, status, published_at, "
            "rules_version, input_digests, flow_run_id, counts, monthly_cost_idr, quota) VALUES "
            "(:id, :period, :version, :status, :ts, 'old', :digests, NULL, '{}', 0, 1)"
        ),
        {"id": release_id, "period": period, "version": version, "status": status,
         "ts": published, "digests": json.dumps(digests)},
    )  # fmt: skip



def _insert_case(conn, case_id: str, opened: int, last_seen: int, status: str = "OPEN", **extra) -> None:
    row = {
        "case_id": case_id, "nik": "3275014101900001", "kpj": f"1000000{case_id[-4:]}",
        "kode_kelurahan": "32.75.01.1001", "opened_release_id": opened,
        "last_seen_release_id": last_seen, "triggers": "DESIL_CHANGED", "status": status,
        "opened_at": "2026-10-01 00:00:00", "resolved_at": None, "periods_open": 1,
        "escalated": False, "resolution_note": None, "resolved_by": None, "nik_baru": None,
        "evidence": "DESIL_CHANGED: 4 -> 7", "resolved_release_id": None,
    } | extra  # fmt: skip
    names = ", ".join(row)
    conn.execute(
        sa.text(f"INSERT INTO reverification_case ({names}) VALUES ({', '.join(':' + k for k in row)})"),
        row,
    )
    conn.execute(
        sa.text(
            "UPDATE reverification_case SET "
            "opened_period = (SELECT period FROM registry_release WHERE release_id = opened_release_id), "
            "last_seen_period = (SELECT period FROM registry_release WHERE release_id = last_seen_release_id) "
            "WHERE case_id = :id"
        ),
        {"id": case_id},
    )



def test_the_period_history_migration_carries_an_existing_history(db_url, make_request, digests_for):
    """A registry of 0004 whose September was re-run after October was published (the
    issue's first scenario): October v1 is found stale, every release records what it was
    built on, the cases' last state becomes the current one (periods_open counting
    distinct periods, the escalation it did not earn dropped), September's state is what
    it was then, and an answer recorded by `sigap verify-results` waits for November's
    run. Downgrading gives the 0004 table back, with that answer closing its case."""
    from alembic import command

    db.upgrade(db_url, BEFORE_HISTORY)
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as conn:
            _insert_release(conn, 1, "2026-09", 1, "SUPERSEDED", "2026-10-05 02:00:00", digests_for("s1"))
            _insert_release(conn, 2, "2026-10", 1, "PUBLISHED", "2026-11-05 02:00:00", digests_for("o1"))
            _insert_release(conn, 3, "2026-09", 2, "PUBLISHED", "2026-11-10 09:00:00", digests_for("s2"))
            # opened in September, seen in October, counted again by the re-run: 3 periods
            _insert_case(conn, "RV-202609-000001", 1, 2, periods_open=3, escalated=True)
            _insert_case(conn, "RV-202609-000002", 1, 1, status="RESOLVED_ELIGIBLE",
                         resolved_release_id=2, resolved_at="2026-10-20 00:00:00",
                         resolved_by="Lurah", resolution_note="LAYAK: ok")  # fmt: skip
            _insert_case(conn, "RV-202610-000003", 2, 2)
            _insert_case(conn, "RV-202609-000004", 1, 2, status="RESOLVED_INELIGIBLE",
                         resolved_at="2026-11-12 00:00:00", resolved_by="Petugas",
                         resolution_note="TIDAK_LAYAK: pindah", periods_open=2)  # fmt: skip
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('registry_release', 'release_id'), 3)"))
    finally:
        engine.dispose()

    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    try:
        rows = {r.release_id: r for r in db.releases(engine)}
        assert {k: r.based_on_release_id for k, r in rows.items()} == {1: None, 2: 1, 3: None}
        assert rows[2].stale and not rows[1].stale and not rows[3].stale
        assert "2026-09 v1 (release 1)" in rows[2].stale_because and "2026-09 v2 (release 3)" in rows[2].stale_because

        view = db.cases(engine).set_index("case_id")  # October v1's state
        assert view["status"].to_dict() == {
            "RV-202609-000001": "OPEN", "RV-202609-000002": "RESOLVED_ELIGIBLE",
            "RV-202609-000004": "OPEN", "RV-202610-000003": "OPEN",
        }  # fmt: skip
        assert view.loc["RV-202609-000001", "periods_open"] == 2  # September and October
        assert not view.loc["RV-202609-000001", "escalated"]
        assert view.loc["RV-202609-000002", "resolved_release_id"] == 2
        september = db.cases(engine, release_id=3).set_index("case_id")
        assert sorted(september.index) == ["RV-202609-000001", "RV-202609-000002", "RV-202609-000004"]
        assert (september["status"] == "OPEN").all() and (september["periods_open"] == 1).all()
        answers = db.answers(engine, "2026-11")
        assert answers[["CASE_ID", "HASIL", "CATATAN", "PETUGAS"]].values.tolist() == [
            ["RV-202609-000004", "TIDAK_LAYAK", "pindah", "Petugas"]
        ]
        # October re-run on September v2: a new version (its base changed)
        out = db.publish_release(engine, make_request(period="2026-10", tag="o1", input_digests=digests_for("o1"),
                                                      based_on_release_id=3))  # fmt: skip
        assert (out.status, out.version, out.superseded_release_id) == ("PUBLISHED", 2, 2)
        assert db.latest_release(engine, "2026-10").stale_since is None

        with engine.connect() as conn, conn.begin():
            command.downgrade(engine_module._alembic_config(conn), BEFORE_HISTORY)
        with engine.connect() as conn:
            table = {
                r.case_id: r
                for r in conn.execute(sa.text("SELECT case_id, status, periods_open, resolved_by, resolution_note FROM reverification_case"))
            }  # fmt: skip
            columns = {c["name"] for c in sa.inspect(conn).get_columns("registry_release")}
        # October v2 carried nothing: its state (on September v2) is what the table holds
        assert table["RV-202609-000004"].status == "RESOLVED_INELIGIBLE"
        assert table["RV-202609-000004"].resolution_note == "TIDAK_LAYAK: pindah"
        assert "based_on_release_id" not in columns and "stale_since" not in columns
    finally:
        engine.dispose()
    db.upgrade(db_url)
    assert db.current_revision(db_url) == HEAD

