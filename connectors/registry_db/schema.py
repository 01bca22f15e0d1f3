"""The registry's tables (SQLAlchemy Core): those of ``contracts/REGISTRY.md`` (their names
are a public interface) plus the columns and the ``extract_delivery`` and ``release_file``
tables the pipeline needs. The head revision: the migrations in ``migrations/`` build
exactly this.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from domain.codes import CaseStatus, ChangeType, Decision, DeliveryStatus, ReleaseStatus

# the entry columns a publish request must carry and the dtypes of release_entries are
# the domain's, defined once

metadata = MetaData()


RELEASE_STATUSES = tuple(s.value for s in ReleaseStatus)


DELIVERY_STATUSES = tuple(s.value for s in DeliveryStatus)


#: delivery statuses that count as "accepted" (a baseline for the next period)
ACCEPTED_DELIVERY_STATUSES = tuple(s.value for s in DeliveryStatus if s.usable)


def _in_list(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


registry_release = Table(
    "registry_release",
    metadata,
    Column("release_id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(7), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("rules_version", String(), nullable=False),
    Column("input_digests", Text, nullable=False),
    Column("flow_run_id", String()),
    Column("counts", Text, nullable=False),
    Column("monthly_cost_idr", BigInteger, nullable=False),
    Column("quota", Integer, nullable=False),
    # 0002
    Column("accepted_flags", Text, nullable=False, server_default="[]"),
    Column("validation", Text, nullable=False, server_default="{}"),
    Column("quota_summary", Text, nullable=False, server_default="{}"),
    # 0005: the money view's summary (domain.money)
    Column("money_summary", Text, nullable=False, server_default="{}"),
    # 0007: the period history
    Column(
        "based_on_release_id",
        Integer,
        ForeignKey("registry_release.release_id", name="fk_registry_release_based_on"),
    ),
    Column("stale_since", DateTime(timezone=True)),
    Column("stale_because", Text),
    UniqueConstraint("period", "version", name="uq_registry_release_period_version"),
    CheckConstraint(_in_list("status", RELEASE_STATUSES), name="ck_registry_release_status"),
    Index(
        "uq_registry_release_one_published",
        "period",
        unique=True,
        sqlite_where=sa.text("status = 'PUBLISHED'"),
        postgresql_where=sa.text("status = 'PUBLISHED'"),
    ),
)


registry_entry = Table(
    "registry_entry",
    metadata,
    Column(
        "release_id",
        Integer,
        # on PostgreSQL enforced by statement-level triggers instead (migration 0003)
        ForeignKey("registry_release.release_id", name="fk_registry_entry_release"),
        nullable=False,
    ),
    Column("nik", String()),
    Column("kpj", String()),
    Column("nama", String()),
    Column("kode_kelurahan", String()),
    Column("desil", SmallInteger),
    Column("kategori", String()),
    Column("decision", String(16), nullable=False),
    Column("reasons", String(), nullable=False),
    Column("match_method", String()),
    Column("suggested_nik", String()),
    Column("priority_rank", Integer),
    Column("monthly_contribution_idr", BigInteger, nullable=False),
    Column("jkm_claim_alert", Boolean, nullable=False),
    # 0002
    Column("kode_kecamatan", String()),
    Column("jenis_kelamin", SmallInteger),
    Column("umur", SmallInteger),
    Column("evidence", Text),
    Column("entry_no", Integer),  # position in the published frame (read order)
    # 0005: for the statistics (domain.statistics)
    Column("kode_pekerjaan", SmallInteger),
    Column("disabilitas", Boolean),
    CheckConstraint(_in_list("decision", list(Decision)), name="ck_registry_entry_decision"),
    Index("ix_registry_entry_release_nik", "release_id", "nik"),
    # partial (migration 0004): only participants have a KPJ, and only the terminations
    # of a release are looked up by decision; every entry indexed costs the COPY
    Index(
        "ix_registry_entry_release_kpj",
        "release_id",
        "kpj",
        sqlite_where=sa.text("kpj IS NOT NULL"),
        postgresql_where=sa.text("kpj IS NOT NULL"),
    ),
    Index(
        "ix_registry_entry_release_terminate",
        "release_id",
        sqlite_where=sa.text("decision = 'TERMINATE'"),
        postgresql_where=sa.text("decision = 'TERMINATE'"),
    ),
)


population_change = Table(
    "population_change",
    metadata,
    Column(
        "release_id",
        Integer,
        ForeignKey("registry_release.release_id", name="fk_population_change_release"),
        nullable=False,
    ),
    Column("nik", String(), nullable=False),
    Column("change_type", String(32), nullable=False),
    Column("before", Text),
    Column("after", Text),
    Column("source", String(16)),
    # 0002
    Column("triggers_reverification", Boolean, nullable=False, server_default=sa.false()),
    CheckConstraint(
        _in_list("change_type", list(ChangeType)), name="ck_population_change_change_type"
    ),
    Index("ix_population_change_release_nik", "release_id", "nik"),
)


#: the re-verification cases' state as of the end of each release (0007). A release's rows:
#: every case OPEN at its end, and every case it resolved. The state as of the end of
#: release R is R's OPEN rows plus the resolved rows of R and of the releases R is built
#: on, through the chain of ``based_on_release_id`` (:func:`cases.state_query`).
case_state = Table(
    "case_state",
    metadata,
    Column(
        "release_id",
        Integer,
        ForeignKey("registry_release.release_id", name="fk_case_state_release"),
        primary_key=True,
    ),
    Column("case_id", String(), primary_key=True),
    Column("nik", String()),
    Column("kpj", String()),
    Column("kode_kelurahan", String()),
    Column("opened_release_id", Integer, nullable=False),
    Column("last_seen_release_id", Integer, nullable=False),
    Column("triggers", String(), nullable=False),
    Column("status", String(32), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("periods_open", Integer, nullable=False),
    Column("opened_period", String(7)),
    Column("last_seen_period", String(7)),
    Column("escalated", Boolean, nullable=False, server_default=sa.false()),
    Column("resolution_note", Text),
    Column("resolved_by", String()),
    Column("nik_baru", String()),
    Column("evidence", Text),
    Column("resolved_release_id", Integer),
    CheckConstraint(_in_list("status", list(CaseStatus)), name="ck_case_state_status"),
)


#: the kelurahan's answers recorded outside a run (``sigap verify-results``), applied by
#: every run of their period (0007): the validated rows of ``HASIL_VERIFIKASI_YYYYMM.csv``
verification_answer = Table(
    "verification_answer",
    metadata,
    Column("answer_id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(7), nullable=False),
    Column("case_id", String(), nullable=False),
    Column("nik", String()),
    Column("hasil", String(16)),
    Column("nik_baru", String()),
    Column("catatan", Text),
    Column("petugas", String()),
    Column("tgl_verifikasi", DateTime(timezone=True)),
    Column("line", Integer),
    Column("file_name", String(), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_verification_answer_period", "period"),
)


#: the columns of the ``reverification_case`` view (REGISTRY.md, plus the 0002 additions)
CASE_COLUMNS: tuple[str, ...] = (
    "case_id", "nik", "kpj", "kode_kelurahan", "opened_release_id", "last_seen_release_id",
    "triggers", "status", "opened_at", "resolved_at", "periods_open", "opened_period",
    "last_seen_period", "escalated", "resolution_note", "resolved_by", "nik_baru",
    "evidence", "resolved_release_id",
)  # fmt: skip

#: Views are not tables: kept out of ``metadata`` (which is what the migrations build as
#: tables), described here so that readers can select from them.
views = MetaData()

#: ``reverification_case`` (REGISTRY.md) is a view since 0007: the case state as of the end
#: of the current release of the latest period (see REVERIFICATION_CASE_VIEW)
reverification_case = Table(
    "reverification_case",
    views,
    *(
        Column(c.name, c.type)
        for c in case_state.columns
        if c.name in CASE_COLUMNS
    ),
)

REVERIFICATION_CASE_VIEW = f"""
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
SELECT {", ".join("s." + c for c in CASE_COLUMNS)}
FROM case_state s JOIN chain c ON s.release_id = c.release_id
WHERE s.status <> 'OPEN' OR s.release_id = (SELECT release_id FROM head)
"""


extract_delivery = Table(
    "extract_delivery",
    metadata,
    Column("delivery_id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(7), nullable=False),
    Column("source", String(16), nullable=False),
    Column("file_name", String(), nullable=False),
    Column("sha256", String(64)),
    Column("rows_total", Integer),
    Column("rows_accepted", Integer),
    Column("rows_rejected", Integer),
    Column("status", String(32), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Column(
        "release_id",
        Integer,
        ForeignKey("registry_release.release_id", name="fk_extract_delivery_release"),
    ),
    Column("detail", Text),
    CheckConstraint(_in_list("status", DELIVERY_STATUSES), name="ck_extract_delivery_status"),
    Index("ix_extract_delivery_source_period", "source", "period"),
)


release_file = Table(
    "release_file",
    metadata,
    # 0006: what a release must deliver (the transactional outbox): one row per file,
    # recorded in the publishing transaction; ``delivered_at`` once the file is in the
    # outbox with its .sha256, ``uploaded_at`` once it is on the outbound SFTP endpoint
    # (``upload_due``: one was configured when the file was recorded). The row of kind
    # "worklists" has no file: it says the release's kelurahan worklists are due.
    Column("file_id", Integer, primary_key=True, autoincrement=True),
    Column(
        "release_id",
        Integer,
        ForeignKey("registry_release.release_id", name="fk_release_file_release"),
        nullable=False,
    ),
    Column("path", String(), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("sha256", String(64)),
    Column("size", BigInteger),
    Column("staging", String()),
    Column("upload_due", Boolean, nullable=False, server_default=sa.false()),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    Column("uploaded_at", DateTime(timezone=True)),
    UniqueConstraint("release_id", "path", name="uq_release_file_release_path"),
    CheckConstraint("(sha256 IS NULL) = (size IS NULL)", name="ck_release_file_digest_size"),
)


CHANGE_COLUMNS: tuple[str, ...] = (
    "nik", "change_type", "before", "after", "source", "triggers_reverification",
)  # fmt: skip


OPENED_CASE_COLUMNS = ("case_id", "nik", "kpj", "kode_kelurahan", "triggers", "evidence")


SEEN_CASE_COLUMNS = ("case_id", "triggers", "kode_kelurahan", "periods_open", "escalated")


#: updated when the plan carries them
SEEN_CASE_OPTIONAL = ("evidence",)


RESOLVED_CASE_COLUMNS = (
    "case_id", "status", "resolved_at", "resolution_note", "resolved_by", "nik_baru",
)  # fmt: skip


DELIVERY_COLUMNS = (
    "period", "source", "file_name", "sha256", "rows_total", "rows_accepted",
    "rows_rejected", "status", "checked_at", "detail",
)  # fmt: skip

