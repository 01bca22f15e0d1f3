"""One person's eligibility checks (domain.assessment) never disagree with the decisions:
the same rule functions on one-row frames, cross-checked against the composed rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.assessment import (
    Outcome,
    PersonRecords,
    ReleaseInfo,
    Result,
    Rule,
    assess,
    explanation,
    linked_entries,
)
from domain.reconcile import ReconcileInputs, reconcile
from domain.rules import RuleParameters
from tests.unit.domain.frames import PERIOD, person, sources, synthetic_city

PARAMS = RuleParameters(quota=300)
RELEASE = ReleaseInfo(PERIOD, 1, 1, PARAMS.rules_version)


def _records(src: dict[str, pd.DataFrame], entries: pd.DataFrame, nik: str) -> PersonRecords:
    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[(frame["NIK"].astype("str").str.strip() == nik).to_numpy(dtype=bool)]

    return PersonRecords(
        nik=nik, dukcapil=rows(src["dukcapil"]), dtsen=rows(src["dtsen"]),
        bpjstk=rows(src["bpjstk"]),
        entries=entries[(entries["nik"] == nik).fillna(False).to_numpy(dtype=bool)],
        linked=linked_entries(entries, nik),
    )  # fmt: skip


def test_every_resident_of_a_city_is_explained_as_decided():
    city = synthetic_city(6_000, 600, seed=11)
    rec = reconcile(
        ReconcileInputs(PERIOD, city["dukcapil"], city["dtsen"], city["bpjstk"]), PARAMS
    )
    in_scope = set(rec.entries["nik"].dropna())
    rng = np.random.default_rng(3)
    niks = list(city["dukcapil"]["NIK"].iloc[rng.choice(len(city["dukcapil"]), 400, replace=False)])
    niks += list(rec.entries.loc[rec.entries["suggested_nik"].notna(), "suggested_nik"])
    niks += list(rec.entries.loc[rec.entries["decision"] == "ENROLL", "nik"].head(20))
    seen = set()
    for nik in niks:
        a = assess(_records(city, rec.entries, nik), PERIOD, PARAMS)
        seen.add(a.outcome)
        if nik in in_scope:
            assert a.outcome is Outcome.IN_SCOPE
        else:
            assert a.outcome is Outcome.OUT_OF_SCOPE, (nik, a.checks)
            assert a.failed
    assert {Outcome.IN_SCOPE, Outcome.OUT_OF_SCOPE} <= seen


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"dts": {"DESIL": 7}}, Rule.DESIL),
        ({"duk": {"JENIS_PKRJN": 15}}, Rule.NOT_FORMAL),
        ({"duk": {"JENIS_PKRJN": 3}}, Rule.WORKING),
        ({"in_dtsen": False}, Rule.DTSEN_RECORD),
        ({"duk": {"NO_KAB": 16}}, Rule.DOMICILE),
        ({"duk": {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-02"}}, Rule.ALIVE),
        ({"duk": {"TGL_LHR": "2012-01-01"}}, Rule.AGE),
        ({"dts": {"STATUS_KEBERADAAN": 3}}, Rule.DTSEN_PRESENT),
    ],
)  # fmt: skip
def test_each_rule_fails_alone_for_its_cause(overrides, rule):
    nik = "3275014101840001"
    src = sources([person(nik, kpj=None, **overrides)])
    rec = reconcile(ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"]), PARAMS)
    a = assess(_records(src, rec.entries, nik), PERIOD, PARAMS)
    assert a.outcome is Outcome.OUT_OF_SCOPE
    assert a.failed == [rule]
    assert len(rec.entries) == 0


def test_covered_by_another_payer_and_not_found():
    nik = "3275014101840001"
    src = sources([person(nik, kpj="20000000001", bpjs={"SUMBER_IURAN": "CSR", "NIK": f" {nik} "})])
    rec = reconcile(ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"]), PARAMS)
    a = assess(_records(src, rec.entries, nik), PERIOD, PARAMS)
    covered = {c.rule: c for c in a.checks}[Rule.NOT_COVERED]
    assert (a.failed, covered.values["payer_code"]) == ([Rule.NOT_COVERED], "CSR")
    nobody = assess(_records(src, rec.entries, "3275014101840002"), PERIOD, PARAMS)
    assert nobody.outcome is Outcome.NOT_FOUND
    assert all(c.result in (Result.FAIL, Result.UNKNOWN, Result.PASS) for c in nobody.checks)


def test_letter_leaves_out_the_kpj_and_the_operator_view_keeps_it():
    nik = "3275014101840001"
    src = sources([person(nik, kpj="20000000001", bpjs={"SUMBER_IURAN": "MANDIRI"})])
    rec = reconcile(ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"]), PARAMS)
    a = assess(_records(src, rec.entries, nik), PERIOD, PARAMS)
    en = "\n".join(explanation(a, release=RELEASE))
    letter = "\n".join(explanation(a, lang="id", release=RELEASE))
    assert "already covered: active MANDIRI participant (KPJ 20000000001)" in en
    assert "20000000001" not in letter and "iuran dibayar sendiri (mandiri)" in letter
    assert "SITI AMINAH" in letter and nik in letter  # the citizen's own data


def test_a_quarantined_row_replaces_the_advice_to_register():
    nik = "3275014101840001"
    src = sources([person(nik, kpj=None, in_dtsen=False)])  # the DTSEN row was rejected
    rec = reconcile(ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"]), PARAMS)
    a = assess(_records(src, rec.entries, nik), PERIOD, PARAMS)
    quarantined = pd.DataFrame([{"source": "dtsen", "file": "DTSEN_3275_202610.csv.gz",
                                 "line": 7, "column": "DESIL", "rule": "INT_FORMAT"}])  # fmt: skip
    en = "\n".join(explanation(a, release=RELEASE, quarantined=quarantined))
    letter = "\n".join(explanation(a, lang="id", release=RELEASE, quarantined=quarantined))
    assert "DTSEN: DTSEN_3275_202610.csv.gz line 7, column DESIL, rule INT_FORMAT" in en
    assert "Data Anda dari DTSEN tidak dapat diproses" in letter
    assert "isian angka tidak valid (kolom DESIL)" in letter
    assert "agar keluarga Anda didata dalam DTSEN" not in letter
    without = "\n".join(explanation(a, lang="id", release=RELEASE))
    assert "agar keluarga Anda didata dalam DTSEN" in without
