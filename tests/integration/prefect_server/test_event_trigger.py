"""The re-verification deployment's ``DeploymentEventTrigger``: registered on the server
as an automation, and fired by the ``sigap.population.changed`` event that a monthly run
in ``mode = "server"`` emits when its release opens re-verification cases. The server
(its trigger and action services) creates ``reverify-YYYY-MM``; the served runner runs it;
the worklists land in the outbox."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from infra.deployments import POPULATION_CHANGED
from tests.integration.prefect_server import prefect_api
from tests.integration.prefect_server.personal_data import PersonalData, find_leaks
from tests.integration.prefect_server.scenario import FIRST_PERIOD, RUN_TIMEOUT, TRIGGER_TIMEOUT

pytestmark = pytest.mark.prefect

COMPACT = FIRST_PERIOD.replace("-", "")


def test_trigger_is_an_automation_of_the_reverification_deployment(served, sigap_config):
    deployment_id = served.id_of(prefect_api.REVERIFICATION)
    automations = prefect_api.deployment_automations(deployment_id)
    assert [a.name for a in automations] == ["population-changed"]
    automation = automations[0]
    assert automation.trigger.expect == {POPULATION_CHANGED}
    assert automation.trigger.match.model_dump() == {
        "prefect.resource.id": "sigap.registry.release.*"
    }
    [action] = automation.actions
    assert action.type == "run-deployment"
    assert action.deployment_id == deployment_id
    assert action.parameters == {
        "period": "{{ event.payload.period }}",
        "config": str(sigap_config),
    }
    # the monthly deployment has no trigger
    assert prefect_api.deployment_automations(served.id_of(prefect_api.MONTHLY)) == []


def test_population_changed_starts_the_reverification_deployment(
    served, monthly_run, sigap_settings, sigap_config, personal_data: PersonalData
):
    monthly = monthly_run.run
    assert monthly.state.is_completed(), prefect_api.describe(monthly)
    # mode = "server": the monthly flow did not run the re-verification itself
    assert prefect_api.subflow_runs(monthly.id) == []

    run = prefect_api.wait_for_reverification(
        served.id_of(prefect_api.REVERIFICATION),
        FIRST_PERIOD,
        created_after=monthly_run.started_at,
        timeout=TRIGGER_TIMEOUT,
    )
    assert run.state.is_completed(), prefect_api.describe(run)
    assert run.name == f"reverify-{FIRST_PERIOD}"
    assert run.parameters == {"period": FIRST_PERIOD, "config": str(sigap_config)}
    assert run.created >= monthly.start_time  # made from the monthly run's event

    # the worklists are in the outbox, one per kelurahan with open cases
    by_key = {a.key: a for a in prefect_api.artifacts(run.id)}
    per_kelurahan = prefect_api.table_rows(by_key[f"cases-per-kelurahan-{COMPACT}"])
    open_cases = sum(int(row["open_cases"]) for row in per_kelurahan)
    assert open_cases > 0
    worklists = sorted(
        Path(sigap_settings.outbox, "verifikasi").glob(f"*/worklist_{COMPACT}_v1.csv")
    )
    assert {p.parent.name for p in worklists} == {row["kode_kelurahan"] for row in per_kelurahan}
    rows = sum(len(pd.read_csv(p, sep="|", dtype=str)) for p in worklists)
    assert rows == open_cases
    for path in worklists:
        assert Path(f"{path}.sha256").is_file()

    # nothing personal on the server from this run either (the worklists carry names:
    # they are deliverables, not UI)
    lines = prefect_api.wait_for_flow_log(run.id, "Finished in state", timeout=RUN_TIMEOUT)
    texts = [(f"log {line.name}", line.message) for line in lines]
    texts += [(f"artifact {a.key}", prefect_api.artifact_text(a)) for a in by_key.values()]
    texts += [(f"task run {t.name}", t.name) for t in prefect_api.task_runs(run.id)]
    leaks = find_leaks(texts, personal_data)
    assert leaks == [], "\n".join(leaks[:20])
