"""Re-verification cases: which to open, carry on, escalate or close this period, and how
the kelurahan's answers (the results file) close them.

A *case* asks a kelurahan officer to check one person. It is opened when the person has a
*trigger* this period:

* a REVERIFY reason of the person's entry (an entry with decision REVERIFY; the reason
  codes whose ``domain.codes.REASON_DECISION`` is REVERIFY), or
* a change with ``triggers_reverification`` (``domain.changes``) for the person's NIK,
  unless the entry is TERMINATE (a certain exit needs no officer).

There is at most one open case per person; the person key is the KPJ when there is one
(participants), else the NIK (ENROLL/WAITLIST). A case opened for a non-participant whose
NIK later shows up as a participant (the person was enrolled) follows the participant.

:func:`plan_cases` returns a :class:`CasePlan`, three frames matching the registry's
persistence (``reverification_case``) plus the escalated view for the report:

* ``opened``: new cases (:data:`OPENED_COLUMNS`);
* ``seen``: every case that stays open (:data:`SEEN_COLUMNS`): its triggers become the
  union of the old and this period's, its kelurahan the person's current one, and
  ``periods_open`` grows by one (not twice when a period is planned again, e.g. for a new
  release version after a corrected resend). A case whose person left the scope or lost
  every trigger stays open: the officer must still answer;
* ``resolved``: cases closed because the person was TERMINATEd (``RESOLVED_INELIGIBLE``,
  note ``terminated: <reasons>``) (:data:`RESOLVED_COLUMNS`);
* ``escalated``: the ``seen`` rows open more than ``params.escalate_after_periods``.

:func:`apply_verification_results` turns the officers' results (``HASIL_VERIFIKASI``)
into resolutions and the ``verified`` frame that reconciliation reads (docs/DESIGN.md);
a result that cannot be applied is returned as a problem, never applied.

Case ids are deterministic: ``RV-YYYYMM-<first 10 hex of sha256(person key)>`` with the
period the case was opened, so re-running a period gives the same ids.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InvalidInput
from domain.changes import text_isin
from domain.codes import REASON_DECISION, CaseStatus, Decision, VerificationResult
from domain.periods import compact, parse_period, reference_date
from domain.privacy import mask_nik_series
from domain.rules import RuleParameters

OPENED_COLUMNS: tuple[str, ...] = (
    "case_id",
    "nik",
    "kpj",
    "kode_kelurahan",
    "triggers",
    "evidence",
    "periods_open",
)
SEEN_COLUMNS: tuple[str, ...] = (
    "case_id",
    "triggers",
    "kode_kelurahan",
    "periods_open",
    "escalated",
    "evidence",
)
RESOLVED_COLUMNS: tuple[str, ...] = (
    "case_id",
    "status",
    "resolved_at",
    "resolution_note",
    "resolved_by",
    "nik_baru",
)
VERIFIED_COLUMNS: tuple[str, ...] = ("kpj", "nik", "hasil", "nik_baru", "triggers")
PROBLEM_COLUMNS: tuple[str, ...] = ("_line", "case_id", "nik", "hasil", "problem", "detail")

#: the columns ``plan_cases`` and ``apply_verification_results`` need in ``open_cases``
#: (optional: ``status``, to skip closed cases; ``evidence``; ``last_seen_period``)
OPEN_CASE_COLUMNS: tuple[str, ...] = (
    "case_id",
    "nik",
    "kpj",
    "kode_kelurahan",
    "triggers",
    "periods_open",
)

CASE_ID_PREFIX = "RV"
#: ``resolved_by`` of the cases the software closes itself (a TERMINATE)
AUTOMATIC_RESOLVER = "SIGAP"
#: how clauses of a case's evidence are joined
CLAUSE_SEPARATOR = "; "

#: HASIL -> case status
RESULT_STATUS: dict[VerificationResult, CaseStatus] = {
    VerificationResult.LAYAK: CaseStatus.RESOLVED_ELIGIBLE,
    VerificationResult.TIDAK_LAYAK: CaseStatus.RESOLVED_INELIGIBLE,
    VerificationResult.NIK_DIKOREKSI: CaseStatus.RESOLVED_NIK_CORRECTED,
}


class Problem:
    """Why a verification result was not applied (``problem`` column)."""

    UNKNOWN_CASE = "UNKNOWN_CASE"  # no case has this CASE_ID
    CASE_CLOSED = "CASE_CLOSED"  # the case is no longer OPEN
    DUPLICATE_RESULT = "DUPLICATE_RESULT"  # several rows for one case: none is applied
    NIK_MISMATCH = "NIK_MISMATCH"  # NIK is not the case's NIK
    UNKNOWN_HASIL = "UNKNOWN_HASIL"  # HASIL is not LAYAK/TIDAK_LAYAK/NIK_DIKOREKSI
    NIK_BARU_MISSING = "NIK_BARU_MISSING"  # NIK_DIKOREKSI without NIK_BARU
    NIK_BARU_UNCHANGED = "NIK_BARU_UNCHANGED"  # NIK_DIKOREKSI with NIK_BARU = NIK
    #: TGL_VERIFIKASI after the period's last day (or after today): not applied
    FUTURE_DATE = "FUTURE_DATE"


_PROBLEM_DETAIL = {
    Problem.UNKNOWN_CASE: "no re-verification case has this CASE_ID",
    Problem.CASE_CLOSED: "the case is already closed",
    Problem.DUPLICATE_RESULT: "several result rows for this case: none was applied",
    Problem.NIK_MISMATCH: "NIK differs from the case's NIK",
    Problem.UNKNOWN_HASIL: "HASIL must be LAYAK, TIDAK_LAYAK or NIK_DIKOREKSI",
    Problem.NIK_BARU_MISSING: "HASIL NIK_DIKOREKSI needs NIK_BARU",
    Problem.NIK_BARU_UNCHANGED: "NIK_BARU is the same as NIK",
    Problem.FUTURE_DATE: "TGL_VERIFIKASI is after the period's last day (or after today): "
    "a result belongs to the results file of the period it was given in",
}


@dataclass(frozen=True)
class CasePlan:
    """What to persist for this period's cases (see the module docstring)."""

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


class VerificationOutcome(NamedTuple):
    """:func:`apply_verification_results`' answer (unpacks as a 3-tuple)."""

    resolved: pd.DataFrame  # RESOLVED_COLUMNS
    verified: pd.DataFrame  # VERIFIED_COLUMNS, the reconcile input
    problems: pd.DataFrame  # PROBLEM_COLUMNS, NIK masked


# ------------------------------------------------------------------------------------
def case_id(period: str, person_key: pd.Series) -> pd.Series:
    """``RV-YYYYMM-<first 10 hex of sha256(key)>`` for each person key (KPJ or NIK).

    Hashing runs once per case, not per resident.
    """
    prefix = f"{CASE_ID_PREFIX}-{compact(period)}-"
    digests = [hashlib.sha256(str(k).encode()).hexdigest()[:10] for k in person_key]
    return pd.Series([prefix + d for d in digests], index=person_key.index, dtype="str")


def opened_period(case_ids: pd.Series) -> pd.Series:
    """The period a case was opened in, read from its id (``RV-202610-...`` -> 2026-10);
    null when the id has another form."""
    ym = case_ids.astype("str").str.extract(r"^[A-Z]+-(\d{4})(\d{2})-", expand=True)
    return (ym[0] + "-" + ym[1]).astype("str")


def has_kpj(kpj: pd.Series) -> pd.Series:
    """True where a KPJ is given (null and blank are not)."""
    k = kpj.astype("str").str.strip()
    return (k.notna() & (k != "")).astype(bool)


def person_key(kpj: pd.Series, nik: pd.Series) -> pd.Series:
    """The KPJ when present (participants), else the NIK."""
    k = kpj.astype("str").str.strip()
    return k.where(has_kpj(kpj), nik.astype("str").str.strip()).astype("str")


def split_codes(codes: pd.Series) -> pd.Series:
    """``'A;B'`` -> one row per code (index repeated), empty strings and nulls dropped."""
    long = codes.astype("str").fillna("").str.split(";").explode().str.strip()
    return long[long.notna() & (long != "")]


def join_per_key(keys: pd.Series, values: pd.Series, sep: str) -> pd.Series:
    """``sep.join(values)`` per key, in the order given, as a ``str`` Series indexed by
    key (pyarrow's grouped ``list`` aggregation: no Python call per group)."""
    table = pa.table(
        {
            "k": pa.array(pd.Series(keys).to_numpy(), from_pandas=True),
            "v": pa.array(pd.Series(values, dtype="str").to_numpy(), from_pandas=True),
        }
    )
    if table.num_rows == 0:
        return pd.Series([], dtype="str")
    grouped = table.group_by("k", use_threads=False).aggregate([("v", "list")])
    joined = pc.binary_join(grouped["v_list"], sep)
    return pd.Series(
        joined.to_numpy(zero_copy_only=False), index=grouped["k"].to_pandas(), dtype="str"
    )


def _join_sorted(long: pd.DataFrame, key: str, value: str, sort: bool) -> pd.Series:
    """``key -> ';'.join(values)`` per key (codes: sorted, ``;``) or ``key -> '; '.join``
    (evidence clauses: in order), duplicates dropped."""
    long = long[long[value].notna()].drop_duplicates([key, value])
    if sort:
        long = long.sort_values([key, value], kind="stable")
    return join_per_key(long[key], long[value], ";" if sort else CLAUSE_SEPARATOR)


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


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(f"{what} lacks column(s) {', '.join(missing)}")


# ------------------------------------------------------------------------------------
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
    """This period's case plan (see the module docstring).

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


# ------------------------------------------------------------------------------------
def apply_verification_results(
    results: pd.DataFrame, open_cases: pd.DataFrame, period: str, *, today: date | None = None
) -> VerificationOutcome:
    """Close the cases the kelurahan answered.

    ``results``: the typed ``HASIL_VERIFIKASI`` rows (``CASE_ID``, ``NIK``, ``HASIL``,
    ``NIK_BARU``, ``CATATAN``, ``PETUGAS``, ``TGL_VERIFIKASI``, optionally ``_line``).
    ``open_cases``: the cases (:data:`OPEN_CASE_COLUMNS`; with ``status`` the closed ones
    may be included and are then recognised as closed).

    LAYAK -> RESOLVED_ELIGIBLE, TIDAK_LAYAK -> RESOLVED_INELIGIBLE, NIK_DIKOREKSI ->
    RESOLVED_NIK_CORRECTED, ``resolved_at`` = ``TGL_VERIFIKASI`` (else the period's last
    day), ``resolved_by`` = ``PETUGAS``, ``resolution_note`` = ``HASIL: CATATAN``.
    A result for an unknown or closed case, for a NIK that is not the case's, repeated for
    one case, NIK_DIKOREKSI without a new NIK, or dated after the period's last day (or
    after ``today``, when given: a period not over yet) is a problem row (masked NIK, the
    rule broken) and is not applied. Pass every case, closed ones with their ``status``,
    so that a result for a closed case is told apart from one for no case at all.
    """
    parse_period(period)
    _require(
        results,
        ("CASE_ID", "NIK", "HASIL", "NIK_BARU", "CATATAN", "PETUGAS", "TGL_VERIFIKASI"),
        "results",
    )
    _require(open_cases, OPEN_CASE_COLUMNS, "open_cases")
    r = results.reset_index(drop=True)
    cases = open_cases.drop_duplicates("case_id").set_index("case_id")
    is_open = (
        cases["status"] == CaseStatus.OPEN.value
        if "status" in cases.columns
        else pd.Series(True, index=cases.index)
    )

    cid = r["CASE_ID"].astype("str").str.strip()
    nik = r["NIK"].astype("str").str.strip()
    hasil = r["HASIL"].astype("str").str.strip().str.upper()
    nik_baru = r["NIK_BARU"].astype("str").str.strip()
    nik_baru = nik_baru.where(nik_baru != "")
    latest = pd.Timestamp(reference_date(period))
    if today is not None:
        latest = min(latest, pd.Timestamp(today))
    dated = pd.to_datetime(r["TGL_VERIFIKASI"])

    known = pd.Series(text_isin(cid, cases.index), index=cid.index)
    case_nik = cid.map(cases["nik"].astype("str").str.strip())
    checks = [  # first failing check wins, in this order
        (Problem.UNKNOWN_CASE, ~known),
        (Problem.CASE_CLOSED, ~cid.map(is_open).fillna(False).astype(bool)),
        (Problem.DUPLICATE_RESULT, cid.duplicated(keep=False)),
        (Problem.NIK_MISMATCH, (nik != case_nik).fillna(True)),
        (Problem.UNKNOWN_HASIL, ~hasil.isin([v.value for v in VerificationResult])),
        (
            Problem.NIK_BARU_MISSING,
            (hasil == VerificationResult.NIK_DIKOREKSI.value) & nik_baru.isna(),
        ),
        (
            Problem.NIK_BARU_UNCHANGED,
            (hasil == VerificationResult.NIK_DIKOREKSI.value) & (nik_baru == nik).fillna(False),
        ),
        (Problem.FUTURE_DATE, (dated > latest).fillna(False)),
    ]
    problem = pd.Series([None] * len(r), dtype="str")
    for code, failed in reversed(checks):
        problem = problem.mask(failed.fillna(False).astype(bool).to_numpy(), code)

    bad = problem.notna().to_numpy(dtype=bool)
    problems = pd.DataFrame(
        {
            "_line": r["_line"] if "_line" in r.columns else pd.Series(np.nan, index=r.index),
            "case_id": cid,
            "nik": mask_nik_series(nik),
            "hasil": hasil,
            "problem": problem,
            "detail": problem.map(_PROBLEM_DETAIL),
        }
    )[bad].reset_index(drop=True)
    problems["_line"] = problems["_line"].astype("Int64")

    ok = r[~bad]
    ok_cid, ok_hasil = cid[~bad], hasil[~bad]
    corrected = (ok_hasil == VerificationResult.NIK_DIKOREKSI.value).to_numpy(dtype=bool)
    ok_nik_baru = nik_baru[~bad].where(corrected)
    catatan = ok["CATATAN"].astype("str").str.strip()
    when = pd.to_datetime(ok["TGL_VERIFIKASI"]).fillna(pd.Timestamp(reference_date(period)))
    resolved = pd.DataFrame(
        {
            "case_id": ok_cid,
            "status": ok_hasil.map({k.value: v.value for k, v in RESULT_STATUS.items()}),
            "resolved_at": when,
            "resolution_note": ok_hasil.where(
                catatan.isna() | (catatan == ""), ok_hasil + ": " + catatan
            ),
            "resolved_by": ok["PETUGAS"].astype("str").str.strip(),
            "nik_baru": ok_nik_baru,
        }
    ).reset_index(drop=True)
    for col in ("case_id", "status", "resolution_note", "resolved_by", "nik_baru"):
        resolved[col] = resolved[col].astype("str")

    verified = pd.DataFrame(
        {
            "kpj": ok_cid.map(cases["kpj"]),
            "nik": ok_cid.map(cases["nik"]),
            "hasil": ok_hasil,
            "nik_baru": ok_nik_baru,
            "triggers": ok_cid.map(cases["triggers"]),
        }
    ).reset_index(drop=True)
    for col in VERIFIED_COLUMNS:
        verified[col] = verified[col].astype("str")
    return VerificationOutcome(
        resolved=resolved[list(RESOLVED_COLUMNS)],
        verified=verified[list(VERIFIED_COLUMNS)],
        problems=problems[list(PROBLEM_COLUMNS)],
    )


#: case status -> HASIL (the verdict an officer gave)
STATUS_RESULT: dict[CaseStatus, VerificationResult] = {v: k for k, v in RESULT_STATUS.items()}


def verified_from_cases(cases: pd.DataFrame) -> pd.DataFrame:
    """The ``verified`` frame (:data:`VERIFIED_COLUMNS`) of every case an officer has
    answered so far, from the registry's cases (``case_id``, ``nik``, ``kpj``,
    ``triggers``, ``status``, ``nik_baru``; optional ``resolved_by``,
    ``resolution_note``, ``resolved_at``).

    Cases the software closed itself (a TERMINATE: ``resolved_by`` SIGAP or a note
    ``terminated: ...``) carry no officer's verdict and are left out. A person's LAYAK
    verdicts become one row whose ``triggers`` are the union of theirs (each answered
    question stays answered); TIDAK_LAYAK and NIK_DIKOREKSI rows are kept as they are
    (reconciliation applies the most conservative verdict per KPJ).
    """
    columns = {c: pd.Series([], dtype="str") for c in VERIFIED_COLUMNS}
    if len(cases) == 0:
        return pd.DataFrame(columns)
    _require(cases, ("nik", "kpj", "triggers", "status", "nik_baru"), "cases")
    c = cases.reset_index(drop=True)
    hasil = c["status"].map({k.value: v.value for k, v in STATUS_RESULT.items()})
    answered = hasil.notna()
    if "resolved_by" in c.columns:
        answered &= (c["resolved_by"].astype("str") != AUTOMATIC_RESOLVER).fillna(True)
    if "resolution_note" in c.columns:
        automatic = c["resolution_note"].astype("str").str.startswith("terminated:")
        answered &= ~automatic.fillna(False).astype(bool)
    c = c[answered.to_numpy(dtype=bool)].assign(hasil=hasil[answered])
    if c.empty:
        return pd.DataFrame(columns)
    c = c.assign(key=person_key(c["kpj"], c["nik"]))

    layak = c[c["hasil"] == VerificationResult.LAYAK.value]
    codes = split_codes(layak["triggers"])
    union = _join_sorted(
        pd.DataFrame({"key": layak.loc[codes.index, "key"].to_numpy(), "code": codes.to_numpy()}),
        "key",
        "code",
        sort=True,
    )
    layak = layak.drop_duplicates("key").assign(
        triggers=lambda f: f["key"].map(union).astype("str").fillna(""), nik_baru=None
    )
    others = c[c["hasil"] != VerificationResult.LAYAK.value]
    others = others.assign(
        nik_baru=others["nik_baru"].where(others["hasil"] == VerificationResult.NIK_DIKOREKSI.value)
    )
    out = pd.concat([layak, others], ignore_index=True)[list(VERIFIED_COLUMNS)]
    for col in VERIFIED_COLUMNS:
        out[col] = out[col].astype("str")
    return out.sort_values(["kpj", "nik", "hasil"], kind="stable").reset_index(drop=True)
