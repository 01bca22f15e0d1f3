"""``split`` -> ``reconcile_partition`` -> ``merge`` is identical to ``reconcile``: on a
synthetic city, on a population planted with every rule that crosses partitions, on
generated populations for random partition counts (hypothesis), after a pickle round trip
(what Dask does to parts and partial results), and with the same errors."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.identity import nik_keys
from domain.partition import (
    merge,
    partition_of,
    reconcile_partition,
    reconcile_partitioned,
    split,
)
from domain.reconcile import ReconcileInputs, reconcile
from domain.rules import RuleParameters
from tests.unit.domain.frames import PERIOD, bpjstk, dtsen, dukcapil, synthetic_city
from tests.unit.domain.test_reconcile_properties import populations
from tests.unit.partition.cases import assert_identical, cross_partition_population, crossing

COUNTS = (1, 2, 3, 7)


@pytest.fixture(scope="module")
def city():
    src = synthetic_city(30_000, 3_000, seed=11)
    inputs = ReconcileInputs(
        PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"],
        previous_terminated_kpjs=frozenset(src["bpjstk"]["KPJ"].iloc[::97]),
    )  # fmt: skip
    params = RuleParameters(quota=4_000)
    return inputs, params, reconcile(inputs, params)


@pytest.fixture(scope="module")
def planted():
    inputs, params = cross_partition_population()
    return inputs, params, reconcile(inputs, params)


@pytest.mark.parametrize("n", COUNTS)
def test_synthetic_city_is_identical(city, n):
    inputs, params, expected = city
    assert (
        expected.counts["ENROLL"] and expected.counts["WAITLIST"] and expected.counts["TERMINATE"]
    )
    assert_identical(expected, reconcile_partitioned(inputs, params, n))


def test_planted_population_covers_every_crossing_rule(planted):
    """The planted population really has what the identity test below is about."""
    _, _, rec = planted
    e = rec.entries
    reasons = {r for text in e["reasons"] if text for r in text.split(";")}
    assert {"NIK_PROBABLE_TYPO", "NIK_NOT_FOUND", "DUPLICATE_ENROLLMENT", "DOUBLE_FUNDED",
            "NIK_CORRECTED", "VERIFIED_ELIGIBLE", "VERIFIED_INELIGIBLE", "TERMINATION_PENDING",
            "JKM_CLAIM_ALERT", "MOVED_OUT"} <= reasons  # fmt: skip
    assert rec.counts["ENROLL"] > 0 and rec.counts["WAITLIST"] > 0
    ambiguous = e["evidence"].str.contains("2 Dukcapil records fit the typo rule", regex=False)
    assert ambiguous.sum() == 12
    # suggested and corrected records are linked, never enrolled a second time
    linked = set(e["suggested_nik"].dropna()) | set(
        e.loc[e["match_method"] == "NIK_CORRECTED", "nik"]
    )
    assert linked and not linked & set(e.loc[e["kpj"].isna(), "nik"])


@pytest.mark.parametrize("n", [2, 3, 7])
def test_planted_rules_do_cross_partitions(planted, n):
    """For each count, typos, corrections and their original NIKs land in other partitions
    than the record they concern (else the identity below would prove little)."""
    inputs, _, rec = planted
    e = rec.entries
    typo = e[e["match_method"] == "NIK_PROBABLE_TYPO"]
    assert crossing(typo["nik"], typo["suggested_nik"], n) > 0
    v = inputs.verified.dropna(subset=["nik", "nik_baru"])
    assert crossing(v["nik"], v["nik_baru"], n) > 0


@pytest.mark.parametrize("n", COUNTS)
def test_planted_population_is_identical(planted, n):
    inputs, params, expected = planted
    assert_identical(expected, reconcile_partitioned(inputs, params, n))


def test_many_more_partitions_than_people():
    """Mostly empty partitions change nothing (their empty frames must not alter dtypes)."""
    inputs, params = cross_partition_population(k=1)
    expected = reconcile(inputs, params)
    parts = split(inputs, 40, params)
    assert sum(1 for p in parts if len(p.bpjstk) == 0 and p.local_rows == 0) > 10
    assert_identical(expected, reconcile_partitioned(inputs, params, 40))


def test_no_participants_and_no_candidates():
    inputs = ReconcileInputs(
        PERIOD,
        dukcapil(
            [{"NIK": "3275014101840001", "STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-01-01"}]
        ),
        dtsen([{"NIK": "3275014101840001"}]),
        bpjstk([{"SUMBER_IURAN": "MANDIRI"}]),
    )
    params = RuleParameters()
    expected = reconcile(inputs, params)
    assert len(expected.entries) == 0
    for n in COUNTS:
        assert_identical(expected, reconcile_partitioned(inputs, params, n))


def test_row_order_of_the_inputs_does_not_matter(planted):
    inputs, params, expected = planted
    shuffled = ReconcileInputs(
        inputs.period,
        inputs.dukcapil.sample(frac=1.0, random_state=1).reset_index(drop=True),
        inputs.dtsen.sample(frac=1.0, random_state=2).reset_index(drop=True),
        inputs.bpjstk.sample(frac=1.0, random_state=3).reset_index(drop=True),
        inputs.previous_terminated_kpjs,
        inputs.verified.sample(frac=1.0, random_state=4).reset_index(drop=True),
    )
    assert_identical(expected, reconcile_partitioned(shuffled, params, 3))


def test_parts_and_partials_survive_pickling(planted):
    """What Dask does: parts go to workers, partial results come back, as pickles."""
    inputs, params, expected = planted
    parts = [pickle.loads(pickle.dumps(p, protocol=5)) for p in split(inputs, 3, params)]
    partials = [pickle.loads(pickle.dumps(reconcile_partition(p, params))) for p in parts]
    assert_identical(expected, merge(partials[::-1], params, PERIOD))  # any arrival order


def test_each_part_holds_only_its_own_people(planted):
    inputs, params, _ = planted
    n = 3
    parts = split(inputs, n, params)
    assert [p.index for p in parts] == list(range(n))
    assert sum(p.local_rows for p in parts) == len(inputs.dukcapil)
    assert sum(len(p.dtsen) for p in parts) == len(inputs.dtsen)
    foreign = 0
    for p in parts:
        local = p.dukcapil.iloc[: p.local_rows]
        assert (partition_of(local["NIK"], n) == p.index).all()
        assert (partition_of(p.dtsen["NIK"], n) == p.index).all()
        guests = p.dukcapil.iloc[p.local_rows :]
        assert (partition_of(guests["NIK"], n) != p.index).all()
        foreign += len(guests)
        # covered keys are this partition's, and every active BPJS NIK is covered somewhere
        assert (partition_of(pd.Series(p.covered_keys.astype(str)), n) == p.index).all()
    assert 0 < foreign <= 12 * 3  # only records that fit the typo rule of a participant elsewhere
    active = inputs.bpjstk.loc[inputs.bpjstk["STATUS_KEPESERTAAN"] == "AKTIF", "NIK"]
    keys = nik_keys(active.dropna().str.strip())
    assert set(keys[keys >= 0]) <= set(np.concatenate([p.covered_keys for p in parts]))


# -- errors are reconcile's ------------------------------------------------------------------
def _errors(inputs: ReconcileInputs, params: RuleParameters) -> tuple[str, str]:
    with pytest.raises(ValueError) as single:
        reconcile(inputs, params)
    with pytest.raises(ValueError) as parted:
        reconcile_partitioned(inputs, params, 3)
    return str(single.value), str(parted.value)


def test_same_errors_as_reconcile(planted):
    inputs, params, _ = planted
    base = {
        "period": inputs.period,
        "dukcapil": inputs.dukcapil,
        "dtsen": inputs.dtsen,
        "bpjstk": inputs.bpjstk,
    }
    bad = [
        {**base, "period": "2026-13"},
        {**base, "dukcapil": inputs.dukcapil.drop(columns="TGL_LHR")},
        {**base, "bpjstk": pd.concat([inputs.bpjstk, inputs.bpjstk.head(1)], ignore_index=True)},
        {**base, "dtsen": inputs.dtsen.assign(NIK=inputs.dtsen["NIK"].str[:15])},
    ]
    for fields in bad:
        single, parted = _errors(ReconcileInputs(**fields), params)
        assert single == parted


def test_duplicate_dukcapil_nik_is_refused():
    inputs = ReconcileInputs(
        PERIOD,
        dukcapil([{"NIK": "3275014101840001"}, {"NIK": "3275014101840001"}]),
        dtsen([{"NIK": "3275014101840001"}]),
        bpjstk([{}]),
    )
    single, parted = _errors(inputs, RuleParameters())
    assert single == parted and "occur more than once" in parted


def test_merge_needs_every_partition_once(planted):
    inputs, params, _ = planted
    partials = [reconcile_partition(p, params) for p in split(inputs, 3, params)]
    for broken in (partials[:2], partials + partials[:1], []):
        with pytest.raises(ValueError, match="partition"):
            merge(broken, params, PERIOD)
    with pytest.raises(ValueError, match="2026-09"):
        merge(partials, params, "2026-09")


@pytest.mark.parametrize("n", [0, -1, 1.5, True, "2"])
def test_partition_count_must_be_a_positive_integer(planted, n):
    inputs, params, _ = planted
    with pytest.raises(ValueError, match="positive integer"):
        split(inputs, n, params)


# -- properties --------------------------------------------------------------------------------
SETTINGS = settings(
    deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@settings(SETTINGS, max_examples=25)
@given(populations(), st.integers(1, 6))
def test_identical_for_any_partition_count(case, n):
    """The domain's generated populations (typos, corrections, duplicates, other payers,
    verdicts, quota and budget variations) for random partition counts."""
    inputs, params = case
    assert_identical(reconcile(inputs, params), reconcile_partitioned(inputs, params, n))


@st.composite
def typo_crowds(draw):
    """Participants among look-alikes: several records one or two digit edits from a
    typed NIK, born the same day, with near-identical names, spread over partitions."""
    base = "3275014101840"
    serials = draw(st.lists(st.integers(100, 999), min_size=2, max_size=12, unique=True))
    names = ["SITI AMINAH", "SITI AMINA", "Hj. Siti Aminah", "SITI HAYATI"]
    duk_rows = [
        {"NIK": f"{base}{s:03d}", "NAMA_LGKP": draw(st.sampled_from(names)),
         "TGL_LHR": draw(st.sampled_from(["1984-01-01", "1984-01-02"]))}
        for s in serials
    ]  # fmt: skip
    dts_rows = [{"NIK": r["NIK"], "DESIL": draw(st.integers(1, 6))} for r in duk_rows]
    bp_rows = []
    for i in range(draw(st.integers(1, 8))):
        target = draw(st.sampled_from(serials))
        typed = draw(st.sampled_from([target, target + 1, target + 10, target + 11, 999 - target]))
        bp_rows.append(
            {"KPJ": f"2{i:010d}", "NIK": f"{base}{typed % 1000:03d}",
             "NAMA": draw(st.sampled_from(names)), "TGL_LAHIR": "1984-01-01"}
        )  # fmt: skip
    inputs = ReconcileInputs(PERIOD, dukcapil(duk_rows), dtsen(dts_rows), bpjstk(bp_rows))
    return inputs, RuleParameters(quota=draw(st.integers(0, 12)))


@settings(SETTINGS, max_examples=20)
@given(typo_crowds(), st.integers(1, 6))
def test_typo_counts_are_global(case, n):
    """Typo candidates ("exactly one") are counted over all partitions, not within one."""
    inputs, params = case
    assert_identical(reconcile(inputs, params), reconcile_partitioned(inputs, params, n))
