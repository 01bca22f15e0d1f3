"""The monthly flow with ``scale.partitions > 1`` on Dask (``settings.scale``, chosen at run
time) publishes exactly what it publishes in one process.

Two consecutive periods of a generated sample (2,000 residents, local delivery folders)
are published into two SQLite registries: once with the default settings, once on 3
partitions on an existing two-worker ``LocalCluster`` (``scale.dask_address``; the second
period's parts staged as Parquet). Every column of the releases, entries, change records
and re-verification cases must be identical.

The partitioned runs use the flow as a deployment loads it, from its file
(``flows/monthly.py:monthly_reconciliation``, a module named ``monthly``), on workers
started before that file was loaded: like the workers of another machine, they can import
the installed package but no module named after the file.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pandas as pd
import pytest
from prefect import flow, task
from sqlalchemy import create_engine, text

from core.settings import (
    RuleSettings,
    ScaleSettings,
    Settings,
    SourcesSettings,
    ValidationSettings,
    to_toml,
)

pytestmark = [pytest.mark.prefect, pytest.mark.timeout(300)]

ROOT = Path(__file__).parents[3]
PERIODS = ["2026-09", "2026-10"]
PARTITIONS = 3

#: columns that legitimately differ between two registries (wall-clock times, run ids)
_RUN_COLUMNS = ["published_at", "flow_run_id", "opened_at", "resolved_at"]
_TABLES = {
    "registry_release": "release_id",
    "registry_entry": "release_id, entry_no",
    "population_change": "release_id, rowid",
    "reverification_case": "case_id",
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from devkit.sample import generate

    return generate(
        tmp_path_factory.mktemp("monthly-dask-sample"), residents=2_000, periods=PERIODS, seed=11
    )


def _config(path: Path, tmp: Path, registry: str, sample, **scale) -> str:
    """A settings file for one registry (its own SQLite file and outbox). The working folder
    is shared: the second registry's runs reuse the first's validation (cached on the
    files' digests) and read the accepted rows back from its baselines."""
    from devkit.demo import demo_quota

    settings = Settings(
        data_dir=tmp / "data",
        outbox_dir=tmp / f"outbox-{registry}",
        database={"url": f"sqlite:///{tmp / f'{registry}.sqlite'}"},
        sources=SourcesSettings(kind="local", local_root=Path(sample.sftp_root)),
        rules=RuleSettings(quota=demo_quota(sample, PERIODS[0])),
        validation=ValidationSettings(data_docs=False),
        scale=ScaleSettings(**scale),
    )
    path.write_text(to_toml(settings, include_secrets=True))  # the URL holds no secret
    return str(path)


def _tables(database: Path) -> dict[str, pd.DataFrame]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            return {
                table: pd.read_sql(text(f"SELECT * FROM {table} ORDER BY {order}"), conn).drop(
                    columns=_RUN_COLUMNS, errors="ignore"
                )
                for table, order in _TABLES.items()
            }
    finally:
        engine.dispose()


def _task_runs(flow_run_id) -> dict[str, set[str]]:
    """Task run name -> the states of the runs of that name, for one flow run."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    names: dict[str, set[str]] = {}
    for r in runs:
        names.setdefault(r.name, set()).add(r.state.type.value)
    return names


def _partition_runs(period: str, *, changes: bool) -> set[str]:
    """The mapped task runs of a period's partitions (no changes without a baseline)."""
    kinds = ("reconcile", "changes") if changes else ("reconcile",)
    return {f"{kind}-{period}-part-{i}" for kind in kinds for i in range(PARTITIONS)}


def _local_cluster(workers: int):
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.WARNING,
    )


def test_monthly_flow_on_dask_partitions_publishes_what_one_process_publishes(
    prefect_harness, sample, tmp_path, monkeypatch
):
    from prefect.flows import load_flow_from_entrypoint

    from flows.monthly import monthly_reconciliation

    single = _config(tmp_path / "single.toml", tmp_path, "single", sample)
    for period in PERIODS:
        summary = monthly_reconciliation(period=period, config=single)
        assert summary.status == "PUBLISHED", summary.headline()

    staging = tmp_path / "staging"
    with _local_cluster(2) as cluster:
        address = cluster.scheduler_address
        configs = [  # the first period's parts in memory, the second's staged as Parquet
            _config(tmp_path / "in-memory.toml", tmp_path, "partitioned", sample,
                    partitions=PARTITIONS, dask_address=address),
            _config(tmp_path / "staged.toml", tmp_path, "partitioned", sample,
                    partitions=PARTITIONS, dask_address=address, staging_dir=staging),
        ]  # fmt: skip
        monkeypatch.setattr(sys, "path", list(sys.path))  # the loader adds flows/ to it
        deployed = load_flow_from_entrypoint(
            f"{ROOT / 'flows' / 'monthly.py'}:monthly_reconciliation"
        )
        states = [
            deployed(period=period, config=config, return_state=True)
            for period, config in zip(PERIODS, configs)
        ]
        ran_on_workers = set(cluster.scheduler.task_prefixes)
    for period, state in zip(PERIODS, states):
        assert state.is_completed(), state.message
        assert state.result().status == "PUBLISHED"
        runs = _task_runs(state.state_details.flow_run_id)
        expected_runs = _partition_runs(period, changes=period != PERIODS[0])
        assert all(runs.get(name) == {"COMPLETED"} for name in expected_runs), runs
        assert f"reconcile-{period}" not in runs  # not the single-process task
    assert {"reconcile_part", "detect_changes_part"} <= ran_on_workers, ran_on_workers
    assert list(staging.iterdir()) == []  # each run's staged parts are removed after use

    expected = _tables(tmp_path / "single.sqlite")
    actual = _tables(tmp_path / "partitioned.sqlite")
    assert len(expected["registry_release"]) == len(PERIODS)
    assert len(expected["population_change"]) > 0 and len(expected["reverification_case"]) > 0
    assert set(expected["registry_entry"]["decision"]) == {
        "KEEP", "REVERIFY", "TERMINATE", "ENROLL", "WAITLIST"
    }  # fmt: skip
    for table in _TABLES:
        pd.testing.assert_frame_equal(expected[table], actual[table], check_exact=True, obj=table)


# -- a local cluster started by the run, without PREFECT_API_URL ------------------------------
@task(task_run_name="where-{index}")
def _where(index: int) -> tuple[int, str | None]:
    import os

    from prefect.settings import PREFECT_API_URL

    return os.getpid(), PREFECT_API_URL.value()


@flow(name="partition-run-test", validate_parameters=False)
def _on_local_cluster():
    from prefect.settings import PREFECT_API_URL

    from tasks.partitioned import partition_run

    outside = PREFECT_API_URL.value()
    with partition_run(ScaleSettings(partitions=2, dask_workers=1)) as run:
        inside = PREFECT_API_URL.value()
        workers = len(run.task_runner.client.scheduler_info()["workers"])
        seen = run.task_runner.map(_where, {"index": [0, 1]}).result()
    return outside, inside, workers, seen, PREFECT_API_URL.value()


def test_a_local_cluster_without_prefect_api_url_reports_to_the_flows_own_server(
    prefect_harness,
):
    """``scale.dask_workers`` without ``PREFECT_API_URL`` (``sigap run`` on one machine):
    the run starts its cluster and the workers report to the flow's own Prefect server."""
    import os

    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server = SubprocessASGIServer()  # what an API-less flow run reports to (the harness's)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        state = _on_local_cluster(return_state=True)
    assert state.is_completed(), state.message
    outside, inside, workers, seen, after = state.result()
    assert outside is None and after is None  # set for the partitions only
    assert inside == server.api_url and workers == 1
    assert {url for _, url in seen} == {server.api_url}
    assert os.getpid() not in {pid for pid, _ in seen}  # the tasks ran on the worker
    runs = _task_runs(state.state_details.flow_run_id)
    assert runs == {"where-0": {"COMPLETED"}, "where-1": {"COMPLETED"}}


# -- an existing cluster without PREFECT_API_URL: refused before any work ----------------------
def test_an_existing_cluster_without_prefect_api_url_fails_before_downloading(
    prefect_harness, sample, tmp_path
):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.monthly import monthly_reconciliation

    config = _config(
        tmp_path / "remote.toml", tmp_path, "remote", sample,
        partitions=PARTITIONS, dask_address="tcp://dask-scheduler.invalid:8786",
    )  # fmt: skip
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        state = monthly_reconciliation(period=PERIODS[0], config=config, return_state=True)
    assert state.is_failed()
    message = str(state.message)
    assert "PREFECT_API_URL is not" in message and "dask-scheduler.invalid" in message
    assert not (tmp_path / "data").exists()  # nothing downloaded, nothing validated


# -- without a Dask setting: one process, or partitions in the flow's threads ------------------
@flow(name="partition-run-threads-test", validate_parameters=False)
def _without_dask(typed: str, baseline: str, partitions: int):
    from devkit.scale import read_typed_frames
    from domain.rules import rule_parameters
    from tasks.partitioned import partition_run

    frames, before = read_typed_frames(Path(typed)), read_typed_frames(Path(baseline))
    params = rule_parameters(Settings(rules=RuleSettings(quota=300)))
    with partition_run(ScaleSettings(partitions=partitions)) as run:
        result = run.reconcile(PERIODS[1], frames, params, frozenset(), None)
        changes = run.detect_changes(PERIODS[1], before, frames, result.entries, params)
    return run, result, changes


def test_without_dask_partitions_run_in_the_flows_threads_with_the_same_result(
    prefect_harness, sample, tmp_path
):
    from devkit.scale import load_typed_frames

    typed = {}
    for period in PERIODS:
        typed[period] = str(tmp_path / f"typed-{period}")
        load_typed_frames(sample, period, Path(typed[period]), echo=lambda _: None)
    args = (typed[PERIODS[1]], typed[PERIODS[0]])
    one, threads = (_without_dask(*args, n, return_state=True) for n in (1, PARTITIONS))
    (run1, result1, changes1), (run3, result3, changes3) = one.result(), threads.result()
    assert (run1.partitions, run1.task_runner) == (1, None)
    assert (run3.partitions, run3.task_runner, run3.where) == (
        PARTITIONS, None, "threads of the flow's process",
    )  # fmt: skip
    pd.testing.assert_frame_equal(result1.entries, result3.entries, check_exact=True)
    assert (result1.quota, result1.counts) == (result3.quota, result3.counts)
    assert len(changes1) > 0
    pd.testing.assert_frame_equal(changes1, changes3, check_exact=True)
    assert {"reconcile-2026-10", "changes-2026-10"} <= set(
        _task_runs(one.state_details.flow_run_id)
    )
    assert _partition_runs(PERIODS[1], changes=True) <= set(
        _task_runs(threads.state_details.flow_run_id)
    )
