"""Kelurahan worklists: the open re-verification cases, one table per kelurahan, in
Bahasa Indonesia, ready to print (``verifikasi/<kode_kelurahan>/worklist_YYYYMM_vN.csv``).

Worklists are deliverables: they carry full NIKs and names (docs/DESIGN.md). The officer
fills the last columns (``Hasil``, ``NIK Baru``, ``Catatan``, ``Petugas``, ``Tanggal
Verifikasi``); together with ``ID Kasus`` and ``NIK`` they are the columns of the results
file ``HASIL_VERIFIKASI_YYYYMM.csv`` (contracts/EXTRACTS.md).

:data:`REASON_DESCRIPTIONS_ID` describes every reason code (``domain.codes.Reason``) and
change code (``domain.codes.ChangeType``) in Indonesian, from the text catalogue
(``domain.texts``); the ``Bukti`` column is the case's evidence rendered in Bahasa Indonesia
(:func:`domain.explain.translate_evidence`), the registry keeping it in English.
"""

from __future__ import annotations

import pandas as pd

from core.errors import InvalidInput
from domain.cases import has_kpj, join_per_key, opened_period, person_key, split_codes
from domain.changes import text_isin
from domain.codes import CaseStatus, ChangeType, Reason
from domain.explain import translate_evidence
from domain.periods import parse_period
from domain.reference import city_kelurahan
from domain.texts import Lang, describe

#: the key of the worklist of cases whose kelurahan is unknown (e.g. NIK_NOT_FOUND)
UNKNOWN_KELURAHAN = "TIDAK_DIKETAHUI"

#: Indonesian description of every reason and change code, keyed by the code's text, from
#: the catalogue (``domain.texts``; ``MOVED_OUT`` is both a reason and a change type: the
#: reason's description)
REASON_DESCRIPTIONS_ID: dict[str, str] = {
    **describe("change", [c.value for c in ChangeType], Lang.ID),
    **describe("reason", [r.value for r in Reason], Lang.ID),
}

RESULT_COLUMN = "Hasil (LAYAK / TIDAK_LAYAK / NIK_DIKOREKSI)"
#: the columns of a worklist, in order (``Alamat`` only when an address is available)
WORKLIST_COLUMNS: tuple[str, ...] = (
    "No",
    "ID Kasus",
    "NIK",
    "Nama",
    "No. KPJ",
    "Alamat",
    "Alasan Verifikasi",
    "Bukti",
    "Dibuka Sejak",
    "Lama Terbuka (bulan)",
    RESULT_COLUMN,
    "NIK Baru",
    "Catatan",
    "Petugas",
    "Tanggal Verifikasi",
)

BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def period_label(period: pd.Series) -> pd.Series:
    """``2026-10`` -> ``Oktober 2026`` (null stays null)."""
    p = period.astype("str")
    month = pd.to_numeric(p.str[5:7], errors="coerce")
    name = month.map(dict(enumerate(BULAN, start=1)))
    return (name + " " + p.str[:4]).astype("str")


def describe_reasons(codes: pd.Series, desil: pd.Series, suggested_nik: pd.Series) -> pd.Series:
    """``;``-joined codes -> Indonesian descriptions joined by ``; `` (same index).

    ``DESIL_ABOVE_LIMIT`` names the desil (``Desil DTSEN di atas batas (desil 7)``) and
    ``NIK_PROBABLE_TYPO`` the suggested NIK when known; an unknown code is shown as is.
    """
    long = split_codes(codes)
    text = long.map(REASON_DESCRIPTIONS_ID).fillna(long).astype("str")
    d = desil.reindex(long.index)
    with_desil = (long == Reason.DESIL_ABOVE_LIMIT.value) & d.notna()
    text = text.where(~with_desil, text + " (desil " + d.astype("Int64").astype("str") + ")")
    s = suggested_nik.reindex(long.index).astype("str")
    with_nik = (long == Reason.NIK_PROBABLE_TYPO.value) & s.notna() & (s != "")
    text = text.where(~with_nik, text + " (usulan NIK: " + s + ")")
    joined = join_per_key(pd.Series(text.index), text.reset_index(drop=True), "; ")
    return joined.reindex(codes.index).astype("str").fillna("")


def address_text(alamat: pd.Series, rt: pd.Series, rw: pd.Series) -> pd.Series:
    """``JL. MAWAR NO. 5 RT 003/RW 012`` from Dukcapil's ``ALAMAT``, ``NO_RT``, ``NO_RW``
    (missing parts left out), for the officers' worklists."""
    street = alamat.astype("str").fillna("").str.strip()
    rt_text = pd.to_numeric(rt, errors="coerce").astype("Int64").astype("str").str.zfill(3)
    rw_text = pd.to_numeric(rw, errors="coerce").astype("Int64").astype("str").str.zfill(3)
    rt_part = ("RT " + rt_text).where(rt.notna(), "")
    rw_part = ("RW " + rw_text).where(rw.notna(), "")
    neighbourhood = (rt_part + "/" + rw_part).str.strip("/")
    return (street + " " + neighbourhood).str.strip()


def worklists(
    cases: pd.DataFrame, entries: pd.DataFrame, period: str, version: int
) -> dict[str, pd.DataFrame]:
    """One printable worklist per kelurahan of the open cases.

    ``cases``: open cases (``case_id``, ``nik``, ``kpj``, ``kode_kelurahan``, ``triggers``;
    optional ``evidence``, ``periods_open``, ``status`` (only OPEN rows are listed),
    ``opened_period`` (else read from the case id), ``nama``, ``alamat``); ``entries``:
    this period's reconciliation entries, for the name, desil, suggested NIK and (when the
    entries carry one) ``alamat``.

    Returns ``{kode_kelurahan: frame}`` (``TIDAK_DIKETAHUI`` for an unknown kelurahan),
    each frame with :data:`WORKLIST_COLUMNS` (``Alamat`` only when available), sorted by
    case age (oldest first) then name, numbered from 1. ``frame.attrs`` carries
    ``kode_kelurahan``, ``nama_kelurahan``, ``nama_kecamatan``, ``period``, ``version``
    and a printable ``judul`` (title).
    """
    parse_period(period)
    missing = [
        c for c in ("case_id", "nik", "kpj", "kode_kelurahan", "triggers") if c not in cases.columns
    ]
    if missing:
        raise InvalidInput(f"cases lacks column(s) {', '.join(missing)}")
    c = cases.reset_index(drop=True)
    if "status" in c.columns:
        c = c[c["status"] == CaseStatus.OPEN].reset_index(drop=True)
    if c.empty:
        return {}

    # the person as reconciled this period: by person key, else by NIK
    e = entries.reset_index(drop=True)
    e = e.assign(_key=person_key(e["kpj"], e["nik"])).drop_duplicates("_key").set_index("_key")
    by_nik = e.reset_index().drop_duplicates("nik").set_index("nik")
    key = person_key(c["kpj"], c["nik"])

    def lookup(column: str) -> pd.Series:
        if column not in e.columns:
            return pd.Series(pd.NA, index=c.index)
        first = key.map(e[column])
        return first.where(text_isin(key, e.index), c["nik"].map(by_nik[column]))

    nama = c["nama"] if "nama" in c.columns else pd.Series(pd.NA, index=c.index)
    nama = nama.astype("str").fillna(lookup("nama").astype("str"))
    alamat = None
    if "alamat" in c.columns:
        alamat = c["alamat"].astype("str")
    elif "alamat" in e.columns:
        alamat = lookup("alamat").astype("str")

    opened = (
        c["opened_period"].astype("str")
        if "opened_period" in c.columns
        else opened_period(c["case_id"])
    )
    if "periods_open" in c.columns:
        age = pd.to_numeric(c["periods_open"], errors="coerce").astype("Int64")
    else:
        year, month = parse_period(period)
        oy = pd.to_numeric(opened.str[:4], errors="coerce")
        om = pd.to_numeric(opened.str[5:7], errors="coerce")
        age = ((year - oy) * 12 + (month - om) + 1).astype("Int64")

    kel = c["kode_kelurahan"].astype("str")
    kel = kel.where(kel.notna() & (kel.str.strip() != ""), UNKNOWN_KELURAHAN)
    empty = pd.Series("", index=c.index, dtype="str")
    table = pd.DataFrame(
        {
            "ID Kasus": c["case_id"].astype("str"),
            "NIK": c["nik"].astype("str"),
            "Nama": nama.fillna(""),
            "No. KPJ": c["kpj"].astype("str").where(has_kpj(c["kpj"]), ""),
            "Alamat": alamat.fillna("") if alamat is not None else empty,
            "Alasan Verifikasi": describe_reasons(
                c["triggers"], lookup("desil"), lookup("suggested_nik")
            ),
            # the registry's evidence is English (its readers depend on it): in words here
            "Bukti": (
                translate_evidence(c["evidence"], Lang.ID) if "evidence" in c.columns else empty
            ),
            "Dibuka Sejak": period_label(opened).fillna(""),
            "Lama Terbuka (bulan)": age,
            RESULT_COLUMN: empty,
            "NIK Baru": empty,
            "Catatan": empty,
            "Petugas": empty,
            "Tanggal Verifikasi": empty,
        }
    )
    columns = [col for col in WORKLIST_COLUMNS if col != "No"]
    if alamat is None:
        columns.remove("Alamat")
    names = city_kelurahan().set_index("kode_kelurahan")

    # one sort for the whole city (oldest case first, then name), then one sheet per
    # kelurahan: grouping keeps that order within each group
    ordered = table.assign(_kel=kel).sort_values(
        ["_kel", "Lama Terbuka (bulan)", "Nama", "ID Kasus"],
        ascending=[True, False, True, True],
        kind="stable",
        na_position="last",
    )
    label = period_label(pd.Series([period])).iloc[0]
    out: dict[str, pd.DataFrame] = {}
    for code, rows in ordered.groupby("_kel", sort=True):  # one iteration per kelurahan
        sheet = rows[columns].reset_index(drop=True)
        sheet.insert(0, "No", range(1, len(sheet) + 1))
        sheet.attrs = _heading(str(code), names, period, version, label)
        out[str(code)] = sheet
    return out


def _heading(
    code: str, names: pd.DataFrame, period: str, version: int, label: str
) -> dict[str, object]:
    known = code in names.index
    kel = names.loc[code, "nama_kelurahan"] if known else "Tidak diketahui"
    kec = names.loc[code, "nama_kecamatan"] if known else "-"
    return {
        "kode_kelurahan": code,
        "nama_kelurahan": kel,
        "nama_kecamatan": kec,
        "period": period,
        "version": version,
        "judul": (
            f"Daftar Verifikasi Ulang Peserta SIGAP - Kelurahan {kel} ({code}), "
            f"Kecamatan {kec} - Periode {label} (versi {version})"
        ),
    }


def reverification_triggers(changes: pd.DataFrame) -> int:
    """How many of the period's population changes call for re-verification."""
    return int(changes["triggers_reverification"].sum()) if len(changes) else 0


def worklists_due(opened: int, seen: int, triggers: int) -> bool:
    """Whether a release owes the kelurahan worklists: cases were ``opened`` or ``seen``
    again, or population changes call for re-verification (``triggers``) (then the re-verification step runs and
    writes ``verifikasi/<kelurahan>/worklist_YYYYMM_vN.csv``)."""
    return bool(opened or seen or triggers)
