"""Name normalisation and similarity (domain.names)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.names import jaro_winkler, name_similarity, normalise_name, normalise_names


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Siti Aminah", "SITI AMINAH"),
        ("  siti   aminah  ", "SITI AMINAH"),
        ("Hj. Siti Aminah, S.Pd.", "SITI AMINAH"),
        ("H. Ahmad Subarjo", "AHMAD SUBARJO"),
        ("HAJI AHMAD", "AHMAD"),
        ("Hajjah Siti", "SITI"),
        ("Drs. H. Ahmad Subarjo, M.M.", "AHMAD SUBARJO"),
        ("Prof. Dr. Ir. Hasan Basri, M.Si", "HASAN BASRI"),
        ("dr. Rina Marlina", "RINA MARLINA"),
        ("Ahmad Fauzi, S.Kom", "AHMAD FAUZI"),
        ("Ahmad Fauzi, S. Kom.", "AHMAD FAUZI"),
        ("AHMAD FAUZI SKOM", "AHMAD FAUZI"),
        ("Dewi Lestari, S.E.", "DEWI LESTARI"),
        ("DEWI LESTARI SE", "DEWI LESTARI"),
        ("Budi Santoso, S.H.", "BUDI SANTOSO"),
        ("BUDI SANTOSO SH", "BUDI SANTOSO"),
        ("Joko Widodo, S.T.", "JOKO WIDODO"),
        ("JOKO WIDODO ST", "JOKO WIDODO"),
        ("Rina, A.Md.", "RINA"),
        ("RINA AMD", "RINA"),
        ("Nur Hayati S.Pd.I", "NUR HAYATI"),
        ("NUR HAYATI SPD", "NUR HAYATI"),
        ("Ma'ruf Amin", "MARUF AMIN"),
        ("Siti-Aminah", "SITI AMINAH"),
        ("José Ñandú", "JOSE NANDU"),
        ("M. Yusuf", "M YUSUF"),  # an initial is not a title
        ("M.T. Haryono", "M T HARYONO"),  # nor are two initials
        ("Hasan", "HASAN"),  # a title's letters inside a word stay
        ("Sehati Hjelmina", "SEHATI HJELMINA"),
        ("Steven Sugianto", "STEVEN SUGIANTO"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_name(raw, normalised):
    assert normalise_name(raw) == normalised


def test_normalise_names_is_vectorised_and_aligned():
    raw = pd.Series(["Hj. Siti", None, "budi  santoso"], index=[7, 3, 5])
    out = normalise_names(raw)
    assert out.index.tolist() == [7, 3, 5]
    assert out.tolist() == ["SITI", "", "BUDI SANTOSO"]
    assert str(out.dtype) == "str"


def test_jaro_winkler_of_normalised_pairs():
    scores = jaro_winkler(["SITI AMINAH", "BUDI", "", "A"], ["SITI AMINAH", "BUDY", "", ""])
    assert scores.dtype == np.float64
    assert scores[0] == 1.0 and 0.85 < scores[1] < 1.0
    assert scores[2] == 0.0 and scores[3] == 0.0  # an empty name never confirms anyone


def test_jaro_winkler_needs_aligned_pairs():
    with pytest.raises(ValueError, match="aligned"):
        jaro_winkler(["A"], ["A", "B"])


def test_name_similarity_ignores_titles_and_case():
    s = name_similarity(pd.Series(["Drs. H. AHMAD subarjo, M.M."]), pd.Series(["Ahmad Subarjo"]))
    assert s.tolist() == [1.0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=25), min_size=1, max_size=8))
def test_normalisation_output_is_plain_and_idempotent(names):
    out = normalise_names(pd.Series(names, dtype="str"))
    for text in out:
        assert text == text.strip() and "  " not in text
        assert all(c == " " or "A" <= c <= "Z" for c in text)
    assert normalise_names(out).tolist() == out.tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text("ABCDE ", max_size=12), st.text("ABCDE ", max_size=12)),
                min_size=1, max_size=6))  # fmt: skip
def test_similarity_is_symmetric_and_bounded(pairs):
    left = pd.Series([a for a, _ in pairs], dtype="str")
    right = pd.Series([b for _, b in pairs], dtype="str")
    ab, ba = name_similarity(left, right), name_similarity(right, left)
    assert np.allclose(ab, ba)
    assert ((ab >= 0) & (ab <= 1)).all()
