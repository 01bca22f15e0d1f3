"""How flows run: the ``period`` parameter's type, the machinery a run's stages sit in
(memory, background work), and how this process runs flows it starts itself (``sigap
run``, ``sigap demo``, ``sigap bench``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Annotated, Any

from pydantic import AfterValidator

from core.errors import SigapError, TransientError
from core.memory import frozen_heap, use_memory_pool
from domain import periods

__all__ = ["Period", "in_background", "local_flow_runs", "quiet_data_errors", "run_memory"]


#: the type of a flow's ``period`` parameter: Prefect validates parameters before the run
#: starts, so a bad value (``'2026-10\n'``, ``'0000-01'``) fails the run with
#: :func:`~domain.periods.parse_period`'s message, before anything is downloaded and
#: before the run is named after it; the flow receives a :class:`domain.periods.Period`
Period = Annotated[str, AfterValidator(periods.Period)]


@contextmanager
def run_memory(arrow_memory_pool: str) -> Iterator[None]:
    """The memory regime of a large run: Arrow's allocations from ``arrow_memory_pool``
    (the setting ``scale.arrow_memory_pool``: freed pages are reused, not handed back to
    the host), and the run's garbage collections skip the objects the process already
    had (:func:`core.memory.frozen_heap`)."""
    use_memory_pool(arrow_memory_pool)
    with frozen_heap():
        yield


@contextmanager
def in_background(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Iterator[Future]:
    """Run ``fn(*args, **kwargs)`` in a thread while the block runs (e.g. reading a
    Parquet baseline: Arrow's reader releases the GIL); the block takes its result from
    the future. Leaving the block waits for the thread."""
    with ThreadPoolExecutor(1, thread_name_prefix=getattr(fn, "__name__", "background")) as pool:
        yield pool.submit(fn, *args, **kwargs)

#: Prefect's loggers of flow and task runs (and of the engine process of a deployment run)
_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs", "prefect.engine")


def _is_data_error(exc: BaseException | None) -> bool:
    return isinstance(exc, SigapError) and not isinstance(exc, TransientError)


class _NoDataErrorTracebacks(logging.Filter):
    """Drops Prefect's traceback records of a SIGAP error that is not transient: the task
    engine's "Task run failed with exception", the engine's "Engine execution exited with
    unexpected exception" after a flow run ended ``Failed``. Such an error is the data's or
    the settings' fault: the run's state says it once, in one clear message. Tracebacks of
    anything else (a defect) and of transient errors are kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not _is_data_error(exc)


_FILTER = _NoDataErrorTracebacks()


def quiet_data_errors() -> None:
    """Install the filter on Prefect's run loggers of this process (idempotent). A flow
    calls this when it starts; the filter stays for the rest of the process, which
    includes the engine's last record after the run has ended."""
    for name in _RUN_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


class _NoFailedStateEcho(logging.Filter):
    """On the console of ``sigap run`` (and ``demo``, ``reverify``): the "Finished in
    state Failed(...)" lines of flow and task runs repeat the message the command prints
    as its one ``error:`` line; they still reach the Prefect API."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(("prefect.flow_runs", "prefect.task_runs")):
            return True
        return not str(record.msg).startswith(("Finished in state Failed", "Finished in state Crashed"))


@contextmanager
def _console_without_failed_states() -> Iterator[None]:
    from prefect.logging.handlers import PrefectConsoleHandler

    handlers = [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]
    quiet = _NoFailedStateEcho()
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


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
    nothing changes.

    In both cases a SIGAP error that is not transient logs no traceback
    (:func:`quiet_data_errors`), and the console does not repeat the failed state's
    message that the command prints as its ``error:`` line."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    quiet_data_errors()
    with _console_without_failed_states():
        if PREFECT_API_URL.value():
            yield
            return
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield
