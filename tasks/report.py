"""What a run shows in the Prefect UI: the summary, the decisions per kecamatan, the
report's tables, the link to the report; and the report of a failed validation. No full
NIK or name. Every artifact has a key per period (a retry of the run replaces its
artifacts, ``tasks.artifacts``) and a description."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import MarkdownArtifact, TableArtifact
from prefect.cache_policies import NONE

from connectors import served_files
from connectors.files import atomic_write, private_dirs
from core.errors import ValidationFailed
from core.settings import Settings
from domain.codes import DeliveryStatus
from domain.periods import compact
from tasks import outcome
from tasks.artifacts import key_for, put, replace_if_present
from tasks.outcome import Where


@task(name="run-artifacts", task_run_name="run-artifacts-{summary.period}", cache_policy=NONE)
def publish_run_artifacts(summary, settings: Settings | None = None) -> None:
    lines = [f"# SIGAP {summary.period}", "", f"**{summary.headline()}**", ""]
    lines += ["| decision | people |", "|---|---:|"]
    lines += [f"| {k} | {v:,} |" for k, v in summary.counts.items()]
    lines += [""] + [f"- {line}" for line in summary.lines()[1:]]
    if summary.timings:
        lines += ["", "| stage | seconds | peak memory (MiB) |", "|---|---:|---:|"]
        lines += [f"| {t.stage} | {t.seconds:.1f} | {t.peak_rss_bytes / 2**20:.0f} |" for t in summary.timings]
    put(MarkdownArtifact(
        key=key_for("summary", summary.period), markdown="\n".join(lines),
        description=f"Monthly reconciliation {summary.period}: {summary.headline()}",
    ))
    if summary.kecamatan_table:
        put(TableArtifact(
            key=key_for("decisions-by-kecamatan", summary.period), table=summary.kecamatan_table,
            description=f"Decisions per kecamatan, {summary.period} v{summary.version} (people per decision)",
        ))
    if summary.report_md and Path(summary.report_md).is_file():
        # the report's tables in the UI itself (the same text as the outbox's .md file)
        put(MarkdownArtifact(
            key=key_for("laporan", summary.period),
            markdown=Path(summary.report_md).read_text(encoding="utf-8"),
            description=f"Laporan {summary.period} v{summary.version}: the report's tables (the charts are in the HTML file)",
        ))
    if summary.report_html:
        put(report_link(settings, summary.period, summary.version, summary.report_html))


def report_link(settings: Settings | None, period: str, version: int, path: str) -> MarkdownArtifact:
    """The link to the HTML report on the report server, or, without one, the file's
    absolute path (a browser does not open ``file://`` links from the UI)."""
    title = f"Laporan {period} v{version} (HTML, with charts)"
    url = served_files.url_for(settings, path) if settings is not None else None
    if url is not None:
        text = f"[{title}]({url})"
    else:
        text = (
            f"**{title}**: no report server configured (`links.base_url`); the report is "
            f"the file `{Path(path).resolve()}`"
        )
    return MarkdownArtifact(
        key=key_for("report", period), markdown=text,
        description=f"The report of release {period} v{version} in the outbox",
    )


#: how the failure report names each extract's outcome
_OUTCOME = {
    DeliveryStatus.ACCEPTED: "passed",
    DeliveryStatus.ACCEPTED_BY_OPERATOR: "accepted by operator",
    DeliveryStatus.FAILED: "FAILED",
}


def refuse_failed_validations(settings: Settings, period: str, validations: list) -> None:
    """The validation-failure policy (``domain.codes.DeliveryStatus.usable``): when an
    extract failed validation and no operator accepted it, nothing of the period is
    published. Say why (the UI's report and the failure report file, with the advice
    for where it is read), then raise :class:`ValidationFailed`."""
    failed = [v for v in validations if not v.usable]
    if not failed:
        return
    sources = tuple(v.source for v in failed)
    where = outcome.where_read()
    publish_validation_failure(
        settings, period, validations, outcome.accept_advice(period, sources, where), where
    )
    raise ValidationFailed(
        f"nothing was published for {period}: " + "; ".join(v.failure_message for v in failed),
        sources=sources,
    )


@task(name="validation-failure-report", task_run_name="validation-failure-report-{period}",
      cache_policy=NONE)
def publish_validation_failure(
    settings: Settings, period: str, validations: list, advice: str = "", where: Where = "cli"
) -> Path:
    """Nothing is published: say why, per extract, in the UI and in a report file
    (``runs/YYYY-MM/laporan_gagal_YYYYMM.md``). ``advice``: what to do next, said for
    where it is read (the UI or the command line)."""
    lines = [f"# SIGAP {period}: validation failed, nothing published", ""]
    lines += ["| source | rows | rejected | reject % | outcome |", "|---|---:|---:|---:|---|"]
    for v in validations:
        verdict = _OUTCOME[v.status]
        lines.append(
            f"| {v.source} | {v.rows_total:,} | {v.rows_rejected:,} | {100 * v.reject_share:.3f} | {verdict} |"
        )
    # the reasons in full, as paragraphs (a table cell would cut them off in the UI)
    reasons = [v for v in validations if v.failure_message]
    if reasons:
        lines += ["", "## Why", ""]
        lines += [f"- **{v.source}**: {v.failure_message}" for v in reasons]
    lines += ["", "## Rejects files (send them back to the provider)", ""]
    lines += [f"- {v.source}: `{Path(v.rejects_path).resolve()}`" for v in validations]
    lines += ["", "## What to do next", "", advice or "ask the provider to resend a corrected file, then re-run the period"]
    text = "\n".join(lines) + "\n"
    folder = private_dirs(settings.data_dir / "runs" / period)
    path = (folder / f"laporan_gagal_{compact(period)}.md").resolve()
    atomic_write(path, text.encode("utf-8"))
    failed = ", ".join(v.source for v in validations if not v.usable)
    put(MarkdownArtifact(
        key=key_for("validation-failed", period), markdown=text,
        description=f"Validation failed for {period} ({failed}): nothing published; why and what to do next",
    ))
    return path


def supersede_validation_failure(period: str, headline: str, run_count: int) -> bool:
    """After a successful retry: the run's "validation failed" report of an earlier
    attempt says what the run ended with instead (the artifact keeps its key)."""
    text = (
        f"# SIGAP {period}: validation failed on an earlier attempt, superseded\n\n"
        f"A later attempt of this run (attempt {run_count}) succeeded: **{headline}**\n"
    )
    return replace_if_present(MarkdownArtifact(
        key=key_for("validation-failed", period), markdown=text,
        description=f"Superseded: the retry of this run succeeded ({headline})",
    ))
