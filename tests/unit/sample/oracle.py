"""An independent reading of a generated sample, for checking its ground truth.

It reads the extract *files* as a consumer would (gzip, BOM, CRLF, padding, case) and
applies PROGRAM.md's rules directly, with its own name normaliser and NIK edit distance
(neither the generator's nor the domain's code). Tests compare its conclusions with
``truth/YYYY-MM/entries.csv`` and ``changes.csv``. Slow-ish pure pandas: for samples of
tens of thousands of people only.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from rapidfuzz.distance import JaroWinkler

from domain.periods import reference_date
from domain.reference import occupations

CITY = ("32", "75")
MAX_DESIL, MIN_AGE, MAX_AGE = 5, 15, 65
TYPO_SIM, MISMATCH_SIM = 0.90, 0.85
TERMINATE = {
    "DECEASED",
    "MOVED_OUT",
    "AGE_ABOVE_LIMIT",
    "DUPLICATE_ENROLLMENT",
    "TERMINATION_PENDING",
}


def read_extract(path: Path) -> pd.DataFrame:
    """Every column as stripped text; BOM and CRLF tolerated."""
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
        frame = pd.read_csv(fh, sep="|", dtype=str, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    return frame.apply(lambda s: s.str.strip())


def norm(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    text = re.sub(r"(?<![A-Z])(HJ|H|DRS)\.", " ", text)
    text = re.sub(r"(?<![A-Z])S\.\s?(KOM|PD|E)\.?", " ", text)
    return " ".join(re.sub(r"[^A-Z]+", " ", text).split())


def sim(a: str, b: str) -> float:
    na, nb = norm(a), norm(b)
    return 0.0 if not na or not nb else JaroWinkler.normalized_similarity(na, nb)


def edits(a: str, b: str) -> int:
    """Substitutions and adjacent transpositions between equal-length strings."""
    if len(a) != len(b):
        return 99
    i, n = 0, 0
    while i < len(a):
        if a[i] == b[i]:
            i += 1
        elif i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 1] != b[i + 1]:
            n, i = n + 1, i + 2
        else:
            n, i = n + 1, i + 1
    return n


def age(born: date, ref: date) -> int:
    return ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))


@dataclass
class Period:
    period: str
    dukcapil: pd.DataFrame
    dtsen: pd.DataFrame
    bpjs: pd.DataFrame

    @classmethod
    def load(cls, sftp_root: Path, period: str) -> Period:
        y, m = period.split("-")
        ym = y + m
        duk = read_extract(sftp_root / f"dukcapil/{y}/{m}/DUKCAPIL_3275_{ym}.csv.gz")
        dts = read_extract(sftp_root / f"dtsen/{y}/{m}/DTSEN_3275_{ym}.csv.gz")
        bp = read_extract(sftp_root / f"bpjstk/{y}/{m}/BPJSTK_BPU_3275_{ym}.csv.gz")
        duk["STATUS_DASAR"] = duk["STATUS_DASAR"].str.upper()
        duk["born"] = pd.to_datetime(duk["TGL_LHR"], format="%d-%m-%Y").dt.date
        duk["died"] = pd.to_datetime(
            duk["TGL_PERISTIWA"], format="%d-%m-%Y", errors="coerce"
        ).dt.date
        duk["KEL"] = (
            duk["NO_PROP"].str.zfill(2) + "." + duk["NO_KAB"].str.zfill(2) + "."
            + duk["NO_KEC"].str.zfill(2) + "." + duk["NO_KEL"].str.zfill(4)
        )  # fmt: skip
        for col in ("SUMBER_IURAN", "STATUS_KEPESERTAAN", "KATEGORI", "PROGRAM"):
            bp[col] = bp[col].str.upper()
        bp["born"] = pd.to_datetime(bp["TGL_LAHIR"], format="%Y-%m-%d").dt.date
        bp["aktif"] = pd.to_datetime(bp["TGL_AKTIF"], format="%Y-%m-%d").dt.date
        return cls(period, duk.set_index("NIK", drop=False), dts.set_index("NIK", drop=False), bp)

    @property
    def ref(self) -> date:
        return reference_date(self.period)

    def participants(self) -> pd.DataFrame:
        b = self.bpjs
        return b[(b["SUMBER_IURAN"] == "APBD_KOTA") & (b["STATUS_KEPESERTAAN"] == "AKTIF")]

    def covered(self) -> set[str]:
        b = self.bpjs
        return set(b.loc[b["STATUS_KEPESERTAAN"] == "AKTIF", "NIK"])

    def eligible_uncovered(self) -> set[str]:
        """NIKs of eligible residents with no AKTIF BPU row (ENROLL or WAITLIST)."""
        groups = occupations().set_index("kode")["kelompok"].to_dict()
        duk = self.dukcapil
        ok = (
            (duk["STATUS_DASAR"] == "HIDUP")
            & (duk["NO_PROP"] == CITY[0])
            & (duk["NO_KAB"] == CITY[1])
        )
        ok &= duk["JENIS_PKRJN"].astype(int).map(groups).eq("INFORMAL")
        born = pd.to_datetime(duk["born"])
        ref = self.ref
        ages = (
            ref.year
            - born.dt.year
            - (
                (born.dt.month > ref.month)
                | ((born.dt.month == ref.month) & (born.dt.day > ref.day))
            )
        )
        ok &= (ages >= MIN_AGE) & (ages <= MAX_AGE)
        dts = self.dtsen.reindex(duk.index)
        ok &= dts["DESIL"].fillna("99").astype(int).le(MAX_DESIL)
        ok &= dts["STATUS_KEBERADAAN"].fillna("0").eq("1")
        return set(duk.index[ok]) - self.covered()


def expected_participants(
    cur: Period, terminated_before: set[str]
) -> dict[str, tuple[str, str, str]]:
    """KPJ -> (decision, ';'-joined sorted reasons, suggested NIK) by the rule book."""
    groups = occupations().set_index("kode")["kelompok"].to_dict()
    part = cur.participants()
    others = cur.bpjs[
        (cur.bpjs["SUMBER_IURAN"] != "APBD_KOTA") & (cur.bpjs["STATUS_KEPESERTAAN"] == "AKTIF")
    ]
    other_niks = set(others["NIK"])
    first = part.sort_values(["aktif", "KPJ"]).groupby("NIK")["KPJ"].first()
    counts = part["NIK"].value_counts()
    duk, dts = cur.dukcapil, cur.dtsen
    unmatched_born = set(part.loc[~part["NIK"].isin(duk.index), "born"])
    near = duk[duk["born"].isin(unmatched_born)]
    by_born: dict[date, pd.DataFrame] = {b: g for b, g in near.groupby("born")}
    out: dict[str, tuple[str, str, str]] = {}
    for row in part.itertuples(index=False):
        nik, reasons, suggested = row.NIK, set(), ""
        if counts[nik] > 1 and first[nik] != row.KPJ:
            reasons.add("DUPLICATE_ENROLLMENT")
        if nik in other_niks:
            reasons.add("DOUBLE_FUNDED")
        if row.KPJ in terminated_before:
            reasons.add("TERMINATION_PENDING")
        if nik in duk.index:
            d = duk.loc[nik]
            if d["STATUS_DASAR"] == "MATI":
                reasons.add("DECEASED")
                if d["died"] >= row.aktif:
                    reasons.add("JKM_CLAIM_ALERT")
            if d["STATUS_DASAR"] == "PINDAH" or (d["NO_PROP"], d["NO_KAB"]) != CITY:
                reasons.add("MOVED_OUT")
            if age(d["born"], cur.ref) > MAX_AGE:
                reasons.add("AGE_ABOVE_LIMIT")
            if d["born"] != row.born or sim(d["NAMA_LGKP"], row.NAMA) < MISMATCH_SIM:
                reasons.add("IDENTITY_MISMATCH")
            if groups[int(d["JENIS_PKRJN"])] == "FORMAL":
                reasons.add("FORMAL_OCCUPATION")
            if nik not in dts.index:
                reasons.add("NOT_IN_DTSEN")
            else:
                t = dts.loc[nik]
                if int(t["DESIL"]) > MAX_DESIL:
                    reasons.add("DESIL_ABOVE_LIMIT")
                if t["STATUS_KEBERADAAN"] == "2" and d["STATUS_DASAR"] == "HIDUP":
                    reasons.add("REPORTED_DECEASED")
        else:
            same_day = by_born.get(row.born)
            hits = []
            if same_day is not None:
                for cand in same_day.itertuples(index=False):
                    if edits(nik, cand.NIK) <= 2 and sim(cand.NAMA_LGKP, row.NAMA) >= TYPO_SIM:
                        hits.append(cand.NIK)
            if len(hits) == 1:
                reasons.add("NIK_PROBABLE_TYPO")
                suggested = hits[0]
            else:
                reasons.add("NIK_NOT_FOUND")
        decided = [r for r in reasons if r != "JKM_CLAIM_ALERT"]
        decision = "TERMINATE" if set(decided) & TERMINATE else "REVERIFY" if decided else "KEEP"
        out[row.KPJ] = (decision, ";".join(sorted(reasons)), suggested)
    return out


def expected_changes(
    prev: Period, cur: Period, scope: set[str]
) -> set[tuple[str, str, str, str, str]]:
    """Changes of people in ``scope`` between two periods, by the contract's fields."""
    out: set[tuple[str, str, str, str, str]] = set()

    def add(frame: pd.DataFrame, kind: str, before: str, after: str, source: str) -> None:
        for nik, x, y in zip(frame["NIK"], frame[before], frame[after]):
            out.add((nik, kind, str(x), str(y), source))

    b = prev.dukcapil[prev.dukcapil["NIK"].isin(scope)].reset_index(drop=True)
    c = cur.dukcapil[cur.dukcapil["NIK"].isin(scope)].reset_index(drop=True)
    m = b.merge(c, on="NIK", suffixes=("_b", "_c"))
    st_b, st_c = m["STATUS_DASAR_b"], m["STATUS_DASAR_c"]
    add(
        m[(st_c == "MATI") & (st_b != "MATI")],
        "DIED",
        "STATUS_DASAR_b",
        "STATUS_DASAR_c",
        "dukcapil",
    )
    add(
        m[(st_c == "PINDAH") & (st_b != "PINDAH")],
        "MOVED_OUT",
        "STATUS_DASAR_b",
        "STATUS_DASAR_c",
        "dukcapil",
    )
    in_b = (m["NO_PROP_b"] == CITY[0]) & (m["NO_KAB_b"] == CITY[1])
    in_c = (m["NO_PROP_c"] == CITY[0]) & (m["NO_KAB_c"] == CITY[1])
    add(m[in_b & ~in_c], "MOVED_OUT", "KEL_b", "KEL_c", "dukcapil")
    add(
        m[in_b & in_c & (m["KEL_b"] != m["KEL_c"])],
        "MOVED_WITHIN_CITY",
        "KEL_b",
        "KEL_c",
        "dukcapil",
    )
    add(m[m["NO_KK_b"] != m["NO_KK_c"]], "KK_CHANGED", "NO_KK_b", "NO_KK_c", "dukcapil")
    light = lambda s: s.str.upper().str.split().str.join(" ")
    add(
        m[light(m["NAMA_LGKP_b"]) != light(m["NAMA_LGKP_c"])],
        "NAME_CHANGED",
        "NAMA_LGKP_b",
        "NAMA_LGKP_c",
        "dukcapil",
    )
    born = m[m["born_b"] != m["born_c"]].assign(
        iso_b=lambda f: f["born_b"].map(date.isoformat),
        iso_c=lambda f: f["born_c"].map(date.isoformat),
    )
    add(born, "BIRTH_DATE_CHANGED", "iso_b", "iso_c", "dukcapil")
    add(
        m[m["JENIS_PKRJN_b"] != m["JENIS_PKRJN_c"]],
        "OCCUPATION_CHANGED",
        "JENIS_PKRJN_b",
        "JENIS_PKRJN_c",
        "dukcapil",
    )
    gone = b[~b["NIK"].isin(c["NIK"]) & ~b["STATUS_DASAR"].isin(["MATI", "PINDAH"])].assign(
        after=""
    )
    add(gone, "DISAPPEARED", "KEL", "after", "dukcapil")

    bt = prev.dtsen[prev.dtsen["NIK"].isin(scope)].reset_index(drop=True)
    ct = cur.dtsen[cur.dtsen["NIK"].isin(scope)].reset_index(drop=True)
    mt = bt.merge(ct, on="NIK", suffixes=("_b", "_c"))
    add(mt[mt["DESIL_b"] != mt["DESIL_c"]], "DESIL_CHANGED", "DESIL_b", "DESIL_c", "dtsen")
    leaving = set(prev.dukcapil.index[prev.dukcapil["STATUS_DASAR"].isin(["MATI", "PINDAH"])])
    leaving |= set(cur.dukcapil.index[cur.dukcapil["STATUS_DASAR"].isin(["MATI", "PINDAH"])])
    gone_t = bt[~bt["NIK"].isin(ct["NIK"]) & ~bt["NIK"].isin(leaving)].assign(after="")
    add(gone_t, "DISAPPEARED", "KODE_WILAYAH", "after", "dtsen")
    return out
