"""Identifiers: the NIK's structure and what it embeds.

A NIK is ``PPKKCC DDMMYY SSSS``: the kecamatan where it was first issued, the birth date
with 40 added to the day for women, and a serial ``0001``-``9999``. There is no check digit.
All functions are vectorised over pandas Series.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.reference import kecamatan_codes

#: rule names, as they appear in rejects files and validation tables
NIK_FORMAT = "NIK_FORMAT"  # not exactly 16 digits
NIK_REGION = "NIK_REGION"  # first six digits are not a kecamatan in the reference list
NIK_DATE = "NIK_DATE"  # DDMMYY is not a real date (women: day + 40)
NIK_SERIAL = "NIK_SERIAL"  # serial 0000

_DAYS_IN_MONTH = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])

_T = TypeVar("_T")
_memo = threading.local()


@contextmanager
def nik_memo() -> Iterator[None]:
    """Within the block, what this module derives from a NIK column (its ``int64`` keys,
    the parts they embed, which rules hold) is computed once per column and reused.

    Validation judges one NIK column many times: for the quarantine masks, then again in
    each Great Expectations expectation that documents the same rules (the well-formed
    test alone three times for Dukcapil). A column is recognised by its Arrow data (a
    pyarrow-backed ``str`` Series), which is immutable; the memo keeps a reference to that
    data, so that it cannot be freed and its identity taken by another column while the
    block runs. Other Series (object dtype, numpy strings) are never memoised. Results are
    read-only arrays. Each thread has its own memo, emptied when the block ends."""
    previous = getattr(_memo, "columns", None)
    _memo.columns = {}
    try:
        yield
    finally:
        _memo.columns = previous


def _memoised(nik: pd.Series, what: str, compute: Callable[[], _T]) -> _T:
    """``compute()``, or its result for this column earlier in the :func:`nik_memo` block."""
    columns = getattr(_memo, "columns", None)
    data = getattr(getattr(nik, "array", None), "_pa_array", None)
    if columns is None or data is None:
        return compute()
    held, results = columns.setdefault(id(data), (data, {}))
    if held is not data:  # cannot happen while ``data`` is held; never trust a stale id
        return compute()
    if what not in results:
        value = compute()
        for array in value if isinstance(value, tuple) else (value,):
            array.flags.writeable = False  # shared by every caller of the block
        results[what] = value
    return results[what]


def normalise_nik(nik: pd.Series) -> pd.Series:
    """Strip surrounding white space; nothing else (a NIK with letters or inner spaces stays
    malformed: it is a matching outcome, not something to guess at)."""
    return nik.astype("string").str.strip()


def _parts(
    nik: pd.Series,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(keys, shaped, dd, mm, yy, serial)`` as integer arrays, computed arithmetically
    from :func:`nik_keys` (no per-row text slicing: this runs on millions of rows)."""
    return _memoised(nik, "parts", lambda: _split(nik_keys(nik)))


def _split(
    keys: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    shaped = keys >= 0
    safe = np.where(shaped, keys, 0)
    serial = (safe % 10_000).astype(np.int16)
    yy = (safe // 10_000 % 100).astype(np.int16)
    mm = (safe // 1_000_000 % 100).astype(np.int16)
    dd = (safe // 100_000_000 % 100).astype(np.int16)
    return keys, shaped, dd, mm, yy, serial


def nik_problem_masks(nik: pd.Series) -> dict[str, np.ndarray]:
    """Per structural rule (``NIK_FORMAT``, ``NIK_REGION``, ``NIK_DATE``,
    ``NIK_SERIAL``), where it is the *first* rule the NIK breaks: the masks are disjoint
    and a well-formed NIK is in none (boolean arrays, no per-row rule names)."""
    _, shaped, _, _, _, serial = _parts(nik)
    region_ok, date_ok = _region_and_date_ok(nik)
    wrong_region = shaped & ~region_ok
    wrong_date = shaped & region_ok & ~date_ok
    return {
        NIK_FORMAT: ~shaped,
        NIK_REGION: wrong_region,
        NIK_DATE: wrong_date,
        NIK_SERIAL: shaped & region_ok & date_ok & (serial == 0),
    }


def _region_and_date_ok(nik: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Where the first six digits are a kecamatan, and where DDMMYY is a real date."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        keys, shaped, dd, mm, yy, _ = _parts(nik)
        return _region_ok(keys, shaped), _date_ok(dd, mm, yy)

    return _memoised(nik, "region and date", compute)


def _date_ok(dd: np.ndarray, mm: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """DDMMYY is a real date (women: day + 40)."""
    day = np.where(dd > 40, dd - 40, dd)
    month_ok = (mm >= 1) & (mm <= 12)
    dim = _DAYS_IN_MONTH[np.clip(mm, 0, 12)]
    # 29 Feb exists in 19YY or 20YY when YY % 4 == 0 (2000 was a leap year)
    leap_ok = ~((mm == 2) & (day == 29) & (yy % 4 != 0))
    return month_ok & (day >= 1) & (day <= dim) & leap_ok & ~((dd > 31) & (dd < 41))


def _region_ok(keys: np.ndarray, shaped: np.ndarray) -> np.ndarray:
    """The first six digits are an existing kecamatan code."""
    return np.isin(np.where(shaped, keys, 0) // 10**10, _kecamatan_numbers())


@cache
def _kecamatan_numbers() -> np.ndarray:
    """The reference kecamatan codes as the integers a NIK's first six digits form."""
    return np.array(
        sorted(int(code) for code in kecamatan_codes() if code.isdigit()), dtype=np.int64
    )


def nik_valid_mask(nik: pd.Series) -> np.ndarray:
    """True where the NIK is well formed (in none of :func:`nik_problem_masks`), as a
    boolean array, without building the four masks (the fast path for millions of rows)."""

    def compute() -> np.ndarray:
        _, shaped, _, _, _, serial = _parts(nik)
        region_ok, date_ok = _region_and_date_ok(nik)
        return shaped & date_ok & region_ok & (serial != 0)

    return _memoised(nik, "valid", compute).copy()


def is_valid_nik(nik: pd.Series) -> pd.Series:
    return pd.Series(nik_valid_mask(nik), index=nik.index)


def nik_sex(nik: pd.Series) -> pd.Series:
    """1 (male) or 2 (female) as embedded in the NIK; null when malformed."""
    _, shaped, dd, _, _, _ = _parts(nik)
    sex = np.where(dd > 40, 2, 1).astype("int8")
    return pd.Series(sex, index=nik.index).astype("Int8").where(shaped)


def nik_birth_date(nik: pd.Series, registry_birth_date: pd.Series) -> pd.Series:
    """The birth date embedded in the NIK, with the century taken from the civil-registry
    birth date (the two-digit year is ambiguous; 2000 where it is missing). NaT where it
    is not a real date (in that century: 29 February 1900 is not).

    Vectorised calendar arithmetic on ``datetime64`` (no per-row parsing)."""
    _, shaped, dd, mm, yy, _ = _parts(nik)
    days = _embedded_days(shaped, dd, mm, yy, _registry_years(registry_birth_date))
    out = days.astype("datetime64[ns]")
    return pd.Series(out, index=nik.index, dtype="datetime64[ns]")


def _registry_years(birth_date: pd.Series) -> np.ndarray:
    """The calendar year of each registry birth date, -1 where missing."""
    years = pd.DatetimeIndex(pd.to_datetime(birth_date)).year
    return np.asarray(years.fillna(-1), dtype=np.int64)


def _embedded_days(
    shaped: np.ndarray, dd: np.ndarray, mm: np.ndarray, yy: np.ndarray, registry_year: np.ndarray
) -> np.ndarray:
    """``datetime64[D]`` of the NIK's DDMMYY (women: day + 40) in the registry year's
    century (2000 where the registry year is -1); NaT where not a real date. Day
    numbers by the proleptic Gregorian "days from civil" formula, in ``int32`` with few
    temporaries (this runs on millions of rows at the memory peak of validation)."""
    day = dd.astype(np.int32)
    day[dd > 40] -= 40
    month = mm.astype(np.int32)
    year = np.where(registry_year >= 0, registry_year // 100 * 100, 2000).astype(np.int32)
    year += yy
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    real = shaped & (month >= 1) & (month <= 12) & (day >= 1) & ~((dd > 31) & (dd < 41))
    real &= day <= _DAYS_IN_MONTH[np.clip(month, 0, 12)] - ((month == 2) & ~leap)
    del leap
    # days from civil (H. Hinnant): March-based years, 400-year eras
    early = month <= 2
    year -= early
    month += np.where(early, 9, -3).astype(np.int32)
    era = year // 400
    year -= era * 400  # the year of the era
    days = (153 * month + 2) // 5 + day - 1  # the day of the March-based year
    days += year * 365 + year // 4 - year // 100
    days += era * 146_097 - 719_468
    out = days.astype("datetime64[D]")
    out[~real] = np.datetime64("NaT")
    return out


def nik_agrees_with_registry(nik: pd.Series, birth_date: pd.Series, sex: pd.Series) -> pd.Series:
    """True where the NIK's embedded date (and sex) agree with the civil registry.

    Disagreement is a warning, never a rejection: registry corrections keep the NIK.
    """
    _, shaped, dd, mm, yy, _ = _parts(nik)
    registry = pd.to_datetime(birth_date).to_numpy()
    embedded = _embedded_days(shaped, dd, mm, yy, _registry_years(birth_date))
    same_date = ~np.isnat(registry) & (embedded.astype(registry.dtype) == registry)
    sexes = pd.Series(sex, index=nik.index).astype("Int8")
    registry_sex = sexes.to_numpy(dtype=np.int16, na_value=-1)
    same_sex = shaped & (np.where(dd > 40, 2, 1) == registry_sex)
    return pd.Series(same_date & same_sex, index=nik.index)


def nik_keys(nik: pd.Series) -> np.ndarray:
    """Each NIK as an ``int64`` join key, ``-1`` where it is not exactly 16 ASCII digits.

    A 16-digit NIK fits in 64 bits and never starts with ``0`` (province codes are 11..99),
    so the key orders exactly as the text does. Joining millions of rows on these keys is
    several times faster and lighter than on strings. Surrounding white space is not
    stripped here: callers pass normalised NIKs (:func:`normalise_nik`). The result is
    read-only inside a :func:`nik_memo` block.
    """
    return _memoised(nik, "keys", lambda: _keys(nik))


def _keys(nik: pd.Series) -> np.ndarray:
    arr = pa.array(nik.astype("str"), type=pa.large_string(), from_pandas=True)
    shaped = pc.fill_null(
        pc.and_(pc.equal(pc.binary_length(arr), 16), pc.ascii_is_decimal(arr)), False
    )
    if not pc.all(shaped).as_py():  # only then copy the text, to blank out the malformed
        arr = pc.if_else(shaped, arr, pa.scalar("-1", pa.large_string()))
    return pc.cast(arr, pa.int64()).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
