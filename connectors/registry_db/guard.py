"""Database errors translated into the project's hierarchy: transient trouble (a locked
SQLite, a lost PostgreSQL connection, lock timeouts, serialization failures, deadlocks)
raises :class:`DatabaseBusy`; a write the database refuses raises
:class:`RegistryDatabaseError` with a message scrubbed of personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

# the entry columns a publish request must carry and the dtypes of release_entries are
# the domain's, defined once
from core.errors import ConfigError, DatabaseBusy, PublishConflict, RegistryDatabaseError
from domain.privacy import mask_nik

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
def guarded(what: str) -> Iterator[None]:
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
        if "unable to open database file" in primary:  # SQLite: a path it cannot use
            raise ConfigError(
                f"the registry database file cannot be opened while {what}",
                hint="check database.url (or data_dir) in the settings: the folder must exist and be writable",
            ) from None
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

