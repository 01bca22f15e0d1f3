"""Late deliveries, the commonest monthly failure, through the monthly deployment:

- an operator's run fails at once, naming every missing source;
- a run that waits (a scheduled run; here asked with ``wait_for_deliveries``) goes back to
  ``Scheduled`` as ``AwaitingDelivery``, its state naming the missing sources, its process
  ended (no worker held); it looks again every ``late_deliveries.poll_minutes`` and
  publishes once the files are there;
- past the deadline it fails at once naming every missing source (state ``LateDelivery``,
  tagged ``late-delivery``), and the automation of ``infra/automations.py`` notifies the
  operators (here through a webhook notification block to a local HTTP server).
"""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from domain.codes import Source
from domain.extracts import SPECS
from domain.periods import CITY_TIMEZONE, previous_period
from tests.integration.prefect_server import prefect_api
from tests.integration.prefect_server.scenario import FIRST_PERIOD, RUN_TIMEOUT

pytestmark = pytest.mark.prefect


def _this_month() -> str:
    from zoneinfo import ZoneInfo

    now = datetime.now(UTC).astimezone(ZoneInfo(CITY_TIMEZONE))
    return f"{now.year}-{now.month:02d}"


def _config(tmp_path: Path, tree: Path, quota: int, *, poll_minutes: float = 60.0) -> str:
    from core.settings import LateDeliverySettings, RuleSettings, Settings, SourcesSettings, to_toml

    settings = Settings(
        data_dir=tmp_path / "data",
        sources=SourcesSettings(kind="local", local_root=tree),
        rules=RuleSettings(quota=quota),
        late_deliveries=LateDeliverySettings(poll_minutes=poll_minutes),
    )
    config = tmp_path / "sigap.toml"
    config.write_text(to_toml(settings), encoding="utf-8")
    return str(config)


def _file(tree: Path, source: Source, period: str) -> Path:
    return tree / source.value / SPECS[source].remote_path(period)


def test_an_operators_run_fails_at_once_naming_every_missing_source(served, server_sample, tmp_path):
    tree = tmp_path / "inbox"
    shutil.copytree(server_sample.sftp_root, tree)
    Path(f"{_file(tree, Source.DUKCAPIL, FIRST_PERIOD)}.sha256").unlink()  # still being written
    bpjstk = _file(tree, Source.BPJSTK, FIRST_PERIOD)
    bpjstk.unlink()
    Path(f"{bpjstk}.sha256").unlink()  # not delivered at all

    created = prefect_api.start_deployment_run(
        {"period": FIRST_PERIOD, "config": _config(tmp_path, tree, 1_000)}
    )
    run = prefect_api.wait_for_final_state(created.id, timeout=RUN_TIMEOUT)
    assert run.state.is_failed(), prefect_api.describe(run)
    message = run.state.message
    assert message.startswith(f"{FIRST_PERIOD}: not every extract is delivered: ")
    assert "dukcapil (DUKCAPIL_3275_202608.csv.gz: no .sha256 yet (still being written))" in message
    assert "bpjstk (BPJSTK_BPU_3275_202608.csv.gz: not delivered)" in message
    assert "dtsen" not in message
    assert "Retry this run" in message
    assert "incomplete-delivery" in run.tags
    # nothing was downloaded: the run stopped before the first download
    assert not (tmp_path / "data" / "downloads").exists()


def test_a_waiting_run_holds_no_worker_and_publishes_once_delivered(served, tmp_path):
    from devkit.demo import demo_quota
    from devkit.sample import generate

    period = _this_month()  # its deadline (the 10th of next month) is ahead
    sample = generate(tmp_path / "sample", residents=1_000, periods=[period], seed=11)
    tree = tmp_path / "inbox"
    (tree / "dtsen").mkdir(parents=True)
    shutil.copytree(Path(sample.sftp_root) / "dtsen", tree / "dtsen", dirs_exist_ok=True)
    config = _config(tmp_path, tree, demo_quota(sample, period), poll_minutes=0.25)  # 15 s

    created = prefect_api.start_deployment_run(
        {"period": period, "config": config, "wait_for_deliveries": True}
    )
    try:
        _wait_then_publish(served, created.id, period, sample, tree)
    finally:
        prefect_api.cancel_if_unfinished(created.id)


def _wait_then_publish(served, run_id, period: str, sample, tree: Path) -> None:
    def waiting_again(after: int):
        run = prefect_api.read_flow_run(run_id)
        if run.state.name == "AwaitingDelivery" and run.run_count > after:
            return run
        return None

    first = prefect_api.poll_until("the run to wait", lambda: waiting_again(0), timeout=RUN_TIMEOUT)
    message = first.state.message
    assert message.startswith("waiting for dukcapil, bpjstk: ")
    assert "deadline" in message and "dtsen" not in message.split(":")[0]
    assert first.state.is_scheduled() and "waiting-for-delivery" in first.tags
    # while it waits, nothing runs: its process has ended, the runner holds no slot
    prefect_api.poll_until("the runner to be idle", lambda: served.busy_slots() == 0, timeout=60)
    waiting = prefect_api.read_flow_run(run_id)
    assert waiting.state.name == "AwaitingDelivery" and waiting.run_count == first.run_count
    # it looks again later, in a new attempt of the same run
    again = prefect_api.poll_until(
        "the run to look again", lambda: waiting_again(first.run_count), timeout=RUN_TIMEOUT
    )
    assert again.state.name == "AwaitingDelivery"

    # the providers deliver: the next attempt runs the period and publishes
    for source in (Source.DUKCAPIL, Source.BPJSTK):
        shutil.copytree(Path(sample.sftp_root) / source.value, tree / source.value)
    run = prefect_api.wait_for_final_state(run_id, timeout=2 * RUN_TIMEOUT)
    assert run.state.is_completed(), prefect_api.describe(run)
    assert run.state.message.startswith(f"{period}: published release v1")
    assert "published-v1" in run.tags and "waiting-for-delivery" not in run.tags
    states = [s.name for s in prefect_api.state_history(run.id)]
    assert states.count("AwaitingDelivery") >= 2 and "Crashed" not in states


class _Webhook:
    """A local HTTP endpoint recording the bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                hook.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def notified():
    """A webhook notification block ``custom-webhook/sigap-operators`` to a local
    endpoint, and the late-delivery automation notifying through it."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client

    from infra.automations import LATE_DELIVERY_AUTOMATION, apply_late_delivery_automation

    hook = _Webhook()
    CustomWebhookNotificationBlock(
        name="sigap-operators",
        url=hook.url,
        json_data={"subject": "{{subject}}", "body": "{{body}}"},
        allow_private_urls=True,
    ).save("sigap-operators", overwrite=True)
    apply_late_delivery_automation("custom-webhook/sigap-operators")
    try:
        yield hook
    finally:
        with get_client(sync_client=True) as client:
            for automation in client.read_automations_by_name(LATE_DELIVERY_AUTOMATION):
                client.delete_automation(automation.id)
        hook.close()


def test_past_the_deadline_the_run_fails_and_the_operators_are_told(served, notified, tmp_path):
    period = previous_period(previous_period(previous_period(_this_month())))
    tree = tmp_path / "inbox"
    tree.mkdir()  # nothing delivered
    created = prefect_api.start_deployment_run(
        {"period": period, "config": _config(tmp_path, tree, 1_000), "wait_for_deliveries": True}
    )
    run = prefect_api.wait_for_final_state(created.id, timeout=RUN_TIMEOUT)
    assert run.state.is_failed() and run.state.name == "LateDelivery", prefect_api.describe(run)
    message = run.state.message
    assert message.startswith(f"{period}: deliveries still incomplete at the deadline (")
    for source in Source:
        assert f"{source.value} (" in message
    assert "late-delivery" in run.tags
    states = [s.name for s in prefect_api.state_history(run.id)]
    assert "AwaitingDelivery" not in states  # no waiting past the deadline

    body = prefect_api.poll_until("the notification", lambda: notified.bodies, timeout=90)[0]
    assert run.name in body["subject"] and "deliveries still incomplete" in body["body"]
