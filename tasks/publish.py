"""Publishing a period: the registry release (one database transaction) and the outbox
files (staged, then moved into place only once the transaction has committed)."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NONE
from prefect.events import emit_event
from prefect.logging import get_run_logger
from prefect.runtime import flow_run

from connectors import delivery, registry_db
from connectors.outbox import Outbox
from connectors.sftp import FetchedFile
from core.errors import DataError, RegistryMoved
from core.settings import Settings
from domain import cases as case_rules
from domain import history as period_history
from domain.codes import OutboxFile, ReleaseStatus
from domain.money import MoneyView, finance_list
from domain.open_data import data_dictionary, open_data_table
from domain.periods import compact
from domain.reconcile import Reconciliation
from domain.release_files import MUTASI_COLUMNS, REGISTRY_CSV_COLUMNS, mutasi_rows, registry_rows
from domain.rules import rule_parameters
from domain.statistics import TrendPoint, coverage_statistics, coverage_trend
from reports.release_report import HistoryReport, ReportData, decisions_by_kecamatan, render_report
from reports.texts import MONEY_LABELS, percent
from tasks.deliver import complete_deliveries
from tasks.registry import engine_for
from tasks.retry import BACKOFF, is_transient
from tasks.validate import wait_for_baselines

__all__ = ["MUTASI_COLUMNS", "REGISTRY_CSV_COLUMNS", "RunSummary", "publish_period"]


@dataclass
class VerificationInput:
    """Re-verification results that apply to this run."""

    file: str | None = None
    sha256: str | None = None
    rows: int = 0
    #: resolutions to persist (new results of this period)
    resolved: pd.DataFrame | None = None
    #: results that could not be applied (unknown case, NIK mismatch...)
    problems: pd.DataFrame | None = None
    #: the reconcile input: every resolved case's verdict (history + this period)
    verified: pd.DataFrame | None = None
    #: answers recorded for this period by ``sigap verify-results``: how many rows, and one
    #: digest of the files they came from (an input of the release)
    recorded_rows: int = 0
    recorded_sha256: str | None = None
    #: why this period's results file was rejected (then nothing of it is applied)
    rejected: str | None = None


@dataclass
class RunSummary:
    """What a monthly run did: rendered by the CLI, the report and the artifacts."""

    period: str
    status: str  # PUBLISHED | UNCHANGED
    release_id: int
    version: int
    superseded_release_id: int | None
    rules_version: str
    counts: dict[str, int]
    reason_counts: dict[str, int]
    quota: dict
    validations: list = field(default_factory=list)
    changes: int = 0
    changes_by_type: dict[str, int] = field(default_factory=dict)
    reverification_triggers: int = 0
    cases_opened: int = 0
    cases_seen: int = 0
    cases_resolved: int = 0
    cases_escalated: int = 0
    jkm_claim_alerts: int = 0
    verification_problems: int = 0
    #: why this period's re-verification results file was rejected (nothing of it applied)
    verification_rejected: str | None = None
    accepted_flags: list[str] = field(default_factory=list)
    database: str = ""
    outbox: str = ""
    outbox_files: list[str] = field(default_factory=list)
    report_md: str | None = None
    report_html: str | None = None
    #: what this run completed of earlier runs' deliveries (None: nothing was pending)
    deliveries: str | None = None
    timings: list = field(default_factory=list)
    #: decisions per kecamatan (rows of counts, no personal data)
    kecamatan_table: list[dict] = field(default_factory=list)
    #: ``domain.statistics.totals`` plus women's and disability's covered/eligible
    coverage: dict = field(default_factory=dict)
    #: the money view's summary (``domain.money``)
    money: dict = field(default_factory=dict)
    #: the release this one is built on (``None``: the registry's first period)
    based_on_release_id: int | None = None
    based_on: str = ""
    #: the later releases this run made stale: ``release_id``, ``period``, ``version``,
    #: ``because`` (one sentence)
    stale: list[dict] = field(default_factory=list)
    #: for a version after the first: what changed since the previous version (counts,
    #: digests, base; no personal data) and the outbox file with the people
    version_diff: dict | None = None
    #: with ``--cascade``: the later stale periods re-run after this one
    cascade: list[dict] = field(default_factory=list)

    @property
    def needs_reverification(self) -> bool:
        return bool(self.cases_opened or self.cases_seen or self.reverification_triggers)

    def headline(self) -> str:
        counts = ", ".join(f"{k} {v:,}" for k, v in self.counts.items())
        if self.status == "UNCHANGED":
            return (
                f"{self.period}: same inputs, rules and base release as release v{self.version} "
                f"(id {self.release_id}): nothing new published"
            )
        superseded = f", supersedes id {self.superseded_release_id}" if self.superseded_release_id else ""
        return f"{self.period}: published release v{self.version} (id {self.release_id}{superseded}): {counts}"

    def history_lines(self) -> list[str]:
        """What the release is built on, what this run made stale, what changed since the
        previous version, and the cascade (no personal data)."""
        out = [f"built on: {self.based_on or 'nothing (the registry first period)'}"]
        if self.version_diff:
            d = self.version_diff
            inputs = ", ".join(d.get("digests_changed", [])) or "none"
            base = "changed" if d.get("base_changed") else "unchanged"
            pairs = "; ".join(f"{k} {v:,}" for k, v in d.get("counts", {}).items()) or "none"
            out.append(
                f"since v{d.get('from_version')}: inputs changed: {inputs}; base release {base}; "
                f"decision changes: {pairs}"
            )
        if self.stale:
            names = ", ".join(f"{s['period']} v{s['version']} (id {s['release_id']})" for s in self.stale)
            first = min(s["period"] for s in self.stale)
            out.append(
                f"made stale: {names}: re-run them in order "
                f"(`sigap run --period {first} --cascade`)"
            )
        for step in self.cascade:
            out.append(f"cascade: {step['period']} {step['status']} v{step['version']} (id {step['release_id']})")
        return out

    def lines(self) -> list[str]:
        q = self.quota
        out = [
            self.headline(),
            (
                f"quota: cap {q.get('cap', 0):,}, used {q.get('places_used', 0):,}, "
                f"free {q.get('free_places', 0):,}; monthly cost Rp{q.get('monthly_cost_idr', 0):,}, "
                f"annual Rp{q.get('annual_cost_idr', 0):,}"
            ),
            "validation: "
            + "; ".join(
                f"{v.source} {v.rows_accepted:,}/{v.rows_total:,} accepted, {v.rows_rejected:,} rejected"
                for v in self.validations
            ),
            *self._validation_details(),
            (
                f"changes: {self.changes:,}; re-verification cases opened {self.cases_opened:,}, "
                f"seen again {self.cases_seen:,}, resolved {self.cases_resolved:,}, "
                f"escalated {self.cases_escalated:,}; JKM claim alerts {self.jkm_claim_alerts:,}"
            ),
            *self.history_lines(),
            f"registry: {self.database}",
            f"outbox: {self.outbox}",
        ]
        c = self.coverage
        if c:
            women = f"; women {c['women_covered']:,} of {c['women_eligible']:,}"
            disability = (
                f"; with a disability {c['disability_covered']:,} of {c['disability_eligible']:,}"
                if c.get("disability_available")
                else "; disability: not in the DTSEN extract"
            )
            out.insert(
                2,
                f"coverage: {c['covered']:,} of {c['eligible']:,} eligible covered "
                f"({percent(c['coverage_rate'], 'en')}){women}{disability}",
            )
        m = self.money
        if m:
            out.insert(
                3,
                f"money: billed Rp{m['billed']['idr']:,} against the registry's "
                f"Rp{m['registry_cost_idr']:,}; to recover: {m['to_recover']['people']:,} people, "
                f"{m['to_recover']['months']:,} months, Rp{m['to_recover']['idr']:,}; "
                f"in arrears: {m['arrears']['people']:,} (Rp{m['arrears']['idr']:,}); "
                f"contribution differs: {m['contribution_differs']['rows']:,}",
            )
        if self.verification_rejected:
            out.insert(
                out.index(f"registry: {self.database}"),
                f"re-verification results file rejected: {self.verification_rejected}; "
                "nothing of it was applied",
            )
        if self.report_md:
            out.append(f"report: {self.report_md}")
        if self.deliveries:
            out.append(self.deliveries)
        return out

    def _validation_details(self) -> list[str]:
        """Per extract: rows removed and rows kept with a value nulled, by rule (most
        frequent first), and the extra columns (escaped at validation)."""
        out = []
        for v in self.validations:
            removed = getattr(v, "rejects_by_rule", {}) or {}
            kept = getattr(v, "repairs_by_rule", {}) or {}
            if v.rows_rejected:
                out.append(f"{v.source}: {v.rows_rejected:,} rows removed ({_by_rule(removed)})")
            if getattr(v, "rows_repaired", 0):
                out.append(
                    f"{v.source}: {v.rows_repaired:,} rows kept with a value nulled ({_by_rule(kept)})"
                )
            if getattr(v, "extra_columns", None):
                out.append(f"{v.source}: extra columns ignored: {', '.join(v.extra_columns)}")
        return out


def _by_rule(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {n:,}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def still_open(all_cases: pd.DataFrame, verification: VerificationInput) -> pd.DataFrame:
    """The open cases, less those this period's results file resolves."""
    if not len(all_cases):
        return all_cases
    open_cases = all_cases[all_cases["status"] == "OPEN"]
    if verification.resolved is not None and len(verification.resolved):
        open_cases = open_cases[~open_cases["case_id"].isin(verification.resolved["case_id"])]
    return open_cases


@task(name="read-verification-results", task_run_name="read-verification-results-{period}", cache_policy=NONE)
def read_verification(
    settings: Settings,
    period: str,
    fetched: FetchedFile | None,
    all_cases: pd.DataFrame,
    recorded: pd.DataFrame | None = None,
) -> VerificationInput:
    """Validate this period's results file (if any), add the answers recorded for the
    period (``sigap verify-results``), match them to the cases open at the end of the
    base release (``all_cases``: the base's state), and build the reconcile input from
    every case resolved in that state plus this period's answers.

    A results file that cannot be read or fails validation is rejected alone: its rejects
    file is written, a warning logged, the summary and the report say why, nothing of it
    is applied, and the month goes on (the answers recorded by ``sigap verify-results``
    still apply). Every case of the base's state goes to the matching, the closed ones
    with their status: a result for a closed case is CASE_CLOSED, not UNKNOWN_CASE; a
    result dated after the period or today is FUTURE_DATE."""
    from expectations.validate import validate_verification_results

    logger = get_run_logger()
    out = VerificationInput()
    new_verified = None
    rows: list[pd.DataFrame] = []
    if fetched is not None:
        try:
            results = validate_verification_results(
                Path(fetched.path),
                period,
                work_dir=settings.data_dir / "runs" / period,
                max_reject_share=settings.validation.max_reject_share,
                max_uncompressed_bytes=settings.validation.max_uncompressed_bytes,
            )
            results.raise_if_unusable()
        except DataError as exc:
            logger.warning("re-verification results file rejected, nothing of it applied: %s", exc)
            out = VerificationInput(file=str(fetched.path), sha256=fetched.sha256, rejected=str(exc))
        else:
            rows.append(results.accepted)
            out = VerificationInput(file=str(fetched.path), sha256=fetched.sha256, rows=results.rows_total)
    if recorded is not None and len(recorded):
        # the same file fetched and recorded is applied once
        extra = recorded[recorded["file_sha256"] != (fetched.sha256 if fetched is not None else None)]
        if len(extra):
            rows.append(extra.drop(columns=["file_sha256"]))
            out.recorded_rows = len(extra)
            out.recorded_sha256 = hashlib.sha256(
                " ".join(sorted(set(extra["file_sha256"]))).encode()
            ).hexdigest()
    if rows:
        columns = list(registry_db.ANSWER_COLUMNS)
        combined = pd.concat([r.reindex(columns=columns) for r in rows], ignore_index=True)
        combined = combined.drop_duplicates(subset=[c for c in columns if c != "_line"])
        resolved, new_verified, problems = case_rules.apply_verification_results(
            combined, all_cases, period, today=today_in_city()
        )
        out.resolved, out.problems = resolved, problems
        logger.info(
            "re-verification results: %s rows (%s recorded by verify-results), %s applied, %s problems",
            len(combined), out.recorded_rows, len(resolved), len(problems),
        )
    history = case_rules.verified_from_cases(all_cases)
    frames = [f for f in (history, new_verified) if f is not None and len(f)]
    out.verified = pd.concat(frames, ignore_index=True) if frames else None
    return out


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
    and a report section)."""
    logger = get_run_logger()
    wait_for_baselines()  # the release refers to the baselines: they are complete first
    params = rule_parameters(settings)
    engine = engine_for(settings)
    outbox = Outbox(settings.outbox)
    resolved = verification.resolved if verification.resolved is not None else _empty_frame(
        ["case_id", "status", "resolved_at", "resolution_note", "resolved_by", "nik_baru"]
    )
    plan_resolved = pd.concat([plan.resolved, resolved], ignore_index=True) if len(resolved) else plan.resolved
    case_rows = registry_db.CasePlanRows(opened=plan.opened, seen=plan.seen, resolved=plan_resolved)
    # the release's kelurahan worklists are due (RunSummary.needs_reverification)
    worklists_due = bool(
        len(plan.opened) or len(plan.seen)
        or (len(changes) and changes["triggers_reverification"].any())
    )  # fmt: skip
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
        return _release_files(staged, upload_due=settings.sources.outbound is not None, worklists_due=worklists_due)

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
    reasons = result.entries["reasons"]
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
        reverification_triggers=int(changes["triggers_reverification"].sum()) if len(changes) else 0,
        cases_opened=len(plan.opened),
        cases_seen=len(plan.seen),
        cases_resolved=len(plan_resolved),
        cases_escalated=len(plan.escalated),
        jkm_claim_alerts=int(reasons.str.contains("JKM_CLAIM_ALERT", regex=False).sum()),
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


def today_in_city():
    """Today's date in the city (Jakarta time): results dated later are not applied."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from domain.periods import CITY_TIMEZONE

    return datetime.now(ZoneInfo(CITY_TIMEZONE)).date()


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
        "status": "ACCEPTED" if v.passed else ("ACCEPTED_BY_OPERATOR" if v.accepted_by_operator else "FAILED"),
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
