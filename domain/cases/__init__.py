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

The parts: :mod:`~domain.cases.frames` (the frames' columns),
:mod:`~domain.cases.keys` (person keys, case ids, code lists),
:mod:`~domain.cases.planning` (:func:`plan_cases`) and
:mod:`~domain.cases.verification` (:func:`apply_verification_results`).
"""

from __future__ import annotations

from domain.cases.frames import (
    AUTOMATIC_RESOLVER,
    CASE_ID_PREFIX,
    CLAUSE_SEPARATOR,
    OPEN_CASE_COLUMNS,
    OPENED_COLUMNS,
    PROBLEM_COLUMNS,
    RESOLVED_COLUMNS,
    SEEN_COLUMNS,
    VERIFIED_COLUMNS,
)
from domain.cases.keys import (
    case_id,
    has_kpj,
    join_per_key,
    opened_period,
    person_key,
    split_codes,
)
from domain.cases.planning import CasePlan, keep_answers, person_triggers, plan_cases
from domain.cases.verification import (
    RESULT_STATUS,
    STATUS_RESULT,
    Problem,
    VerificationOutcome,
    apply_verification_results,
    verified_from_cases,
)

__all__ = [
    "AUTOMATIC_RESOLVER",
    "CASE_ID_PREFIX",
    "CLAUSE_SEPARATOR",
    "OPENED_COLUMNS",
    "OPEN_CASE_COLUMNS",
    "PROBLEM_COLUMNS",
    "RESOLVED_COLUMNS",
    "RESULT_STATUS",
    "SEEN_COLUMNS",
    "STATUS_RESULT",
    "VERIFIED_COLUMNS",
    "CasePlan",
    "Problem",
    "VerificationOutcome",
    "apply_verification_results",
    "case_id",
    "has_kpj",
    "join_per_key",
    "keep_answers",
    "opened_period",
    "person_key",
    "person_triggers",
    "plan_cases",
    "split_codes",
    "verified_from_cases",
]
