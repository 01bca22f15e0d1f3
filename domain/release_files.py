"""What the registry and BPJS files of a release hold (``contracts/REGISTRY.md``, "Files
that leave the system"): their columns and rows, from the release's entries.

Publishing renders them from the reconciliation's entries; a delivery that a crash
interrupted renders them again from the entries read back from the database, and
delivers them only when they give exactly the published bytes (the recorded sha256).
"""

from __future__ import annotations

import pandas as pd

from domain.codes import Decision

#: columns of ``registry_YYYYMM_vN.csv`` (the ``registry_entry`` table of the contract)
REGISTRY_CSV_COLUMNS = [
    "release_id", "nik", "kpj", "nama", "kode_kelurahan", "desil", "kategori", "decision",
    "reasons", "match_method", "suggested_nik", "priority_rank", "monthly_contribution_idr",
    "jkm_claim_alert", "evidence",
]  # fmt: skip

#: columns of ``mutasi_bpjstk_YYYYMM_vN.csv``
MUTASI_COLUMNS = ["kpj", "nik", "nama", "kategori", "decision", "reasons", "kode_kelurahan", "periode_efektif"]

#: the decisions BPJS Ketenagakerjaan acts on: registration and deactivation
MUTASI_DECISIONS = (Decision.ENROLL.value, Decision.TERMINATE.value)


def registry_rows(entries: pd.DataFrame, release_id: int) -> pd.DataFrame:
    """The registry file's rows: every entry of the release, in published order."""
    return entries.assign(release_id=int(release_id))[REGISTRY_CSV_COLUMNS]


def mutasi_rows(entries: pd.DataFrame, period: str) -> pd.DataFrame:
    """The BPJS mutations: the ENROLL and TERMINATE entries, effective in ``period``."""
    chosen = entries[entries["decision"].isin(MUTASI_DECISIONS)]
    return chosen.assign(periode_efektif=period)[MUTASI_COLUMNS]


def jkm_claim_alerts(entries: pd.DataFrame) -> int:
    """How many entries tell the kelurahan that heirs may claim the JKM death benefit
    (``jkm_claim_alert``: a participant who died while covered)."""
    return int(entries["jkm_claim_alert"].sum()) if len(entries) else 0
