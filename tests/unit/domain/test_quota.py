"""Quota, priority and costs (domain.quota), alone and through ``reconcile``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.quota import (
    allocate,
    budget_places,
    place_cap,
    priority_order,
    priority_ranks,
    summarise,
    whatif,
)
from domain.reconcile import ReconcileInputs, reconcile
from domain.rules import RuleParameters
from tests.unit.domain.frames import PERIOD, person, sources


@pytest.mark.parametrize(
    ("quota", "budget", "contribution", "cap", "budget_cap"),
    [
        (51_666, None, 16_800, 51_666, None),
        # Rp2 billion pays 9,920 people for twelve months at Rp16,800
        (51_666, 2_000_000_000, 16_800, 9_920, 9_920),
        (5_000, 2_000_000_000, 16_800, 5_000, 9_920),
        (100, 201_599, 16_800, 0, 0),  # one rupiah short of one person-year
        (100, 201_600, 16_800, 1, 1),
    ],
)
def test_cap(quota, budget, contribution, cap, budget_cap):
    params = RuleParameters(
        quota=quota, annual_budget_idr=budget, monthly_contribution_idr=contribution
    )
    assert place_cap(params) == cap
    assert budget_places(params) == budget_cap


def test_budget_needs_a_positive_contribution():
    with pytest.raises(ValueError, match="positive"):
        place_cap(RuleParameters(annual_budget_idr=1, monthly_contribution_idr=0))


@pytest.mark.parametrize(
    ("used", "candidates", "quota", "free", "enrolled"),
    [(90, 30, 100, 10, 10), (100, 30, 100, 0, 0), (120, 30, 100, 0, 0), (10, 30, 100, 90, 30),
     (0, 0, 100, 100, 0)],
)  # fmt: skip
def test_summary(used, candidates, quota, free, enrolled):
    s = summarise(used, candidates, RuleParameters(quota=quota))
    assert (s.free_places, s.enrolled, s.waitlisted) == (free, enrolled, candidates - enrolled)
    assert s.places_used == used and s.places_after_enrolment == used + enrolled
    assert s.monthly_cost_idr == (used + enrolled) * 16_800
    assert s.annual_cost_idr == 12 * s.monthly_cost_idr
    assert s.budget_covers is None and s.cap == quota


def test_priority_order_keys_in_turn():
    frame = pd.DataFrame(
        {
            "desil": [2, 1, 1, 1, 1, 1],
            "pkh": [True, False, True, True, True, True],
            "born": pd.to_datetime(
                ["1950-01-01", "1950-01-01", "1990-01-01", "1980-01-01", "1980-01-01", "1980-01-01"]
            ),
            "nik": [
                "3275010101500001",
                "3275010101500002",
                "3275010101900001",
                "3275010101800009",
                "3275010101800003",
                "3275010101800005",
            ],
        }
    )
    order = priority_order(frame["desil"], frame["pkh"], frame["born"], frame["nik"])
    # desil 1 first; among them PKH first; older first; then NIK ascending
    assert order.tolist() == [4, 5, 3, 2, 1, 0]
    ranks = priority_ranks(frame["desil"], frame["pkh"], frame["born"], frame["nik"])
    assert ranks.tolist() == [6, 5, 4, 3, 1, 2]


def test_priority_order_accepts_int_keys_and_malformed_text():
    nik = pd.Series(["3275010101800009", "3275010101800003"])
    same = (
        pd.Series([1, 1]),
        pd.Series([False, False]),
        pd.to_datetime(pd.Series(["1980-01-01"] * 2)),
    )
    assert priority_order(*same, np.array([3275010101800009, 3275010101800003])).tolist() == [1, 0]
    assert priority_order(*same, nik).tolist() == [1, 0]
    assert priority_order(*same, pd.Series(["b", "a"])).tolist() == [1, 0]


def test_allocate():
    assert allocate(np.array([3, 1, 2]), 2).tolist() == ["WAITLIST", "ENROLL", "ENROLL"]
    assert allocate(np.array([1]), 0).tolist() == ["WAITLIST"]


# -- through reconcile -------------------------------------------------------------------
def _city(n_participants: int, n_candidates: int) -> ReconcileInputs:
    people = [person(f"32750101018{i:05d}", kpj=f"1{i:010d}", duk={"JENIS_KLMIN": 1, "TGL_LHR": "1984-01-01"},
                     bpjs={"TGL_LAHIR": "1984-01-01"}) for i in range(1, n_participants + 1)]  # fmt: skip
    people += [
        person(f"32750201019{i:05d}", kpj=None, dts={"DESIL": 1 + i % 5, "PENERIMA_PKH": i % 3 == 0},
               duk={"TGL_LHR": f"19{60 + i % 40}-03-0{1 + i % 9}"})
        for i in range(1, n_candidates + 1)
    ]  # fmt: skip
    src = sources(people)
    return ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"])


def test_enrol_the_first_free_places_by_rank():
    rec = reconcile(_city(3, 10), RuleParameters(quota=7))
    e = rec.entries
    ranked = e[e["decision"].isin(["ENROLL", "WAITLIST"])]
    assert ranked["priority_rank"].tolist() == list(range(1, 11))  # entries in rank order
    assert (ranked["decision"] == "ENROLL").sum() == 4
    assert ranked[ranked["decision"] == "ENROLL"]["priority_rank"].max() == 4
    assert rec.quota.free_places == 4 and rec.quota.enrolled == 4 and rec.quota.waitlisted == 6
    assert rec.quota.monthly_cost_idr == 7 * 16_800 == e["monthly_contribution_idr"].sum()
    assert e.loc[e["decision"] == "WAITLIST", "monthly_contribution_idr"].eq(0).all()
    # desil never increases with the rank
    assert ranked["desil"].is_monotonic_increasing


def test_no_free_places_waitlists_everyone():
    rec = reconcile(_city(3, 4), RuleParameters(quota=2))
    assert rec.quota.free_places == 0 and rec.counts["ENROLL"] == 0 and rec.counts["WAITLIST"] == 4


def test_budget_caps_the_places():
    params = RuleParameters(quota=100, annual_budget_idr=5 * 12 * 16_800 + 1)
    rec = reconcile(_city(3, 4), params)
    assert rec.quota.cap == 5 and rec.quota.budget_covers == 5 and rec.counts["ENROLL"] == 2


def test_whatif_more_budget():
    rec = reconcile(_city(3, 10), RuleParameters(quota=5))
    more = whatif(rec, RuleParameters(quota=100, annual_budget_idr=9 * 12 * 16_800))
    assert more.current == rec.quota
    assert more.proposed.cap == 9 and more.proposed.enrolled == 6
    assert more.additional_enrolled == 4
    assert more.additional_monthly_cost_idr == 4 * 16_800
    assert more.additional_annual_cost_idr == 12 * 4 * 16_800
    assert more.over_cap == 0
    newly = rec.entries[rec.entries["priority_rank"].between(3, 6)]
    assert more.additional_by_desil == newly["desil"].value_counts().sort_index().to_dict()


def test_whatif_less_budget_reports_participants_over_the_cap():
    rec = reconcile(_city(3, 10), RuleParameters(quota=5))
    less = whatif(rec.entries, RuleParameters(annual_budget_idr=2 * 12 * 16_800),
                  current_params=RuleParameters(quota=5))  # fmt: skip
    assert less.current.enrolled == 2 and less.current.cap == 5
    assert less.proposed.enrolled == 0 and less.additional_enrolled == -2
    assert less.over_cap == 1 and less.additional_by_desil == {}


def test_whatif_rejects_other_things():
    with pytest.raises(TypeError):
        whatif(object(), RuleParameters())
