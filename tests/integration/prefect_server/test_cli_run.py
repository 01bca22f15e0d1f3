"""``sigap run`` against a Prefect server that has the monthly deployment: the run is a
run of the deployment (so that *Retry* works in the UI), tagged ``via:cli``; the command
waits for it and prints its outcome; a failure is one ``error:`` line with the command
line's advice."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.extracts import DUKCAPIL
from sigap.cli import app
from tests.integration.prefect_server import prefect_api
from tests.integration.prefect_server.scenario import FIRST_PERIOD

pytestmark = pytest.mark.prefect


@pytest.fixture()
def broken_config(server_sample, tmp_path) -> Path:
    """A private tree whose Dukcapil extract has too many bad NIKs, and its settings."""
    from core.settings import RuleSettings, Settings, SourcesSettings, to_toml
    from devkit.demo import demo_quota

    tree = tmp_path / "inbox"
    shutil.copytree(server_sample.sftp_root, tree)
    path = tree / "dukcapil" / DUKCAPIL.remote_path(FIRST_PERIOD)
    lines = gzip.decompress(path.read_bytes()).decode("utf-8-sig").splitlines()
    column = lines[0].split("|").index("NIK")
    for n in range(1, 61):
        fields = lines[n].split("|")
        fields[column] = "12345"
        lines[n] = "|".join(fields)
    data = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    path.write_bytes(data)
    Path(f"{path}.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n")
    settings = Settings(
        data_dir=tmp_path / "data",
        sources=SourcesSettings(kind="local", local_root=tree),
        rules=RuleSettings(quota=demo_quota(server_sample, FIRST_PERIOD)),
    )
    config = tmp_path / "sigap.toml"
    config.write_text(to_toml(settings), encoding="utf-8")
    return config


def _cli_runs(served, since: dt.datetime) -> list:
    runs = prefect_api.deployment_runs(served.id_of(prefect_api.MONTHLY), created_after=since)
    return [r for r in runs if "via:cli" in (r.tags or [])]


def test_sigap_run_goes_through_the_deployment_and_reads_for_the_command_line(
    served, broken_config
):
    runner = CliRunner()
    started = dt.datetime.now(dt.UTC)
    out = runner.invoke(app, ["run", "--period", FIRST_PERIOD, "--config", str(broken_config)])
    assert out.exit_code == 2, out.output
    assert "Traceback" not in out.output
    [error] = [line for line in out.output.splitlines() if line.startswith("error:")]
    assert f"sigap run --period {FIRST_PERIOD} --accept-flagged dukcapil" in error
    assert "accept_flagged =" not in error and "Retry this run" not in error
    [failed] = _cli_runs(served, started)
    assert failed.state.is_failed() and failed.deployment_id == served.id_of(prefect_api.MONTHLY)
    assert str(failed.id) in error  # where to find the run in the UI

    # the operator checked the delivery and accepts it
    out = runner.invoke(
        app,
        ["run", "--period", FIRST_PERIOD, "--config", str(broken_config), "--accept-flagged", "dukcapil"],
    )
    assert out.exit_code == 0, out.output
    assert f"reconcile-{FIRST_PERIOD}: {FIRST_PERIOD}: published release v1" in out.output
    runs = _cli_runs(served, started)
    assert len(runs) == 2 and runs[1].state.is_completed()
    assert runs[1].parameters["accept_flagged"] == ["dukcapil"]
    assert "published-v1" in runs[1].tags
