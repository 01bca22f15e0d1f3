"""``validate_extract`` end to end: the outcome, the rejects file, the gates, Data Docs."""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import pytest

from domain.extracts import BPJSTK, DTSEN, DUKCAPIL, LINE
from expectations.quarantine import REJECT_COLUMNS
from expectations.validate import (
    ValidationOutcome,
    validate_extract,
    validate_verification_results,
)
from core.errors import FileFormatError, ValidationFailed


def _validate(make, path, spec=DUKCAPIL, **overrides) -> ValidationOutcome:
    kwargs = {**make.LOOSE, **overrides}
    return validate_extract(path, spec, make.PERIOD, work_dir=make.work_dir, **kwargs)


def _rejects(outcome: ValidationOutcome) -> pd.DataFrame:
    return pd.read_csv(
        outcome.rejects_path, sep="|", dtype=str, keep_default_na=False, encoding="utf-8"
    )


def test_a_valid_extract_passes(make):
    frame = make.dukcapil(n=30)
    path = make.file(frame, "DUKCAPIL_3275_202610.csv.gz")
    outcome = _validate(make, path, previous_rows=29, max_reject_share=0.01)
    assert (outcome.passed, outcome.accepted_by_operator, outcome.usable) == (True, False, True)
    assert outcome.failure_message is None
    assert (outcome.rows_total, outcome.rows_accepted, outcome.rows_rejected) == (30, 30, 0)
    assert outcome.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (outcome.source, outcome.file, outcome.period) == (
        "dukcapil",
        "DUKCAPIL_3275_202610.csv.gz",
        "2026-10",
    )
    assert outcome.rejects_path == make.work_dir / "rejects" / "dukcapil_202610_rejects.csv"
    assert list(_rejects(outcome).columns) == [*REJECT_COLUMNS, *DUKCAPIL.column_names, "raw_line"]
    assert _rejects(outcome).empty
    assert all(r.success for r in outcome.expectation_results)
    assert len(outcome.expectation_results) > 40
    drift, share = outcome.extract_checks
    assert (drift.name, drift.passed, drift.threshold) == ("row_count_drift", True, 0.10)
    assert drift.value == pytest.approx(1 / 29)
    assert (share.name, share.value, share.threshold, share.passed) == (
        "reject_share",
        0.0,
        0.01,
        True,
    )
    assert outcome.accepted[LINE].tolist() == list(range(2, 32))
    assert outcome.data_docs_path is None and not (make.work_dir / "data_docs").exists()
    assert frame.loc[0, "NIK"] not in repr(outcome)  # the accepted frame stays out of repr


def test_a_digest_the_download_computed_is_taken_not_recomputed(make, monkeypatch):
    import expectations.validate as v

    path = make.file(make.dukcapil(n=5), "DUKCAPIL_3275_202610.csv.gz")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    def no_second_read(_path):
        raise AssertionError("the file was hashed again")

    monkeypatch.setattr(v, "_sha256", no_second_read)
    assert _validate(make, path, sha256=digest).sha256 == digest


def test_a_broken_delivery_exact_outcome(make):
    frame = make.dukcapil(n=12)
    nik_line3 = frame.loc[1, "NIK"]
    frame.loc[1, "NIK"] = " " + nik_line3[:10] + "X" + nik_line3[11:]  # line 3
    frame.loc[4, "STAT_KWN"] = "9"  # line 6
    frame.loc[4, "JENIS_PKRJN"] = "0"  # line 6, a second rule on the same row
    frame.loc[6, "NIK"] = frame.loc[7, "NIK"]  # lines 8 and 9
    lines = make.to_text(frame).split("\n")
    lines[4] = lines[4] + "|surplus"  # line 5
    lines.insert(10, "")  # a blank line (line 11) moves the rows below one line down
    outcome = _validate(make, make.file("\n".join(lines)))

    assert (outcome.rows_total, outcome.rows_accepted, outcome.rows_rejected) == (12, 7, 5)
    rejects = _rejects(outcome)
    assert list(zip(rejects["line"].astype(int), rejects["column"], rejects["rule"])) == [
        (3, "NIK", "NIK_FORMAT"),
        (5, "", "FIELD_COUNT"),
        (6, "STAT_KWN", "INT_RANGE"),
        (6, "JENIS_PKRJN", "INT_RANGE"),
        (8, "NIK", "DUPLICATE_KEY"),
        (9, "NIK", "DUPLICATE_KEY"),
    ]
    first = rejects.iloc[0]
    assert first["NIK"] == frame.loc[1, "NIK"]  # the original value, leading space included
    assert first["message"] == "NIK must be exactly 16 digits"
    assert first["raw_line"] == ""
    surplus = rejects.iloc[1]
    assert surplus["raw_line"].endswith("|surplus") and surplus["NIK"] == ""
    assert surplus["message"] == "the line has 18 fields; the header has 17"
    assert outcome.rejects_by_rule == {
        ("NIK", "NIK_FORMAT"): 1,
        ("STAT_KWN", "INT_RANGE"): 1,
        ("JENIS_PKRJN", "INT_RANGE"): 1,
        ("NIK", "DUPLICATE_KEY"): 2,
        ("", "FIELD_COUNT"): 1,
    }
    assert outcome.encoding_notes == ("1 blank line(s) ignored (lines 11)",)
    # every data line ends accepted or rejected, exactly once
    accepted_lines = set(outcome.accepted[LINE])
    rejected_lines = set(rejects["line"].astype(int))
    assert accepted_lines.isdisjoint(rejected_lines)
    assert accepted_lines | rejected_lines == set(range(2, 15)) - {11}


def test_too_many_rejects_fail_the_gate_with_a_message_of_facts(make):
    frame = make.dukcapil(n=20)
    frame.loc[3, "NO_KEL"] = "1099"
    path = make.file(frame, "DUKCAPIL_3275_202610.csv.gz")
    outcome = _validate(make, path, max_reject_share=0.01)
    assert (outcome.passed, outcome.usable, outcome.reject_share) == (False, False, 0.05)
    share = outcome.extract_checks[1]
    assert (share.name, share.passed, share.value) == ("reject_share", False, 0.05)
    message = outcome.failure_message
    for part in (
        "DUKCAPIL_3275_202610.csv.gz",
        "too many rows rejected",
        "1 of 20 rows rejected (5.00%; limit 1.00%)",
        "KODE_KELURAHAN/KELURAHAN_UNKNOWN 1",
        str(outcome.rejects_path),
    ):
        assert part in message
    assert outcome.rejects_path.is_absolute()
    # the facts only: the advice (`--accept-flagged` on the command line, the deployment's
    # accept_flagged parameter in the UI) is added where the message is read
    assert "accept" not in message and "re-run" not in message
    assert not re.search(r"\d{16}", message)  # no NIK, no KK
    with pytest.raises(ValidationFailed) as info:
        outcome.raise_if_unusable()
    assert str(info.value).startswith("DUKCAPIL_3275_202610.csv.gz: ")
    # the rows that passed are still typed and counted
    assert outcome.rows_accepted == 19


def test_the_operator_can_accept_a_flagged_delivery(make):
    frame = make.dukcapil(n=20)
    frame.loc[3, "NO_KEL"] = "1099"
    outcome = _validate(make, make.file(frame), max_reject_share=0.01, accept_flagged=True)
    assert (outcome.passed, outcome.accepted_by_operator, outcome.usable) == (False, True, True)
    assert "accepted by the operator for this run" in outcome.failure_message
    outcome.raise_if_unusable()  # does not raise


@pytest.mark.parametrize(
    "rows, previous, passed",
    [
        (20, 20, True),
        (20, 22, True),
        (22, 20, True),
        (18, 20, True),
        (20, 18, False),
        (20, 23, False),
    ],
)
def test_row_count_drift_gate(make, rows, previous, passed):
    outcome = _validate(make, make.file(make.dtsen(n=rows)), DTSEN, previous_rows=previous)
    check = outcome.extract_checks[0]
    assert (check.name, check.passed, outcome.passed) == ("row_count_drift", passed, passed)
    assert check.value == pytest.approx((rows - previous) / previous)
    if not passed:
        assert "the row count moved too much" in outcome.failure_message
        assert f"{rows} rows against {previous} in the previous" in outcome.failure_message


def test_warnings_are_counted_not_rejected(make):
    frame = make.bpjstk(n=10)
    frame.loc[2, "KPJ"] = "123"
    frame.loc[4, "NIK"] = "3275"
    outcome = _validate(make, make.file(frame), BPJSTK, max_reject_share=0.0)
    assert outcome.passed and outcome.rows_accepted == 10
    assert outcome.warnings == {"DIGITS_11": 1, "NIK_FORMAT": 1}
    kpj = [r for r in outcome.expectation_results if r.column == "KPJ" and "DIGITS_11" in r.rules]
    assert [(r.severity, r.success, r.unexpected_count) for r in kpj] == [("warning", False, 1)]
    assert outcome.accepted.set_index(LINE).loc[4, "KPJ"] == "123"


def test_file_faults_are_not_caught(make):
    path = make.file(make.to_text(make.dukcapil()).replace("|", ","))
    with pytest.raises(FileFormatError, match="uses ',' as the separator"):
        _validate(make, path)


def test_progress_is_reported_without_personal_data(make):
    frame = make.dukcapil(n=6)
    said: list[str] = []
    _validate(make, make.file(frame), progress=said.append)
    assert len(said) >= 4
    text = " ".join(said)
    assert not re.search(r"\d{16}", text) and frame.loc[0, "NAMA_LGKP"] not in text


def test_verification_results(make):
    frame = make.verifikasi(n=6)
    frame.loc[2, "NIK_BARU"] = ""  # HASIL NIK_DIKOREKSI without the new NIK
    path = make.file(frame, "HASIL_VERIFIKASI_202610.csv", compress=False)
    outcome = validate_verification_results(
        path,
        make.PERIOD,
        work_dir=make.work_dir,
        max_reject_share=0.5,
        max_uncompressed_bytes=1_000_000,
    )
    assert outcome.source == "verifikasi" and outcome.passed
    assert outcome.rejects_path.name == "verifikasi_202610_rejects.csv"
    assert outcome.rejects_by_rule == {("NIK_BARU", "NIK_BARU_REQUIRED"): 1}
    assert [c.name for c in outcome.extract_checks] == ["row_count_drift", "reject_share"]
    assert outcome.extract_checks[0].value is None
    assert outcome.accepted["HASIL"].tolist() == [
        "LAYAK",
        "TIDAK_LAYAK",
        "LAYAK",
        "TIDAK_LAYAK",
        "NIK_DIKOREKSI",
    ]


def test_data_docs_list_every_extract_and_show_no_personal_data(make):
    dukcapil = make.dukcapil(n=10)
    dukcapil.loc[1, "NIK"] = "9999" + dukcapil.loc[1, "NIK"][4:]  # a failing expectation
    first = _validate(make, make.file(dukcapil), data_docs=True)
    second = _validate(make, make.file(make.dtsen(n=10)), DTSEN, data_docs=True)
    index = make.work_dir / "data_docs" / "index.html"
    assert index.is_file()  # one site: its index lists both extracts
    # each extract's link goes to its own page: the extract-level validation's result
    docs = (make.work_dir / "data_docs" / "validations").resolve()
    for outcome, source in ((first, "dukcapil"), (second, "dtsen")):
        page = outcome.data_docs_path
        assert page.is_file() and page.suffix == ".html"
        assert page.relative_to(docs).parts[:2] == (source, "extract")
    pages = list((make.work_dir / "data_docs").rglob("*.html"))
    html = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    assert "dukcapil.rows.NIK" in html and "dtsen.rows.NIK" in html
    for nik in dukcapil["NIK"]:
        assert nik not in html
    for name in dukcapil["NAMA_LGKP"]:
        assert name not in html


def test_with_or_without_data_docs_the_results_are_the_same(make):
    """Without Data Docs the suites run on the batch directly (nothing stored); with them
    through validation definitions (stored for the site): the same results either way."""
    dukcapil = make.dukcapil(n=12)
    dukcapil.loc[1, "NIK"] = "9999" + dukcapil.loc[1, "NIK"][4:]
    dukcapil.loc[3, "TGL_LHR"] = "31-02-1990"
    path = make.file(dukcapil)
    plain = _validate(make, path, data_docs=False)
    with_docs = _validate(make, path, data_docs=True)
    assert plain.expectation_results == with_docs.expectation_results
    assert len(plain.expectation_results) > 20
    assert sum(not r.success for r in plain.expectation_results) >= 2
    assert plain.extract_checks == with_docs.extract_checks


def test_verification_results_with_the_contract_defaults(make):
    """Callers pass only the work folder: the contract's 1% gate and a size cap apply."""
    frame = make.verifikasi(n=6)
    frame.loc[2, "NIK_BARU"] = ""
    path = make.file(frame, "HASIL_VERIFIKASI_202610.csv", compress=False)
    outcome = validate_verification_results(path, make.PERIOD, work_dir=make.work_dir)
    assert (outcome.passed, outcome.usable, outcome.rows_accepted) == (False, False, 5)
    assert outcome.extract_checks[1].threshold == 0.01


@pytest.mark.parametrize("source", ["dukcapil", "dtsen", "bpjstk", "verifikasi"])
def test_the_advice_a_failed_delivery_gives_works(make, source):
    """Issue 15, point 4: every ``--accept-flagged X`` the messages advise is a value the
    monthly flow accepts (a source); the results file is never accepted as it is, so its
    advice is to correct and deliver it again (``--accept-flagged verifikasi`` failed:
    "not a valid Source")."""
    from domain.codes import Source

    if source == "verifikasi":
        frame = make.verifikasi(n=6)
        frame.loc[1, "CASE_ID"] = frame.loc[0, "CASE_ID"]  # one case answered twice
        path = make.file(frame, "HASIL_VERIFIKASI_202610.csv", compress=False)
        outcome = validate_verification_results(
            path, make.PERIOD, work_dir=make.work_dir, max_uncompressed_bytes=1_000_000
        )
    else:
        spec, build = make.FRAMES[source]
        frame = build()
        key = spec.unique[0]
        frame.loc[1, key] = frame.loc[0, key]
        frame.loc[1, spec.column_names[-1]] = "differs"
        outcome = _validate(make, make.file(frame), spec, max_reject_share=0.01)
    assert not outcome.usable
    with pytest.raises(ValidationFailed) as info:
        outcome.raise_if_unusable()
    said = str(info.value)
    advised = re.findall(r"--accept-flagged ([a-z]\w*)", said)  # (SOURCE: a placeholder)
    for value in advised:
        Source(value)  # what monthly_reconciliation(accept_flagged=...) parses
    if source == "verifikasi":
        assert advised == [] and "deliver" in said and "sigap verify-results" in said
    else:
        # the message states the facts; the advice is said where it is read (tasks.outcome)
        from tasks.outcome import accept_advice

        assert info.value.sources == (source,)
        advice = accept_advice(make.PERIOD, info.value.sources, "cli")
        advised = re.findall(r"--accept-flagged ([a-z]\w*)", advice)
        for value in advised:
            Source(value)
        assert advised == [source]
        assert f'accept_flagged = ["{source}"]' in accept_advice(make.PERIOD, (source,), "ui")
