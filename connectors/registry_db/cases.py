"""Re-verification cases: the case state of each release (``case_state``), the
``reverification_case`` view, and the kelurahan answers recorded outside a run
(``verification_answer``).

A release's ``case_state`` rows are the cases OPEN at its end and the cases it resolved.
The state as of the end of a release R is R's OPEN rows plus the resolved rows of R and of
the releases it is built on (the chain of ``based_on_release_id``): one query with a
recursive CTE (:func:`state_query`). Publishing a release writes its rows from its base
release's state and the period's case plan (:func:`write_case_state`); nothing ever
rewrites an older release's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from connectors.registry_db.bulk import bulk_load, table_frame
from connectors.registry_db.guard import guarded
from connectors.registry_db.rows import CasePlanRows
from connectors.registry_db.schema import (
    CASE_COLUMNS,
    OPENED_CASE_COLUMNS,
    RESOLVED_CASE_COLUMNS,
    SEEN_CASE_COLUMNS,
    SEEN_CASE_OPTIONAL,
    case_state,
    registry_release,
    reverification_case,
    verification_answer,
)
from core.errors import InvalidInput
from domain.codes import CaseStatus
from domain.periods import parse_period

#: the columns of the kelurahan results file (``domain.extracts.VERIFIKASI``) and where an
#: answer keeps them
ANSWER_COLUMNS: dict[str, str] = {
    "CASE_ID": "case_id",
    "NIK": "nik",
    "HASIL": "hasil",
    "NIK_BARU": "nik_baru",
    "CATATAN": "catatan",
    "PETUGAS": "petugas",
    "TGL_VERIFIKASI": "tgl_verifikasi",
    "_line": "line",
}


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
            case_state,
            columns,
            what=f"case plan {name}",
            optional=SEEN_CASE_OPTIONAL if name == "seen" else (),
        )
        if frames[name]["case_id"].duplicated().any():
            raise InvalidInput(f"case plan {name}: duplicated case_id")
    if "resolved" in frames:
        bad = ~frames["resolved"]["status"].isin(
            [s.value for s in CaseStatus if s is not CaseStatus.OPEN]
        )
        if bad.any():
            raise InvalidInput(
                f"case plan resolved: {int(bad.sum())} row(s) with a status that is not "
                f"RESOLVED_*: {sorted(set(frames['resolved']['status'][bad].astype(str)))}"
            )
    if "seen" in frames and "resolved" in frames:
        both = frames["seen"]["case_id"].isin(frames["resolved"]["case_id"])
        if both.any():
            raise InvalidInput(f"case plan: {int(both.sum())} case(s) both seen and resolved")
    return frames


# -- the state as of a release ------------------------------------------------------------
def state_query(release_id: int, *, open_only: bool = False, columns: Sequence[str] | None = None):
    """``SELECT`` of the case state as of the end of ``release_id``: its OPEN rows and the
    resolved rows of the chain of releases it is built on (``open_only``: its OPEN rows
    only, no chain needed). One statement (a recursive CTE), ordered by ``case_id``."""
    s = case_state
    chosen = [s.c[c] for c in (columns or CASE_COLUMNS)]
    rid = int(release_id)
    if open_only:
        return (
            sa.select(*chosen)
            .where(s.c.release_id == rid, s.c.status == CaseStatus.OPEN.value)
            .order_by(s.c.case_id)
        )
    r = registry_release.alias("r")
    chain = sa.select(sa.literal(rid, sa.Integer).label("release_id")).cte("chain", recursive=True)
    chain = chain.union_all(
        sa.select(r.c.based_on_release_id)
        .join(chain, r.c.release_id == chain.c.release_id)
        .where(r.c.based_on_release_id.is_not(None))
    )
    return (
        sa.select(*chosen)
        .join(chain, s.c.release_id == chain.c.release_id)
        .where(sa.or_(s.c.release_id == rid, s.c.status != CaseStatus.OPEN.value))
        .order_by(s.c.case_id)
    )


_CASE_DTYPES = {
    "opened_release_id": "Int64", "last_seen_release_id": "Int64",
    "resolved_release_id": "Int64", "periods_open": "Int64",
}  # fmt: skip


def _case_frame(frame: pd.DataFrame) -> pd.DataFrame:
    for name in ("opened_at", "resolved_at"):
        if name in frame:
            frame[name] = pd.to_datetime(frame[name], utc=True)
    for name, dtype in _CASE_DTYPES.items():
        if name in frame:
            frame[name] = pd.to_numeric(frame[name]).astype(dtype)
    if "escalated" in frame:
        frame["escalated"] = frame["escalated"].astype("boolean").fillna(False).astype(bool)
    return frame


def empty_cases() -> pd.DataFrame:
    """No cases, with the columns and dtypes :func:`cases` returns (the state before the
    registry's first period)."""
    return _case_frame(pd.DataFrame({c: pd.Series(dtype=object) for c in CASE_COLUMNS}))


def _statuses(status: str | Sequence[str] | None) -> list[str] | None:
    if status is None:
        return None
    wanted = [status] if isinstance(status, str) else list(status)
    bad = sorted(set(wanted) - {s.value for s in CaseStatus})
    if bad:
        raise InvalidInput(f"unknown case status {bad}")
    return wanted


def cases(
    engine: Engine,
    status: str | Sequence[str] | None = None,
    *,
    release_id: int | None = None,
) -> pd.DataFrame:
    """Re-verification cases (all, or those with ``status``), by ``case_id``, as of the
    end of ``release_id`` (default: the ``reverification_case`` view, i.e. the current
    release of the latest period); ``opened_at``/``resolved_at`` as UTC timestamps,
    ``escalated`` bool."""
    wanted = _statuses(status)
    if release_id is None:
        t = reverification_case
        query = sa.select(*(t.c[c] for c in CASE_COLUMNS)).order_by(t.c.case_id)
        if wanted is not None:
            query = query.where(t.c.status.in_(wanted))
    else:
        open_only = wanted == [CaseStatus.OPEN.value]
        query = state_query(release_id, open_only=open_only)
        if wanted is not None and not open_only:
            query = query.where(case_state.c.status.in_(wanted))
    with guarded("reading re-verification cases"), engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return _case_frame(frame)


def open_cases(engine: Engine, *, release_id: int | None = None) -> pd.DataFrame:
    """Cases OPEN at the end of ``release_id`` (default: of the latest period's current
    release): the input of ``domain.cases.plan_cases`` and of the worklists."""
    return cases(engine, CaseStatus.OPEN.value, release_id=release_id)


def resolved_eligible_cases(engine: Engine) -> pd.DataFrame:
    """Cases closed as RESOLVED_ELIGIBLE (as of the latest period's current release)."""
    return cases(engine, CaseStatus.RESOLVED_ELIGIBLE.value)


# -- writing a release's state -------------------------------------------------------------
def write_case_state(
    conn: Connection,
    plan: dict[str, pd.DataFrame],
    base_release_id: int | None,
    release_id: int,
    period: str,
    now: datetime,
) -> int:
    """Write the case state of the new release ``release_id``: the base release's OPEN
    cases with the plan's ``seen`` and ``resolved`` applied, plus the ``opened`` ones
    (:func:`case_plan_frames`). Returns the number of rows written.

    Raises ``ValueError`` when a seen or resolved case is not OPEN in the base's state, or
    an opened case id already exists in it (open or resolved)."""
    s = case_state
    base_open = pd.DataFrame(columns=list(CASE_COLUMNS))
    known = pd.Series([], dtype="string")
    if base_release_id is not None:
        base_open = pd.read_sql(state_query(base_release_id, open_only=True), conn)
        known = pd.Series(
            conn.execute(state_query(base_release_id, columns=["case_id"])).scalars().all(),
            dtype="string",
        )
    if "opened" in plan:
        clash = plan["opened"]["case_id"].isin(known)
        if clash.any():
            raise InvalidInput(f"case plan opened: {int(clash.sum())} case_id(s) already exist")
    referenced = pd.concat(
        [pd.Series([], dtype="string")] + [plan[k]["case_id"] for k in ("seen", "resolved") if k in plan],
        ignore_index=True,
    )
    unknown = ~referenced.isin(base_open["case_id"])
    if unknown.any():
        raise InvalidInput(
            f"case plan: {int(unknown.sum())} seen/resolved case(s) are not OPEN in the state "
            "of the base release (unknown or already resolved)"
        )
    base_open = base_open.set_index("case_id", drop=False)
    parts: list[pd.DataFrame] = []
    if "seen" in plan:
        seen = plan["seen"].set_index("case_id")
        rows = base_open.loc[seen.index].copy()
        for column in seen.columns:
            rows[column] = seen[column]
        parts.append(rows.assign(last_seen_release_id=release_id, last_seen_period=period))
    if "resolved" in plan:
        resolved = plan["resolved"].set_index("case_id")
        rows = base_open.loc[resolved.index].copy()
        for column in resolved.columns:
            rows[column] = resolved[column]
        parts.append(rows.assign(resolved_release_id=release_id))
    carried = ~base_open["case_id"].isin(referenced)
    if carried.any():  # open cases the plan did not mention stay as they were
        parts.append(base_open[carried.to_numpy(dtype=bool)])
    if "opened" in plan:
        parts.append(
            plan["opened"].assign(
                opened_release_id=release_id,
                last_seen_release_id=release_id,
                status=CaseStatus.OPEN.value,
                opened_at=pd.Timestamp(now),
                periods_open=1,
                opened_period=period,
                last_seen_period=period,
                escalated=False,
            )
        )
    parts = [p for p in parts if len(p)]
    if not parts:
        return 0
    rows = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True)
    frame = table_frame(rows.reindex(columns=list(CASE_COLUMNS)), s, CASE_COLUMNS, what="case state")
    bulk_load(conn, s, frame.assign(release_id=int(release_id)))
    return len(frame)


# -- answers recorded outside a run ------------------------------------------------------
def record_answers(
    engine: Engine,
    period: str,
    results: pd.DataFrame,
    *,
    file_name: str,
    file_sha256: str,
    recorded_at: datetime,
) -> int:
    """Record the validated rows of a kelurahan results file (``HASIL_VERIFIKASI``
    columns) as answers for ``period``: every run of ``period`` applies them. A file
    already recorded for the period (same sha256) is not recorded twice. Returns the
    number of rows written."""
    parse_period(period)
    t = verification_answer
    frame = results.reindex(columns=list(ANSWER_COLUMNS)).rename(columns=ANSWER_COLUMNS)
    frame = frame.assign(
        period=period, file_name=file_name, file_sha256=file_sha256, recorded_at=recorded_at
    )
    frame = table_frame(frame, t, [c for c in frame.columns], what="verification answers")
    with guarded("recording verification answers"), engine.begin() as conn:
        seen = conn.execute(
            sa.select(sa.func.count()).select_from(t).where(
                t.c.period == period, t.c.file_sha256 == file_sha256
            )
        ).scalar_one()
        if seen:
            return 0
        bulk_load(conn, t, frame)
    return len(frame)


def answers(engine: Engine, period: str) -> pd.DataFrame:
    """The answers recorded for ``period`` in the results file's columns (``CASE_ID``,
    ``NIK``, ``HASIL``, ``NIK_BARU``, ``CATATAN``, ``PETUGAS``, ``TGL_VERIFIKASI``,
    ``_line``) plus ``file_sha256``, oldest first."""
    parse_period(period)
    t = verification_answer
    query = (
        sa.select(*(t.c[c] for c in ANSWER_COLUMNS.values()), t.c.file_sha256)
        .where(t.c.period == period)
        .order_by(t.c.answer_id)
    )
    with guarded(f"reading the verification answers of {period}"), engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame = frame.rename(columns={v: k for k, v in ANSWER_COLUMNS.items()})
    frame["TGL_VERIFIKASI"] = pd.to_datetime(frame["TGL_VERIFIKASI"], utc=True).dt.tz_localize(None)
    frame["_line"] = pd.to_numeric(frame["_line"]).astype("Int64")
    for column in ("CASE_ID", "NIK", "HASIL", "NIK_BARU", "CATATAN", "PETUGAS", "file_sha256"):
        frame[column] = frame[column].astype("str")
    return frame
