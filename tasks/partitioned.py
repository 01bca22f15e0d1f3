"""Reconciliation and change detection on partitions of people: mapped Prefect tasks.

Thin wrappers over :mod:`domain.partition`. Under a ``prefect_dask.DaskTaskRunner`` (the
flow's task runner, or one passed as ``task_runner``), every partition runs as its own
mapped task run on a Dask worker; with Prefect's default runner they run in threads of
the flow's process. The monthly flow picks one at run time from ``settings.scale`` with
:func:`partition_run` (the runner is used for the partition task runs only).
The driver (the flow's process) splits the inputs once (a task run, so the UI shows it),
each worker receives *only its own partition*, and the driver merges the partial
results. A part reaches its worker in one of two ways:

* in memory (``staging_dir=None``): the part is the mapped task's parameter, pickled
  into the Dask graph. Simple and fine for a city (a few million residents); but the
  graph then holds every part at once (together about the size of the frames; Dask
  warns "Sending large graph"), and with a local cluster the scheduler in the driver's
  process keeps another copy until the parts are done.
* staged as Parquet (``staging_dir`` given): the driver writes each part as soon as it is
  built (holding one at a time) under ``staging_dir/<run>/part-NNNN/``, the task's
  parameter is only that folder (:class:`StagedPart`), and the worker reads its own
  files. On a cluster of several machines ``staging_dir`` must be storage every worker
  sees at the same path. The run's folder is removed after the merge.

::

    @flow(task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1}))
    def run(period: str, ...):
        frames = ...  # load the typed frames *inside* the flow
        result = reconcile_on_partitions(period, frames, params, terminated, verified, 8)

Load big frames inside the flow, never as a flow parameter nor captured by the flow
function (a closure): Prefect stores a flow run's parameters as JSON, and it sends the
flow object (closure included) and its parameters to every task run it hands to Dask
(``prefect.context.serialize_context``): frames there travel to every partition.

Logs carry counts and row numbers only, never a NIK or a name.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from prefect import task, unmapped
from prefect.cache_policies import NONE
from prefect.futures import PrefectFutureList
from prefect.logging import get_run_logger
from prefect.task_runners import TaskRunner

from connectors.files import open_private, private_dirs
from core.errors import InvalidInput
from domain.changes import empty_changes
from domain.codes import Source
from domain.partition import (
    ChangesPart,
    PartialResult,
    ReconcilePart,
    detect_changes_partition,
    iter_split,
    iter_split_changes,
    merge,
    merge_changes,
    reconcile_partition,
)
from domain.reconcile import ReconcileInputs, Reconciliation
from domain.rules import RuleParameters

if TYPE_CHECKING:
    from core.settings import ScaleSettings

__all__ = [
    "PartitionRun",
    "StagedPart",
    "check_partition_api",
    "detect_changes_on_partitions",
    "detect_changes_part",
    "load_part",
    "merge_partials",
    "partition_run",
    "reconcile_on_partitions",
    "reconcile_part",
    "split_period",
    "stage_part",
]


# -- staging parts as Parquet -----------------------------------------------------------------
_KINDS: dict[str, type] = {"reconcile": ReconcilePart, "changes": ChangesPart}
_META = "part.json"


@dataclass(frozen=True)
class StagedPart:
    """One part written to ``path`` (a folder of Parquet files and ``part.json``)."""

    kind: str  # "reconcile" | "changes"
    index: int
    path: str


def stage_part(part: ReconcilePart | ChangesPart, folder: Path) -> StagedPart:
    """Write ``part`` under ``folder``: each frame (and each source's frame of a mapping)
    as Parquet, key arrays as ``.npy``, the small fields as JSON (written last: its
    presence means the part is complete)."""
    kind = next(k for k, cls in _KINDS.items() if isinstance(part, cls))
    private_dirs(folder)  # the parts are personal data: 0640 files in 0750 folders
    meta: dict[str, object] = {"kind": kind}
    for f in fields(part):
        value = getattr(part, f.name)
        if isinstance(value, pd.DataFrame):
            with open_private(folder / f"{f.name}.parquet") as fh:
                value.to_parquet(fh, index=False)
            meta[f.name] = {"frame": True}
        elif isinstance(value, pd.Series):
            with open_private(folder / f"{f.name}.parquet") as fh:
                value.to_frame("value").to_parquet(fh, index=False)
            meta[f.name] = {"series": True}
        elif isinstance(value, dict):
            for source, frame in value.items():
                with open_private(folder / f"{f.name}.{source}.parquet") as fh:
                    frame.to_parquet(fh, index=False)
            meta[f.name] = {"sources": [str(s) for s in value]}
        elif isinstance(value, np.ndarray):
            with open_private(folder / f"{f.name}.npy") as fh:
                np.save(fh, value, allow_pickle=False)
            meta[f.name] = {"array": True}
        elif isinstance(value, frozenset):
            meta[f.name] = {"set": sorted(value)}
        else:  # str, int, None
            meta[f.name] = {"value": value}
    with open_private(folder / _META, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(meta))
    return StagedPart(kind=kind, index=part.index, path=str(folder))


def load_part(staged: StagedPart) -> ReconcilePart | ChangesPart:
    """Read back a part written by :func:`stage_part`."""
    folder = Path(staged.path)
    meta = json.loads((folder / _META).read_text(encoding="utf-8"))
    values: dict[str, object] = {}
    for name, how in meta.items():
        if name == "kind":
            continue
        if "frame" in how:
            values[name] = pd.read_parquet(folder / f"{name}.parquet")
        elif "series" in how:
            values[name] = pd.read_parquet(folder / f"{name}.parquet")["value"].rename(None)
        elif "sources" in how:
            values[name] = {
                Source(s): pd.read_parquet(folder / f"{name}.{s}.parquet") for s in how["sources"]
            }
        elif "array" in how:
            values[name] = np.load(folder / f"{name}.npy", allow_pickle=False)
        elif "set" in how:
            values[name] = frozenset(how["set"])
        else:
            values[name] = how["value"]
    return _KINDS[meta["kind"]](**values)


def _run_folder(staging_dir: Path | None, what: str) -> Path | None:
    return None if staging_dir is None else Path(staging_dir) / f"{what}-{uuid.uuid4().hex[:12]}"


def _unstaged(part):
    return load_part(part) if isinstance(part, StagedPart) else part


def _map(task_runner: TaskRunner | None, task, **parameters) -> PrefectFutureList:
    """``task.map(**parameters)`` on ``task_runner``, else on the flow's own runner."""
    if task_runner is None:
        return task.map(**parameters)
    return task_runner.map(task, parameters)


@task(name="split-partitions", task_run_name="split-{period}-x{partitions}", cache_policy=NONE)
def split_period(
    period: str,
    frames: Mapping[Source, pd.DataFrame],
    params: RuleParameters,
    terminated_kpjs: frozenset[str],
    verified: pd.DataFrame | None,
    partitions: int,
    run_folder: Path | None = None,
) -> list[ReconcilePart] | list[StagedPart]:
    """Split the period's typed frames into ``partitions`` parts by NIK (on the driver),
    with the global probable-typo pre-pass (``domain.partition.iter_split``); with a
    ``run_folder``, each part is written there as soon as it is built."""
    logger = get_run_logger()
    parts = iter_split(
        ReconcileInputs.from_frames(
            period, frames, terminated_kpjs, verified
        ),
        partitions,
        params,
    )
    out, sizes, guests = [], [], 0
    for part in parts:
        sizes.append(part.local_rows)
        guests += part.rows["typo_candidates"]
        out.append(
            part if run_folder is None else stage_part(part, run_folder / f"part-{part.index:04d}")
        )
        del part
    logger.info(
        "%s partitions of %s to %s Dukcapil rows%s; %s foreign typo candidates shipped",
        len(out),
        f"{min(sizes):,}",
        f"{max(sizes):,}",
        "" if run_folder is None else " (staged as Parquet)",
        f"{guests:,}",
    )
    return out


@task(
    name="reconcile-partition", task_run_name="reconcile-{period}-part-{index}", cache_policy=NONE
)
def reconcile_part(
    period: str, index: int, part: ReconcilePart | StagedPart, params: RuleParameters
) -> PartialResult:
    """Reconcile one partition (runs on a Dask worker under ``DaskTaskRunner``).

    Not retried by Prefect: its failures are data errors (``ValueError``), final. A lost
    worker is Dask's to handle: it re-runs that part on another worker (the part is a
    pure function of its input; ``distributed.scheduler.allowed-failures``)."""
    part = _unstaged(part)
    if part.index != index or part.period != period:
        raise InvalidInput(f"part {part.index} of {part.period} handed over as {index} of {period}")
    partial = reconcile_partition(part, params)
    get_run_logger().info(
        "partition %s/%s: %s participants, %s candidates (%s)",
        index + 1,
        part.partitions,
        f"{len(partial.participants):,}",
        f"{len(partial.candidates):,}",
        ", ".join(f"{k} {v:,}" for k, v in part.rows.items()),
    )
    return partial


@task(name="merge-partitions", task_run_name="merge-{period}", cache_policy=NONE)
def merge_partials(
    period: str, partials: list[PartialResult], params: RuleParameters
) -> Reconciliation:
    """The period's reconciliation from every partition's partial result: the global
    ranking, quota and allocation (on the driver)."""
    result = merge(partials, params, period)
    get_run_logger().info(
        "decisions: %s", ", ".join(f"{k} {v:,}" for k, v in result.counts.items())
    )
    return result


def reconcile_on_partitions(
    period: str,
    frames: Mapping[Source, pd.DataFrame],
    params: RuleParameters,
    terminated_kpjs: frozenset[str],
    verified: pd.DataFrame | None,
    partitions: int,
    *,
    staging_dir: Path | None = None,
    timings: dict[str, float] | None = None,
    task_runner: TaskRunner | None = None,
) -> Reconciliation:
    """``tasks.reconcile.reconcile_period`` on ``partitions`` partitions, run by the flow's
    task runner (call it inside a flow): split on the driver, one mapped task run per
    partition, merge on the driver. The result is identical to ``reconcile``'s.

    ``staging_dir``: stage the parts there as Parquet instead of shipping them in memory
    (see the module docstring). ``timings``, when given, receives the wall seconds of
    ``split``, ``partitions`` (all mapped runs, from submission to the last result) and
    ``merge``. ``task_runner``: a started task runner for the mapped partition runs (e.g. a
    ``DaskTaskRunner`` chosen at run time, see :func:`partition_run`) instead of the flow's
    own; split and merge run in the flow's process either way."""
    clock = time.perf_counter()
    run_folder = _run_folder(staging_dir, f"reconcile-{period}")
    try:
        parts = split_period(
            period, frames, params, terminated_kpjs, verified, partitions, run_folder
        )
        split_done = time.perf_counter()
        futures = _map(
            task_runner,
            reconcile_part,
            period=unmapped(period),
            index=[p.index for p in parts],
            part=parts,
            params=unmapped(params),
        )
        del parts  # the driver keeps no second copy while the workers run
        partials = futures.result()
    finally:
        if run_folder is not None:
            shutil.rmtree(run_folder, ignore_errors=True)
    mapped_done = time.perf_counter()
    result = merge_partials(period, partials, params)
    if timings is not None:
        timings.update(
            split=split_done - clock,
            partitions=mapped_done - split_done,
            merge=time.perf_counter() - mapped_done,
        )
    return result


# -- change detection ----------------------------------------------------------------------
@task(
    name="detect-changes-partition",
    task_run_name="changes-{period}-part-{index}",
    cache_policy=NONE,
)
def detect_changes_part(
    period: str, index: int, part: ChangesPart | StagedPart, params: RuleParameters
) -> pd.DataFrame:
    """Change detection on one partition (runs on a Dask worker under ``DaskTaskRunner``)."""
    part = _unstaged(part)
    if part.index != index:
        raise InvalidInput(f"changes part {part.index} handed over as {index}")
    return detect_changes_partition(part, params)


def detect_changes_on_partitions(
    period: str,
    baseline: Mapping[Source, pd.DataFrame],
    current: Mapping[Source, pd.DataFrame],
    entries: pd.DataFrame,
    params: RuleParameters,
    partitions: int,
    *,
    staging_dir: Path | None = None,
    task_runner: TaskRunner | None = None,
) -> pd.DataFrame:
    """``tasks.reconcile.detect_period_changes`` on ``partitions`` partitions (call it inside
    a flow): the changes of the people in scope (``entries``' NIKs), identical to
    ``domain.changes.detect_changes``; no baseline (the first period) gives no changes.
    ``staging_dir`` and ``task_runner`` as for :func:`reconcile_on_partitions`."""
    logger = get_run_logger()
    if not baseline:
        logger.info("no baseline (first period in this registry): no changes to detect")
        return empty_changes()
    run_folder = _run_folder(staging_dir, f"changes-{period}")
    try:
        parts = [
            p if run_folder is None else stage_part(p, run_folder / f"part-{p.index:04d}")
            for p in iter_split_changes(
                {s: baseline[s] for s in (Source.DUKCAPIL, Source.DTSEN) if s in baseline},
                {s: current[s] for s in (Source.DUKCAPIL, Source.DTSEN)},
                entries["nik"].dropna(),
                partitions,
            )
        ]
        futures = _map(
            task_runner,
            detect_changes_part,
            period=unmapped(period),
            index=[p.index for p in parts],
            part=parts,
            params=unmapped(params),
        )
        del parts
        results = futures.result()
    finally:
        if run_folder is not None:
            shutil.rmtree(run_folder, ignore_errors=True)
    changes = merge_changes(results)
    logger.info("%s changes touching people in scope", f"{len(changes):,}")
    return changes


# -- where a flow's partitions run: settings.scale ---------------------------------------------
@dataclass(frozen=True)
class PartitionRun:
    """How a flow run reconciles and detects changes (from :func:`partition_run`): in the
    flow's process with one partition (``tasks.reconcile``'s tasks, as always), else on
    ``partitions`` partitions, their parts staged in ``staging_dir`` or not, their task
    runs on ``task_runner`` (started; ``None``: the flow's own runner)."""

    partitions: int = 1
    staging_dir: Path | None = None
    task_runner: TaskRunner | None = None
    where: str = "the flow's process"

    def reconcile(
        self,
        period: str,
        frames: Mapping[Source, pd.DataFrame],
        params: RuleParameters,
        terminated_kpjs: frozenset[str],
        verified: pd.DataFrame | None,
    ) -> Reconciliation:
        """``tasks.reconcile.reconcile_period``, or :func:`reconcile_on_partitions`."""
        if self.partitions == 1:
            from tasks.reconcile import reconcile_period

            return reconcile_period(period, frames, params, terminated_kpjs, verified)
        return reconcile_on_partitions(
            period, frames, params, terminated_kpjs, verified, self.partitions,
            staging_dir=self.staging_dir, task_runner=self.task_runner,
        )  # fmt: skip

    def detect_changes(
        self,
        period: str,
        baseline: Mapping[Source, pd.DataFrame],
        current: Mapping[Source, pd.DataFrame],
        entries: pd.DataFrame,
        params: RuleParameters,
    ) -> pd.DataFrame:
        """``tasks.reconcile.detect_period_changes``, or :func:`detect_changes_on_partitions`."""
        if self.partitions == 1:
            from tasks.reconcile import detect_period_changes

            return detect_period_changes(period, baseline, current, entries, params)
        return detect_changes_on_partitions(
            period, baseline, current, entries, params, self.partitions,
            staging_dir=self.staging_dir, task_runner=self.task_runner,
        )  # fmt: skip


def check_partition_api(scale: ScaleSettings) -> None:
    """Raise :class:`~core.errors.ConfigError` when the partitions are to run on an
    existing Dask cluster (``scale.dask_address``) and no ``PREFECT_API_URL`` is set.

    The Dask workers create and report their task runs through the Prefect API the flow
    uses (it travels with each task run). Without ``PREFECT_API_URL`` that is Prefect's
    ephemeral server, a subprocess of the flow's process listening on 127.0.0.1: the
    workers of a local cluster (``scale.dask_workers``) reach it, those of another
    machine do not. Call it before any work, so that the run fails in seconds."""
    from prefect.settings import PREFECT_API_URL

    from core.errors import ConfigError

    if scale.partitions > 1 and scale.dask_address and not PREFECT_API_URL.value():
        raise ConfigError(
            f"scale.dask_address is set ({scale.dask_address}) but PREFECT_API_URL is not: the "
            "cluster's workers report their task runs to the flow's Prefect API, and without "
            "PREFECT_API_URL that is an ephemeral server only this machine can reach",
            hint=(
                "run against a Prefect server the Dask workers can reach "
                "(PREFECT_API_URL=http://<prefect-host>:4200/api in the flow's environment), "
                "or use scale.dask_workers for a local cluster"
            ),
        )


def _ephemeral_api_url() -> str:
    """The URL of the ephemeral Prefect server this process's flow run reports to."""
    from prefect.server.api.server import SubprocessASGIServer

    from core.errors import ConfigError

    server = SubprocessASGIServer()  # the process's one instance, started by the flow run
    if not server.running:
        raise ConfigError(
            "no Prefect API for the Dask workers: PREFECT_API_URL is not set and no "
            "ephemeral Prefect server runs in this process (run the partitions inside a flow)"
        )
    return server.api_url


@contextmanager
def partition_run(scale: ScaleSettings) -> Iterator[PartitionRun]:
    """Where a flow run's partitions run, from ``settings.scale``, for the duration of the
    block (call it inside the flow):

    * with ``partitions == 1``, in the flow's process (no partitions: the default);
    * without a Dask setting, on the flow's own task runner (Prefect's default: threads
      of the flow's process);
    * with ``dask_address``, a started ``DaskTaskRunner`` connected to that scheduler;
      with ``dask_workers``, one on a ``LocalCluster`` of that many single-threaded
      worker processes, started here and closed when the block ends.

    Only the partition task runs go to Dask; everything else stays in the flow's process.
    The workers report to ``PREFECT_API_URL``; when it is not set (local cluster only, see
    :func:`check_partition_api`), to the ephemeral server of this flow run, whose URL is
    set for the block so that it travels with each task run."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    check_partition_api(scale)
    if scale.partitions == 1:
        yield PartitionRun()
        return
    logger = get_run_logger()
    # absolute (not resolved: a symlink may be the path every worker shares)
    staging = None if scale.staging_dir is None else Path(scale.staging_dir).absolute()
    if not scale.uses_dask:
        run = PartitionRun(scale.partitions, staging, where="threads of the flow's process")
        logger.info("%s partitions in %s", run.partitions, run.where)
        yield run
        return

    import distributed
    from prefect_dask import DaskTaskRunner

    from core.errors import ConfigError

    if scale.dask_address:
        runner = DaskTaskRunner(address=scale.dask_address)
        where = f"the Dask cluster at {scale.dask_address}"
    else:
        runner = DaskTaskRunner(
            cluster_kwargs={
                "n_workers": scale.dask_workers,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
                "silence_logs": logging.WARNING,
            }
        )
        where = f"a local Dask cluster of {scale.dask_workers} worker processes"
    with ExitStack() as stack:
        if not PREFECT_API_URL.value():
            url = _ephemeral_api_url()
            stack.enter_context(temporary_settings(updates={PREFECT_API_URL: url}))
        stack.enter_context(runner)
        try:  # connect (or start the local cluster) now, not at the first task
            workers = len(runner.client.scheduler_info()["workers"])
        except (OSError, distributed.TimeoutError) as exc:
            raise ConfigError(
                f"cannot reach the Dask scheduler for the partitions ({where}): {exc}",
                hint="check that the Dask cluster is up and scale.dask_address, or set scale.partitions = 1",
            ) from exc
        logger.info(
            "%s partitions on %s (%s workers)%s",
            scale.partitions,
            where,
            workers,
            "" if staging is None else ", parts staged as Parquet",
        )
        yield PartitionRun(scale.partitions, staging, runner, where)
