"""Fixtures of the tests against a real Prefect server.

One of everything for this folder (package scope), because a run costs seconds:

- the session's Prefect API server (root ``prefect_harness``: ``prefect_test_harness``, a
  real server process on a temporary SQLite database). Besides the REST API, an ephemeral
  server runs the services marked ``RunInEphemeralServers``: the event persister, the
  reactive triggers, the actions and the task-run recorder (see
  ``prefect/server/api/server.py`` ``create_app`` and ``prefect/server/events/services``),
  which is what a ``DeploymentEventTrigger`` needs. It does not run the scheduler, which
  these tests do not need (runs are created with ``run_deployment`` or by the trigger);
- one generated sample (4,000 residents, 2026-08 and 2026-09) served by one embedded SFTP
  server, and one settings file with ``mode = "server"`` (the monthly flow emits
  ``sigap.population.changed`` and leaves re-verification to the deployment's trigger);
- ``served``: the two deployments of ``infra.deployments.deployments(config)`` registered
  on the server (with the re-verification trigger) and served in-process by a Runner;
- ``monthly_run``: the run of 2026-08 started through the monthly deployment, finished.

Tests that start more runs read the registry database to learn what was published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect.client.schemas.objects import FlowRun

from tests.integration.prefect_server import prefect_api
from tests.integration.prefect_server.personal_data import PersonalData, collect_personal_data
from tests.integration.prefect_server.scenario import (
    FIRST_PERIOD,
    PERIODS,
    RESIDENTS,
    RUN_TIMEOUT,
    SEED,
)
from tests.integration.prefect_server.serving import ServedDeployments


@pytest.fixture(scope="package")
def server_sample(tmp_path_factory):
    """The generated sample (extracts of both periods, on an SFTP-shaped tree)."""
    from devkit.sample import generate

    return generate(
        tmp_path_factory.mktemp("prefect-server-sample"),
        residents=RESIDENTS,
        periods=list(PERIODS),
        seed=SEED,
    )


@pytest.fixture(scope="package")
def personal_data(server_sample) -> PersonalData:
    """Every NIK (16-digit number) and full name of the sample's extracts."""
    return collect_personal_data(server_sample.files)


@pytest.fixture(scope="package")
def sftp_server(server_sample, tmp_path_factory):
    from devkit.sftp_server import EmbeddedSftpServer

    with EmbeddedSftpServer(
        root=Path(server_sample.sftp_root), state_dir=tmp_path_factory.mktemp("prefect-server-sftp")
    ) as server:
        yield server


@pytest.fixture(scope="package")
def sigap_root(tmp_path_factory) -> Path:
    """The folder of the runs' data dir, registry and outbox."""
    return tmp_path_factory.mktemp("prefect-server-sigap")


@pytest.fixture(scope="package")
def files_server(sigap_root):
    """The report server (``infra/files_server.py``) over the runs' data dir and outbox,
    on a free port of 127.0.0.1: the UI's links lead there (``links.base_url``)."""
    from core.settings import LinkSettings, Settings
    from infra.files_server import FilesServer

    settings = Settings(data_dir=sigap_root / "data", links=LinkSettings(server_port=0))
    with FilesServer(settings) as server:
        yield server


@pytest.fixture(scope="package")
def sigap_config(server_sample, sftp_server, sigap_root, files_server) -> Path:
    """The settings file every run of this folder uses (its data dir, registry and outbox
    are under a temporary folder; its links lead to ``files_server``)."""
    from devkit.demo import demo_quota
    from core.settings import LinkSettings, RuleSettings, Settings, SourcesSettings, to_toml

    settings = Settings(
        data_dir=sigap_root / "data",
        mode="server",
        sources=SourcesSettings.served_by(sftp_server),
        rules=RuleSettings(quota=demo_quota(server_sample, FIRST_PERIOD)),
        links=LinkSettings(base_url=files_server.url),
    )
    config = sigap_root / "sigap.toml"
    config.write_text(to_toml(settings), encoding="utf-8")
    return config


@pytest.fixture(scope="package")
def sigap_settings(sigap_config):
    from core.settings import load_settings

    return load_settings(sigap_config)


@pytest.fixture(scope="package")
def registry_engine(sigap_settings):
    """The registry database the runs publish into (created by the first run)."""
    from connectors import registry_db

    engine = registry_db.make_engine(sigap_settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="package")
def served(prefect_harness, sigap_config) -> Iterator[ServedDeployments]:
    """``infra.deployments.deployments(config)`` registered on the server and served.

    At the end: the trigger is paused (no new runs), runs still in flight (e.g. a
    re-verification a later publish triggered) are given time to finish, the runner is
    stopped, and the deployments and their automations are deleted from the server.
    """
    from infra.deployments import deployments

    with ServedDeployments(deployments(config=str(sigap_config))) as serving:
        try:
            yield serving
        finally:
            ids = list(serving.ids.values())
            for deployment_id in ids:
                prefect_api.pause_automations(deployment_id)
            try:
                prefect_api.poll_until(
                    "the served deployments' runs to finish",
                    lambda: not prefect_api.unfinished_runs(ids),
                    timeout=RUN_TIMEOUT,
                    interval=2.0,
                )
            finally:
                serving.stop()
                for deployment_id in ids:
                    prefect_api.delete_deployment(deployment_id)


@pytest.fixture(scope="package")
def monthly_run(served, sigap_config):
    """The 2026-08 run started through the monthly deployment, finished, with its log
    lines shipped (``started_at`` is when the test asked for it)."""
    started_at = dt.datetime.now(dt.UTC)
    created = prefect_api.start_monthly_run(FIRST_PERIOD, str(sigap_config))
    run = prefect_api.wait_for_final_state(created.id, timeout=RUN_TIMEOUT)
    if run.state is not None and run.state.is_completed():
        prefect_api.wait_for_flow_log(run.id, "Finished in state")
    return MonthlyRun(run=run, started_at=started_at)


@dataclass(frozen=True)
class MonthlyRun:
    """The finished flow run of ``monthly_run`` and when it was asked for."""

    run: FlowRun
    started_at: dt.datetime
