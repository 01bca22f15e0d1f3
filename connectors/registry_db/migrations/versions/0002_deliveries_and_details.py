"""The pipeline's additions: extract_delivery, the release's accepted flags, validation and
quota summaries, the entry's details (kecamatan, sex, age, evidence, order), the change's
re-verification flag, the case's follow-up columns, and "one PUBLISHED release per period".

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DELIVERY_STATUSES = ("ACCEPTED", "FAILED", "ACCEPTED_BY_OPERATOR")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"

    # registry_release -----------------------------------------------------------------
    op.add_column(
        "registry_release",
        sa.Column("accepted_flags", sa.Text, nullable=False, server_default="[]"),
    )
    op.add_column(
        "registry_release", sa.Column("validation", sa.Text, nullable=False, server_default="{}")
    )
    op.add_column(
        "registry_release",
        sa.Column("quota_summary", sa.Text, nullable=False, server_default="{}"),
    )
    published = sa.text("status = 'PUBLISHED'")
    op.create_index(
        "uq_registry_release_one_published",
        "registry_release",
        ["period"],
        unique=True,
        sqlite_where=published,
        postgresql_where=published,
    )

    # registry_entry -------------------------------------------------------------------
    op.add_column("registry_entry", sa.Column("kode_kecamatan", sa.String()))
    op.add_column("registry_entry", sa.Column("jenis_kelamin", sa.SmallInteger))
    op.add_column("registry_entry", sa.Column("umur", sa.SmallInteger))
    op.add_column("registry_entry", sa.Column("evidence", sa.Text))
    op.add_column("registry_entry", sa.Column("entry_no", sa.Integer))

    # population_change ----------------------------------------------------------------
    op.add_column(
        "population_change",
        sa.Column("triggers_reverification", sa.Boolean, nullable=False, server_default=sa.false()),
    )

    # reverification_case --------------------------------------------------------------
    op.add_column("reverification_case", sa.Column("opened_period", sa.String(7)))
    op.add_column("reverification_case", sa.Column("last_seen_period", sa.String(7)))
    op.add_column(
        "reverification_case",
        sa.Column("escalated", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("reverification_case", sa.Column("resolution_note", sa.Text))
    op.add_column("reverification_case", sa.Column("resolved_by", sa.String()))
    op.add_column("reverification_case", sa.Column("nik_baru", sa.String()))
    op.add_column("reverification_case", sa.Column("evidence", sa.Text))
    resolved_release = sa.Column(
        "resolved_release_id",
        sa.Integer,
        sa.ForeignKey("registry_release.release_id", name="fk_reverification_case_resolved"),
    )
    # SQLite cannot ALTER constraints: render the reference inline there (unnamed)
    op.add_column("reverification_case", resolved_release, inline_references=sqlite)
    op.create_index("ix_reverification_case_nik", "reverification_case", ["nik"])
    # fill the new period columns of cases opened before this revision
    op.execute(
        "UPDATE reverification_case SET "
        "opened_period = (SELECT r.period FROM registry_release r "
        "WHERE r.release_id = reverification_case.opened_release_id), "
        "last_seen_period = (SELECT r.period FROM registry_release r "
        "WHERE r.release_id = reverification_case.last_seen_release_id)"
    )

    # extract_delivery -----------------------------------------------------------------
    op.create_table(
        "extract_delivery",
        sa.Column("delivery_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(64)),
        sa.Column("rows_total", sa.Integer),
        sa.Column("rows_accepted", sa.Integer),
        sa.Column("rows_rejected", sa.Integer),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "release_id",
            sa.Integer,
            sa.ForeignKey("registry_release.release_id", name="fk_extract_delivery_release"),
        ),
        sa.Column("detail", sa.Text),
        sa.CheckConstraint(
            f"status IN ({', '.join(repr(s) for s in _DELIVERY_STATUSES)})",
            name="ck_extract_delivery_status",
        ),
    )
    op.create_index("ix_extract_delivery_source_period", "extract_delivery", ["source", "period"])


def downgrade() -> None:
    op.drop_index("ix_extract_delivery_source_period", table_name="extract_delivery")
    op.drop_table("extract_delivery")
    op.drop_index("ix_reverification_case_nik", table_name="reverification_case")
    op.drop_index("uq_registry_release_one_published", table_name="registry_release")
    columns = {
        "registry_release": ("accepted_flags", "validation", "quota_summary"),
        "registry_entry": ("kode_kecamatan", "jenis_kelamin", "umur", "evidence", "entry_no"),
        "population_change": ("triggers_reverification",),
        "reverification_case": (
            "opened_period", "last_seen_period", "escalated", "resolution_note",
            "resolved_by", "nik_baru", "evidence", "resolved_release_id",
        ),
    }  # fmt: skip
    # batch mode: SQLite rebuilds the table (it cannot drop a referencing column in place)
    for table, names in columns.items():
        with op.batch_alter_table(table) as batch:
            for name in names:
                batch.drop_column(name)
