"""What each release must deliver: ``release_file`` (the transactional outbox).

One row per file a release must deliver (the registry CSV, the BPJS mutations, the
reports, the kelurahan worklists, and whatever files later releases add: ``kind`` is open
text), written in the publishing transaction with the file's path in the outbox, sha256,
size and staging folder; ``delivered_at`` is set once the file is in the outbox with its
``.sha256``, ``uploaded_at`` once it is on the outbound SFTP endpoint (``upload_due``: one
was configured when the file was recorded). A row of kind ``worklists`` (no digest, no
size) says that the release's worklists are due; it is done when the re-verification step
has recorded them. Every run, ``sigap repair`` and ``sigap status`` read this table to
finish an interrupted delivery.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "release_file",
        sa.Column("file_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "release_id",
            sa.Integer,
            sa.ForeignKey("registry_release.release_id", name="fk_release_file_release"),
            nullable=False,
        ),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("sha256", sa.String(64)),
        sa.Column("size", sa.BigInteger),
        sa.Column("staging", sa.String()),
        sa.Column("upload_due", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("uploaded_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("release_id", "path", name="uq_release_file_release_path"),
        sa.CheckConstraint(
            "(sha256 IS NULL) = (size IS NULL)", name="ck_release_file_digest_size"
        ),
    )


def downgrade() -> None:
    op.drop_table("release_file")
