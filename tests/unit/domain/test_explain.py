"""Evidence text (one clause per reason) and one person's explanation."""

from __future__ import annotations

import pandas as pd
import pytest

from domain.codes import Reason
from domain.explain import CLAUSE_SEPARATOR, CLAUSES, explain_person, occupation_label
from domain.reconcile import ReconcileInputs, Reconciliation, reconcile
from domain.rules import RuleParameters
from tests.unit.domain.frames import PERIOD, person, sources

NIK = "3275014101840001"
KPJ = "10000000001"


def run(people, extra_bpjs=None, **kw) -> Reconciliation:
    src = sources(people, extra_bpjs)
    return reconcile(ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"], **kw),
                     RuleParameters())  # fmt: skip


def evidence(rec: Reconciliation, kpj=KPJ) -> str:
    return rec.entries.loc[rec.entries["kpj"] == kpj, "evidence"].iloc[0]


@pytest.mark.parametrize(
    ("overrides", "clause"),
    [
        ({"dts": {"DESIL": 7, "TGL_PEMERINGKATAN": "2025-10-01"}},
         "DESIL_ABOVE_LIMIT: DTSEN desil 7 (ranked 2025-10-01), maximum 5"),
        ({"duk": {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-09-14"}},
         "DECEASED: Dukcapil STATUS_DASAR=MATI on 2026-09-14"),
        ({"duk": {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-09-14"}},
         "JKM_CLAIM_ALERT: died 2026-09-14 on or after TGL_AKTIF 2025-11-05"),
        ({"duk": {"STATUS_DASAR": "PINDAH", "TGL_PERISTIWA": "2026-10-02"}},
         "MOVED_OUT: Dukcapil STATUS_DASAR=PINDAH on 2026-10-02"),
        ({"duk": {"NO_KAB": 16}}, "MOVED_OUT: Dukcapil domicile NO_PROP=32 NO_KAB=16, outside 32.75"),
        ({"duk": {"TGL_LHR": "1950-05-01"}, "bpjs": {"TGL_LAHIR": "1950-05-01"}},
         "AGE_ABOVE_LIMIT: age 76 on 2026-10-31 (Dukcapil TGL_LHR 1950-05-01), maximum 65"),
        ({"bpjs": {"TGL_LAHIR": "1984-02-01"}},
         "IDENTITY_MISMATCH: BPJS TGL_LAHIR 1984-02-01 vs Dukcapil TGL_LHR 1984-01-01"),
        ({"bpjs": {"NAMA": "JOKO WIDODO"}}, "IDENTITY_MISMATCH: name similarity 0."),
        ({"in_dtsen": False}, f"NOT_IN_DTSEN: NIK {NIK} has no DTSEN record"),
        ({"duk": {"JENIS_PKRJN": 15}},
         "FORMAL_OCCUPATION: Dukcapil occupation 15 KARYAWAN SWASTA (FORMAL)"),
        ({"dts": {"STATUS_KEBERADAAN": 2, "TGL_PEMERINGKATAN": "2026-07-01"}},
         ("REPORTED_DECEASED: DTSEN STATUS_KEBERADAAN=2 (died, ranked 2026-07-01) but Dukcapil "
          "STATUS_DASAR=HIDUP")),
        ({}, "ELIGIBLE: desil 3, age 42, occupation 84 PEDAGANG (INFORMAL)"),
        ({"dts": {"PENERIMA_PKH": True}}, "ELIGIBLE: desil 3, age 42, occupation 84 PEDAGANG (INFORMAL), PKH"),
    ],
)  # fmt: skip
def test_clause(overrides, clause):
    text = evidence(run([person(NIK, kpj=KPJ, **overrides)]))
    assert clause in text


def test_one_clause_per_reason_in_reason_order():
    p = person(NIK, kpj=KPJ, duk={"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-09-14", "JENIS_PKRJN": 15},
               dts={"DESIL": 8})  # fmt: skip
    e = run([p]).entries.iloc[0]
    clauses = e["evidence"].split(CLAUSE_SEPARATOR)
    assert [c.split(":")[0] for c in clauses] == e["reasons"].split(";")
    assert "SITI" not in e["evidence"]  # evidence never carries a name


def test_probable_typo_clause_names_the_suggestion():
    typo = NIK[:-1] + "7"
    rec = run([person(NIK, kpj=None, duk={"NAMA_LGKP": "SITI AMINAH"})],
              extra_bpjs=[{"NIK": typo, "KPJ": KPJ, "NAMA": "SITI AMINA"}])  # fmt: skip
    text = evidence(rec)
    assert text.startswith(
        f"NIK_PROBABLE_TYPO: suggested {NIK}, birth date 1984-01-01 equal, name similarity 0.9"
    )
    assert text.endswith(", 1 digit edit")


def test_not_found_clauses():
    rec = run([person(NIK, kpj=None), person("3275014101840002", kpj=None)],
              extra_bpjs=[{"NIK": "3275014101840003", "KPJ": KPJ},
                          {"NIK": "12345", "KPJ": "10000000002"}])  # fmt: skip
    assert evidence(rec) == (
        "NIK_NOT_FOUND: BPJS NIK 3275014101840003 not in Dukcapil, 2 Dukcapil records fit the "
        "typo rule (ambiguous, none suggested)"
    )
    assert evidence(rec, "10000000002") == (
        "NIK_NOT_FOUND: BPJS NIK 12345 (not 16 digits) not in Dukcapil, no probable match"
    )


def test_resident_evidence_carries_the_priority():
    rec = run([person(NIK, kpj=None)])
    assert rec.entries["evidence"].iloc[0] == (
        "ELIGIBLE: desil 3, age 42, occupation 84 PEDAGANG (INFORMAL); "
        "PRIORITY: rank 1 of 1 (free places 51,666)"
    )


def test_occupation_label_handles_unknown_codes():
    got = occupation_label(pd.Series([84, None, 999], dtype="Int16"))
    assert got.tolist() == ["84 PEDAGANG (INFORMAL)", "unknown", "unknown"]


# -- explain_person ------------------------------------------------------------------------
def test_explain_person_masks_by_default():
    rec = run([person(NIK, kpj=KPJ, duk={"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-09-14"})])
    lines = explain_person(rec.entries, kpj=KPJ)
    text = "\n".join(lines)
    assert NIK not in text and "SITI AMINAH" not in text
    assert "3275********0001" in text and "S*** A*****" in text
    assert "decision      TERMINATE" in text
    assert "    - DECEASED: Dukcapil STATUS_DASAR=MATI on 2026-09-14" in lines
    assert "JKM claim alert" in text


def test_explain_person_reveals_on_request_and_finds_by_nik():
    typo = NIK[:-1] + "7"
    rec = run([person(NIK, kpj=None)], extra_bpjs=[{"NIK": typo, "KPJ": KPJ}])
    lines = explain_person(rec.entries, nik=NIK, reveal=True)  # found through the suggestion
    text = "\n".join(lines)
    assert f"NIK {typo}" in text and f"suggested NIK {NIK}" in text and "SITI AMINAH" in text


def test_explain_person_lists_every_entry_of_a_nik():
    rec = run([person(NIK, kpj=KPJ)], extra_bpjs=[{"NIK": NIK, "KPJ": "10000000002"}])
    lines = explain_person(rec.entries, nik=NIK)
    assert sum(line.startswith("KPJ ") for line in lines) == 2


def test_explain_person_unknown_key_is_masked_in_the_error():
    rec = run([person(NIK, kpj=KPJ)])
    with pytest.raises(ValueError) as err:
        explain_person(rec.entries, nik="3275019999990001")
    assert "3275019999990001" not in str(err.value) and "3275********0001" in str(err.value)
    with pytest.raises(ValueError):
        explain_person(rec.entries)


def test_every_reason_has_a_clause():
    assert set(CLAUSES) == set(Reason)
