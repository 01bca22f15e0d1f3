"""The deployments of SIGAP Registry, defined once and used two ways: ``sigap serve`` (one
process, no work pool) and ``prefect.yaml`` (a work pool and workers; its entries must
match these, which a drift test checks).

- ``monthly``: the monthly reconciliation at 02:00 Asia/Jakarta on the 5th, for the
  previous month (the flow derives the period from the scheduled time), at most one run
  at a time.
- ``reverification``: started by the ``sigap.population.changed`` event that a monthly run
  emits when a published release has changes or re-verification cases.
- ``backfill``: consecutive periods in order (``first``, ``last``), each as its own
  ``reconcile-YYYY-MM`` subflow run; no schedule, started by an operator (UI or
  ``prefect deployment run backfill/backfill -p first=... -p last=...``). At most one run
  at a time.
"""

from __future__ import annotations

from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
from prefect.schedules import Cron

MONTHLY_CRON = "0 2 5 * *"
TIMEZONE = "Asia/Jakarta"
POPULATION_CHANGED = "sigap.population.changed"
MONTHLY_DEPLOYMENT = "monthly"
REVERIFICATION_DEPLOYMENT = "reverification"
BACKFILL_DEPLOYMENT = "backfill"


def monthly_schedule() -> Cron:
    return Cron(MONTHLY_CRON, timezone=TIMEZONE)


def population_changed_trigger(config: str | None = None) -> DeploymentEventTrigger:
    parameters = {"period": "{{ event.payload.period }}"}
    if config:
        parameters["config"] = config
    return DeploymentEventTrigger(
        name="population-changed",
        expect={POPULATION_CHANGED},
        match={"prefect.resource.id": "sigap.registry.release.*"},
        parameters=parameters,
    )


def deployments(config: str | None = None) -> list:
    """``RunnerDeployment`` objects for ``prefect.serve``."""
    from flows.backfill import backfill
    from flows.monthly import monthly_reconciliation
    from flows.reverification import reverification

    params = {"config": config} if config else {}
    return [
        monthly_reconciliation.to_deployment(
            name=MONTHLY_DEPLOYMENT,
            schedules=[monthly_schedule()],
            parameters=params,
            concurrency_limit=1,
            tags=["sigap", "monthly"],
            description="Monthly reconciliation, 02:00 WIB on the 5th, for the previous month",
        ),
        reverification.to_deployment(
            name=REVERIFICATION_DEPLOYMENT,
            triggers=[population_changed_trigger(config)],
            tags=["sigap", "reverification"],
            description="Kelurahan worklists, started by sigap.population.changed",
        ),
        backfill.to_deployment(
            name=BACKFILL_DEPLOYMENT,
            parameters=params,
            concurrency_limit=1,
            tags=["sigap", "backfill"],
            description="Consecutive periods in order (first..last), started by an operator",
        ),
    ]


#: the full name of the monthly deployment (``flow name/deployment name``)
MONTHLY_FULL_NAME = f"monthly-reconciliation/{MONTHLY_DEPLOYMENT}"


def monthly_deployment_id():
    """The id of the monthly deployment on the configured Prefect server; None without a
    server (``PREFECT_API_URL`` unset) or when the deployment is not registered."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        return None
    with get_client(sync_client=True) as client:
        try:
            return client.read_deployment_by_name(MONTHLY_FULL_NAME).id
        except ObjectNotFound:
            return None


def run_monthly_deployment(parameters: dict, *, tags: list[str]):
    """Start a run of the monthly deployment (as *Run* in the UI would: the server's
    worker or ``sigap serve`` runs it, and it can be retried from the UI) and wait for
    its final state. Returns the finished flow run."""
    from prefect.deployments import run_deployment

    return run_deployment(
        name=MONTHLY_FULL_NAME, parameters=parameters, tags=tags, timeout=None, as_subflow=False
    )
