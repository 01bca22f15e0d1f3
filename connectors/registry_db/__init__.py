"""The registry database: SQLAlchemy Core tables, Alembic migrations, atomic publishing.

The tables are those of ``contracts/REGISTRY.md`` (their names are a public interface) plus
the columns and the ``extract_delivery`` and ``release_file`` tables the pipeline needs.
The same code runs on SQLite (the default: a file) and PostgreSQL (production); the URL
decides.

Publishing (:func:`publish_release`) is one transaction: the release row (with the
release it is built on, ``based_on_release_id``), its entries, the population changes,
its case state (the base's state with the case plan applied), the extract deliveries, the
files the release must deliver (``release_file``) and the stale marks of the later releases built on the version it supersedes are all
written, or none is. Two runs never publish at once: the transaction starts by taking a
per-period lock and then a registry-wide one (PostgreSQL ``pg_advisory_xact_lock``,
SQLite ``BEGIN IMMEDIATE``) and only then reads the latest version, so of two identical
concurrent runs one publishes and the other finds the release it would have made
(``UNCHANGED``), and a base is checked against every other commit. The unique
``(period, version)`` constraint and a partial unique index "one PUBLISHED release per
period" are the last guards.

Cases are kept per release (``case_state``: each release's OPEN cases and the ones it
resolved); ``reverification_case`` is a view of the latest period's current release's
state, and :func:`cases` reads the state as of any release (``release_id=``).

The modules: ``schema`` (tables), ``engine`` (engines, migrations, locks), ``publishing``
(:func:`publish_release`), ``bulk`` (frames to rows, COPY), ``cases`` (case plans),
``reads`` (readers), ``release_files`` (what each release must deliver, and what has
been), ``guard`` (error translation), ``rows`` (requests and results). This package
exports their public interface.

Bulk loading: PostgreSQL gets ``COPY ... FROM STDIN`` (text format, rendered with Arrow
compute chunk by chunk while a writer thread sends the previous chunks); SQLite and any other
backend get ``executemany`` in large batches, inside the same transaction. A release's entries
are sent in NIK order (cheaper index maintenance), and read back in published order
(``entry_no``). ``publish_release(while_loading=...)`` lets the caller render its files while
the database loads the rows.

Errors: transient trouble (SQLite "database is locked" beyond ``busy_timeout``, PostgreSQL
connection failures, lock timeouts, serialization failures, deadlocks) raises
:class:`core.errors.DatabaseBusy`; a write the database refuses (a constraint) raises
:class:`RegistryDatabaseError` with a message scrubbed of personal data. Engines are created
with ``hide_parameters=True`` so that SQLAlchemy's own messages never carry row values.
"""

from connectors.registry_db.cases import (
    ANSWER_COLUMNS,
    answers,
    cases,
    empty_cases,
    open_cases,
    record_answers,
    resolved_eligible_cases,
    state_query,
)
from connectors.registry_db.engine import current_revision, make_engine, masked_url, upgrade
from connectors.registry_db.publishing import publish_release, record_deliveries, same_inputs
from connectors.registry_db.reads import (
    MAX_FILTER_VALUES,
    current_releases,
    deliveries,
    entries_suggesting,
    find_entry,
    latest_release,
    population_changes,
    previous_accepted_delivery,
    published_releases,
    release,
    release_entries,
    release_terminated_kpjs,
    releases,
    terminated_kpjs,
)
from connectors.registry_db.release_files import (
    mark_delivered,
    mark_uploaded,
    pending_release_files,
    period_deliveries,
    release_files,
    replace_release_files,
)
from connectors.registry_db.rows import (
    CasePlanRows,
    DeliveryRow,
    PendingRelease,
    PeriodDelivery,
    PublishOutcome,
    PublishRequest,
    ReleaseFile,
    ReleaseFileRow,
    ReleaseRow,
)
from connectors.registry_db.schema import (
    ACCEPTED_DELIVERY_STATUSES,
    CASE_COLUMNS,
    CHANGE_COLUMNS,
    DELIVERY_COLUMNS,
    case_state,
    extract_delivery,
    metadata,
    population_change,
    registry_entry,
    registry_release,
    release_file,
    reverification_case,
    verification_answer,
)
from core.errors import RegistryDatabaseError
from domain.reconcile import ENTRY_COLUMNS, ENTRY_DTYPES

__all__ = [
    "ACCEPTED_DELIVERY_STATUSES",
    "ANSWER_COLUMNS",
    "CASE_COLUMNS",
    "CHANGE_COLUMNS",
    "DELIVERY_COLUMNS",
    "ENTRY_COLUMNS",
    "ENTRY_DTYPES",
    "MAX_FILTER_VALUES",
    "CasePlanRows",
    "DeliveryRow",
    "PendingRelease",
    "PeriodDelivery",
    "PublishOutcome",
    "PublishRequest",
    "RegistryDatabaseError",
    "ReleaseFile",
    "ReleaseFileRow",
    "ReleaseRow",
    "answers",
    "case_state",
    "cases",
    "current_releases",
    "current_revision",
    "deliveries",
    "entries_suggesting",
    "empty_cases",
    "extract_delivery",
    "find_entry",
    "latest_release",
    "make_engine",
    "masked_url",
    "mark_delivered",
    "mark_uploaded",
    "metadata",
    "open_cases",
    "pending_release_files",
    "period_deliveries",
    "population_change",
    "population_changes",
    "previous_accepted_delivery",
    "publish_release",
    "published_releases",
    "record_answers",
    "record_deliveries",
    "registry_entry",
    "registry_release",
    "release",
    "release_entries",
    "release_file",
    "release_files",
    "release_terminated_kpjs",
    "releases",
    "replace_release_files",
    "resolved_eligible_cases",
    "reverification_case",
    "same_inputs",
    "state_query",
    "terminated_kpjs",
    "upgrade",
    "verification_answer",
]  # fmt: skip
