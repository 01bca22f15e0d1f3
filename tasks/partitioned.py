"""Reconciliation and change detection on partitions of people: mapped Prefect tasks.

Thin wrappers over :mod:`domain.partition`. Inside a flow whose task runner is
``prefect_dask.DaskTaskRunner``, every partition runs as its own mapped task run on a
Dask worker; with Prefect's default runner they run in threads of the flow's process.
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
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
from prefect import task, unmapped
from prefect.cache_policies import NONE
from prefect.logging import get_run_logger

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

__all__ = [
    "StagedPart",
    "detect_changes_on_partitions",
    "detect_changes_part",
    "load_part",
    "merge_partials",
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
    folder.mkdir(parents=True, exist_ok=True)
    meta: dict[str, object] = {"kind": kind}
    for f in fields(part):
        value = getattr(part, f.name)
        if isinstance(value, pd.DataFrame):
            value.to_parquet(folder / f"{f.name}.parquet", index=False)
            meta[f.name] = {"frame": True}
        elif isinstance(value, pd.Series):
            value.to_frame("value").to_parquet(folder / f"{f.name}.parquet", index=False)
            meta[f.name] = {"series": True}
        elif isinstance(value, dict):
            for source, frame in value.items():
                frame.to_parquet(folder / f"{f.name}.{source}.parquet", index=False)
            meta[f.name] = {"sources": [str(s) for s in value]}
        elif isinstance(value, np.ndarray):
            np.save(folder / f"{f.name}.npy", value, allow_pickle=False)
            meta[f.name] = {"array": True}
        elif isinstance(value, frozenset):
            meta[f.name] = {"set": sorted(value)}
        else:  # str, int, None
            meta[f.name] = {"value": value}
    (folder / _META).write_text(json.dumps(meta), encoding="utf-8")
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
        ReconcileInputs(
            period=period,
            dukcapil=frames[Source.DUKCAPIL],
            dtsen=frames[Source.DTSEN],
            bpjstk=frames[Source.BPJSTK],
            previous_terminated_kpjs=frozenset(terminated_kpjs),
            verified=verified,
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
        raise ValueError(f"part {part.index} of {part.period} handed over as {index} of {period}")
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
) -> Reconciliation:
    """``tasks.reconcile.reconcile_period`` on ``partitions`` partitions, run by the flow's
    task runner (call it inside a flow): split on the driver, one mapped task run per
    partition, merge on the driver. The result is identical to ``reconcile``'s.

    ``staging_dir``: stage the parts there as Parquet instead of shipping them in memory
    (see the module docstring). ``timings``, when given, receives the wall seconds of
    ``split``, ``partitions`` (all mapped runs, from submission to the last result) and
    ``merge``."""
    clock = time.perf_counter()
    run_folder = _run_folder(staging_dir, f"reconcile-{period}")
    try:
        parts = split_period(
            period, frames, params, terminated_kpjs, verified, partitions, run_folder
        )
        split_done = time.perf_counter()
        futures = reconcile_part.map(
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
        raise ValueError(f"changes part {part.index} handed over as {index}")
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
) -> pd.DataFrame:
    """``tasks.reconcile.detect_period_changes`` on ``partitions`` partitions (call it inside
    a flow): the changes of the people in scope (``entries``' NIKs), identical to
    ``domain.changes.detect_changes``; no baseline (the first period) gives no changes.
    ``staging_dir`` as for :func:`reconcile_on_partitions`."""
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
        futures = detect_changes_part.map(
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
