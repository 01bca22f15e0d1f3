"""The partitioned reconciliation and change detection as a Prefect flow on a real Dask
``LocalCluster`` (two worker *processes*: parts and partial results really travel as
pickles, or as Parquet staged in ``tmp_path``), on a generated sample of 5,000 residents:
the output is identical to the single-process ``reconcile`` and ``detect_changes``, and
every partition was its own mapped task run in the Prefect API."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from prefect import flow

from domain.changes import detect_changes
from domain.codes import Source
from domain.reconcile import ReconcileInputs, reconcile
from domain.rules import RuleParameters
from devkit.scale import load_typed_frames
from tasks.partitioned import detect_changes_on_partitions, reconcile_on_partitions

pytestmark = [pytest.mark.prefect, pytest.mark.timeout(300)]

PERIODS = ["2026-09", "2026-10"]
PARTITIONS = 5
PARAMS = RuleParameters(quota=700)  # about half the eligible residents wait


def _read(folder: str) -> dict[Source, pd.DataFrame]:
    return {s: pd.read_parquet(Path(folder) / f"{s}.parquet") for s in Source}


def _outcomes(bpjstk: pd.DataFrame) -> pd.DataFrame:
    """Re-verification outcomes for a few city-paid KPJs: a verdict each way and a
    correction of one participant's NIK to another participant's (a duplicate by
    correction, across partitions)."""
    city = bpjstk[bpjstk["SUMBER_IURAN"] == "APBD_KOTA"].sort_values("KPJ")
    kpj, nik = city["KPJ"].tolist(), city["NIK"].tolist()
    return pd.DataFrame(
        {
            "kpj": [kpj[0], kpj[1], kpj[2]],
            "nik": [nik[0], nik[1], nik[2]],
            "hasil": ["LAYAK", "TIDAK_LAYAK", "NIK_DIKOREKSI"],
            "nik_baru": [None, None, nik[3]],
            "triggers": ["DESIL_ABOVE_LIMIT;NOT_IN_DTSEN", "", ""],
        }
    )


@flow(name="dask-partitioned-test", validate_parameters=False)
def partitioned_run(typed: str, baseline: str, period: str, partitions: int, staging: str):
    """Load the typed frames inside the flow (frames are no flow parameters) and run the
    partitioned reconciliation (parts in memory, then staged as Parquet) and change
    detection (staged)."""
    frames, before = _read(typed), _read(baseline)
    terminated = frozenset(frames[Source.BPJSTK]["KPJ"].iloc[::40])
    outcomes = _outcomes(frames[Source.BPJSTK])
    in_memory = reconcile_on_partitions(period, frames, PARAMS, terminated, outcomes, partitions)
    staged = reconcile_on_partitions(
        period, frames, PARAMS, terminated, outcomes, partitions, staging_dir=Path(staging)
    )
    changes = detect_changes_on_partitions(
        period, before, frames, staged.entries, PARAMS, partitions, staging_dir=Path(staging)
    )
    return in_memory, staged, changes


@pytest.fixture(scope="module")
def typed(tmp_path_factory):
    from devkit.sample import generate

    root = tmp_path_factory.mktemp("dask-sample")
    manifest = generate(root / "sample", residents=5_000, periods=PERIODS, seed=7)
    folders = {}
    for period in PERIODS:
        folders[period] = root / f"typed-{period}"
        load_typed_frames(manifest, period, folders[period], echo=lambda _: None)
    return folders


def test_flow_on_a_two_worker_local_cluster_is_identical(prefect_harness, typed, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect_dask import DaskTaskRunner

    before, current = (str(typed[p]) for p in PERIODS)
    runner = DaskTaskRunner(
        cluster_kwargs={
            "n_workers": 2,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )
    staging = tmp_path / "staging"
    state = partitioned_run.with_options(task_runner=runner)(
        current, before, PERIODS[1], PARTITIONS, str(staging), return_state=True
    )
    assert state.is_completed(), state.message
    in_memory, staged, changes = state.result()
    assert list(staging.iterdir()) == []  # the staged parts are removed after use

    # the single-process reference
    frames, base = _read(current), _read(before)
    expected = reconcile(
        ReconcileInputs(
            PERIODS[1], frames[Source.DUKCAPIL], frames[Source.DTSEN], frames[Source.BPJSTK],
            previous_terminated_kpjs=frozenset(frames[Source.BPJSTK]["KPJ"].iloc[::40]),
            verified=_outcomes(frames[Source.BPJSTK]),
        ),
        PARAMS,
    )  # fmt: skip
    for result in (in_memory, staged):
        pd.testing.assert_frame_equal(expected.entries, result.entries, check_exact=True)
        assert (result.quota, result.counts, result.reason_counts) == (
            expected.quota, expected.counts, expected.reason_counts,
        )  # fmt: skip
    assert {"ENROLL", "WAITLIST", "REVERIFY", "TERMINATE", "KEEP"} == {
        d for d, n in expected.counts.items() if n
    }
    assert expected.reason_counts["NIK_CORRECTED"] == 1
    assert expected.reason_counts["NIK_PROBABLE_TYPO"] > 0

    expected_changes = detect_changes(
        {s: base[s] for s in (Source.DUKCAPIL, Source.DTSEN)},
        {s: frames[s] for s in (Source.DUKCAPIL, Source.DTSEN)},
        expected.entries["nik"].dropna(),
        PARAMS,
    )
    assert len(expected_changes) > 0
    pd.testing.assert_frame_equal(expected_changes, changes, check_exact=True)

    # each partition was a mapped task run of its own, all completed
    flow_run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    names: dict[str, list[str]] = {}
    for r in runs:
        names.setdefault(r.name, []).append(r.state.type.value)
    expected_names = (
        {f"reconcile-{PERIODS[1]}-part-{i}" for i in range(PARTITIONS)}
        | {f"changes-{PERIODS[1]}-part-{i}" for i in range(PARTITIONS)}
        | {f"split-{PERIODS[1]}-x{PARTITIONS}", f"merge-{PERIODS[1]}"}
    )
    assert expected_names <= set(names)
    assert all(set(names[n]) == {"COMPLETED"} for n in expected_names)
    assert len(names[f"reconcile-{PERIODS[1]}-part-0"]) == 2  # in memory, then staged
