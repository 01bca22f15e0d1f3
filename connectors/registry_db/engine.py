"""Engines (SQLite and PostgreSQL, the URL decides), Alembic migrations and the per-name
writers' lock.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import sqlalchemy as sa
from sqlalchemy import (
    event,
)
from sqlalchemy.engine import Connection, Engine, make_url

from connectors.files import open_private, private_dirs, restrict_file
from connectors.registry_db.guard import guarded
from core.errors import ConfigError, InvalidInput

# the entry columns a publish request must carry and the dtypes of release_entries are
# the domain's, defined once

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


_MIGRATION_LOCK = "sigap.registry.migrations"


#: query parameters of a database URL that carry a secret (libpq's ``?password=``)
_SECRET_QUERY_KEYS = frozenset({"password", "passwd", "sslpassword"})


def masked_url(url: str) -> str:
    """``url`` with its password (and a password given as a query parameter) shown as
    ``***``, for display: ``postgresql+psycopg://sigap:***@dbhost/sigap``. A URL that does
    not parse is shown as ``***`` (it might be anything)."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - whatever it is, it is not shown
        return "***"
    text = parsed.set(query={}).render_as_string(hide_password=True)
    pairs = []
    for key, values in parsed.query.items():
        for value in (values,) if isinstance(values, str) else values:
            shown = "***" if key.lower() in _SECRET_QUERY_KEYS else quote_plus(value)
            pairs.append(f"{quote_plus(key)}={shown}")
    return f"{text}?{'&'.join(pairs)}" if pairs else text


def make_engine(url: str, *, busy_timeout_seconds: float = 30.0, echo: bool = False) -> Engine:
    """An engine for the registry at ``url``.

    SQLite: WAL journal, ``busy_timeout``, foreign keys on, and SQLAlchemy (not pysqlite)
    emits ``BEGIN`` so that a transaction covers every statement, DDL included; a
    connection with the execution option ``sigap_begin="IMMEDIATE"`` takes the write lock
    at ``BEGIN`` (used by publishing and migrations). The folder of the database file is
    created when missing (``0750``); the file is created ``0640`` before SQLite opens it
    (SQLite gives its ``-wal`` and ``-shm`` files the database file's mode), and an existing
    file, ``-wal`` or ``-shm`` loses any permission beyond ``0640`` when a connection opens
    (a registry made before files were private). PostgreSQL and others:
    ``pool_pre_ping``. Always ``hide_parameters`` so that error messages never carry row
    values.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        files: tuple[Path, ...] = ()
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser().resolve()
            try:
                private_dirs(path.parent)
                try:  # an empty file is an empty SQLite database
                    open_private(path, exclusive=True).close()
                except FileExistsError:
                    pass
            except OSError as exc:
                raise ConfigError(
                    f"the registry database {make_url(url).render_as_string(hide_password=True)} "
                    f"cannot be created in {path.parent} ({exc.strerror})",
                    hint="check database.url (or data_dir) in the settings",
                ) from None
            files = (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
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
            for file in files:  # the -wal and -shm exist now
                restrict_file(file)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("sigap_begin", "DEFERRED")
            if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
                raise InvalidInput(f"unknown SQLite BEGIN mode {mode!r}")
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
        with guarded(f"upgrading the registry to {revision}"), engine.connect() as conn:
            conn.execution_options(sigap_begin="IMMEDIATE")
            with conn.begin():
                lock(conn, _MIGRATION_LOCK, timeout_seconds=300.0)
                command.upgrade(_alembic_config(conn), revision)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The Alembic revision the database at ``url`` is at (``None``: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with guarded("reading the registry's revision"), engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def lock(conn: Connection, name: str, *, timeout_seconds: float) -> None:
    """Serialise writers of ``name`` until the end of the current transaction.

    PostgreSQL: a transaction-scoped advisory lock on a 64-bit hash of ``name``, waiting at
    most ``timeout_seconds`` (``lock_timeout``). SQLite: the connection already holds the
    database's write lock (``BEGIN IMMEDIATE``), waiting at most ``busy_timeout``.
    """
    if conn.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {max(1, int(timeout_seconds * 1000))}")
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

