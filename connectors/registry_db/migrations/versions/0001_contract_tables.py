"""The contract tables of contracts/REGISTRY.md: registry_release, registry_entry,
population_change, reverification_case (contract columns only).

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# code lists frozen as of this revision (a migration never imports live code lists)
_DECISIONS = ("KEEP", "REVERIFY", "TERMINATE", "ENROLL", "WAITLIST")
_CHANGE_TYPES = (
    "DIED", "MOVED_OUT", "MOVED_WITHIN_CITY", "KK_CHANGED", "NAME_CHANGED",
    "BIRTH_DATE_CHANGED", "DESIL_CHANGED", "OCCUPATION_CHANGED", "DISAPPEARED",
)  # fmt: skip
_CASE_STATUSES = ("OPEN", "RESOLVED_ELIGIBLE", "RESOLVED_INELIGIBLE", "RESOLVED_NIK_CORRECTED")


def _in_list(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "registry_release",
        sa.Column("release_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rules_version", sa.String(), nullable=False),
        sa.Column("input_digests", sa.Text, nullable=False),
        sa.Column("flow_run_id", sa.String()),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("monthly_cost_idr", sa.BigInteger, nullable=False),
        sa.Column("quota", sa.Integer, nullable=False),
        sa.UniqueConstraint("period", "version", name="uq_registry_release_period_version"),
        sa.CheckConstraint(
            _in_list("status", ("PUBLISHED", "SUPERSEDED")), name="ck_registry_release_status"
        ),
    )
    op.create_table(
        "registry_entry",
        sa.Column(
            "release_id",
            sa.Integer,
            sa.ForeignKey("registry_release.release_id", name="fk_registry_entry_release"),
            nullable=False,
        ),
        sa.Column("nik", sa.String()),
        sa.Column("kpj", sa.String()),
        sa.Column("nama", sa.String()),
        sa.Column("kode_kelurahan", sa.String()),
        sa.Column("desil", sa.SmallInteger),
        sa.Column("kategori", sa.String()),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reasons", sa.String(), nullable=False),
        sa.Column("match_method", sa.String()),
        sa.Column("suggested_nik", sa.String()),
        sa.Column("priority_rank", sa.Integer),
        sa.Column("monthly_contribution_idr", sa.BigInteger, nullable=False),
        sa.Column("jkm_claim_alert", sa.Boolean, nullable=False),
        sa.CheckConstraint(_in_list("decision", _DECISIONS), name="ck_registry_entry_decision"),
    )
    op.create_index("ix_registry_entry_release_nik", "registry_entry", ["release_id", "nik"])
    op.create_index("ix_registry_entry_release_kpj", "registry_entry", ["release_id", "kpj"])
    op.create_index(
        "ix_registry_entry_release_decision", "registry_entry", ["release_id", "decision"]
    )
    op.create_table(
        "population_change",
        sa.Column(
            "release_id",
            sa.Integer,
            sa.ForeignKey("registry_release.release_id", name="fk_population_change_release"),
            nullable=False,
        ),
        sa.Column("nik", sa.String(), nullable=False),
        sa.Column("change_type", sa.String(32), nullable=False),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
        sa.Column("source", sa.String(16)),
        sa.CheckConstraint(
            _in_list("change_type", _CHANGE_TYPES), name="ck_population_change_change_type"
        ),
    )
    op.create_index("ix_population_change_release_nik", "population_change", ["release_id", "nik"])
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
        sa.CheckConstraint(
            _in_list("status", _CASE_STATUSES), name="ck_reverification_case_status"
        ),
    )
    op.create_index("ix_reverification_case_status", "reverification_case", ["status"])


def downgrade() -> None:
    op.drop_table("reverification_case")
    op.drop_table("population_change")
    op.drop_table("registry_entry")
    op.drop_table("registry_release")
