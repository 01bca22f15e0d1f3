"""``sigap demo`` and ``sigap sample``: the whole monthly cycle on generated data, with
embedded defaults (an embedded SFTP server on 127.0.0.1, a SQLite registry, Prefect
without a server)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.errors import InvalidInput
from domain.periods import next_period, parse_period

#: the demo's quota: the sample's city-paid participants plus this share, so that some
#: eligible residents are enrolled and the rest wait-listed (the city's 51,666 would
#: enrol every eligible resident of a small sample)
DEMO_QUOTA_HEADROOM = 1.15


def periods_from(start: str, months: int) -> list[str]:
    parse_period(start)
    if months < 1:
        raise InvalidInput("months must be at least 1")
    out = [start]
    while len(out) < months:
        out.append(next_period(out[-1]))
    return out


def generate_sample(
    out: Path, *, residents: int, start: str, months: int, seed: int, console: Console,
    disability_column: bool = True,
):
    """Generate (or reuse, when already generated with the same parameters) a sample;
    ``disability_column=False``: DTSEN extracts without the optional DISABILITAS column."""
    from devkit.sample import generate, load_manifest

    periods = periods_from(start, months)
    params = {"residents": residents, "periods": periods, "seed": seed}
    if not disability_column:
        params["disability_column"] = False
    marker = out / "sample-parameters.json"
    if marker.is_file() and json.loads(marker.read_text()) == params:
        manifest = load_manifest(out)
        if manifest is not None:
            console.print(f"reusing the sample in {out} ({residents:,} residents, {', '.join(periods)})")
            return manifest
    with Progress(
        TextColumn("[bold]sample[/]"), BarColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:
        bar = progress.add_task("starting", total=1.0)
        manifest = generate(
            out, residents=residents, periods=periods, seed=seed, disability_column=disability_column,
            progress=lambda msg, frac: progress.update(bar, description=msg, completed=frac),
        )
    marker.write_text(json.dumps(params))
    console.print(f"sample: {residents:,} residents, periods {', '.join(periods)} -> {out}")
    return manifest


def demo_quota(manifest, period: str) -> int:
    """A quota that leaves some free places in the sample (see DEMO_QUOTA_HEADROOM)."""
    summary = json.loads((Path(manifest.truth_root) / period / "summary.json").read_text())
    guarantee = summary["enroll_guarantee"]
    return max(int(guarantee["holds_for_quota_at_least"]), round(guarantee["city_aktif_kpjs"] * DEMO_QUOTA_HEADROOM))


def run_demo(
    *,
    workdir: Path,
    residents: int,
    start: str,
    months: int,
    seed: int,
    console: Console,
    show_summary: Callable[[object], None] | None = None,
) -> list:
    """Generate the sample, serve it and reconcile each period; ``show_summary`` prints each
    period's summary (the CLI passes its own; default: the summary's lines)."""
    from core.settings import RuleSettings, Settings, SourcesSettings, to_toml
    from devkit.sftp_server import EmbeddedSftpServer
    from flows.monthly import monthly_reconciliation
    from flows.runtime import local_flow_runs

    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    manifest = generate_sample(workdir / "sample", residents=residents, start=start, months=months, seed=seed, console=console)
    periods = periods_from(start, months)
    quota = demo_quota(manifest, periods[0])
    summaries = []
    with EmbeddedSftpServer(root=Path(manifest.sftp_root), state_dir=workdir / "sftp-server") as server:
        console.print(f"embedded SFTP server on {server.host}:{server.port} serving {manifest.sftp_root}")
        settings = Settings(
            data_dir=workdir,
            sources=SourcesSettings.served_by(server),
            rules=RuleSettings(quota=quota),
        )
        config = workdir / "sigap.toml"
        config.write_text(
            "# Settings written by `sigap demo` (the embedded SFTP server's port changes per run).\n"
            + to_toml(settings),
            encoding="utf-8",
        )
        for period in periods:
            console.rule(f"[bold]monthly reconciliation {period}")
            with local_flow_runs():
                summary = monthly_reconciliation(period=period, config=str(config))
            if show_summary is not None:
                show_summary(summary)
            else:
                for line in summary.lines():
                    console.print(line)
            summaries.append(summary)
    _print_overview(summaries, workdir, settings, console)
    return summaries


def _print_overview(summaries: list, workdir: Path, settings, console: Console) -> None:
    table = Table(title="SIGAP demo: decisions per period")
    decisions = list(summaries[0].counts) if summaries else []
    table.add_column("period")
    table.add_column("release")
    for d in decisions:
        table.add_column(d, justify="right")
    table.add_column("monthly cost", justify="right")
    for s in summaries:
        table.add_row(
            s.period, f"v{s.version} {s.status}", *[f"{s.counts[d]:,}" for d in decisions],
            f"Rp{s.quota.get('monthly_cost_idr', 0):,}",
        )
    console.print(table)
    console.print(f"registry (SQLite): {settings.database_url.removeprefix('sqlite:///')}")
    console.print(
        f"outbox (registry CSV, BPJS mutations, worklists, reports, open data, finance list): {settings.outbox}"
    )
    console.print(f"rejects, Data Docs, run files: {workdir / 'runs'}")
    console.print(f"settings used: {workdir / 'sigap.toml'}")
    console.print(
        "See the runs in the Prefect UI: `PREFECT_SERVER_ANALYTICS_ENABLED=false "
        ".venv/bin/prefect server start`, then in another shell "
        "`PREFECT_API_URL=http://127.0.0.1:4200/api ./dev demo` and open http://127.0.0.1:4200"
        f"; for the report and Data Docs links: `SIGAP_DATA_DIR={workdir} .venv/bin/sigap files-serve` "
        "and `SIGAP_LINKS__BASE_URL=http://127.0.0.1:8765/` beside PREFECT_API_URL"
    )
