"""Serving deployments from the test process, as ``sigap serve`` does in production.

``sigap serve`` (``infra/serve.py``) calls ``prefect.serve(*deployments(config))``: a
``prefect.runner.Runner`` that registers the deployments (and their triggers) with the API
server, polls it for scheduled runs and starts each run in its own Python process
(``python -m prefect.engine`` loading the deployment's entrypoint). ``ServedDeployments``
does the same in a background thread, so that a test can trigger runs and read the
results through the API, and stops the runner when the test is done.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from prefect.runner import Runner
from prefect.settings import PREFECT_LOGGING_LEVEL, temporary_settings


class ServingError(RuntimeError):
    """The runner did not start or did not stop in time."""


class ServedDeployments:
    """A ``Runner`` serving ``deployments`` in a background thread (a context manager).

    Args:
        deployments: ``RunnerDeployment`` objects built in a synchronous context (e.g.
            ``infra.deployments.deployments(config)``; ``to_deployment`` called inside an
            event loop would return a coroutine).
        poll_seconds: how often the runner asks the server for runs to start (the
            production default is 10 s; tests want a short delay).
        run_log_level: ``PREFECT_LOGGING_LEVEL`` of the flow-run processes. The test
            session runs at WARNING; the runs must ship their INFO lines to the API so
            that the tests can read them.
        process_limit: how many flow runs the runner starts at once (more than one, so
            that only the server's deployment concurrency limit can serialise runs).
        startup_timeout: seconds to wait for the deployments to be registered.
    """

    def __init__(
        self,
        deployments: Sequence[Any],
        *,
        poll_seconds: float = 1.0,
        run_log_level: str = "INFO",
        process_limit: int = 4,
        startup_timeout: float = 120.0,
    ) -> None:
        self._deployments = list(deployments)
        self._poll_seconds = poll_seconds
        self._run_log_level = run_log_level
        self._process_limit = process_limit
        self._startup_timeout = startup_timeout
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._runner: Runner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._stopped = False
        #: deployment id per ``flow-name/deployment-name``
        self.ids: dict[str, UUID] = {}

    def id_of(self, full_name: str) -> UUID:
        """The id of a served deployment, e.g. ``id_of("monthly-reconciliation/monthly")``."""
        return self.ids[full_name]

    # ------------------------------------------------------------------------------
    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._serve, name="sigap-test-runner", daemon=True)
        self._thread.start()
        if not self._ready.wait(self._startup_timeout) or self._error is not None:
            error = self._error
            self._stopped = True  # the daemon thread ends with the test session at worst
            if error is not None:
                raise ServingError(f"the runner failed to start: {error!r}") from error
            raise ServingError(f"the runner did not start within {self._startup_timeout:.0f} s")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def busy_slots(self) -> int:
        """Run processes the runner is starting or waiting for (a process keeps its slot
        until it has exited, after its run's final state: logs are still being shipped)."""
        limiter = getattr(self._runner, "_limiter", None)  # anyio.CapacityLimiter
        return int(limiter.borrowed_tokens) if limiter is not None else 0

    def stop(self, timeout: float = 60.0, grace: float = 30.0) -> None:
        """Give run processes ``grace`` seconds to exit, then stop polling, cancel what
        is still in flight, and wait for the thread to end. Stopping twice is a no-op."""
        if self._stopped:
            return
        self._stopped = True
        deadline = time.monotonic() + grace
        while self.busy_slots() and time.monotonic() < deadline:
            time.sleep(0.2)
        if self._runner is not None and self._loop is not None and self._runner.started:
            future = asyncio.run_coroutine_threadsafe(self._runner.astop(), self._loop)
            future.result(timeout=timeout)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise ServingError(f"the runner thread did not stop within {timeout:.0f} s")
            self._thread = None
        if self._error is not None:
            raise ServingError(f"the runner failed: {self._error!r}") from self._error

    # ------------------------------------------------------------------------------
    def _serve(self) -> None:
        try:
            # settings of this thread only: the runner passes them to every run process
            with temporary_settings(updates={PREFECT_LOGGING_LEVEL: self._run_log_level}):
                asyncio.run(self._main())
        except Exception as exc:  # noqa: BLE001 - re-raised by __enter__ or stop()
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        runner = Runner(
            name=f"sigap-test-{uuid.uuid4().hex[:8]}",
            query_seconds=self._poll_seconds,
            limit=self._process_limit,
            pause_on_shutdown=False,
        )
        for deployment in self._deployments:
            self.ids[deployment.full_name] = await runner.aadd_deployment(deployment)
        self._runner = runner
        self._loop = asyncio.get_running_loop()
        started = asyncio.create_task(runner.start())
        deadline = time.monotonic() + self._startup_timeout
        while not runner.started and not started.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self._ready.set()
        await started
