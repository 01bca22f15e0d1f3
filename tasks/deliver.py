"""Completing interrupted deliveries (the transactional outbox): the first task of every
monthly run (``complete-deliveries``), ``sigap repair`` and the publish task's retry.

For every release whose recorded files (``release_file``) are not all delivered: the
staged files are moved into the outbox (checked against their recorded sha256; a file
neither staged nor in place is made again from the database where that gives the same
bytes: the registry and the BPJS mutations), missing worklists are written, what is due
for upload is uploaded, and staging folders nothing needs any more are removed.
Idempotent: a second call finds nothing to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from prefect import task
from prefect.cache_policies import NONE
from prefect.logging import get_run_logger

from connectors import registry_db
from connectors.delivery import DeliveryReport, place_pending, sweep_staging, upload_pending
from connectors.outbox import Outbox, render_csv
from connectors.registry_db import ReleaseFileRow
from core.settings import Settings
from domain.codes import OutboxFile, ReleaseStatus
from domain.release_files import mutasi_rows, registry_rows
from tasks import reverify
from tasks.registry import engine_for
from tasks.retry import BACKOFF, is_transient

__all__ = ["DeliveryReport", "complete_deliveries", "complete_deliveries_task"]


def complete_deliveries(
    settings: Settings,
    *,
    release_ids: Iterable[int] | None = None,
    logger: logging.Logger | logging.LoggerAdapter | None = None,
) -> DeliveryReport:
    """Finish every interrupted delivery (of ``release_ids``, when given), in this order:
    files into the outbox, worklists, uploads, staging folders. Returns what was done;
    files that cannot be delivered are in ``report.lost`` (they stay undelivered, named
    by ``sigap status``). Upload failures raise (the files stay due)."""
    log = logger or logging.getLogger(__name__)
    wanted = None if release_ids is None else [int(r) for r in release_ids]
    report = DeliveryReport()
    outbox = Outbox(settings.outbox)
    engine = engine_for(settings)
    try:
        pending = registry_db.pending_release_files(engine, wanted)
        place_pending(engine, outbox, pending, report, render_for=_renderer(engine))
        for marker in pending:
            if marker.kind != OutboxFile.WORKLISTS or not marker.needs_delivery:
                continue
            report.touch(marker)
            if marker.release_status != ReleaseStatus.PUBLISHED:
                # a later version of the period was published: its own worklists count
                registry_db.mark_delivered(engine, marker.release_id, [marker.path])
                log.info("%s v%s is superseded: its worklists are not written", marker.period, marker.version)
                continue
            reverify.write_release_worklists(
                settings, marker.period, release_id=marker.release_id, report=report
            )
            report.worklists.append(f"{marker.period} v{marker.version}")
        upload_pending(settings, engine, report, wanted)
        if wanted is None:
            sweep_staging(engine, outbox, report)
    finally:
        engine.dispose()
    line = report.line()
    if line:
        (log.warning if report.lost else log.info)(line)
    for problem in report.lost:
        log.error("not delivered: %s", problem)
    return report


def _renderer(engine) -> Callable[[ReleaseFileRow], Callable[[], bytes] | None]:
    """How to make a recorded file again from the database, when it can be made (the
    registry and the BPJS mutations: the release's entries); ``None`` otherwise."""

    def render_for(row: ReleaseFileRow) -> Callable[[], bytes] | None:
        if row.kind == OutboxFile.REGISTRY:
            return lambda: render_csv(registry_rows(registry_db.release_entries(engine, row.release_id), row.release_id))
        if row.kind == OutboxFile.MUTASI:
            return lambda: render_csv(mutasi_rows(registry_db.release_entries(engine, row.release_id), row.period))
        return None

    return render_for


@task(
    name="complete-deliveries",
    task_run_name="complete-deliveries",
    cache_policy=NONE,
    retries=len(BACKOFF),
    retry_delay_seconds=BACKOFF,
    retry_condition_fn=is_transient,
)
def complete_deliveries_task(settings: Settings) -> DeliveryReport:
    """Finish what earlier runs left undelivered, before this run does anything else."""
    return complete_deliveries(settings, logger=get_run_logger())
