"""The Arrow fast paths of the row rules agree with the plain pandas/Python definitions."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from expectations import predicates as p
from expectations.parse import _strip

#: every character Python's str.strip removes
WHITESPACE = [chr(c) for c in range(sys.maxunicode + 1) if not chr(c).strip()]


def _python_strip(values: pd.Series) -> list:
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
            continue
        s = v.strip()
        out.append(s or None)
    return out


def _plain(values: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in values]


def test_strip_knows_every_whitespace_character_at_either_end():
    assert len(WHITESPACE) > 20
    for ch in WHITESPACE:
        for value in (ch + "A", "A" + ch, ch, "A" + ch + "B"):
            values = pd.Series([value, "X"], dtype="str")
            assert _plain(_strip(values)) == _python_strip(values), repr(value)


texts = st.one_of(
    st.none(),
    st.sampled_from(["3275014101900001", "3275014101900002", "0275014101900001", "123", "", " 3275014101900001"]),
    st.text(alphabet="0123456789", min_size=15, max_size=17),
    st.text(alphabet="0123456789O٣ ", min_size=0, max_size=17),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, max_size=40))
def test_unique_where_present_agrees_with_pandas(values):
    s = pd.Series(values, dtype="str")
    expected = ~(s.duplicated(keep=False) & s.notna())
    assert p.unique_where_present(s).tolist() == expected.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, max_size=40), st.sampled_from([11, 16]))
def test_has_digits_agrees_with_the_regex(values, length):
    s = pd.Series(values, dtype="str")
    expected = s.str.fullmatch(rf"[0-9]{{{length}}}").fillna(False).astype(bool)
    assert p.has_digits(s, length).tolist() == expected.tolist()


numbers = st.one_of(
    st.none(),
    st.integers(min_value=-(10**19), max_value=10**19).map(str),
    st.text(alphabet="0123456789-+. a٣", min_size=1, max_size=20),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(numbers, max_size=40))
def test_whole_numbers_agree_with_the_regex_and_pandas(values):
    from expectations.parse import _whole_numbers

    text = pd.Series(values, dtype="str")
    shaped, parsed = _whole_numbers(text, text.notna().to_numpy())
    expected_shaped = p.matches(text, p.INT_PATTERN).to_numpy(dtype=bool)
    assert shaped.tolist() == expected_shaped.tolist()
    assert parsed.tolist() == text.where(expected_shaped).astype("Int64").tolist()


edge_texts = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(["ANI", "B", "3275", " ANI", "ANI ", "\u00a0ANI", "ANI\u3000", "É", "Ü B"]),
    st.text(min_size=0, max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(edge_texts, max_size=30), st.integers(0, 5), st.booleans())
def test_strip_agrees_with_python_on_sliced_and_chunked_arrow_text(values, cut, large):
    """The edge-byte fast check reads the Arrow buffers directly: offsets of a sliced
    chunk, several chunks, nulls and both string widths must not fool it."""
    import pyarrow as pa

    kind = pa.large_string() if large else pa.string()
    whole = pa.array(["pad"] * cut + values, type=kind).slice(cut)
    half = len(values) // 2
    arrow = pa.chunked_array([whole.slice(0, half), whole.slice(half)], type=kind)
    series = pd.Series(pd.arrays.ArrowStringArray(arrow) if not large else arrow.to_pandas(types_mapper=pd.ArrowDtype))
    series = series.astype("str")
    assert _plain(_strip(series)) == _python_strip(pd.Series(values, dtype=object))


def test_strip_keeps_a_column_with_nothing_to_strip_as_delivered():
    """No copy of the text when no value is padded or empty, including values that only
    begin or end in a non-ASCII letter (they are looked at closer, and kept)."""
    for values in (["ANI", "BUDI"], ["ÉMILE", "ANI", "JOSÉ"]):
        series = pd.Series(values, dtype="str")
        out = _strip(series)
        assert out.array._pa_array is series.array._pa_array
    padded = pd.Series(["ANI", " BUDI", "", "É "], dtype="str")
    assert _plain(_strip(padded)) == ["ANI", "BUDI", None, "É"]
