"""NIK structure (domain.identity): problems, embedded date and sex, join keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.identity import (
    NIK_DATE,
    NIK_FORMAT,
    NIK_REGION,
    NIK_SERIAL,
    nik_agrees_with_registry,
    nik_birth_date,
    nik_keys,
    nik_problems,
    nik_sex,
)


@pytest.mark.parametrize(
    ("nik", "problem"),
    [
        ("3275014101840001", None),  # woman born 01-01-84 in 32.75.01
        ("3275010101840001", None),  # man
        ("3216010101840001", None),  # Kabupaten Bekasi: a real kecamatan
        ("327501010184001", NIK_FORMAT),
        ("32750101018400011", NIK_FORMAT),
        ("32750101O1840001", NIK_FORMAT),
        ("", NIK_FORMAT),
        ("3299010101840001", NIK_REGION),
        ("3275013201840001", NIK_DATE),  # day 32
        ("3275017101840001", None),  # woman born 31 January (71 - 40)
        ("3275013601840001", NIK_DATE),  # day 36: neither a man's nor a woman's day
        ("3275013002840001", NIK_DATE),  # 30 February
        ("3275012902850001", NIK_DATE),  # 29 February 1985
        ("3275012902840001", None),  # 29 February 1984
        ("3275010101840000", NIK_SERIAL),
    ],
)
def test_nik_problems(nik, problem):
    got = nik_problems(pd.Series([nik])).iloc[0]
    assert (None if pd.isna(got) else got) == problem


def test_nik_sex_and_birth_date_take_the_century_from_the_registry():
    nik = pd.Series(["3275014101840001", "3275010101050001", "bad"])
    reg = pd.to_datetime(pd.Series(["1984-01-01", "2005-01-01", "2000-01-01"]))
    assert nik_sex(nik).tolist()[:2] == [2, 1] and pd.isna(nik_sex(nik).iloc[2])
    born = nik_birth_date(nik, reg)
    assert born.iloc[0] == pd.Timestamp("1984-01-01") and born.iloc[1] == pd.Timestamp("2005-01-01")
    assert pd.isna(born.iloc[2])


def test_registry_correction_is_a_disagreement_not_an_error():
    nik = pd.Series(["3275014101840001", "3275014101840001"])
    reg = pd.to_datetime(pd.Series(["1984-01-01", "1984-01-02"]))
    assert nik_agrees_with_registry(nik, reg, pd.Series([2, 2])).tolist() == [True, False]


def test_nik_keys():
    niks = pd.Series(["3275014101840001", " 3275014101840001", "32750141018400O1", None,
                      "327501410184000", "٣٢٧٥٠١٤١٠١٨٤٠٠٠١"])  # fmt: skip
    assert nik_keys(niks).tolist() == [3275014101840001, -1, -1, -1, -1, -1]
    assert nik_keys(pd.Series([], dtype="str")).dtype == np.int64


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1_100_000_000_000_000, 9_999_999_999_999_999), max_size=20))
def test_nik_keys_order_as_the_text(values):
    text = pd.Series([str(v) for v in values], dtype="str")
    keys = nik_keys(text)
    assert keys.tolist() == values
    assert sorted(text) == [str(k) for k in sorted(keys)]
