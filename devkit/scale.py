"""The scale demonstration (issue "a path past one machine"): the same period reconciled
in one process and on Dask partitions by NIK, with timings, peak memory and a check that
both results are identical.

``run_scale_demo`` (``sigap scale-demo``) does, in a working folder:

1. the sample city (``devkit.sample.generate``, one period), reused when the folder already
   holds one of that size and seed;
2. the typed frames, built *once* with the extract reader and the row rules
   (``connectors.extract_file`` + ``expectations.parse``: the accepted rows, typed as
   validation hands them to the domain) and cached as Parquet beside the sample, keyed by
   the extracts' SHA-256 (Great Expectations' documentation suites are not run: they do
   not change the accepted rows and are not what this demo measures);
3. (a) ``domain.reconcile.reconcile`` in this process;
4. (b) a Prefect flow whose task runner is ``prefect_dask.DaskTaskRunner`` on a
   ``distributed.LocalCluster`` of ``workers`` worker processes (one thread each), or on
   the Dask scheduler at ``address``, running ``tasks.partitioned.reconcile_on_partitions``;
5. the comparison: entries (rows, order, values, dtypes), quota summary, counts and reason
   counts must be identical, else :class:`PartitionedResultDiffers` (naming columns and
   row counts, never values: they are personal data).

Peak memory is the resident-set high-water mark (``VmHWM``) of each stage's own processes,
reset before the stage (Linux ``/proc/self/clear_refs``): this process for (a); for (b)
this process (the driver: split, merge, and the scheduler of a local cluster) and each
Dask worker. A Prefect API is needed for (b): the configured one (``PREFECT_API_URL``),
else Prefect's temporary local server.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from prefect import flow

from core.errors import InvalidInput, SigapError
from core.memory import release_memory
from domain.codes import Source
from domain.reconcile import ReconcileInputs, Reconciliation, reconcile
from domain.rules import RuleParameters

if TYPE_CHECKING:
    from devkit.sample import SampleManifest

__all__ = [
    "PartitionedResultDiffers",
    "differences",
    "load_typed_frames",
    "partitioned_reconciliation",
    "peak_rss_bytes",
    "prefect_api",
    "prepare_sample",
    "read_typed_frames",
    "reset_peak_rss",
    "run_scale_demo",
]

#: the period the demo reconciles (the sample's first month)
DEMO_PERIOD = "2026-09"
#: the uncompressed-size guard used when reading the sample's extracts (10M residents:
#: about 2.5 GB of Dukcapil text)
MAX_UNCOMPRESSED_BYTES = 16 * 1024**3
_TYPED_MANIFEST = "typed.json"

Echo = Callable[[str], None]


class PartitionedResultDiffers(SigapError):
    """The partitioned reconciliation differs from the single-process one: a defect."""

    hint = "this is a defect in domain.partition: report it with the demo's figures"


# -- sample and typed frames -------------------------------------------------------------------
def prepare_sample(residents: int, workdir: Path, *, period: str = DEMO_PERIOD, seed: int = 42,
                   echo: Echo = print) -> tuple[SampleManifest, bool]:  # fmt: skip
    """The sample city of ``residents`` under ``workdir/sample-<residents>``: the one there
    when it has this size, seed and period (checksums verified), else a new one. Returns
    the manifest and whether it was reused."""
    from devkit.sample import generate, load_manifest

    out = Path(workdir) / f"sample-{residents}"
    manifest = load_manifest(out)
    if (
        manifest is not None
        and manifest.residents == residents
        and manifest.seed == seed
        and period in manifest.periods
    ):
        echo(f"sample: reusing {out}")
        return manifest, True
    echo(f"sample: generating {residents:,} residents for {period} in {out}")
    return generate(out, residents, [period], seed=seed), False


def load_typed_frames(manifest: SampleManifest, period: str, cache_dir: Path, *, echo: Echo = print
                      ) -> tuple[dict[Source, pd.DataFrame], bool]:  # fmt: skip
    """The accepted, typed frames of the sample's three extracts for ``period``, read and
    typed once and then cached as Parquet in ``cache_dir`` (reused while the extracts'
    SHA-256 are unchanged). Returns the frames and whether the cache was used."""
    from domain.extracts import BPJSTK, DTSEN, DUKCAPIL

    specs = {Source.DUKCAPIL: DUKCAPIL, Source.DTSEN: DTSEN, Source.BPJSTK: BPJSTK}
    digests = {str(s): manifest.file(s, period).sha256 for s in specs}
    cache_dir = Path(cache_dir)
    marker = cache_dir / _TYPED_MANIFEST
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == digests:
        echo(f"typed frames: reusing {cache_dir}")
        return read_typed_frames(cache_dir), True

    from connectors.extract_file import read_extract
    from expectations.parse import parse_extract

    cache_dir.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    frames: dict[Source, pd.DataFrame] = {}
    for source, spec in specs.items():
        start = time.perf_counter()
        raw = read_extract(
            manifest.file(source, period).path, spec, max_uncompressed_bytes=MAX_UNCOMPRESSED_BYTES
        )
        frames[source] = parse_extract(raw, spec, period).accepted_frame()
        del raw
        frames[source].to_parquet(cache_dir / f"{source}.parquet", index=False)
        echo(
            f"typed frames: {source} {len(frames[source]):,} rows in {time.perf_counter() - start:.1f} s"
        )
    marker.write_text(json.dumps(digests), encoding="utf-8")
    del frames  # use what the cache holds, exactly as a later run (and the flow) reads it
    return read_typed_frames(cache_dir), False


# -- memory ---------------------------------------------------------------------------------------
def reset_peak_rss() -> None:
    """Release freed memory and reset this process's peak-RSS mark (Linux; elsewhere a
    no-op, and the peak is then the process's lifetime peak)."""
    release_memory(collect=True)
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_bytes() -> int:
    """This process's resident-set high-water mark (``VmHWM``), ``-1`` when unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return -1


def _mib(n: int) -> int:
    return round(n / 2**20) if n >= 0 else -1


# -- comparison ---------------------------------------------------------------------------------
def differences(expected: Reconciliation, actual: Reconciliation) -> list[str]:
    """Where ``actual`` differs from ``expected``: shape, columns, dtypes, per column the
    number of differing rows, and the totals. Values are never quoted (personal data)."""
    problems: list[str] = []
    a, b = expected.entries, actual.entries
    if list(a.columns) != list(b.columns):
        return [f"entry columns differ: {list(a.columns)} vs {list(b.columns)}"]
    if len(a) != len(b):
        problems.append(f"{len(a):,} entries expected, {len(b):,} found")
    else:
        if not a.index.equals(b.index):
            problems.append("entry index differs")
        for column in a.columns:
            if a[column].dtype != b[column].dtype:
                problems.append(f"{column}: dtype {a[column].dtype} vs {b[column].dtype}")
                continue
            left, right = a[column], b[column]
            same = (left == right).fillna(False).to_numpy(dtype=bool) | (
                left.isna().to_numpy(dtype=bool) & right.isna().to_numpy(dtype=bool)
            )
            if not same.all():
                problems.append(f"{column}: {int((~same).sum()):,} rows differ")
    for name in ("period", "rules_version", "quota", "counts", "reason_counts"):
        if getattr(expected, name) != getattr(actual, name):
            problems.append(f"{name} differs")
    if not problems:  # the final word: pandas' own strict comparison
        try:
            pd.testing.assert_frame_equal(a, b)
        except AssertionError:
            problems.append("entries differ (pandas.testing.assert_frame_equal)")
    return problems


@contextmanager
def prefect_api(echo: Echo = print) -> Iterator[str]:
    """The Prefect API the flow and the Dask workers report to: the configured one
    (``PREFECT_API_URL``), else a temporary local server for the duration of the block.

    Prefect's own fallback (an ephemeral server started by whoever needs one) does not
    work with Dask: every worker process would start a server of its own."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    configured = PREFECT_API_URL.value()
    if configured:
        yield configured
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=120)
    echo(f"Prefect: temporary server at {server.api_url}")
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield server.api_url
            _drain_prefect_logs()
    finally:
        server.stop()


def _drain_prefect_logs() -> None:
    """Send the run's remaining logs before the temporary server stops."""
    from prefect.logging.handlers import APILogWorker

    try:
        APILogWorker.drain_all(timeout=10)
    except RuntimeError:  # never started
        pass


# -- the demo -------------------------------------------------------------------------------------
def read_typed_frames(folder: Path) -> dict[Source, pd.DataFrame]:
    """The typed frames cached by :func:`load_typed_frames` (no checks: the cache's)."""
    return {s: pd.read_parquet(Path(folder) / f"{s}.parquet") for s in Source}


@flow(
    name="partitioned-reconciliation",
    flow_run_name="scale-demo-{period}-x{partitions}",
    validate_parameters=False,
)
def partitioned_reconciliation(
    typed_dir: str,
    period: str,
    partitions: int,
    params: RuleParameters | None = None,
    staging_dir: str | None = None,
) -> tuple[Reconciliation, dict[str, float]]:
    """The demo's flow: load the period's typed frames and reconcile them on
    ``partitions`` partitions with the flow's task runner; returns the result and the
    stage timings (``load``, ``split``, ``partitions``, ``merge``).

    The frames are loaded *inside* the flow, never passed in or captured: Prefect sends
    the flow (closure included) and its parameters with every task run it hands to Dask
    (``prefect.context.serialize_context``), so ten million rows there would travel to
    every partition (that is what a first version of this demo did: a 2.8 GiB graph and
    a driver killed at 19 GiB)."""
    from tasks.partitioned import reconcile_on_partitions

    clock = time.perf_counter()
    frames = read_typed_frames(Path(typed_dir))
    timings = {"load": time.perf_counter() - clock}
    result = reconcile_on_partitions(
        period,
        frames,
        params or RuleParameters(),
        frozenset(),
        None,
        partitions,
        staging_dir=None if staging_dir is None else Path(staging_dir),
        timings=timings,
    )
    return result, timings


def run_scale_demo(
    residents: int,
    partitions: int,
    workers: int,
    workdir: Path,
    address: str | None = None,
    *,
    period: str = DEMO_PERIOD,
    seed: int = 42,
    params: RuleParameters | None = None,
    staging: bool = True,
    echo: Echo = print,
) -> dict:
    """Reconcile one sample period of ``residents`` people in one process and as a Prefect
    flow on ``partitions`` Dask partitions (``workers`` local worker processes, or the
    scheduler at ``address``), check the results are identical, and return (and echo)
    the timings and peak memory. Raises :class:`PartitionedResultDiffers` when they differ.

    ``staging``: parts reach the workers as Parquet under ``workdir/staging`` (the workers
    of a remote scheduler must see that folder at the same path), else in memory through
    the Dask graph (see ``tasks.partitioned``).
    """
    from distributed import Client, LocalCluster
    from prefect_dask import DaskTaskRunner

    if residents < 1 or partitions < 1 or workers < 1:
        raise InvalidInput("residents, partitions and workers must be positive")
    params = params or RuleParameters()
    workdir = Path(workdir).resolve()
    figures: dict = {
        "residents": residents,
        "partitions": partitions,
        "workers": workers,
        "address": address,
        "period": period,
        "staging": staging,
        "cpus": os.cpu_count(),
    }

    start = time.perf_counter()
    manifest, reused = prepare_sample(residents, workdir, period=period, seed=seed, echo=echo)
    figures["sample"] = {"seconds": round(time.perf_counter() - start, 1), "reused": reused}
    start = time.perf_counter()
    typed_dir = workdir / f"typed-{residents}-{period}"
    frames, reused = load_typed_frames(manifest, period, typed_dir, echo=echo)
    figures["typed_frames"] = {"seconds": round(time.perf_counter() - start, 1), "reused": reused}
    figures["rows"] = {str(s): len(f) for s, f in frames.items()}
    echo("rows: " + ", ".join(f"{s} {n:,}" for s, n in figures["rows"].items()))

    # (a) one process --------------------------------------------------------------------------
    reset_peak_rss()
    base = peak_rss_bytes()
    start = time.perf_counter()
    single = reconcile(
        ReconcileInputs(
            period, frames[Source.DUKCAPIL], frames[Source.DTSEN], frames[Source.BPJSTK]
        ),
        params,
    )
    figures["single"] = {
        "seconds": round(time.perf_counter() - start, 2),
        "peak_rss_mib": _mib(peak_rss_bytes()),
        "inputs_rss_mib": _mib(base),
    }
    echo(
        f"(a) single process: {figures['single']['seconds']:.1f} s, peak "
        f"{figures['single']['peak_rss_mib']:,} MiB (inputs {figures['single']['inputs_rss_mib']:,})"
    )
    del frames  # the flow loads its own copy; this process keeps only (a)'s result

    # (b) Prefect flow on Dask partitions ------------------------------------------------------
    cluster = None
    start = time.perf_counter()
    logging.getLogger("distributed").setLevel(logging.WARNING)  # Prefect's handlers show INFO
    if address is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.WARNING,
        )
        address = cluster.scheduler_address
    try:
        with prefect_api(echo), Client(address) as client:
            client.wait_for_workers(1 if cluster is None else workers, timeout=300)
            # workers import the project once, before the clock starts
            client.run(_import_tasks)
            figures["setup_seconds"] = round(time.perf_counter() - start, 1)
            figures["workers"] = len(client.scheduler_info()["workers"])
            client.run(reset_peak_rss)
            reset_peak_rss()
            driver_base = peak_rss_bytes()
            worker_base = client.run(peak_rss_bytes)
            runner = DaskTaskRunner(address=address)
            start = time.perf_counter()
            partitioned, timings = partitioned_reconciliation.with_options(task_runner=runner)(
                typed_dir=str(typed_dir),
                period=period,
                partitions=partitions,
                params=params,
                staging_dir=str(workdir / "staging") if staging else None,
            )
            seconds = time.perf_counter() - start
            worker_peaks = client.run(peak_rss_bytes)
    finally:
        if cluster is not None:
            cluster.close()
    figures["partitioned"] = {
        "seconds": round(seconds, 2),
        "load_seconds": round(timings["load"], 2),
        "split_seconds": round(timings["split"], 2),
        "partitions_seconds": round(timings["partitions"], 2),
        "merge_seconds": round(timings["merge"], 2),
        "driver_peak_rss_mib": _mib(peak_rss_bytes()),
        "driver_base_rss_mib": _mib(driver_base),
        "worker_peak_rss_mib": sorted(_mib(v) for v in worker_peaks.values()),
        "worker_base_rss_mib": sorted(_mib(v) for v in worker_base.values()),
    }
    p = figures["partitioned"]
    echo(
        f"(b) Prefect + Dask, {partitions} partitions on {figures['workers']} workers: "
        f"{p['seconds']:.1f} s (load {p['load_seconds']:.1f}, split {p['split_seconds']:.1f}, "
        f"partitions {p['partitions_seconds']:.1f}, merge {p['merge_seconds']:.1f}); peak driver "
        f"{p['driver_peak_rss_mib']:,} MiB (before {p['driver_base_rss_mib']:,}), workers "
        f"{p['worker_peak_rss_mib']} MiB"
    )

    problems = differences(single, partitioned)
    figures["identical"] = not problems
    figures["entries"] = len(single.entries)
    figures["counts"] = dict(single.counts)
    if problems:
        raise PartitionedResultDiffers("; ".join(problems))
    echo(
        f"identical: {len(single.entries):,} entries, "
        + ", ".join(f"{k} {v:,}" for k, v in single.counts.items())
    )
    return figures


def _import_tasks() -> bool:
    """Run on each worker: import the task module (and with it prefect and the domain)."""
    import tasks.partitioned  # noqa: F401

    return True
