"""What the run summary (``RunSummary.lines``, the CLI's and the UI's text) and the report
say about hostile input (issue 15): rows removed per rule, BPJS rows kept with a value
nulled, extra columns (escaped), a rejected re-verification results file."""

from __future__ import annotations

import pandas as pd

from reports.release_report import ReportData, render_markdown
from tasks.publish import RunSummary
from tasks.validate import ValidatedExtract, publish_validation_artifacts


def _validated(source: str, **kw) -> ValidatedExtract:
    base = dict(
        source=source, period="2026-10", file=f"/in/{source}.csv.gz", sha256="a" * 64,
        rows_total=100, rows_accepted=100, rows_rejected=0, reject_share=0.0, passed=True,
        accepted_by_operator=False, failure_message=None, rejects_path="/r.csv",
        data_docs_path=None, baseline_path="/b.parquet",
    )  # fmt: skip
    base.update(kw)
    return ValidatedExtract(**base)


BPJS = _validated(
    "bpjstk",
    rows_accepted=92,
    rows_rejected=8,
    reject_share=0.08,
    rejects_by_rule={"KPJ:DUPLICATE_KEY": 2, "KPJ:REQUIRED": 1, ":FIELD_COUNT": 1},
    rows_repaired=3,
    repairs_by_rule={"IURAN_BULANAN:INT_RANGE": 2, "NAMA:CONTROL_CHARACTER": 1},
    extra_columns=["KANTOR_CABANG", "=HYPERLINK(\\x00)"],
)
DUKCAPIL = _validated("dukcapil")


def _summary(**kw) -> RunSummary:
    base = dict(
        period="2026-10", status="PUBLISHED", release_id=1, version=1, superseded_release_id=None,
        rules_version="r", counts={"KEEP": 1}, reason_counts={}, quota={},
        validations=[DUKCAPIL, BPJS],
    )  # fmt: skip
    base.update(kw)
    return RunSummary(**base)


def test_the_summary_counts_rows_removed_and_kept_by_rule():
    text = "\n".join(_summary().lines())
    assert "bpjstk: 8 rows removed (KPJ:DUPLICATE_KEY 2, :FIELD_COUNT 1, KPJ:REQUIRED 1)" in text
    assert "bpjstk: 3 rows kept with a value nulled (IURAN_BULANAN:INT_RANGE 2, NAMA:CONTROL_CHARACTER 1)" in text
    assert "bpjstk: extra columns ignored: KANTOR_CABANG, =HYPERLINK(\\x00)" in text
    assert "dukcapil: 0 rows removed" not in text


def test_the_summary_says_a_results_file_was_rejected():
    text = "\n".join(_summary(verification_rejected="HASIL_VERIFIKASI_202610.csv: 2 rows rejected").lines())
    assert "re-verification results file rejected: HASIL_VERIFIKASI_202610.csv: 2 rows rejected; nothing of it was applied" in text


def _report(**kw) -> str:
    from devkit.bench_publish import synthetic_entries

    entries = synthetic_entries(50, seed=3)
    base = dict(
        period="2026-10", version=1, release_id=1, status="PUBLISHED", rules_version="r",
        input_digests={}, accepted_flags=[], counts={"KEEP": 1}, reason_counts={}, quota={},
        entries=entries, changes=pd.DataFrame(columns=["change_type", "source"]),
        validations=[DUKCAPIL, BPJS], language="en",
    )  # fmt: skip
    base.update(kw)
    return render_markdown(ReportData(**base))


def test_the_report_lists_removed_kept_and_extra_columns():
    md = _report()
    assert "- bpjstk rows removed by rule: :FIELD_COUNT 1, KPJ:DUPLICATE_KEY 2, KPJ:REQUIRED 1" in md
    assert "- bpjstk rows kept with a value nulled (listed as KEPT in the rejects file): IURAN_BULANAN:INT_RANGE 2, NAMA:CONTROL_CHARACTER 1" in md
    assert "- bpjstk extra columns (ignored): KANTOR_CABANG, =HYPERLINK(\\x00)" in md


def test_the_report_says_a_results_file_was_rejected():
    md = _report(verification_rejected="HASIL_VERIFIKASI_202610.csv: duplicated CASE_ID")
    assert "results file rejected: HASIL_VERIFIKASI_202610.csv: duplicated CASE_ID; nothing of it was applied" in md


def test_the_validation_artifact_lists_removed_kept_and_extra_columns(monkeypatch, tmp_path):
    import tasks.validate as validate
    from core.settings import Settings

    artifacts = []
    monkeypatch.setattr(validate, "put", artifacts.append)
    publish_validation_artifacts(Settings(data_dir=tmp_path), BPJS)
    table = next(a for a in artifacts if getattr(a, "table", None) is not None)
    rows = {r["expectation"]: r for r in table.table}
    assert rows["quarantine: rows removed, KPJ:DUPLICATE_KEY"]["unexpected_count"] == 2
    assert rows["quarantine: rows kept, value nulled, IURAN_BULANAN:INT_RANGE"]["unexpected_count"] == 2
    assert rows["delivery: extra columns ignored"]["column"] == "KANTOR_CABANG, =HYPERLINK(\\x00)"
    assert "3 kept with a value nulled" in table.description
