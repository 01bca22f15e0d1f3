"""Typed source frames for the domain's tests, as validation hands them over
(``docs/DESIGN.md``, "Typed frames"), built with ``domain`` only.

* :func:`dukcapil`, :func:`dtsen`, :func:`bpjstk`: small frames from row dicts over
  sensible defaults (a 42-year-old informal worker in 32.75.01.1001, desil 3);
* :func:`person`: one resident and, optionally, their city-paid BPJS row, as the
  three sources' dicts, for table-driven tests;
* :func:`synthetic_city`: a city of any size (millions of rows), vectorised, for scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PERIOD = "2026-10"  # reference date 2026-10-31

DUK_DEFAULT: dict[str, object] = {
    "NIK": "3275014101840001",
    "NO_KK": "3275010101100001",
    "NAMA_LGKP": "SITI AMINAH",
    "JENIS_KLMIN": 2,
    "TMPT_LHR": "BEKASI",
    "TGL_LHR": "1984-01-01",
    "STAT_KWN": 2,
    "JENIS_PKRJN": 84,  # PEDAGANG, INFORMAL
    "NO_PROP": 32,
    "NO_KAB": 75,
    "NO_KEC": 1,
    "NO_KEL": 1001,
    "ALAMAT": "JL. MAWAR 1",
    "NO_RT": 1,
    "NO_RW": 2,
    "STATUS_DASAR": "HIDUP",
    "TGL_PERISTIWA": None,
}
DTS_DEFAULT: dict[str, object] = {
    "NIK": "3275014101840001",
    "NO_KK": "3275010101100001",
    "NAMA": "SITI AMINAH",
    "KODE_WILAYAH": "32.75.01.1001",
    "DESIL": 3,
    "STATUS_PEKERJAAN": 1,
    "PENERIMA_PKH": False,
    "STATUS_KEBERADAAN": 1,
    "TGL_PEMERINGKATAN": "2026-07-01",
}
BPJS_DEFAULT: dict[str, object] = {
    "KPJ": "10000000001",
    "NIK": "3275014101840001",
    "NAMA": "SITI AMINAH",
    "TGL_LAHIR": "1984-01-01",
    "KATEGORI": "PKL",
    "PROGRAM": "JKK+JKM",
    "UPAH_DILAPORKAN": 1_000_000,
    "IURAN_BULANAN": 16_800,
    "SUMBER_IURAN": "APBD_KOTA",
    "TGL_AKTIF": "2025-11-05",
    "STATUS_KEPESERTAAN": "AKTIF",
    "BULAN_IURAN_TERAKHIR": "2026-09",
}


def _lines(frame: pd.DataFrame) -> pd.DataFrame:
    frame.insert(0, "_line", np.arange(2, len(frame) + 2, dtype="int64"))
    return frame


def dukcapil(rows: list[dict]) -> pd.DataFrame:
    frame = _lines(pd.DataFrame([{**DUK_DEFAULT, **r} for r in rows], columns=list(DUK_DEFAULT)))
    typed = frame.astype(
        {
            "NIK": "str", "NO_KK": "str", "NAMA_LGKP": "str", "JENIS_KLMIN": "int8",
            "TMPT_LHR": "str", "STAT_KWN": "int8", "JENIS_PKRJN": "int16",
            "NO_PROP": "int16", "NO_KAB": "int16", "NO_KEC": "int16", "NO_KEL": "int16",
            "ALAMAT": "str", "NO_RT": "Int16", "NO_RW": "Int16", "STATUS_DASAR": "str",
        }
    )  # fmt: skip
    typed["TGL_LHR"] = pd.to_datetime(typed["TGL_LHR"])
    typed["TGL_PERISTIWA"] = pd.to_datetime(typed["TGL_PERISTIWA"])
    typed["KODE_KELURAHAN"] = (
        typed["NO_PROP"].astype(str) + "." + typed["NO_KAB"].astype(str) + "."
        + typed["NO_KEC"].astype(str).str.zfill(2) + "." + typed["NO_KEL"].astype(str)
    )  # fmt: skip
    return typed


def dtsen(rows: list[dict]) -> pd.DataFrame:
    frame = _lines(pd.DataFrame([{**DTS_DEFAULT, **r} for r in rows], columns=list(DTS_DEFAULT)))
    typed = frame.astype(
        {
            "NIK": "str", "NO_KK": "str", "NAMA": "str", "KODE_WILAYAH": "str", "DESIL": "int8",
            "STATUS_PEKERJAAN": "Int8", "PENERIMA_PKH": "bool", "STATUS_KEBERADAAN": "int8",
        }
    )  # fmt: skip
    typed["TGL_PEMERINGKATAN"] = pd.to_datetime(typed["TGL_PEMERINGKATAN"])
    return typed


def bpjstk(rows: list[dict]) -> pd.DataFrame:
    frame = _lines(pd.DataFrame([{**BPJS_DEFAULT, **r} for r in rows], columns=list(BPJS_DEFAULT)))
    typed = frame.astype(
        {
            "KPJ": "str", "NIK": "str", "NAMA": "str", "KATEGORI": "str", "PROGRAM": "str",
            "UPAH_DILAPORKAN": "int64", "IURAN_BULANAN": "int64", "SUMBER_IURAN": "str",
            "STATUS_KEPESERTAAN": "str", "BULAN_IURAN_TERAKHIR": "str",
        }
    )  # fmt: skip
    typed["TGL_LAHIR"] = pd.to_datetime(typed["TGL_LAHIR"])
    typed["TGL_AKTIF"] = pd.to_datetime(typed["TGL_AKTIF"])
    return typed


@dataclass
class Person:
    """One person's rows in the three sources (``None``: absent from that source)."""

    duk: dict | None
    dts: dict | None
    bpjs: list[dict]


def person(
    nik: str = "3275014101840001",
    *,
    kpj: str | None = "10000000001",
    duk: dict | None = None,
    dts: dict | None = None,
    bpjs: dict | None = None,
    in_dukcapil: bool = True,
    in_dtsen: bool = True,
) -> Person:
    """A resident (Dukcapil + DTSEN rows) and, when ``kpj`` is given, their city-paid
    active BPJS row; ``duk``/``dts``/``bpjs`` override fields of each."""
    return Person(
        duk={"NIK": nik, **(duk or {})} if in_dukcapil else None,
        dts={"NIK": nik, **(dts or {})} if in_dtsen else None,
        bpjs=[{"NIK": nik, "KPJ": kpj, **(bpjs or {})}] if kpj else [],
    )


def sources(people: list[Person], extra_bpjs: list[dict] | None = None) -> dict[str, pd.DataFrame]:
    """The three typed frames of a list of people."""
    return {
        "dukcapil": dukcapil([p.duk for p in people if p.duk is not None]),
        "dtsen": dtsen([p.dts for p in people if p.dts is not None]),
        "bpjstk": bpjstk([row for p in people for row in p.bpjs] + list(extra_bpjs or [])),
    }


# -- a whole city, vectorised ----------------------------------------------------------
_FIRST = np.array(
    ["SITI", "AHMAD", "DEWI", "BUDI", "RINA", "AGUS", "NUR", "HENDRA", "SRI", "JOKO",
     "YULI", "ANDI", "FITRI", "DEDI", "LINA", "RUDI", "WATI", "EKO", "MAYA", "IWAN"]
)  # fmt: skip
_LAST = np.array(
    ["AMINAH", "SUBARJO", "LESTARI", "SANTOSO", "MARLINA", "SETIAWAN", "HAYATI", "GUNAWAN",
     "RAHAYU", "WIDODO", "KURNIASIH", "PRATAMA", "HANDAYANI", "SUPRIYADI", "WULANDARI",
     "HIDAYAT", "SARI", "SAPUTRA", "PERMATA", "KUSUMA", "NUGROHO", "PURNAMA", "SAFITRI"]
)  # fmt: skip


def synthetic_city(residents: int, participants: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """A city of ``residents`` (Dukcapil; DTSEN for ~97 %) and a BPJS list of
    ``participants`` city-paid active rows plus other payers, with the rule book's
    situations mixed in at realistic rates (deaths, moves, typos, duplicates...).
    Built with numpy/pandas column operations only: 2.6 million rows take seconds."""
    rng = np.random.default_rng(seed)
    n = residents
    sex = rng.integers(1, 3, n).astype("int8")
    birth = np.datetime64("1940-01-01") + rng.integers(0, 365 * 70, n).astype("timedelta64[D]")
    bdate = pd.DatetimeIndex(birth)
    kec = rng.integers(1, 13, n).astype("int16")
    day = bdate.day.to_numpy() + np.where(sex == 2, 40, 0)
    # unique NIKs: region + DDMMYY + serial; the serial is the position among equals
    stem = (
        (327500 + kec.astype(np.int64)) * 10**10
        + day.astype(np.int64) * 10**8
        + bdate.month.to_numpy().astype(np.int64) * 10**6
        + (bdate.year.to_numpy() % 100).astype(np.int64) * 10**4
    )
    order = np.argsort(stem, kind="stable")
    sorted_stem = stem[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_stem)) + 1]
    run = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    serial = np.empty(n, dtype=np.int64)
    serial[order] = run + 1
    nik = pd.Series((stem + serial).astype(str), dtype="str")
    names = (
        pd.Series(_FIRST[rng.integers(0, len(_FIRST), n)], dtype="str")
        + " "
        + pd.Series(_LAST[rng.integers(0, len(_LAST), n)], dtype="str")
    )
    status = np.where(
        rng.random(n) < 0.01, "MATI", np.where(rng.random(n) < 0.01, "PINDAH", "HIDUP")
    )
    event = np.where(status != "HIDUP", np.datetime64("2026-10-10"), np.datetime64("NaT"))
    occupation = rng.choice(np.array([84, 88, 19, 1, 2, 15, 5, 3, 81, 89], dtype="int16"), n)
    prop = np.full(n, 32, dtype="int16")
    kab = np.where(rng.random(n) < 0.005, 16, 75).astype("int16")
    kel = (1000 + rng.integers(1, 8, n)).astype("int16")
    duk = pd.DataFrame(
        {
            "_line": np.arange(2, n + 2, dtype=np.int64),
            "NIK": nik,
            "NO_KK": nik,
            "NAMA_LGKP": names,
            "JENIS_KLMIN": sex,
            "TMPT_LHR": pd.Series(np.full(n, "BEKASI"), dtype="str"),
            "TGL_LHR": birth,
            "STAT_KWN": np.ones(n, dtype="int8"),
            "JENIS_PKRJN": occupation,
            "NO_PROP": prop,
            "NO_KAB": kab,
            "NO_KEC": kec,
            "NO_KEL": kel,
            "STATUS_DASAR": pd.Series(status, dtype="str"),
            "TGL_PERISTIWA": pd.to_datetime(event),
        }
    )
    duk["KODE_KELURAHAN"] = (
        "32." + duk["NO_KAB"].astype("str") + "." + duk["NO_KEC"].astype("str").str.zfill(2)
        + "." + duk["NO_KEL"].astype("str")
    )  # fmt: skip

    in_dtsen = rng.random(n) < 0.97
    dt_rows = np.flatnonzero(in_dtsen)
    m = len(dt_rows)
    dts = (
        pd.DataFrame(
            {
                "_line": np.arange(2, m + 2, dtype=np.int64),
                "NIK": nik.iloc[dt_rows].reset_index(drop=True),
                "NO_KK": nik.iloc[dt_rows].reset_index(drop=True),
                "NAMA": names.iloc[dt_rows].reset_index(drop=True),
                "KODE_WILAYAH": duk["KODE_KELURAHAN"].iloc[dt_rows].reset_index(drop=True),
                "DESIL": rng.integers(1, 11, m).astype("int8"),
                "STATUS_PEKERJAAN": pd.array(rng.integers(1, 9, m), dtype="Int8"),
                "PENERIMA_PKH": rng.random(m) < 0.15,
                "STATUS_KEBERADAAN": np.where(rng.random(m) < 0.01, 2, 1).astype("int8"),
                "TGL_PEMERINGKATAN": np.full(m, np.datetime64("2026-07-01", "ns")),
            }
        )
        .sample(frac=1.0, random_state=seed)
        .reset_index(drop=True)
    )

    # participants: mostly real residents, some with typos, some unknown NIKs
    p = participants
    who = rng.choice(n, p, replace=False)
    p_nik = nik.iloc[who].reset_index(drop=True)
    typo = rng.random(p) < 0.01
    # a mistyped serial digit: one substitution away from the real NIK
    digit = pd.to_numeric(p_nik.str[14]).astype("int64")
    mistyped = p_nik.str[:14] + ((digit + 1) % 10).astype("str") + p_nik.str[15:]
    p_nik = p_nik.where(~typo, mistyped)
    unknown = rng.random(p) < 0.005
    p_nik = p_nik.where(~unknown, "3275" + pd.Series(rng.integers(10**11, 10**12, p).astype(str)))
    dup = rng.random(p) < 0.002
    p_nik = p_nik.where(~dup, p_nik.shift(1).fillna(p_nik))
    others = max(1, p // 10)
    o_who = rng.choice(n, others, replace=False)
    kpj = pd.Series((10**10 + np.arange(p + others)).astype(str), dtype="str")
    bp = pd.DataFrame(
        {
            "KPJ": kpj,
            "NIK": pd.concat([p_nik, nik.iloc[o_who]], ignore_index=True).astype("str"),
            "NAMA": pd.concat([names.iloc[who], names.iloc[o_who]], ignore_index=True).astype(
                "str"
            ),
            "TGL_LAHIR": np.concatenate([birth[who], birth[o_who]]),
            "KATEGORI": pd.Series(
                rng.choice(np.array(["PKL", "OJOL", "RT_RW", "UMKM"]), p + others), dtype="str"
            ),
            "PROGRAM": pd.Series(["JKK+JKM"] * (p + others), dtype="str"),
            "UPAH_DILAPORKAN": np.full(p + others, 1_000_000, dtype=np.int64),
            "IURAN_BULANAN": np.full(p + others, 16_800, dtype=np.int64),
            "SUMBER_IURAN": pd.Series(
                np.r_[
                    np.full(p, "APBD_KOTA"),
                    rng.choice(np.array(["MANDIRI", "CSR", "APBD_PROV"]), others),
                ],
                dtype="str",
            ),
            "TGL_AKTIF": np.datetime64("2025-11-05")
            - rng.integers(0, 2000, p + others).astype("timedelta64[D]"),
            "STATUS_KEPESERTAAN": pd.Series(
                np.where(rng.random(p + others) < 0.98, "AKTIF", "NONAKTIF"), dtype="str"
            ),
            "BULAN_IURAN_TERAKHIR": pd.Series(["2026-09"] * (p + others), dtype="str"),
        }
    )
    bp.insert(0, "_line", np.arange(2, len(bp) + 2, dtype=np.int64))
    return {"dukcapil": duk, "dtsen": dts, "bpjstk": bp}
