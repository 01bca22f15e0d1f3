"""Session-wide test setup.

- Prefect never touches the user's ~/.prefect: PREFECT_HOME is a throwaway folder, set
  before Prefect is imported, and no outside API server is used.
- ``prefect_harness``: one Prefect test server (``prefect_test_harness``) per session, for
  the tests that run flows (it takes several seconds to start).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="sigap-prefect-home-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("PREFECT_PROFILES_PATH", None)
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# a run waiting for the deployment's concurrency slot is offered again after 5 s, not 30 s
os.environ.setdefault("PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS", "5")
# settings files or overrides of the developer's shell must not leak into tests
for _name in [n for n in os.environ if n.startswith("SIGAP_")]:
    os.environ.pop(_name)

IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip when a service cannot exist here; under CI=true, fail instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test may not be skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)
