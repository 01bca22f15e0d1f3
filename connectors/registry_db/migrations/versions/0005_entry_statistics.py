"""What the public statistics and the money view need: each entry's occupation code
(Dukcapil ``JENIS_PKRJN``) and disability (DTSEN's optional ``DISABILITAS``; null when the
extract lacks the column or the person has no DTSEN record), and the release's money view
summary (what BPJS bills against what the registry says: PROGRAM.md, "Money").

Both entry columns are small (a SMALLINT and a BOOLEAN) and nullable: entries written
before this revision read them as null.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("registry_entry", sa.Column("kode_pekerjaan", sa.SmallInteger))
    op.add_column("registry_entry", sa.Column("disabilitas", sa.Boolean))
    op.add_column(
        "registry_release",
        sa.Column("money_summary", sa.Text, nullable=False, server_default="{}"),
    )


def _drop_column(table: str, column: str) -> None:
    """``ALTER TABLE ... DROP COLUMN`` on both databases: SQLite has it since 3.35 for a
    column no index or constraint names (Alembic's batch mode would copy the whole
    table, and re-create its partial indexes from reflection)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)


def downgrade() -> None:
    _drop_column("registry_release", "money_summary")
    _drop_column("registry_entry", "disabilitas")
    _drop_column("registry_entry", "kode_pekerjaan")
