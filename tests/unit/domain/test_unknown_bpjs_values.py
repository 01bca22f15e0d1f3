"""BPJS values validation has nulled (issue 15, point 1): the participant keeps a decision,
and each rule treats the unknown value as documented (docs/DESIGN.md, Interpretations).

* ``TGL_LAHIR`` unknown: an exact NIK match cannot confirm the birth date
  (``IDENTITY_MISMATCH``, REVERIFY); without a match there is no probable typo (the rule
  needs the birth date): ``NIK_NOT_FOUND``.
* ``NAMA`` unknown: an exact match cannot confirm the name (``IDENTITY_MISMATCH``).
* ``TGL_AKTIF`` unknown: for ``DUPLICATE_ENROLLMENT`` it sorts after every known date
  (then the lowest KPJ); a deceased participant's heirs are alerted (``JKM_CLAIM_ALERT``),
  since nobody can tell that the death came before the coverage.
* ``KATEGORI``, ``PROGRAM``, ``UPAH_DILAPORKAN``, ``IURAN_BULANAN``,
  ``BULAN_IURAN_TERAKHIR`` unknown: no rule reads them; the decision is unchanged.
"""

from __future__ import annotations

import pandas as pd
import pytest

from domain.reconcile import ReconcileInputs, reconcile
from domain.rules import RuleParameters
from tests.unit.domain.frames import PERIOD, person, sources

NIK = "3275014101840001"
KPJ = "10000000001"


def _run(people, extra_bpjs=None, nulls: dict[str, list[str]] | None = None):
    src = sources(people, extra_bpjs)
    bpjs = src["bpjstk"]
    for kpj, columns in (nulls or {}).items():
        for column in columns:
            bpjs.loc[bpjs["KPJ"] == kpj, column] = None
    bpjs = bpjs.astype({"UPAH_DILAPORKAN": "Int64", "IURAN_BULANAN": "Int64"})
    return reconcile(ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], bpjs), RuleParameters())


def _entry(rec, kpj=KPJ) -> dict:
    rows = rec.entries[rec.entries["kpj"] == kpj]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


@pytest.mark.parametrize(
    "columns",
    [["KATEGORI"], ["PROGRAM"], ["UPAH_DILAPORKAN"], ["IURAN_BULANAN"], ["BULAN_IURAN_TERAKHIR"],
     ["TGL_AKTIF"], ["KATEGORI", "PROGRAM", "UPAH_DILAPORKAN", "IURAN_BULANAN", "TGL_AKTIF"]],
)  # fmt: skip
def test_values_no_rule_needs_leave_the_decision_alone(columns):
    entry = _entry(_run([person(NIK)], nulls={KPJ: columns}))
    assert entry["decision"] == "KEEP" and entry["reasons"] == ""
    if "KATEGORI" in columns:
        assert pd.isna(entry["kategori"])


@pytest.mark.parametrize("column", ["TGL_LAHIR", "NAMA"])
def test_an_unknown_birth_date_or_name_cannot_confirm_the_identity(column):
    entry = _entry(_run([person(NIK)], nulls={KPJ: [column]}))
    assert entry["decision"] == "REVERIFY" and entry["reasons"] == "IDENTITY_MISMATCH"
    assert "unknown" in entry["evidence"] or "similarity" in entry["evidence"]


def test_an_unknown_birth_date_without_a_match_is_nik_not_found():
    typo = NIK[:-1] + "2"  # one digit away from a Dukcapil NIK, but no birth date to block on
    rec = _run([person(NIK, kpj=None)], extra_bpjs=[{"NIK": typo, "KPJ": KPJ}], nulls={KPJ: ["TGL_LAHIR"]})
    assert _entry(rec)["reasons"] == "NIK_NOT_FOUND"


def test_duplicate_enrollment_sorts_an_unknown_tgl_aktif_last():
    p = person(NIK, kpj="10000000002")
    other = {"NIK": NIK, "KPJ": "10000000001"}
    rec = _run([p], extra_bpjs=[other], nulls={"10000000001": ["TGL_AKTIF"]})
    assert _entry(rec, "10000000002")["decision"] == "KEEP"
    assert _entry(rec, "10000000001")["reasons"] == "DUPLICATE_ENROLLMENT"
    both = _run([p], extra_bpjs=[other], nulls={"10000000001": ["TGL_AKTIF"], "10000000002": ["TGL_AKTIF"]})
    assert _entry(both, "10000000001")["decision"] == "KEEP"
    assert _entry(both, "10000000002")["reasons"] == "DUPLICATE_ENROLLMENT"


def test_a_deceased_participant_with_an_unknown_tgl_aktif_is_a_jkm_claim_alert():
    dead = person(NIK, duk={"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-10"})
    entry = _entry(_run([dead], nulls={KPJ: ["TGL_AKTIF"]}))
    assert entry["decision"] == "TERMINATE"
    assert entry["reasons"] == "DECEASED;JKM_CLAIM_ALERT" and entry["jkm_claim_alert"]
    assert "TGL_AKTIF is unknown" in entry["evidence"]
