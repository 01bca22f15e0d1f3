"""Partial indexes for the KPJ and the terminations of a release's entries.

Every index on ``registry_entry`` costs the database work for each of the ~540,000
entries a city's release COPYs in. Two of the three index every entry for the sake of
a few:

* ``ix_registry_entry_release_kpj`` (``release_id, kpj``): only BPJS participants have
  a KPJ (about 50,000 of 540,000 entries; the rest is null). It now covers the entries
  with a KPJ only (``WHERE kpj IS NOT NULL``): a look-up by KPJ (``kpj = ...`` or
  ``kpj IN (...)``) implies it, on PostgreSQL and SQLite alike.
* ``ix_registry_entry_release_decision`` (``release_id, decision``) served one query,
  the previous release's TERMINATE entries (about 30 a month). It is replaced by
  ``ix_registry_entry_release_terminate`` (``release_id WHERE decision = 'TERMINATE'``).

PostgreSQL's COPY of a city's 542,453 entries (NIK order, 3 indexes): 2.0-2.1 s ->
1.33 s.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HAS_KPJ = sa.text("kpj IS NOT NULL")
_TERMINATE = sa.text("decision = 'TERMINATE'")


def upgrade() -> None:
    op.drop_index("ix_registry_entry_release_kpj", table_name="registry_entry")
    op.create_index(
        "ix_registry_entry_release_kpj", "registry_entry", ["release_id", "kpj"],
        sqlite_where=_HAS_KPJ, postgresql_where=_HAS_KPJ,
    )  # fmt: skip
    op.drop_index("ix_registry_entry_release_decision", table_name="registry_entry")
    op.create_index(
        "ix_registry_entry_release_terminate", "registry_entry", ["release_id"],
        sqlite_where=_TERMINATE, postgresql_where=_TERMINATE,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_registry_entry_release_terminate", table_name="registry_entry")
    op.create_index(
        "ix_registry_entry_release_decision", "registry_entry", ["release_id", "decision"]
    )
    op.drop_index("ix_registry_entry_release_kpj", table_name="registry_entry")
    op.create_index("ix_registry_entry_release_kpj", "registry_entry", ["release_id", "kpj"])
