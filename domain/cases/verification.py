"""The kelurahan's answers: :func:`apply_verification_results` turns the results file
(``HASIL_VERIFIKASI``) into resolved cases and the ``verified`` frame reconciliation
reads, a result that cannot be applied into a :class:`Problem` row; and
:func:`verified_from_cases` rebuilds the ``verified`` frame from the registry's answered
cases.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd

from domain.cases.frames import (
    AUTOMATIC_RESOLVER,
    OPEN_CASE_COLUMNS,
    PROBLEM_COLUMNS,
    RESOLVED_COLUMNS,
    VERIFIED_COLUMNS,
    _require,
)
from domain.cases.keys import _join_sorted, person_key, split_codes
from domain.changes import text_isin
from domain.codes import CaseStatus, VerificationResult
from domain.periods import parse_period, reference_date
from domain.privacy import mask_nik_series

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


class VerificationOutcome(NamedTuple):
    """:func:`apply_verification_results`' answer (unpacks as a 3-tuple)."""

    resolved: pd.DataFrame  # RESOLVED_COLUMNS
    verified: pd.DataFrame  # VERIFIED_COLUMNS, the reconcile input
    problems: pd.DataFrame  # PROBLEM_COLUMNS, NIK masked


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
