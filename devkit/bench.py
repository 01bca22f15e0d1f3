"""The city-scale benchmark (``sigap bench`` / ``make bench``).

Full-city data (Dukcapil 2.6 million, DTSEN 2.6 million, BPJS 60,000 rows) served from a
real OpenSSH ``sshd`` on loopback, two consecutive periods end to end (the second with the
month's changes), published to PostgreSQL. For each period it prints wall time and peak
memory per stage and in total, and **the floor**: the time to decompress and parse the
same three files with pyarrow, measured in the same run, with the ratio total / floor.
It also times bulk publishing of 100,000 and 300,000 entries on SQLite and PostgreSQL.
Figures are written as JSON for comparison between commits.

Targets per period on a 2-core machine: total <= 60 s, peak memory <= 3 GiB,
total <= 10 x floor.

What a flow-run process pays once before its first period, importing the flow and its
libraries (Great Expectations alone takes several seconds) and starting Prefect's API
(the ephemeral server; in production a server is already running), is measured and
printed apart, not counted in the periods: both periods then measure the same work.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

TARGET_SECONDS = 60.0
TARGET_PEAK_BYTES = 3 * 1024**3
TARGET_FLOOR_RATIO = 10.0
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pyarrow_floor(files: list[Path]) -> float:
    """Seconds to decompress and parse the files with pyarrow (all columns as strings)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    start = time.perf_counter()
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
            header = fh.readline().rstrip("\r\n").split("|")
        with pa.input_stream(str(path), compression="gzip") as stream:
            pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
                parse_options=pacsv.ParseOptions(delimiter="|", quote_char=False),
                convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in header}),
            )
    return time.perf_counter() - start


@contextmanager
def throwaway_postgres(admin_url: str = PG_ADMIN_URL):
    """A fresh PostgreSQL database for the benchmark, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"sigap_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _publish_figures(pg_admin: str, console: Console, sizes: tuple[int, ...] = (100_000, 300_000)) -> list[dict]:
    from devkit.bench_publish import bench_publish

    rows = []
    for n in sizes:
        with throwaway_postgres(pg_admin) as pg_url:
            pg = bench_publish(pg_url, n)
        sqlite_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"sigap-bench-{uuid.uuid4().hex[:6]}"
        sqlite_dir.mkdir(parents=True)
        try:
            lite = bench_publish(f"sqlite:///{sqlite_dir / 'r.sqlite'}", n)
        finally:
            shutil.rmtree(sqlite_dir, ignore_errors=True)
        rows.append({"entries": n, "postgresql_seconds": round(pg, 2), "sqlite_seconds": round(lite, 2)})
        console.print(f"publish {n:,} entries: PostgreSQL {pg:.2f} s, SQLite {lite:.2f} s")
    return rows


def warm_up_prefect() -> float:
    """Start the Prefect API this process uses (the ephemeral server when no
    ``PREFECT_API_URL`` is set) and return the seconds it took. In production the server
    is already running when the monthly run starts, so the benchmark starts it before it
    times the periods, and reports its start-up separately."""
    from prefect import flow

    @flow(name="bench-warm-up", log_prints=False, persist_result=False)
    def _warm_up() -> None:
        return None

    start = time.perf_counter()
    _warm_up()
    return time.perf_counter() - start


@contextmanager
def _profiled(folder: Path | None, period: str):
    """With ``folder``: profile the block with pyinstrument (the flow runs its tasks in
    the main thread) and write ``profile-<period>.txt`` and ``.html`` there."""
    if folder is None:
        yield
        return
    try:
        from pyinstrument import Profiler
    except ImportError as exc:  # a development dependency (./dev setup installs it)
        raise SystemExit("--profile needs pyinstrument: run ./dev setup (or pip install pyinstrument)") from exc

    profiler = Profiler(interval=0.005)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"profile-{period}.txt").write_text(profiler.output_text(unicode=True, show_all=False))
        (folder / f"profile-{period}.html").write_text(profiler.output_html())


def run_bench(*, residents: int, workdir: Path, database_url: str | None, output: Path, console: Console,
              periods: tuple[str, str] = ("2026-09", "2026-10"), seed: int = 42,
              profile: Path | None = None, publish_sizes: tuple[int, ...] = (100_000, 300_000),
              repeat: int = 1) -> dict:
    """Run the benchmark (see the README's "Scale"). With ``repeat`` > 1 the two periods
    run that many times, each round into a fresh data folder and a fresh throwaway
    database; each period's figures are then those of its median round (by total time),
    every round is kept under ``"rounds"``, and the spread is printed."""
    if repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    if repeat > 1 and database_url:
        raise SystemExit("a repeated benchmark needs a fresh database for every round (the "
                         "second round would find its releases published already): leave "
                         "--database-url out")
    started = time.perf_counter()
    import expectations.validate  # noqa: F401 - Great Expectations: several seconds
    from flows.monthly import monthly_reconciliation

    import_seconds = time.perf_counter() - started
    from core.settings import (
        DatabaseSettings,
        Settings,
        SourcesSettings,
        ValidationSettings,
        to_toml,
    )
    from devkit.demo import generate_sample
    from devkit.local_sshd import LocalSshd

    if not LocalSshd.available():
        raise SystemExit("the benchmark serves the extracts from a real OpenSSH sshd: install openssh-server")
    workdir = workdir.resolve()
    sample_dir = workdir / "sample"
    console.rule("[bold]sample data")
    t0 = time.perf_counter()
    manifest = generate_sample(sample_dir, residents=residents, start=periods[0], months=len(periods), seed=seed, console=console)
    sample_seconds = time.perf_counter() - t0
    data_dir = workdir / "run"
    shutil.rmtree(data_dir, ignore_errors=True)
    figures: dict = {"residents": residents, "periods": {}, "sample_seconds": round(sample_seconds, 1),
                     "targets": {"total_seconds": TARGET_SECONDS, "peak_bytes": TARGET_PEAK_BYTES, "floor_ratio": TARGET_FLOOR_RATIO}}
    try:
        figures["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        figures["commit"] = None

    @contextmanager
    def database():
        if database_url:
            yield database_url
        else:
            with throwaway_postgres() as url:
                yield url

    rounds: list[dict] = []
    with LocalSshd(Path(manifest.sftp_root), workdir / "sshd") as sshd:
        console.rule("[bold]process start-up (not counted in the periods)")
        figures["import_seconds"] = round(import_seconds, 2)
        console.print(f"importing the flow and its libraries (Prefect, pandas, Great Expectations): "
                      f"{import_seconds:.1f} s, once per flow-run process")
        figures["prefect_start_seconds"] = round(warm_up_prefect(), 2)
        console.print(f"Prefect API ready in {figures['prefect_start_seconds']:.1f} s")
        for round_no in range(1, repeat + 1):
            shutil.rmtree(data_dir, ignore_errors=True)
            with database() as db_url:
                settings = Settings(
                    data_dir=data_dir,
                    sources=SourcesSettings.served_by(sshd),
                    database=DatabaseSettings(url=db_url),
                    validation=ValidationSettings(data_docs=False),
                )
                data_dir.mkdir(parents=True, exist_ok=True)
                config = data_dir / "sigap.toml"
                config.write_text(to_toml(settings, include_secrets=True), encoding="utf-8")
                label = f" (round {round_no} of {repeat})" if repeat > 1 else ""
                rounds.append(_run_periods(periods, config, console, profile, label, monthly_reconciliation))
    for period in periods:
        ordered = sorted(rounds, key=lambda r: r[period]["total_seconds"])
        figures["periods"][period] = ordered[(len(ordered) - 1) // 2][period]
    if repeat > 1:
        figures["rounds"] = rounds
        console.rule(f"[bold]{repeat} rounds: the median round of each period is reported")
        for period in periods:
            totals = sorted(r[period]["total_seconds"] for r in rounds)
            ratios = sorted(r[period]["total_over_floor"] or 0.0 for r in rounds)
            console.print(f"{period}: total {totals[0]:.1f} / {totals[(len(totals) - 1) // 2]:.1f} / "
                          f"{totals[-1]:.1f} s, ratio to the floor x{ratios[0]:.1f} / "
                          f"x{ratios[(len(ratios) - 1) // 2]:.1f} / x{ratios[-1]:.1f} (min / median / max)")
    console.rule("[bold]bulk publishing")
    figures["publish"] = _publish_figures(PG_ADMIN_URL, console, publish_sizes)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(figures, indent=2))
    console.print(f"figures written to {output}")
    return figures


def _run_periods(periods, config: Path, console: Console, profile: Path | None, label: str,
                 monthly_reconciliation) -> dict:
    """One round: each period end to end, with its floor; the figures per period."""
    from flows.runtime import local_flow_runs

    out: dict = {}
    for period in periods:
        console.rule(f"[bold]period {period}{label}")
        start = time.perf_counter()
        with _profiled(profile, period), local_flow_runs():
            summary = monthly_reconciliation(period=period, config=str(config))
        total = time.perf_counter() - start
        floor = pyarrow_floor([Path(v.file) for v in summary.validations])
        stages = [
            {"stage": t.stage, "seconds": round(t.seconds, 2), "peak_rss_mib": round(t.peak_rss_bytes / 2**20)}
            for t in summary.timings
        ]
        peak = max((t.peak_rss_bytes for t in summary.timings), default=0)
        out[period] = {
            "total_seconds": round(total, 2),
            "peak_rss_mib": round(peak / 2**20),
            "floor_seconds": round(floor, 2),
            "total_over_floor": round(total / floor, 2) if floor else None,
            "stages": stages,
            "counts": summary.counts,
            "changes": summary.changes,
            "rows": {v.source: v.rows_total for v in summary.validations},
            "meets_targets": total <= TARGET_SECONDS and peak <= TARGET_PEAK_BYTES and total <= TARGET_FLOOR_RATIO * floor,
        }
        _print_period(console, period, out[period])
    return out


def _print_period(console: Console, period: str, fig: dict) -> None:
    console.print(f"[bold]{period}: {fig['total_seconds']:.1f} s total, peak {fig['peak_rss_mib']:,} MiB, "
                  f"floor {fig['floor_seconds']:.1f} s (x{fig['total_over_floor']})", soft_wrap=True)
    table = Table()
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    table.add_column("peak MiB", justify="right")
    for s in fig["stages"]:
        table.add_row(s["stage"], f"{s['seconds']:.2f}", f"{s['peak_rss_mib']:,}")
    console.print(table)
    verdict = "meets" if fig["meets_targets"] else "MISSES"
    console.print(f"{verdict} the targets (<= {TARGET_SECONDS:.0f} s, <= 3 GiB, <= {TARGET_FLOOR_RATIO:.0f} x floor)")
