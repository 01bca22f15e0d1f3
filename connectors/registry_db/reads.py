"""Reading the registry: releases, their entries, terminations, changes and deliveries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from connectors.registry_db.guard import guarded
from connectors.registry_db.rows import DeliveryRow, ReleaseRow
from connectors.registry_db.schema import (
    ACCEPTED_DELIVERY_STATUSES,
    CHANGE_COLUMNS,
    extract_delivery,
    population_change,
    registry_entry,
    registry_release,
)
from core.errors import InvalidInput
from domain.codes import Decision, ReleaseStatus
from domain.periods import parse_period

# the entry columns a publish request must carry and the dtypes of release_entries are
# the domain's, defined once
from domain.reconcile import ENTRY_COLUMNS, ENTRY_DTYPES


def as_utc(value: Any) -> datetime | None:
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
        published_at=as_utc(m["published_at"]),  # type: ignore[arg-type]
        rules_version=m["rules_version"],
        input_digests=json.loads(m["input_digests"]),
        flow_run_id=m["flow_run_id"],
        counts=json.loads(m["counts"]),
        monthly_cost_idr=int(m["monthly_cost_idr"]),
        quota=int(m["quota"]),
        accepted_flags=tuple(json.loads(m["accepted_flags"] or "[]")),
        validation=json.loads(m["validation"] or "{}"),
        quota_summary=json.loads(m["quota_summary"] or "{}"),
        money_summary=json.loads(m["money_summary"] or "{}"),
        based_on_release_id=_optional_int(m["based_on_release_id"]),
        stale_since=as_utc(m["stale_since"]),
        stale_because=m["stale_because"],
    )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def latest_release_in(conn: Connection, period: str) -> ReleaseRow | None:
    t = registry_release
    row = conn.execute(
        sa.select(t)
        .where(t.c.period == period, t.c.status == ReleaseStatus.PUBLISHED)
        .order_by(t.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else _release_row(row)


def latest_release(engine: Engine, period: str) -> ReleaseRow | None:
    """The PUBLISHED release of ``period`` (``None`` when the period was never published)."""
    parse_period(period)
    with guarded(f"reading the latest release of {period}"), engine.connect() as conn:
        return latest_release_in(conn, period)


def release(engine: Engine, release_id: int) -> ReleaseRow | None:
    """One release by its id (``None`` when there is none)."""
    t = registry_release
    with guarded(f"reading release {int(release_id)}"), engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.release_id == int(release_id))).first()
    return None if row is None else _release_row(row)


def current_releases_in(conn: Connection) -> list[ReleaseRow]:
    t = registry_release
    query = sa.select(t).where(t.c.status == ReleaseStatus.PUBLISHED).order_by(t.c.period)
    return [_release_row(r) for r in conn.execute(query)]


def current_releases(engine: Engine) -> list[ReleaseRow]:
    """The current release of every period (its PUBLISHED one, stale or not), by period."""
    with guarded("listing the current releases"), engine.connect() as conn:
        return current_releases_in(conn)


def releases(engine: Engine, period: str | None = None) -> list[ReleaseRow]:
    """All releases (of ``period``, when given), by period then version."""
    t = registry_release
    query = sa.select(t).order_by(t.c.period, t.c.version)
    if period is not None:
        parse_period(period)
        query = query.where(t.c.period == period)
    with guarded("listing releases"), engine.connect() as conn:
        return [_release_row(r) for r in conn.execute(query)]


def published_releases(engine: Engine, before: str | None = None) -> list[ReleaseRow]:
    """The current (PUBLISHED) release of every period, or of every period before
    ``before``, by period: what the trend across periods reads."""
    t = registry_release
    query = sa.select(t).where(t.c.status == ReleaseStatus.PUBLISHED).order_by(t.c.period)
    if before is not None:
        parse_period(before)
        query = query.where(t.c.period < before)
    with guarded("listing the published releases"), engine.connect() as conn:
        return [_release_row(r) for r in conn.execute(query)]


def restore_entry_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    for name in frame.columns:
        dtype = ENTRY_DTYPES.get(name)
        if dtype is None:
            continue
        if dtype == "bool":
            frame[name] = frame[name].astype("boolean").fillna(False).astype(bool)
        elif dtype == "boolean":  # nullable: SQLite gives 0/1/None
            frame[name] = frame[name].astype("object").where(frame[name].notna(), None).astype(
                "boolean"
            )
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
        raise InvalidInput(f"unknown entry columns {unknown}")
    t = registry_entry
    query = sa.select().where(t.c.release_id == int(release_id))
    wanted: dict[str, list[str]] = {}
    in_memory = False
    if niks is not None or kpjs is not None:
        pairs = (("nik", _filter_values(niks)), ("kpj", _filter_values(kpjs)))
        wanted = {column: values for column, values in pairs if values}
        if not wanted:
            return restore_entry_dtypes(pd.DataFrame(columns=names))
        in_memory = sum(len(v) for v in wanted.values()) > MAX_FILTER_VALUES
        if not in_memory:
            query = query.where(sa.or_(*(t.c[c].in_(v) for c, v in wanted.items())))
    # the in-memory filter needs its columns, even those the caller did not ask for
    read = names + [c for c in wanted if in_memory and c not in names]
    query = query.add_columns(*(t.c[c] for c in read)).order_by(t.c.entry_no, t.c.nik, t.c.kpj)
    with guarded(f"reading the entries of release {int(release_id)}"), engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    if in_memory:
        keep = np.zeros(len(frame), dtype=bool)
        for name, values in wanted.items():
            keep |= frame[name].isin(values).to_numpy(dtype=bool)
        frame = frame[keep].reset_index(drop=True)
    return restore_entry_dtypes(frame.reindex(columns=names))


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
        raise InvalidInput("find_entry needs a nik or a kpj")
    parse_period(period)
    t, r = registry_entry, registry_release
    query = (
        sa.select(r.c.release_id, r.c.version, *(t.c[c] for c in ENTRY_COLUMNS))
        .join(r, r.c.release_id == t.c.release_id)
        .where(r.c.period == period, r.c.status == ReleaseStatus.PUBLISHED)
        .order_by(t.c.entry_no)
    )
    if nik is not None:
        query = query.where(t.c.nik == str(nik))
    if kpj is not None:
        query = query.where(t.c.kpj == str(kpj))
    with guarded(f"looking up an entry of {period}"), engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return restore_entry_dtypes(frame)


def entries_suggesting(engine: Engine, release_id: int, nik: str) -> pd.DataFrame:
    """The entries of one release whose ``suggested_nik`` is ``nik`` (participants whose
    BPJS NIK is probably a typo of it), in published order: a look-up for one person
    (``sigap explain``), filtered by the database."""
    t = registry_entry
    query = (
        sa.select(*(t.c[c] for c in ENTRY_COLUMNS))
        .where(
            t.c.release_id == int(release_id),
            # only participants carry a suggestion: the partial (release_id, kpj) index
            # narrows the release's half a million entries to its ~50,000 participants
            t.c.kpj.is_not(None),
            t.c.suggested_nik == str(nik),
        )
        .order_by(t.c.entry_no)
    )
    with guarded(f"reading the entries of release {int(release_id)}"), engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return restore_entry_dtypes(frame)


def terminated_kpjs(engine: Engine, period: str) -> frozenset[str]:
    """KPJs with decision TERMINATE in the latest PUBLISHED release of ``period``."""
    parse_period(period)
    t, r = registry_entry, registry_release
    query = (
        sa.select(t.c.kpj)
        .join(r, r.c.release_id == t.c.release_id)
        .where(
            r.c.period == period,
            r.c.status == ReleaseStatus.PUBLISHED,
            # a literal, not a parameter: SQLite uses the partial index
            # ix_registry_entry_release_terminate only for the literal term it names
            t.c.decision == sa.literal(Decision.TERMINATE.value, literal_execute=True),
            t.c.kpj.is_not(None),
        )
    )
    with guarded(f"reading the terminations of {period}"), engine.connect() as conn:
        return frozenset(conn.execute(query).scalars())


def release_terminated_kpjs(engine: Engine, release_id: int | None) -> frozenset[str]:
    """KPJs with decision TERMINATE in one release (empty for ``None``: no base)."""
    if release_id is None:
        return frozenset()
    t = registry_entry
    query = sa.select(t.c.kpj).where(
        t.c.release_id == int(release_id),
        # a literal: SQLite uses the partial index ix_registry_entry_release_terminate
        t.c.decision == sa.literal(Decision.TERMINATE.value, literal_execute=True),
        t.c.kpj.is_not(None),
    )
    with guarded(f"reading the terminations of release {int(release_id)}"), engine.connect() as conn:
        return frozenset(conn.execute(query).scalars())


def population_changes(engine: Engine, release_id: int) -> pd.DataFrame:
    """The ``population_change`` rows of one release."""
    t = population_change
    query = (
        sa.select(*(t.c[c] for c in CHANGE_COLUMNS))
        .where(t.c.release_id == int(release_id))
        .order_by(t.c.nik, t.c.change_type)
    )
    with guarded(f"reading the changes of release {int(release_id)}"), engine.connect() as conn:
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
        checked_at=as_utc(m["checked_at"]),  # type: ignore[arg-type]
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
            r.c.status == ReleaseStatus.PUBLISHED,
        )
        .order_by(d.c.period.desc(), d.c.checked_at.desc(), d.c.delivery_id.desc())
        .limit(1)
    )
    with guarded(f"reading the previous {source} delivery"), engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else _delivery_row(row)


def deliveries(engine: Engine, period: str | None = None) -> list[DeliveryRow]:
    """Recorded extract deliveries (of ``period``, when given), oldest first."""
    d = extract_delivery
    query = sa.select(d).order_by(d.c.period, d.c.checked_at, d.c.delivery_id)
    if period is not None:
        query = query.where(d.c.period == period)
    with guarded("listing extract deliveries"), engine.connect() as conn:
        return [_delivery_row(r) for r in conn.execute(query)]

