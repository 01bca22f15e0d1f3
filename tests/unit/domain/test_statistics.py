"""Coverage statistics (domain.statistics) against counts computed here, independently,
with pandas groupby over the same entries; and the trend over periods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.reference import city_kelurahan, occupations
from domain.statistics import (
    DIMENSIONS,
    TrendPoint,
    coverage_statistics,
    coverage_trend,
    dimension,
    totals,
)

DECISIONS = ["KEEP", "REVERIFY", "TERMINATE", "ENROLL", "WAITLIST"]


def make_entries(n: int, seed: int = 0, *, disability: bool = True) -> pd.DataFrame:
    """Entries with every kind of value the breakdowns meet: nulls, ages outside 15-65,
    kelurahan outside the city, unknown occupation codes."""
    rng = np.random.default_rng(seed)
    kel = city_kelurahan()["kode_kelurahan"].to_numpy()
    decision = rng.choice(DECISIONS, n, p=[0.3, 0.05, 0.05, 0.1, 0.5])
    participant = np.isin(decision, ["KEEP", "REVERIFY", "TERMINATE"])
    where = rng.choice(kel, n).astype(object)
    where[rng.random(n) < 0.03] = None
    where[rng.random(n) < 0.01] = "32.16.01.2001"  # Kabupaten Bekasi
    occupation = rng.choice([84, 88, 2, 19, 23, 15, 1, 3, 5], n).astype("float")
    occupation[rng.random(n) < 0.02] = np.nan
    flag = rng.random(n)
    return pd.DataFrame(
        {
            "kpj": np.where(participant, [f"1{i:010d}" for i in range(n)], None),
            "kode_kelurahan": where,
            "kode_kecamatan": pd.Series(where).str[:8],
            "decision": decision,
            "jenis_kelamin": pd.array(
                np.where(rng.random(n) < 0.02, None, rng.choice([1, 2], n)), dtype="Int8"
            ),
            "umur": pd.array(
                np.where(rng.random(n) < 0.01, None, rng.integers(12, 72, n)), dtype="Int16"
            ),
            "kode_pekerjaan": pd.array(occupation, dtype="Int16"),
            "disabilitas": pd.array(
                np.where(flag < 0.06, True, np.where(flag < 0.95, False, None))
                if disability
                else [None] * n,
                dtype="boolean",
            ),
            "kategori": np.where(participant, rng.choice(["OJOL", "PKL", "PRT", "RT_RW"], n), None),
            "desil": pd.array(np.where(rng.random(n) < 0.02, None, rng.integers(1, 8, n)), dtype="Int8"),
        }
    )


def expected_codes(entries: pd.DataFrame) -> dict[str, pd.Series]:
    """Each breakdown's category, written out here with plain pandas."""
    sex = entries["jenis_kelamin"].map({1: "L", 2: "P"}).fillna("TIDAK_DIKETAHUI")
    age = entries["umur"].astype("float")
    band = pd.cut(age, [14, 24, 34, 44, 54, 65], labels=["15-24", "25-34", "35-44", "45-54", "55-65"])
    band = band.astype("object").fillna("LAINNYA")
    groups = occupations().set_index("kode")["kelompok"]
    group = entries["kode_pekerjaan"].astype("float").map(groups).fillna("TIDAK_DIKETAHUI")
    job = entries["kode_pekerjaan"].astype("float").map(
        lambda v: "TIDAK_DIKETAHUI" if pd.isna(v) else str(int(v))
    )
    disability = entries["disabilitas"].map({True: "YA", False: "TIDAK"}).fillna("TIDAK_DIKETAHUI")
    city = set(city_kelurahan()["kode_kelurahan"])
    kel = entries["kode_kelurahan"].where(entries["kode_kelurahan"].isin(city)).fillna("TIDAK_DIKETAHUI")
    kec = kel.where(kel == "TIDAK_DIKETAHUI", kel.str[:8])
    desil = entries["desil"].astype("float").map(lambda v: "TIDAK_DIKETAHUI" if pd.isna(v) else str(int(v)))
    return {
        "jenis_kelamin": sex, "kelompok_umur": band, "kelompok_pekerjaan": group,
        "pekerjaan": job, "kategori": entries["kategori"].fillna("TIDAK_DIKETAHUI"),
        "disabilitas": disability, "desil": desil, "kode_kecamatan": kec, "kode_kelurahan": kel,
    }  # fmt: skip


def independent_table(entries: pd.DataFrame, codes: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame({"code": codes.astype(str), "decision": entries["decision"]})
    frame = frame[frame["decision"] != "TERMINATE"]
    frame["measure"] = frame["decision"].replace({"KEEP": "covered", "REVERIFY": "covered",
                                                  "ENROLL": "enroll", "WAITLIST": "waitlist"})  # fmt: skip
    counts = frame.groupby(["code", "measure"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=["covered", "enroll", "waitlist"], fill_value=0)
    counts["eligible"] = counts.sum(axis=1)
    return counts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_breakdown_equals_an_independent_groupby(seed):
    entries = make_entries(3_000, seed)
    stats = coverage_statistics(entries)
    expected = expected_codes(entries)
    assert set(stats.tables) == set(DIMENSIONS)
    for name in DIMENSIONS:
        assert dimension(entries, name).tolist() == expected[name].astype(str).tolist(), name
        got = stats.tables[name]
        want = independent_table(entries, expected[name])
        nonzero = got[got["eligible"] > 0]
        assert set(nonzero.index) == set(want.index), name
        for column in ("eligible", "covered", "enroll", "waitlist"):
            assert nonzero.loc[want.index, column].tolist() == want[column].tolist(), (name, column)
        rate = nonzero["covered"] / nonzero["eligible"]
        assert np.allclose(nonzero["coverage_rate"], rate)
        assert got["eligible"].sum() == (entries["decision"] != "TERMINATE").sum()
    # the waitlist's composition: WAITLIST people per category
    for name, table in stats.waitlist.items():
        waiting = expected[name][entries["decision"] == "WAITLIST"].value_counts()
        assert table.loc[table["people"] > 0, "people"].sort_index().to_dict() == waiting.sort_index().to_dict()
        assert table["share"].sum() == pytest.approx(1.0)
    # women by occupation
    women = entries[expected["jenis_kelamin"] == "P"]
    want = independent_table(women, expected["pekerjaan"][women.index])
    got = stats.women_by_occupation
    assert got.loc[want.index, "eligible"].tolist() == want["eligible"].tolist()
    assert stats.disability_available


def test_totals_and_definitions():
    entries = make_entries(500, 5)
    t = totals(entries)
    d = entries["decision"].value_counts()
    assert t["covered"] == d["KEEP"] + d["REVERIFY"]
    assert t["eligible"] == d["KEEP"] + d["REVERIFY"] + d["ENROLL"] + d["WAITLIST"]
    assert t["coverage_rate"] == pytest.approx(t["covered"] / t["eligible"])
    assert totals(entries.iloc[0:0])["coverage_rate"] is None


def test_disability_is_not_available_without_values():
    entries = make_entries(200, 3, disability=False)
    stats = coverage_statistics(entries)
    assert not stats.disability_available
    table = stats.tables["disabilitas"]
    assert table.loc[["YA", "TIDAK"], "eligible"].sum() == 0


def test_trend_against_the_annual_budget():
    points = [
        TrendPoint("2026-11", 1, {"KEEP": 90, "REVERIFY": 10, "ENROLL": 20, "WAITLIST": 80, "TERMINATE": 3}, 2_016_000, 1_700_000),
        TrendPoint("2026-12", 2, {"KEEP": 110, "REVERIFY": 10, "ENROLL": 5, "WAITLIST": 75, "TERMINATE": 1}, 2_100_000),
        TrendPoint("2027-01", 1, {"KEEP": 115, "REVERIFY": 10, "ENROLL": 10, "WAITLIST": 70}, 2_268_000),
    ]  # fmt: skip
    trend = coverage_trend(list(reversed(points)), 2_000_000_000)
    assert trend["period"].tolist() == ["2026-11", "2026-12", "2027-01"]
    assert trend["eligible"].tolist() == [200, 200, 205]
    assert trend["covered"].tolist() == [100, 120, 125]
    assert trend["coverage_rate"].tolist() == pytest.approx([0.5, 0.6, 125 / 205])
    # the calendar year restarts in January
    assert trend["year_to_date_cost_idr"].tolist() == [2_016_000, 4_116_000, 2_268_000]
    assert trend["budget_used_share"].tolist() == pytest.approx([x / 2e9 for x in (2_016_000, 4_116_000, 2_268_000)])
    assert trend["annualised_cost_idr"].tolist() == [24_192_000, 25_200_000, 27_216_000]
    assert trend["billed_idr"].iloc[0] == 1_700_000 and trend["billed_idr"].iloc[1:].isna().all()
    without = coverage_trend(points, None)
    assert without["budget_used_share"].isna().all() and without["annualised_budget_share"].isna().all()
    one = coverage_trend(points[:1], None)
    assert len(one) == 1
