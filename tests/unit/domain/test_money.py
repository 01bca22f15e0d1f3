"""The money view (domain.money): each situation of PROGRAM.md "Money" on a small city
whose figures are worked out by hand here; unreadable values are unknown, never a crash;
no decision changes."""

from __future__ import annotations

import pandas as pd
import pytest

from domain.money import MoneySituation, money_view
from domain.reconcile import ReconcileInputs, reconcile
from domain.rules import RuleParameters
from tests.unit.domain.frames import PERIOD, person, sources

PARAMS = RuleParameters()
S = MoneySituation


def nik(i: int) -> str:
    return f"32750141018400{i:02d}"


def kpj(i: int) -> str:
    return f"100000000{i:02d}"


def city(extra_bpjs: list[dict] | None = None):
    """Participants 1-9 (KPJ 100000000<i>) in period 2026-10 (P)."""
    people = [
        person(nik(1), kpj=kpj(1), bpjs={"BULAN_IURAN_TERAKHIR": "2026-10"}),  # paid up
        person(nik(2), kpj=kpj(2), bpjs={"IURAN_BULANAN": 21_800, "UPAH_DILAPORKAN": 1_500_000,
                                          "BULAN_IURAN_TERAKHIR": "2026-10"}),  # fmt: skip
        person(nik(3), kpj=kpj(3), bpjs={"BULAN_IURAN_TERAKHIR": "2026-07"}),  # arrears 3
        person(nik(4), kpj=kpj(4), bpjs={"BULAN_IURAN_TERAKHIR": "2026-09"}),  # one behind: fine
        person(nik(5), kpj=kpj(5), bpjs={"BULAN_IURAN_TERAKHIR": "2026-10"}),  # pending: 1 month
        person(nik(6), kpj=kpj(6), duk={"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-08-15"},
               bpjs={"BULAN_IURAN_TERAKHIR": "2026-11"}),  # died in August, paid to November
        person(nik(7), kpj=kpj(7), duk={"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-01"},
               bpjs={"BULAN_IURAN_TERAKHIR": "2026-12"}),  # pending and died: counted once
        person(nik(8), kpj=kpj(8), bpjs={"BULAN_IURAN_TERAKHIR": "2026-1"}),  # unreadable month
        person(nik(9), kpj=kpj(9), duk={"TGL_LHR": "1950-01-01"}, bpjs={"TGL_LAHIR": "1950-01-01",
               "BULAN_IURAN_TERAKHIR": "2026-05"}),  # aged 76: TERMINATE, arrears not counted
    ]  # fmt: skip
    frames = sources(people, extra_bpjs)
    # NIK 9's date part must follow the birth date (a warning otherwise, not our concern)
    return frames


def run(frames, terminated=frozenset({kpj(5), kpj(7)})):
    result = reconcile(
        ReconcileInputs.from_frames(PERIOD, frames, previous_terminated_kpjs=terminated), PARAMS
    )
    view = money_view(PERIOD, frames["bpjstk"], frames["dukcapil"], result.entries, terminated, PARAMS)
    return result, view


def listed(view, situation) -> dict[str, tuple]:
    rows = view.rows[view.rows["situation"] == situation.value]
    return {
        r.kpj: (None if pd.isna(r.months) else int(r.months), None if pd.isna(r.idr) else int(r.idr))
        for r in rows.itertuples()
    }


def test_each_situation_by_hand():
    frames = city(
        [{"KPJ": "20000000001", "NIK": nik(1), "SUMBER_IURAN": "MANDIRI", "IURAN_BULANAN": 36_800,
          "BULAN_IURAN_TERAKHIR": "2026-01"}]  # another payer: never in the city's money view
    )  # fmt: skip
    result, view = run(frames)
    decision = result.entries.set_index("kpj")["decision"]
    assert decision[kpj(6)] == "TERMINATE" and decision[kpj(9)] == "TERMINATE"
    assert decision[kpj(5)] == "TERMINATE" and decision[kpj(3)] == "KEEP"
    s = view.summary

    assert s["billed"]["rows"] == 9
    assert s["billed"]["idr"] == 8 * 16_800 + 21_800
    assert s["billed"]["unreadable"] == 0
    assert s["billed"]["by_decision_idr"]["TERMINATE"] == 4 * 16_800  # 5, 6, 7, 9
    keep = (decision == "KEEP").sum() + (decision == "REVERIFY").sum()
    assert s["registry_cost_idr"] == keep * 16_800
    assert s["difference_idr"] == s["billed"]["idr"] - s["registry_cost_idr"]

    assert listed(view, S.CONTRIBUTION_DIFFERS) == {kpj(2): (None, 5_000)}
    assert s["contribution_differs"] == {"rows": 1, "difference_idr": 5_000}

    # terminated by 2026-09's release: months paid after September
    assert listed(view, S.TERMINATION_PENDING_BILLED) == {kpj(5): (1, 16_800), kpj(7): (3, 50_400)}
    assert s["termination_pending"] == {"people": 2, "months": 4, "idr": 67_200, "unreadable": 0}

    # died in August and paid to November: 3 months; died in October, paid to December: 2
    assert listed(view, S.BILLED_AFTER_DEATH) == {kpj(6): (3, 50_400), kpj(7): (2, 33_600)}
    assert s["billed_after_death"] == {"people": 2, "months": 5, "idr": 84_000, "unreadable": 0}

    # KPJ 7 once, with its larger months (3, pending)
    assert s["to_recover"] == {"people": 3, "months": 1 + 3 + 3, "idr": 16_800 + 50_400 + 50_400}

    # arrears: July is 3 months before October (KPJ 9 is terminated: not at risk)
    assert listed(view, S.ARREARS) == {kpj(3): (3, 50_400)}
    assert s["arrears"] == {"people": 1, "months": 3, "idr": 50_400, "unreadable": 0}
    assert s["last_month_paid_unreadable"] == 1  # KPJ 8's "2026-1"

    rows = view.rows
    assert list(rows.columns) == ["kpj", "kode_kelurahan", "situation", "iuran_bulanan",
                                  "bulan_iuran_terakhir", "months", "idr"]  # fmt: skip
    assert set(rows["kode_kelurahan"]) == {"32.75.01.1001"}
    assert "nik" not in rows and "nama" not in rows


def test_nothing_changes_a_decision():
    """The view reads the entries and the frames; it changes none of them."""
    frames = city()
    result = reconcile(ReconcileInputs.from_frames(PERIOD, frames, {kpj(5), kpj(7)}), PARAMS)
    entries, bpjstk = result.entries.copy(), frames["bpjstk"].copy()
    money_view(PERIOD, frames["bpjstk"], frames["dukcapil"], result.entries, {kpj(5), kpj(7)}, PARAMS)
    pd.testing.assert_frame_equal(result.entries, entries)
    pd.testing.assert_frame_equal(frames["bpjstk"], bpjstk)


def test_unreadable_contributions_and_months_are_unknown_not_a_crash():
    frames = city()
    bp = frames["bpjstk"]
    bp["IURAN_BULANAN"] = bp["IURAN_BULANAN"].astype("Int64")
    bp.loc[bp["KPJ"] == kpj(3), "IURAN_BULANAN"] = pd.NA  # arrears, amount unknown
    bp.loc[bp["KPJ"] == kpj(5), "BULAN_IURAN_TERAKHIR"] = None  # pending, month unknown
    _, view = run(frames)
    s = view.summary
    assert s["billed"]["unreadable"] == 1
    assert s["billed"]["idr"] == 7 * 16_800 + 21_800
    assert s["arrears"] == {"people": 1, "months": 0, "idr": 0, "unreadable": 1}
    assert s["termination_pending"] == {"people": 2, "months": 3, "idr": 50_400, "unreadable": 1}
    assert s["last_month_paid_unreadable"] == 2
    assert listed(view, S.TERMINATION_PENDING_BILLED)[kpj(5)] == (None, None)


def test_an_empty_city():
    frames = city()
    frames["bpjstk"] = frames["bpjstk"].iloc[0:0]
    result = reconcile(ReconcileInputs.from_frames(PERIOD, frames), PARAMS)
    view = money_view(PERIOD, frames["bpjstk"], frames["dukcapil"], result.entries, frozenset(), PARAMS)
    assert view.summary["billed"] == {"rows": 0, "idr": 0, "unreadable": 0,
                                      "by_decision_idr": {"KEEP": 0, "REVERIFY": 0, "TERMINATE": 0}}  # fmt: skip
    assert view.rows.empty and view.summary["to_recover"]["people"] == 0


@pytest.mark.parametrize("bad", ["", "2026-13", "bulan", None])
def test_any_last_month_text_is_read_or_unknown(bad):
    frames = city()
    frames["bpjstk"].loc[frames["bpjstk"]["KPJ"] == kpj(3), "BULAN_IURAN_TERAKHIR"] = bad
    _, view = run(frames)
    assert view.summary["arrears"]["people"] == 0
