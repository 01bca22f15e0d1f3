"""The corpus of broken deliveries, one per column rule, each with its exact outcome.

Each case changes one value of a valid extract and states every (column, rule) the row
must break (rejections) or only warn about; nothing else may fire anywhere in the file.
These tests run the reader and the row rules (no Great Expectations: see
``test_gx_agreement.py`` for the suites).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from connectors.extract_file import read_extract, read_plain_csv
from domain.extracts import BPJSTK, DTSEN, DUKCAPIL, LINE, VERIFIKASI
from expectations.parse import KODE_KELURAHAN, parse_extract

NIK = "NIK"


def _outcome(make, spec, frame, *, plain: bool = False):
    path = make.file(frame, compress=not plain)
    reader = read_plain_csv if plain else read_extract
    raw = reader(path, spec, max_uncompressed_bytes=10_000_000)
    parsed = parse_extract(raw, spec, make.PERIOD)
    lines = parsed.typed[LINE].to_numpy()
    found = {"reject": set(), "warning": set()}
    for check in parsed.checks:
        for line in lines[check.mask]:
            found[check.severity].add((int(line), check.column, check.rule))
    return parsed, found["reject"], found["warning"]


def _nik_with(row_nik: str, start: int, digits: str) -> str:
    return row_nik[:start] + digits + row_nik[start + len(digits) :]


Value = str | Callable[[pd.DataFrame, int], str]

# (id, row, column, value, rejected (column, rule) set, warned (column, rule) set)
# fmt: off
DUKCAPIL_CASES: list[tuple[str, int, str, Value, set, set]] = [
    ("nik-empty", 3, NIK, "", {(NIK, "REQUIRED")}, set()),
    ("nik-15-digits", 3, NIK, lambda f, r: f.loc[r, NIK][:15], {(NIK, "NIK_FORMAT")}, set()),
    ("nik-letter", 3, NIK, lambda f, r: _nik_with(f.loc[r, NIK], 4, "A"), {(NIK, "NIK_FORMAT")}, set()),
    ("nik-fullwidth-digit", 3, NIK, lambda f, r: _nik_with(f.loc[r, NIK], 4, "\uff10"), {(NIK, "NIK_FORMAT")}, set()),
    ("nik-region", 3, NIK, lambda f, r: _nik_with(f.loc[r, NIK], 0, "999901"), {(NIK, "NIK_REGION")}, set()),
    ("nik-day-32", 3, NIK, lambda f, r: _nik_with(f.loc[r, NIK], 6, "32"), {(NIK, "NIK_DATE")}, set()),
    ("nik-month-13", 3, NIK, lambda f, r: _nik_with(f.loc[r, NIK], 8, "13"), {(NIK, "NIK_DATE")}, set()),
    ("nik-serial-0000", 3, NIK, lambda f, r: _nik_with(f.loc[r, NIK], 12, "0000"), {(NIK, "NIK_SERIAL")}, set()),
    ("nik-spaces-ok", 3, NIK, lambda f, r: "  " + f.loc[r, NIK] + " ", set(), set()),
    ("nik-date-mismatch-warns", 3, NIK, lambda f, r: _nik_with(f.loc[r, NIK], 10, "99"), set(), {(NIK, "NIK_DATE_MISMATCH")}),
    ("kk-short", 4, "NO_KK", "12345", {("NO_KK", "DIGITS_16")}, set()),
    ("kk-empty", 4, "NO_KK", "", {("NO_KK", "REQUIRED")}, set()),
    ("name-blank", 4, "NAMA_LGKP", "   ", {("NAMA_LGKP", "REQUIRED")}, set()),
    ("sex-3", 5, "JENIS_KLMIN", "3", {("JENIS_KLMIN", "INT_RANGE")}, set()),
    ("sex-text", 5, "JENIS_KLMIN", "L", {("JENIS_KLMIN", "INT_FORMAT")}, set()),
    ("sex-decimal", 5, "JENIS_KLMIN", "1.0", {("JENIS_KLMIN", "INT_FORMAT")}, set()),
    ("sex-empty", 5, "JENIS_KLMIN", "", {("JENIS_KLMIN", "REQUIRED")}, set()),
    ("birth-31-feb", 6, "TGL_LHR", "31-02-1990", {("TGL_LHR", "DATE_FORMAT")}, set()),
    ("birth-iso", 6, "TGL_LHR", "1990-02-01", {("TGL_LHR", "DATE_FORMAT")}, set()),
    ("birth-year-9999", 6, "TGL_LHR", "01-01-9999", {("TGL_LHR", "DATE_FORMAT")}, set()),
    ("birth-1850", 6, "TGL_LHR", "01-01-1850", {("TGL_LHR", "DATE_RANGE")}, {(NIK, "NIK_DATE_MISMATCH")}),
    ("birth-future", 6, "TGL_LHR", "01-11-2026", {("TGL_LHR", "DATE_IN_FUTURE")}, {(NIK, "NIK_DATE_MISMATCH")}),
    ("marital-5", 7, "STAT_KWN", "5", {("STAT_KWN", "INT_RANGE")}, set()),
    ("job-90", 7, "JENIS_PKRJN", "90", {("JENIS_PKRJN", "INT_RANGE")}, set()),
    ("job-0", 7, "JENIS_PKRJN", "0", {("JENIS_PKRJN", "INT_RANGE")}, set()),
    ("prop-9", 8, "NO_PROP", "9", {("NO_PROP", "INT_RANGE")}, set()),
    ("kel-unknown", 8, "NO_KEL", "1099", {(KODE_KELURAHAN, "KELURAHAN_UNKNOWN")}, set()),
    ("kec-unknown", 8, "NO_KEC", "13", {(KODE_KELURAHAN, "KELURAHAN_UNKNOWN")}, set()),
    ("kec-zero-padded-ok", 8, "NO_KEC", lambda f, r: f.loc[r, "NO_KEC"].zfill(2), set(), set()),
    ("rt-empty-ok", 8, "NO_RT", "", set(), set()),
    ("rw-1000", 8, "NO_RW", "1000", {("NO_RW", "INT_RANGE")}, set()),
    ("address-empty-ok", 8, "ALAMAT", "", set(), set()),
    ("status-lower-ok", 2, "STATUS_DASAR", " hidup ", set(), set()),
    ("status-unknown", 2, "STATUS_DASAR", "WAFAT", {("STATUS_DASAR", "ALLOWED_VALUES")}, set()),
    ("status-empty", 2, "STATUS_DASAR", "", {("STATUS_DASAR", "REQUIRED")}, set()),
    ("alive-with-event", 2, "TGL_PERISTIWA", "01-10-2026", {("TGL_PERISTIWA", "TGL_PERISTIWA_IFF_NOT_HIDUP")}, set()),
    ("dead-without-event", 10, "TGL_PERISTIWA", "", {("TGL_PERISTIWA", "TGL_PERISTIWA_IFF_NOT_HIDUP")}, set()),
    ("dead-bad-event-date", 10, "TGL_PERISTIWA", "32-10-2026", {("TGL_PERISTIWA", "DATE_FORMAT")}, set()),
    ("moved-before-birth", 11, "TGL_PERISTIWA", "01-01-1950", {("TGL_PERISTIWA", "TGL_PERISTIWA_BEFORE_BIRTH")}, set()),
    ("event-future", 11, "TGL_PERISTIWA", "01-11-2026", {("TGL_PERISTIWA", "DATE_IN_FUTURE")}, set()),
]
# fmt: on


@pytest.mark.parametrize(
    "row, column, value, rejected, warned",
    [c[1:] for c in DUKCAPIL_CASES],
    ids=[c[0] for c in DUKCAPIL_CASES],
)
def test_each_dukcapil_rule(make, row, column, value, rejected, warned):
    frame = make.dukcapil()
    new = value(frame, row) if callable(value) else value
    parsed, rejects, warnings = _outcome(make, DUKCAPIL, make.with_value(frame, row, column, new))
    line = make.line_of(row)
    assert rejects == {(line, c, r) for c, r in rejected}
    assert warnings == {(line, c, r) for c, r in warned}
    assert len(parsed.accepted_frame()) == len(frame) - (1 if rejected else 0)


# fmt: off
DTSEN_CASES = [
    ("kode-kabupaten-bekasi", 1, "KODE_WILAYAH", "32.16.01.2001", {("KODE_WILAYAH", "KODE_WILAYAH_FORMAT")}),
    ("kode-unknown", 1, "KODE_WILAYAH", "32.75.01.1099", {("KODE_WILAYAH", "KODE_WILAYAH_FORMAT")}),
    ("kode-no-dots", 1, "KODE_WILAYAH", "3275011001", {("KODE_WILAYAH", "KODE_WILAYAH_FORMAT")}),
    ("kode-spaces-ok", 1, "KODE_WILAYAH", " 32.75.01.1001 ", set()),
    ("desil-11", 2, "DESIL", "11", {("DESIL", "INT_RANGE")}),
    ("desil-0", 2, "DESIL", "0", {("DESIL", "INT_RANGE")}),
    ("job-9", 1, "STATUS_PEKERJAAN", "9", {("STATUS_PEKERJAAN", "INT_RANGE")}),
    ("job-empty-ok", 1, "STATUS_PEKERJAAN", "", set()),
    ("pkh-lower-ok", 3, "PENERIMA_PKH", "y", set()),
    ("pkh-ya", 3, "PENERIMA_PKH", "YA", {("PENERIMA_PKH", "ALLOWED_VALUES")}),
    ("disability-lower-ok", 3, "DISABILITAS", " y ", set()),
    ("disability-empty-ok", 1, "DISABILITAS", "", set()),
    ("disability-ya", 2, "DISABILITAS", "YA", {("DISABILITAS", "ALLOWED_VALUES")}),
    ("presence-5", 3, "STATUS_KEBERADAAN", "5", {("STATUS_KEBERADAAN", "ALLOWED_VALUES")}),
    ("ranked-future", 4, "TGL_PEMERINGKATAN", "2026-11-01", {("TGL_PEMERINGKATAN", "DATE_IN_FUTURE")}),
    ("ranked-dmy", 4, "TGL_PEMERINGKATAN", "01-10-2026", {("TGL_PEMERINGKATAN", "DATE_FORMAT")}),
    ("nik-region", 5, NIK, "9999014101900123", {(NIK, "NIK_REGION")}),
    ("name-empty", 5, "NAMA", "", {("NAMA", "REQUIRED")}),
]
# fmt: on


@pytest.mark.parametrize(
    "row, column, value, rejected", [c[1:] for c in DTSEN_CASES], ids=[c[0] for c in DTSEN_CASES]
)
def test_each_dtsen_rule(make, row, column, value, rejected):
    frame = make.with_value(make.dtsen(), row, column, value)
    _, rejects, warnings = _outcome(make, DTSEN, frame)
    assert rejects == {(make.line_of(row), c, r) for c, r in rejected}
    assert warnings == set()


# the KPJ's shape and the NIK as typed are warnings, and a broken value of a column the
# participant rules can do without is nulled (a warning): the participant is never dropped;
# only an empty or unreadable KPJ, SUMBER_IURAN or STATUS_KEPESERTAAN rejects the row
# fmt: off
BPJSTK_CASES = [
    ("kpj-short-warns", 1, "KPJ", "123", set(), {("KPJ", "DIGITS_11")}),
    ("nik-malformed-warns", 2, NIK, "3275-01", set(), {(NIK, "NIK_FORMAT")}),
    ("nik-empty-warns", 2, NIK, "", set(), {(NIK, "REQUIRED")}),
    ("nik-region-warns", 2, NIK, "9999014101900123", set(), {(NIK, "NIK_REGION")}),
    ("active-next-year-warns", 3, "TGL_AKTIF", "2027-01-01", set(), {("TGL_AKTIF", "DATE_IN_FUTURE")}),
    ("category-unknown-kept", 3, "KATEGORI", "OJEK", set(), {("KATEGORI", "ALLOWED_VALUES")}),
    ("program-lower-ok", 3, "PROGRAM", "jkk+jkm", set(), set()),
    ("payer-unknown", 4, "SUMBER_IURAN", "APBN", {("SUMBER_IURAN", "ALLOWED_VALUES")}, set()),
    ("wage-negative-kept", 4, "UPAH_DILAPORKAN", "-5", set(), {("UPAH_DILAPORKAN", "INT_RANGE")}),
    ("wage-dotted-kept", 4, "UPAH_DILAPORKAN", "1.000.000", set(), {("UPAH_DILAPORKAN", "INT_FORMAT")}),
    ("wage-fullwidth-kept", 4, "UPAH_DILAPORKAN", "\uff11\uff10", set(), {("UPAH_DILAPORKAN", "INT_FORMAT")}),
    ("last-paid-13-kept", 5, "BULAN_IURAN_TERAKHIR", "2026-13", set(), {("BULAN_IURAN_TERAKHIR", "DATE_FORMAT")}),
    ("last-paid-ahead-ok", 5, "BULAN_IURAN_TERAKHIR", "2027-03", set(), set()),
    ("status-lower-ok", 5, "STATUS_KEPESERTAAN", "aktif", set(), set()),
    ("birth-bad-kept", 6, "TGL_LAHIR", "1990-02-30", set(), {("TGL_LAHIR", "DATE_FORMAT")}),
    ("status-unknown", 6, "STATUS_KEPESERTAAN", "AKTIF?", {("STATUS_KEPESERTAAN", "ALLOWED_VALUES")}, set()),
    ("kpj-empty", 6, "KPJ", "", {("KPJ", "REQUIRED")}, set()),
    ("kpj-nul", 6, "KPJ", "1000\x00", {("KPJ", "CONTROL_CHARACTER")}, {("KPJ", "DIGITS_11")}),
    ("name-nul-kept", 6, "NAMA", "SITI\x00", set(), {("NAMA", "CONTROL_CHARACTER")}),
    ("name-long-kept", 6, "NAMA", "S" * 201, set(), {("NAMA", "TEXT_TOO_LONG")}),
]
# fmt: on


@pytest.mark.parametrize(
    "row, column, value, rejected, warned",
    [c[1:] for c in BPJSTK_CASES],
    ids=[c[0] for c in BPJSTK_CASES],
)
def test_each_bpjstk_rule(make, row, column, value, rejected, warned):
    frame = make.with_value(make.bpjstk(), row, column, value)
    parsed, rejects, warnings = _outcome(make, BPJSTK, frame)
    line = make.line_of(row)
    assert rejects == {(line, c, r) for c, r in rejected}
    assert warnings == {(line, c, r) for c, r in warned}
    if not rejected:  # a warned row is accepted, values as delivered (stripped)
        accepted = parsed.accepted_frame().set_index(LINE)
        assert line in accepted.index


@pytest.mark.parametrize(
    "source, key, rows",
    [("dukcapil", NIK, (2, 7)), ("dtsen", NIK, (0, 11)), ("bpjstk", "KPJ", (4, 5))],
)
def test_every_occurrence_of_a_duplicated_key_is_rejected(make, source, key, rows):
    spec, build = make.FRAMES[source]
    frame = build()
    frame.loc[rows[1], key] = " " + frame.loc[rows[0], key]  # same key once stripped
    _, rejects, _ = _outcome(make, spec, frame)
    assert {(line, c, r) for line, c, r in rejects if r == "DUPLICATE_KEY"} == {
        (make.line_of(rows[0]), key, "DUPLICATE_KEY"),
        (make.line_of(rows[1]), key, "DUPLICATE_KEY"),
    }


def test_verification_results_rules(make):
    frame = make.verifikasi()
    corrected = int(np.flatnonzero(frame["HASIL"] == "NIK_DIKOREKSI")[0])
    frame.loc[corrected, "NIK_BARU"] = ""
    frame.loc[0, "NIK_BARU"] = "123"  # a LAYAK row may carry one, but it must be a NIK
    frame.loc[1, "CASE_ID"] = frame.loc[3, "CASE_ID"]
    frame.loc[4, "TGL_VERIFIKASI"] = "2026-11-03"  # entered after the period: a warning
    _, rejects, warnings = _outcome(make, VERIFIKASI, frame, plain=True)
    assert rejects == {
        (make.line_of(corrected), "NIK_BARU", "NIK_BARU_REQUIRED"),
        (make.line_of(0), "NIK_BARU", "NIK_FORMAT"),
        (make.line_of(1), "CASE_ID", "DUPLICATE_KEY"),
        (make.line_of(3), "CASE_ID", "DUPLICATE_KEY"),
    }
    assert warnings == {(make.line_of(4), "TGL_VERIFIKASI", "DATE_IN_FUTURE")}


def test_valid_extracts_break_nothing(make):
    for source, (spec, build) in make.FRAMES.items():
        parsed, rejects, warnings = _outcome(make, spec, build(n=40))
        assert (rejects, warnings) == (set(), set()), source
        assert len(parsed.accepted_frame()) == 40


# --------------------------------------------------------------------------- typed frames

DESIGN_DTYPES = {
    "dukcapil": {
        LINE: "int64", NIK: "str", "NO_KK": "str", "NAMA_LGKP": "str", "JENIS_KLMIN": "int8",
        "TMPT_LHR": "str", "TGL_LHR": "datetime64[ns]", "STAT_KWN": "int8",
        "JENIS_PKRJN": "int16", "NO_PROP": "int16", "NO_KAB": "int16", "NO_KEC": "int16",
        "NO_KEL": "int16", "ALAMAT": "str", "NO_RT": "Int16", "NO_RW": "Int16",
        "STATUS_DASAR": "str", "TGL_PERISTIWA": "datetime64[ns]", KODE_KELURAHAN: "str",
    },
    "dtsen": {
        LINE: "int64", NIK: "str", "NO_KK": "str", "NAMA": "str", "KODE_WILAYAH": "str",
        "DESIL": "int8", "STATUS_PEKERJAAN": "Int8", "PENERIMA_PKH": "bool",
        "STATUS_KEBERADAAN": "int8", "TGL_PEMERINGKATAN": "datetime64[ns]", "DISABILITAS": "boolean",
    },
    "bpjstk": {
        LINE: "int64", "KPJ": "str", NIK: "str", "NAMA": "str", "TGL_LAHIR": "datetime64[ns]",
        "KATEGORI": "str", "PROGRAM": "str", "UPAH_DILAPORKAN": "Int64",
        "IURAN_BULANAN": "Int64", "SUMBER_IURAN": "str", "TGL_AKTIF": "datetime64[ns]",
        "STATUS_KEPESERTAAN": "str", "BULAN_IURAN_TERAKHIR": "str",
    },
}  # fmt: skip


@pytest.mark.parametrize("source", ["dukcapil", "dtsen", "bpjstk"])
def test_accepted_frames_have_the_design_dtypes(make, source):
    spec, build = make.FRAMES[source]
    parsed, _, _ = _outcome(make, spec, build())
    accepted = parsed.accepted_frame()
    assert {c: str(t) for c, t in accepted.dtypes.items()} == DESIGN_DTYPES[source]


def test_dukcapil_values_are_typed_stripped_and_derived(make):
    frame = make.dukcapil()
    frame.loc[0, "NAMA_LGKP"] = "  Siti  Aminah "
    frame.loc[0, "STATUS_DASAR"] = " hidup"
    frame.loc[0, "NO_KEC"] = "1"
    frame.loc[0, "NO_KEL"] = "1001"
    parsed, rejects, _ = _outcome(make, DUKCAPIL, frame)
    assert rejects == set()
    accepted = parsed.accepted_frame().set_index(LINE)
    first = accepted.loc[2]
    assert first["NAMA_LGKP"] == "Siti  Aminah"  # stripped; case and inner spaces kept
    assert first["STATUS_DASAR"] == "HIDUP"
    assert first[KODE_KELURAHAN] == "32.75.01.1001"
    assert first["TGL_LHR"] == pd.to_datetime(frame.loc[0, "TGL_LHR"], format="%d-%m-%Y")
    assert pd.isna(first["TGL_PERISTIWA"])
    dead = accepted.loc[make.line_of(10)]
    assert (dead["STATUS_DASAR"], dead["TGL_PERISTIWA"]) == ("MATI", pd.Timestamp("2026-10-15"))


def test_bpjstk_optional_month_is_null_when_empty(make):
    parsed, _, _ = _outcome(make, BPJSTK, make.bpjstk())
    month = parsed.accepted_frame()["BULAN_IURAN_TERAKHIR"]
    assert month.isna().tolist() == [i % 4 == 0 for i in range(len(month))]
    assert set(month.dropna()) == {"2026-10"}


def test_dtsen_optional_disability_is_a_nullable_flag(make):
    """DISABILITAS (optional): Y/N become True/False, an empty value stays null."""
    parsed, rejects, _ = _outcome(make, DTSEN, make.dtsen())
    assert rejects == set()
    flag = parsed.accepted_frame()["DISABILITAS"]
    assert str(flag.dtype) == "boolean"
    assert flag.tolist() == [[False, True, False, pd.NA][i % 4] for i in range(len(flag))]


def test_dtsen_without_the_disability_column_is_valid(make):
    """A delivery without the optional column: no rule fires, every value is null."""
    frame = make.dtsen().drop(columns="DISABILITAS")
    parsed, rejects, warnings = _outcome(make, DTSEN, frame)
    assert (rejects, warnings) == (set(), set())
    assert parsed.raw.missing_columns == ("DISABILITAS",)
    flag = parsed.accepted_frame()["DISABILITAS"]
    assert str(flag.dtype) == "boolean" and flag.isna().all() and len(flag) == len(frame)


def test_rows_with_a_stray_carriage_return_are_rejected(make):
    text = make.to_text(make.dukcapil())
    lines = text.split("\n")
    lines[3] = lines[3].replace("JL. MAWAR", "JL.\rMAWAR")  # line 4 of the file
    path = make.file("\n".join(lines))
    raw = read_extract(path, DUKCAPIL, max_uncompressed_bytes=10_000_000)
    parsed = parse_extract(raw, DUKCAPIL, make.PERIOD)
    rejected = parsed.typed[LINE][parsed.rejected_mask()].tolist()
    assert rejected == [4]
    # the CR is also a control character in the value it sits in
    assert [c.rule for c in parsed.rejects if c.count] == ["CONTROL_CHARACTER", "STRAY_CR"]
    assert raw.frame.set_index(LINE).loc[4, "ALAMAT"] == "JL.\rMAWAR NO 1"  # restored
