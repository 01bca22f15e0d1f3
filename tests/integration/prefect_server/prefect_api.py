"""What runs left on the Prefect server, read through the API client only
(``prefect.client.orchestration.get_client``): flow runs, their state history, task runs,
artifacts, logs and automations. Waiting helpers poll with a deadline and fail with the
last state seen (state messages carry no personal data: the code masks NIKs).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterId,
    FlowRunFilterParentFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import Artifact, FlowRun, Log, State, TaskRun
from prefect.deployments import run_deployment

#: the API's largest page
PAGE = 200
MONTHLY = "monthly-reconciliation/monthly"
REVERIFICATION = "reverification/reverification"


class WaitTimeout(AssertionError):
    """A run did not reach the awaited state in time."""


def _client():
    return get_client(sync_client=True)


def poll_until(what: str, probe: Callable[[], object], timeout: float, interval: float = 1.0):
    """Call ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"{what}: not reached within {timeout:.0f} s")
        time.sleep(interval)


# --------------------------------------------------------------------------------------
# flow runs
# --------------------------------------------------------------------------------------


def start_monthly_run(period: str, config: str, *, force: bool = False) -> FlowRun:
    """Create a run of the monthly deployment (the served runner starts it) and return
    at once, as an operator's *Run* in the UI or ``prefect deployment run`` would."""
    parameters: dict[str, object] = {"period": period, "config": config}
    if force:
        parameters["force"] = True
    return run_deployment(name=MONTHLY, parameters=parameters, timeout=0, as_subflow=False)


def retry(flow_run_id: UUID) -> None:
    """*Retry* a finished run of a deployment, as the UI's button and ``prefect flow-run
    retry`` do: the run is scheduled again (same run, next attempt) and the runner starts
    it."""
    from prefect.states import Scheduled

    with _client() as client:
        result = client.set_flow_run_state(flow_run_id, Scheduled(message="Retried"), force=True)
    if result.status.value != "ACCEPT":
        raise AssertionError(f"the retry of {flow_run_id} was refused: {result.details}")


def cancel_if_unfinished(flow_run_id: UUID) -> None:
    """Cancel a run that has not finished (a test's cleanup: a waiting run would go on)."""
    from prefect.states import Cancelled

    run = read_flow_run(flow_run_id)
    if run.state is not None and not run.state.is_final():
        with _client() as client:
            client.set_flow_run_state(flow_run_id, Cancelled(message="test cleanup"), force=True)


def start_deployment_run(parameters: dict, *, tags: list[str] | None = None) -> FlowRun:
    """Create a run of the monthly deployment with these parameters; return at once."""
    return run_deployment(
        name=MONTHLY, parameters=parameters, timeout=0, as_subflow=False, tags=tags
    )


def read_flow_run(flow_run_id: UUID) -> FlowRun:
    with _client() as client:
        return client.read_flow_run(flow_run_id)


def wait_for_final_state(flow_run_id: UUID, timeout: float = 240.0) -> FlowRun:
    """The flow run once its state is final (completed, failed, crashed, cancelled)."""

    def probe():
        run = read_flow_run(flow_run_id)
        return run if run.state is not None and run.state.is_final() else None

    try:
        return poll_until(f"flow run {flow_run_id} to finish", probe, timeout)
    except WaitTimeout as exc:
        run = read_flow_run(flow_run_id)
        state = run.state.name if run.state else "no state"
        raise WaitTimeout(f"{exc}; last state {state!r} of {run.name!r}") from None


def describe(run: FlowRun) -> str:
    """``name: StateName (message)`` for assertion messages."""
    state = run.state
    if state is None:
        return f"{run.name}: no state"
    return f"{run.name}: {state.name} ({state.message or ''})"


def deployment_runs(
    deployment_id: UUID, *, created_after: dt.datetime | None = None
) -> list[FlowRun]:
    """Runs of a deployment, oldest first."""
    with _client() as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id])
            ),
            limit=PAGE,
        )
    if created_after is not None:
        runs = [r for r in runs if r.created is not None and r.created >= created_after]
    return sorted(runs, key=lambda r: r.created)


def wait_for_deployment_run(
    deployment_id: UUID,
    *,
    created_after: dt.datetime,
    match: Callable[[FlowRun], bool],
    timeout: float,
) -> FlowRun:
    """The oldest run of a deployment created after ``created_after`` that ``match``es,
    once it exists (it may still be scheduled or running)."""

    def probe():
        found = [r for r in deployment_runs(deployment_id, created_after=created_after) if match(r)]
        return found[0] if found else None

    return poll_until(f"a run of deployment {deployment_id}", probe, timeout)


def wait_for_reverification(
    deployment_id: UUID, period: str, *, created_after: dt.datetime, timeout: float
) -> FlowRun:
    """The first run of the re-verification deployment for ``period`` created after
    ``created_after`` (in these tests only its event trigger creates such runs), once
    finished."""
    created = wait_for_deployment_run(
        deployment_id,
        created_after=created_after,
        match=lambda run: run.parameters.get("period") == period,
        timeout=timeout,
    )
    return wait_for_final_state(created.id, timeout=timeout)


def unfinished_runs(
    deployment_ids: Iterable[UUID], *, horizon_seconds: float = 60.0
) -> list[FlowRun]:
    """Runs of these deployments that are running, pending, or scheduled to start
    within ``horizon_seconds`` (the monthly cron's next run is not among them)."""
    horizon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=horizon_seconds)
    out = []
    for deployment_id in deployment_ids:
        for run in deployment_runs(deployment_id):
            if run.state is None or run.state.is_final():
                continue
            if (
                run.state.is_scheduled()
                and run.expected_start_time
                and run.expected_start_time > horizon
            ):
                continue
            out.append(run)
    return out


def subflow_runs(parent_flow_run_id: UUID) -> list[FlowRun]:
    with _client() as client:
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_flow_run_id])
            ),
            limit=PAGE,
        )


def state_history(flow_run_id: UUID) -> list[State]:
    """Every state the flow run went through, oldest first."""
    with _client() as client:
        states = client.read_flow_run_states(flow_run_id)
    return sorted(states, key=lambda s: s.timestamp)


# --------------------------------------------------------------------------------------
# task runs, artifacts, logs
# --------------------------------------------------------------------------------------


def task_runs(flow_run_id: UUID) -> list[TaskRun]:
    with _client() as client:
        return client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])), limit=PAGE
        )


def artifacts(flow_run_id: UUID) -> list[Artifact]:
    with _client() as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])),
            limit=PAGE,
        )


def artifact_text(artifact: Artifact) -> str:
    """Key, description and data of an artifact as one text."""
    data = artifact.data
    if not isinstance(data, str):
        data = json.dumps(data, default=str, ensure_ascii=False)
    return "\n".join([artifact.key or "", artifact.description or "", data])


def table_rows(artifact: Artifact) -> list[dict]:
    """The rows of a table artifact (stored as JSON text)."""
    data = artifact.data
    rows = json.loads(data) if isinstance(data, str) else data
    if not isinstance(rows, list):
        raise TypeError(f"artifact {artifact.key} is not a table of rows")
    return rows


def logs(flow_run_id: UUID) -> list[Log]:
    """Every log line of a flow run and its task runs, oldest first."""
    out: list[Log] = []
    with _client() as client:
        while True:
            page = client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])),
                limit=PAGE,
                offset=len(out),
            )
            out.extend(page)
            if len(page) < PAGE:
                return out


def wait_for_flow_log(flow_run_id: UUID, startswith: str, timeout: float = 60.0) -> list[Log]:
    """All logs of a flow run once a flow-level line starting with ``startswith`` has
    arrived (log lines are shipped in batches, after the state may already be final)."""

    def probe():
        lines = logs(flow_run_id)
        done = any(
            line.task_run_id is None and line.message.startswith(startswith) for line in lines
        )
        return lines if done else None

    return poll_until(f"log line {startswith!r} of flow run {flow_run_id}", probe, timeout)


# --------------------------------------------------------------------------------------
# deployments and automations
# --------------------------------------------------------------------------------------


def deployment(deployment_id: UUID):
    with _client() as client:
        return client.read_deployment(deployment_id)


def deployment_automations(deployment_id: UUID) -> list:
    """The automations related to a deployment (its triggers; the API does not return
    ``owner_resource``, the ownership is kept in the server's related-resources table)."""
    with _client() as client:
        return client.read_resource_related_automations(f"prefect.deployment.{deployment_id}")


def pause_automations(deployment_id: UUID) -> None:
    with _client() as client:
        for automation in deployment_automations(deployment_id):
            client.pause_automation(automation.id)


def delete_deployment(deployment_id: UUID) -> None:
    """Delete a deployment and the automations it owns."""
    with _client() as client:
        client.delete_resource_owned_automations(f"prefect.deployment.{deployment_id}")
        client.delete_deployment(deployment_id)
