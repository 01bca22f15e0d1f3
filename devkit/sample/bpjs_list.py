"""The BPJS Ketenagakerjaan BPU list: one row per KPJ, whoever pays.

Rows are kept in a small pandas frame (tens of thousands of rows). Each row knows the
period index it first appears in (``first``), so a later period's new registrations can be
prepared at generation time; ``status``/``bulan`` are updated as periods go by.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from core.errors import InvalidInput
from domain.extracts import KATEGORI

LAUNCH = date(2025, 11, 5)  # SIGAP launch: 11,666 participants added that day
UPAH = 1_000_000
IURAN_JKK_JKM = 16_800
IURAN_WITH_JHT = 36_800  # + JHT 2% of Rp1,000,000

#: categories of the participants the city paid before SIGAP (RT/RW heads, cadres, honorary staff)
PRE_SIGAP_KATEGORI = (("RT_RW", 0.45), ("KADER_POSYANDU", 0.3), ("HONORER", 0.25))
#: categories of SIGAP's own target groups
SIGAP_KATEGORI = (
    ("OJOL", 0.2), ("PKL", 0.18), ("UMKM", 0.15), ("PKH", 0.12), ("BURUH_HARIAN", 0.12),
    ("PRT", 0.07), ("ORGANDA", 0.06), ("PEMULUNG", 0.05), ("LAINNYA", 0.05),
)  # fmt: skip

COLUMNS = (
    "kpj", "pid", "nik", "nama", "dob", "kategori", "program", "upah", "iuran", "sumber",
    "aktif", "status", "bulan", "first", "paid_offset",
)  # fmt: skip
#: columns :meth:`BpjsList.add` fills in when a frame lacks them
DEFAULTS = {"paid_offset": pd.NA}


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpj": pd.Series([], dtype="int64"),
            "pid": pd.Series([], dtype="int64"),
            "nik": pd.Series([], dtype=object),
            "nama": pd.Series([], dtype=object),
            "dob": pd.Series([], dtype="int32"),
            "kategori": pd.Series([], dtype=object),
            "program": pd.Series([], dtype=object),
            "upah": pd.Series([], dtype="int64"),
            "iuran": pd.Series([], dtype="int64"),
            "sumber": pd.Series([], dtype=object),
            "aktif": pd.Series([], dtype="int32"),
            "status": pd.Series([], dtype=object),
            "bulan": pd.Series([], dtype=object),
            "first": pd.Series([], dtype="int16"),
            # an active row's BULAN_IURAN_TERAKHIR is the period plus this many months
            # (negative: in arrears, positive: paid ahead); null: the writer's usual rule
            "paid_offset": pd.Series([], dtype="Int16"),
        }
    )


def draw_kategori(
    rng: np.random.Generator, n: int, pre_sigap: np.ndarray, sex: np.ndarray
) -> np.ndarray:
    """Categories: pre-SIGAP participants are RT/RW heads, cadres or honorary staff; SIGAP's
    are its target groups. Posyandu cadres and domestic workers are mostly women."""
    pre = np.array([k for k, _ in PRE_SIGAP_KATEGORI], dtype=object)
    pre_p = np.array([w for _, w in PRE_SIGAP_KATEGORI])
    sig = np.array([k for k, _ in SIGAP_KATEGORI], dtype=object)
    sig_p = np.array([w for _, w in SIGAP_KATEGORI])
    out = np.where(
        pre_sigap,
        rng.choice(pre, n, p=pre_p / pre_p.sum()),
        rng.choice(sig, n, p=sig_p / sig_p.sum()),
    )
    male = np.asarray(sex) == 1
    out = np.where(male & (out == "KADER_POSYANDU"), "RT_RW", out)
    out = np.where(male & (out == "PRT"), "BURUH_HARIAN", out)
    if not set(out) <= set(KATEGORI):  # pragma: no cover - guards the tables above
        raise RuntimeError("unknown KATEGORI in the generator's tables")
    return out.astype(object)


class KpjAllocator:
    """Unique 11-digit KPJ numbers: two digits of the registration year, nine random."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._used: set[int] = set()

    def draw(self, years: np.ndarray) -> np.ndarray:
        years = np.asarray(years, dtype=np.int64)
        out = np.empty(len(years), dtype=np.int64)
        todo = np.arange(len(years))
        while len(todo):
            cand = (years[todo] % 100) * 1_000_000_000 + self._rng.integers(
                100_000_000, 1_000_000_000, len(todo)
            )
            keep = []
            for i, c in zip(todo.tolist(), cand.tolist()):
                if c not in self._used and c >= 10_000_000_000:
                    self._used.add(c)
                    out[i] = c
                else:
                    keep.append(i)
            todo = np.array(keep, dtype=np.int64)
        return out

    def one(self, year: int) -> int:
        return int(self.draw(np.array([year]))[0])


@dataclass
class BpjsList:
    """All BPU rows ever registered; :meth:`visible` gives one period's list."""

    rows: pd.DataFrame

    @classmethod
    def empty(cls) -> BpjsList:
        return cls(_empty())

    def add(self, frame: pd.DataFrame) -> None:
        frame = frame.assign(**{k: v for k, v in DEFAULTS.items() if k not in frame.columns})
        missing = set(COLUMNS) - set(frame.columns)
        if missing:
            raise InvalidInput(f"BPJS rows lack {sorted(missing)}")
        frame = frame[list(COLUMNS)].astype(self.rows.dtypes.to_dict())
        self.rows = (
            pd.concat([self.rows, frame], ignore_index=True)
            if len(self.rows)
            else frame.reset_index(drop=True)
        )

    def add_row(self, **values) -> None:
        self.add(pd.DataFrame([values]))

    def visible(self, k: int) -> pd.DataFrame:
        return self.rows[self.rows["first"] <= k]

    def city_aktif(self, k: int) -> pd.DataFrame:
        v = self.visible(k)
        return v[(v["sumber"] == "APBD_KOTA") & (v["status"] == "AKTIF")]

    def renik(self, pid: int, old: str, new: str) -> None:
        """A person's NIK was redrawn at generation time: rows typed with it follow."""
        hit = (self.rows["pid"] == pid) & (self.rows["nik"] == old)
        self.rows.loc[hit, "nik"] = new
