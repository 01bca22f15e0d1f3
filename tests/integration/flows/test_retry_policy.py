"""Transient failures are retried, data failures are not (Prefect's retry machinery with
the project's policy, tasks.retry.is_transient)."""

from __future__ import annotations

import pytest
from prefect import flow, task

from core.errors import ChecksumMismatch, DatabaseBusy, SftpUnavailable, ValidationFailed
from tasks.retry import is_transient

pytestmark = pytest.mark.prefect


def _flaky_task(error: Exception, fail_times: int):
    calls = {"n": 0}

    @task(retries=3, retry_delay_seconds=0, retry_condition_fn=is_transient, persist_result=False)
    def step() -> str:
        calls["n"] += 1
        if calls["n"] <= fail_times:
            raise error
        return "done"

    return step, calls


@pytest.mark.parametrize("error", [SftpUnavailable("connection reset"), DatabaseBusy("database is locked")])
def test_transient_errors_are_retried(prefect_harness, error):
    step, calls = _flaky_task(error, fail_times=2)

    @flow
    def run():
        return step()

    assert run() == "done" and calls["n"] == 3


@pytest.mark.parametrize("error", [ChecksumMismatch("bad file", file="X.csv.gz"), ValidationFailed("too many rejects")])
def test_data_errors_are_not_retried(prefect_harness, error):
    step, calls = _flaky_task(error, fail_times=99)

    @flow
    def run():
        return step()

    with pytest.raises(type(error)):
        run()
    assert calls["n"] == 1
