"""The automation that tells the operators about late deliveries.

A scheduled monthly run whose extracts are incomplete waits for them (``AwaitingDelivery``)
until the deadline (``late_deliveries.deadline_day``, the 10th by default); then it fails,
naming every missing source, in the state ``LateDelivery`` (a ``Failed`` state) and
tagged ``late-delivery``. This automation sends a notification on the event of that
state (``prefect.flow-run.LateDelivery``; the server's events of a run carry the tags it
had when it started, not those added at its end) of the monthly flow's runs, through a
notification block the operators chose (e-mail, Slack, Microsoft Teams, a custom
webhook...: any Prefect notification block, created once in the UI or in Python).

Applied by ``infra/server.sh`` when ``SIGAP_NOTIFY_BLOCK`` names a block, or by hand::

    .venv/bin/python -m infra.automations --block slack-webhook/sigap-operators

Applying again replaces the automation of the same name.
"""

from __future__ import annotations

import argparse
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

from tasks.outcome import LATE_DELIVERY, Outcome

#: the automation's name (one per server)
LATE_DELIVERY_AUTOMATION = "sigap-late-delivery"
#: the tag of a run that failed because the deliveries were still incomplete at the deadline
LATE_DELIVERY_TAG = Outcome.LATE_DELIVERY.value
#: the flow whose runs are watched
MONTHLY_FLOW = "monthly-reconciliation"

_BODY = (
    "SIGAP: {{ flow_run.name }} failed: the deliveries were still incomplete at the "
    "deadline.\n\n{{ flow_run.state.message }}\n\nAsk the providers to deliver, then Retry "
    "the run in the Prefect UI."
)


def late_delivery_automation(block_document_id: UUID) -> AutomationCore:
    """A monthly run ended ``LateDelivery`` -> a notification through the block."""
    return AutomationCore(
        name=LATE_DELIVERY_AUTOMATION,
        description=(
            "Tells the operators when a SIGAP run fails because the extracts were not all "
            "delivered by the deadline"
        ),
        enabled=True,
        trigger=EventTrigger(
            expect={f"prefect.flow-run.{LATE_DELIVERY}"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.role": "flow", "prefect.resource.name": MONTHLY_FLOW},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[
            SendNotification(
                block_document_id=block_document_id,
                subject="SIGAP: late deliveries, {{ flow_run.name }} failed",
                body=_BODY,
            )
        ],
    )


def apply_late_delivery_automation(block: str) -> UUID:
    """Create (or replace) the automation; ``block`` is ``<block type slug>/<name>``,
    e.g. ``slack-webhook/sigap-operators``. Returns the automation's id."""
    from core.errors import ConfigError

    type_slug, _, name = block.partition("/")
    if not type_slug or not name:
        raise ConfigError(
            f"the notification block must be given as <block type>/<name> "
            f"(e.g. slack-webhook/sigap-operators), not {block!r}"
        )
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            document = client.read_block_document_by_name(name=name, block_type_slug=type_slug)
        except ObjectNotFound:
            raise ConfigError(
                f"no notification block {block} on the Prefect server: create it first "
                "(Blocks in the UI)"
            ) from None
        for existing in client.read_automations_by_name(LATE_DELIVERY_AUTOMATION):
            client.delete_automation(existing.id)
        return client.create_automation(late_delivery_automation(document.id))


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - thin CLI
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block", required=True, help="notification block, <type slug>/<name>")
    args = parser.parse_args(argv)
    automation_id = apply_late_delivery_automation(args.block)
    print(f"automation {LATE_DELIVERY_AUTOMATION} ({automation_id}) notifies through {args.block}")


if __name__ == "__main__":  # pragma: no cover
    main()
