"""Re-running a period through the deployment: the ``validate-extract`` task runs of the
second run are ``Cached`` (same files, same thresholds: the cache key of
``tasks/validate.py``; the cache record written by another run process), nothing new is
published; ``force=True`` re-validates (``Completed``, not ``Cached``) and publishes the
next version."""

from __future__ import annotations

import pytest

from connectors import registry_db
from domain.codes import Source
from tests.integration.prefect_server import prefect_api
from tests.integration.prefect_server.scenario import FIRST_PERIOD, RUN_TIMEOUT, TRIGGER_TIMEOUT

pytestmark = pytest.mark.prefect

COMPACT = FIRST_PERIOD.replace("-", "")
VALIDATE_RUNS = {f"validate-{s}-{FIRST_PERIOD}" for s in Source}


def _validation_states(flow_run_id) -> dict[str, str]:
    """State name of each ``validate-extract`` task run of a flow run, by task run name."""
    runs = [t for t in prefect_api.task_runs(flow_run_id) if t.name.startswith("validate-")]
    return {t.name: t.state.name for t in runs}


def _summary(flow_run_id) -> str:
    [summary] = [a for a in prefect_api.artifacts(flow_run_id) if a.key == f"summary-{COMPACT}"]
    return summary.data


def _run(config, *, force: bool = False):
    created = prefect_api.start_monthly_run(FIRST_PERIOD, config, force=force)
    run = prefect_api.wait_for_final_state(created.id, timeout=RUN_TIMEOUT)
    assert run.state.is_completed(), prefect_api.describe(run)
    assert run.name == f"reconcile-{FIRST_PERIOD}"
    return run


def test_rerun_uses_cached_validations_and_force_recomputes(
    served, monthly_run, sigap_config, registry_engine
):
    first = monthly_run.run
    assert first.state.is_completed(), prefect_api.describe(first)
    # the first run validated (and so wrote the cache records)
    assert _validation_states(first.id) == dict.fromkeys(VALIDATE_RUNS, "Completed")

    second = _run(str(sigap_config))
    assert _validation_states(second.id) == dict.fromkeys(VALIDATE_RUNS, "Cached")
    assert "nothing new published" in _summary(second.id)
    assert [(r.version, r.status) for r in registry_db.releases(registry_engine, FIRST_PERIOD)] == [
        (1, "PUBLISHED")
    ]

    forced = _run(str(sigap_config), force=True)
    assert _validation_states(forced.id) == dict.fromkeys(VALIDATE_RUNS, "Completed")
    assert f"{FIRST_PERIOD}: published release v2" in _summary(forced.id)
    releases = registry_db.releases(registry_engine, FIRST_PERIOD)
    assert [(r.version, r.status) for r in releases] == [(1, "SUPERSEDED"), (2, "PUBLISHED")]
    assert releases[0].flow_run_id == str(first.id)
    assert releases[1].flow_run_id == str(forced.id)
    # three runs named reconcile-2026-08 (v1, nothing new, v2) are told apart in the UI by
    # their outcome tags and final state messages (issue 18)
    tags = [set(prefect_api.read_flow_run(r.id).tags) for r in (first, second, forced)]
    assert "published-v1" in tags[0] and "unchanged" not in tags[0]
    assert "unchanged" in tags[1] and not any(t.startswith("published") for t in tags[1])
    assert "published-v2" in tags[2] and "published-v1" not in tags[2] and "unchanged" not in tags[2]
    assert all({"sigap", f"period:{FIRST_PERIOD}", "mode:server"} <= t for t in tags)
    assert second.state.message.startswith(f"{FIRST_PERIOD}: same inputs, rules and base release")
    assert "nothing new published" in second.state.message
    assert forced.state.message.startswith(f"{FIRST_PERIOD}: published release v2 (id ")
    # the new version announces itself too: its re-verification worklists follow
    reverify = prefect_api.wait_for_reverification(
        served.id_of(prefect_api.REVERIFICATION),
        FIRST_PERIOD,
        created_after=forced.start_time,
        timeout=TRIGGER_TIMEOUT,
    )
    assert reverify.state.is_completed(), prefect_api.describe(reverify)
