"""The registry database: SQLAlchemy Core tables, Alembic migrations, atomic publishing.

The tables are those of ``contracts/REGISTRY.md`` (their names are a public interface) plus
the columns and the ``extract_delivery`` table the pipeline needs. The same code runs on
SQLite (the default: a file) and PostgreSQL (production); the URL decides.

Publishing (:func:`publish_release`) is one transaction: the release row, its entries, the
population changes, the re-verification case plan and the extract deliveries are all
written, or none is. Two runs of one period never publish at once: the transaction starts by
taking a per-period lock (PostgreSQL ``pg_advisory_xact_lock``, SQLite ``BEGIN IMMEDIATE``)
and only then reads the latest version, so of two identical concurrent runs one publishes
and the other finds the release it would have made (``UNCHANGED``). The unique
``(period, version)`` constraint and a partial unique index "one PUBLISHED release per
period" are the last guards.

Bulk loading: PostgreSQL gets ``COPY ... FROM STDIN`` (text format, rendered with Arrow
compute chunk by chunk while a writer thread sends the previous chunks); SQLite and any other
backend get ``executemany`` in large batches, inside the same transaction. A release's entries
are sent in NIK order (cheaper index maintenance), and read back in published order
(``entry_no``). ``publish_release(while_loading=...)`` lets the caller render its files while
the database loads the rows.

Errors: transient trouble (SQLite "database is locked" beyond ``busy_timeout``, PostgreSQL
connection failures, lock timeouts, serialization failures, deadlocks) raises
:class:`sigap.errors.DatabaseBusy`; a write the database refuses (a constraint) raises
:class:`RegistryDatabaseError` with a message scrubbed of personal data. Engines are created
with ``hide_parameters=True`` so that SQLAlchemy's own messages never carry row values.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, Self

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Connection, Engine, make_url

from connectors.arrow_text import concatenated
from domain.codes import CaseStatus, ChangeType, Decision, Source
from domain.periods import parse_period
from domain.privacy import mask_nik

# the entry columns a publish request must carry and the dtypes of release_entries are
# the domain's, defined once
from domain.reconcile import ENTRY_COLUMNS, ENTRY_DTYPES
from sigap.errors import DatabaseBusy, PublishConflict, RegistryDatabaseError

# --------------------------------------------------------------------------------------
# Schema (the head revision; the migrations in connectors/migrations build exactly this)
# --------------------------------------------------------------------------------------

metadata = MetaData()

RELEASE_STATUSES = ("PUBLISHED", "SUPERSEDED")
DELIVERY_STATUSES = ("ACCEPTED", "FAILED", "ACCEPTED_BY_OPERATOR")
#: delivery statuses that count as "accepted" (a baseline for the next period)
ACCEPTED_DELIVERY_STATUSES = ("ACCEPTED", "ACCEPTED_BY_OPERATOR")


def _in_list(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


registry_release = Table(
    "registry_release",
    metadata,
    Column("release_id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(7), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("rules_version", String(), nullable=False),
    Column("input_digests", Text, nullable=False),
    Column("flow_run_id", String()),
    Column("counts", Text, nullable=False),
    Column("monthly_cost_idr", BigInteger, nullable=False),
    Column("quota", Integer, nullable=False),
    # 0002
    Column("accepted_flags", Text, nullable=False, server_default="[]"),
    Column("validation", Text, nullable=False, server_default="{}"),
    Column("quota_summary", Text, nullable=False, server_default="{}"),
    UniqueConstraint("period", "version", name="uq_registry_release_period_version"),
    CheckConstraint(_in_list("status", RELEASE_STATUSES), name="ck_registry_release_status"),
    Index(
        "uq_registry_release_one_published",
        "period",
        unique=True,
        sqlite_where=sa.text("status = 'PUBLISHED'"),
        postgresql_where=sa.text("status = 'PUBLISHED'"),
    ),
)

registry_entry = Table(
    "registry_entry",
    metadata,
    Column(
        "release_id",
        Integer,
        # on PostgreSQL enforced by statement-level triggers instead (migration 0003)
        ForeignKey("registry_release.release_id", name="fk_registry_entry_release"),
        nullable=False,
    ),
    Column("nik", String()),
    Column("kpj", String()),
    Column("nama", String()),
    Column("kode_kelurahan", String()),
    Column("desil", SmallInteger),
    Column("kategori", String()),
    Column("decision", String(16), nullable=False),
    Column("reasons", String(), nullable=False),
    Column("match_method", String()),
    Column("suggested_nik", String()),
    Column("priority_rank", Integer),
    Column("monthly_contribution_idr", BigInteger, nullable=False),
    Column("jkm_claim_alert", Boolean, nullable=False),
    # 0002
    Column("kode_kecamatan", String()),
    Column("jenis_kelamin", SmallInteger),
    Column("umur", SmallInteger),
    Column("evidence", Text),
    Column("entry_no", Integer),  # position in the published frame (read order)
    CheckConstraint(_in_list("decision", list(Decision)), name="ck_registry_entry_decision"),
    Index("ix_registry_entry_release_nik", "release_id", "nik"),
    # partial (migration 0004): only participants have a KPJ, and only the terminations
    # of a release are looked up by decision; every entry indexed costs the COPY
    Index(
        "ix_registry_entry_release_kpj",
        "release_id",
        "kpj",
        sqlite_where=sa.text("kpj IS NOT NULL"),
        postgresql_where=sa.text("kpj IS NOT NULL"),
    ),
    Index(
        "ix_registry_entry_release_terminate",
        "release_id",
        sqlite_where=sa.text("decision = 'TERMINATE'"),
        postgresql_where=sa.text("decision = 'TERMINATE'"),
    ),
)

population_change = Table(
    "population_change",
    metadata,
    Column(
        "release_id",
        Integer,
        ForeignKey("registry_release.release_id", name="fk_population_change_release"),
        nullable=False,
    ),
    Column("nik", String(), nullable=False),
    Column("change_type", String(32), nullable=False),
    Column("before", Text),
    Column("after", Text),
    Column("source", String(16)),
    # 0002
    Column("triggers_reverification", Boolean, nullable=False, server_default=sa.false()),
    CheckConstraint(
        _in_list("change_type", list(ChangeType)), name="ck_population_change_change_type"
    ),
    Index("ix_population_change_release_nik", "release_id", "nik"),
)

reverification_case = Table(
    "reverification_case",
    metadata,
    Column("case_id", String(), primary_key=True),
    Column("nik", String()),
    Column("kpj", String()),
    Column("kode_kelurahan", String()),
    Column(
        "opened_release_id",
        Integer,
        ForeignKey("registry_release.release_id", name="fk_reverification_case_opened"),
        nullable=False,
    ),
    Column(
        "last_seen_release_id",
        Integer,
        ForeignKey("registry_release.release_id", name="fk_reverification_case_last_seen"),
        nullable=False,
    ),
    Column("triggers", String(), nullable=False),
    Column("status", String(32), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("periods_open", Integer, nullable=False),
    # 0002
    Column("opened_period", String(7)),
    Column("last_seen_period", String(7)),
    Column("escalated", Boolean, nullable=False, server_default=sa.false()),
    Column("resolution_note", Text),
    Column("resolved_by", String()),
    Column("nik_baru", String()),
    Column("evidence", Text),
    Column(
        "resolved_release_id",
        Integer,
        ForeignKey("registry_release.release_id", name="fk_reverification_case_resolved"),
    ),
    CheckConstraint(_in_list("status", list(CaseStatus)), name="ck_reverification_case_status"),
    Index("ix_reverification_case_status", "status"),
    Index("ix_reverification_case_nik", "nik"),
)

extract_delivery = Table(
    "extract_delivery",
    metadata,
    Column("delivery_id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(7), nullable=False),
    Column("source", String(16), nullable=False),
    Column("file_name", String(), nullable=False),
    Column("sha256", String(64)),
    Column("rows_total", Integer),
    Column("rows_accepted", Integer),
    Column("rows_rejected", Integer),
    Column("status", String(32), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Column(
        "release_id",
        Integer,
        ForeignKey("registry_release.release_id", name="fk_extract_delivery_release"),
    ),
    Column("detail", Text),
    CheckConstraint(_in_list("status", DELIVERY_STATUSES), name="ck_extract_delivery_status"),
    Index("ix_extract_delivery_source_period", "source", "period"),
)

CHANGE_COLUMNS: tuple[str, ...] = (
    "nik", "change_type", "before", "after", "source", "triggers_reverification",
)  # fmt: skip
OPENED_CASE_COLUMNS = ("case_id", "nik", "kpj", "kode_kelurahan", "triggers", "evidence")
SEEN_CASE_COLUMNS = ("case_id", "triggers", "kode_kelurahan", "periods_open", "escalated")
#: updated when the plan carries them
SEEN_CASE_OPTIONAL = ("evidence",)
RESOLVED_CASE_COLUMNS = (
    "case_id", "status", "resolved_at", "resolution_note", "resolved_by", "nik_baru",
)  # fmt: skip
DELIVERY_COLUMNS = (
    "period", "source", "file_name", "sha256", "rows_total", "rows_accepted",
    "rows_rejected", "status", "checked_at", "detail",
)  # fmt: skip

#: rows per executemany batch / per COPY chunk
INSERT_BATCH_ROWS = 50_000

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = "sigap.registry.migrations"


# --------------------------------------------------------------------------------------
# Engines and migrations
# --------------------------------------------------------------------------------------


def make_engine(url: str, *, busy_timeout_seconds: float = 30.0, echo: bool = False) -> Engine:
    """An engine for the registry at ``url``.

    SQLite: WAL journal, ``busy_timeout``, foreign keys on, and SQLAlchemy (not pysqlite)
    emits ``BEGIN`` so that a transaction covers every statement, DDL included; a
    connection with the execution option ``sigap_begin="IMMEDIATE"`` takes the write lock
    at ``BEGIN`` (used by publishing and migrations). The folder of the database file is
    created when missing. PostgreSQL and others: ``pool_pre_ping``. Always
    ``hide_parameters`` so that error messages never carry row values.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            parsed,
            echo=echo,
            hide_parameters=True,
            connect_args={"timeout": busy_timeout_seconds},
        )
        busy_ms = int(busy_timeout_seconds * 1000)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            # hand transaction control to SQLAlchemy (pysqlite's legacy mode skips BEGIN
            # for DDL and SELECT); see the SQLAlchemy SQLite dialect documentation
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("sigap_begin", "DEFERRED")
            if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
                raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    connect_args: dict[str, Any] = {}
    if backend == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = 10
    return sa.create_engine(
        parsed, echo=echo, hide_parameters=True, pool_pre_ping=True, connect_args=connect_args
    )


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations up to ``revision`` (``"head"``, ``"0001"``...).

    Runs in one transaction under the same kind of lock as publishing, so that two
    processes starting at once do not migrate concurrently.
    """
    from alembic import command

    engine = make_engine(url)
    try:
        with _guard(f"upgrading the registry to {revision}"), engine.connect() as conn:
            conn.execution_options(sigap_begin="IMMEDIATE")
            with conn.begin():
                _lock(conn, _MIGRATION_LOCK, timeout_seconds=300.0)
                command.upgrade(_alembic_config(conn), revision)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The Alembic revision the database at ``url`` is at (``None``: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with _guard("reading the registry's revision"), engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------
# Requests, outcomes, rows
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CasePlanRows:
    """The re-verification case plan as rows to persist (computed by ``domain.cases``).

    ``opened``: ``case_id, nik, kpj, kode_kelurahan, triggers, evidence`` (new OPEN cases);
    ``seen``: ``case_id, triggers, kode_kelurahan, periods_open, escalated`` (open cases
    still open); ``resolved``: ``case_id, status, resolved_at, resolution_note,
    resolved_by, nik_baru``. Any frame may be empty (even without columns).
    """

    opened: pd.DataFrame = field(default_factory=pd.DataFrame)
    seen: pd.DataFrame = field(default_factory=pd.DataFrame)
    resolved: pd.DataFrame = field(default_factory=pd.DataFrame)

    @classmethod
    def of(cls, plan: Any) -> CasePlanRows:
        """From any object with ``opened``/``seen``/``resolved`` frames (``domain.cases``)."""
        return cls(
            opened=getattr(plan, "opened", pd.DataFrame()),
            seen=getattr(plan, "seen", pd.DataFrame()),
            resolved=getattr(plan, "resolved", pd.DataFrame()),
        )


@dataclass(frozen=True, eq=False)
class PublishRequest:
    """Everything one release consists of.

    ``input_digests``: sha256 of the accepted extracts, keys ``dukcapil``, ``dtsen``,
    ``bpjstk`` and optionally ``verifikasi``. ``entries`` carries :data:`ENTRY_COLUMNS`
    (extra columns are ignored); ``changes`` :data:`CHANGE_COLUMNS`. ``deliveries`` are
    rows for ``extract_delivery`` (keys of :data:`DELIVERY_COLUMNS`; ``period`` defaults
    to the request's, ``checked_at`` to now) recorded against the new release. ``force``
    publishes a new version even when inputs, rules and accepted flags are unchanged.
    """

    period: str
    rules_version: str
    input_digests: dict[str, str]
    flow_run_id: str | None
    counts: dict[str, int]
    monthly_cost_idr: int
    quota: int
    entries: pd.DataFrame
    changes: pd.DataFrame
    case_plan: CasePlanRows | None = None
    accepted_flags: tuple[str, ...] = ()
    validation: dict = field(default_factory=dict)
    quota_summary: dict = field(default_factory=dict)
    deliveries: list[dict] = field(default_factory=list)
    force: bool = False


@dataclass(frozen=True)
class PublishOutcome:
    """``PUBLISHED``: a new version was written; ``UNCHANGED``: the latest release of the
    period already has these inputs and rules (``release_id``/``version`` are that one's)."""

    status: Literal["PUBLISHED", "UNCHANGED"]
    release_id: int
    version: int
    period: str
    superseded_release_id: int | None


class PendingRelease(int):
    """The id of the release being published, passed to ``before_commit``.

    It *is* the ``release_id`` (an ``int``) and also carries ``period`` and ``version``,
    which the caller needs to name the outbox files (``registry_YYYYMM_vN.csv``) before
    the transaction commits.
    """

    period: str
    version: int

    def __new__(cls, release_id: int, period: str, version: int) -> Self:
        obj = super().__new__(cls, release_id)
        obj.period = period
        obj.version = version
        return obj


@dataclass(frozen=True)
class ReleaseRow:
    """One ``registry_release`` row, JSON columns decoded, ``published_at`` in UTC."""

    release_id: int
    period: str
    version: int
    status: str
    published_at: datetime
    rules_version: str
    input_digests: dict[str, str]
    flow_run_id: str | None
    counts: dict[str, int]
    monthly_cost_idr: int
    quota: int
    accepted_flags: tuple[str, ...]
    validation: dict
    quota_summary: dict


@dataclass(frozen=True)
class DeliveryRow:
    """One ``extract_delivery`` row."""

    delivery_id: int
    period: str
    source: str
    file_name: str
    sha256: str | None
    rows_total: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    status: str
    checked_at: datetime
    release_id: int | None
    detail: str | None


# --------------------------------------------------------------------------------------
# Publishing
# --------------------------------------------------------------------------------------

_DIGEST_KEYS = frozenset(s.value for s in Source)
_OPTIONAL_DIGEST_KEYS = frozenset({"verifikasi"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def publish_release(
    engine: Engine,
    request: PublishRequest,
    *,
    before_commit: Callable[[int], None] | None = None,
    while_loading: Callable[[int], None] | None = None,
    lock_timeout_seconds: float = 60.0,
) -> PublishOutcome:
    """Publish ``request`` as the next version of its period, atomically.

    If the latest PUBLISHED release of the period has the same ``input_digests``,
    ``rules_version`` and ``accepted_flags`` and ``request.force`` is false, nothing is
    written and the outcome is ``UNCHANGED`` with that release (``before_commit`` is not
    called). Otherwise version N+1 is inserted as PUBLISHED, N is marked SUPERSEDED, the
    entries, changes, case plan and deliveries are written, ``before_commit(release_id)``
    is called (a :class:`PendingRelease`: the id, with ``.period`` and ``.version``) and
    the transaction commits. Any exception, in ``before_commit`` too, rolls everything
    back.

    ``while_loading(release_id)`` (the same :class:`PendingRelease`) runs in a worker thread
    from the moment the release row exists, alongside the bulk loading, for work that
    needs the release's id and version but not its rows in the database (the outbox
    files): the database server loads the rows while this process renders the files.
    It must not use the database. Publishing waits for it before ``before_commit``; an
    exception in it rolls everything back, like one in ``before_commit``.

    Raises ``ValueError`` for a malformed request, :class:`sigap.errors.DatabaseBusy` when
    the lock or the database is not available in time (``lock_timeout_seconds`` on
    PostgreSQL, the engine's ``busy_timeout`` on SQLite), :class:`PublishConflict` if the
    last guards (unique version, one PUBLISHED per period) trip, and
    :class:`RegistryDatabaseError` when the database refuses a row.
    """
    _check_request(request)
    entries = _table_frame(request.entries, registry_entry, ENTRY_COLUMNS, what="entries").assign(
        entry_no=np.arange(len(request.entries), dtype=np.int64)
    )
    entry_order = _index_order(entries)
    changes = _table_frame(request.changes, population_change, CHANGE_COLUMNS, what="changes")
    plan = _case_plan_frames(request.case_plan)
    now = datetime.now(UTC)
    deliveries = _delivery_frame(request.deliveries, request.period, now)
    period = request.period

    with _guard(f"publishing period {period}"), engine.connect() as conn:
        conn.execution_options(sigap_begin="IMMEDIATE")
        with conn.begin():
            _lock(conn, f"sigap.publish:{period}", timeout_seconds=lock_timeout_seconds)
            latest = _latest_release(conn, period)
            if latest is not None and not request.force and _same_inputs(latest, request):
                return PublishOutcome("UNCHANGED", latest.release_id, latest.version, period, None)
            version = _max_version(conn, period) + 1
            if latest is not None:
                conn.execute(
                    registry_release.update()
                    .where(registry_release.c.release_id == latest.release_id)
                    .values(status="SUPERSEDED")
                )
            release_id = conn.execute(
                registry_release.insert().values(
                    period=period,
                    version=version,
                    status="PUBLISHED",
                    published_at=now,
                    rules_version=request.rules_version,
                    input_digests=_json(dict(request.input_digests)),
                    flow_run_id=request.flow_run_id,
                    counts=_json(dict(request.counts)),
                    monthly_cost_idr=int(request.monthly_cost_idr),
                    quota=int(request.quota),
                    accepted_flags=_json(sorted(set(request.accepted_flags))),
                    validation=_json(request.validation),
                    quota_summary=_json(request.quota_summary),
                )
            ).inserted_primary_key[0]
            pending = PendingRelease(release_id, period, version)
            with _alongside(while_loading, pending):
                _bulk_load(conn, registry_entry, entries.assign(release_id=release_id), entry_order)
                _bulk_load(conn, population_change, changes.assign(release_id=release_id))
                _apply_case_plan(conn, plan, release_id, period, now)
                if len(deliveries):
                    _bulk_load(conn, extract_delivery, deliveries.assign(release_id=release_id))
            if before_commit is not None:
                before_commit(pending)
    return PublishOutcome(
        "PUBLISHED",
        int(release_id),
        version,
        period,
        None if latest is None else latest.release_id,
    )


@contextmanager
def _alongside(work: Callable[[int], None] | None, pending: PendingRelease) -> Iterator[None]:
    """Run ``work(pending)`` in a worker thread (with the caller's context variables, so
    that e.g. a Prefect run logger works there) while the ``with`` body runs; wait for it
    at the end and re-raise its exception. When the body fails, its exception wins (the
    worker is still waited for, so nothing it writes outlives the failed publish)."""
    if work is None:
        yield
        return
    failures: list[BaseException] = []
    context = contextvars.copy_context()

    def run() -> None:
        try:
            context.run(work, pending)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the publishing thread
            failures.append(exc)

    worker = threading.Thread(target=run, name=f"sigap-publish-{pending.period}", daemon=True)
    worker.start()
    try:
        yield
    finally:
        worker.join()
    if failures:
        raise failures[0]


def record_deliveries(engine: Engine, deliveries: list[dict]) -> int:
    """Record extract checks that published nothing (e.g. a FAILED validation).

    Rows as in :attr:`PublishRequest.deliveries` (``period`` is required here); they get no
    ``release_id``. Returns the number of rows written.
    """
    if not deliveries:
        return 0
    if any("period" not in row for row in deliveries):
        raise ValueError("record_deliveries: every row needs a period")
    frame = _delivery_frame(deliveries, None, datetime.now(UTC))
    with _guard("recording extract deliveries"), engine.begin() as conn:
        _bulk_load(conn, extract_delivery, frame)
    return len(frame)


def _check_request(request: PublishRequest) -> None:
    parse_period(request.period)
    keys = set(request.input_digests)
    missing = sorted(_DIGEST_KEYS - keys)
    unknown = sorted(keys - _DIGEST_KEYS - _OPTIONAL_DIGEST_KEYS)
    if missing or unknown:
        raise ValueError(
            f"input_digests must have keys {sorted(_DIGEST_KEYS)} (optional: verifikasi); "
            f"missing {missing}, unknown {unknown}"
        )
    bad = sorted(k for k, v in request.input_digests.items() if not _SHA256.match(str(v)))
    if bad:
        raise ValueError(f"input_digests of {bad} are not lower-case sha256 hex digests")
    if not request.rules_version:
        raise ValueError("rules_version is empty")
    if not isinstance(request.entries, pd.DataFrame) or not isinstance(
        request.changes, pd.DataFrame
    ):
        raise TypeError("entries and changes must be pandas DataFrames")


def _same_inputs(latest: ReleaseRow, request: PublishRequest) -> bool:
    return (
        latest.input_digests == dict(request.input_digests)
        and latest.rules_version == request.rules_version
        and tuple(sorted(set(latest.accepted_flags))) == tuple(sorted(set(request.accepted_flags)))
    )


def _max_version(conn: Connection, period: str) -> int:
    t = registry_release
    value = conn.execute(sa.select(sa.func.max(t.c.version)).where(t.c.period == period)).scalar()
    return int(value or 0)


def _lock(conn: Connection, name: str, *, timeout_seconds: float) -> None:
    """Serialise writers of ``name`` until the end of the current transaction.

    PostgreSQL: a transaction-scoped advisory lock on a 64-bit hash of ``name``, waiting at
    most ``timeout_seconds`` (``lock_timeout``). SQLite: the connection already holds the
    database's write lock (``BEGIN IMMEDIATE``), waiting at most ``busy_timeout``.
    """
    if conn.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {max(1, int(timeout_seconds * 1000))}")
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


# --------------------------------------------------------------------------------------
# Frames -> rows
# --------------------------------------------------------------------------------------


def _table_frame(
    frame: pd.DataFrame,
    table: Table,
    required: Sequence[str],
    *,
    what: str,
    optional: Sequence[str] = (),
) -> pd.DataFrame:
    """``frame``'s ``required`` (+ present ``optional``) columns, typed for ``table``.

    Raises ``ValueError`` naming missing columns, values of the wrong type, or nulls in a
    NOT NULL column (by column and count, never by value).
    """
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}")
    names = list(required) + [c for c in optional if c in frame.columns]
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for name in names:
        out[name] = _typed(frame[name].reset_index(drop=True), table.c[name], what)
        column = table.c[name]
        if not column.nullable and column.server_default is None:
            nulls = int(out[name].isna().sum())
            if nulls:
                raise ValueError(f"{what}: column {name} has {nulls} empty value(s)")
    return out


def _typed(values: pd.Series, column: Column, what: str) -> pd.Series:
    kind = column.type
    try:
        if isinstance(kind, Boolean):
            return values.astype("boolean")
        if isinstance(kind, Integer):  # Integer, SmallInteger, BigInteger
            return pd.to_numeric(values).astype("Int64")
        if isinstance(kind, DateTime):
            return pd.to_datetime(values, utc=True)
        return values.astype("string")
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{what}: column {column.name} cannot be stored as {kind}: {type(exc).__name__}"
        ) from None


def _case_plan_frames(plan: CasePlanRows | None) -> dict[str, pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    if plan is None:
        return frames
    specs = {
        "opened": OPENED_CASE_COLUMNS,
        "seen": SEEN_CASE_COLUMNS,
        "resolved": RESOLVED_CASE_COLUMNS,
    }
    for name, columns in specs.items():
        frame = getattr(plan, name)
        if frame is None or len(frame) == 0:
            continue
        frames[name] = _table_frame(
            frame,
            reverification_case,
            columns,
            what=f"case plan {name}",
            optional=SEEN_CASE_OPTIONAL if name == "seen" else (),
        )
        if frames[name]["case_id"].duplicated().any():
            raise ValueError(f"case plan {name}: duplicated case_id")
    if "resolved" in frames:
        bad = ~frames["resolved"]["status"].isin(
            [s.value for s in CaseStatus if s is not CaseStatus.OPEN]
        )
        if bad.any():
            raise ValueError(
                f"case plan resolved: {int(bad.sum())} row(s) with a status that is not "
                f"RESOLVED_*: {sorted(set(frames['resolved']['status'][bad].astype(str)))}"
            )
    if "seen" in frames and "resolved" in frames:
        both = frames["seen"]["case_id"].isin(frames["resolved"]["case_id"])
        if both.any():
            raise ValueError(f"case plan: {int(both.sum())} case(s) both seen and resolved")
    return frames


def _delivery_frame(rows: list[dict], period: str | None, now: datetime) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame()
    unknown = sorted({k for row in rows for k in row} - set(DELIVERY_COLUMNS))
    if unknown:
        raise ValueError(f"deliveries: unknown keys {unknown}")
    frame = pd.DataFrame(list(rows), columns=list(DELIVERY_COLUMNS))
    if period is not None:
        frame["period"] = frame["period"].fillna(period)
    frame["checked_at"] = frame["checked_at"].astype(object).where(frame["checked_at"].notna(), now)
    frame = _table_frame(frame, extract_delivery, DELIVERY_COLUMNS, what="deliveries")
    bad = ~frame["status"].isin(DELIVERY_STATUSES)
    if bad.any():
        raise ValueError(f"deliveries: status must be one of {list(DELIVERY_STATUSES)}")
    for p in frame["period"].unique():
        parse_period(str(p))
    return frame


def _apply_case_plan(
    conn: Connection,
    plan: dict[str, pd.DataFrame],
    release_id: int,
    period: str,
    now: datetime,
) -> None:
    if not plan:
        return
    t = reverification_case
    referenced = pd.concat(
        [pd.Series([], dtype="string")]
        + [plan[k]["case_id"] for k in ("seen", "resolved") if k in plan],
        ignore_index=True,
    )
    if len(referenced) or "opened" in plan:
        existing = pd.DataFrame(
            conn.execute(sa.select(t.c.case_id, t.c.status)).all(), columns=["case_id", "status"]
        )
        if "opened" in plan:
            clash = plan["opened"]["case_id"].isin(existing["case_id"])
            if clash.any():
                raise ValueError(f"case plan opened: {int(clash.sum())} case_id(s) already exist")
        if len(referenced):
            open_ids = existing.loc[existing["status"] == CaseStatus.OPEN.value, "case_id"]
            unknown = ~referenced.isin(open_ids)
            if unknown.any():
                raise ValueError(
                    f"case plan: {int(unknown.sum())} seen/resolved case(s) are not OPEN in "
                    "the registry (unknown or already resolved)"
                )
    if "opened" in plan:
        opened = plan["opened"].assign(
            opened_release_id=release_id,
            last_seen_release_id=release_id,
            status=CaseStatus.OPEN.value,
            opened_at=pd.Timestamp(now),
            periods_open=1,
            opened_period=period,
            last_seen_period=period,
            escalated=False,
        )
        _bulk_load(conn, t, opened)
    if "seen" in plan:
        seen = plan["seen"].assign(last_seen_release_id=release_id, last_seen_period=period)
        _update_cases(conn, seen)
    if "resolved" in plan:
        _update_cases(conn, plan["resolved"].assign(resolved_release_id=release_id))


def resolve_cases(engine: Engine, resolved: pd.DataFrame) -> int:
    """Record re-verification outcomes outside a release (``sigap verify-results``): the
    ``resolved`` rows (case_id, status, resolved_at, resolution_note, resolved_by,
    nik_baru) close OPEN cases in one transaction; the next run applies them. Returns the
    number of cases closed."""
    frames = _case_plan_frames(CasePlanRows(resolved=resolved))
    if "resolved" not in frames:
        return 0
    t = reverification_case
    with _guard("resolving cases"), engine.begin() as conn:
        ids = frames["resolved"]["case_id"]
        open_ids = {
            r[0]
            for r in conn.execute(
                sa.select(t.c.case_id).where(t.c.status == CaseStatus.OPEN.value)
            ).all()
        }
        unknown = ~ids.isin(open_ids)
        if unknown.any():
            raise ValueError(
                f"{int(unknown.sum())} case(s) are not OPEN in the registry (unknown or already resolved)"
            )
        _update_cases(conn, frames["resolved"])
    return len(frames["resolved"])


def _update_cases(conn: Connection, frame: pd.DataFrame) -> None:
    """Executemany ``UPDATE reverification_case SET ... WHERE case_id = ...``."""
    t = reverification_case
    columns = [c for c in frame.columns if c != "case_id"]
    statement = (
        t.update()
        .where(t.c.case_id == sa.bindparam("b_case_id"))
        .values({c: sa.bindparam(f"b_{c}") for c in columns})
    )
    records = _records(frame.rename(columns=lambda c: f"b_{c}"))
    for start in range(0, len(records), INSERT_BATCH_ROWS):
        conn.execute(statement, records[start : start + INSERT_BATCH_ROWS])


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (``None`` for missing), for executemany."""
    plain = frame.astype(object)
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            plain[name] = pd.Series(
                list(frame[name].dt.to_pydatetime()), index=frame.index, dtype=object
            )
    return plain.where(frame.notna(), None).to_dict("records")


def _bulk_load(
    conn: Connection, table: Table, frame: pd.DataFrame, order: np.ndarray | None = None
) -> None:
    """Insert ``frame`` (columns named after ``table``'s) in bulk on ``conn``'s transaction,
    its rows in ``order`` (row positions; default: as they are). The rows are taken in
    that order chunk by chunk while sending, not by reordering the whole frame first: on
    PostgreSQL that work then overlaps with the server's."""
    if len(frame) == 0:
        return
    if order is None:
        order = np.arange(len(frame))
    frame = _contiguous(frame)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy_into(conn, table, frame, order)
        return
    if conn.dialect.name == "sqlite" and not any(
        isinstance(d, pd.DatetimeTZDtype) for d in frame.dtypes
    ):
        _insert_plain_rows(conn, table, frame, order)
        return
    records = _records(frame.take(order))
    statement = table.insert()
    for start in range(0, len(records), INSERT_BATCH_ROWS):
        conn.execute(statement, records[start : start + INSERT_BATCH_ROWS])


def _contiguous(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every Arrow-backed column in one chunk. The rows are taken batch by
    batch, and Arrow's take from a chunked column joins its chunks first, on every call:
    the entries of a whole city (two chunks, participants and residents) took 1.56 s to
    render as COPY text in 50,000-row batches, 0.97 s when joined once."""
    joined = {}
    for name in frame.columns:
        values = frame[name].array
        data = getattr(values, "_pa_array", None)
        if isinstance(data, pa.ChunkedArray) and data.num_chunks > 1:
            joined[name] = type(values)(data.combine_chunks(), dtype=values.dtype)
    if not joined:
        return frame
    return frame.assign(**joined)


def _index_order(entries: pd.DataFrame) -> np.ndarray:
    """The order in which to insert the entries of one release: by NIK (Arrow's stable
    sort, nulls last), as row positions.

    They all get one ``release_id``, so in NIK order they make the ``(release_id, nik)``
    index grow at its right edge instead of at a random leaf per row: PostgreSQL spends
    15-20 % less CPU on the COPY of a whole city (543,000 entries), SQLite about 30 % less
    on its inserts. Nothing reads the physical order (``entry_no`` is the read order).
    """
    return pc.sort_indices(pa.array(entries["nik"], from_pandas=True)).to_numpy()  # nulls last


def _plain_values(values: pd.Series) -> list[Any]:
    """A column as plain Python values, ``None`` for missing (Arrow's converters: no
    per-value pandas work)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or values.dtype == object:
        return values.astype(object).where(values.notna(), None).tolist()
    return pa.array(values, from_pandas=True).to_pylist()


def _insert_plain_rows(
    conn: Connection, table: Table, frame: pd.DataFrame, order: np.ndarray
) -> None:
    """SQLite: the driver's ``executemany`` with tuples of plain values (no per-row
    SQLAlchemy parameter processing; timestamps are not handled here)."""
    preparer = conn.dialect.identifier_preparer
    sql = (
        f"INSERT INTO {preparer.format_table(table)} "
        f"({', '.join(preparer.quote(c) for c in frame.columns)}) "
        f"VALUES ({', '.join('?' * len(frame.columns))})"
    )
    for start in range(0, len(frame), INSERT_BATCH_ROWS):
        chunk = frame.iloc[order[start : start + INSERT_BATCH_ROWS]]
        columns = [_plain_values(chunk[c]) for c in chunk.columns]
        conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def _copy_into(conn: Connection, table: Table, frame: pd.DataFrame, order: np.ndarray) -> None:
    """PostgreSQL ``COPY table (columns) FROM STDIN`` (text format) on the open transaction.

    The text is rendered chunk by chunk (:func:`_copy_text`) while psycopg's
    ``QueuedLibpqWriter`` sends the previous chunks from its own thread, so that the
    rendering overlaps with the server's work on the rows already sent.
    """
    from psycopg.copy import QueuedLibpqWriter

    quote = conn.dialect.identifier_preparer.quote
    columns = list(frame.columns)
    sql = (
        f"COPY {conn.dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(c) for c in columns)}) FROM STDIN"
    )
    driver_connection = conn.connection.driver_connection
    with (
        driver_connection.cursor() as cursor,
        cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy,
    ):
        for start in range(0, len(frame), INSERT_BATCH_ROWS):
            copy.write(_copy_text(frame.iloc[order[start : start + INSERT_BATCH_ROWS]]))


#: COPY text format escapes (backslash first)
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
#: any character COPY's text format escapes
_COPY_SPECIAL = r"[\\\t\n\r]"
_COPY_NULL = "\\N"
_TEXT = pa.large_string()


def _copy_field(values: pd.Series) -> pa.Array:
    """One column as COPY text fields: booleans ``t``/``f``, integers in decimal,
    timestamps ``YYYY-MM-DD HH:MM:SS.ffffff+00:00`` (UTC), anything else as its text with
    backslash, tab, newline and carriage return escaped; ``\\N`` for a missing value."""
    dtype = values.dtype
    if isinstance(dtype, pd.BooleanDtype) or dtype == bool:
        flags = pa.array(values, from_pandas=True, type=pa.bool_())
        text = pc.if_else(flags, pa.scalar("t", _TEXT), pa.scalar("f", _TEXT))
    elif isinstance(dtype, pd.DatetimeTZDtype):
        # small frames only (cases, deliveries): pandas formats the microseconds
        stamps = values.dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
        text = pa.array(stamps.astype(object), from_pandas=True, type=_TEXT)
    elif pd.api.types.is_integer_dtype(dtype):
        text = pc.cast(pa.array(values, from_pandas=True), _TEXT)
    else:
        strings = values if isinstance(dtype, pd.StringDtype) else values.astype("string")
        text = pc.cast(pa.array(strings, from_pandas=True), _TEXT)
        if pc.any(pc.match_substring_regex(text, _COPY_SPECIAL)).as_py():  # one scan
            for old, new in _COPY_ESCAPES:  # rarely: a copy per character escaped
                if pc.any(pc.match_substring(text, old)).as_py():
                    text = pc.replace_substring(text, old, new)
    return pc.fill_null(text, pa.scalar(_COPY_NULL, _TEXT))


def _copy_text(frame: pd.DataFrame) -> memoryview:
    """``frame`` in PostgreSQL's COPY text format: one line per row, tab-separated,
    ``\\N`` for null (vectorised with Arrow compute: no Python work per row)."""
    fields = [_copy_field(frame[name].reset_index(drop=True)) for name in frame.columns]
    tab, newline, empty = (pa.scalar(s, _TEXT) for s in ("\t", "\n", ""))
    lines = pc.binary_join_element_wise(*fields, tab) if len(fields) > 1 else fields[0]
    return concatenated(pc.binary_join_element_wise(lines, empty, newline))


# --------------------------------------------------------------------------------------
# Error translation
# --------------------------------------------------------------------------------------

_NUMBER_RUN = re.compile(r"\d{8,}")
#: PostgreSQL SQLSTATEs worth a retry: connection trouble, lock timeout, serialization,
#: deadlock, shutdown, too many connections
_TRANSIENT_SQLSTATE = re.compile(r"^(08...|40001|40P01|55P03|57P0[123]|53300|57014)$")


def _scrub(text: str) -> str:
    """Mask digit runs that may be NIKs/KPJs; keep the first line only (no DETAIL rows)."""
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return _NUMBER_RUN.sub(lambda m: mask_nik(m.group(0)), first)


def _driver_error(exc: BaseException) -> BaseException:
    return getattr(exc, "orig", None) or exc


def _is_transient(exc: BaseException) -> bool:
    import sqlite3

    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    orig = _driver_error(exc)
    if isinstance(orig, sqlite3.OperationalError):
        message = str(orig).lower()
        return "locked" in message or "busy" in message
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return bool(_TRANSIENT_SQLSTATE.match(sqlstate))
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    # connection failures have no SQLSTATE
    return isinstance(orig, psycopg.OperationalError)


@contextmanager
def _guard(what: str) -> Iterator[None]:
    """Translate database errors raised while doing ``what`` into the sigap hierarchy."""
    try:
        import psycopg

        driver_errors: tuple[type[BaseException], ...] = (psycopg.Error,)
    except ImportError:  # pragma: no cover
        driver_errors = ()
    try:
        yield
    except (sa.exc.DBAPIError, *driver_errors) as exc:  # type: ignore[misc]
        orig = _driver_error(exc)
        sqlstate = getattr(orig, "sqlstate", None)
        label = type(orig).__name__ + (f" (SQLSTATE {sqlstate})" if sqlstate else "")
        diag = getattr(orig, "diag", None)
        primary = getattr(diag, "message_primary", None) or str(orig)
        if _is_transient(exc):
            raise DatabaseBusy(f"registry database unavailable while {what}: {label}") from exc
        constraint = getattr(diag, "constraint_name", None) or ""
        message = _scrub(primary)
        # the last guards: unique (period, version), one PUBLISHED release per period
        if constraint.startswith("uq_registry_release") or (
            "UNIQUE" in message and "registry_release.period" in message
        ):
            raise PublishConflict(
                f"another run published the same version while {what}: {label}"
            ) from None
        # ``from None``: the driver's message may carry row values (DETAIL, CONTEXT)
        raise RegistryDatabaseError(
            f"registry database error while {what}: {label}: {message}"
        ) from None


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise TypeError(f"not a timestamp: {type(value).__name__}")


def _release_row(row: Any) -> ReleaseRow:
    m = row._mapping
    return ReleaseRow(
        release_id=int(m["release_id"]),
        period=m["period"],
        version=int(m["version"]),
        status=m["status"],
        published_at=_utc(m["published_at"]),  # type: ignore[arg-type]
        rules_version=m["rules_version"],
        input_digests=json.loads(m["input_digests"]),
        flow_run_id=m["flow_run_id"],
        counts=json.loads(m["counts"]),
        monthly_cost_idr=int(m["monthly_cost_idr"]),
        quota=int(m["quota"]),
        accepted_flags=tuple(json.loads(m["accepted_flags"] or "[]")),
        validation=json.loads(m["validation"] or "{}"),
        quota_summary=json.loads(m["quota_summary"] or "{}"),
    )


def _latest_release(conn: Connection, period: str) -> ReleaseRow | None:
    t = registry_release
    row = conn.execute(
        sa.select(t)
        .where(t.c.period == period, t.c.status == "PUBLISHED")
        .order_by(t.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else _release_row(row)


def latest_release(engine: Engine, period: str) -> ReleaseRow | None:
    """The PUBLISHED release of ``period`` (``None`` when the period was never published)."""
    parse_period(period)
    with _guard(f"reading the latest release of {period}"), engine.connect() as conn:
        return _latest_release(conn, period)


def releases(engine: Engine, period: str | None = None) -> list[ReleaseRow]:
    """All releases (of ``period``, when given), by period then version."""
    t = registry_release
    query = sa.select(t).order_by(t.c.period, t.c.version)
    if period is not None:
        parse_period(period)
        query = query.where(t.c.period == period)
    with _guard("listing releases"), engine.connect() as conn:
        return [_release_row(r) for r in conn.execute(query)]


def _restore_entry_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    for name in frame.columns:
        dtype = ENTRY_DTYPES.get(name)
        if dtype is None:
            continue
        if dtype == "bool":
            frame[name] = frame[name].astype("boolean").fillna(False).astype(bool)
        elif dtype == "str":
            frame[name] = frame[name].astype("str")
        else:
            frame[name] = pd.to_numeric(frame[name]).astype(dtype)
    return frame


#: NIKs plus KPJs up to which :func:`release_entries` filters in SQL (one bound parameter
#: each; SQLite allows 32,766 per statement, PostgreSQL 65,535)
MAX_FILTER_VALUES = 10_000


def release_entries(
    engine: Engine,
    release_id: int,
    columns: Sequence[str] | None = None,
    *,
    niks: Iterable[str] | None = None,
    kpjs: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The entries of one release, in published order, with the DESIGN.md dtypes.

    ``columns``: a subset of :data:`ENTRY_COLUMNS` (default: all of them).
    ``niks``/``kpjs``: when either is given, only the entries whose NIK is in ``niks`` or
    whose KPJ is in ``kpjs`` (exact text; nulls ignored), selected by the database through
    its ``(release_id, nik)`` and ``(release_id, kpj)`` indexes: the re-verification flow
    reads the few hundred entries of the open cases, not the whole city. Beyond
    :data:`MAX_FILTER_VALUES` values the release is read whole and filtered in memory
    (the same rows, in the same order).
    """
    names = list(ENTRY_COLUMNS if columns is None else columns)
    unknown = [c for c in names if c not in ENTRY_COLUMNS]
    if unknown:
        raise ValueError(f"unknown entry columns {unknown}")
    t = registry_entry
    query = sa.select().where(t.c.release_id == int(release_id))
    wanted: dict[str, list[str]] = {}
    in_memory = False
    if niks is not None or kpjs is not None:
        pairs = (("nik", _filter_values(niks)), ("kpj", _filter_values(kpjs)))
        wanted = {column: values for column, values in pairs if values}
        if not wanted:
            return _restore_entry_dtypes(pd.DataFrame(columns=names))
        in_memory = sum(len(v) for v in wanted.values()) > MAX_FILTER_VALUES
        if not in_memory:
            query = query.where(sa.or_(*(t.c[c].in_(v) for c, v in wanted.items())))
    # the in-memory filter needs its columns, even those the caller did not ask for
    read = names + [c for c in wanted if in_memory and c not in names]
    query = query.add_columns(*(t.c[c] for c in read)).order_by(t.c.entry_no, t.c.nik, t.c.kpj)
    with _guard(f"reading the entries of release {int(release_id)}"), engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    if in_memory:
        keep = np.zeros(len(frame), dtype=bool)
        for name, values in wanted.items():
            keep |= frame[name].isin(values).to_numpy(dtype=bool)
        frame = frame[keep].reset_index(drop=True)
    return _restore_entry_dtypes(frame.reindex(columns=names))


def _filter_values(values: Iterable[str] | None) -> list[str]:
    """Distinct non-null values as text, sorted (a stable statement for the same set)."""
    if values is None:
        return []
    series = pd.Series(list(values) if not isinstance(values, pd.Series) else values)
    return sorted({str(v) for v in series.dropna()})


def find_entry(
    engine: Engine, period: str, nik: str | None = None, kpj: str | None = None
) -> pd.DataFrame:
    """Entries of the latest PUBLISHED release of ``period`` with this NIK and/or KPJ
    (an empty frame when there is none, or when the period has no release)."""
    if nik is None and kpj is None:
        raise ValueError("find_entry needs a nik or a kpj")
    parse_period(period)
    t, r = registry_entry, registry_release
    query = (
        sa.select(r.c.release_id, r.c.version, *(t.c[c] for c in ENTRY_COLUMNS))
        .join(r, r.c.release_id == t.c.release_id)
        .where(r.c.period == period, r.c.status == "PUBLISHED")
        .order_by(t.c.entry_no)
    )
    if nik is not None:
        query = query.where(t.c.nik == str(nik))
    if kpj is not None:
        query = query.where(t.c.kpj == str(kpj))
    with _guard(f"looking up an entry of {period}"), engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return _restore_entry_dtypes(frame)


def terminated_kpjs(engine: Engine, period: str) -> frozenset[str]:
    """KPJs with decision TERMINATE in the latest PUBLISHED release of ``period``."""
    parse_period(period)
    t, r = registry_entry, registry_release
    query = (
        sa.select(t.c.kpj)
        .join(r, r.c.release_id == t.c.release_id)
        .where(
            r.c.period == period,
            r.c.status == "PUBLISHED",
            # a literal, not a parameter: SQLite uses the partial index
            # ix_registry_entry_release_terminate only for the literal term it names
            t.c.decision == sa.literal(Decision.TERMINATE.value, literal_execute=True),
            t.c.kpj.is_not(None),
        )
    )
    with _guard(f"reading the terminations of {period}"), engine.connect() as conn:
        return frozenset(conn.execute(query).scalars())


_CASE_DTYPES = {
    "opened_release_id": "Int64", "last_seen_release_id": "Int64",
    "resolved_release_id": "Int64", "periods_open": "Int64",
}  # fmt: skip


def cases(engine: Engine, status: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Re-verification cases (all, or those with ``status``), by ``case_id``;
    ``opened_at``/``resolved_at`` as UTC timestamps, ``escalated`` bool."""
    t = reverification_case
    query = sa.select(t).order_by(t.c.case_id)
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        bad = sorted(set(wanted) - {s.value for s in CaseStatus})
        if bad:
            raise ValueError(f"unknown case status {bad}")
        query = query.where(t.c.status.in_(wanted))
    with _guard("reading re-verification cases"), engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    for name in ("opened_at", "resolved_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    for name, dtype in _CASE_DTYPES.items():
        frame[name] = pd.to_numeric(frame[name]).astype(dtype)
    frame["escalated"] = frame["escalated"].astype("boolean").fillna(False).astype(bool)
    return frame


def open_cases(engine: Engine) -> pd.DataFrame:
    """Cases with status OPEN (the input of ``domain.cases.plan_cases``)."""
    return cases(engine, CaseStatus.OPEN.value)


def resolved_eligible_cases(engine: Engine) -> pd.DataFrame:
    """Cases closed as RESOLVED_ELIGIBLE."""
    return cases(engine, CaseStatus.RESOLVED_ELIGIBLE.value)


def population_changes(engine: Engine, release_id: int) -> pd.DataFrame:
    """The ``population_change`` rows of one release."""
    t = population_change
    query = (
        sa.select(*(t.c[c] for c in CHANGE_COLUMNS))
        .where(t.c.release_id == int(release_id))
        .order_by(t.c.nik, t.c.change_type)
    )
    with _guard(f"reading the changes of release {int(release_id)}"), engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame["triggers_reverification"] = (
        frame["triggers_reverification"].astype("boolean").fillna(False).astype(bool)
    )
    return frame


def _delivery_row(row: Any) -> DeliveryRow:
    m = row._mapping

    def _int(v: Any) -> int | None:
        return None if v is None else int(v)

    return DeliveryRow(
        delivery_id=int(m["delivery_id"]),
        period=m["period"],
        source=m["source"],
        file_name=m["file_name"],
        sha256=m["sha256"],
        rows_total=_int(m["rows_total"]),
        rows_accepted=_int(m["rows_accepted"]),
        rows_rejected=_int(m["rows_rejected"]),
        status=m["status"],
        checked_at=_utc(m["checked_at"]),  # type: ignore[arg-type]
        release_id=_int(m["release_id"]),
        detail=m["detail"],
    )


def previous_accepted_delivery(
    engine: Engine,
    source: str,
    before_period: str,
    *,
    statuses: Sequence[str] = ACCEPTED_DELIVERY_STATUSES,
) -> DeliveryRow | None:
    """The newest accepted delivery of ``source`` for a period before ``before_period``
    that went into the period's PUBLISHED release (its row counts are the drift baseline,
    its ``sha256`` identifies the baseline extract).

    ``statuses`` defaults to ACCEPTED and ACCEPTED_BY_OPERATOR: an operator-accepted
    delivery is what the published release was built on.
    """
    parse_period(before_period)
    d, r = extract_delivery, registry_release
    query = (
        sa.select(d)
        .join(r, r.c.release_id == d.c.release_id)
        .where(
            d.c.source == str(source),
            d.c.period < before_period,
            d.c.status.in_(list(statuses)),
            r.c.status == "PUBLISHED",
        )
        .order_by(d.c.period.desc(), d.c.checked_at.desc(), d.c.delivery_id.desc())
        .limit(1)
    )
    with _guard(f"reading the previous {source} delivery"), engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else _delivery_row(row)


def deliveries(engine: Engine, period: str | None = None) -> list[DeliveryRow]:
    """Recorded extract deliveries (of ``period``, when given), oldest first."""
    d = extract_delivery
    query = sa.select(d).order_by(d.c.period, d.c.checked_at, d.c.delivery_id)
    if period is not None:
        query = query.where(d.c.period == period)
    with _guard("listing extract deliveries"), engine.connect() as conn:
        return [_delivery_row(r) for r in conn.execute(query)]


# --------------------------------------------------------------------------------------
# JSON and the benchmark
# --------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    return str(value)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def synthetic_entries(n_entries: int, *, seed: int = 0) -> pd.DataFrame:
    """``n_entries`` made-up registry entries (vectorised) for benchmarks and tests."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n_entries, dtype=np.int64)
    decisions = np.array([d.value for d in Decision])[rng.integers(0, 5, n_entries)]
    participant = np.isin(decisions, ["KEEP", "REVERIFY", "TERMINATE"])
    kecamatan = rng.integers(1, 13, n_entries)
    kode_kecamatan = "32.75." + pd.Series(kecamatan).astype("string").str.zfill(2)
    kelurahan = (
        kode_kecamatan + "." + pd.Series(rng.integers(1001, 1006, n_entries)).astype("string")
    )
    nik = pd.Series(3275010101900000 + ids).astype("string")
    kpj = pd.Series(10_000_000_000 + ids).astype("string").where(participant, pd.NA)
    rank = pd.array(np.where(participant, 0, ids + 1), dtype="Int64")
    rank[participant] = pd.NA
    return pd.DataFrame(
        {
            "nik": nik,
            "kpj": kpj,
            "nama": "PESERTA " + pd.Series(ids).astype("string"),
            "kode_kelurahan": kelurahan,
            "kode_kecamatan": kode_kecamatan,
            "desil": pd.array(rng.integers(1, 11, n_entries), dtype="Int8"),
            "kategori": pd.Series(np.where(participant, "OJOL", None)).astype("string"),
            "jenis_kelamin": pd.array(rng.integers(1, 3, n_entries), dtype="Int8"),
            "umur": pd.array(rng.integers(15, 66, n_entries), dtype="Int16"),
            "decision": decisions,
            "reasons": np.where(decisions == "REVERIFY", "DESIL_ABOVE_LIMIT", ""),
            "match_method": np.where(participant, "NIK_EXACT", "NONE"),
            "suggested_nik": pd.Series([None] * n_entries, dtype="string"),
            "priority_rank": rank,
            "monthly_contribution_idr": np.where(decisions == "TERMINATE", 0, 16_800),
            "jkm_claim_alert": np.zeros(n_entries, dtype=bool),
            "evidence": np.where(
                decisions == "REVERIFY", "DESIL_ABOVE_LIMIT: DTSEN desil 7 (ranked 2025-10-01)", ""
            ),
        }
    )


def bench_publish(url: str, n_entries: int, *, period: str = "2000-01", seed: int = 0) -> float:
    """Seconds :func:`publish_release` takes to publish ``n_entries`` synthetic entries.

    Migrates ``url`` to head first and publishes a new version of ``period`` (``force``):
    run it against a throwaway database.
    """
    upgrade(url)
    engine = make_engine(url)
    try:
        entries = synthetic_entries(n_entries, seed=seed)
        digests = {s.value: secrets.token_hex(32) for s in Source}
        request = PublishRequest(
            period=period,
            rules_version="bench",
            input_digests=digests,
            flow_run_id=None,
            counts=entries["decision"].value_counts().to_dict(),
            monthly_cost_idr=int(entries["monthly_contribution_idr"].sum()),
            quota=n_entries,
            entries=entries,
            changes=pd.DataFrame(columns=list(CHANGE_COLUMNS)),
            force=True,
        )
        started = time.perf_counter()
        publish_release(engine, request)
        return time.perf_counter() - started
    finally:
        engine.dispose()


__all__ = [
    "ACCEPTED_DELIVERY_STATUSES",
    "CHANGE_COLUMNS",
    "DELIVERY_COLUMNS",
    "ENTRY_COLUMNS",
    "MAX_FILTER_VALUES",
    "CasePlanRows",
    "DeliveryRow",
    "PendingRelease",
    "PublishOutcome",
    "PublishRequest",
    "RegistryDatabaseError",
    "ReleaseRow",
    "bench_publish",
    "cases",
    "current_revision",
    "deliveries",
    "extract_delivery",
    "find_entry",
    "latest_release",
    "make_engine",
    "metadata",
    "open_cases",
    "population_change",
    "population_changes",
    "previous_accepted_delivery",
    "publish_release",
    "record_deliveries",
    "registry_entry",
    "registry_release",
    "release_entries",
    "releases",
    "resolve_cases",
    "resolved_eligible_cases",
    "reverification_case",
    "synthetic_entries",
    "terminated_kpjs",
    "upgrade",
]  # fmt: skip
