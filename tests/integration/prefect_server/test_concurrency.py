"""The monthly deployment's concurrency limit (1): two runs of the same period asked for
at once never overlap; the server holds the second in ``AwaitingConcurrencySlot`` until
the first has finished, and exactly one of them publishes a release (the other finds the
same inputs and rules: UNCHANGED).

The runner would start both at once (its process limit is above 1): only the server's
limit serialises them. The server re-offers a waiting run after
``server.deployments.concurrency_slot_wait_seconds`` (30 s by default), so this test
takes about a minute."""

from __future__ import annotations

import pytest

from connectors import registry_db
from tests.integration.prefect_server import prefect_api
from tests.integration.prefect_server.scenario import RUN_TIMEOUT, SECOND_PERIOD, TRIGGER_TIMEOUT

pytestmark = pytest.mark.prefect

COMPACT = SECOND_PERIOD.replace("-", "")


def _summary(flow_run_id) -> str:
    [summary] = [a for a in prefect_api.artifacts(flow_run_id) if a.key == f"summary-{COMPACT}"]
    return summary.data


def test_two_runs_of_a_period_never_overlap_and_publish_once(
    served, monthly_run, sigap_config, registry_engine
):
    # months are run in order: the previous period is published first (monthly_run)
    assert monthly_run.run.state.is_completed(), prefect_api.describe(monthly_run.run)
    created = [prefect_api.start_monthly_run(SECOND_PERIOD, str(sigap_config)) for _ in range(2)]
    runs = [prefect_api.wait_for_final_state(c.id, timeout=2 * RUN_TIMEOUT) for c in created]
    for run in runs:
        assert run.state.is_completed(), prefect_api.describe(run)
        assert run.name == f"reconcile-{SECOND_PERIOD}"
        assert run.deployment_id == served.id_of(prefect_api.MONTHLY)

    first, second = sorted(runs, key=lambda r: r.start_time)
    # both were waiting before either started: they could have overlapped
    assert max(r.created for r in runs) < first.start_time
    # ... but did not
    assert first.end_time <= second.start_time, (
        f"runs overlap: {first.start_time:%H:%M:%S.%f}-{first.end_time:%H:%M:%S.%f} and "
        f"{second.start_time:%H:%M:%S.%f}-{second.end_time:%H:%M:%S.%f}"
    )
    # the server held the second one back
    second_states = [s.name for s in prefect_api.state_history(second.id)]
    assert "AwaitingConcurrencySlot" in second_states, second_states

    # exactly one release: made by the first run; the second published nothing
    releases = registry_db.releases(registry_engine, SECOND_PERIOD)
    assert [(r.version, r.status, r.flow_run_id) for r in releases] == [
        (1, "PUBLISHED", str(first.id))
    ]
    assert f"{SECOND_PERIOD}: published release v1" in _summary(first.id)
    assert "nothing new published" in _summary(second.id)
    # the published release announced itself: its re-verification ran
    reverify = prefect_api.wait_for_reverification(
        served.id_of(prefect_api.REVERIFICATION),
        SECOND_PERIOD,
        created_after=first.start_time,
        timeout=TRIGGER_TIMEOUT,
    )
    assert reverify.state.is_completed(), prefect_api.describe(reverify)
    assert reverify.name == f"reverify-{SECOND_PERIOD}"
