"""Publishing a period: the registry release (one database transaction) and the outbox
files (staged, then moved into place only once the transaction has committed)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NONE
from prefect.events import emit_event
from prefect.logging import get_run_logger
from prefect.runtime import flow_run

from connectors import delivery, registry_db
from connectors.outbox import Outbox
from core.errors import RegistryMoved
from core.settings import Settings
from domain import history as period_history
from domain.codes import DeliveryStatus, OutboxFile, ReleaseStatus
from domain.money import MoneyView, finance_list
from domain.open_data import data_dictionary, open_data_table
from domain.periods import compact
from domain.reconcile import Reconciliation
from domain.release_files import (
    MUTASI_COLUMNS,
    REGISTRY_CSV_COLUMNS,
    jkm_claim_alerts,
    mutasi_rows,
    registry_rows,
)
from domain.rules import rule_parameters
from domain.statistics import TrendPoint, coverage_statistics, coverage_trend
from domain.worklist import reverification_triggers, worklists_due
from reports.release_report import HistoryReport, ReportData, decisions_by_kecamatan, render_report
from reports.texts import MONEY_LABELS
from tasks.deliver import complete_deliveries
from tasks.registry import engine_for
from tasks.retry import BACKOFF, is_transient
from tasks.summary import RunSummary
from tasks.verification import (
    VerificationInput,
    empty_frame,
    read_verification,
    still_open,
    today_in_city,
)

__all__ = [
    "MUTASI_COLUMNS",
    "REGISTRY_CSV_COLUMNS",
    "RunSummary",
    "VerificationInput",
    "announce_population_change",
    "publish_period",
    "read_verification",
    "still_open",
    "today_in_city",
]


@task(
    name="publish-release",
    task_run_name="publish-{period}",
    cache_policy=NONE,
    retries=len(BACKOFF),
    retry_delay_seconds=BACKOFF,
    retry_condition_fn=is_transient,
)
def publish_period(
    settings: Settings,
    period: str,
    result: Reconciliation,
    changes: pd.DataFrame,
    plan,
    verification: VerificationInput,
    validations: list,
    digests: dict[str, str],
    accepted_flags: list[str],
    force: bool,
    money: MoneyView,
    based_on_release_id: int | None = None,
    base_label: str = "",
) -> RunSummary:
    """One transaction for the release, its entries, changes and case state (built on
    ``based_on_release_id``); the outbox files are written to a staging folder inside it
    (in a worker thread, while the database loads the rows), recorded in the same
    transaction (``release_file``) and moved into place after the commit.

    The outbox files: the registry CSV, the BPJS mutations, the report (Markdown and
    HTML), the open-data statistics and their data dictionary, the finance office's
    list of the money view (``money``, stored with the release), and for a version after
    the first what changed since the previous version (``perubahan_keputusan_YYYYMM_vN.csv``
    and a report section).

    The release refers to the run's baselines: the flow waits for them to be written
    (``AcceptedRows.wait``) before it calls this."""
    logger = get_run_logger()
    params = rule_parameters(settings)
    engine = engine_for(settings)
    outbox = Outbox(settings.outbox)
    resolved = verification.resolved if verification.resolved is not None else empty_frame(
        ["case_id", "status", "resolved_at", "resolution_note", "resolved_by", "nik_baru"]
    )
    plan_resolved = pd.concat([plan.resolved, resolved], ignore_index=True) if len(resolved) else plan.resolved
    case_rows = registry_db.CasePlanRows(opened=plan.opened, seen=plan.seen, resolved=plan_resolved)
    # the release's kelurahan worklists are due (RunSummary.needs_reverification)
    triggers = reverification_triggers(changes)
    due = worklists_due(len(plan.opened), len(plan.seen), triggers)
    report_box: dict = {}
    staged_box: dict = {}
    diff_box: dict = {}
    request = registry_db.PublishRequest(
        period=period,
        rules_version=result.rules_version,
        input_digests=digests,
        flow_run_id=str(flow_run.get_id()) if flow_run.get_id() else None,
        counts=result.counts,
        monthly_cost_idr=int(result.quota.monthly_cost_idr),
        quota=int(result.quota.cap),
        entries=result.entries,
        changes=changes,
        case_plan=case_rows,
        accepted_flags=tuple(accepted_flags),
        validation={v.source: _validation_json(v) for v in validations},
        quota_summary=dataclasses.asdict(result.quota),
        deliveries=[_delivery_row(v) for v in validations],
        force=force,
        money_summary=money.summary,
        based_on_release_id=based_on_release_id,
    )
    # read before the transaction: the trend (every earlier period's current release) and,
    # when this run will make a new version, the previous version's entries (the diff)
    try:
        earlier = registry_db.published_releases(engine, before=period)
        previous = _previous_version(engine, request)
    except BaseException:
        engine.dispose()
        raise

    def trend(version: int):
        points = [
            TrendPoint(r.period, r.version, r.counts, r.monthly_cost_idr,
                       (r.money_summary.get("billed") or {}).get("idr"))
            for r in earlier
        ]  # fmt: skip
        points.append(
            TrendPoint(period, version, result.counts, int(result.quota.monthly_cost_idr),
                       money.summary["billed"]["idr"])
        )  # fmt: skip
        return coverage_trend(points, params.annual_budget_idr)

    def build_report(pending: registry_db.PendingRelease, status: str, **files) -> ReportData:
        return ReportData(
            period=period, version=pending.version, release_id=int(pending), status=status,
            rules_version=result.rules_version, input_digests=digests,
            accepted_flags=list(accepted_flags), counts=result.counts,
            reason_counts=result.reason_counts, quota=dataclasses.asdict(result.quota),
            entries=result.entries, changes=changes, validations=validations,
            cases_opened=len(plan.opened), cases_seen=len(plan.seen),
            cases_resolved=len(plan_resolved), escalated=plan.escalated,
            verification_problems=0 if verification.problems is None else len(verification.problems),
            monthly_contribution_idr=params.monthly_contribution_idr,
            verification_rejected=verification.rejected,
            language=settings.report.language, trend=trend(pending.version),
            annual_budget_idr=params.annual_budget_idr, money=money.summary,
            statistics=report_box["statistics"],
            history=HistoryReport(
                based_on=base_label,
                stale=[dataclasses.asdict(m) for m in pending.stale],
                diff=diff_box.get("diff"),
            ),
            **files,
        )  # fmt: skip

    def write_outbox(pending: registry_db.PendingRelease) -> list[registry_db.ReleaseFile]:
        release_id, version = int(pending), pending.version
        if pending.replaces != (None if previous is None else previous[0].release_id):
            raise RegistryMoved(f"another version of {period} was published while this one was prepared")
        tag = f"{compact(period)}_v{version}"
        staged = outbox.staging(tag)
        staged_box["staged"] = staged
        staged.write_csv(f"registry_{tag}.csv", registry_rows(result.entries, release_id))
        staged.write_csv(f"mutasi_bpjstk_{tag}.csv", mutasi_rows(result.entries, period))
        if previous is not None:  # a version after the first: the decision changes
            old, before = previous
            diff = period_history.version_diff(
                period, old.ref(),
                period_history.ReleaseRef(release_id, period, version, based_on_release_id),
                old.input_digests, digests, before, result.entries,
                from_rules=old.rules_version, to_rules=result.rules_version,
            )  # fmt: skip
            name = f"perubahan_keputusan_{tag}.csv"
            staged.write_csv(name, diff.changes[list(period_history.DECISION_CHANGE_COLUMNS)])
            diff_box["diff"] = diff
            diff_box["file"] = str(settings.outbox / name)
        # the statistics, here in the worker thread while the database loads the rows
        report_box["statistics"] = coverage_statistics(result.entries)
        # open data (no personal data, small cells withheld) and the finance office's list
        table = open_data_table(result.entries, period, version, settings.report.suppression_threshold)
        staged.write_csv(f"statistik_{tag}.csv", table.frame)
        staged.write_csv(f"statistik_{tag}_kamus.csv", data_dictionary(table))
        descriptions = {code: labels["id"] for code, labels in MONEY_LABELS.items()}
        staged.write_csv(f"keuangan_{tag}.csv", finance_list(money.rows, descriptions))
        data = build_report(
            pending, ReleaseStatus.PUBLISHED.value,
            finance_file=f"keuangan_{tag}.csv", open_data_file=f"statistik_{tag}.csv",
            open_data_dictionary=f"statistik_{tag}_kamus.csv",
            open_data={"threshold": table.threshold, "withheld": table.withheld_cells,
                       "cells": table.count_cells},
        )  # fmt: skip
        report = render_report(data)
        staged.write_text(f"laporan_{tag}.md", report.markdown)
        staged.write_text(f"laporan_{tag}.html", report.html)
        report_box.update(md=str(settings.outbox / f"laporan_{tag}.md"), html=str(settings.outbox / f"laporan_{tag}.html"))
        return _release_files(staged, upload_due=settings.sources.outbound is not None, worklists_due=due)

    files: list[str] = []
    try:
        try:
            # the outbox files are rendered and staged while the database loads the rows;
            # the files are recorded (release_file) in the release's transaction
            outcome = registry_db.publish_release(engine, request, while_loading=write_outbox)
        except BaseException:
            if "staged" in staged_box:
                staged_box["staged"].discard()
            raise
        published = outcome.status == ReleaseStatus.PUBLISHED.value
        if published:
            # a crash from here on leaves the delivery to the next run (or `sigap repair`):
            # the database says what is staged where and what is delivered
            files = [str(p) for p in delivery.commit_staged(engine, staged_box["staged"], outcome.release_id)]
            delivery.upload_pending(settings, engine, delivery.DeliveryReport(), [outcome.release_id])
            logger.info("published %s v%s: %s outbox files", period, outcome.version, len(files))
            for mark in outcome.stale:
                logger.warning("stale: %s", mark.because)
        else:
            if "staged" in staged_box:
                staged_box["staged"].discard()
            logger.info(
                "%s: inputs, rules and base unchanged since v%s: nothing new published",
                period, outcome.version,
            )  # fmt: skip
    finally:
        engine.dispose()
    if not published:
        # e.g. this task's retry after an upload failed: finish the release's delivery
        complete_deliveries(settings, release_ids=[outcome.release_id], logger=logger)
    diff = diff_box.get("diff") if published else None
    return RunSummary(
        period=period,
        status=outcome.status,
        release_id=outcome.release_id,
        version=outcome.version,
        superseded_release_id=outcome.superseded_release_id,
        rules_version=result.rules_version,
        counts=result.counts,
        reason_counts=result.reason_counts,
        quota=dataclasses.asdict(result.quota),
        validations=validations,
        changes=len(changes),
        changes_by_type=changes["change_type"].value_counts().to_dict() if len(changes) else {},
        reverification_triggers=triggers,
        cases_opened=len(plan.opened),
        cases_seen=len(plan.seen),
        cases_resolved=len(plan_resolved),
        cases_escalated=len(plan.escalated),
        jkm_claim_alerts=jkm_claim_alerts(result.entries),
        verification_problems=0 if verification.problems is None else len(verification.problems),
        verification_rejected=verification.rejected,
        accepted_flags=list(accepted_flags),
        database=_safe_url(settings.database_url),
        outbox=str(settings.outbox),
        outbox_files=files,
        report_md=report_box.get("md") if published else None,
        report_html=report_box.get("html") if published else None,
        kecamatan_table=decisions_by_kecamatan(result.entries).reset_index().to_dict("records"),
        coverage=_coverage_summary(
            report_box.get("statistics") or coverage_statistics(result.entries)
        ),
        money=money.summary,
        based_on_release_id=outcome.based_on_release_id,
        based_on=base_label,
        stale=[dataclasses.asdict(m) for m in outcome.stale],
        version_diff=None if diff is None else _diff_summary(diff, diff_box.get("file")),
    )


def _coverage_summary(stats) -> dict:
    """The run summary's coverage line (the UI and the CLI): totals, women, disability."""
    sex, dis = stats.tables["jenis_kelamin"], stats.tables["disabilitas"]
    return {
        **stats.totals,
        "women_eligible": int(sex.loc["P", "eligible"]),
        "women_covered": int(sex.loc["P", "covered"]),
        "disability_available": stats.disability_available,
        "disability_eligible": int(dis.loc["YA", "eligible"]),
        "disability_covered": int(dis.loc["YA", "covered"]),
    }


def _previous_version(engine, request: registry_db.PublishRequest):
    """``(release, entries)`` of the period's current release when publishing would make
    a new version of it (for the decision changes), else ``None``: the first version, or
    a run that will publish nothing (its entries are not read then)."""
    latest = registry_db.latest_release(engine, request.period)
    if latest is None or (not request.force and registry_db.same_inputs(latest, request)):
        return None
    columns = list(period_history.DIFF_ENTRY_COLUMNS)
    return latest, registry_db.release_entries(engine, latest.release_id, columns=columns)


def _diff_summary(diff: period_history.VersionDiff, file: str | None) -> dict:
    """The version diff without personal data (summary, UI, logs)."""
    return {
        "from_version": diff.from_release.version,
        "from_release_id": diff.from_release.release_id,
        "digests_changed": sorted(diff.digests_changed),
        "rules_changed": diff.rules_changed is not None,
        "base_changed": diff.base_changed is not None,
        "counts": dict(diff.counts),
        "people": diff.people_changed,
        "file": file,
    }


def _safe_url(url: str) -> str:
    """A database URL without its password (for logs and the UI)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _validation_json(v) -> dict:
    return {
        "file": Path(v.file).name, "sha256": v.sha256, "rows_total": v.rows_total,
        "rows_accepted": v.rows_accepted, "rows_rejected": v.rows_rejected,
        "passed": v.passed, "accepted_by_operator": v.accepted_by_operator,
        "failure_message": v.failure_message, "rejects_by_rule": v.rejects_by_rule,
    }


def _delivery_row(v) -> dict:
    return {
        "period": v.period, "source": v.source, "file_name": Path(v.file).name, "sha256": v.sha256,
        "rows_total": v.rows_total, "rows_accepted": v.rows_accepted, "rows_rejected": v.rows_rejected,
        "status": DeliveryStatus.of(v.passed, v.accepted_by_operator).value,
    }


def _release_files(staged, *, upload_due: bool, worklists_due: bool) -> list[registry_db.ReleaseFile]:
    """What the release must deliver: its staged files (with the digests and sizes taken
    while writing) and, when cases need work, the "worklists due" marker."""
    files = [
        registry_db.ReleaseFile(f.path, f.kind, f.sha256, f.size, staged.staging, upload_due)
        for f in staged.manifest()
    ]
    if worklists_due:
        files.append(registry_db.ReleaseFile("verifikasi", OutboxFile.WORKLISTS))
    return files


def announce_population_change(summary: RunSummary) -> None:
    """Emit ``sigap.population.changed``: with a Prefect server, the re-verification
    deployment's trigger starts ``reverify-YYYY-MM`` from it."""
    emit_event(
        event="sigap.population.changed",
        resource={
            "prefect.resource.id": f"sigap.registry.release.{summary.release_id}",
            "prefect.resource.name": f"SIGAP release {summary.period} v{summary.version}",
            "sigap.period": summary.period,
        },
        payload={
            "period": summary.period,
            "release_id": summary.release_id,
            "version": summary.version,
            "changes": summary.changes,
            "reverification_triggers": summary.reverification_triggers,
            "cases_opened": summary.cases_opened,
            "cases_seen": summary.cases_seen,
        },
    )
