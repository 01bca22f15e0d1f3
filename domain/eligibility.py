"""The four eligibility rules of the rule book (PROGRAM.md, "A person is eligible").

1. Dukcapil: record present, ``STATUS_DASAR = HIDUP``, domicile ``NO_PROP=32``,
   ``NO_KAB=75`` (the domicile columns, never the NIK prefix).
2. DTSEN: present with ``DESIL`` 1..``max_desil``.
3. Age ``min_age``..``max_age`` inclusive, in whole years at the period's last day.
4. Occupation not ``FORMAL``; for people not yet enrolled also not ``TIDAK_BEKERJA``, and
   DTSEN says they are present (``STATUS_KEBERADAAN = 1``).

Each rule is a vectorised predicate over pandas/numpy columns; missing values never
qualify. :func:`eligible_residents` composes them for the whole civil registry, cheapest
rule first so that the DTSEN columns are read only for the people still in the running.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import numpy as np
import pandas as pd

from domain.codes import CITY_KAB, CITY_PROP
from domain.reference import occupations
from domain.rules import RuleParameters

ALIVE = "HIDUP"
DIED = "MATI"
MOVED = "PINDAH"
#: DTSEN ``STATUS_KEBERADAAN``: present, died
PRESENT = 1
REPORTED_DIED = 2

FORMAL = "FORMAL"
INFORMAL = "INFORMAL"
NOT_WORKING = "TIDAK_BEKERJA"


def _ints(column: pd.Series | np.ndarray, fill: int) -> np.ndarray:
    """An integer column (numpy or nullable) as ``int64``, missing values as ``fill``."""
    series = column if isinstance(column, pd.Series) else pd.Series(column)
    return pd.to_numeric(series, errors="coerce").fillna(fill).to_numpy(dtype=np.int64)


def age_in_years(birth_dates: pd.Series | np.ndarray, on: date) -> np.ndarray:
    """Whole years of age at ``on`` (``int16``); ``-1`` where the birth date is missing.

    Exact calendar arithmetic on ``YYYYMMDD`` integers: a person born on 29 February
    turns a year older on 1 March in years without that day.
    """
    dt = pd.DatetimeIndex(np.asarray(birth_dates, dtype="datetime64[ns]"))
    stamp = (dt.year * 10_000 + dt.month * 100 + dt.day).to_numpy(dtype="float64")
    ref = on.year * 10_000 + on.month * 100 + on.day
    age = np.floor((ref - stamp) / 10_000)
    return np.where(np.isnan(age), -1, age).astype(np.int16)


def in_city(no_prop: pd.Series | np.ndarray, no_kab: pd.Series | np.ndarray) -> np.ndarray:
    """Domicile in Kota Bekasi (32.75) by the Dukcapil domicile columns."""
    return (_ints(no_prop, -1) == CITY_PROP) & (_ints(no_kab, -1) == CITY_KAB)


def alive(status_dasar: pd.Series) -> np.ndarray:
    """Dukcapil ``STATUS_DASAR = HIDUP`` (rule 1; missing: not alive)."""
    return (status_dasar == ALIVE).fillna(False).to_numpy(dtype=bool)


def living_in_city(dukcapil: pd.DataFrame) -> np.ndarray:
    """Rule 1 for Dukcapil rows: ``STATUS_DASAR = HIDUP`` and domicile 32.75."""
    return alive(dukcapil["STATUS_DASAR"]) & in_city(dukcapil["NO_PROP"], dukcapil["NO_KAB"])


def desil_within_limit(desil: pd.Series | np.ndarray, params: RuleParameters) -> np.ndarray:
    """Rule 2: DTSEN desil 1..``max_desil`` (missing: not within)."""
    d = _ints(desil, 99)
    return (d >= 1) & (d <= params.max_desil)


def age_within_limits(age: np.ndarray, params: RuleParameters) -> np.ndarray:
    """Rule 3: ``min_age``..``max_age`` inclusive (``-1``, unknown: not within)."""
    return (age >= params.min_age) & (age <= params.max_age)


@cache
def _group_lookup() -> tuple[np.ndarray, np.ndarray]:
    """Occupation code -> is FORMAL / is TIDAK_BEKERJA, as arrays indexed by the code."""
    ref = occupations()
    size = int(ref["kode"].max()) + 2
    formal = np.zeros(size, dtype=bool)
    not_working = np.zeros(size, dtype=bool)
    formal[ref.loc[ref["kelompok"] == FORMAL, "kode"].to_numpy()] = True
    not_working[ref.loc[ref["kelompok"] == NOT_WORKING, "kode"].to_numpy()] = True
    return formal, not_working


def _codes(codes: pd.Series | np.ndarray) -> np.ndarray:
    formal, _ = _group_lookup()
    c = _ints(codes, 0)
    return np.where((c >= 0) & (c < len(formal)), c, 0)


def formal_occupation(codes: pd.Series | np.ndarray) -> np.ndarray:
    """Occupation code is ``FORMAL`` in the Dukcapil reference (rule 4)."""
    return _group_lookup()[0][_codes(codes)]


def not_working(codes: pd.Series | np.ndarray) -> np.ndarray:
    """Occupation code is ``TIDAK_BEKERJA`` (not working, pupil, pensioner)."""
    return _group_lookup()[1][_codes(codes)]


def present_in_dtsen(status_keberadaan: pd.Series | np.ndarray) -> np.ndarray:
    """DTSEN says the person is present (``STATUS_KEBERADAAN = 1``)."""
    return _ints(status_keberadaan, 0) == PRESENT


def eligible_residents(
    dukcapil: pd.DataFrame,
    dtsen: pd.DataFrame,
    dtsen_rows: np.ndarray,
    on: date,
    params: RuleParameters,
) -> np.ndarray:
    """Row positions in ``dukcapil`` of the people who meet all four rules *as people not
    yet enrolled* (rule 4's extra conditions included), ascending.

    ``dtsen_rows``: for every Dukcapil row, the row position of the DTSEN record with the
    same NIK, ``-1`` when there is none (see :class:`domain.matching.NikIndex`).
    """
    rows = np.flatnonzero(living_in_city(dukcapil))
    occupation = dukcapil["JENIS_PKRJN"].iloc[rows]
    keep = ~formal_occupation(occupation) & ~not_working(occupation)
    rows = rows[keep]
    ages = age_in_years(dukcapil["TGL_LHR"].iloc[rows].to_numpy(), on)
    rows = rows[age_within_limits(ages, params)]
    d_rows = dtsen_rows[rows]
    rows, d_rows = rows[d_rows >= 0], d_rows[d_rows >= 0]
    desil = dtsen["DESIL"].iloc[d_rows]
    present = dtsen["STATUS_KEBERADAAN"].iloc[d_rows]
    return rows[desil_within_limit(desil, params) & present_in_dtsen(present)]
