"""Re-verification cases (domain.cases): opening, carrying, escalating, closing, and the
kelurahan's results; a case's whole life across periods."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from domain.cases import (
    OPEN_CASE_COLUMNS,
    OPENED_COLUMNS,
    PROBLEM_COLUMNS,
    RESOLVED_COLUMNS,
    SEEN_COLUMNS,
    VERIFIED_COLUMNS,
    CasePlan,
    apply_verification_results,
    opened_period,
    plan_cases,
)
from domain.changes import detect_changes, empty_changes
from domain.codes import Source
from domain.rules import RuleParameters

PARAMS = RuleParameters()
P1, P2, P3, P4 = "2026-09", "2026-10", "2026-11", "2026-12"
NIK_A, NIK_B, NIK_C, NIK_D = (
    "3275014101900001",
    "3275010202850002",
    "3275010303800003",
    "3275010404800004",
)
KPJ_A, KPJ_B, KPJ_C = "11000000001", "11000000002", "11000000003"
KEL_1, KEL_2 = "32.75.01.1001", "32.75.02.1005"


# -- frames built by hand --------------------------------------------------------------
def entries(*rows: dict) -> pd.DataFrame:
    """Reconciliation entries (docs/DESIGN.md ENTRY_COLUMNS), defaults filled in."""
    default = {
        "nik": None,
        "kpj": None,
        "nama": "SITI AMINAH",
        "kode_kelurahan": KEL_1,
        "kode_kecamatan": "32.75.01",
        "desil": 3,
        "kategori": "PKL",
        "jenis_kelamin": 2,
        "umur": 36,
        "decision": "KEEP",
        "reasons": "",
        "match_method": "NIK_EXACT",
        "suggested_nik": None,
        "priority_rank": None,
        "monthly_contribution_idr": 16_800,
        "jkm_claim_alert": False,
        "evidence": "",
    }
    frame = pd.DataFrame([{**default, **r} for r in rows], columns=list(default))
    return frame.astype(
        {
            "nik": "str",
            "kpj": "str",
            "nama": "str",
            "kode_kelurahan": "str",
            "desil": "Int8",
            "decision": "str",
            "reasons": "str",
            "evidence": "str",
            "priority_rank": "Int64",
        }
    )


def changes(*rows: tuple) -> pd.DataFrame:
    """(nik, change_type, before, after, source, triggers)."""
    if not rows:
        return empty_changes()
    frame = pd.DataFrame(
        rows, columns=["nik", "change_type", "before", "after", "source", "triggers_reverification"]
    )
    return frame.astype({c: "str" for c in frame.columns[:-1]})


def no_cases() -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series([], dtype="int64" if c == "periods_open" else "str")
            for c in (*OPEN_CASE_COLUMNS, "status", "evidence")
        }
    )


def open_case(case_id, nik, kpj, kel, triggers, periods_open=1, evidence="") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "case_id": case_id,
                "nik": nik,
                "kpj": kpj,
                "kode_kelurahan": kel,
                "triggers": triggers,
                "periods_open": periods_open,
                "status": "OPEN",
                "evidence": evidence,
            }
        ]
    ).astype({"kpj": "str", "kode_kelurahan": "str"})


def expected_id(period: str, key: str) -> str:
    return f"RV-{period.replace('-', '')}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


DESIL_7 = "DESIL_ABOVE_LIMIT: DTSEN desil 7 (ranked 2026-07-01)"


# -- opening -----------------------------------------------------------------------------
def test_reverify_entry_opens_a_case_with_its_reverify_reasons():
    e = entries(
        {
            "nik": NIK_A,
            "kpj": KPJ_A,
            "decision": "REVERIFY",
            "reasons": "DESIL_ABOVE_LIMIT;DOUBLE_FUNDED",
            "evidence": DESIL_7,
        },
        {"nik": NIK_B, "kpj": KPJ_B, "decision": "KEEP"},
    )
    plan = plan_cases(no_cases(), e, changes(), P1, PARAMS)
    assert isinstance(plan, CasePlan)
    assert tuple(plan.opened.columns) == OPENED_COLUMNS
    assert plan.opened.to_dict("records") == [
        {
            "case_id": expected_id(P1, KPJ_A),
            "nik": NIK_A,
            "kpj": KPJ_A,
            "kode_kelurahan": KEL_1,
            "triggers": "DESIL_ABOVE_LIMIT;DOUBLE_FUNDED",
            "evidence": DESIL_7,
            "periods_open": 1,
        }
    ]
    assert plan.seen.empty and plan.resolved.empty and plan.escalated.empty
    assert plan.counts == {"opened": 1, "seen": 0, "resolved": 0, "escalated": 0}


def test_case_ids_are_deterministic_across_reruns():
    e = entries({"nik": NIK_A, "kpj": KPJ_A, "decision": "REVERIFY", "reasons": "NOT_IN_DTSEN"})
    first = plan_cases(no_cases(), e, changes(), P1, PARAMS).opened
    again = plan_cases(no_cases(), e, changes(), P1, PARAMS).opened
    assert first["case_id"].tolist() == again["case_id"].tolist()
    assert first["case_id"].str.fullmatch(r"RV-202609-[0-9a-f]{10}").all()
    assert opened_period(first["case_id"]).tolist() == [P1]


def test_only_reverify_reasons_are_triggers():
    e = entries(
        # a flag and a KEEP-reason beside a REVERIFY reason: only the latter is a trigger
        {
            "nik": NIK_A,
            "kpj": KPJ_A,
            "decision": "REVERIFY",
            "reasons": "FORMAL_OCCUPATION;JKM_CLAIM_ALERT;NIK_CORRECTED",
        },
        {"nik": NIK_B, "kpj": KPJ_B, "decision": "KEEP", "reasons": "VERIFIED_ELIGIBLE"},
        {
            "nik": NIK_C,
            "kpj": KPJ_C,
            "decision": "TERMINATE",
            "reasons": "DECEASED;JKM_CLAIM_ALERT",
        },
    )
    plan = plan_cases(no_cases(), e, changes(), P1, PARAMS)
    assert plan.opened["triggers"].tolist() == ["FORMAL_OCCUPATION"]


def test_triggering_changes_open_cases_but_not_for_terminated_people():
    e = entries(
        {"nik": NIK_A, "kpj": KPJ_A, "decision": "KEEP"},
        {"nik": NIK_B, "kpj": KPJ_B, "decision": "TERMINATE", "reasons": "DECEASED"},
        {"nik": NIK_C, "kpj": KPJ_C, "decision": "KEEP"},
    )
    ch = changes(
        (NIK_A, "KK_CHANGED", "3275010101100001", "3275010101100099", "dukcapil", True),
        (NIK_B, "DIED", "HIDUP", "MATI", "dukcapil", False),
        (NIK_B, "KK_CHANGED", "3275010101100002", "3275010101100098", "dukcapil", True),
        (NIK_C, "MOVED_WITHIN_CITY", KEL_1, KEL_2, "dukcapil", False),
        (NIK_C, "DESIL_CHANGED", "2", "4", "dtsen", False),
    )
    plan = plan_cases(no_cases(), e, ch, P1, PARAMS)
    assert plan.opened[["kpj", "triggers", "evidence"]].to_dict("records") == [
        {
            "kpj": KPJ_A,
            "triggers": "KK_CHANGED",
            "evidence": "KK_CHANGED: 3275010101100001 -> 3275010101100099 (dukcapil)",
        }
    ]


def test_reasons_and_changes_are_united_sorted():
    e = entries(
        {
            "nik": NIK_A,
            "kpj": KPJ_A,
            "decision": "REVERIFY",
            "reasons": "DESIL_ABOVE_LIMIT",
            "evidence": DESIL_7,
        }
    )
    ch = changes(
        (NIK_A, "NAME_CHANGED", "SITI AMINAH", "SITI AMINAH SARI", "dukcapil", True),
        (NIK_A, "DESIL_CHANGED", "5", "7", "dtsen", True),
    )
    row = plan_cases(no_cases(), e, ch, P1, PARAMS).opened.iloc[0]
    assert row["triggers"] == "DESIL_ABOVE_LIMIT;DESIL_CHANGED;NAME_CHANGED"
    assert row["evidence"] == (
        f"{DESIL_7}; NAME_CHANGED: SITI AMINAH -> SITI AMINAH SARI (dukcapil); "
        "DESIL_CHANGED: 5 -> 7 (dtsen)"
    )


def test_non_participant_case_is_keyed_by_nik():
    e = entries(
        {"nik": NIK_D, "kpj": None, "decision": "WAITLIST", "priority_rank": 3},
        {"nik": NIK_C, "kpj": None, "decision": "ENROLL", "priority_rank": 1},
    )
    ch = changes((NIK_D, "DISAPPEARED", KEL_1, None, "dtsen", True))
    opened = plan_cases(no_cases(), e, ch, P1, PARAMS).opened
    assert opened["case_id"].tolist() == [expected_id(P1, NIK_D)]
    assert opened["kpj"].isna().all()
    assert opened["evidence"].tolist() == ["DISAPPEARED: 32.75.01.1001 -> - (dtsen)"]


def test_unknown_person_has_no_kelurahan():
    e = entries(
        {
            "nik": "3275019999990000",
            "kpj": KPJ_A,
            "decision": "REVERIFY",
            "reasons": "NIK_NOT_FOUND",
            "kode_kelurahan": None,
            "match_method": "NONE",
        }
    )
    opened = plan_cases(no_cases(), e, changes(), P1, PARAMS).opened
    assert opened["kode_kelurahan"].isna().tolist() == [True]


def test_missing_columns_are_named():
    e = entries({"nik": NIK_A, "kpj": KPJ_A})
    with pytest.raises(ValueError, match="periods_open"):
        plan_cases(no_cases().drop(columns="periods_open"), e, changes(), P1, PARAMS)
    with pytest.raises(ValueError, match="period"):
        plan_cases(no_cases(), e, changes(), "2026/09", PARAMS)


# -- carrying on ---------------------------------------------------------------------
def test_open_case_is_seen_with_union_of_triggers_and_new_kelurahan():
    cid = expected_id(P1, KPJ_A)
    cases = open_case(cid, NIK_A, KPJ_A, KEL_1, "DESIL_ABOVE_LIMIT", evidence=DESIL_7)
    e = entries(
        {
            "nik": NIK_A,
            "kpj": KPJ_A,
            "decision": "REVERIFY",
            "kode_kelurahan": KEL_2,
            "reasons": "NOT_IN_DTSEN",
            "evidence": "NOT_IN_DTSEN: no DTSEN record",
        }
    )
    ch = changes((NIK_A, "MOVED_WITHIN_CITY", KEL_1, KEL_2, "dukcapil", False))
    plan = plan_cases(cases, e, ch, P2, PARAMS)
    assert plan.opened.empty
    assert tuple(plan.seen.columns) == SEEN_COLUMNS
    assert plan.seen.to_dict("records") == [
        {
            "case_id": cid,
            "triggers": "DESIL_ABOVE_LIMIT;NOT_IN_DTSEN",
            "kode_kelurahan": KEL_2,
            "periods_open": 2,
            "escalated": False,
            "evidence": f"{DESIL_7}; NOT_IN_DTSEN: no DTSEN record",
        }
    ]


def test_case_stays_open_when_person_leaves_scope_or_loses_triggers():
    cases = pd.concat(
        [
            open_case(expected_id(P1, KPJ_A), NIK_A, KPJ_A, KEL_1, "NOT_IN_DTSEN"),
            open_case(expected_id(P1, KPJ_B), NIK_B, KPJ_B, KEL_2, "KK_CHANGED"),
        ],
        ignore_index=True,
    )
    e = entries({"nik": NIK_B, "kpj": KPJ_B, "decision": "KEEP", "kode_kelurahan": KEL_1})
    plan = plan_cases(cases, e, changes(), P2, PARAMS)
    seen = plan.seen.set_index("case_id")
    assert seen.loc[expected_id(P1, KPJ_A), "kode_kelurahan"] == KEL_1  # kept: not in scope
    assert seen.loc[expected_id(P1, KPJ_B), "kode_kelurahan"] == KEL_1  # person's current one
    assert seen["triggers"].tolist() == ["NOT_IN_DTSEN", "KK_CHANGED"]
    assert seen["periods_open"].tolist() == [2, 2]
    assert plan.opened.empty and plan.resolved.empty


def test_terminated_person_closes_the_case():
    cid = expected_id(P1, KPJ_A)
    cases = open_case(cid, NIK_A, KPJ_A, KEL_1, "IDENTITY_MISMATCH")
    e = entries(
        {
            "nik": NIK_A,
            "kpj": KPJ_A,
            "decision": "TERMINATE",
            "reasons": "AGE_ABOVE_LIMIT;DECEASED;JKM_CLAIM_ALERT",
        }
    )
    ch = changes((NIK_A, "KK_CHANGED", "1", "2", "dukcapil", True))
    plan = plan_cases(cases, e, ch, P2, PARAMS)
    assert tuple(plan.resolved.columns) == RESOLVED_COLUMNS
    rec = plan.resolved.to_dict("records")
    assert rec == [
        {
            "case_id": cid,
            "status": "RESOLVED_INELIGIBLE",
            "resolved_at": pd.Timestamp("2026-10-31"),
            "resolution_note": "terminated: AGE_ABOVE_LIMIT;DECEASED",
            "resolved_by": "SIGAP",
            "nik_baru": rec[0]["nik_baru"],
        }
    ]
    assert pd.isna(rec[0]["nik_baru"])
    assert plan.seen.empty and plan.opened.empty


def test_closed_cases_in_input_are_ignored():
    cases = open_case(expected_id(P1, KPJ_A), NIK_A, KPJ_A, KEL_1, "NOT_IN_DTSEN")
    cases["status"] = "RESOLVED_ELIGIBLE"
    e = entries({"nik": NIK_A, "kpj": KPJ_A, "decision": "REVERIFY", "reasons": "NOT_IN_DTSEN"})
    plan = plan_cases(cases, e, changes(), P2, PARAMS)
    assert plan.seen.empty
    assert plan.opened["case_id"].tolist() == [expected_id(P2, KPJ_A)]


def test_planning_a_period_again_does_not_count_it_twice():
    e = entries({"nik": NIK_A, "kpj": KPJ_A, "decision": "REVERIFY", "reasons": "NOT_IN_DTSEN"})
    first = plan_cases(no_cases(), e, changes(), P1, PARAMS)
    as_open = first.opened.assign(status="OPEN")
    again = plan_cases(as_open, e, changes(), P1, PARAMS)  # v2 of the same period
    assert again.opened.empty
    assert again.seen["periods_open"].tolist() == [1]
    seen_p2 = open_case(expected_id(P1, KPJ_A), NIK_A, KPJ_A, KEL_1, "NOT_IN_DTSEN", 2)
    seen_p2["last_seen_period"] = P2
    assert plan_cases(seen_p2, e, changes(), P2, PARAMS).seen["periods_open"].tolist() == [2]
    assert plan_cases(seen_p2, e, changes(), P3, PARAMS).seen["periods_open"].tolist() == [3]


@pytest.mark.parametrize(
    ("after", "periods", "escalated"), [(2, 2, False), (2, 3, True), (3, 3, False), (3, 4, True)]
)
def test_escalation_threshold(after, periods, escalated):
    cases = open_case(expected_id(P1, KPJ_A), NIK_A, KPJ_A, KEL_1, "NOT_IN_DTSEN", periods - 1)
    e = entries({"nik": NIK_A, "kpj": KPJ_A, "decision": "REVERIFY", "reasons": "NOT_IN_DTSEN"})
    plan = plan_cases(cases, e, changes(), P3, RuleParameters(escalate_after_periods=after))
    assert plan.seen["escalated"].tolist() == [escalated]
    assert len(plan.escalated) == int(escalated)


def test_waitlisted_persons_case_follows_them_once_enrolled():
    cid = expected_id(P1, NIK_D)
    cases = open_case(cid, NIK_D, None, KEL_1, "KK_CHANGED")
    e = entries({"nik": NIK_D, "kpj": KPJ_C, "decision": "REVERIFY", "reasons": "NOT_IN_DTSEN"})
    plan = plan_cases(cases, e, changes(), P2, PARAMS)
    assert plan.opened.empty  # one open case per person
    assert plan.seen[["case_id", "triggers"]].to_dict("records") == [
        {"case_id": cid, "triggers": "KK_CHANGED;NOT_IN_DTSEN"}
    ]


# -- results from the kelurahan --------------------------------------------------------
def results(*rows: tuple) -> pd.DataFrame:
    """(case_id, nik, hasil, nik_baru, catatan, petugas, tgl)."""
    frame = pd.DataFrame(
        rows,
        columns=["CASE_ID", "NIK", "HASIL", "NIK_BARU", "CATATAN", "PETUGAS", "TGL_VERIFIKASI"],
    )
    frame.insert(0, "_line", np.arange(2, len(frame) + 2, dtype="int64"))
    frame = frame.astype(
        {c: "str" for c in ["CASE_ID", "NIK", "HASIL", "NIK_BARU", "CATATAN", "PETUGAS"]}
    )
    frame["TGL_VERIFIKASI"] = pd.to_datetime(frame["TGL_VERIFIKASI"])
    return frame


def test_results_map_to_statuses_and_the_verified_frame():
    ids = [expected_id(P1, k) for k in (KPJ_A, KPJ_B, KPJ_C)]
    cases = pd.concat(
        [
            open_case(ids[0], NIK_A, KPJ_A, KEL_1, "DESIL_ABOVE_LIMIT"),
            open_case(ids[1], NIK_B, KPJ_B, KEL_1, "KK_CHANGED;NOT_IN_DTSEN"),
            open_case(ids[2], NIK_C, KPJ_C, KEL_2, "NIK_NOT_FOUND"),
        ],
        ignore_index=True,
    )
    res = results(
        (ids[0], NIK_A, "LAYAK", None, "desil dikoreksi", "Petugas Satu", "2026-10-20"),
        (ids[1], NIK_B, "TIDAK_LAYAK", None, None, "Petugas Dua", "2026-10-21"),
        (ids[2], NIK_C, "NIK_DIKOREKSI", NIK_D, "salah ketik", "Petugas Dua", "2026-10-22"),
    )
    resolved, verified, problems = apply_verification_results(res, cases, P2)
    assert problems.empty and tuple(problems.columns) == PROBLEM_COLUMNS
    assert tuple(resolved.columns) == RESOLVED_COLUMNS
    assert resolved["status"].tolist() == [
        "RESOLVED_ELIGIBLE",
        "RESOLVED_INELIGIBLE",
        "RESOLVED_NIK_CORRECTED",
    ]
    assert resolved["resolution_note"].tolist() == [
        "LAYAK: desil dikoreksi",
        "TIDAK_LAYAK",
        "NIK_DIKOREKSI: salah ketik",
    ]
    assert resolved["resolved_by"].tolist() == ["Petugas Satu", "Petugas Dua", "Petugas Dua"]
    assert resolved["resolved_at"].tolist() == [
        pd.Timestamp("2026-10-20"),
        pd.Timestamp("2026-10-21"),
        pd.Timestamp("2026-10-22"),
    ]
    assert resolved["nik_baru"].isna().tolist() == [True, True, False]
    assert tuple(verified.columns) == VERIFIED_COLUMNS
    assert verified.fillna("<null>").to_dict("records") == [
        {
            "kpj": KPJ_A,
            "nik": NIK_A,
            "hasil": "LAYAK",
            "nik_baru": "<null>",
            "triggers": "DESIL_ABOVE_LIMIT",
        },
        {
            "kpj": KPJ_B,
            "nik": NIK_B,
            "hasil": "TIDAK_LAYAK",
            "nik_baru": "<null>",
            "triggers": "KK_CHANGED;NOT_IN_DTSEN",
        },
        {
            "kpj": KPJ_C,
            "nik": NIK_C,
            "hasil": "NIK_DIKOREKSI",
            "nik_baru": NIK_D,
            "triggers": "NIK_NOT_FOUND",
        },
    ]


def test_bad_results_are_problems_and_never_applied():
    ok_id, closed_id, dup_id = (expected_id(P1, k) for k in (KPJ_A, KPJ_B, KPJ_C))
    cases = pd.concat(
        [
            open_case(ok_id, NIK_A, KPJ_A, KEL_1, "NOT_IN_DTSEN"),
            open_case(closed_id, NIK_B, KPJ_B, KEL_1, "NOT_IN_DTSEN").assign(
                status="RESOLVED_ELIGIBLE"
            ),
            open_case(dup_id, NIK_C, KPJ_C, KEL_1, "NOT_IN_DTSEN"),
        ],
        ignore_index=True,
    )
    res = results(
        ("RV-202609-ffffffffff", NIK_A, "LAYAK", None, None, "P", "2026-10-01"),
        (closed_id, NIK_B, "LAYAK", None, None, "P", "2026-10-01"),
        (dup_id, NIK_C, "LAYAK", None, None, "P", "2026-10-01"),
        (dup_id, NIK_C, "TIDAK_LAYAK", None, None, "P", "2026-10-01"),
        (ok_id, NIK_B, "LAYAK", None, None, "P", "2026-10-01"),
        (ok_id, NIK_A, "NIK_DIKOREKSI", None, None, "P", "2026-10-01"),
    )
    # ok_id appears twice too: both rows are duplicates, whatever else is wrong
    resolved, verified, problems = apply_verification_results(res, cases, P2)
    assert resolved.empty and verified.empty
    assert problems["problem"].tolist() == [
        "UNKNOWN_CASE",
        "CASE_CLOSED",
        "DUPLICATE_RESULT",
        "DUPLICATE_RESULT",
        "DUPLICATE_RESULT",
        "DUPLICATE_RESULT",
    ]
    assert problems["_line"].tolist() == [2, 3, 4, 5, 6, 7]
    assert problems["nik"].tolist()[0] == "3275********0001"
    assert problems["detail"].notna().all()

    res2 = results(
        (ok_id, NIK_B, "LAYAK", None, None, "P", "2026-10-01"),
        (dup_id, NIK_C, "NIK_DIKOREKSI", None, None, "P", "2026-10-01"),
    )
    _, _, problems = apply_verification_results(res2, cases, P2)
    assert problems["problem"].tolist() == ["NIK_MISMATCH", "NIK_BARU_MISSING"]
    res3 = results((dup_id, NIK_C, "NIK_DIKOREKSI", NIK_C, None, "P", "2026-10-01"))
    assert apply_verification_results(res3, cases, P2).problems["problem"].tolist() == [
        "NIK_BARU_UNCHANGED"
    ]
    # no full NIK anywhere in the problems
    assert not problems.astype(str).apply(lambda c: c.str.contains(NIK_B)).any().any()


def test_results_partly_good_apply_the_good_rows():
    a, b = expected_id(P1, KPJ_A), expected_id(P1, KPJ_B)
    cases = pd.concat(
        [
            open_case(a, NIK_A, KPJ_A, KEL_1, "NOT_IN_DTSEN"),
            open_case(b, NIK_B, KPJ_B, KEL_1, "NOT_IN_DTSEN"),
        ],
        ignore_index=True,
    )
    res = results(
        (a, NIK_A, "LAYAK", None, None, "P", "2026-10-01"),
        (b, NIK_A, "LAYAK", None, None, "P", "2026-10-01"),
    )
    out = apply_verification_results(res, cases, P2)
    assert out.resolved["case_id"].tolist() == [a]
    assert out.problems["case_id"].tolist() == [b]


def test_a_result_dated_after_the_period_or_today_is_a_problem_and_not_applied():
    """Issue 15, point 12: TGL_VERIFIKASI in the future was taken as the resolution date.
    A result dated after the period's last day belongs to a later period's file; one
    dated after today (a period not yet over) cannot have happened."""
    from datetime import date

    a, b = expected_id(P1, KPJ_A), expected_id(P1, KPJ_B)
    cases = pd.concat(
        [
            open_case(a, NIK_A, KPJ_A, KEL_1, "NOT_IN_DTSEN"),
            open_case(b, NIK_B, KPJ_B, KEL_1, "NOT_IN_DTSEN"),
        ],
        ignore_index=True,
    )
    res = results(
        (a, NIK_A, "LAYAK", None, None, "P", "2026-11-01"),  # after 2026-10-31
        (b, NIK_B, "LAYAK", None, None, "P", "2026-10-31"),  # the last day: fine
    )
    out = apply_verification_results(res, cases, P2)
    assert out.problems[["case_id", "problem"]].values.tolist() == [[a, "FUTURE_DATE"]]
    assert out.resolved["case_id"].tolist() == [b]
    assert out.verified["kpj"].tolist() == [KPJ_B]
    early = apply_verification_results(res.iloc[1:], cases, P2, today=date(2026, 10, 15))
    assert early.problems["problem"].tolist() == ["FUTURE_DATE"] and early.resolved.empty


def test_a_result_for_a_case_closed_in_the_registry_is_case_closed():
    """With every case of the registry (status included), as the callers now pass them,
    a result for a closed case is CASE_CLOSED, not UNKNOWN_CASE."""
    a = expected_id(P1, KPJ_A)
    closed = open_case(a, NIK_A, KPJ_A, KEL_1, "NOT_IN_DTSEN").assign(status="RESOLVED_INELIGIBLE")
    out = apply_verification_results(results((a, NIK_A, "LAYAK", None, None, "P", "2026-10-01")), closed, P2)
    assert out.problems["problem"].tolist() == ["CASE_CLOSED"] and out.resolved.empty


# -- a case's whole life ---------------------------------------------------------------
class CaseTable:
    """A stand-in for the registry's ``reverification_case`` table."""

    def __init__(self) -> None:
        self.frame = no_cases().assign(
            last_seen_period=pd.Series([], dtype="str"),
            resolved_at=pd.Series([], dtype="datetime64[ns]"),
            resolution_note=pd.Series([], dtype="str"),
        )

    def open_cases(self) -> pd.DataFrame:
        return self.frame[self.frame["status"] == "OPEN"].reset_index(drop=True)

    def persist(self, plan: CasePlan, period: str) -> None:
        new = plan.opened.assign(status="OPEN", last_seen_period=period)
        f = pd.concat([self.frame, new], ignore_index=True).set_index("case_id")
        seen = plan.seen.set_index("case_id")
        for col in ("triggers", "kode_kelurahan", "periods_open", "evidence"):
            f.loc[seen.index, col] = seen[col]
        f.loc[seen.index, "last_seen_period"] = period
        self.frame = f.reset_index()
        self.resolve(plan.resolved)

    def resolve(self, resolved: pd.DataFrame) -> None:
        f = self.frame.set_index("case_id")
        r = resolved.set_index("case_id")
        f.loc[r.index, "status"] = r["status"]
        f.loc[r.index, "resolved_at"] = r["resolved_at"]
        f.loc[r.index, "resolution_note"] = r["resolution_note"]
        self.frame = f.reset_index()


def _dukcapil(kk_a: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "NIK": [NIK_A, NIK_B],
            "NO_KK": [kk_a, "3275010101100002"],
            "NAMA_LGKP": ["SITI AMINAH", "BUDI"],
            "TGL_LHR": pd.to_datetime(["1990-01-01"] * 2),
            "JENIS_PKRJN": [88, 88],
            "NO_PROP": [32, 32],
            "NO_KAB": [75, 75],
            "NO_KEC": [1, 1],
            "NO_KEL": [1001, 1001],
            "STATUS_DASAR": ["HIDUP", "HIDUP"],
        }
    )
    return frame.astype(
        {
            "JENIS_PKRJN": "int16",
            "NO_PROP": "int16",
            "NO_KAB": "int16",
            "NO_KEC": "int16",
            "NO_KEL": "int16",
            "NIK": "str",
            "NO_KK": "str",
        }
    )


def test_a_cases_whole_life():
    table = CaseTable()
    id_a, id_b, id_c = (expected_id(P1, k) for k in (KPJ_A, KPJ_B, KPJ_C))
    bad_nik = "3275010303800300"  # typed wrong at registration
    people = [
        {
            "nik": NIK_A,
            "kpj": KPJ_A,
            "decision": "REVERIFY",
            "reasons": "DESIL_ABOVE_LIMIT",
            "evidence": DESIL_7,
        },
        {"nik": NIK_B, "kpj": KPJ_B, "decision": "KEEP"},
        {
            "nik": bad_nik,
            "kpj": KPJ_C,
            "decision": "REVERIFY",
            "reasons": "NIK_NOT_FOUND",
            "kode_kelurahan": None,
            "match_method": "NONE",
        },
    ]
    dts = pd.DataFrame(
        {"NIK": [NIK_A, NIK_B], "DESIL": [7, 3], "KODE_WILAYAH": [KEL_1, KEL_1]}
    ).astype({"DESIL": "int8"})
    scope = pd.Series([NIK_A, NIK_B, bad_nik], dtype="str")

    # period 1: A and C open on their reasons; B is fine
    plan = plan_cases(table.open_cases(), entries(*people), changes(), P1, PARAMS)
    assert sorted(plan.opened["case_id"]) == sorted([id_a, id_c])
    table.persist(plan, P1)

    # period 2: B's family card changes (detected from the extracts): B opens; A's KK
    # also changes, which joins A's open case; A and C are seen again
    base = {Source.DUKCAPIL: _dukcapil("3275010101100001"), Source.DTSEN: dts}
    cur_duk = _dukcapil("3275010101100009")
    cur_duk.loc[1, "NO_KK"] = "3275010101100008"
    cur = {Source.DUKCAPIL: cur_duk, Source.DTSEN: dts}
    ch = detect_changes(base, cur, scope, PARAMS)
    assert ch["change_type"].tolist() == ["KK_CHANGED", "KK_CHANGED"]
    plan = plan_cases(table.open_cases(), entries(*people), ch, P2, PARAMS)
    assert plan.opened["case_id"].tolist() == [id_b.replace("202609", "202610")]
    id_b = plan.opened["case_id"].iloc[0]
    seen = plan.seen.set_index("case_id")
    assert seen.loc[id_a, "triggers"] == "DESIL_ABOVE_LIMIT;KK_CHANGED"
    assert seen["periods_open"].to_dict() == {id_a: 2, id_c: 2}
    assert plan.escalated.empty
    table.persist(plan, P2)

    # period 3: nothing new; A and C pass two periods open and are escalated
    plan = plan_cases(table.open_cases(), entries(*people), changes(), P3, PARAMS)
    assert plan.opened.empty
    assert sorted(plan.escalated["case_id"]) == sorted([id_a, id_c])
    assert plan.seen.set_index("case_id")["periods_open"].to_dict() == {id_a: 3, id_c: 3, id_b: 2}
    table.persist(plan, P3)

    # period 4: the results file answers all three
    res = results(
        (id_a, NIK_A, "LAYAK", None, "DTSEN keliru, sudah diajukan", "Lurah", "2026-12-03"),
        (id_b, NIK_B, "TIDAK_LAYAK", None, "bekerja di pabrik", "Lurah", "2026-12-04"),
        (id_c, bad_nik, "NIK_DIKOREKSI", NIK_C, None, "Lurah", "2026-12-05"),
    )
    resolved, verified, problems = apply_verification_results(res, table.open_cases(), P4)
    assert problems.empty
    table.resolve(resolved)
    assert table.open_cases().empty
    final = table.frame.set_index("case_id")["status"].to_dict()
    assert final == {
        id_a: "RESOLVED_ELIGIBLE",
        id_b: "RESOLVED_INELIGIBLE",
        id_c: "RESOLVED_NIK_CORRECTED",
    }
    assert verified.fillna("").to_dict("records") == [
        {
            "kpj": KPJ_A,
            "nik": NIK_A,
            "hasil": "LAYAK",
            "nik_baru": "",
            "triggers": "DESIL_ABOVE_LIMIT;KK_CHANGED",
        },
        {
            "kpj": KPJ_B,
            "nik": NIK_B,
            "hasil": "TIDAK_LAYAK",
            "nik_baru": "",
            "triggers": "KK_CHANGED",
        },
        {
            "kpj": KPJ_C,
            "nik": bad_nik,
            "hasil": "NIK_DIKOREKSI",
            "nik_baru": NIK_C,
            "triggers": "NIK_NOT_FOUND",
        },
    ]
    # answering the same cases again is refused: they are closed now
    again = apply_verification_results(res, table.frame, P4)
    assert again.problems["problem"].tolist() == ["CASE_CLOSED"] * 3

    # period 4 after reconciliation applied `verified`: A is KEEP (VERIFIED_ELIGIBLE), B is
    # TERMINATE (VERIFIED_INELIGIBLE), C is matched on the corrected NIK: no case reopens
    after = [
        {"nik": NIK_A, "kpj": KPJ_A, "decision": "KEEP", "reasons": "VERIFIED_ELIGIBLE"},
        {"nik": NIK_B, "kpj": KPJ_B, "decision": "TERMINATE", "reasons": "VERIFIED_INELIGIBLE"},
        {
            "nik": NIK_C,
            "kpj": KPJ_C,
            "decision": "KEEP",
            "reasons": "NIK_CORRECTED",
            "match_method": "NIK_CORRECTED",
        },
    ]
    plan = plan_cases(table.open_cases(), entries(*after), changes(), P4, PARAMS)
    assert plan.counts == {"opened": 0, "seen": 0, "resolved": 0, "escalated": 0}


def test_verified_from_cases_keeps_officers_verdicts_only():
    from domain.cases import verified_from_cases

    rows = [
        # two LAYAK answers for A: one row, triggers united
        {
            "case_id": "RV-202609-a1",
            "nik": NIK_A,
            "kpj": KPJ_A,
            "triggers": "DESIL_ABOVE_LIMIT",
            "status": "RESOLVED_ELIGIBLE",
            "nik_baru": None,
            "resolved_by": "Lurah",
        },
        {
            "case_id": "RV-202611-a2",
            "nik": NIK_A,
            "kpj": KPJ_A,
            "triggers": "KK_CHANGED",
            "status": "RESOLVED_ELIGIBLE",
            "nik_baru": None,
            "resolved_by": "Lurah",
        },
        {
            "case_id": "RV-202609-b1",
            "nik": NIK_B,
            "kpj": KPJ_B,
            "triggers": "NOT_IN_DTSEN",
            "status": "RESOLVED_INELIGIBLE",
            "nik_baru": None,
            "resolved_by": "Lurah",
        },
        {
            "case_id": "RV-202609-c1",
            "nik": NIK_C,
            "kpj": KPJ_C,
            "triggers": "NIK_NOT_FOUND",
            "status": "RESOLVED_NIK_CORRECTED",
            "nik_baru": NIK_D,
            "resolved_by": "Lurah",
        },
        # closed by the software (TERMINATE), and still open: no verdict
        {
            "case_id": "RV-202609-d1",
            "nik": NIK_D,
            "kpj": "11000000009",
            "triggers": "KK_CHANGED",
            "status": "RESOLVED_INELIGIBLE",
            "nik_baru": None,
            "resolved_by": "SIGAP",
            "resolution_note": "terminated: DECEASED",
        },
        {
            "case_id": "RV-202609-e1",
            "nik": NIK_D,
            "kpj": "11000000010",
            "triggers": "KK_CHANGED",
            "status": "OPEN",
            "nik_baru": None,
            "resolved_by": None,
        },
    ]
    out = verified_from_cases(pd.DataFrame(rows))
    assert tuple(out.columns) == VERIFIED_COLUMNS
    assert out.fillna("").to_dict("records") == [
        {
            "kpj": KPJ_A,
            "nik": NIK_A,
            "hasil": "LAYAK",
            "nik_baru": "",
            "triggers": "DESIL_ABOVE_LIMIT;KK_CHANGED",
        },
        {
            "kpj": KPJ_B,
            "nik": NIK_B,
            "hasil": "TIDAK_LAYAK",
            "nik_baru": "",
            "triggers": "NOT_IN_DTSEN",
        },
        {
            "kpj": KPJ_C,
            "nik": NIK_C,
            "hasil": "NIK_DIKOREKSI",
            "nik_baru": NIK_D,
            "triggers": "NIK_NOT_FOUND",
        },
    ]
    assert verified_from_cases(pd.DataFrame()).empty
    assert tuple(verified_from_cases(pd.DataFrame()).columns) == VERIFIED_COLUMNS
