"""Planning this period's cases (:func:`plan_cases`, a :class:`CasePlan`): each person's
triggers (REVERIFY reasons and triggering population changes), the cases opened, carried
on (triggers and evidence merged, ``periods_open`` counted once per period, escalated) and
closed because the person was terminated; and the openings an officer already answered
(:func:`keep_answers`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.cases.frames import (
    AUTOMATIC_RESOLVER,
    CLAUSE_SEPARATOR,
    OPEN_CASE_COLUMNS,
    OPENED_COLUMNS,
    RESOLVED_COLUMNS,
    SEEN_COLUMNS,
    _require,
)
from domain.cases.keys import _join_sorted, case_id, has_kpj, opened_period, person_key, split_codes
from domain.changes import text_isin
from domain.codes import REASON_DECISION, CaseStatus, Decision
from domain.periods import parse_period, reference_date
from domain.rules import RuleParameters


@dataclass(frozen=True)
class CasePlan:
    """What to persist for this period's cases (see the docstring of :mod:`domain.cases`)."""

    opened: pd.DataFrame
    seen: pd.DataFrame
    resolved: pd.DataFrame
    escalated: pd.DataFrame

    @property
    def counts(self) -> dict[str, int]:
        """For the run report: opened, still open, closed, escalated."""
        return {
            "opened": len(self.opened),
            "seen": len(self.seen),
            "resolved": len(self.resolved),
            "escalated": len(self.escalated),
        }


def keep_answers(plan: CasePlan, existing_case_ids: pd.Series) -> CasePlan:
    """Drop planned openings whose case id already exists (open or closed).

    Case ids are deterministic per person and period, so this happens only when a period
    is published again (a corrected resend) after an officer already answered the case
    opened by its earlier version: the officer's answer stands, the case is not reopened.
    """
    if not len(plan.opened) or not len(existing_case_ids):
        return plan
    fresh = ~text_isin(plan.opened["case_id"], pd.Index(existing_case_ids.astype("str")))
    return dataclasses.replace(plan, opened=plan.opened[fresh].reset_index(drop=True))


#: the entry columns case planning reads
_PEOPLE_COLUMNS = ("nik", "kpj", "kode_kelurahan", "decision", "reasons", "evidence")


def _require_inputs(entries: pd.DataFrame, changes: pd.DataFrame) -> None:
    """The entry and change columns case planning reads are there (else ValueError)."""
    _require(entries, _PEOPLE_COLUMNS, "entries")
    _require(
        changes,
        ("nik", "change_type", "before", "after", "source", "triggers_reverification"),
        "changes",
    )


def person_triggers(entries: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """This period's triggers per person in scope: ``key`` (person key), ``nik``, ``kpj``,
    ``kode_kelurahan``, ``decision``, ``triggers`` (sorted ``;``-joined codes),
    ``evidence`` (the entry's evidence for a REVERIFY entry, then one clause per
    triggering change: ``KK_CHANGED: before -> after (dukcapil)``). People without a
    trigger are left out."""
    _require_inputs(entries, changes)
    return _person_triggers(_keyed_people(entries), changes)


def _keyed_people(entries: pd.DataFrame) -> pd.DataFrame:
    """The entries' case-planning columns with the person ``key``, one row per key (the
    first). Only those columns: the release's half a million entries are not copied."""
    e = entries.reset_index(drop=True)[list(_PEOPLE_COLUMNS)]
    return e.assign(key=person_key(e["kpj"], e["nik"])).drop_duplicates("key")


def _person_triggers(e: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """:func:`person_triggers` on :func:`_keyed_people`'s frame."""
    reverify = e.loc[
        (e["decision"] == Decision.REVERIFY.value).to_numpy(bool), ["key", "reasons", "evidence"]
    ]
    codes = split_codes(reverify["reasons"])
    reverify_codes = {r.value for r, d in REASON_DECISION.items() if d is Decision.REVERIFY}
    codes = codes[codes.isin(reverify_codes)]
    reason_rows = pd.DataFrame(
        {"key": reverify.loc[codes.index, "key"].to_numpy(), "code": codes.to_numpy()}
    )
    entry_clauses = pd.DataFrame(
        {"key": reverify["key"].to_numpy(), "clause": reverify["evidence"].to_numpy()}
    )

    trig = changes[changes["triggers_reverification"].astype(bool)]
    # only the people a triggering change names (a few hundred of half a million)
    named = (e["decision"] != Decision.TERMINATE.value).to_numpy(bool) & text_isin(
        e["nik"], trig["nik"]
    )
    trig = trig.merge(e.loc[named, ["key", "nik"]], on="nik", how="inner")
    change_rows = pd.DataFrame({"key": trig["key"], "code": trig["change_type"]})
    change_clauses = pd.DataFrame(
        {
            "key": trig["key"],
            "clause": trig["change_type"]
            + ": "
            + trig["before"].fillna("-")
            + " -> "
            + trig["after"].fillna("-")
            + " ("
            + trig["source"]
            + ")",
        }
    )

    code_rows = pd.concat([reason_rows, change_rows], ignore_index=True).astype("str")
    clause_rows = pd.concat([entry_clauses, change_clauses], ignore_index=True).astype("str")
    clause_rows = clause_rows[clause_rows["clause"].notna() & (clause_rows["clause"] != "")]
    triggers = _join_sorted(code_rows, "key", "code", sort=True)
    evidence = _join_sorted(clause_rows, "key", "clause", sort=False)

    out = e.loc[
        text_isin(e["key"], triggers.index), ["key", "nik", "kpj", "kode_kelurahan", "decision"]
    ]
    out = out.assign(
        triggers=out["key"].map(triggers).astype("str"),
        evidence=out["key"].map(evidence).astype("str").fillna(""),
    )
    return out.reset_index(drop=True)


def plan_cases(
    open_cases: pd.DataFrame,
    entries: pd.DataFrame,
    changes: pd.DataFrame,
    period: str,
    params: RuleParameters,
) -> CasePlan:
    """This period's case plan (see the docstring of :mod:`domain.cases`).

    ``open_cases``: the cases open before this period (:data:`OPEN_CASE_COLUMNS`; rows
    whose optional ``status`` is not OPEN are ignored; pass them *after* applying this
    period's verification results). ``entries``: this period's reconciliation entries
    (``domain.reconcile.ENTRY_COLUMNS``). ``changes``: :func:`domain.changes.detect_changes`.
    """
    parse_period(period)
    _require(open_cases, OPEN_CASE_COLUMNS, "open_cases")
    _require_inputs(entries, changes)
    e = _keyed_people(entries)
    now = _person_triggers(e, changes)

    cases = open_cases.reset_index(drop=True)
    if "status" in cases.columns:
        cases = cases[cases["status"] == CaseStatus.OPEN.value].reset_index(drop=True)
    cases = cases.assign(key=_case_person_key(cases, e))

    # the person of each open case, as reconciled this period (only those people: the
    # look-ups below then hash a few hundred keys, not half a million)
    person = e[text_isin(e["key"], cases["key"])].set_index("key")
    matched = text_isin(cases["key"], person.index)
    decision = cases["key"].map(person["decision"])
    terminated = matched & (decision == Decision.TERMINATE.value).to_numpy(dtype=bool)

    # resolved: the person was terminated -------------------------------------------------
    closing = cases[terminated]
    term_reasons = split_codes(person.loc[closing["key"], "reasons"].set_axis(closing.index))
    terminate_codes = {r.value for r, d in REASON_DECISION.items() if d is Decision.TERMINATE}
    term_reasons = term_reasons[term_reasons.isin(terminate_codes)]
    note = (
        pd.DataFrame({"key": term_reasons.index, "code": term_reasons.to_numpy()})
        .pipe(_join_sorted, "key", "code", sort=True)
        .reindex(closing.index)
        .astype("str")
        .fillna("")
    )
    resolved = pd.DataFrame(
        {
            "case_id": closing["case_id"].astype("str"),
            "status": CaseStatus.RESOLVED_INELIGIBLE.value,
            "resolved_at": pd.Timestamp(reference_date(period)),
            "resolution_note": "terminated: " + note.astype("str"),
            "resolved_by": AUTOMATIC_RESOLVER,
            "nik_baru": pd.Series([None] * len(closing), index=closing.index, dtype="str"),
        }
    )

    # seen: every other open case ---------------------------------------------------------
    staying = cases[~terminated].copy()
    still = matched[~terminated]
    new_kel = staying["key"].map(person["kode_kelurahan"])
    staying["kode_kelurahan"] = new_kel.where(still, staying["kode_kelurahan"]).astype("str")
    now_by_key = now.set_index("key")
    old_codes = split_codes(staying["triggers"])
    new_codes = split_codes(staying["key"].map(now_by_key["triggers"]))
    codes = pd.DataFrame(
        {
            "i": np.concatenate([old_codes.index, new_codes.index]),
            "code": np.concatenate([old_codes.to_numpy(), new_codes.to_numpy()]),
        }
    ).astype({"code": "str"})
    staying["triggers"] = staying.index.map(_join_sorted(codes, "i", "code", sort=True))
    staying["triggers"] = staying["triggers"].astype("str").fillna("")
    old_evidence = (
        staying["evidence"] if "evidence" in staying.columns else pd.Series("", index=staying.index)
    )
    new_evidence = staying["key"].map(now_by_key["evidence"])
    clauses = pd.concat([_clauses(old_evidence), _clauses(new_evidence)], ignore_index=True)
    staying["evidence"] = staying.index.map(_join_sorted(clauses, "i", "clause", sort=False))
    staying["evidence"] = staying["evidence"].astype("str").fillna("")
    counted = _already_counted(staying, period)
    staying["periods_open"] = staying["periods_open"].astype("int64") + (~counted).astype("int64")
    staying["escalated"] = staying["periods_open"] > params.escalate_after_periods
    seen = staying[list(SEEN_COLUMNS)].reset_index(drop=True)

    # opened: people with a trigger and no open case -----------------------------------
    fresh = now[~text_isin(now["key"], cases["key"])]
    opened = pd.DataFrame(
        {
            "case_id": case_id(period, fresh["key"]),
            "nik": fresh["nik"].astype("str"),
            "kpj": fresh["kpj"].astype("str"),
            "kode_kelurahan": fresh["kode_kelurahan"].astype("str"),
            "triggers": fresh["triggers"],
            "evidence": fresh["evidence"],
            "periods_open": np.ones(len(fresh), dtype="int64"),
        }
    )
    opened = opened.sort_values("case_id", kind="stable").reset_index(drop=True)

    return CasePlan(
        opened=opened[list(OPENED_COLUMNS)],
        seen=seen,
        resolved=resolved[list(RESOLVED_COLUMNS)].reset_index(drop=True),
        escalated=seen[seen["escalated"]].reset_index(drop=True),
    )


def _case_person_key(cases: pd.DataFrame, entries: pd.DataFrame) -> pd.Series:
    """The person key of each open case; a NIK-keyed case (opened before the person was a
    participant) follows the participant entry with that NIK when the NIK itself is no
    longer a key this period."""
    key = person_key(cases["kpj"], cases["nik"])
    orphan = ~has_kpj(cases["kpj"]) & ~text_isin(key, entries["key"])
    if not orphan.any():
        return key
    participants = entries[has_kpj(entries["kpj"])].sort_values("kpj", kind="stable")
    by_nik = participants.drop_duplicates("nik").set_index("nik")["key"]
    moved = cases.loc[orphan, "nik"].map(by_nik)
    return key.where(~orphan | moved.reindex(key.index).isna(), moved.reindex(key.index))


def _clauses(evidence: pd.Series) -> pd.DataFrame:
    parts = evidence.astype("str").fillna("").str.split(CLAUSE_SEPARATOR.strip()).explode()
    parts = parts.str.strip()
    parts = parts[parts.notna() & (parts != "")]
    return pd.DataFrame({"i": parts.index, "clause": parts.to_numpy()}).astype({"clause": "str"})


def _already_counted(cases: pd.DataFrame, period: str) -> pd.Series:
    """True for cases this period was already counted for: opened in it (by the case id)
    or last seen in it (optional ``last_seen_period``), i.e. the period is planned again."""
    counted = (opened_period(cases["case_id"]) == period).fillna(False)
    if "last_seen_period" in cases.columns:
        counted = counted | (cases["last_seen_period"].astype("str") == period).fillna(False)
    return counted.astype(bool)
