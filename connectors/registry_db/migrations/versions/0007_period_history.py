"""The period history: each release records what it was built on, stale releases are
marked, and the re-verification cases' state is kept per release.

* ``registry_release`` gains ``based_on_release_id`` (the previous period's release whose
  terminations, baseline and cases it used), ``stale_since`` and ``stale_because``.
* ``case_state`` holds every case's state as of the end of each release: the cases OPEN
  at its end and the cases it resolved (a release's state is its OPEN rows plus the
  resolved rows of the chain of releases it is built on).
* ``verification_answer`` holds the kelurahan's answers recorded by ``sigap
  verify-results``; the runs of their period apply them (older releases are never
  rewritten).
* ``reverification_case`` becomes a view with the same columns: the case state as of the
  current release of the latest period.

Existing registries: ``based_on_release_id`` is the previous period's release that was
the latest when the release was published (null when there was none); a current release
not built on the previous period's current release is marked stale, and so is every
later release built on a stale one. The cases' history is carried into ``case_state``
from what the table kept (its last state): for each release, the cases opened at or
before its period and not resolved by then are OPEN (``periods_open`` = the periods with
a release from the case's opening to the release's, escalation kept only where that
count reached the stored one; triggers, evidence and kelurahan as last stored), and a
resolved case is a resolved row of every release of the period that resolved it.
Answers recorded outside a release (``sigap verify-results`` closed the case in place)
become ``verification_answer`` rows for the period after the latest one, where the next
run applies them; until then the case is OPEN in the state.

Downgrading rebuilds the ``reverification_case`` table from the view, closing the cases
that recorded answers resolve (as ``sigap verify-results`` used to).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# code lists frozen as of this revision
_CASE_STATUSES = ("OPEN", "RESOLVED_ELIGIBLE", "RESOLVED_INELIGIBLE", "RESOLVED_NIK_CORRECTED")
_STATUS_HASIL = {
    "RESOLVED_ELIGIBLE": "LAYAK",
    "RESOLVED_INELIGIBLE": "TIDAK_LAYAK",
    "RESOLVED_NIK_CORRECTED": "NIK_DIKOREKSI",
}
#: ``file_name`` of the answers carried over from the 0004 table
MIGRATED_ANSWERS = "reverification_case (before revision 0007)"

_CASE_COLUMNS = (
    "case_id", "nik", "kpj", "kode_kelurahan", "opened_release_id", "last_seen_release_id",
    "triggers", "status", "opened_at", "resolved_at", "periods_open", "opened_period",
    "last_seen_period", "escalated", "resolution_note", "resolved_by", "nik_baru",
    "evidence", "resolved_release_id",
)  # fmt: skip

_VIEW = f"""
CREATE VIEW reverification_case AS
WITH RECURSIVE head(release_id) AS (
    SELECT release_id FROM registry_release
    WHERE status = 'PUBLISHED' ORDER BY period DESC LIMIT 1
), chain(release_id) AS (
    SELECT release_id FROM head
    UNION ALL
    SELECT r.based_on_release_id FROM registry_release r
    JOIN chain c ON r.release_id = c.release_id
    WHERE r.based_on_release_id IS NOT NULL
)
SELECT {", ".join("s." + c for c in _CASE_COLUMNS)}
FROM case_state s JOIN chain c ON s.release_id = c.release_id
WHERE s.status <> 'OPEN' OR s.release_id = (SELECT release_id FROM head)
"""


def _in_list(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _previous(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"


def _next(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + (month == 12)}-{month % 12 + 1:02d}"


def _utc(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_release = sa.table(
    "registry_release",
    sa.column("release_id", sa.Integer),
    sa.column("period", sa.String),
    sa.column("version", sa.Integer),
    sa.column("status", sa.String),
    sa.column("published_at", sa.DateTime(timezone=True)),
    sa.column("based_on_release_id", sa.Integer),
    sa.column("stale_since", sa.DateTime(timezone=True)),
    sa.column("stale_because", sa.Text),
)

_CASE_TYPES = {
    "opened_release_id": sa.Integer, "last_seen_release_id": sa.Integer,
    "resolved_release_id": sa.Integer, "periods_open": sa.Integer,
    "opened_at": sa.DateTime(timezone=True), "resolved_at": sa.DateTime(timezone=True),
    "escalated": sa.Boolean,
}  # fmt: skip


def _case_table(name: str, extra: Sequence[sa.ColumnClause] = ()) -> sa.TableClause:
    return sa.table(
        name, *extra, *(sa.column(c, _CASE_TYPES.get(c, sa.String)) for c in _CASE_COLUMNS)
    )


_answer = sa.table(
    "verification_answer",
    sa.column("period", sa.String),
    sa.column("case_id", sa.String),
    sa.column("nik", sa.String),
    sa.column("hasil", sa.String),
    sa.column("nik_baru", sa.String),
    sa.column("catatan", sa.Text),
    sa.column("petugas", sa.String),
    sa.column("tgl_verifikasi", sa.DateTime(timezone=True)),
    sa.column("line", sa.Integer),
    sa.column("file_name", sa.String),
    sa.column("file_sha256", sa.String),
    sa.column("recorded_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    now = datetime.now(UTC)

    # registry_release ---------------------------------------------------------------
    based_on = sa.Column(
        "based_on_release_id",
        sa.Integer,
        sa.ForeignKey("registry_release.release_id", name="fk_registry_release_based_on"),
    )
    op.add_column("registry_release", based_on, inline_references=sqlite)
    op.add_column("registry_release", sa.Column("stale_since", sa.DateTime(timezone=True)))
    op.add_column("registry_release", sa.Column("stale_because", sa.Text))

    releases = [
        dict(r._mapping)
        for r in conn.execute(
            sa.select(
                _release.c.release_id, _release.c.period, _release.c.version,
                _release.c.status, _release.c.published_at,
            ).order_by(_release.c.period, _release.c.version)
        )
    ]  # fmt: skip
    for r in releases:
        r["published_at"] = _utc(r["published_at"])
    by_period: dict[str, list[dict]] = {}
    for r in releases:
        by_period.setdefault(r["period"], []).append(r)
    # the previous period's release that was the latest when each release was published
    for r in releases:
        earlier = [
            p for p in by_period.get(_previous(r["period"]), []) if p["published_at"] <= r["published_at"]
        ]
        r["based_on"] = max(earlier, key=lambda p: p["version"])["release_id"] if earlier else None
        if r["based_on"] is not None:
            conn.execute(
                _release.update()
                .where(_release.c.release_id == r["release_id"])
                .values(based_on_release_id=r["based_on"])
            )
    # current releases not built on the previous period's current one are stale, and so
    # is every later release built on a stale one
    current = {r["period"]: r for r in releases if r["status"] == "PUBLISHED"}
    label = {r["release_id"]: f"{r['period']} v{r['version']} (release {r['release_id']})" for r in releases}
    stale: dict[int, str] = {}
    for period in sorted(current):
        r = current[period]
        below = current.get(_previous(period))
        if below is None:
            continue
        if below["release_id"] in stale and r["based_on"] == below["release_id"]:
            stale[r["release_id"]] = (
                f"{label[r['release_id']]} was built on {label[below['release_id']]}, which is "
                "stale (found when the registry's period history was introduced)."
            )
        elif r["based_on"] != below["release_id"]:
            built = (
                f"was built on {label[r['based_on']]}, superseded by {label[below['release_id']]}"
                if r["based_on"] is not None
                else f"was built before {label[below['release_id']]} existed"
            )
            stale[r["release_id"]] = (
                f"{label[r['release_id']]} {built} (found when the registry's period history "
                "was introduced)."
            )
    for release_id, because in stale.items():
        conn.execute(
            _release.update()
            .where(_release.c.release_id == release_id)
            .values(stale_since=now, stale_because=because)
        )

    # case_state and verification_answer -----------------------------------------------
    op.create_table(
        "case_state",
        sa.Column(
            "release_id",
            sa.Integer,
            sa.ForeignKey("registry_release.release_id", name="fk_case_state_release"),
            primary_key=True,
        ),
        sa.Column("case_id", sa.String(), primary_key=True),
        sa.Column("nik", sa.String()),
        sa.Column("kpj", sa.String()),
        sa.Column("kode_kelurahan", sa.String()),
        sa.Column("opened_release_id", sa.Integer, nullable=False),
        sa.Column("last_seen_release_id", sa.Integer, nullable=False),
        sa.Column("triggers", sa.String(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("periods_open", sa.Integer, nullable=False),
        sa.Column("opened_period", sa.String(7)),
        sa.Column("last_seen_period", sa.String(7)),
        sa.Column("escalated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("resolution_note", sa.Text),
        sa.Column("resolved_by", sa.String()),
        sa.Column("nik_baru", sa.String()),
        sa.Column("evidence", sa.Text),
        sa.Column("resolved_release_id", sa.Integer),
        sa.CheckConstraint(_in_list("status", _CASE_STATUSES), name="ck_case_state_status"),
    )
    op.create_table(
        "verification_answer",
        sa.Column("answer_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("nik", sa.String()),
        sa.Column("hasil", sa.String(16)),
        sa.Column("nik_baru", sa.String()),
        sa.Column("catatan", sa.Text),
        sa.Column("petugas", sa.String()),
        sa.Column("tgl_verifikasi", sa.DateTime(timezone=True)),
        sa.Column("line", sa.Integer),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_verification_answer_period", "verification_answer", ["period"])

    old = _case_table("reverification_case")
    cases = [dict(r._mapping) for r in conn.execute(sa.select(old).order_by(old.c.case_id))]
    period_of = {r["release_id"]: r["period"] for r in releases}
    periods = sorted(by_period)
    rows: list[dict] = []
    answers: list[dict] = []
    for c in cases:
        opened = c["opened_period"] or period_of.get(c["opened_release_id"])
        resolved_in = period_of.get(c["resolved_release_id"]) if c["resolved_release_id"] else None
        outside = c["status"] != "OPEN" and resolved_in is None
        if outside and periods:  # closed by `sigap verify-results`: the next run applies it
            note = c["resolution_note"] or ""
            hasil = _STATUS_HASIL[c["status"]]
            answers.append(
                {
                    "period": _next(periods[-1]), "case_id": c["case_id"], "nik": c["nik"],
                    "hasil": hasil, "nik_baru": c["nik_baru"],
                    "catatan": note.removeprefix(f"{hasil}: ").removeprefix(hasil) or None,
                    "petugas": c["resolved_by"], "tgl_verifikasi": _utc(c["resolved_at"]),
                    "line": None, "file_name": MIGRATED_ANSWERS,
                    "file_sha256": hashlib.sha256(MIGRATED_ANSWERS.encode()).hexdigest(),
                    "recorded_at": now,
                }
            )  # fmt: skip
        for r in releases:
            period = r["period"]
            if opened is None or period < opened:
                continue
            if resolved_in is not None and period == resolved_in:
                rows.append({**c, "release_id": r["release_id"]})
                continue
            if resolved_in is not None and period > resolved_in:
                continue
            count = sum(1 for p in periods if opened <= p <= period)
            later = c["last_seen_period"] is not None and period >= c["last_seen_period"]
            rows.append(
                {
                    **c,
                    "release_id": r["release_id"],
                    "status": "OPEN",
                    "resolved_at": None, "resolution_note": None, "resolved_by": None,
                    "nik_baru": None, "resolved_release_id": None,
                    "periods_open": count,
                    "escalated": bool(c["escalated"]) and count >= int(c["periods_open"]),
                    "last_seen_release_id": c["last_seen_release_id"] if later else r["release_id"],
                    "last_seen_period": c["last_seen_period"] if later else period,
                }
            )  # fmt: skip
    state = _case_table("case_state", [sa.column("release_id", sa.Integer)])
    for start in range(0, len(rows), 5_000):
        conn.execute(state.insert(), rows[start : start + 5_000])
    if answers:
        conn.execute(_answer.insert(), answers)

    # reverification_case becomes a view ------------------------------------------------
    op.drop_table("reverification_case")
    op.execute(_VIEW)


def downgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    view = _case_table("reverification_case")
    cases = [dict(r._mapping) for r in conn.execute(sa.select(view).order_by(view.c.case_id))]
    answers = [
        dict(r._mapping)
        for r in conn.execute(sa.select(_answer).order_by(sa.text("answer_id")))
    ]
    op.execute("DROP VIEW reverification_case")
    op.create_table(
        "reverification_case",
        sa.Column("case_id", sa.String(), primary_key=True),
        sa.Column("nik", sa.String()),
        sa.Column("kpj", sa.String()),
        sa.Column("kode_kelurahan", sa.String()),
        sa.Column(
            "opened_release_id",
            sa.Integer,
            sa.ForeignKey("registry_release.release_id", name="fk_reverification_case_opened"),
            nullable=False,
        ),
        sa.Column(
            "last_seen_release_id",
            sa.Integer,
            sa.ForeignKey("registry_release.release_id", name="fk_reverification_case_last_seen"),
            nullable=False,
        ),
        sa.Column("triggers", sa.String(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("periods_open", sa.Integer, nullable=False),
        sa.Column("opened_period", sa.String(7)),
        sa.Column("last_seen_period", sa.String(7)),
        sa.Column("escalated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("resolution_note", sa.Text),
        sa.Column("resolved_by", sa.String()),
        sa.Column("nik_baru", sa.String()),
        sa.Column("evidence", sa.Text),
        sa.Column(
            "resolved_release_id",
            sa.Integer,
            sa.ForeignKey("registry_release.release_id", name="fk_reverification_case_resolved"),
        ),
        sa.CheckConstraint(_in_list("status", _CASE_STATUSES), name="ck_reverification_case_status"),
    )
    op.create_index("ix_reverification_case_status", "reverification_case", ["status"])
    op.create_index("ix_reverification_case_nik", "reverification_case", ["nik"])
    # recorded answers close their open cases in place, as `sigap verify-results` did
    by_id = {c["case_id"]: c for c in cases}
    hasil_status = {v: k for k, v in _STATUS_HASIL.items()}
    for a in answers:
        case = by_id.get(a["case_id"])
        if case is None or case["status"] != "OPEN" or a["hasil"] not in hasil_status:
            continue
        note = a["catatan"]
        case.update(
            status=hasil_status[a["hasil"]],
            resolved_at=a["tgl_verifikasi"] or a["recorded_at"],
            resolution_note=f"{a['hasil']}: {note}" if note else a["hasil"],
            resolved_by=a["petugas"],
            nik_baru=a["nik_baru"] if a["hasil"] == "NIK_DIKOREKSI" else None,
            resolved_release_id=None,
        )
    if cases:
        conn.execute(_case_table("reverification_case").insert(), cases)
    op.drop_index("ix_verification_answer_period", table_name="verification_answer")
    op.drop_table("verification_answer")
    op.drop_table("case_state")
    for name in ("stale_because", "stale_since", "based_on_release_id"):
        if sqlite:  # SQLite drops a column (with its own reference) in place since 3.35
            op.execute(f"ALTER TABLE registry_release DROP COLUMN {name}")
        else:
            op.drop_column("registry_release", name)
