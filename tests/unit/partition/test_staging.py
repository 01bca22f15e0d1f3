"""Parts staged as Parquet (``tasks.partitioned.stage_part`` / ``load_part``) read back to
parts that give the same partial results: what a Dask worker reads from shared storage."""

from __future__ import annotations

import pandas as pd

from domain.changes import detect_changes
from domain.codes import Source
from domain.partition import (
    detect_changes_partition,
    merge,
    merge_changes,
    reconcile_partition,
    split,
    split_changes,
)
from domain.reconcile import ReconcileInputs, reconcile
from domain.rules import RuleParameters
from tasks.partitioned import StagedPart, load_part, stage_part
from tests.unit.domain.frames import PERIOD, synthetic_city
from tests.unit.partition.cases import assert_identical, cross_partition_population


def _merged(parts, params):
    return merge([reconcile_partition(p, params) for p in parts], params, PERIOD)


def test_reconcile_parts_round_trip(tmp_path):
    inputs, params = cross_partition_population(k=4)
    staged = [stage_part(p, tmp_path / f"part-{p.index}") for p in split(inputs, 3, params)]
    assert all(isinstance(s, StagedPart) and s.kind == "reconcile" for s in staged)
    parts = [load_part(s) for s in staged]
    assert sum(len(p.verified) for p in parts) > 0  # outcomes travel too
    assert sum(len(p.previous_terminated_kpjs) for p in parts) > 0
    assert_identical(reconcile(inputs, params), _merged(parts, params))


def test_reconcile_parts_without_outcomes_round_trip(tmp_path):
    src = synthetic_city(3_000, 300, seed=2)
    inputs = ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"])
    params = RuleParameters(quota=400)
    parts = [load_part(stage_part(p, tmp_path / str(p.index))) for p in split(inputs, 2, params)]
    assert all(p.verified is None for p in parts)
    assert_identical(reconcile(inputs, params), _merged(parts, params))


def test_changes_parts_round_trip(tmp_path):
    before = synthetic_city(3_000, 300, seed=4)
    after = synthetic_city(3_000, 300, seed=5)
    baseline = {Source.DUKCAPIL: before["dukcapil"]}  # no DTSEN baseline: stays missing
    current = {Source.DUKCAPIL: after["dukcapil"], Source.DTSEN: after["dtsen"]}
    scope = pd.concat([before["bpjstk"]["NIK"], pd.Series(["", None], dtype="str")])
    params = RuleParameters()
    parts = [
        load_part(stage_part(p, tmp_path / str(p.index)))
        for p in split_changes(baseline, current, scope, 3)
    ]
    assert all(set(p.baseline) == {Source.DUKCAPIL} for p in parts)
    expected = detect_changes(baseline, current, scope, params)
    assert len(expected) > 0
    got = merge_changes([detect_changes_partition(p, params) for p in parts])
    pd.testing.assert_frame_equal(expected, got, check_exact=True)


def test_staged_parts_are_private_whatever_the_umask(tmp_path):
    """The parts are people's rows: 0640 files in 0750 folders (issue 15, point 6), the
    staging folder and the run's folder too when the first part creates them."""
    from tests.private_modes import umask, wrong_modes

    inputs, params = cross_partition_population(k=4)
    staging = tmp_path / "staging"
    with umask(0o022):
        for p in split(inputs, 2, params):
            stage_part(p, staging / "reconcile-run" / f"part-{p.index}")
    assert len(list(staging.rglob("*.parquet"))) > 2
    assert wrong_modes(staging) == []
