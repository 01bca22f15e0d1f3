"""Matching BPJS participants to Dukcapil: exact NIK, the probable-typo rule (positive
cases and near misses), blocking, and the digit-edit distance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA, Hamming, JaroWinkler

from domain.matching import NikIndex, digit_edits, match_participants
from domain.names import normalise_name
from domain.rules import RuleParameters
from tests.unit.domain.frames import dukcapil

PARAMS = RuleParameters()
NIK = "3275014101840001"


def participants(nik, nama="SITI AMINAH", tgl="1984-01-01") -> pd.DataFrame:
    return pd.DataFrame(
        {"NIK": pd.Series([nik], dtype="str"), "NAMA": [nama], "TGL_LAHIR": pd.to_datetime([tgl])}
    )


def match_one(bpjs_nik, residents, *, nama="SITI AMINAH", tgl="1984-01-01", params=PARAMS) -> dict:
    return (
        match_participants(participants(bpjs_nik, nama, tgl), dukcapil(residents), params)
        .iloc[0]
        .to_dict()
    )


# -- digit edits -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "edits"),
    [
        (NIK, NIK, 0),
        (NIK, "3275014101840002", 1),  # one substitution
        (NIK, "3275014110840001", 1),  # adjacent transposition (01 -> 10)
        (NIK, "3275104101840001", 1),  # adjacent transposition (01 -> 10) in the region
        (NIK, "3275014101850002", 2),  # two substitutions
        (NIK, "3275104110840001", 2),  # two transpositions
        (NIK, "3275024101850003", 3),  # three substitutions
        (NIK, "4275014101840000", 2),  # first and last digits
        ("32750141O1840001", NIK, 1),  # letter O typed for the digit 0
        (NIK[:-1], NIK, 17),  # 15 characters: not a substitution/transposition typo
        (NIK + "1", NIK, 17),  # 17 characters
        ("", NIK, 17),
    ],
)
def test_digit_edits_table(a, b, edits):
    assert digit_edits(pd.Series([a]), pd.Series([b]))[0] == edits


def test_digit_edits_counts_a_rotation_as_substitutions_not_indels():
    # OSA says 2 (delete the first digit, append one); only substitutions count here
    a, b = "1234567890123456", "2345678901234561"
    assert OSA.distance(a, b) == 2
    assert digit_edits(pd.Series([a]), pd.Series([b]))[0] == 16


def _reference_edits(a: str, b: str) -> int:
    """Independent reference: positions covered by singles (substitution or equal) and
    adjacent swapped pairs, minimum cost, by recursion over the first position."""
    if not a:
        return 0
    best = (a[0] != b[0]) + _reference_edits(a[1:], b[1:])
    if len(a) >= 2 and a[0] == b[1] and a[1] == b[0] and a[0] != a[1]:
        best = min(best, 1 + _reference_edits(a[2:], b[2:]))
    return best


@settings(max_examples=300, deadline=None)
@given(
    a=st.text(alphabet="0123", min_size=16, max_size=16),
    b=st.text(alphabet="0123", min_size=16, max_size=16),
)
def test_digit_edits_agrees_with_reference_and_bounds(a, b):
    got = int(digit_edits(pd.Series([a]), pd.Series([b]))[0])
    assert got == _reference_edits(a, b)
    assert OSA.distance(a, b) <= got <= Hamming.distance(a, b)
    if OSA.distance(a, b) <= 1:  # one edit that keeps the length: the same measure
        assert got == OSA.distance(a, b)


def test_digit_edits_is_vectorised_over_pairs():
    left = pd.Series([NIK, NIK, NIK[:-1], None])
    right = pd.Series([NIK, "3275014101840002", NIK, NIK])
    assert digit_edits(left, right).tolist() == [0, 1, 17, 17]


# -- the NIK index ---------------------------------------------------------------------------
def test_nik_index_rejects_duplicates_and_malformed_niks_without_showing_them():
    with pytest.raises(ValueError, match="more than once") as dup:
        NikIndex(pd.Series([NIK, NIK]), "dukcapil")
    assert NIK not in str(dup.value)
    with pytest.raises(ValueError, match="not 16 digits"):
        NikIndex(pd.Series([NIK, "32750141018400"]), "dtsen")


def test_nik_index_rows():
    index = NikIndex(pd.Series([NIK, "3275014101840002"]), "dukcapil")
    from domain.identity import nik_keys

    rows = index.rows(nik_keys(pd.Series(["3275014101840002", "x", NIK, "3275014101849999"])))
    assert rows.tolist() == [1, -1, 0, -1]


@settings(max_examples=200, deadline=None)
@given(
    st.sets(st.integers(3275010101800001, 3275010101800400), max_size=60),
    st.sets(st.integers(3275010101800001, 3275010101800400), max_size=60),
    st.randoms(use_true_random=False),
)
def test_nik_index_rows_of_another_index_equals_looking_up_its_keys(mine, theirs, rnd):
    """``rows_of`` reuses the other index's sort; it must give what ``rows`` gives for
    the other's keys in its row order (present, absent, either side empty)."""
    a, b = list(mine), list(theirs)
    rnd.shuffle(a)
    rnd.shuffle(b)
    index = NikIndex(pd.Series([str(k) for k in a], dtype="str"), "dtsen")
    other = NikIndex(pd.Series([str(k) for k in b], dtype="str"), "dukcapil")
    assert index.rows_of(other).tolist() == index.rows(other.keys).tolist()


# -- exact and typo ----------------------------------------------------------------------------
def test_exact_match_reports_identity_facts():
    m = match_one(NIK, [{"NIK": NIK}], nama="Hj. Siti Aminah")
    assert m["match_method"] == "NIK_EXACT" and m["dukcapil_row"] == 0
    assert m["name_similarity"] == 1.0 and m["birth_date_equal"]
    assert pd.isna(m["suggested_nik"])


def test_exact_match_with_other_birth_date():
    m = match_one(NIK, [{"NIK": NIK}], tgl="1984-02-01")
    assert m["match_method"] == "NIK_EXACT" and not m["birth_date_equal"]


def test_corrected_nik_is_reported_as_such():
    frame = match_participants(
        participants(NIK), dukcapil([{"NIK": NIK}]), PARAMS, corrected=np.array([True])
    )
    assert frame["match_method"].iloc[0] == "NIK_CORRECTED"


TYPO_CASES = [
    # (id, BPJS NIK, residents, BPJS name, BPJS birth date, expected method, suggested)
    ("one substitution", "3275014101840007", [{"NIK": NIK}], "SITI AMINAH", "1984-01-01",
     "NIK_PROBABLE_TYPO", NIK),
    ("one transposition", "3275014110840001", [{"NIK": NIK}], "SITI AMINAH", "1984-01-01",
     "NIK_PROBABLE_TYPO", NIK),
    ("two edits", "3275014101850002", [{"NIK": NIK}], "SITI AMINAH", "1984-01-01",
     "NIK_PROBABLE_TYPO", NIK),
    ("letter O for zero", "32750141O1840001", [{"NIK": NIK}], "SITI AMINAH", "1984-01-01",
     "NIK_PROBABLE_TYPO", NIK),
    ("near miss: three edits", "3275024101850003", [{"NIK": NIK}], "SITI AMINAH", "1984-01-01",
     "NONE", None),
    ("near miss: 15 digits (a dropped digit)", NIK[:-1], [{"NIK": NIK}], "SITI AMINAH",
     "1984-01-01", "NONE", None),
    ("near miss: other birth date", "3275014101840007", [{"NIK": NIK}], "SITI AMINAH",
     "1984-01-02", "NONE", None),
    ("name similarity 0.9022 >= 0.90", "3275014101840007",
     [{"NIK": NIK, "NAMA_LGKP": "BUDI SANTOSO"}], "BUDHI SUSANTO", "1984-01-01",
     "NIK_PROBABLE_TYPO", NIK),
    ("near miss: name similarity 0.8955 < 0.90", "3275014101840007",
     [{"NIK": NIK, "NAMA_LGKP": "BUDI SANTOSO"}], "BADU SANTOSO", "1984-01-01", "NONE", None),
    ("near miss: two candidates", "3275014101840003",
     [{"NIK": NIK}, {"NIK": "3275014101840002"}], "SITI AMINAH", "1984-01-01", "NONE", None),
    ("one candidate among same-day records", "3275014101840003",
     [{"NIK": NIK}, {"NIK": "3275014101849992", "NAMA_LGKP": "JOKO"}], "SITI AMINAH",
     "1984-01-01", "NIK_PROBABLE_TYPO", NIK),
]  # fmt: skip


@pytest.mark.parametrize(
    ("bpjs_nik", "residents", "nama", "tgl", "method", "suggested"),
    [pytest.param(*case[1:], id=case[0]) for case in TYPO_CASES],
)
def test_probable_typo_rule(bpjs_nik, residents, nama, tgl, method, suggested):
    m = match_one(bpjs_nik, residents, nama=nama, tgl=tgl)
    assert m["match_method"] == method
    assert (m["suggested_nik"] if method != "NONE" else None) == suggested
    if method == "NONE":
        assert pd.isna(m["suggested_nik"]) and m["suggested_row"] == -1


def test_name_similarity_preconditions_of_the_table():
    jw = JaroWinkler.normalized_similarity
    assert jw("BUDI SANTOSO", "BUDHI SUSANTO") >= 0.90 > jw("BUDI SANTOSO", "BADU SANTOSO")


def test_threshold_is_inclusive():
    sim = JaroWinkler.normalized_similarity("BUDI SANTOSO", normalise_name("BADU SANTOSO"))
    params = RuleParameters(typo_name_similarity=sim)
    m = match_one("3275014101840007", [{"NIK": NIK, "NAMA_LGKP": "BUDI SANTOSO"}],
                  nama="BADU SANTOSO", params=params)  # fmt: skip
    assert m["match_method"] == "NIK_PROBABLE_TYPO"


def test_two_candidates_are_counted_and_none_suggested():
    m = match_one("3275014101840003", [{"NIK": NIK}, {"NIK": "3275014101840002"}])
    assert m["typo_candidates"] == 2 and pd.isna(m["suggested_nik"])


def test_typo_reports_edits_and_similarity():
    m = match_one("3275014101840007", [{"NIK": NIK}], nama="SITI AMINA")
    assert m["nik_edits"] == 1 and 0.9 < m["name_similarity"] < 1.0
    assert m["typo_candidates"] == 1 and m["suggested_row"] == 0


def test_max_nik_edits_is_a_parameter():
    m = match_one("3275014101850002", [{"NIK": NIK}], params=RuleParameters(max_nik_edits=1))
    assert m["match_method"] == "NONE"


def test_blocking_compares_only_people_born_the_same_day(monkeypatch):
    """The edit distance sees only same-day pairs: 1 of the 1,001 residents here."""
    from domain import matching

    seen: list[int] = []
    real = matching.digit_edits

    def spy(left, right, width=16):
        seen.append(len(left))
        return real(left, right, width)

    monkeypatch.setattr(matching, "digit_edits", spy)
    others = [{"NIK": f"32750155059{i:05d}", "TGL_LHR": "1990-05-15"} for i in range(1, 1001)]
    m = match_one("3275014101840007", [{"NIK": NIK}, *others])
    assert m["match_method"] == "NIK_PROBABLE_TYPO"
    assert seen == [1]


def test_many_participants_at_once_keep_their_alignment():
    residents = dukcapil([{"NIK": NIK}, {"NIK": "3275015505900002", "NAMA_LGKP": "BUDI SANTOSO",
                                        "TGL_LHR": "1990-05-15"}])  # fmt: skip
    frame = pd.DataFrame(
        {
            "NIK": pd.array(["3275015505900002", "bogus", "3275014101840009", None], dtype="str"),
            "NAMA": ["BUDI SANTOSO", "X", "SITI AMINAH", "SITI AMINAH"],
            "TGL_LAHIR": pd.to_datetime(["1990-05-15", None, "1984-01-01", "1984-01-01"]),
        },
        index=[10, 11, 12, 13],
    )
    out = match_participants(frame, residents, PARAMS)
    assert out.index.tolist() == [10, 11, 12, 13]
    assert out["match_method"].tolist() == ["NIK_EXACT", "NONE", "NIK_PROBABLE_TYPO", "NONE"]
    assert out["dukcapil_row"].tolist() == [1, -1, -1, -1]
    assert out["suggested_row"].tolist() == [-1, -1, 0, -1]
