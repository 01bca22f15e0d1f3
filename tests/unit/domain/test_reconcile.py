"""``reconcile`` as a whole: the contract of its result, a synthetic city, input errors,
and the purity of the rule modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from domain.reconcile import (
    ENTRY_COLUMNS,
    ENTRY_DTYPES,
    QuotaSummary,
    ReconcileInputs,
    Reconciliation,
    reconcile,
)
from domain.rules import RuleParameters
from tests.unit.domain.frames import PERIOD, person, sources, synthetic_city
from tests.unit.domain.invariants import check_quota, check_scope, check_severity

NIK = "3275014101840001"


@pytest.fixture(scope="module")
def city() -> dict[str, pd.DataFrame]:
    return synthetic_city(30_000, 3_000, seed=11)


@pytest.fixture(scope="module")
def city_result(city) -> tuple[ReconcileInputs, Reconciliation]:
    inputs = ReconcileInputs(PERIOD, city["dukcapil"], city["dtsen"], city["bpjstk"],
                             previous_terminated_kpjs=frozenset(city["bpjstk"]["KPJ"].iloc[::97]))  # fmt: skip
    return inputs, reconcile(inputs, RuleParameters(quota=4_000))


def test_city_reaches_every_decision_and_keeps_the_invariants(city_result):
    inputs, rec = city_result
    assert set(rec.entries["decision"]) == {"KEEP", "REVERIFY", "TERMINATE", "ENROLL", "WAITLIST"}
    check_scope(inputs, rec)
    check_severity(rec)
    check_quota(inputs, rec)
    seen = {r for text in rec.entries["reasons"] if text for r in text.split(";")}
    assert {"DECEASED", "JKM_CLAIM_ALERT", "MOVED_OUT", "AGE_ABOVE_LIMIT", "DUPLICATE_ENROLLMENT",
            "TERMINATION_PENDING", "NIK_NOT_FOUND", "NIK_PROBABLE_TYPO", "IDENTITY_MISMATCH",
            "NOT_IN_DTSEN", "DESIL_ABOVE_LIMIT", "FORMAL_OCCUPATION", "DOUBLE_FUNDED",
            "REPORTED_DECEASED"} <= seen  # fmt: skip
    assert (
        rec.reason_counts["NIK_PROBABLE_TYPO"]
        == (rec.entries["match_method"] == "NIK_PROBABLE_TYPO").sum()
    )


def test_result_shape(city_result):
    _, rec = city_result
    assert isinstance(rec.quota, QuotaSummary)
    assert rec.period == PERIOD and rec.rules_version == RuleParameters(quota=4_000).rules_version
    assert list(rec.entries.columns) == list(ENTRY_COLUMNS)
    assert {c: str(t) for c, t in rec.entries.dtypes.items()} == ENTRY_DTYPES
    assert list(rec.counts) == ["KEEP", "REVERIFY", "TERMINATE", "ENROLL", "WAITLIST"]
    assert rec.entries.index.equals(pd.RangeIndex(len(rec.entries)))
    participants = rec.entries[rec.entries["kpj"].notna()]
    assert participants["kpj"].is_monotonic_increasing  # participants first, by KPJ
    assert rec.entries["kpj"].notna().iloc[: len(participants)].all()
    assert (rec.entries["evidence"].str.len() > 0).all()
    matched = rec.entries["match_method"].isin(["NIK_EXACT", "NIK_CORRECTED"])
    assert rec.entries.loc[matched, "kode_kelurahan"].str.startswith("32.").all()
    assert (rec.entries["kode_kecamatan"].dropna().str.len() == 8).all()


def test_inputs_are_not_modified(city):
    before = {k: v.copy() for k, v in city.items()}
    reconcile(
        ReconcileInputs(PERIOD, city["dukcapil"], city["dtsen"], city["bpjstk"]), RuleParameters()
    )
    for name, frame in city.items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_nobody_in_scope():
    src = sources([person(NIK, kpj=None, dts={"DESIL": 9})])
    rec = reconcile(
        ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"]), RuleParameters()
    )
    assert rec.entries.empty and list(rec.entries.columns) == list(ENTRY_COLUMNS)
    assert rec.counts == dict.fromkeys(["KEEP", "REVERIFY", "TERMINATE", "ENROLL", "WAITLIST"], 0)
    assert rec.quota.monthly_cost_idr == 0 and rec.quota.free_places == 51_666


# -- input errors: plain ValueError, no personal data ---------------------------------------
def test_bad_period():
    src = sources([person(NIK)])
    with pytest.raises(ValueError, match="YYYY-MM"):
        reconcile(
            ReconcileInputs("2026-13", src["dukcapil"], src["dtsen"], src["bpjstk"]),
            RuleParameters(),
        )


def test_missing_column_is_named():
    src = sources([person(NIK)])
    with pytest.raises(ValueError, match="dtsen frame lacks columns: DESIL"):
        reconcile(ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"].drop(columns="DESIL"),
                                  src["bpjstk"]), RuleParameters())  # fmt: skip


def test_duplicate_nik_in_dukcapil_is_refused_without_showing_it():
    src = sources([person(NIK), person(NIK, kpj=None)])
    with pytest.raises(ValueError, match="dukcapil: 1 NIKs occur more than once") as err:
        reconcile(ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"].head(1), src["bpjstk"]),
                  RuleParameters())  # fmt: skip
    assert NIK not in str(err.value)


def test_duplicate_kpj_is_refused():
    src = sources([person(NIK)], extra_bpjs=[{"NIK": "3275014101840002", "KPJ": "10000000001"}])
    with pytest.raises(ValueError, match="KPJs of current participants"):
        reconcile(
            ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"]), RuleParameters()
        )


def test_codes_are_compared_case_insensitively_and_stripped():
    src = sources(
        [person(NIK, bpjs={"SUMBER_IURAN": " apbd_kota", "STATUS_KEPESERTAAN": "aktif "})]
    )
    rec = reconcile(
        ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"]), RuleParameters()
    )
    assert rec.entries["decision"].tolist() == ["KEEP"]


# -- the rule modules stay pure ----------------------------------------------------------------
RULE_MODULES = ["names", "matching", "eligibility", "decisions", "quota", "explain", "reconcile"]
DOMAIN = Path(__file__).resolve().parents[3] / "domain"


@pytest.mark.parametrize("module", RULE_MODULES)
def test_rule_module_is_pure(module):
    tree = ast.parse((DOMAIN / f"{module}.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        assert not isinstance(node, ast.Assert), f"{module}.py uses assert for a run-time check"
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"}:
            pytest.fail(f"{module}.py reads the environment")
    assert not imported & {"prefect", "paramiko", "sqlalchemy", "sigap", "os"}
