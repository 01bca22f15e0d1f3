"""A flow's ``period`` parameter is checked before the run does anything, and a run is
never named after a bad value (issue 15, point 10): ``'2026-10\\n'`` used to pass the check
(regex ``$``) and ``'0000-01'`` to end in ``'-1-12'``."""

from __future__ import annotations

import pytest
from prefect.client.orchestration import get_client
from prefect.states import State

pytestmark = pytest.mark.prefect

BAD = ["2026-10\n", "0000-01"]


def _run_name(state: State) -> str:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id).name


@pytest.mark.parametrize("bad", BAD)
def test_monthly_flow_refuses_a_bad_period_before_doing_anything(prefect_harness, tmp_path, bad):
    from flows.monthly import monthly_reconciliation

    config = tmp_path / "sigap.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    state: State = monthly_reconciliation(period=bad, config=str(config), return_state=True)
    assert state.is_failed(), state
    assert repr(bad) in state.message and "YYYY-MM" in state.message
    assert not (tmp_path / "data").exists()  # nothing downloaded, no registry created
    assert not _run_name(state).startswith("reconcile-")  # not named after the bad value


@pytest.mark.parametrize("bad", BAD)
def test_reverification_flow_refuses_a_bad_period(prefect_harness, tmp_path, bad):
    from flows.reverification import reverification

    config = tmp_path / "sigap.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    state: State = reverification(period=bad, config=str(config), return_state=True)
    assert state.is_failed(), state
    assert repr(bad) in state.message and "YYYY-MM" in state.message
    assert not (tmp_path / "data").exists()
    assert not _run_name(state).startswith("reverify-")
