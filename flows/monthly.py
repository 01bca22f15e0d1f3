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
from datetime import UTC, datetime, timedelta
from typing import Literal

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from core.errors import DeliveriesIncomplete, SigapError
from core.settings import load_settings
from domain.changes import COMPARED_COLUMNS
from domain.codes import PublishStatus, Source
from domain.identity import nik_memo
from domain.periods import Period, delivery_deadline, period_for_schedule
from domain.rules import rule_parameters
from flows import runtime
from flows.runtime import in_background, quiet_data_errors, run_memory
from flows.sequence import run_in_order
from flows.stages import STAGES, Downloads, MonthlyRun, Reconciled
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
from tasks.summary import RunSummary
from tasks.validate import AcceptedRows, ValidatedExtract
from tasks.verification import read_verification, still_open

#: a source's name, as the deployment's parameter form offers it (a choice of three)
SourceName = Literal[tuple(s.value for s in Source)]  # type: ignore[valid-type]


def resolve_period(period: str | None) -> Period:
    """The explicit period, else the one the scheduled time implies."""
    if period:
        return Period(period)
    return Period(period_for_schedule(flow_run.get_scheduled_start_time()))


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
    period: runtime.Period | None = None,
    force: bool = False,
    accept_flagged: list[SourceName] | None = None,
    config: str | None = None,
    wait_for_deliveries: bool | None = None,
    cascade: bool = False,
) -> RunSummary:
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
        if summary.status == PublishStatus.PUBLISHED else outcome.Outcome.UNCHANGED.value
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
) -> RunSummary:
    """The run itself, stage by stage (the flow above handles how it ends)."""
    period = Period(period)
    settings = load_settings(config)
    partitioned.check_partition_api(settings.scale)  # before any download, not after
    # what earlier runs left undelivered (a crash after their database commit) first
    repaired = deliver.complete_deliveries_task(settings)
    base = registry.check_period_order(settings, period)  # in order, or refused here
    with run_memory(settings.scale.arrow_memory_pool), AcceptedRows(period) as rows:
        run = MonthlyRun(
            settings=settings, period=period, config=config, force=force,
            accepted=sorted({Source(s).value for s in (accept_flagged or [])}),
            base=base, params=rule_parameters(settings),
            progress=StageProgress(period, list(STAGES)), rows=rows, repaired=repaired,
        )  # fmt: skip
        downloads = _download(run)
        validations = _validate(run, downloads)
        reconciled = _reconcile_and_detect(run, downloads, validations)
        summary = _publish(run, downloads, reconciled)
        _report(run, summary)
        _start_reverification(run, summary)
    get_run_logger().info(summary.headline())
    if cascade:
        later = history.stale_periods_after(settings, period)
        summary.cascade = run_in_order(
            later, monthly_reconciliation, config=config,
            what=f"the cascade after {period} v{summary.version}",
        )  # fmt: skip
    return summary


def _download(run: MonthlyRun) -> Downloads:
    """1. Dukcapil, the largest extract and the first validated, is downloaded alone at
    the link's full speed; the others download while it is being validated. Meanwhile:
    the kelurahan's results file and the base release's state."""
    settings, period = run.settings, run.period
    first, *others = Source  # validated in this order: the largest first (memory)
    with run.progress.stage("download"):
        results_future = ingest.fetch_verification_results.submit(settings, period)
        first_future = ingest.fetch_extract.submit(settings, first, period)
        previous = registry.read_previous_state(settings, period, run.base)  # meanwhile
        recorded = registry.read_answers(settings, period)
        fetched = {first: first_future.result()}
        pending = {s: ingest.fetch_extract.submit(settings, s, period) for s in others}
        verification_file = results_future.result()
    return Downloads(fetched, pending, verification_file, previous, recorded)


def _validate(run: MonthlyRun, downloads: Downloads) -> dict[Source, ValidatedExtract]:
    """2. Validate every extract (the other downloads finish in this stage); a failed
    extract that no operator accepted stops the run here, nothing published."""
    with run.progress.stage("validate"):
        validations = {}
        for source in Source:
            fetched = downloads.fetched.get(source) or downloads.pending[source].result()
            validations[source] = validate.validate_with_cache(
                run.settings, source, run.period, fetched,
                downloads.previous.previous_rows.get(str(source)),
                str(source) in run.accepted, run.force, run.rows,
            )  # fmt: skip
        report.refuse_failed_validations(run.settings, run.period, list(validations.values()))
    return validations


def _reconcile_and_detect(
    run: MonthlyRun, downloads: Downloads, validations: dict[Source, ValidatedExtract]
) -> Reconciled:
    """3. Reconcile (and the money view) and 4. detect changes and plan the cases: in
    this process, or on partitions by NIK (``settings.scale``). The extracts' rows are let
    go when this returns: publishing needs none of them."""
    settings, period, previous = run.settings, run.period, downloads.previous
    digests = {str(s): v.sha256 for s, v in validations.items()}
    with (
        partitioned.partition_run(settings.scale) as partitions,
        # the previous period's baseline (Parquet) is read while reconciliation runs:
        # Arrow's reader releases the GIL, and stage 4 needs it first
        in_background(
            reconcile.load_frames, settings, previous.previous_period,
            previous.previous_digests, columns=COMPARED_COLUMNS,
        ) as baseline,
        nik_memo(),  # this period's NIK columns: parsed to keys once for 3 and 4
    ):  # fmt: skip
        with run.progress.stage("reconcile"):
            frames = reconcile.load_frames(settings, period, digests, accepted_rows=run.rows)
            # the cases as of the end of the base release (not the latest state)
            all_cases = registry.read_cases(settings, previous.previous_release_id)
            verification = read_verification(
                settings, period, downloads.verification_file, all_cases, downloads.recorded
            )
            result = partitions.reconcile(
                period, frames, run.params, previous.terminated_kpjs, verification.verified
            )
            # what BPJS bills against the registry: needs the extracts' rows
            money = reconcile.money_view(
                period, frames, result.entries, previous.terminated_kpjs, run.params
            )
        with run.progress.stage("changes"):
            changes = partitions.detect_changes(
                period, baseline.result(), frames, result.entries, run.params
            )
            plan = reconcile.plan_period_cases(
                period, still_open(all_cases, verification), result.entries, changes,
                run.params, all_cases,
            )  # fmt: skip
    run.rows.drop_frames()  # the outbox and the COPY text are the run's other memory peak
    return Reconciled(
        list(validations.values()), digests, result, money, changes, plan, verification
    )


def _publish(run: MonthlyRun, downloads: Downloads, done: Reconciled) -> RunSummary:
    """5. Publish: the release in one database transaction, the outbox files staged
    meanwhile and delivered once it has committed."""
    digests = dict(done.digests)
    if downloads.verification_file is not None:
        digests["verifikasi"] = downloads.verification_file.sha256
    if done.verification.recorded_sha256 is not None:
        digests["verifikasi_staged"] = done.verification.recorded_sha256
    with run.progress.stage("publish"):
        run.rows.wait()  # the release refers to the baselines: they are complete first
        summary = publish.publish_period(
            run.settings, run.period, done.result, done.changes, done.plan, done.verification,
            done.validations, digests, run.accepted, run.force, done.money,
            downloads.previous.previous_release_id, downloads.previous.base_label,
        )  # fmt: skip
    summary.deliveries = run.repaired.line()
    return summary


def _report(run: MonthlyRun, summary: RunSummary) -> None:
    """6. The run's artifacts in the UI, and the releases it made stale (after the
    commit)."""
    with run.progress.stage("report"):
        summary.timings = list(run.progress.timings)
        report.publish_run_artifacts(summary, run.settings)
        history.announce_stale_releases(summary)
    summary.timings = list(run.progress.timings)


def _start_reverification(run: MonthlyRun, summary: RunSummary) -> None:
    """Re-verification, its own flow run, when the release owes the kelurahan worklists:
    with a Prefect server, the re-verification deployment's trigger starts it from the
    event; otherwise as a subflow run here."""
    if summary.status != PublishStatus.PUBLISHED or not summary.needs_reverification:
        return
    if run.settings.mode == "server":
        publish.announce_population_change(summary)
    else:
        from flows.reverification import reverification

        reverification(period=run.period, config=run.config)


if __name__ != "flows.monthly":
    # Loaded from its file (a deployment's entrypoint, flows/monthly.py:...), this module is
    # named after the file ("monthly"), which Dask workers cannot import, and Prefect sends
    # the flow with every task run it hands to Dask (serialize_context): the workers fail
    # to unpickle it and the run hangs. Export the installed package's flow instead, which
    # pickles by reference to flows.monthly (tests/integration/dask checks it).
    from flows.monthly import monthly_reconciliation
