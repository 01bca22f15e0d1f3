"""Re-verification cases: applying a release's case plan, closing cases outside a release
(``sigap verify-results``), reading them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from connectors.registry_db.bulk import INSERT_BATCH_ROWS, bulk_load, plain_records, table_frame
from connectors.registry_db.guard import guarded
from connectors.registry_db.rows import CasePlanRows
from connectors.registry_db.schema import (
    OPENED_CASE_COLUMNS,
    RESOLVED_CASE_COLUMNS,
    SEEN_CASE_COLUMNS,
    SEEN_CASE_OPTIONAL,
    reverification_case,
)
from domain.codes import CaseStatus

# the entry columns a publish request must carry and the dtypes of release_entries are
# the domain's, defined once


def case_plan_frames(plan: CasePlanRows | None) -> dict[str, pd.DataFrame]:
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
        frames[name] = table_frame(
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


def apply_case_plan(
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
        bulk_load(conn, t, opened)
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
    frames = case_plan_frames(CasePlanRows(resolved=resolved))
    if "resolved" not in frames:
        return 0
    t = reverification_case
    with guarded("resolving cases"), engine.begin() as conn:
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
    records = plain_records(frame.rename(columns=lambda c: f"b_{c}"))
    for start in range(0, len(records), INSERT_BATCH_ROWS):
        conn.execute(statement, records[start : start + INSERT_BATCH_ROWS])


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
    with guarded("reading re-verification cases"), engine.connect() as conn:
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

