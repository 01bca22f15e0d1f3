"""The ``sigap`` command line.

Every command reads the settings (``--config`` TOML file, ``SIGAP_...`` environment
variables) and handles errors in one place: a SIGAP error prints one clear message with
what to do next and exits non-zero, never a traceback.
"""

from __future__ import annotations

import math
import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from core.errors import InvalidInput, SigapError

# The registry holds personal data: neither the embedded Prefect server nor Prefect's
# client sends usage telemetry unless the operator explicitly turns it on.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
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

def _check_period(value: str | None) -> str | None:
    """Refuse a bad period before the command starts (the message names the value and
    the expected form)."""
    from domain.periods import parse_period

    if value is not None:
        try:
            parse_period(value)
        except InvalidInput as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


ConfigOpt = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", help="settings TOML file (default: $SIGAP_CONFIG or ./sigap.toml)"),
]
PeriodOpt = Annotated[
    str, typer.Option("--period", "-p", help="the period, YYYY-MM", callback=_check_period)
]


def _fail(exc: BaseException) -> None:
    message = str(exc) or type(exc).__name__
    # one line, however long: a wrapped message would read as several
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
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
        except SigapError as exc:  # InvalidInput too: bad input the domain refused
            _fail(exc)
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(code=130)

    return wrapper


def _settings(config: Path | None, **overrides):
    from core.settings import load_settings

    return load_settings(config, **overrides)


# --- the main job ------------------------------------------------------------------------


class RunFailed(SigapError):
    """A run of the monthly deployment that ``sigap run`` started ended failed; the
    message is the run's final state message (what went wrong and what to do next)."""


@app.command()
@_guard
def run(
    period: Annotated[Optional[str], typer.Option("--period", "-p", help="YYYY-MM (default: previous month, Jakarta time)", callback=_check_period)] = None,
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option(help="re-validate everything and publish a new version even if nothing changed")] = False,
    accept_flagged: Annotated[
        Optional[list[str]],
        typer.Option("--accept-flagged", help="accept SOURCE for this run although it failed an extract-level check (repeatable; recorded on the release)"),
    ] = None,
    wait_for_deliveries: Annotated[
        bool,
        typer.Option("--wait-for-deliveries", help="wait for extracts not delivered yet, until the deadline (late_deliveries.*), instead of failing at once"),
    ] = False,
    local: Annotated[
        bool,
        typer.Option("--local", help="run in this process even when a Prefect server has the monthly deployment"),
    ] = False,
    cascade: Annotated[bool, typer.Option(help="then re-run every later period whose release is stale, in order")] = False,
) -> None:
    """Reconcile one period against the configured SFTP servers and publish a release.

    With a Prefect server (PREFECT_API_URL) that has the monthly deployment, the run is a
    run of that deployment (its worker runs it; Retry works in the UI) and this command
    waits for it; otherwise (or with --local) the run happens in this process.

    The period is built on the current release of the period before it: a period whose
    previous period has no current release (or a stale one) is refused."""
    from flows.monthly import monthly_reconciliation
    from flows.runtime import local_flow_runs

    if period:
        from domain.periods import parse_period

        parse_period(period)
    if not local and _run_through_deployment(period, config, force, accept_flagged, wait_for_deliveries, cascade):
        return
    with local_flow_runs():
        summary = monthly_reconciliation(
            period=period, force=force, accept_flagged=accept_flagged or None,
            config=str(config) if config else None,
            wait_for_deliveries=wait_for_deliveries or None,
            cascade=cascade,
        )
    print_summary(summary)


def _run_through_deployment(period, config, force, accept_flagged, wait, cascade=False) -> bool:
    """Start and await a run of the monthly deployment; False when there is none."""
    from infra.deployments import monthly_deployment_id, run_monthly_deployment
    from tasks.outcome import VIA_CLI

    if monthly_deployment_id() is None:
        return False
    from prefect.settings import PREFECT_UI_URL

    parameters: dict = {"force": force}
    if period:
        parameters["period"] = period
    if accept_flagged:
        parameters["accept_flagged"] = list(accept_flagged)
    if config:
        parameters["config"] = str(Path(config).resolve())
    if wait:
        parameters["wait_for_deliveries"] = True
    if cascade:
        parameters["cascade"] = True
    err.print("running through the monthly deployment of the Prefect server (its worker runs it) ...")
    flow_run = run_monthly_deployment(parameters, tags=[VIA_CLI])
    state = flow_run.state
    ui = PREFECT_UI_URL.value()
    where = f"{ui}/runs/flow-run/{flow_run.id}" if ui else str(flow_run.id)
    if state is None or not state.is_completed():
        message = (state.message if state else None) or f"ended {state.name if state else 'without a state'}"
        raise RunFailed(f"{flow_run.name}: {message} (the run: {where})")
    console.print(f"{flow_run.name}: {state.message or state.name}")
    console.print(f"the run, its artifacts and report links: {where}")
    return True


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
    start: Annotated[str, typer.Option(help="first sample period, YYYY-MM", callback=_check_period)] = "2026-08",
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
    start: Annotated[str, typer.Option(help="first period, YYYY-MM", callback=_check_period)] = "2026-08",
    months: Annotated[int, typer.Option(help="consecutive periods")] = 2,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same files)")] = 42,
    disability: Annotated[bool, typer.Option(help="DTSEN extracts with the optional DISABILITAS column (--no-disability: without it)")] = True,
) -> None:
    """Write contract-conformant sample extracts (+ .sha256) and their ground truth."""
    from devkit.demo import generate_sample

    manifest = generate_sample(out, residents=residents, start=start, months=months, seed=seed, console=console,
                               disability_column=disability)
    console.print(f"sample written: SFTP tree [bold]{manifest.sftp_root}[/], ground truth {manifest.truth_root}")


class ExplainLang(str, Enum):
    en = "en"
    id = "id"


@app.command()
@_guard
def explain(
    period: PeriodOpt,
    nik: Annotated[Optional[str], typer.Option(help="the person's NIK: anybody, in scope or not")] = None,
    kpj: Annotated[Optional[str], typer.Option(help="or a KPJ of the BPJS list")] = None,
    lang: Annotated[
        ExplainLang,
        typer.Option(help="en: the operator's view; id: a letter in Bahasa Indonesia for the citizen (their own data only)"),
    ] = ExplainLang.en,
    release_version: Annotated[
        Optional[int], typer.Option("--release-version", help="an older release of the period (default: the current one)")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Why a person is, or is not, in the period's registry.

    For anybody in the period's accepted extracts: every eligibility rule with its outcome
    and evidence (desil, occupation, domicile, DTSEN, age, already covered, linked to a
    participant), the decision when in scope, what to do next. For a NIK found nowhere: the
    extracts searched and any quarantined row (line, column, rule). The English view is the
    operator's own look-up (full NIK and name); `--lang id` is a short letter a kelurahan
    officer can hand to the citizen, with no other person's data."""
    from sigap.lookups import explain_person

    if not nik and not kpj:
        raise typer.BadParameter("give --nik or --kpj")
    console.print(
        explain_person(_settings(config), period, nik=nik, kpj=kpj, lang=lang.value, release_version=release_version),
        markup=False, highlight=False,
    )


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
    period: Annotated[Optional[str], typer.Option(help="period the results belong to (default: from the file name)", callback=_check_period)] = None,
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
def status(config: ConfigOpt = None) -> None:
    """Each period's current release: its version, what it is built on, whether it is
    stale (a period it was built on has a newer version) and whether its files are all
    delivered (outbox, upload, worklists); says when `sigap repair` or a cascade has
    something to do."""
    from sigap.lookups import status_report

    report = status_report(_settings(config))
    if not report.rows:
        console.print("no release published yet")
    else:  # plain aligned columns, one line per period: never cut, easy to grep
        titles = list(report.rows[0])
        widths = [max(len(t), *(len(r[t]) for r in report.rows)) for t in titles]
        for cells in [titles, *([r[t] for t in titles] for r in report.rows)]:
            line = "  ".join(c.ljust(w) for c, w in zip(cells, widths))
            console.print(line.rstrip(), markup=False, highlight=False, soft_wrap=True)
    for note in report.notes:
        console.print(note, markup=False, highlight=False, soft_wrap=True)


@app.command()
@_guard
def repair(config: ConfigOpt = None) -> None:
    """Finish every interrupted delivery (files into the outbox with their .sha256,
    missing worklists, uploads to sources.outbound) and remove leftover staging folders.
    Idempotent; every monthly run does the same first."""
    from tasks.deliver import complete_deliveries

    report = complete_deliveries(_settings(config))
    console.print(
        report.line() or "nothing to repair: every release's files are delivered",
        markup=False, highlight=False, soft_wrap=True,
    )  # fmt: skip
    if report.lost:
        raise SigapError(
            "not delivered: " + "; ".join(report.lost),
            hint=(
                "put the file back (the content its recorded sha256 names) and run `sigap repair` "
                "again, or publish a new version of the period: `sigap run --period YYYY-MM --force`"
            ),
        )


@app.command()
@_guard
def serve(
    config: ConfigOpt = None,
    files: Annotated[
        Optional[bool],
        typer.Option("--files/--no-files", help="also start the report server for the UI's links (default: links.serve_files)"),
    ] = None,
) -> None:
    """Serve the deployments from this process (schedule, concurrency limit 1, event
    trigger, backfill): a single-machine setup without a work pool. Needs a Prefect server
    (PREFECT_API_URL). Also starts the report server (reports and Data Docs for the UI's
    links)."""
    from infra.serve import serve_flows

    serve_flows(str(config) if config else None, files=files)


@app.command("files-serve")
@_guard
def files_serve(
    config: ConfigOpt = None,
    host: Annotated[Optional[str], typer.Option(help="address to listen on (default: links.server_host)")] = None,
    port: Annotated[Optional[int], typer.Option(help="port (default: links.server_port)")] = None,
) -> None:
    """The report server alone: serves, read-only, the outbox's reports and the runs' Data
    Docs for the links in the Prefect UI (links.base_url); never files with personal data."""
    from infra.files_server import FilesServer

    server = FilesServer(_settings(config), host=host, port=port)
    err.print(f"report server on {server.url} (reports and Data Docs only; Ctrl-C stops it)")
    server.serve_forever()


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
    registry_db.upgrade(settings.database_url, revision)  # a SQLite file's folder: made 0750
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
    """The effective settings as TOML: the database URL with its password masked (the
    default SQLite file as its resolved URL), other secrets left out."""
    from connectors.registry_db import masked_url
    from core.settings import to_toml

    settings = _settings(config)
    text = to_toml(settings, shown={"database.url": masked_url(settings.database_url)})
    console.print(text, markup=False, highlight=False, soft_wrap=True)


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
