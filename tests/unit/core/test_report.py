"""The run report: its sections, both languages, the catalogue of texts, charts, HTML
rendering and escaping, and no personal data."""

from __future__ import annotations

import re
import string

import pandas as pd
import pytest

from domain.codes import ChangeType, Decision, Reason
from domain.money import MoneySituation
from reports.release_report import (
    ReportData,
    decisions_by_kecamatan,
    render_html,
    render_markdown,
    render_report,
    rupiah,
)
from reports.texts import (
    CATALOGUES,
    CHANGE_LABELS,
    DECISION_LABELS,
    LANGUAGES,
    MONEY_LABELS,
    REASON_LABELS,
    TEXTS,
    number,
    percent,
)


def _entries(disability: bool = True):
    return pd.DataFrame(
        {
            "nik": ["3275014101900123", "3275010101900002", "3275020101900003", "3275020101900004"],
            "kpj": ["10000000001", "10000000002", None, "10000000004"],
            "nama": ["SITI AMINAH", "BUDI", "ANI", "JOKO"],
            "kode_kelurahan": ["32.75.01.1001", "32.75.01.1002", "32.75.02.1001", None],
            "kode_kecamatan": ["32.75.01", "32.75.01", "32.75.02", None],
            "decision": ["KEEP", "TERMINATE", "ENROLL", "REVERIFY"],
            "desil": pd.array([1, 7, 2, None], dtype="Int8"),
            "kategori": ["PRT", "OJOL", None, "PKL"],
            "jenis_kelamin": pd.array([2, 1, 2, None], dtype="Int8"),
            "umur": pd.array([36, 70, 22, 41], dtype="Int16"),
            "kode_pekerjaan": pd.array([23, 84, 84, None], dtype="Int16"),
            "disabilitas": pd.array([True, False, False, None] if disability else [None] * 4, dtype="boolean"),
            "jkm_claim_alert": [False, True, False, False],
        }
    )


MONEY = {
    "period": "2026-10", "contribution_idr": 16_800,
    "billed": {"rows": 3, "idr": 55_400, "unreadable": 0,
               "by_decision_idr": {"KEEP": 21_800, "REVERIFY": 16_800, "TERMINATE": 16_800}},
    "registry_cost_idr": 33_600, "difference_idr": 21_800,
    "contribution_differs": {"rows": 1, "difference_idr": 5_000},
    "termination_pending": {"people": 1, "months": 1, "idr": 16_800, "unreadable": 0},
    "billed_after_death": {"people": 1, "months": 2, "idr": 33_600, "unreadable": 0},
    "to_recover": {"people": 1, "months": 2, "idr": 33_600},
    "arrears": {"people": 1, "months": 3, "idr": 50_400, "unreadable": 0},
    "last_month_paid_unreadable": 0,
}  # fmt: skip
TREND = pd.DataFrame(
    {
        "period": ["2026-09", "2026-10"], "version": [1, 2], "eligible": [3, 3], "covered": [1, 2],
        "enroll": [1, 1], "waitlist": [1, 0], "coverage_rate": [1 / 3, 2 / 3],
        "monthly_cost_idr": [33_600, 50_400], "billed_idr": [float("nan"), 55_400.0],
        "year_to_date_cost_idr": [33_600, 84_000], "annualised_cost_idr": [403_200, 604_800],
        "budget_used_share": [33_600 / 2e9, 84_000 / 2e9], "annualised_budget_share": [0.0002, 0.0003],
    }
)  # fmt: skip


class _Validation:
    source, sha256, rows_total, rows_accepted, rows_rejected = "dtsen", "b" * 64, 10, 9, 1
    reject_share, passed, accepted_by_operator = 0.1, False, False
    rejects_by_rule = {"NIK_FORMAT": 1}
    failure_message = "<script>alert('x')</script> 10% rejected"


def _data(**kw):
    base = dict(
        period="2026-10", version=2, release_id=7, status="PUBLISHED", rules_version="r1",
        input_digests={"dukcapil": "a" * 64}, accepted_flags=[],
        counts={"KEEP": 1, "REVERIFY": 1, "TERMINATE": 1, "ENROLL": 1, "WAITLIST": 0},
        reason_counts={"DECEASED": 1}, entries=_entries(),
        quota={"cap": 3, "quota": 3, "budget_cap": None, "places_used": 2, "free_places": 1, "enrolled": 1,
               "waitlisted": 0, "monthly_cost_idr": 50_400, "annual_cost_idr": 604_800, "budget_covers": None},
        changes=pd.DataFrame({"nik": ["3275014101900123"], "change_type": ["NAME_CHANGED"], "source": ["dukcapil"]}),
        validations=[_Validation()], trend=TREND, money=MONEY, annual_budget_idr=2_000_000_000,
        finance_file="keuangan_202610_v2.csv", open_data_file="statistik_202610_v2.csv",
        open_data_dictionary="statistik_202610_v2_kamus.csv",
        open_data={"threshold": 5, "withheld": 12, "cells": 3360},
    )  # fmt: skip
    base.update(kw)
    return ReportData(**base)


def test_decisions_by_kecamatan_names_and_totals():
    table = decisions_by_kecamatan(_entries())
    assert "32.75.01 Bekasi Timur" in table.index
    assert table.loc["32.75.01 Bekasi Timur", "TOTAL"] == 2
    assert table["TOTAL"].sum() == 4


ID_HEADINGS = ("Ringkasan", "Keputusan", "Kuota dan anggaran", "Cakupan menurut jenis kelamin",
               "Komposisi daftar tunggu", "Tren bulanan", "Uang", "Keputusan per kecamatan",
               "Alasan", "Validasi ekstrak", "Perubahan data kependudukan", "Verifikasi ulang",
               "Data terbuka")  # fmt: skip


def test_report_has_every_section_in_bahasa_indonesia_and_no_personal_data():
    md = render_markdown(_data())
    for heading in ID_HEADINGS:
        assert f"## {heading}" in md, heading
    assert "Rp50.400" in md and "Peringatan klaim JKM" in md
    assert "Menurut jenis kelamin" in md and "perempuan" in md and "penyandang disabilitas" in md
    assert "Tagihan" not in md or "Ditagih BPJS" in md
    assert "keuangan_202610_v2.csv" in md and "statistik_202610_v2.csv" in md
    for english in ("Decisions", "Coverage by", "Summary", "Reasons", "quota and budget", "JKM claim alerts"):
        assert english not in md, english
    html = render_html(_data())
    for secret in ("3275014101900123", "SITI AMINAH", "BUDI"):
        assert secret not in md and secret not in html


def test_english_report():
    md = render_markdown(_data(language="en"))
    for heading in ("Summary", "Decisions", "Quota and budget", "Coverage by sex", "Waitlist composition",
                    "Monthly trend", "Money", "Reasons", "Extract validation", "Re-verification", "Open data"):  # fmt: skip
        assert f"## {heading}" in md, heading
    assert "JKM claim alerts" in md and "female" in md
    for indonesian in ("Ringkasan", "Keputusan per kecamatan", "Perempuan", "Tertanggung"):
        assert indonesian not in md, indonesian


def test_html_is_one_offline_page_with_every_chart_and_real_tables():
    report = render_report(_data())
    html = report.html
    keys = [c.key for c in report.charts]
    assert {"places", "jenis_kelamin", "kelompok_umur", "kelompok_pekerjaan", "disabilitas",
            "kecamatan_coverage", "trend_coverage", "trend_cost", "money", "kecamatan", "desil"} <= set(keys)  # fmt: skip
    assert html.count("<svg") == len(keys)
    for chart in report.charts:
        assert f'id="chart-{chart.key}"' in html
        assert chart.svg in html
    assert html.count("<table>") >= 10 and "<pre>" not in html
    assert re.search(r"<h2>Ringkasan</h2>", html)
    # offline: nothing fetched, no script
    assert "<script" not in html.replace("&lt;script", "")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    # the hostile failure message is escaped
    assert "&lt;script&gt;alert(" in html


def test_disability_not_available_is_said():
    md = render_markdown(_data(entries=_entries(disability=False)))
    assert "tidak tersedia" in md and "`DISABILITAS`" in md
    report = render_report(_data(entries=_entries(disability=False)))
    assert "disabilitas" not in [c.key for c in report.charts]


def test_first_period_without_money_or_trend_or_budget():
    md = render_markdown(_data(money=None, trend=TREND.iloc[:1], annual_budget_idr=None, open_data_file=None))
    assert "Tidak ada tampilan uang" in md
    assert "Anggaran tahunan tidak ditetapkan" in md
    assert "## Data terbuka" not in md


def test_escalated_cases_are_masked():
    esc = pd.DataFrame({"case_id": ["RV-1"], "nik": ["3275014101900123"], "kode_kelurahan": ["32.75.01.1001"],
                        "periods_open": [3], "triggers": ["NAME_CHANGED"]})
    md = render_markdown(_data(escalated=esc))
    assert "3275********0123" in md and "3275014101900123" not in md


def test_formats():
    assert rupiah(16_800) == "Rp16.800" and rupiah(None) == "-" and rupiah(-5_000) == "-Rp5.000"
    assert number(1234567, "id") == "1.234.567" and number(1234567, "en") == "1,234,567"
    assert percent(0.4567, "id") == "45,7%" and percent(0.4567, "en") == "45.7%"
    assert percent(None, "id") == "-"


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_the_catalogue_is_complete_in_both_languages():
    for name, catalogue in CATALOGUES.items():
        for key, entry in catalogue.items():
            assert set(entry) == set(LANGUAGES), (name, key)
            assert all(entry[lang].strip() for lang in LANGUAGES), (name, key)
            assert _fields(entry["id"]) == _fields(entry["en"]), (name, key)
    assert set(DECISION_LABELS) == {d.value for d in Decision}
    assert set(REASON_LABELS) == {r.value for r in Reason}
    assert set(CHANGE_LABELS) == {c.value for c in ChangeType}
    assert set(MONEY_LABELS) == {m.value for m in MoneySituation}
    assert "title" in TEXTS


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_key_used_by_the_report_exists(language):
    import importlib
    import inspect
    import pkgutil

    import reports.release_report as package

    # the report is a package: read the source of every one of its modules
    modules = [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]
    assert len(modules) > 1
    source = "\n".join(inspect.getsource(module) for module in modules)
    used = set(re.findall(r'text\(\s*"([a-z_]+)"', source))
    used |= set(re.findall(r"text\(\s*'([a-z_]+)'", source))
    assert used and used <= set(TEXTS)
