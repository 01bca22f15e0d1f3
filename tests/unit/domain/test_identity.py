"""NIK structure (domain.identity): problems, embedded date and sex, join keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import identity
from domain.identity import (
    NIK_DATE,
    NIK_FORMAT,
    NIK_REGION,
    NIK_SERIAL,
    nik_agrees_with_registry,
    nik_birth_date,
    nik_keys,
    nik_memo,
    nik_problem_masks,
    nik_sex,
    nik_valid_mask,
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
def test_nik_problem_masks(nik, problem):
    broken = [rule for rule, mask in nik_problem_masks(pd.Series([nik])).items() if mask[0]]
    assert broken == ([] if problem is None else [problem])  # the first rule broken, only


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


def _oracle_birth_date(nik: pd.Series, registry: pd.Series) -> pd.Series:
    """The plain definition: slice DDMMYY out of the text, let pandas build the date."""
    text = nik.astype("str")
    shaped = text.str.fullmatch(r"[0-9]{16}").fillna(False).astype(bool)
    safe = text.where(shaped, "0000000101000000")
    dd = safe.str[6:8].astype(int)
    mm = safe.str[8:10].astype(int)
    yy = safe.str[10:12].astype(int)
    day = dd.where(dd <= 40, dd - 40)
    century = (pd.to_datetime(registry).dt.year // 100 * 100).fillna(2000).astype(int)
    frame = pd.DataFrame({"year": century + yy, "month": mm, "day": day})
    out = pd.to_datetime(frame, errors="coerce")
    out = out.where(~((dd > 31) & (dd < 41)))
    return out.where(shaped)


_digits = st.text(alphabet="0123456789", min_size=2, max_size=2)
_niks = st.one_of(
    st.builds(lambda dd, mm, yy: f"327501{dd}{mm}{yy}0001", _digits, _digits, _digits),
    st.sampled_from(["3275012902000001", "3275016902000001", "3275012902010001", "bad"]),
    st.none(),
)
_registry = st.one_of(
    st.none(),
    st.dates(
        min_value=pd.Timestamp("1890-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()
    ),
    st.sampled_from([pd.Timestamp("1900-02-28").date(), pd.Timestamp("2000-02-29").date()]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_niks, _registry, st.sampled_from([1, 2, None])), max_size=30))
def test_embedded_date_and_agreement_match_the_plain_definition(rows):
    """Calendar arithmetic on datetime64 gives what pandas gives from the sliced digits:
    leap years by the registry's century (29-02-1900 is not a date, 29-02-2000 is),
    women's days + 40, days 32-40, malformed and missing values."""
    nik = pd.Series([r[0] for r in rows], dtype="str")
    registry = pd.to_datetime(pd.Series([r[1] for r in rows], dtype="object"))
    sex = pd.Series([r[2] for r in rows], dtype="Int8")
    expected = _oracle_birth_date(nik, registry)
    got = nik_birth_date(nik, registry)
    assert got.isna().tolist() == expected.isna().tolist()
    assert got.dropna().tolist() == expected.dropna().tolist()
    text = nik.astype("str")
    dd = text.str[6:8].where(text.str.fullmatch(r"[0-9]{16}").fillna(False).astype(bool))
    female = pd.to_numeric(dd, errors="coerce") > 40
    expected_sex = pd.Series(np.where(female, 2, 1), dtype="Int8").where(dd.notna())
    agree = (expected.eq(registry).fillna(False) & expected_sex.eq(sex).fillna(False)).astype(bool)
    assert nik_agrees_with_registry(nik, registry, sex).tolist() == agree.tolist()


# --- nik_memo: one column parsed once per block ----------------------------------------
_MEMO_NIKS = ["3275014101900001", "3275015505850002", "12345", None, "3275010000000000"]


def test_nik_memo_parses_a_column_once_and_gives_the_same_answers(monkeypatch):
    nik = pd.Series(_MEMO_NIKS, dtype="str")
    plain = (nik_keys(nik), nik_valid_mask(nik), nik_problem_masks(nik))
    calls = []
    real = identity._keys
    monkeypatch.setattr(identity, "_keys", lambda s: calls.append(1) or real(s))

    with nik_memo():
        keys = nik_keys(nik)
        again = nik_keys(nik.rename("other"))  # another Series over the same Arrow data
        valid = nik_valid_mask(nik)
        masks = nik_problem_masks(nik)
        assert nik_agrees_with_registry(
            nik, pd.Series(pd.to_datetime(["1990-01-01"] * 5)), pd.Series([2] * 5)
        ).iloc[0]
    assert len(calls) == 1 and again is keys
    np.testing.assert_array_equal(keys, plain[0])
    np.testing.assert_array_equal(valid, plain[1])
    for rule, mask in plain[2].items():
        np.testing.assert_array_equal(masks[rule], mask)
    # shared results are read-only; the caller's own copy of the mask is not
    assert not keys.flags.writeable and valid.flags.writeable
    with pytest.raises(ValueError):
        keys[0] = 0


def test_nik_memo_tells_columns_apart_and_forgets_when_the_block_ends(monkeypatch):
    first = pd.Series(_MEMO_NIKS, dtype="str")
    second = pd.Series(list(reversed(_MEMO_NIKS)), dtype="str")
    calls = []
    real = identity._keys
    monkeypatch.setattr(identity, "_keys", lambda s: calls.append(1) or real(s))
    with nik_memo():
        a, b = nik_keys(first), nik_keys(second)
        np.testing.assert_array_equal(b, a[::-1])
    assert len(calls) == 2
    with nik_memo():
        nik_keys(first)
    assert len(calls) == 3  # a new block computes again
    nik_keys(first), nik_keys(first)
    assert len(calls) == 5  # outside a block nothing is kept
    # object-dtype text has no immutable data to recognise: never memoised
    with nik_memo():
        nik_keys(first.astype(object)), nik_keys(first.astype(object))
    assert len(calls) == 7
