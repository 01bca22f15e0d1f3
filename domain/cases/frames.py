"""The columns of the case frames (opened, seen, resolved, verified, problems, and the
open cases the functions read), the case id prefix, who closes a case automatically, how
evidence clauses are joined, and the check that an input frame has its columns.
"""

from __future__ import annotations

import pandas as pd

from core.errors import InvalidInput

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


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(f"{what} lacks column(s) {', '.join(missing)}")
