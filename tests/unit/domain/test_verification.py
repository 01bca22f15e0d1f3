"""Re-verification outcomes applied by ``reconcile`` (docs/DESIGN.md, ``verified``)."""

from __future__ import annotations

import pandas as pd
import pytest

from domain.decisions import verification_outcomes
from domain.reconcile import ReconcileInputs, reconcile
from domain.rules import RuleParameters
from tests.unit.domain.frames import PERIOD, person, sources

NIK = "3275014101840001"
KPJ = "10000000001"


def outcomes(*rows: dict) -> pd.DataFrame:
    base = {"kpj": KPJ, "nik": NIK, "hasil": "LAYAK", "nik_baru": None, "triggers": ""}
    return pd.DataFrame([{**base, **r} for r in rows])


def run(people, verified, extra_bpjs=None) -> dict:
    src = sources(people, extra_bpjs)
    rec = reconcile(
        ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"], verified=verified),
        RuleParameters(),
    )
    rows = rec.entries[rec.entries["kpj"] == KPJ]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def test_layak_clears_the_triggers_and_keeps():
    e = run([person(NIK, kpj=KPJ, dts={"DESIL": 6})], outcomes({"triggers": "DESIL_ABOVE_LIMIT"}))
    assert e["decision"] == "KEEP" and e["reasons"] == "VERIFIED_ELIGIBLE"
    assert "CLEARED: DESIL_ABOVE_LIMIT" in e["evidence"]


def test_layak_leaves_reasons_not_in_the_triggers():
    p = person(NIK, kpj=KPJ, dts={"DESIL": 6}, duk={"JENIS_PKRJN": 15})
    e = run([p], outcomes({"triggers": "DESIL_ABOVE_LIMIT;DESIL_CHANGED"}))
    assert e["decision"] == "REVERIFY" and e["reasons"] == "FORMAL_OCCUPATION"


def test_layak_never_clears_a_termination():
    p = person(NIK, kpj=KPJ, duk={"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-10"})
    e = run([p], outcomes({"triggers": "DECEASED;NOT_IN_DTSEN"}))
    assert e["decision"] == "TERMINATE" and "DECEASED" in e["reasons"]
    assert "VERIFIED_ELIGIBLE" not in e["reasons"]


def test_layak_on_a_clean_participant_is_recorded():
    e = run([person(NIK, kpj=KPJ)], outcomes({"triggers": "NAME_CHANGED"}))
    assert e["decision"] == "KEEP" and e["reasons"] == "VERIFIED_ELIGIBLE"


def test_tidak_layak_terminates():
    e = run([person(NIK, kpj=KPJ)], outcomes({"hasil": "TIDAK_LAYAK", "triggers": "DESIL_CHANGED"}))
    assert e["decision"] == "TERMINATE" and e["reasons"] == "VERIFIED_INELIGIBLE"


def test_nik_corrected_relinks_and_applies_every_rule():
    wrong = "3275019999990009"
    p = person(NIK, kpj=None, dts={"DESIL": 7})
    verified = outcomes({"hasil": "NIK_DIKOREKSI", "nik": wrong, "nik_baru": NIK})
    e = run([p], verified, extra_bpjs=[{"NIK": wrong, "KPJ": KPJ}])
    assert e["match_method"] == "NIK_CORRECTED" and e["nik"] == NIK
    assert e["reasons"] == "DESIL_ABOVE_LIMIT;NIK_CORRECTED" and e["decision"] == "REVERIFY"
    assert e["kode_kelurahan"] == "32.75.01.1001"
    assert f"corrected BPJS NIK {wrong} to {NIK}" in e["evidence"]


def test_nik_corrected_clean_record_keeps():
    wrong = "3275019999990009"
    verified = outcomes({"hasil": "NIK_DIKOREKSI", "nik": wrong, "nik_baru": NIK})
    e = run([person(NIK, kpj=None)], verified, extra_bpjs=[{"NIK": wrong, "KPJ": KPJ}])
    assert e["decision"] == "KEEP" and e["reasons"] == "NIK_CORRECTED"


def test_outcomes_for_other_kpjs_change_nothing():
    e = run(
        [person(NIK, kpj=KPJ, dts={"DESIL": 6})],
        outcomes({"kpj": "19999999999", "triggers": "DESIL_ABOVE_LIMIT"}),
    )
    assert e["decision"] == "REVERIFY" and e["reasons"] == "DESIL_ABOVE_LIMIT"


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
def test_ineligible_wins_and_a_correction_still_applies_whatever_the_order(order):
    rows = [
        {"hasil": "LAYAK", "triggers": "DESIL_ABOVE_LIMIT"},
        {"hasil": "TIDAK_LAYAK"},
        {"hasil": "NIK_DIKOREKSI", "nik_baru": NIK},
    ]
    got = verification_outcomes(outcomes(*[rows[i] for i in order]), pd.Series([KPJ]))
    assert got["hasil"].tolist() == ["TIDAK_LAYAK"] and got["nik_baru"].tolist() == [NIK]
    assert got["triggers"].isna().all()


def test_layak_answers_add_up():
    rows = [
        {"hasil": "LAYAK", "triggers": "DESIL_ABOVE_LIMIT;NAME_CHANGED"},
        {"hasil": "LAYAK", "triggers": "FORMAL_OCCUPATION;DESIL_ABOVE_LIMIT"},
    ]
    got = verification_outcomes(outcomes(*rows), pd.Series([KPJ, "19999999999"]))
    assert got["hasil"].tolist()[0] == "LAYAK" and pd.isna(got["hasil"].iloc[1])
    assert got["triggers"].iloc[0] == "DESIL_ABOVE_LIMIT;FORMAL_OCCUPATION;NAME_CHANGED"


def test_an_old_correction_and_a_new_layak_both_apply():
    wrong = "3275019999990009"
    verified = outcomes(
        {"hasil": "NIK_DIKOREKSI", "nik": wrong, "nik_baru": NIK},
        {"hasil": "LAYAK", "triggers": "DESIL_ABOVE_LIMIT"},
    )
    p = person(NIK, kpj=None, dts={"DESIL": 6})
    e = run([p], verified, extra_bpjs=[{"NIK": wrong, "KPJ": KPJ}])
    assert e["match_method"] == "NIK_CORRECTED"
    assert e["decision"] == "KEEP" and e["reasons"] == "NIK_CORRECTED;VERIFIED_ELIGIBLE"


def test_correction_without_a_new_nik_is_ignored():
    got = verification_outcomes(
        outcomes({"hasil": "NIK_DIKOREKSI", "nik_baru": None}), pd.Series([KPJ])
    )
    assert got["hasil"].isna().all()


def test_outcomes_need_their_columns():
    with pytest.raises(ValueError, match="triggers"):
        verification_outcomes(pd.DataFrame({"kpj": [KPJ], "hasil": ["LAYAK"], "nik_baru": [None]}),
                              pd.Series([KPJ]))  # fmt: skip
