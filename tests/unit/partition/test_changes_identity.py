"""Change detection split by NIK (``split_changes`` -> ``detect_changes_partition`` ->
``merge_changes``) is identical to ``domain.changes.detect_changes``."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.changes import detect_changes
from domain.codes import Source
from domain.partition import (
    detect_changes_partition,
    detect_changes_partitioned,
    merge_changes,
    partition_of,
    split_changes,
)
from domain.rules import RuleParameters
from tests.unit.domain.frames import synthetic_city

PARAMS = RuleParameters()


def _next_period(city: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
    """The same city a month later: every change type planted on random people, some
    records gone, some new ones (including a new record that appears as MATI)."""
    rng = np.random.default_rng(seed)
    duk = city["dukcapil"].copy()
    dts = city["dtsen"].copy()
    n = len(duk)

    def some(share: float) -> np.ndarray:
        return rng.random(n) < share

    died = some(0.01) & (duk["STATUS_DASAR"] == "HIDUP").to_numpy()
    duk.loc[died, "STATUS_DASAR"] = "MATI"
    duk.loc[died, "TGL_PERISTIWA"] = pd.Timestamp("2026-10-20")
    moved = some(0.01) & (duk["STATUS_DASAR"] == "HIDUP").to_numpy()
    duk.loc[moved, "STATUS_DASAR"] = "PINDAH"
    duk.loc[some(0.01), "NO_KAB"] = np.int16(16)
    duk.loc[some(0.02), "NO_KEL"] = np.int16(1009)
    kk = some(0.01)
    duk.loc[kk, "NO_KK"] = duk.loc[kk, "NO_KK"].str[:-1] + "9"
    renamed = some(0.01)
    duk.loc[renamed, "NAMA_LGKP"] = duk.loc[renamed, "NAMA_LGKP"] + " PUTRI"
    padded = some(0.01)  # case and padding: not a change
    duk.loc[padded, "NAMA_LGKP"] = "  " + duk.loc[padded, "NAMA_LGKP"].str.lower()
    born = some(0.005)
    duk.loc[born, "TGL_LHR"] = duk.loc[born, "TGL_LHR"] + pd.Timedelta(days=1)
    job = some(0.02)
    duk.loc[job, "JENIS_PKRJN"] = np.int16(2)
    gone = some(0.01)
    # the contract: a MATI/PINDAH person appears once more, then leaves the extract
    gone_before = city["dukcapil"]["STATUS_DASAR"].isin(["MATI", "PINDAH"]).to_numpy()
    duk = duk[~gone & ~gone_before]
    newcomer = city["dukcapil"].iloc[:40].copy()
    newcomer["NIK"] = newcomer["NIK"].str[:12] + "9" + newcomer["NIK"].str[13:]
    newcomer = newcomer[~newcomer["NIK"].isin(city["dukcapil"]["NIK"])]
    newcomer.loc[newcomer.index[:10], "STATUS_DASAR"] = "MATI"
    newcomer.loc[newcomer.index[10:20], "STATUS_DASAR"] = "PINDAH"
    duk = pd.concat([duk, newcomer], ignore_index=True)

    m = len(dts)
    desil = rng.random(m) < 0.05
    dts.loc[desil, "DESIL"] = ((dts.loc[desil, "DESIL"].astype(int) + 2) % 10 + 1).astype("int8")
    dts = dts[rng.random(m) >= 0.01].reset_index(drop=True)
    return {"dukcapil": duk.reset_index(drop=True), "dtsen": dts}


@pytest.fixture(scope="module")
def periods():
    before = synthetic_city(20_000, 2_000, seed=5)
    after = _next_period(before, seed=6)
    baseline = {Source.DUKCAPIL: before["dukcapil"], Source.DTSEN: before["dtsen"]}
    current = {Source.DUKCAPIL: after["dukcapil"], Source.DTSEN: after["dtsen"]}
    # in scope: participants (some NIKs malformed or unknown), a share of everyone, nulls
    scope = pd.concat(
        [
            before["bpjstk"]["NIK"],
            before["dukcapil"]["NIK"].iloc[::3],
            after["dukcapil"]["NIK"].iloc[-40:],
            pd.Series(["", None, "3275O14101840001", " 3275014101840001"], dtype="str"),
        ],
        ignore_index=True,
    )
    expected = detect_changes(baseline, current, scope, PARAMS)
    return baseline, current, scope, expected


def test_the_fixture_has_every_change_type(periods):
    *_, expected = periods
    assert set(expected["change_type"]) == {
        "DIED", "MOVED_OUT", "MOVED_WITHIN_CITY", "KK_CHANGED", "NAME_CHANGED",
        "BIRTH_DATE_CHANGED", "OCCUPATION_CHANGED", "DESIL_CHANGED", "DISAPPEARED",
    }  # fmt: skip
    assert set(expected["source"]) == {"dukcapil", "dtsen"}
    assert (
        expected["triggers_reverification"].any() and not expected["triggers_reverification"].all()
    )


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_identical_to_detect_changes(periods, n):
    baseline, current, scope, expected = periods
    got = detect_changes_partitioned(baseline, current, scope, PARAMS, n)
    pd.testing.assert_frame_equal(expected, got, check_exact=True)


def test_each_part_holds_only_its_own_niks(periods):
    baseline, current, scope, _ = periods
    n = 3
    parts = split_changes(baseline, current, scope, n)
    for side, given_frames in (("baseline", baseline), ("current", current)):
        for source in (Source.DUKCAPIL, Source.DTSEN):
            frames = [getattr(p, side)[source] for p in parts]
            assert sum(len(f) for f in frames) == len(given_frames[source])
            for p, f in zip(parts, frames):
                assert (partition_of(f["NIK"], n) == p.index).all()
    assert sum(len(p.scope_niks) for p in parts) == len(scope)


def test_missing_sources_and_empty_scope(periods):
    baseline, current, scope, _ = periods
    cases = [
        ({}, current, scope),  # the first period: no baseline
        ({Source.DUKCAPIL: baseline[Source.DUKCAPIL]}, current, scope),  # no DTSEN baseline
        (baseline, current, pd.Series([], dtype="str")),
        (baseline, current, pd.Series(["3275999999999999"], dtype="str")),
    ]
    for before, after, niks in cases:
        expected = detect_changes(before, after, niks, PARAMS)
        for n in (1, 3):
            got = detect_changes_partitioned(before, after, niks, PARAMS, n)
            pd.testing.assert_frame_equal(expected, got, check_exact=True)


def test_merge_in_any_order_and_errors(periods):
    baseline, current, scope, expected = periods
    parts = split_changes(baseline, current, scope, 4)
    got = merge_changes([detect_changes_partition(p, PARAMS) for p in parts][::-1])
    pd.testing.assert_frame_equal(expected, got, check_exact=True)
    with pytest.raises(ValueError, match="lacks column"):
        split_changes({Source.DUKCAPIL: baseline[Source.DUKCAPIL].drop(columns="NO_KK")},
                      current, scope, 2)  # fmt: skip
    duplicated = pd.concat([current[Source.DTSEN], current[Source.DTSEN].head(1)])
    with pytest.raises(ValueError, match="duplicate NIKs"):
        detect_changes_partitioned(
            baseline, {**current, Source.DTSEN: duplicated}, scope, PARAMS, 3
        )


@functools.cache
def _small_periods(seed: int) -> tuple[dict, dict]:
    before = synthetic_city(2_000, 200, seed=seed)
    after = _next_period(before, seed=seed + 1)
    return (
        {Source.DUKCAPIL: before["dukcapil"], Source.DTSEN: before["dtsen"]},
        {Source.DUKCAPIL: after["dukcapil"], Source.DTSEN: after["dtsen"]},
    )


@settings(deadline=None, derandomize=True, database=None, max_examples=10,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(st.integers(1, 16), st.sampled_from([1, 2, 3]), st.integers(0, 2**16))
def test_identical_for_any_partition_count_and_scope(n, seed, scope_seed):
    baseline, current = _small_periods(seed)
    scope = baseline[Source.DUKCAPIL]["NIK"].sample(frac=0.5, random_state=scope_seed)
    expected = detect_changes(baseline, current, scope, PARAMS)
    got = detect_changes_partitioned(baseline, current, scope, PARAMS, n)
    pd.testing.assert_frame_equal(expected, got, check_exact=True)
