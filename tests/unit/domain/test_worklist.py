"""Kelurahan worklists (domain.worklist): Indonesian headers and descriptions, one sheet
per kelurahan, ordering, the unknown-kelurahan sheet."""

from __future__ import annotations

import pandas as pd
import pytest

from domain.codes import ChangeType, Reason
from domain.worklist import (
    REASON_DESCRIPTIONS_ID,
    RESULT_COLUMN,
    UNKNOWN_KELURAHAN,
    WORKLIST_COLUMNS,
    describe_reasons,
    period_label,
    worklists,
)

KEL_1, KEL_2 = "32.75.01.1001", "32.75.02.1005"


def entries(*rows: dict) -> pd.DataFrame:
    default = {
        "nik": None,
        "kpj": None,
        "nama": "",
        "kode_kelurahan": KEL_1,
        "desil": 3,
        "decision": "REVERIFY",
        "reasons": "",
        "suggested_nik": None,
        "evidence": "",
    }
    frame = pd.DataFrame([{**default, **r} for r in rows], columns=list(default))
    return frame.astype(
        {"nik": "str", "kpj": "str", "nama": "str", "desil": "Int8", "suggested_nik": "str"}
    )


def cases(*rows: dict) -> pd.DataFrame:
    default = {
        "case_id": None,
        "nik": None,
        "kpj": None,
        "kode_kelurahan": KEL_1,
        "triggers": "",
        "evidence": "",
        "periods_open": 1,
        "status": "OPEN",
    }
    frame = pd.DataFrame([{**default, **r} for r in rows], columns=list(default))
    return frame.astype({"kpj": "str", "kode_kelurahan": "str"})


E = entries(
    {"nik": "3275014101900001", "kpj": "11000000001", "nama": "SITI AMINAH", "desil": 7},
    {"nik": "3275010202850002", "kpj": "11000000002", "nama": "BUDI SANTOSO"},
    {"nik": "3275010303800003", "kpj": "11000000003", "nama": "ANI", "kode_kelurahan": KEL_2},
    {"nik": "3275010404800004", "kpj": None, "nama": "CECEP", "decision": "WAITLIST"},
    {
        "nik": "3275019999990000",
        "kpj": "11000000005",
        "nama": "DEDI",
        "kode_kelurahan": None,
        "suggested_nik": "3275019999990001",
    },
)
C = cases(
    {
        "case_id": "RV-202610-aaaaaaaaaa",
        "nik": "3275014101900001",
        "kpj": "11000000001",
        "triggers": "DESIL_ABOVE_LIMIT;NAME_CHANGED",
        "periods_open": 1,
        "evidence": (
            "DESIL_ABOVE_LIMIT: DTSEN desil 7 (ranked 2026-07-01), maximum 5; "
            "NAME_CHANGED: SITI AMINA -> SITI AMINAH (dukcapil)"
        ),
    },
    {
        "case_id": "RV-202609-bbbbbbbbbb",
        "nik": "3275010202850002",
        "kpj": "11000000002",
        "triggers": "KK_CHANGED",
        "periods_open": 2,
    },
    {
        "case_id": "RV-202608-cccccccccc",
        "nik": "3275010303800003",
        "kpj": "11000000003",
        "kode_kelurahan": KEL_2,
        "triggers": "NOT_IN_DTSEN",
        "periods_open": 3,
    },
    {
        "case_id": "RV-202609-dddddddddd",
        "nik": "3275010404800004",
        "kpj": None,
        "triggers": "DISAPPEARED",
        "periods_open": 2,
    },
    {
        "case_id": "RV-202610-eeeeeeeeee",
        "nik": "3275019999990000",
        "kpj": "11000000005",
        "kode_kelurahan": None,
        "triggers": "NIK_NOT_FOUND;NIK_PROBABLE_TYPO",
    },
    {
        "case_id": "RV-202607-ffffffffff",
        "nik": "3275010505800005",
        "kpj": "11000000006",
        "triggers": "NOT_IN_DTSEN",
        "status": "RESOLVED_ELIGIBLE",
    },
)


def test_one_sheet_per_kelurahan_with_indonesian_headers():
    sheets = worklists(C, E, "2026-10", 2)
    assert list(sheets) == [KEL_1, KEL_2, UNKNOWN_KELURAHAN]
    expected = [c for c in WORKLIST_COLUMNS if c != "Alamat"]
    for sheet in sheets.values():
        assert list(sheet.columns) == expected
    assert {
        "No",
        "ID Kasus",
        "NIK",
        "Nama",
        "No. KPJ",
        "Alasan Verifikasi",
        "Bukti",
        "Dibuka Sejak",
        "Lama Terbuka (bulan)",
        RESULT_COLUMN,
        "NIK Baru",
        "Catatan",
    } <= set(expected)


def test_rows_sorted_by_age_then_name_and_numbered():
    sheet = worklists(C, E, "2026-10", 1)[KEL_1]
    assert sheet["Nama"].tolist() == ["BUDI SANTOSO", "CECEP", "SITI AMINAH"]
    assert sheet["Lama Terbuka (bulan)"].tolist() == [2, 2, 1]
    assert sheet["No"].tolist() == [1, 2, 3]
    assert sheet["No. KPJ"].tolist() == ["11000000002", "", "11000000001"]
    # the closed case is not listed anywhere
    listed = pd.concat(worklists(C, E, "2026-10", 1).values())["ID Kasus"]
    assert "RV-202607-ffffffffff" not in set(listed)


def test_reason_descriptions_and_officer_columns():
    sheets = worklists(C, E, "2026-10", 1)
    siti = sheets[KEL_1].set_index("Nama").loc["SITI AMINAH"]
    assert siti["Alasan Verifikasi"] == "Desil DTSEN di atas batas (desil 7); Nama berubah"
    # the evidence in Bahasa Indonesia (the registry keeps it in English)
    assert siti["Bukti"] == (
        "Desil DTSEN 7 (pemeringkatan 2026-07-01), batas maksimum 5; "
        "Nama berubah: SITI AMINA -> SITI AMINAH (Dukcapil)"
    )
    assert siti["Dibuka Sejak"] == "Oktober 2026"
    assert siti["NIK"] == "3275014101900001"  # a deliverable: the full NIK
    for col in (RESULT_COLUMN, "NIK Baru", "Catatan", "Petugas", "Tanggal Verifikasi"):
        assert siti[col] == ""
    dedi = sheets[UNKNOWN_KELURAHAN].iloc[0]
    assert dedi["Alasan Verifikasi"] == (
        "NIK tidak ditemukan di Dukcapil; NIK kemungkinan salah ketik "
        "(usulan NIK: 3275019999990001)"
    )
    assert sheets[KEL_1].set_index("Nama").loc["BUDI SANTOSO", "Alasan Verifikasi"] == (
        "Nomor KK berubah"
    )


def test_titles_in_attrs():
    sheets = worklists(C, E, "2026-10", 3)
    assert sheets[KEL_1].attrs["nama_kelurahan"] == "Bekasijaya"
    assert sheets[KEL_1].attrs["judul"] == (
        "Daftar Verifikasi Ulang Peserta SIGAP - Kelurahan Bekasijaya (32.75.01.1001), "
        "Kecamatan Bekasi Timur - Periode Oktober 2026 (versi 3)"
    )
    assert sheets[UNKNOWN_KELURAHAN].attrs["nama_kelurahan"] == "Tidak diketahui"


def test_address_column_when_available_and_age_from_case_id():
    with_address = C.drop(columns="periods_open").assign(alamat="JL. MAWAR 1 RT 001/002")
    sheet = worklists(with_address, E, "2026-10", 1)[KEL_2]
    assert list(sheet.columns) == list(WORKLIST_COLUMNS)
    assert sheet["Alamat"].tolist() == ["JL. MAWAR 1 RT 001/002"]
    assert sheet["Lama Terbuka (bulan)"].tolist() == [3]  # 2026-08 .. 2026-10
    assert sheet["Dibuka Sejak"].tolist() == ["Agustus 2026"]


def test_no_open_cases_no_worklists():
    assert worklists(C.assign(status="RESOLVED_ELIGIBLE"), E, "2026-10", 1) == {}
    with pytest.raises(ValueError, match="triggers"):
        worklists(C.drop(columns="triggers"), E, "2026-10", 1)


def test_every_code_has_an_indonesian_description():
    codes = {c.value for c in Reason} | {c.value for c in ChangeType}
    assert codes == set(REASON_DESCRIPTIONS_ID)
    assert all(text and text[0].isupper() for text in REASON_DESCRIPTIONS_ID.values())
    # and each one reaches a worklist
    all_codes = ";".join(sorted(codes))
    out = describe_reasons(pd.Series([all_codes]), pd.Series([7]), pd.Series([None]))
    assert out.iloc[0].count("; ") == len(codes) - 1
    assert not any(code in out.iloc[0] for code in codes)  # no raw code left


def test_examples_from_the_issue():
    assert REASON_DESCRIPTIONS_ID["NIK_NOT_FOUND"] == "NIK tidak ditemukan di Dukcapil"
    assert REASON_DESCRIPTIONS_ID["NAME_CHANGED"] == "Nama berubah"
    out = describe_reasons(
        pd.Series(["DESIL_ABOVE_LIMIT", "SOMETHING_NEW", ""]),
        pd.Series([7, None, None], dtype="Int8"),
        pd.Series([None, None, None]),
    )
    assert out.tolist() == ["Desil DTSEN di atas batas (desil 7)", "SOMETHING_NEW", ""]


def test_period_label():
    assert period_label(pd.Series(["2026-01", "2026-12"])).tolist() == [
        "Januari 2026",
        "Desember 2026",
    ]
