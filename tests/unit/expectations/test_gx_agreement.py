"""Great Expectations documents exactly what the quarantine does.

For one broken delivery per source (many rules broken at once), every expectation's
unexpected count equals the number of rows the pandas masks of its rules mark, every rule
the quarantine applies has an expectation, and every column an expectation names exists
in the contract (drift test).
"""

from __future__ import annotations

import numpy as np
import pytest

from connectors.extract_file import read_extract, read_plain_csv
from domain.extracts import BPJSTK, DTSEN, DUKCAPIL, VERIFIKASI
from expectations.gx_context import make_context
from expectations.parse import KODE_KELURAHAN, parse_extract
from expectations.suites import DELIVERED, FINGERPRINT, ExtractLimits, extract_checks_suite, row_rules_suite
from expectations.validate import validate_extract, validate_verification_results

# (row, column, value) changes applied together; rows 0.. stay distinct per change
BREAKS = {
    "dukcapil": [
        (0, "NIK", ""),
        (1, "NIK", "32750141019001"),
        (2, "NIK", "9999014101900123"),
        (3, "NO_KK", "12"),
        (4, "JENIS_KLMIN", "3"),
        (5, "JENIS_KLMIN", "x"),
        (6, "TGL_LHR", "30-02-1990"),
        (7, "TGL_LHR", "01-01-1850"),
        (8, "TGL_LHR", "01-12-2026"),
        (9, "NO_KEL", "1099"),
        (11, "NO_RT", "abc"),
        (12, "STATUS_DASAR", "WAFAT"),
        (13, "TGL_PERISTIWA", "01-10-2026"),
        (14, "NAMA_LGKP", " "),
        (15, "NO_PROP", "5"),
        (16, "TGL_PERISTIWA", "5-5-5555"),
        (18, "TGL_PERISTIWA", ""),
        (19, "TGL_PERISTIWA", "01-01-1900"),
    ],
    "dtsen": [
        (0, "NIK", "12"),
        (1, "KODE_WILAYAH", "32.16.01.2001"),
        (2, "DESIL", "0"),
        (3, "STATUS_PEKERJAAN", "x"),
        (4, "PENERIMA_PKH", "T"),
        (5, "STATUS_KEBERADAAN", "5"),
        (6, "TGL_PEMERINGKATAN", "2026-12-01"),
        (7, "TGL_PEMERINGKATAN", ""),
        (8, "NO_KK", "x"),
        (9, "DESIL", ""),
    ],
    "bpjstk": [
        (0, "KPJ", "12"),
        (1, "NIK", "12"),
        (2, "NIK", ""),
        (3, "KATEGORI", "X"),
        (4, "UPAH_DILAPORKAN", "-1"),
        (5, "IURAN_BULANAN", "1,5"),
        (6, "TGL_AKTIF", "2030-01-01"),
        (7, "BULAN_IURAN_TERAKHIR", "2026-1"),
        (8, "TGL_LAHIR", "1850-01-01"),
        (9, "SUMBER_IURAN", ""),
    ],
    "verifikasi": [
        (0, "NIK_BARU", "1"),
        (2, "NIK_BARU", ""),
        (3, "HASIL", "OK"),
        (4, "PETUGAS", ""),
        (1, "TGL_VERIFIKASI", "2026-12-01"),
    ],
}
SPECS = {"dukcapil": DUKCAPIL, "dtsen": DTSEN, "bpjstk": BPJSTK, "verifikasi": VERIFIKASI}


def _broken_text(make, source: str) -> str:
    build = make.verifikasi if source == "verifikasi" else make.FRAMES[source][1]
    frame = build(n=24) if source != "verifikasi" else build(n=6)
    for row, column, value in BREAKS[source]:
        frame.loc[row, column] = value
    key = SPECS[source].unique[0]
    frame.loc[len(frame) - 3, key] = frame.loc[len(frame) - 4, key]  # a duplicated key
    lines = make.to_text(frame).split("\n")
    lines[-3] = lines[-3] + "|one field too many"
    lines[-4] = lines[-4].replace("|", "\r|", 1)  # a carriage return inside a line
    return "\n".join(lines)


@pytest.mark.parametrize("source", ["dukcapil", "dtsen", "bpjstk", "verifikasi"])
def test_gx_unexpected_counts_equal_the_quarantine_masks(make, source):
    spec = SPECS[source]
    plain = source == "verifikasi"
    path = make.file(_broken_text(make, source), compress=not plain)
    if plain:
        outcome = validate_verification_results(
            path,
            make.PERIOD,
            work_dir=make.work_dir,
            max_reject_share=1.0,
            max_uncompressed_bytes=10_000_000,
        )
        raw = read_plain_csv(path, spec, max_uncompressed_bytes=10_000_000)
    else:
        outcome = validate_extract(path, spec, make.PERIOD, work_dir=make.work_dir, **make.LOOSE)
        raw = read_extract(path, spec, max_uncompressed_bytes=10_000_000)
    parsed = parse_extract(raw, spec, make.PERIOD)
    masks = {check.key: check.mask for check in parsed.checks}
    masks[("", "FIELD_COUNT")] = np.ones(len(raw.bad_rows), dtype=bool)

    broken_rules = 0
    for row in outcome.expectation_results:
        if row.gate:
            continue
        marked = np.zeros(len(masks[(row.column, row.rules[0])]), dtype=bool)
        for rule in row.rules:
            marked |= masks[(row.column, rule)]
        assert row.unexpected_count == int(marked.sum()), (row.expectation, row.column, row.rules)
        assert row.success == (not marked.any())
        severities = {
            c.severity for c in parsed.checks if c.key[0] == row.column and c.rule in row.rules
        }
        assert row.severity == ("warning" if severities == {"warning"} else "critical")
        broken_rules += bool(marked.any())
    assert broken_rules >= 6  # the corpus really breaks rules

    covered = {(row.column, rule) for row in outcome.expectation_results for rule in row.rules}
    assert set(masks) <= covered
    # the gate agrees with the invariant
    share = next(c for c in outcome.extract_checks if c.name == "reject_share")
    assert share.value == outcome.rows_rejected / outcome.rows_total
    assert outcome.rows_accepted + outcome.rows_rejected == outcome.rows_total == raw.rows


@pytest.mark.parametrize(
    "spec", [DUKCAPIL, DTSEN, BPJSTK, VERIFIKASI], ids=lambda s: s.file_pattern
)
def test_every_column_an_expectation_names_is_in_the_contract(spec, tmp_path):
    make_context(tmp_path, data_docs=False)  # suites are built in an active GX context
    contract = set(spec.column_names)
    derived = {KODE_KELURAHAN} if spec is DUKCAPIL else set()
    suite = row_rules_suite(spec, "2026-10", "x")
    for expectation in suite.expectations:
        kwargs = expectation.configuration.kwargs
        named = [kwargs.get(k) for k in ("column", "column_A", "column_B")] + list(
            kwargs.get("column_list") or []
        )
        for column in filter(None, named):
            assert column.removesuffix(DELIVERED).removesuffix(FINGERPRINT) in contract | derived, column
        assert expectation.meta["column"] in contract | derived
        assert expectation.description  # the Data Docs show it
    checks = extract_checks_suite("x", len(spec.columns), ExtractLimits(0.01, 0.1, 100))
    gates = [e.meta["gate"] for e in checks.expectations if e.meta.get("gate")]
    assert gates == ["row_count_drift", "reject_share"]
