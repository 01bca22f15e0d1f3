"""``flows.runtime.local_flow_runs``: no flow-run heartbeats without a Prefect server."""

from __future__ import annotations

from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    get_current_settings,
    temporary_settings,
)

from flows.runtime import local_flow_runs


def test_no_heartbeats_with_the_ephemeral_api():
    with temporary_settings(updates={PREFECT_API_URL: None, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 60}):
        with local_flow_runs():
            assert get_current_settings().flows.heartbeat_frequency is None
        assert get_current_settings().flows.heartbeat_frequency == 60  # restored after


def test_a_configured_server_keeps_its_heartbeats():
    with temporary_settings(
        updates={PREFECT_API_URL: "http://127.0.0.1:4200/api", PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 60}
    ):
        with local_flow_runs():
            assert get_current_settings().flows.heartbeat_frequency == 60
