"""Publishing a period: the registry release (one database transaction) and the outbox
files (staged, then moved into place only once the transaction has committed)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NONE
from prefect.events import emit_event
from prefect.logging import get_run_logger
from prefect.runtime import flow_run

from connectors import registry_db
from connectors.outbox import Outbox
from connectors.sftp import FetchedFile
from domain import cases as case_rules
from domain.codes import Decision
from domain.periods import compact
from domain.reconcile import Reconciliation
from sigap.errors import DataError
from sigap.report import ReportData, decisions_by_kecamatan, render_html, render_markdown
from sigap.settings import Settings, rule_parameters
from tasks.registry import engine_for
from tasks.retry import BACKOFF, is_transient
from tasks.validate import wait_for_baselines

#: columns of the registry CSV (the registry_entry table of the contract)
REGISTRY_CSV_COLUMNS = [
    "release_id", "nik", "kpj", "nama", "kode_kelurahan", "desil", "kategori", "decision",
    "reasons", "match_method", "suggested_nik", "priority_rank", "monthly_contribution_idr",
    "jkm_claim_alert", "evidence",
]  # fmt: skip
MUTASI_COLUMNS = ["kpj", "nik", "nama", "kategori", "decision", "reasons", "kode_kelurahan", "periode_efektif"]


def registry_frame(entries: pd.DataFrame, release_id: int) -> pd.DataFrame:
    """The rows of ``registry_YYYYMM_vN.csv``."""
    return entries.assign(release_id=release_id)[REGISTRY_CSV_COLUMNS]


def mutasi_frame(entries: pd.DataFrame, period: str) -> pd.DataFrame:
    """The rows of ``mutasi_bpjstk_YYYYMM_vN.csv``: what BPJS must act on."""
    mutasi = entries[entries["decision"].isin([Decision.ENROLL.value, Decision.TERMINATE.value])]
    return mutasi.assign(periode_efektif=period)[MUTASI_COLUMNS]


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
    timings: list = field(default_factory=list)
    #: decisions per kecamatan (rows of counts, no personal data)
    kecamatan_table: list[dict] = field(default_factory=list)

    @property
    def needs_reverification(self) -> bool:
        return bool(self.cases_opened or self.cases_seen or self.reverification_triggers)

    def headline(self) -> str:
        counts = ", ".join(f"{k} {v:,}" for k, v in self.counts.items())
        if self.status == "UNCHANGED":
            return (
                f"{self.period}: same inputs and rules as release v{self.version} "
                f"(id {self.release_id}): nothing new published"
            )
        superseded = f", supersedes id {self.superseded_release_id}" if self.superseded_release_id else ""
        return f"{self.period}: published release v{self.version} (id {self.release_id}{superseded}): {counts}"

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
            f"registry: {self.database}",
            f"outbox: {self.outbox}",
        ]
        if self.verification_rejected:
            out.insert(
                -2,
                f"re-verification results file rejected: {self.verification_rejected}; "
                "nothing of it was applied",
            )
        if self.report_md:
            out.append(f"report: {self.report_md}")
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


@task(name="read-verification-results", cache_policy=NONE)
def read_verification(
    settings: Settings, period: str, fetched: FetchedFile | None, all_cases: pd.DataFrame
) -> VerificationInput:
    """Validate this period's results file (if any), match it to open cases, and build the
    reconcile input from every resolved case so far.

    A results file that cannot be read or fails validation is rejected alone: its rejects
    file is written, a warning logged, the summary and the report say why, nothing of it
    is applied, and the month goes on (issue 15)."""
    from expectations.validate import validate_verification_results

    logger = get_run_logger()
    out = VerificationInput()
    new_verified = None
    results = None
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
            results = None
    if results is not None:
        # every case, closed ones with their status: a result for a closed case is then
        # CASE_CLOSED, not UNKNOWN_CASE; a result dated after today is FUTURE_DATE
        resolved, new_verified, problems = case_rules.apply_verification_results(
            results.accepted, all_cases, period, today=today_in_city()
        )
        out = VerificationInput(
            file=str(fetched.path), sha256=fetched.sha256, rows=results.rows_total,
            resolved=resolved, problems=problems,
        )
        logger.info(
            "re-verification results: %s rows, %s applied, %s problems",
            results.rows_total, len(resolved), len(problems),
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
) -> RunSummary:
    """One transaction for the release, its entries, changes and cases; the outbox files
    are written to a staging folder inside it (in a worker thread, while the database
    loads the rows) and moved into place after the commit."""
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
    report_box: dict = {}
    staged_box: dict = {}

    def build_report(release_id: int, version: int, status: str) -> ReportData:
        return ReportData(
            period=period, version=version, release_id=release_id, status=status,
            rules_version=result.rules_version, input_digests=digests,
            accepted_flags=list(accepted_flags), counts=result.counts,
            reason_counts=result.reason_counts, quota=dataclasses.asdict(result.quota),
            entries=result.entries, changes=changes, validations=validations,
            cases_opened=len(plan.opened), cases_seen=len(plan.seen),
            cases_resolved=len(plan_resolved), escalated=plan.escalated,
            verification_problems=0 if verification.problems is None else len(verification.problems),
            monthly_contribution_idr=params.monthly_contribution_idr,
            verification_rejected=verification.rejected,
        )

    def write_outbox(pending: registry_db.PendingRelease) -> None:
        release_id, version = int(pending), pending.version
        tag = f"{compact(period)}_v{version}"
        staged = outbox.staging(tag)
        staged_box["staged"] = staged
        staged.write_csv(f"registry_{tag}.csv", registry_frame(result.entries, release_id))
        staged.write_csv(f"mutasi_bpjstk_{tag}.csv", mutasi_frame(result.entries, period))
        data = build_report(release_id, version, "PUBLISHED")
        md = render_markdown(data)
        staged.write_text(f"laporan_{tag}.md", md)
        staged.write_text(f"laporan_{tag}.html", render_html(data, md))
        report_box.update(md=str(settings.outbox / f"laporan_{tag}.md"), html=str(settings.outbox / f"laporan_{tag}.html"))

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
    )
    try:
        # the outbox files are rendered and staged while the database loads the rows
        outcome = registry_db.publish_release(engine, request, while_loading=write_outbox)
    except BaseException:
        if "staged" in staged_box:
            staged_box["staged"].discard()
        raise
    finally:
        engine.dispose()
    files: list[str] = []
    if outcome.status == "PUBLISHED":
        files = [str(p) for p in staged_box["staged"].commit()]
        if settings.sources.outbound is not None:
            upload_outbox(settings, files)
        logger.info("published %s v%s: %s outbox files", period, outcome.version, len(files))
    else:
        if "staged" in staged_box:
            staged_box["staged"].discard()
        logger.info("%s: inputs and rules unchanged since v%s: nothing new published", period, outcome.version)
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
        report_md=report_box.get("md") if outcome.status == "PUBLISHED" else None,
        report_html=report_box.get("html") if outcome.status == "PUBLISHED" else None,
        kecamatan_table=decisions_by_kecamatan(result.entries).reset_index().to_dict("records"),
    )


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


def upload_outbox(settings: Settings, files: list[str]) -> list[str]:
    """Send the release's outbox files to the outbound SFTP endpoint: each file verified
    against its checksum, then sent, then its ``.sha256`` (checksum last)."""
    from connectors.sftp import open_source

    with open_source(settings, "outbound") as remote:
        return Outbox(settings.outbox).upload(files, remote)


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
