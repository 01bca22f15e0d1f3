"""What each release must deliver (``release_file``): recorded in the publishing
transaction, read by every run to finish a delivery a crash interrupted, marked as the
files reach the outbox and the outbound SFTP endpoint.

A handful of rows per release (its files, one per kelurahan worklist, and a "worklists
due" marker): nothing here is on the hot path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from connectors.registry_db.guard import guarded
from connectors.registry_db.reads import as_utc
from connectors.registry_db.rows import PeriodDelivery, ReleaseFile, ReleaseFileRow
from connectors.registry_db.schema import registry_release, release_file
from core.errors import InvalidInput
from domain.codes import ReleaseStatus

__all__ = [
    "insert_release_files",
    "mark_delivered",
    "mark_uploaded",
    "pending_release_files",
    "period_deliveries",
    "release_files",
    "replace_release_files",
]


def insert_release_files(
    conn: Connection, release_id: int, files: Iterable[ReleaseFile], now: datetime
) -> int:
    """Record ``files`` for ``release_id`` inside the caller's transaction."""
    rows = [_values(int(release_id), f, now) for f in files]
    paths = [r["path"] for r in rows]
    if len(set(paths)) != len(paths):
        raise InvalidInput(f"release {release_id}: a file is recorded twice in {sorted(paths)}")
    if rows:
        conn.execute(release_file.insert(), rows)
    return len(rows)


def replace_release_files(
    engine: Engine,
    release_id: int,
    kind: str,
    files: Sequence[ReleaseFile],
    *,
    marker_kind: str | None = None,
) -> int:
    """In one transaction: forget the release's files of ``kind``, record ``files``
    instead, and mark its ``marker_kind`` row (e.g. "worklists due") as done.

    Used by the re-verification step: its worklists are written after the release was
    published (and again by ``sigap reverify``), each time as a new set.
    """
    if any(f.kind != kind for f in files):
        raise InvalidInput(f"replace_release_files: every file must be of kind {kind!r}")
    now = datetime.now(UTC)
    t = release_file
    with guarded(f"recording the {kind} files of release {int(release_id)}"), engine.begin() as conn:
        conn.execute(t.delete().where(t.c.release_id == int(release_id), t.c.kind == kind))
        count = insert_release_files(conn, release_id, files, now)
        if marker_kind is not None:
            conn.execute(
                t.update()
                .where(
                    t.c.release_id == int(release_id),
                    t.c.kind == marker_kind,
                    t.c.delivered_at.is_(None),
                )
                .values(delivered_at=now)
            )
    return count


def _values(release_id: int, f: ReleaseFile, now: datetime) -> dict[str, Any]:
    if (f.sha256 is None) != (f.size is None):
        raise InvalidInput(f"{f.path}: a recorded file has both a sha256 and a size, or neither")
    return {
        "release_id": release_id,
        "path": str(f.path),
        "kind": str(f.kind),
        "sha256": f.sha256,
        "size": None if f.size is None else int(f.size),
        "staging": f.staging,
        "upload_due": bool(f.upload_due and f.sha256 is not None),
        "recorded_at": now,
    }


def _select() -> sa.Select:
    t, r = release_file, registry_release
    return (
        sa.select(t, r.c.period, r.c.version, r.c.status.label("release_status"))
        .join(r, r.c.release_id == t.c.release_id)
        .order_by(t.c.release_id, t.c.file_id)
    )


def _row(row: Any) -> ReleaseFileRow:
    m = row._mapping
    return ReleaseFileRow(
        file_id=int(m["file_id"]),
        release_id=int(m["release_id"]),
        period=m["period"],
        version=int(m["version"]),
        release_status=m["release_status"],
        path=m["path"],
        kind=m["kind"],
        sha256=m["sha256"],
        size=None if m["size"] is None else int(m["size"]),
        staging=m["staging"],
        upload_due=bool(m["upload_due"]),
        recorded_at=as_utc(m["recorded_at"]),  # type: ignore[arg-type]
        delivered_at=as_utc(m["delivered_at"]),
        uploaded_at=as_utc(m["uploaded_at"]),
    )


def release_files(engine: Engine, release_id: int) -> list[ReleaseFileRow]:
    """Every recorded file (and marker) of one release, in recorded order."""
    query = _select().where(release_file.c.release_id == int(release_id))
    with guarded(f"reading the files of release {int(release_id)}"), engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def pending_release_files(
    engine: Engine, release_ids: Iterable[int] | None = None
) -> list[ReleaseFileRow]:
    """Rows not yet delivered to the outbox, or due for upload and not uploaded (of
    ``release_ids``, when given), by release then recorded order."""
    t = release_file
    query = _select().where(
        sa.or_(
            t.c.delivered_at.is_(None),
            sa.and_(t.c.upload_due.is_(True), t.c.uploaded_at.is_(None)),
        )
    )
    if release_ids is not None:
        query = query.where(t.c.release_id.in_([int(r) for r in release_ids]))
    with guarded("reading the undelivered release files"), engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def _mark(engine: Engine, column: str, release_id: int, paths: Iterable[str]) -> int:
    t = release_file
    wanted = sorted({str(p) for p in paths})
    if not wanted:
        return 0
    with guarded(f"recording the delivery of release {int(release_id)}"), engine.begin() as conn:
        result = conn.execute(
            t.update()
            .where(t.c.release_id == int(release_id), t.c.path.in_(wanted), t.c[column].is_(None))
            .values({column: datetime.now(UTC)})
        )
    return int(result.rowcount or 0)


def mark_delivered(engine: Engine, release_id: int, paths: Iterable[str]) -> int:
    """Record that ``paths`` of the release are in the outbox with their ``.sha256``
    (rows already marked keep their time). Returns the rows marked now."""
    return _mark(engine, "delivered_at", release_id, paths)


def mark_uploaded(engine: Engine, release_id: int, paths: Iterable[str]) -> int:
    """Record that ``paths`` of the release are on the outbound SFTP endpoint."""
    return _mark(engine, "uploaded_at", release_id, paths)


def period_deliveries(engine: Engine) -> list[PeriodDelivery]:
    """Each period's PUBLISHED release with the state of its recorded files, by period
    (``sigap status``). A release published before files were recorded (revision 0006)
    counts as delivered."""
    t, r = release_file, registry_release
    is_file = t.c.sha256.is_not(None)
    undelivered = sa.func.sum(sa.case((sa.and_(is_file, t.c.delivered_at.is_(None)), 1), else_=0))
    not_uploaded = sa.func.sum(
        sa.case((sa.and_(is_file, t.c.upload_due.is_(True), t.c.uploaded_at.is_(None)), 1), else_=0)
    )
    is_marker = sa.and_(t.c.file_id.is_not(None), t.c.sha256.is_(None))  # not the outer join's null row
    worklists_due = sa.func.sum(sa.case((sa.and_(is_marker, t.c.delivered_at.is_(None)), 1), else_=0))
    files = sa.func.sum(sa.case((is_file, 1), else_=0))
    query = (
        sa.select(
            r.c.period,
            r.c.release_id,
            r.c.version,
            r.c.status,
            r.c.published_at,
            files.label("files"),
            undelivered.label("undelivered"),
            not_uploaded.label("not_uploaded"),
            worklists_due.label("worklists_due"),
        )
        .select_from(r.outerjoin(t, t.c.release_id == r.c.release_id))
        .where(r.c.status == ReleaseStatus.PUBLISHED)
        .group_by(r.c.period, r.c.release_id, r.c.version, r.c.status, r.c.published_at)
        .order_by(r.c.period)
    )
    with guarded("reading the delivery state of the releases"), engine.connect() as conn:
        return [
            PeriodDelivery(
                period=m["period"],
                release_id=int(m["release_id"]),
                version=int(m["version"]),
                status=m["status"],
                published_at=as_utc(m["published_at"]),  # type: ignore[arg-type]
                files=int(m["files"] or 0),
                undelivered=int(m["undelivered"] or 0),
                not_uploaded=int(m["not_uploaded"] or 0),
                worklists_due=bool(m["worklists_due"] or 0),
            )
            for m in (row._mapping for row in conn.execute(query))
        ]
