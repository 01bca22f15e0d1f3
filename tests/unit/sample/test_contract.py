"""The generated files follow contracts/EXTRACTS.md (as data in domain.extracts)."""

from __future__ import annotations

import gzip
import itertools
from datetime import date

import numpy as np
import pandas as pd
import pytest

from domain.codes import Source
from domain.extracts import SPECS
from domain.periods import reference_date
from domain.reference import kecamatan_codes, kelurahan_codes
from devkit.sample import read_truth
from tests.unit.sample.oracle import read_extract

EXTRA = {"bpjstk": {"KANTOR_CABANG"}, "dukcapil": set(), "dtsen": set()}
PLANTED_BAD_NIK = {
    "nik_malformed_15_digits",
    "nik_malformed_letters",
    "nik_malformed_spaces",
    "nik_empty",
}


def _raw(path) -> bytes:
    return gzip.decompress(path.read_bytes())


def _frames(manifest, period):
    return {s: read_extract(manifest.file(s, period).path) for s in ("dukcapil", "dtsen", "bpjstk")}


def test_files_are_gzip_utf8_pipe_separated_with_the_contract_header(sample):
    for f in sample.files:
        data = _raw(f.path)
        bom = data.startswith(b"\xef\xbb\xbf")
        text = data[3 if bom else 0 :].decode("utf-8")
        lines = text.split("\n")
        assert lines[-1] == "" and len(lines) - 2 == f.rows  # header + rows, final newline
        crlf = [line.endswith("\r") for line in lines[:-1]]
        assert all(crlf) or not any(crlf), "one line ending per file"
        header = lines[0].rstrip("\r").split("|")
        assert set(header) == set(SPECS[Source(f.source)].column_names) | EXTRA[f.source]
        assert len(header) == len(set(header))
        assert '"' not in text
        assert f.checksum_path.read_text(encoding="ascii") == f"{f.sha256}  {f.path.name}\n"
        year, month = f.period.split("-")
        assert f.path.relative_to(sample.sftp_root).as_posix() == (
            f"{f.source}/{year}/{month}/{SPECS[Source(f.source)].file_name(f.period)}"
        )


def test_each_period_has_a_crlf_file_a_bom_and_a_shuffled_header(sample):
    for period in sample.periods:
        crlf = bom = shuffled = 0
        for source in ("dukcapil", "dtsen", "bpjstk"):
            data = _raw(sample.file(source, period).path)
            bom += data.startswith(b"\xef\xbb\xbf")
            first = data.split(b"\n", 1)[0]
            crlf += first.endswith(b"\r")
            header = [
                c for c in first.decode("utf-8-sig").strip().split("|") if c not in EXTRA[source]
            ]
            shuffled += header != list(SPECS[Source(source)].column_names)
        assert (crlf, bom, shuffled) == (1, 1, 1)


def _check_column(column, values: pd.Series, allow_empty: pd.Series | None = None) -> None:
    empty = values == ""
    if column.required:
        bad = empty if allow_empty is None else empty & ~allow_empty
        assert not bad.any(), f"{column.name}: {int(bad.sum())} empty required values"
    v = values[~empty]
    if column.type == "date":
        pd.to_datetime(v, format=column.fmt, errors="raise")
    elif column.type == "month":
        pd.to_datetime(v, format="%Y-%m", errors="raise")
    elif column.type == "int":
        ints = pd.to_numeric(v, errors="raise").astype("int64")
        assert column.min is None or ints.min() >= column.min, column.name
        assert column.max is None or ints.max() <= column.max, column.name
        if column.allowed:
            assert set(v) <= set(column.allowed), column.name
    elif column.type in ("code", "flag") and column.allowed:
        assert set(v.str.upper()) <= set(column.allowed), column.name
    elif column.type == "digits":
        assert v.str.fullmatch(rf"\d{{{column.length}}}").all(), column.name
    elif column.type == "nik":
        assert v.str.fullmatch(r"\d{16}").all(), column.name


def test_every_value_has_the_contract_type(sample):
    for period in sample.periods:
        frames = _frames(sample, period)
        entries, _ = read_truth(sample.truth_root, period)
        for source, frame in frames.items():
            allow = None
            if source == "bpjstk":  # the planted empty NIK is a matching outcome, not a reject
                allow = frame["KPJ"].isin(entries.loc[entries["case"] == "nik_empty", "kpj"])
            for column in SPECS[Source(source)].columns:
                _check_column(column, frame[column.name], allow if column.name == "NIK" else None)
            for key in SPECS[Source(source)].unique:
                assert frame[key].is_unique, f"{source}.{key} not unique"


def _nik_problems(nik: pd.Series, born: pd.Series, sex: pd.Series) -> pd.Series:
    """True where a NIK's region, embedded date (+40 for women) or serial is wrong."""
    region_ok = nik.str[:6].isin(kecamatan_codes())
    dd = nik.str[6:8].astype(int)
    expect_dd = born.dt.day + 40 * (sex == 2)
    date_ok = (dd == expect_dd) & (nik.str[8:10].astype(int) == born.dt.month)
    date_ok &= nik.str[10:12].astype(int) == born.dt.year % 100
    serial_ok = nik.str[12:] != "0000"
    return ~(region_ok & date_ok & serial_ok)


def test_dukcapil_niks_kk_domicile_and_status(sample):
    kelurahan = kelurahan_codes()
    corrected: set[str] = set()  # birth-date corrections keep the NIK (a warning by the contract)
    for period in sample.periods:
        _, changes = read_truth(sample.truth_root, period)
        corrected |= set(changes.loc[changes["change_type"] == "BIRTH_DATE_CHANGED", "nik"])
        duk = read_extract(sample.file("dukcapil", period).path)
        born = pd.to_datetime(duk["TGL_LHR"], format="%d-%m-%Y")
        bad = _nik_problems(duk["NIK"], born, duk["JENIS_KLMIN"].astype(int))
        assert set(duk.loc[bad, "NIK"]) <= corrected
        assert duk["NO_KK"].str.fullmatch(r"\d{16}").all()
        code = (
            duk["NO_PROP"].str.zfill(2) + "." + duk["NO_KAB"].str.zfill(2) + "."
            + duk["NO_KEC"].str.zfill(2) + "." + duk["NO_KEL"].str.zfill(4)
        )  # fmt: skip
        assert code.isin(kelurahan).all()
        in_city = code.str.startswith("32.75.")
        assert in_city.mean() > 0.98
        assert code[in_city].nunique() > (40 if len(duk) > 5000 else 20)
        status = duk["STATUS_DASAR"].str.upper()
        event = pd.to_datetime(duk["TGL_PERISTIWA"], format="%d-%m-%Y", errors="coerce")
        assert ((status == "HIDUP") == event.isna()).all()
        start, end = pd.Timestamp(period + "-01"), pd.Timestamp(reference_date(period))
        assert event.dropna().between(start, end).all(), "status changes happen in the period"
        assert (born <= end).all()


def test_dtsen_niks_codes_and_ranking_date(sample):
    for period in sample.periods:
        dts = read_extract(sample.file("dtsen", period).path)
        assert dts["NIK"].str.fullmatch(r"\d{16}").all()
        assert dts["NIK"].str[:6].isin(kecamatan_codes()).all()
        assert dts["KODE_WILAYAH"].isin(kelurahan_codes()).all()
        assert dts["KODE_WILAYAH"].str.startswith("32.75.").all()
        ref = reference_date(period)
        quarter = date(ref.year, 3 * ((ref.month - 1) // 3) + 1, 1).isoformat()
        ranked = dts["TGL_PEMERINGKATAN"].value_counts()
        assert ranked.index[0] == quarter and ranked.iloc[0] > 0.99 * len(dts)
        # every Dukcapil household shares one desil in DTSEN
        assert dts.groupby("NO_KK")["DESIL"].nunique().max() == 1


def test_bpjs_list(sample):
    for period in sample.periods:
        entries, _ = read_truth(sample.truth_root, period)
        bp = read_extract(sample.file("bpjstk", period).path)
        assert bp["KPJ"].str.fullmatch(r"\d{11}").all() and bp["KPJ"].is_unique
        malformed = ~bp["NIK"].str.fullmatch(r"\d{16}")
        planted = entries.loc[entries["case"].isin(PLANTED_BAD_NIK), "kpj"]
        assert set(bp.loc[malformed, "KPJ"]) == set(planted)
        aktif = pd.to_datetime(bp["TGL_AKTIF"])
        assert (aktif <= pd.Timestamp(reference_date(period))).all()
        payer = bp["SUMBER_IURAN"].str.upper().value_counts(normalize=True)
        assert payer.index[0] == "APBD_KOTA" and payer["APBD_KOTA"] > 0.7
        assert {"MANDIRI", "APBD_PROV", "CSR"} <= set(payer.index)
        city = bp[bp["SUMBER_IURAN"].str.upper() == "APBD_KOTA"]
        # after the first period, terminated KPJs turn NONAKTIF: in a small city the
        # planted terminations weigh (0.85 of 20,000 residents' second period)
        assert (city["STATUS_KEPESERTAAN"].str.upper() == "AKTIF").mean() > 0.8
        assert (city["TGL_AKTIF"] == "2025-11-05").mean() > 0.1, "many joined on SIGAP's launch day"
        # the money view's planted contribution (a higher declared income) aside
        other = bp["KPJ"].isin(entries.loc[entries["case"] == "money_iuran_different", "kpj"])
        assert other.any() and set(bp.loc[other, "IURAN_BULANAN"]) == {"21800"}
        assert set(bp.loc[other, "UPAH_DILAPORKAN"]) == {"1500000"}
        bp = bp[~other]
        assert set(bp["UPAH_DILAPORKAN"]) == {"1000000"}
        jht = bp["PROGRAM"].str.upper() == "JKK+JKM+JHT"
        assert (bp.loc[jht, "SUMBER_IURAN"].str.upper() == "MANDIRI").all()
        assert (bp.loc[jht, "IURAN_BULANAN"] == "36800").all()
        assert (bp.loc[~jht, "IURAN_BULANAN"] == "16800").all()


def _months(text: pd.Series) -> pd.Series:
    """``YYYY-MM`` as a month number (null for empty)."""
    when = pd.to_datetime(text.where(text != ""), format="%Y-%m")
    return when.dt.year * 12 + when.dt.month


def test_money_view_situations_are_planted(sample):
    """Last month paid (BULAN_IURAN_TERAKHIR): two to four months behind the period for
    the planted arrears, one to three ahead of the death for the planted deceased paid
    ahead; an active row is otherwise paid up to the period or the month before."""
    for k, period in enumerate(sample.periods):
        entries, _ = read_truth(sample.truth_root, period)
        bp = read_extract(sample.file("bpjstk", period).path)
        active = (bp["SUMBER_IURAN"].str.strip().str.upper() == "APBD_KOTA") & (
            bp["STATUS_KEPESERTAAN"].str.strip().str.upper() == "AKTIF"
        )
        behind = _months(pd.Series([period] * len(bp))) - _months(bp["BULAN_IURAN_TERAKHIR"])
        by_case = entries[entries["kpj"] != ""].set_index("kpj")["case"]
        case = bp["KPJ"].map(by_case).fillna("")
        arrears = active & (case == "money_arrears")
        assert arrears.any() and behind[arrears].between(2, 4).all()
        ahead = active & (case == "deceased_paid_ahead")
        assert ahead.any() == (k == 0)
        assert behind[ahead].between(-3, -1).all()
        usual = active & ~arrears & ~ahead & behind.notna()
        assert behind[usual].isin([0, 1]).all()


def test_text_is_messy_but_valid(medium_sample):
    manifest, _ = medium_sample
    period = manifest.periods[0]
    raw = {}
    for s in ("dukcapil", "dtsen", "bpjstk"):
        with gzip.open(manifest.file(s, period).path, "rt", encoding="utf-8-sig") as fh:
            raw[s] = pd.read_csv(fh, sep="|", dtype=str, keep_default_na=False)
    duk, bp = raw["dukcapil"], raw["bpjstk"]
    assert (duk["NAMA_LGKP"] != duk["NAMA_LGKP"].str.strip()).any(), "padded names"
    assert (duk["NAMA_LGKP"].str.strip() != duk["NAMA_LGKP"].str.upper().str.strip()).any(), (
        "mixed case"
    )
    assert duk["STATUS_DASAR"].str.strip().str.islower().any(), "hidup"
    status = bp["STATUS_KEPESERTAAN"]
    assert ((status != status.str.strip()) | ~status.str.isupper()).any(), " Aktif "
    assert (bp["NIK"] != bp["NIK"].str.strip()).any(), "padded BPJS NIKs"
    # never on numbers, dates or the registries' NIKs
    for col in ("NIK", "TGL_LHR", "NO_PROP", "NO_KEL"):
        assert (duk[col] == duk[col].str.strip()).all()


def test_row_counts_drift_little_between_periods(sample):
    for source in ("dukcapil", "dtsen", "bpjstk"):
        counts = [sample.file(source, p).rows for p in sample.periods]
        for a, b in itertools.pairwise(counts):
            assert abs(b - a) / a < 0.05, (source, counts)


def test_the_city_looks_like_bekasi(medium_sample):
    manifest, _ = medium_sample
    period = manifest.periods[0]
    duk = read_extract(manifest.file("dukcapil", period).path)
    dts = read_extract(manifest.file("dtsen", period).path)
    ref = reference_date(period)
    born = pd.to_datetime(duk["TGL_LHR"], format="%d-%m-%Y")
    age = (
        ref.year
        - born.dt.year
        - ((born.dt.month > ref.month) | ((born.dt.month == ref.month) & (born.dt.day > ref.day)))
    )
    assert 0.2 < (age < 15).mean() < 0.35
    assert 0.6 < ((age >= 15) & (age <= 65)).mean() < 0.75
    assert 0.03 < (age > 65).mean() < 0.1
    desil = dts["DESIL"].astype(int).value_counts(normalize=True)
    assert set(desil.index) == set(range(1, 11)) and desil.max() < 0.2
    pkh = (
        dts.assign(d=dts["DESIL"].astype(int))
        .groupby("d")["PENERIMA_PKH"]
        .apply(lambda s: (s.str.upper() == "Y").mean())
    )
    assert pkh.loc[1:3].min() > 0.2 and pkh.loc[6:10].max() < 0.05
    assert (dts["STATUS_KEBERADAAN"] == "1").mean() > 0.9
    family = duk.groupby("NO_KK").size()
    assert family.min() >= 1 and family.quantile(0.99) <= 6 and (family == 1).any()
    outside = ~duk["NIK"].str.startswith("3275")
    assert 0.05 < outside.mean() < 0.3, "some NIKs were first issued elsewhere"
    assert (duk["JENIS_KLMIN"] == "2").mean() == pytest.approx(0.5, abs=0.05)
    names = duk["NAMA_LGKP"].str.upper()
    assert (names.str.split().str.len() == 1).mean() > 0.05, "single-word names"
    assert names.str.contains("SIMANJUNTAK|SIREGAR|NASUTION|HARAHAP|LUBIS").any(), "Batak marga"
    assert names.str.contains("WIJAYA|GUNAWAN|HALIM|TANOTO").any(), (
        "Chinese-Indonesian family names"
    )
    occ = duk["JENIS_PKRJN"].astype(int)
    assert occ.isin([15, 5, 16, 17]).mean() > 0.1 and occ.isin([88, 8, 84, 19]).mean() > 0.1
    assert np.all(occ[age < 5] == 1)
