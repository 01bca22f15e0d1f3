import pandas as pd

from reports.release_report import ReportData, decisions_by_kecamatan, render_html, render_markdown, rupiah


def _entries():
    return pd.DataFrame(
        {
            "nik": ["3275014101900123", "3275010101900002", "3275020101900003", "3275020101900004"],
            "nama": ["SITI AMINAH", "BUDI", "ANI", "JOKO"],
            "kode_kecamatan": ["32.75.01", "32.75.01", "32.75.02", None],
            "decision": ["KEEP", "TERMINATE", "ENROLL", "REVERIFY"],
            "desil": pd.array([1, 7, 2, None], dtype="Int8"),
            "jkm_claim_alert": [False, True, False, False],
        }
    )


def _data(**kw):
    entries = _entries()
    base = dict(
        period="2026-10", version=2, release_id=7, status="PUBLISHED", rules_version="r1",
        input_digests={"dukcapil": "a" * 64}, accepted_flags=[],
        counts={"KEEP": 1, "REVERIFY": 1, "TERMINATE": 1, "ENROLL": 1, "WAITLIST": 0},
        reason_counts={"DECEASED": 1}, entries=entries,
        quota={"cap": 3, "quota": 3, "budget_cap": None, "places_used": 2, "free_places": 1, "enrolled": 1,
               "waitlisted": 0, "monthly_cost_idr": 50_400, "annual_cost_idr": 604_800, "budget_covers": None},
        changes=pd.DataFrame({"nik": ["3275014101900123"], "change_type": ["NAME_CHANGED"], "source": ["dukcapil"]}),
    )
    base.update(kw)
    return ReportData(**base)


def test_decisions_by_kecamatan_names_and_totals():
    table = decisions_by_kecamatan(_entries())
    assert "32.75.01 Bekasi Timur" in table.index
    assert table.loc["32.75.01 Bekasi Timur", "TOTAL"] == 2
    assert table["TOTAL"].sum() == 4


def test_report_has_every_section_and_no_personal_data():
    md = render_markdown(_data())
    for heading in ("Keputusan", "Kuota", "per kecamatan", "Validasi", "Perubahan", "Verifikasi ulang"):
        assert heading in md
    assert "Rp50.400" in md and "JKM claim alerts" in md
    html = render_html(_data(), md)
    assert html.count("<svg") == 3
    for secret in ("3275014101900123", "SITI AMINAH", "BUDI"):
        assert secret not in md and secret not in html


def test_escalated_cases_are_masked():
    esc = pd.DataFrame({"case_id": ["RV-1"], "nik": ["3275014101900123"], "kode_kelurahan": ["32.75.01.1001"],
                        "periods_open": [3], "triggers": ["NAME_CHANGED"]})
    md = render_markdown(_data(escalated=esc))
    assert "3275********0123" in md and "3275014101900123" not in md


def test_rupiah_format():
    assert rupiah(16_800) == "Rp16.800" and rupiah(None) == "-"
