"""The ``sigap`` command line.

Every command reads the settings (``--config`` TOML file, ``SIGAP_...`` environment
variables) and handles errors in one place: a SIGAP error prints one clear message with
what to do next and exits non-zero, never a traceback.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from core.errors import SigapError

# The registry holds personal data: the embedded Prefect server sends no usage telemetry
# unless the operator explicitly turns it on.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Without a Prefect server, Prefect starts a temporary one; its first start on a machine
# migrates a new SQLite database under PREFECT_HOME, which on a small machine takes longer
# than Prefect's default 20 s allowance ("Timed out while attempting to connect to
# ephemeral Prefect API server" on a fresh machine's first `sigap demo` or `sigap bench`).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

app = typer.Typer(
    name="sigap",
    help=(
        "SIGAP Registry: the monthly reconciliation of Kota Bekasi's city-paid BPJS "
        "Ketenagakerjaan (JKK+JKM) participants against Dukcapil and DTSEN.\n\n"
        "Start with `sigap demo` (sample data, embedded SFTP server, SQLite, no Prefect "
        "server needed)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The registry database (Alembic migrations).", no_args_is_help=True)
settings_app = typer.Typer(help="Show the settings and their documentation.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(settings_app, name="settings")

console = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", help="settings TOML file (default: $SIGAP_CONFIG or ./sigap.toml)"),
]
PeriodOpt = Annotated[str, typer.Option("--period", "-p", help="the period, YYYY-MM")]


def _fail(exc: BaseException) -> None:
    message = str(exc) or type(exc).__name__
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(code=2 if isinstance(exc, SigapError) else 1)


def _guard(fn):
    """Run a command body with the project's error handling."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except SigapError as exc:
            _fail(exc)
        except ValueError as exc:  # bad input the domain refused (a period, a number...)
            _fail(exc)
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(code=130)

    return wrapper


def _settings(config: Path | None, **overrides):
    from core.settings import load_settings

    return load_settings(config, **overrides)


# --- the main job ------------------------------------------------------------------------


@app.command()
@_guard
def run(
    period: Annotated[Optional[str], typer.Option("--period", "-p", help="YYYY-MM (default: previous month, Jakarta time)")] = None,
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option(help="re-validate everything and publish a new version even if nothing changed")] = False,
    accept_flagged: Annotated[
        Optional[list[str]],
        typer.Option("--accept-flagged", help="accept SOURCE for this run although it failed an extract-level check (repeatable; recorded on the release)"),
    ] = None,
    cascade: Annotated[bool, typer.Option(help="then re-run every later period whose release is stale, in order")] = False,
) -> None:
    """Reconcile one period against the configured SFTP servers and publish a release.

    The period is built on the current release of the period before it: a period whose
    previous period has no current release (or a stale one) is refused."""
    from flows.monthly import monthly_reconciliation
    from flows.runtime import local_flow_runs

    with local_flow_runs():
        summary = monthly_reconciliation(
            period=period, force=force, accept_flagged=accept_flagged or None,
            config=str(config) if config else None, cascade=cascade,
        )
    print_summary(summary)


@app.command()
@_guard
def backfill(
    first: Annotated[str, typer.Option("--from", help="first period, YYYY-MM")],
    last: Annotated[str, typer.Option("--to", help="last period, YYYY-MM (inclusive)")],
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option(help="publish a new version of every period even where nothing changed")] = False,
) -> None:
    """Reconcile consecutive periods in order, each as its own run (onboarding the months
    before go-live, catching up after an outage); stops at the first failure."""
    from flows.backfill import backfill as backfill_flow
    from flows.runtime import local_flow_runs

    with local_flow_runs():
        done = backfill_flow(first=first, last=last, config=str(config) if config else None, force=force)
    table = Table(title=f"SIGAP backfill {first}..{last}")
    for column in ("period", "status", "version", "release"):
        table.add_column(column)
    for row in done:
        table.add_row(row["period"], row["status"], f"v{row['version']}", str(row["release_id"]))
    console.print(table)


@app.command()
@_guard
def status(config: ConfigOpt = None) -> None:
    """Every period with its current release: version, status, what it is built on, and
    whether it is stale (a period it was built on has a newer version)."""
    from sigap.lookups import registry_status

    rows = registry_status(_settings(config))
    if not rows:
        console.print("the registry holds no release yet")
        return
    table = Table(title="SIGAP registry: current release per period")
    for column in ("period", "version", "release", "status", "built on", "stale since", "why stale"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["period"], f"v{r['version']} of {r['versions']}", str(r["release_id"]), r["status"],
            r["based_on"] or "-", r["stale_since"] or "-", r["stale_because"] or "-",
        )
    console.print(table)
    stale = [r["period"] for r in rows if r["status"] == "STALE"]
    if stale:
        console.print(f"stale: {', '.join(stale)}: re-run them in order with `sigap run --period {stale[0]} --cascade`")


@app.command()
@_guard
def diff(
    period: PeriodOpt,
    from_version: Annotated[Optional[int], typer.Option("--from", help="older version (default: the one before --to)")] = None,
    to_version: Annotated[Optional[int], typer.Option("--to", help="newer version (default: the latest)")] = None,
    show_people: Annotated[bool, typer.Option(help="also list the people whose decision changed (full NIK and name: the operator's look-up)")] = False,
    config: ConfigOpt = None,
) -> None:
    """What changed between two versions of a period: input files (digests), rules, base
    release, and the decision changes (counts by old -> new decision)."""
    from sigap.lookups import diff_versions

    result = diff_versions(_settings(config), period, from_version, to_version)
    for line in result.lines():
        console.print(line, markup=False, highlight=False)
    if show_people and result.changes is not None and len(result.changes):
        # one line per person, |-separated like the outbox file (no wrapping of NIKs)
        console.print("|".join(result.changes.columns), markup=False, highlight=False, soft_wrap=True)
        for row in result.changes.itertuples(index=False):
            text = "|".join("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in row)
            console.print(text, markup=False, highlight=False, soft_wrap=True)


@app.command()
@_guard
def demo(
    residents: Annotated[int, typer.Option(help="residents in the sample city")] = 20_000,
    start: Annotated[str, typer.Option(help="first sample period, YYYY-MM")] = "2026-08",
    months: Annotated[int, typer.Option(help="consecutive periods to reconcile")] = 3,
    workdir: Annotated[Path, typer.Option(help="where the demo keeps everything")] = Path("data/demo"),
    seed: Annotated[int, typer.Option(help="random seed of the sample")] = 42,
) -> None:
    """Generate sample extracts, serve them from an embedded SFTP server on 127.0.0.1, and
    run the monthly reconciliation for each sample period (SQLite registry, no Prefect
    server needed)."""
    from devkit.demo import run_demo

    run_demo(
        workdir=workdir, residents=residents, start=start, months=months, seed=seed,
        console=console, show_summary=print_summary,
    )


@app.command()
@_guard
def sample(
    out: Annotated[Path, typer.Option(help="output folder (sftp/ tree and truth/)")] = Path("data/sample"),
    residents: Annotated[int, typer.Option(help="residents (1,000 to 2,600,000)")] = 20_000,
    start: Annotated[str, typer.Option(help="first period, YYYY-MM")] = "2026-08",
    months: Annotated[int, typer.Option(help="consecutive periods")] = 2,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same files)")] = 42,
) -> None:
    """Write contract-conformant sample extracts (+ .sha256) and their ground truth."""
    from devkit.demo import generate_sample

    manifest = generate_sample(out, residents=residents, start=start, months=months, seed=seed, console=console)
    console.print(f"sample written: SFTP tree [bold]{manifest.sftp_root}[/], ground truth {manifest.truth_root}")


@app.command()
@_guard
def explain(
    period: PeriodOpt,
    nik: Annotated[Optional[str], typer.Option(help="the person's NIK")] = None,
    kpj: Annotated[Optional[str], typer.Option(help="or the participant's KPJ")] = None,
    config: ConfigOpt = None,
) -> None:
    """A person's decision, reasons and evidence in the period's latest release.

    This is the operator's own look-up: it shows the full NIK and name."""
    from sigap.lookups import explain_person

    if not nik and not kpj:
        raise typer.BadParameter("give --nik or --kpj")
    console.print(explain_person(_settings(config), period, nik=nik, kpj=kpj))


@app.command()
@_guard
def whatif(
    period: PeriodOpt,
    budget: Annotated[Optional[int], typer.Option(help="annual budget in rupiah")] = None,
    quota: Annotated[Optional[int], typer.Option(help="participant quota")] = None,
    config: ConfigOpt = None,
) -> None:
    """How many more would be enrolled with another budget or quota (publishes nothing)."""
    from sigap.lookups import what_if

    console.print(what_if(_settings(config), period, budget=budget, quota=quota))


@app.command("verify-results")
@_guard
def verify_results(
    file: Annotated[Path, typer.Argument(help="HASIL_VERIFIKASI_YYYYMM.csv (with its .sha256 beside it)")],
    period: Annotated[Optional[str], typer.Option(help="period the results belong to (default: from the file name)")] = None,
    config: ConfigOpt = None,
) -> None:
    """Check a re-verification results file and record its answers for its period: every
    run of that period applies them (re-run the period if it is already published)."""
    from sigap.lookups import stage_verification_results

    console.print(stage_verification_results(_settings(config), file, period))


@app.command()
@_guard
def reverify(period: PeriodOpt, config: ConfigOpt = None) -> None:
    """Run the re-verification flow (kelurahan worklists) for a period's latest release."""
    from flows.reverification import reverification
    from flows.runtime import local_flow_runs

    with local_flow_runs():
        summary = reverification(period=period, config=str(config) if config else None)
    console.print(f"{summary.open_cases:,} open cases, worklists in {summary.folder}")


@app.command()
@_guard
def serve(config: ConfigOpt = None) -> None:
    """Serve the deployments from this process (schedule, concurrency limit 1, event
    trigger, backfill): a single-machine setup without a work pool. Needs a Prefect server
    (PREFECT_API_URL)."""
    from infra.serve import serve_flows

    serve_flows(str(config) if config else None)


@app.command()
@_guard
def bench(
    residents: Annotated[int, typer.Option(help="residents (full city: 2,600,000)")] = 2_600_000,
    workdir: Annotated[Path, typer.Option(help="benchmark working folder")] = Path("bench-out"),
    database_url: Annotated[Optional[str], typer.Option(help="registry URL (default: a throwaway PostgreSQL database at 127.0.0.1:5432)")] = None,
    output: Annotated[Path, typer.Option(help="figures as JSON")] = Path("bench-out/bench.json"),
    profile: Annotated[Optional[Path], typer.Option(help="profile each period with pyinstrument into this folder (slower)")] = None,
    repeat: Annotated[int, typer.Option(help="run the two periods this many times (fresh database each round) and report each period's median round")] = 1,
) -> None:
    """The city-scale benchmark: two periods end to end over a real OpenSSH sshd,
    publishing to PostgreSQL; prints time and peak memory per stage and the pyarrow floor."""
    from devkit.bench import run_bench

    run_bench(residents=residents, workdir=workdir, database_url=database_url, output=output, console=console,
              profile=profile, repeat=repeat)


@app.command("scale-demo")
@_guard
def scale_demo(
    residents: Annotated[int, typer.Option(help="residents (10,000,000: a province-sized test)")] = 10_000_000,
    partitions: Annotated[int, typer.Option(help="partitions by NIK hash")] = 8,
    workers: Annotated[int, typer.Option(help="workers of the local Dask cluster")] = 2,
    workdir: Annotated[Path, typer.Option(help="working folder (the sample is reused)")] = Path("scale-out"),
    address: Annotated[Optional[str], typer.Option(help="an existing Dask scheduler, e.g. tcp://10.0.0.5:8786")] = None,
    staging: Annotated[bool, typer.Option(help="stage partitions as Parquet for the workers")] = True,
    output: Annotated[Optional[Path], typer.Option(help="figures as JSON")] = None,
) -> None:
    """One period reconciled in one process and on NIK-hash partitions as mapped Prefect
    tasks on Dask (prefect-dask): timings, peak memory, and a check that both outputs are
    identical."""
    import json

    from devkit.scale import run_scale_demo

    figures = run_scale_demo(residents, partitions, workers, workdir, address, staging=staging, echo=console.print)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(figures, indent=2, default=str))


# --- database and settings -----------------------------------------------------------------


@db_app.command("upgrade")
@_guard
def db_upgrade(config: ConfigOpt = None, revision: str = "head") -> None:
    """Apply the Alembic migrations to the registry database."""
    from connectors import registry_db

    settings = _settings(config)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    registry_db.upgrade(settings.database_url, revision)
    console.print(f"registry at revision {registry_db.current_revision(settings.database_url)}")


@db_app.command("current")
@_guard
def db_current(config: ConfigOpt = None) -> None:
    """Show the registry database's migration revision."""
    from connectors import registry_db

    console.print(registry_db.current_revision(_settings(config).database_url) or "(empty database)")


@settings_app.command("show")
@_guard
def settings_show(config: ConfigOpt = None) -> None:
    """The effective settings as TOML (secrets left out)."""
    from core.settings import to_toml

    console.print(to_toml(_settings(config)), markup=False, highlight=False)


@settings_app.command("table")
def settings_table() -> None:
    """The settings table of the README (Markdown), from the fields' descriptions."""
    from core.settings import settings_markdown_table

    print(settings_markdown_table())


# --- output --------------------------------------------------------------------------------


def print_summary(summary) -> None:
    table = Table(title=f"SIGAP {summary.period}: release v{summary.version} ({summary.status})")
    table.add_column("decision")
    table.add_column("people", justify="right")
    for decision, count in summary.counts.items():
        table.add_row(decision, f"{count:,}")
    console.print(table)
    for line in summary.lines():
        console.print(line)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
