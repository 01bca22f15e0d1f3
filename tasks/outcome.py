"""How a run ends in the Prefect UI: its tags, its final state and message, and what to do
next, said where it is read.

- Tags: every run is tagged ``sigap``, ``period:YYYY-MM``, ``mode:embedded|server`` from
  its start, and with its outcome at its end (``published-v2``, ``unchanged``,
  ``failed-validation``, ``late-delivery``...; a retry's outcome replaces the failed
  attempt's), so that three ``reconcile-2026-10`` runs can be told apart in the run list.
- Final state: ``Completed`` with the run's headline as its message, or ``Failed`` with
  the error's one clear message (no traceback: a ``SigapError`` that is not transient is
  the data's or the settings' fault, not the program's). The failed state carries the
  exception, so a direct call of the flow (``sigap run`` without a server) still raises it.
- Waiting: a scheduled run whose deliveries are incomplete is put back into ``Scheduled``
  (state name ``AwaitingDelivery``) for a later time and its process ends, holding no
  worker; the deployment's runner or worker starts it again then. At the deadline it
  ends ``Failed`` with the state name ``LateDelivery`` (the event
  ``prefect.flow-run.LateDelivery`` is what ``infra/automations.py`` notifies on: a tag
  added during a run is not in the server's events of that run).
- Advice: in the UI it names the deployment's ``accept_flagged`` parameter and *Retry*; on
  the command line ``--accept-flagged`` and ``sigap run``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.exceptions import Abort
from prefect.states import Completed, Failed, Scheduled, State

from core.errors import (
    ConfigError,
    DataError,
    DeliveriesIncomplete,
    SigapError,
    TransientError,
    ValidationFailed,
)

__all__ = [
    "AWAITING_DELIVERY",
    "LATE_DELIVERY",
    "VIA_CLI",
    "Outcome",
    "accept_advice",
    "completed",
    "failed",
    "park",
    "start",
    "where_read",
]

#: name of the Scheduled state of a run waiting for late deliveries
AWAITING_DELIVERY = "AwaitingDelivery"
#: name of the Failed state of a run whose deliveries were incomplete at the deadline
LATE_DELIVERY = "LateDelivery"
#: tag of a deployment run started by ``sigap run`` (its advice is for the command line)
VIA_CLI = "via:cli"
#: tag prefixes of what a run is
TAG_PERIOD = "period:"
TAG_MODE = "mode:"
TAG_SIGAP = "sigap"

Where = Literal["ui", "cli"]


class Outcome(StrEnum):
    """The outcome tags of a run (``published`` is tagged with its version:
    ``published-v2``)."""

    PUBLISHED = "published"
    UNCHANGED = "unchanged"
    WORKLISTS = "worklists-written"
    WAITING = "waiting-for-delivery"
    LATE_DELIVERY = "late-delivery"
    INCOMPLETE_DELIVERY = "incomplete-delivery"
    FAILED_VALIDATION = "failed-validation"
    FAILED_DATA = "failed-data"
    FAILED_SETTINGS = "failed-settings"
    FAILED_UNAVAILABLE = "failed-unavailable"
    FAILED = "failed"


def _is_outcome_tag(tag: str) -> bool:
    if tag.startswith(f"{Outcome.PUBLISHED}-v"):
        return True
    return tag in {o.value for o in Outcome}


def _context():
    context = FlowRunContext.get()
    return context.flow_run if context is not None else None


def _retag(add: list[str], *, drop_outcomes: bool) -> None:
    """Add tags to the current flow run (and drop its outcome tags first)."""
    run = _context()
    if run is None:
        return
    with get_client(sync_client=True) as client:
        current = client.read_flow_run(run.id).tags or []
        kept = [t for t in current if not (drop_outcomes and _is_outcome_tag(t))]
        tags = kept + [t for t in add if t not in kept]
        if tags != current:
            client.update_flow_run(run.id, tags=tags)


def start(period: str, mode: str) -> None:
    """Tag the current run with what it is: ``sigap``, the period and the mode."""
    _retag([TAG_SIGAP, f"{TAG_PERIOD}{period}", f"{TAG_MODE}{mode}"], drop_outcomes=False)


def where_read() -> Where:
    """Where the run's messages are read: ``ui`` for a deployment's run (scheduled, started
    from the UI, or retried there), ``cli`` for a run that ``sigap run`` started (directly
    or through the deployment, tagged ``via:cli``, first attempt)."""
    run = _context()
    if run is None or run.deployment_id is None:
        return "cli"
    if VIA_CLI in (run.tags or []) and (run.run_count or 1) <= 1:
        return "cli"
    return "ui"


def accept_advice(period: str, sources: tuple[str, ...], where: Where) -> str:
    """What to do after a failed validation, for the UI or the command line."""
    names = ", ".join(sources) or "SOURCE"
    if where == "ui":
        listed = ", ".join(f'"{s}"' for s in sources) or '"SOURCE"'
        return (
            f"send the rejects file to the provider and, once it has resent a corrected file "
            f"(same name, new .sha256), Retry this run; or, if an operator has checked the "
            f"delivery and accepts it, start a custom run of the monthly deployment for "
            f"{period} with the parameter accept_flagged = [{listed}] (recorded on the release)"
        )
    flags = " ".join(f"--accept-flagged {s}" for s in sources) or "--accept-flagged SOURCE"
    return (
        f"send the rejects file to the provider and, once it has resent a corrected file "
        f"(same name, new .sha256), run `sigap run --period {period}` again; or, if an "
        f"operator has checked the delivery of {names} and accepts it, "
        f"`sigap run --period {period} {flags}` (recorded on the release)"
    )


def delivery_advice(period: str, where: Where, *, deadline_passed: bool) -> str:
    """What to do when extracts are missing, for the UI or the command line."""
    late = "ask the providers to deliver; " if deadline_passed else ""
    if where == "ui":
        return f"{late}Retry this run once every file is there, each followed by its .sha256"
    return (
        f"{late}run `sigap run --period {period}` again once every file is there, each "
        "followed by its .sha256"
        + ("" if deadline_passed else ", or wait for them: --wait-for-deliveries")
    )


def _failure_tag(exc: SigapError) -> Outcome:
    if isinstance(exc, ValidationFailed):
        return Outcome.FAILED_VALIDATION
    if isinstance(exc, DeliveriesIncomplete):
        return Outcome.LATE_DELIVERY if exc.deadline_passed else Outcome.INCOMPLETE_DELIVERY
    if isinstance(exc, TransientError):
        return Outcome.FAILED_UNAVAILABLE
    if isinstance(exc, ConfigError):
        return Outcome.FAILED_SETTINGS
    if isinstance(exc, DataError):
        return Outcome.FAILED_DATA
    return Outcome.FAILED


def failed(exc: SigapError, period: str) -> State:
    """The run's final ``Failed`` state for a SIGAP error: one clear message (with the
    advice for where it is read), the outcome tag, no traceback."""
    where = where_read()
    if isinstance(exc, ValidationFailed):
        exc.hint = accept_advice(period, exc.sources, where)
    elif isinstance(exc, DeliveriesIncomplete):
        exc.hint = delivery_advice(period, where, deadline_passed=exc.deadline_passed)
    _retag([_failure_tag(exc).value], drop_outcomes=True)
    if isinstance(exc, DeliveriesIncomplete) and exc.deadline_passed:
        # a state name of its own: the UI shows it, and its event
        # (prefect.flow-run.LateDelivery) triggers the operators' notification
        return Failed(name=LATE_DELIVERY, message=str(exc), data=exc)
    return Failed(message=str(exc), data=exc)


def completed(message: str, tag: str, result: object) -> State:
    """The run's final ``Completed`` state: its headline as the message, its outcome as a
    tag; ``result`` is what a direct call of the flow returns."""
    _retag([tag], drop_outcomes=True)
    return Completed(message=message, data=result)


def park(until: dt.datetime, message: str) -> None:
    """End this attempt of a deployment's run and start it again at ``until``: the run
    goes back to ``Scheduled`` (named ``AwaitingDelivery``, with ``message``) and its
    process exits, holding no worker and no slot of the deployment's concurrency limit.
    Raises Prefect's ``Abort``, which ends the process cleanly (never returns)."""
    run = _context()
    if run is None or run.deployment_id is None:
        raise RuntimeError("only a deployment's run can wait for a later start")
    _retag([Outcome.WAITING.value], drop_outcomes=True)
    state = Scheduled(scheduled_time=until, name=AWAITING_DELIVERY, message=message)
    with get_client(sync_client=True) as client:
        response = client.set_flow_run_state(UUID(str(run.id)), state)
    signal = Abort(f"waiting until {until.isoformat()}: {message}")
    # the engine records this state as the attempt's last (the run is not crashed)
    signal.state = response.state  # type: ignore[attr-defined]
    raise signal


def has_deployment() -> bool:
    run = _context()
    return run is not None and run.deployment_id is not None


def auto_scheduled() -> bool:
    """Was the current run created by its deployment's schedule?"""
    run = _context()
    return bool(run is not None and run.auto_scheduled)
