"""Publishing a release in one transaction: the release row, its entries, the population
changes, the re-verification case plan, the extract deliveries and the files the release
must deliver are all written, or none is.
"""

from __future__ import annotations

import contextvars
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from connectors.registry_db.bulk import bulk_load, index_order, table_frame, to_json
from connectors.registry_db.cases import case_plan_frames, write_case_state
from connectors.registry_db.engine import lock
from connectors.registry_db.guard import guarded
from connectors.registry_db.reads import current_releases_in, latest_release_in
from connectors.registry_db.release_files import insert_release_files
from connectors.registry_db.rows import (
    PendingRelease,
    PublishOutcome,
    PublishRequest,
    ReleaseFile,
    ReleaseRow,
)
from connectors.registry_db.schema import (
    CHANGE_COLUMNS,
    DELIVERY_COLUMNS,
    DELIVERY_STATUSES,
    extract_delivery,
    population_change,
    registry_entry,
    registry_release,
)
from core.errors import InvalidInput, PublishConflict
from domain.codes import PublishStatus, ReleaseStatus, Source
from domain.history import ReleaseRef, stale_marks
from domain.periods import parse_period, previous_period

# the entry columns a publish request must carry and the dtypes of release_entries are
# the domain's, defined once
from domain.reconcile import ENTRY_COLUMNS

_DIGEST_KEYS = frozenset(s.value for s in Source)


_OPTIONAL_DIGEST_KEYS = frozenset({"verifikasi", "verifikasi_staged"})


_SHA256 = re.compile(r"^[0-9a-f]{64}$")

#: taken by every publisher after its period's lock: a release's base is checked, and the
#: later releases are marked stale, with no other period publishing meanwhile
HISTORY_LOCK = "sigap.publish:history"


def publish_release(
    engine: Engine,
    request: PublishRequest,
    *,
    before_commit: Callable[[int], None] | None = None,
    while_loading: Callable[[PendingRelease], Iterable[ReleaseFile] | None] | None = None,
    lock_timeout_seconds: float = 60.0,
) -> PublishOutcome:
    """Publish ``request`` as the next version of its period, atomically.

    If the latest PUBLISHED release of the period has the same ``input_digests``,
    ``rules_version``, ``accepted_flags`` and base release (``based_on_release_id``) and
    ``request.force`` is false, nothing is written and the outcome is ``UNCHANGED`` with
    that release (``before_commit`` is not called). Otherwise version N+1 is inserted as
    PUBLISHED (built on ``request.based_on_release_id``), N is marked SUPERSEDED, the
    later current releases built on N (directly or through the chain) are marked stale
    (``stale_since``, ``stale_because``; ``domain.history.stale_marks``), the entries,
    changes, case state (the base release's state with the case plan applied) and
    deliveries are written, ``before_commit(release_id)`` is called (a
    :class:`PendingRelease`: the id, with ``.period``, ``.version``, ``.replaces`` and
    ``.stale``) and the transaction commits. Any exception, in ``before_commit`` too,
    rolls everything back.

    The base must still be the previous period's current, non-stale release when the
    transaction runs (checked under a registry-wide lock, so that no other period
    publishes between the check and the commit): otherwise :class:`PublishConflict`.

    ``while_loading(release_id)`` (the same :class:`PendingRelease`) runs in a worker thread
    from the moment the release row exists, alongside the bulk loading, for work that
    needs the release's id and version but not its rows in the database (the outbox
    files): the database server loads the rows while this process renders the files.
    It must not use the database. Publishing waits for it before ``before_commit``; an
    exception in it rolls everything back, like one in ``before_commit``. The
    :class:`ReleaseFile` rows it returns (the files it staged, with their digests and
    sizes, and markers such as "worklists due") are recorded in ``release_file`` in the
    same transaction: what the release must deliver is committed with the release, and
    every later run can finish a delivery a crash interrupted.

    Raises ``ValueError`` for a malformed request, :class:`core.errors.DatabaseBusy` when
    the lock or the database is not available in time (``lock_timeout_seconds`` on
    PostgreSQL, the engine's ``busy_timeout`` on SQLite), :class:`PublishConflict` if the
    last guards (unique version, one PUBLISHED per period) trip, and
    :class:`RegistryDatabaseError` when the database refuses a row.
    """
    _check_request(request)
    entries = table_frame(request.entries, registry_entry, ENTRY_COLUMNS, what="entries").assign(
        entry_no=np.arange(len(request.entries), dtype=np.int64)
    )
    entry_order = index_order(entries)
    changes = table_frame(request.changes, population_change, CHANGE_COLUMNS, what="changes")
    plan = case_plan_frames(request.case_plan)
    now = datetime.now(UTC)
    deliveries = _delivery_frame(request.deliveries, request.period, now)
    period = request.period

    with guarded(f"publishing period {period}"), engine.connect() as conn:
        conn.execution_options(sigap_begin="IMMEDIATE")
        with conn.begin():
            lock(conn, f"sigap.publish:{period}", timeout_seconds=lock_timeout_seconds)
            lock(conn, HISTORY_LOCK, timeout_seconds=lock_timeout_seconds)
            latest = latest_release_in(conn, period)
            if latest is not None and not request.force and _same_inputs(latest, request):
                return PublishOutcome(
                    PublishStatus.UNCHANGED, latest.release_id, latest.version, period, None,
                    based_on_release_id=latest.based_on_release_id,
                )  # fmt: skip
            current = current_releases_in(conn)
            _check_base(request, current)
            version = _max_version(conn, period) + 1
            if latest is not None:
                conn.execute(
                    registry_release.update()
                    .where(registry_release.c.release_id == latest.release_id)
                    .values(status=ReleaseStatus.SUPERSEDED)
                )
            release_id = conn.execute(
                registry_release.insert().values(
                    period=period,
                    version=version,
                    status=ReleaseStatus.PUBLISHED,
                    published_at=now,
                    rules_version=request.rules_version,
                    input_digests=to_json(dict(request.input_digests)),
                    flow_run_id=request.flow_run_id,
                    counts=to_json(dict(request.counts)),
                    monthly_cost_idr=int(request.monthly_cost_idr),
                    quota=int(request.quota),
                    accepted_flags=to_json(sorted(set(request.accepted_flags))),
                    validation=to_json(request.validation),
                    quota_summary=to_json(request.quota_summary),
                    money_summary=to_json(request.money_summary),
                    based_on_release_id=request.based_on_release_id,
                )
            ).inserted_primary_key[0]
            marks = stale_marks(
                ReleaseRef(release_id, period, version, request.based_on_release_id),
                None if latest is None else latest.ref(),
                [r.ref() for r in current if r.period > period],
            )
            for mark in marks:
                conn.execute(
                    registry_release.update()
                    .where(registry_release.c.release_id == mark.release_id)
                    .values(stale_since=now, stale_because=mark.because)
                )
            replaces = None if latest is None else latest.release_id
            pending = PendingRelease(release_id, period, version, replaces, tuple(marks))
            with _alongside(while_loading, pending) as produced:
                bulk_load(conn, registry_entry, entries.assign(release_id=release_id), entry_order)
                bulk_load(conn, population_change, changes.assign(release_id=release_id))
                write_case_state(conn, plan, request.based_on_release_id, release_id, period, now)
                if len(deliveries):
                    bulk_load(conn, extract_delivery, deliveries.assign(release_id=release_id))
            # what the release must deliver, in the same transaction (the outbox's record)
            insert_release_files(conn, release_id, produced.files, now)
            if before_commit is not None:
                before_commit(pending)
    return PublishOutcome(
        PublishStatus.PUBLISHED,
        int(release_id),
        version,
        period,
        replaces,
        based_on_release_id=request.based_on_release_id,
        stale=tuple(marks),
    )


class _Produced:
    """What the ``while_loading`` work returned: the files the release must deliver."""

    def __init__(self) -> None:
        self.files: list[ReleaseFile] = []


@contextmanager
def _alongside(
    work: Callable[[PendingRelease], Iterable[ReleaseFile] | None] | None,
    pending: PendingRelease,
) -> Iterator[_Produced]:
    """Run ``work(pending)`` in a worker thread (with the caller's context variables, so
    that e.g. a Prefect run logger works there) while the ``with`` body runs; wait for it
    at the end and re-raise its exception. When the body fails, its exception wins (the
    worker is still waited for, so nothing it writes outlives the failed publish). The
    files it returns are in the yielded object's ``files`` after the block."""
    produced = _Produced()
    if work is None:
        yield produced
        return
    failures: list[BaseException] = []
    context = contextvars.copy_context()

    def run() -> None:
        try:
            produced.files = list(context.run(work, pending) or ())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the publishing thread
            failures.append(exc)

    worker = threading.Thread(target=run, name=f"sigap-publish-{pending.period}", daemon=True)
    worker.start()
    try:
        yield produced
    finally:
        worker.join()
    if failures:
        raise failures[0]


def record_deliveries(engine: Engine, deliveries: list[dict]) -> int:
    """Record extract checks that published nothing (e.g. a FAILED validation).

    Rows as in :attr:`PublishRequest.deliveries` (``period`` is required here); they get no
    ``release_id``. Returns the number of rows written.
    """
    if not deliveries:
        return 0
    if any("period" not in row for row in deliveries):
        raise InvalidInput("record_deliveries: every row needs a period")
    frame = _delivery_frame(deliveries, None, datetime.now(UTC))
    with guarded("recording extract deliveries"), engine.begin() as conn:
        bulk_load(conn, extract_delivery, frame)
    return len(frame)


def _check_request(request: PublishRequest) -> None:
    parse_period(request.period)
    keys = set(request.input_digests)
    missing = sorted(_DIGEST_KEYS - keys)
    unknown = sorted(keys - _DIGEST_KEYS - _OPTIONAL_DIGEST_KEYS)
    if missing or unknown:
        raise InvalidInput(
            f"input_digests must have keys {sorted(_DIGEST_KEYS)} (optional: verifikasi); "
            f"missing {missing}, unknown {unknown}"
        )
    bad = sorted(k for k, v in request.input_digests.items() if not _SHA256.match(str(v)))
    if bad:
        raise InvalidInput(f"input_digests of {bad} are not lower-case sha256 hex digests")
    if not request.rules_version:
        raise InvalidInput("rules_version is empty")
    if not isinstance(request.entries, pd.DataFrame) or not isinstance(
        request.changes, pd.DataFrame
    ):
        raise TypeError("entries and changes must be pandas DataFrames")


def _same_inputs(latest: ReleaseRow, request: PublishRequest) -> bool:
    """Same inputs, rules, accepted flags and base release: nothing new to publish."""
    return (
        latest.input_digests == dict(request.input_digests)
        and latest.rules_version == request.rules_version
        and tuple(sorted(set(latest.accepted_flags))) == tuple(sorted(set(request.accepted_flags)))
        and latest.based_on_release_id == request.based_on_release_id
    )


def same_inputs(latest: ReleaseRow, request: PublishRequest) -> bool:
    """Whether publishing ``request`` would answer UNCHANGED against ``latest`` (the
    period's current release), ``force`` aside: callers skip work a publication would
    throw away."""
    return _same_inputs(latest, request)


def _check_base(request: PublishRequest, current: list[ReleaseRow]) -> None:
    """The request's base is the previous period's current, non-stale release."""
    base_id = request.based_on_release_id
    if base_id is None:
        return
    prev = previous_period(request.period)
    base = next((r for r in current if r.period == prev), None)
    if base is None or base.release_id != base_id or base.stale:
        now = "none" if base is None else f"{base.ref().label}{' (stale)' if base.stale else ''}"
        raise PublishConflict(
            f"{request.period} was computed on release {base_id} of {prev}, which is no longer "
            f"its current release (now: {now}): nothing was published",
            hint=f"re-run {request.period} (`sigap run --period {request.period}`)",
        )


def _max_version(conn: Connection, period: str) -> int:
    t = registry_release
    value = conn.execute(sa.select(sa.func.max(t.c.version)).where(t.c.period == period)).scalar()
    return int(value or 0)


def _delivery_frame(rows: list[dict], period: str | None, now: datetime) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame()
    unknown = sorted({k for row in rows for k in row} - set(DELIVERY_COLUMNS))
    if unknown:
        raise InvalidInput(f"deliveries: unknown keys {unknown}")
    frame = pd.DataFrame(list(rows), columns=list(DELIVERY_COLUMNS))
    if period is not None:
        frame["period"] = frame["period"].fillna(period)
    frame["checked_at"] = frame["checked_at"].astype(object).where(frame["checked_at"].notna(), now)
    frame = table_frame(frame, extract_delivery, DELIVERY_COLUMNS, what="deliveries")
    bad = ~frame["status"].isin(DELIVERY_STATUSES)
    if bad.any():
        raise InvalidInput(f"deliveries: status must be one of {list(DELIVERY_STATUSES)}")
    for p in frame["period"].unique():
        parse_period(str(p))
    return frame

