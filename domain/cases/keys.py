"""Keys and code lists: the person key (the KPJ, else the NIK), deterministic case ids
and the period they were opened in, ``;``-joined codes split into rows, and values joined
per key (pyarrow's grouped aggregation, no Python call per group).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.cases.frames import CASE_ID_PREFIX, CLAUSE_SEPARATOR
from domain.periods import compact


def case_id(period: str, person_key: pd.Series) -> pd.Series:
    """``RV-YYYYMM-<first 10 hex of sha256(key)>`` for each person key (KPJ or NIK).

    Hashing runs once per case, not per resident.
    """
    prefix = f"{CASE_ID_PREFIX}-{compact(period)}-"
    digests = [hashlib.sha256(str(k).encode()).hexdigest()[:10] for k in person_key]
    return pd.Series([prefix + d for d in digests], index=person_key.index, dtype="str")


def opened_period(case_ids: pd.Series) -> pd.Series:
    """The period a case was opened in, read from its id (``RV-202610-...`` -> 2026-10);
    null when the id has another form."""
    ym = case_ids.astype("str").str.extract(r"^[A-Z]+-(\d{4})(\d{2})-", expand=True)
    return (ym[0] + "-" + ym[1]).astype("str")


def has_kpj(kpj: pd.Series) -> pd.Series:
    """True where a KPJ is given (null and blank are not)."""
    k = kpj.astype("str").str.strip()
    return (k.notna() & (k != "")).astype(bool)


def person_key(kpj: pd.Series, nik: pd.Series) -> pd.Series:
    """The KPJ when present (participants), else the NIK."""
    k = kpj.astype("str").str.strip()
    return k.where(has_kpj(kpj), nik.astype("str").str.strip()).astype("str")


def split_codes(codes: pd.Series) -> pd.Series:
    """``'A;B'`` -> one row per code (index repeated), empty strings and nulls dropped."""
    long = codes.astype("str").fillna("").str.split(";").explode().str.strip()
    return long[long.notna() & (long != "")]


def join_per_key(keys: pd.Series, values: pd.Series, sep: str) -> pd.Series:
    """``sep.join(values)`` per key, in the order given, as a ``str`` Series indexed by
    key (pyarrow's grouped ``list`` aggregation: no Python call per group)."""
    table = pa.table(
        {
            "k": pa.array(pd.Series(keys).to_numpy(), from_pandas=True),
            "v": pa.array(pd.Series(values, dtype="str").to_numpy(), from_pandas=True),
        }
    )
    if table.num_rows == 0:
        return pd.Series([], dtype="str")
    grouped = table.group_by("k", use_threads=False).aggregate([("v", "list")])
    joined = pc.binary_join(grouped["v_list"], sep)
    return pd.Series(
        joined.to_numpy(zero_copy_only=False), index=grouped["k"].to_pandas(), dtype="str"
    )


def _join_sorted(long: pd.DataFrame, key: str, value: str, sort: bool) -> pd.Series:
    """``key -> ';'.join(values)`` per key (codes: sorted, ``;``) or ``key -> '; '.join``
    (evidence clauses: in order), duplicates dropped."""
    long = long[long[value].notna()].drop_duplicates([key, value])
    if sort:
        long = long.sort_values([key, value], kind="stable")
    return join_per_key(long[key], long[value], ";" if sort else CLAUSE_SEPARATOR)
