"""The monthly reconciliation: ingest -> validate -> reconcile -> changes -> publish -> report.

One run per period, named ``reconcile-YYYY-MM``. Scheduled runs derive the period from
their scheduled time (the previous month in Jakarta time); operators re-run a period after
a provider's fix with ``sigap run --period YYYY-MM`` or from the Prefect UI.

A period is built on the current release of the period before it (its terminations,
change-detection baseline and cases); a period whose previous period has no current
release, or a stale one, is refused before anything is downloaded. A new version makes
the later releases built on the old one stale; ``cascade`` re-runs them in order.

Reconciliation and change detection run in the flow's process, or, with
``scale.partitions > 1`` in the settings, on partitions by NIK as mapped task runs (on a
Dask cluster when one is configured); the result is identical. Everything else stays in
the flow's process.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Literal

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from core.errors import DeliveriesIncomplete, SigapError, ValidationFailed
from core.memory import frozen_heap, use_memory_pool
from core.settings import load_settings
from domain.changes import COMPARED_COLUMNS
from domain.codes import ReleaseStatus, Source
from domain.identity import nik_memo
from domain.periods import delivery_deadline, parse_period, period_for_schedule
from domain.rules import rule_parameters
from flows.runtime import Period, quiet_data_errors
from tasks import (
    deliver,
    history,
    ingest,
    outcome,
    partitioned,
    publish,
    reconcile,
    registry,
    report,
    validate,
)
from tasks.progress import StageProgress

#: a source's name, as the deployment's parameter form offers it (a choice of three)
SourceName = Literal[tuple(s.value for s in Source)]  # type: ignore[valid-type]


def resolve_period(period: str | None) -> str:
    """The explicit period, else the one the scheduled time implies."""
    if period:
        parse_period(period)
        return period
    return period_for_schedule(flow_run.get_scheduled_start_time())


def _run_name() -> str:
    params = flow_run.get_parameters()
    return f"reconcile-{resolve_period(params.get('period'))}"


@flow(
    name="monthly-reconciliation",
    flow_run_name=_run_name,
    description=__doc__,
    validate_parameters=True,
)
def monthly_reconciliation(
    period: Period | None = None,
    force: bool = False,
    accept_flagged: list[SourceName] | None = None,
    config: str | None = None,
    wait_for_deliveries: bool | None = None,
    cascade: bool = False,
) -> publish.RunSummary:
    """Reconcile one period and publish a release.

    Args:
        period: the period to reconcile, YYYY-MM (e.g. 2026-10); empty for scheduled runs:
            the month before the scheduled date, Jakarta time.
        force: re-validate every extract and publish a new version even if the inputs and
            rules are unchanged.
        accept_flagged: the sources (dukcapil, dtsen, bpjstk) whose delivery an operator
            has checked and accepts for this run although it failed an extract-level rule
            (reject share, row count); recorded on the release.
        config: path of the settings TOML file on the worker (default: $SIGAP_CONFIG or
            ./sigap.toml).
        wait_for_deliveries: when an extract is not delivered yet, wait for it (the run is
            rescheduled every `late_deliveries.poll_minutes`, holding no worker) until the
            deadline (`late_deliveries.deadline_day`); empty: wait only in scheduled runs.
        cascade: then re-run every later period whose release is stale, in order (each
            as its own ``reconcile-YYYY-MM`` run), stopping at the first failure.
    """
    period = resolve_period(period)
    quiet_data_errors()
    try:
        settings = load_settings(config)
        outcome.start(period, settings.mode)
        _await_deliveries(settings, period, wait_for_deliveries)
        summary = _reconcile(period, force, accept_flagged, config, cascade)
    except SigapError as exc:
        return outcome.failed(exc, period)
    tag = (
        f"{outcome.Outcome.PUBLISHED}-v{summary.version}"
        if summary.status == "PUBLISHED" else outcome.Outcome.UNCHANGED.value
    )  # fmt: skip
    report.supersede_validation_failure(period, summary.headline(), flow_run.get_run_count())
    return outcome.completed(summary.headline(), tag, summary)


def _await_deliveries(settings, period: str, wait: bool | None) -> None:
    """Go on when every extract of the period is delivered. Otherwise, in a scheduled run
    (or when asked to wait) before the deadline: wait (a deployment's run is rescheduled,
    holding no worker); else fail naming every missing source."""
    late = settings.late_deliveries
    deadline = delivery_deadline(period, late.deadline_day, late.deadline_time)
    wait = outcome.auto_scheduled() if wait is None else wait
    while True:
        missing = ingest.check_deliveries(settings, period)
        if not missing:
            return
        sources = tuple(m.source for m in missing)
        what = "; ".join(m.describe() for m in missing)
        now = datetime.now(UTC)
        if not wait:
            raise DeliveriesIncomplete(
                f"{period}: not every extract is delivered: {what}", sources=sources
            )
        if now >= deadline:
            raise DeliveriesIncomplete(
                f"{period}: deliveries still incomplete at the deadline "
                f"({deadline:%Y-%m-%d %H:%M} WIB): {what}",
                sources=sources, deadline_passed=True,
            )  # fmt: skip
        again = min(now + timedelta(minutes=late.poll_minutes), deadline)
        message = (
            f"waiting for {', '.join(sources)}: {what}; looking again at "
            f"{again.astimezone(deadline.tzinfo):%Y-%m-%d %H:%M} WIB, deadline "
            f"{deadline:%Y-%m-%d %H:%M} WIB"
        )
        get_run_logger().warning("%s", message)
        if outcome.has_deployment():
            outcome.park(again, message)  # ends this attempt: never returns
        time.sleep(max(0.0, (again - now).total_seconds()))  # a direct call waits here


def _reconcile(
    period: str,
    force: bool,
    accept_flagged: list[str] | None,
    config: str | None,
    cascade: bool = False,
) -> publish.RunSummary:
    """The run itself (the flow above handles how it ends)."""
    logger = get_run_logger()
    settings = load_settings(config)
    partitioned.check_partition_api(settings.scale)  # before any download, not after
    # what earlier runs left undelivered (a crash after their database commit) first
    repaired = deliver.complete_deliveries_task(settings)
    base = registry.check_period_order(settings, period)  # in order, or refused here
    params = rule_parameters(settings)
    accepted = sorted({Source(s).value for s in (accept_flagged or [])})
    progress = StageProgress(
        period, ["download", "validate", "reconcile", "changes", "publish", "report"]
    )

    use_memory_pool(settings.scale.arrow_memory_pool)  # jemalloc: freed pages reused
    # the run's garbage collections skip the objects the process already had
    with frozen_heap():
        try:
            # 1. ingest ---------------------------------------------------------------------
            # Dukcapil, the largest extract and the first validated, is downloaded alone at
            # the link's full speed; the others download while it is being validated
            first, *others = Source  # validated in this order: the largest first (memory)
            with progress.stage("download"):
                results_future = ingest.fetch_verification_results.submit(settings, period)
                first_future = ingest.fetch_extract.submit(settings, first, period)
                previous = registry.read_previous_state(settings, period, base)  # meanwhile
                recorded = registry.read_answers(settings, period)
                fetched = {first: first_future.result()}
                fetch_futures = {
                    s: ingest.fetch_extract.submit(settings, s, period) for s in others
                }
                verification_file = results_future.result()

            # 2. validate (the other downloads finish in this stage) ---------------------------
            with progress.stage("validate"):
                validations = {}
                for source in Source:
                    if source not in fetched:
                        fetched[source] = fetch_futures[source].result()
                    validations[source] = validate.validate_with_cache(
                        settings,
                        source,
                        period,
                        fetched[source],
                        previous.previous_rows.get(str(source)),
                        str(source) in accepted,
                        force,
                    )
                failed = [v for v in validations.values() if not v.usable]
                if failed:
                    sources = tuple(v.source for v in failed)
                    where = outcome.where_read()
                    report.publish_validation_failure(
                        settings, period, list(validations.values()),
                        outcome.accept_advice(period, sources, where), where,
                    )  # fmt: skip
                    raise ValidationFailed(
                        f"nothing was published for {period}: "
                        + "; ".join(v.failure_message for v in failed),
                        sources=sources,
                    )

            # 3 and 4: in this process, or on partitions by NIK (settings.scale) --------------
            with (
                partitioned.partition_run(settings.scale) as partitions,
                ThreadPoolExecutor(1, thread_name_prefix="baseline-reader") as reader,
                nik_memo(),  # this period's NIK columns: parsed to keys once for 3 and 4
            ):
                # the previous period's baseline (Parquet) is read while reconciliation runs:
                # Arrow's reader releases the GIL, and stage 4 needs it first
                baseline_future = reader.submit(
                    reconcile.load_frames, settings, previous.previous_period,
                    previous.previous_digests, columns=COMPARED_COLUMNS,
                )  # fmt: skip
                # 3. reconcile -------------------------------------------------------------
                with progress.stage("reconcile"):
                    digests = {str(s): v.sha256 for s, v in validations.items()}
                    frames = reconcile.load_frames(settings, period, digests)
                    # the cases as of the end of the base release (not the latest state)
                    all_cases = registry.read_cases(settings, previous.previous_release_id)
                    verification = publish.read_verification(
                        settings, period, verification_file, all_cases, recorded
                    )
                    result = partitions.reconcile(
                        period, frames, params, previous.terminated_kpjs, verification.verified
                    )
                    # what BPJS bills against the registry: needs the extracts' rows
                    money = reconcile.money_view(
                        period, frames, result.entries, previous.terminated_kpjs, params
                    )

                # 4. changes and cases -----------------------------------------------------
                with progress.stage("changes"):
                    baseline = baseline_future.result()
                    changes = partitions.detect_changes(
                        period, baseline, frames, result.entries, params
                    )
                    open_cases = publish.still_open(all_cases, verification)
                    plan = reconcile.plan_period_cases(
                        period, open_cases, result.entries, changes, params, all_cases
                    )
                # publishing needs none of the extracts' rows: drop them before it renders
                # the outbox and the COPY text (the run's other memory peak)
                del frames, baseline, baseline_future
                validate.forget_accepted()

            # 5. publish (database + outbox, atomically) and 6. report -----------------------
            with progress.stage("publish"):
                if verification_file is not None:
                    digests["verifikasi"] = verification_file.sha256
                if verification.recorded_sha256 is not None:
                    digests["verifikasi_staged"] = verification.recorded_sha256
                summary = publish.publish_period(
                    settings,
                    period,
                    result,
                    changes,
                    plan,
                    verification,
                    list(validations.values()),
                    digests,
                    accepted,
                    force,
                    money,
                    previous.previous_release_id,
                    previous.base_label,
                )
            summary.deliveries = repaired.line()
            with progress.stage("report"):
                summary.timings = list(progress.timings)
                report.publish_run_artifacts(summary, settings)
                history.announce_stale_releases(summary)  # after the commit
            summary.timings = list(progress.timings)

            # re-verification: its own flow run ---------------------------------------------
            if summary.status == ReleaseStatus.PUBLISHED and summary.needs_reverification:
                if settings.mode == "server":
                    # the re-verification deployment's trigger starts reverify-YYYY-MM from this
                    publish.announce_population_change(summary)
                else:
                    from flows.reverification import reverification

                    reverification(period=period, config=config)
        finally:
            validate.forget_accepted()  # the run's frames are not kept in memory after it
    logger.info(summary.headline())
    if cascade:
        from flows.backfill import run_in_order

        later = history.stale_periods_after(settings, period)
        summary.cascade = run_in_order(
            later, config=config, what=f"the cascade after {period} v{summary.version}"
        )
    return summary


if __name__ != "flows.monthly":
    # Loaded from its file (a deployment's entrypoint, flows/monthly.py:...), this module is
    # named after the file ("monthly"), which Dask workers cannot import, and Prefect sends
    # the flow with every task run it hands to Dask (serialize_context): the workers fail
    # to unpickle it and the run hangs. Export the installed package's flow instead, which
    # pickles by reference to flows.monthly (tests/integration/dask checks it).
    from flows.monthly import monthly_reconciliation  # noqa: F401
