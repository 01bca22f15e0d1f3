"""How this process runs flows it starts itself (``sigap run``, ``sigap demo``,
``sigap bench``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from pydantic import AfterValidator

from domain.periods import parse_period

__all__ = ["Period", "local_flow_runs"]


def _checked_period(value: str) -> str:
    parse_period(value)
    return value


#: the type of a flow's ``period`` parameter: Prefect validates parameters before the run
#: starts, so a bad value (``'2026-10\n'``, ``'0000-01'``) fails the run with
#: :func:`~domain.periods.parse_period`'s message, before anything is downloaded and
#: before the run is named after it
Period = Annotated[str, AfterValidator(_checked_period)]


@contextmanager
def local_flow_runs() -> Iterator[None]:
    """Flow runs started in this block send no heartbeats when no Prefect server is
    configured (``PREFECT_API_URL`` unset: Prefect's ephemeral API, which lives and dies
    with this process).

    Heartbeats let a server's automations notice a crashed flow run; with an ephemeral
    API nothing watches them. And Prefect 3.8's synchronous flow engine, when a flow run
    ends, joins its heartbeat thread, which sleeps in whole seconds: every flow run (and
    subflow run) then ends on a whole second of its runtime. Measured: a flow whose body
    takes 0.1 s took 1.1 s, 0.9 s took 1.1 s, 1.2 s took 2.1 s; without heartbeats 0.24,
    1.04 and 1.35 s. A monthly run and its re-verification subflow lost about a second
    per period on average.

    With a configured server (a deployment's run, or ``sigap run`` pointed at one)
    nothing changes."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    if PREFECT_API_URL.value():
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
