"""What a run shows in the Prefect UI: the summary, the decisions per kecamatan, links to
the report and the Data Docs; and the report of a failed validation. No full NIK or name."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE

from connectors.files import atomic_write, private_dirs
from core.settings import Settings


def _key(prefix: str, period: str) -> str:
    return f"{prefix}-{period.replace('-', '')}"


@task(name="run-artifacts", cache_policy=NONE)
def publish_run_artifacts(summary) -> None:
    lines = [f"# SIGAP {summary.period}", "", f"**{summary.headline()}**", ""]
    lines += ["| decision | people |", "|---|---:|"]
    lines += [f"| {k} | {v:,} |" for k, v in summary.counts.items()]
    lines += [""] + [f"- {line}" for line in summary.lines()[1:]]
    if summary.timings:
        lines += ["", "| stage | seconds | peak memory (MiB) |", "|---|---:|---:|"]
        lines += [f"| {t.stage} | {t.seconds:.1f} | {t.peak_rss_bytes / 2**20:.0f} |" for t in summary.timings]
    create_markdown_artifact(key=_key("summary", summary.period), markdown="\n".join(lines),
                             description=f"Monthly reconciliation {summary.period}")
    if summary.kecamatan_table:
        create_table_artifact(key=_key("decisions-by-kecamatan", summary.period), table=summary.kecamatan_table,
                              description=f"Decisions per kecamatan, {summary.period} v{summary.version}")
    if summary.report_html:
        create_link_artifact(key=_key("report", summary.period), link=Path(summary.report_html).resolve().as_uri(),
                             link_text=f"Laporan {summary.period} v{summary.version} (HTML)")


@task(name="validation-failure-report", cache_policy=NONE)
def publish_validation_failure(settings: Settings, period: str, validations: list) -> Path:
    """Nothing is published: say why, per extract, in the UI and in a report file."""
    lines = [f"# SIGAP {period}: validation failed, nothing published", ""]
    lines += ["| source | rows | rejected | reject % | outcome | why |", "|---|---:|---:|---:|---|---|"]
    for v in validations:
        outcome = "passed" if v.passed else ("accepted by operator" if v.accepted_by_operator else "FAILED")
        lines.append(
            f"| {v.source} | {v.rows_total:,} | {v.rows_rejected:,} | {100 * v.reject_share:.3f} | {outcome} | "
            f"{v.failure_message or ''} |"
        )
    lines += ["", "Rejects files (send them back to the provider):", ""]
    lines += [f"- {v.source}: `{v.rejects_path}`" for v in validations]
    lines += [
        "",
        "What to do next: ask the provider to resend a corrected file (same name, new .sha256), then "
        f"re-run the period (`sigap run --period {period}` or *Retry* in the UI). If an operator has "
        "checked the delivery and accepts it, re-run with `--accept-flagged SOURCE` (recorded on the release).",
    ]
    text = "\n".join(lines) + "\n"
    folder = private_dirs(settings.data_dir / "runs" / period)
    path = folder / f"laporan_gagal_{period.replace('-', '')}.md"
    atomic_write(path, text.encode("utf-8"))
    create_markdown_artifact(key=_key("validation-failed", period), markdown=text,
                             description=f"Validation failed for {period}: nothing published")
    return path
