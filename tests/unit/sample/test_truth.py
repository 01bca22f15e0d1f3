"""The ground truth: complete, well formed, every planted case present, and in agreement
with an independent reading of the files (tests/unit/sample/oracle.py)."""

from __future__ import annotations

import itertools
import json

import pandas as pd

from domain.codes import ChangeType, Reason
from devkit.sample import read_truth
from devkit.sample.truth import (
    CHANGE_COLUMNS,
    ENTRY_COLUMNS,
    PARTICIPANT_CASES,
    RESIDENT_CASES,
    decide,
)
from tests.unit.sample.agreement import assert_truth_agrees
from tests.unit.sample.oracle import Period

#: cases planted from the second period on
LATER_ONLY = {"termination_pending"} | {c for c in PARTICIPANT_CASES if c.startswith("changed_")}
RESIDENT_LATER_ONLY = {c for c in RESIDENT_CASES if c.startswith("changed_")}


def test_read_truth_gives_text_columns(sample):
    for period in sample.periods:
        entries, changes = read_truth(sample.truth_root, period)
        assert tuple(entries.columns) == ENTRY_COLUMNS
        assert tuple(changes.columns) == CHANGE_COLUMNS
        assert not entries.isna().any().any() and not changes.isna().any().any()
        assert all(entries[c].map(type).eq(str).all() for c in entries.columns)


def test_every_city_participant_has_exactly_one_row(sample):
    for period in sample.periods:
        entries, _ = read_truth(sample.truth_root, period)
        current = Period.load(sample.sftp_root, period).participants()
        participants = entries[entries["kpj"] != ""]
        assert participants["kpj"].is_unique
        assert set(participants["kpj"]) == set(current["KPJ"])
        typed = current.set_index("KPJ")["NIK"]
        assert (participants["nik"].to_numpy() == typed.loc[participants["kpj"]].to_numpy()).all()
        residents = entries[entries["kpj"] == ""]
        assert residents["nik"].is_unique and residents["nik"].str.fullmatch(r"\d{16}").all()


def test_decisions_and_reasons_are_well_formed(sample):
    reasons = {r.value for r in Reason}
    for period in sample.periods:
        entries, _ = read_truth(sample.truth_root, period)
        part = entries[entries["kpj"] != ""]
        assert set(part["expected_decision"]) <= {"KEEP", "REVERIFY", "TERMINATE"}
        for text, decision in zip(part["expected_reasons"], part["expected_decision"]):
            codes = text.split(";") if text else []
            assert codes == sorted(set(codes)) and set(codes) <= reasons
            assert decide(codes) == decision
        res = entries[entries["kpj"] == ""]
        assert set(res["expected_decision"]) <= {"ENROLL", "ENROLL|WAITLIST", "NONE"}
        assert (res["expected_reasons"] == "").all()
        typo = part["expected_reasons"].str.contains("NIK_PROBABLE_TYPO")
        assert part.loc[typo, "suggested_nik"].str.fullmatch(r"\d{16}").all()
        assert (part.loc[~typo, "suggested_nik"] == "").all()
        jkm = part["expected_reasons"].str.contains("JKM_CLAIM_ALERT")
        assert part.loc[jkm, "expected_reasons"].str.contains("DECEASED").all()


def test_every_planted_case_is_there(sample):
    first, *later = sample.periods
    entries, _ = read_truth(sample.truth_root, first)
    seen_first = set(entries["case"])
    assert set(PARTICIPANT_CASES) - LATER_ONLY <= seen_first
    assert set(RESIDENT_CASES) - RESIDENT_LATER_ONLY <= seen_first
    assert not (seen_first & (LATER_ONLY | RESIDENT_LATER_ONLY))
    seen = set(seen_first)
    for period in later:
        entries, _ = read_truth(sample.truth_root, period)
        seen |= set(entries["case"])
        assert LATER_ONLY | RESIDENT_LATER_ONLY <= set(entries["case"])
    assert seen <= set(PARTICIPANT_CASES) | set(RESIDENT_CASES)


def test_every_reason_and_decision_is_planted(sample):
    entries = pd.concat([read_truth(sample.truth_root, p)[0] for p in sample.periods])
    reasons = set(";".join(entries["expected_reasons"]).split(";")) - {""}
    expected = {r.value for r in Reason} - {
        "VERIFIED_ELIGIBLE",
        "VERIFIED_INELIGIBLE",
        "NIK_CORRECTED",
    }
    assert reasons == expected
    assert set(entries["expected_decision"]) >= {
        "KEEP",
        "REVERIFY",
        "TERMINATE",
        "ENROLL|WAITLIST",
        "NONE",
    }


def test_every_change_type_between_consecutive_periods(sample):
    _, first_changes = read_truth(sample.truth_root, sample.periods[0])
    assert first_changes.empty
    for period in sample.periods[1:]:
        _, changes = read_truth(sample.truth_root, period)
        assert set(changes["change_type"]) == {t.value for t in ChangeType}
        assert set(changes["source"]) == {"dukcapil", "dtsen"}
        assert not changes.duplicated(["nik", "change_type", "source"]).any()
        iso = changes["change_type"] == "BIRTH_DATE_CHANGED"
        assert changes.loc[iso, "before"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
        kel = changes["change_type"].isin(["MOVED_WITHIN_CITY"])
        assert (
            changes.loc[kel, ["before", "after"]]
            .apply(lambda s: s.str.fullmatch(r"32\.75\.\d{2}\.\d{4}"))
            .all()
            .all()
        )
        assert (changes.loc[changes["change_type"] == "DISAPPEARED", "after"] == "").all()


def test_truth_agrees_with_an_independent_reading_of_the_files(sample):
    """Participants (decision, reasons, suggested NIK), planted residents (in scope or
    not) and changes, re-derived from the files by the rule book."""
    assert_truth_agrees(sample)


def test_termination_pending_follows_the_previous_truth(sample):
    for before, after in itertools.pairwise(sample.periods):
        prev, _ = read_truth(sample.truth_root, before)
        cur, _ = read_truth(sample.truth_root, after)
        terminated = set(prev.loc[prev["expected_decision"] == "TERMINATE", "kpj"])
        still = cur[cur["kpj"].isin(terminated)]
        assert len(still) >= 1
        assert (still["case"] == "termination_pending").all()
        assert still["expected_reasons"].str.contains("TERMINATION_PENDING").all()


def test_enroll_guarantee_is_documented(sample):
    for period in sample.periods:
        summary = json.loads((sample.truth_root / period / "summary.json").read_text())
        g = summary["enroll_guarantee"]
        assert g["free_places_at_least"] == g["quota_assumed"] - g["city_aktif_kpjs"]
        assert g["top_priority_competitors_at_most"] >= 1
        entries, _ = read_truth(sample.truth_root, period)
        top = entries.loc[entries["case"] == "eligible_top_priority", "expected_decision"]
        assert set(top) == {"ENROLL" if g["guaranteed"] else "ENROLL|WAITLIST"}
        assert summary["participant_rows"] == g["city_aktif_kpjs"]
        assert summary["extract_rows"]["bpjstk"] == sample.file("bpjstk", period).rows
