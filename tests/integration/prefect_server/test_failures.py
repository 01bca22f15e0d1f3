"""A broken delivery run through the deployment, as the operators watch it in the UI:
the run ends ``Failed`` with one clear state message (what failed, where the rejects
are, what to do in the UI), no traceback in its logs, tagged ``failed-validation``; its
Data Docs show no personal data. The provider resends, the operator presses *Retry*: the
same run ends ``Completed``, tagged ``published-v1``, and its artifacts are those of the
run as it ended (the failed attempt's report superseded, no duplicate tables)."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pytest

from domain.codes import Source
from domain.extracts import DUKCAPIL
from tests.integration.prefect_server import prefect_api
from tests.integration.prefect_server.personal_data import PersonalData, find_leaks
from tests.integration.prefect_server.scenario import FIRST_PERIOD, RUN_TIMEOUT

pytestmark = pytest.mark.prefect

COMPACT = FIRST_PERIOD.replace("-", "")


def _break_niks(path: Path, rows: int = 60) -> None:
    """Make ``rows`` NIKs of an extract unusable (well above the 1% reject share), with a
    new .sha256 (a delivery that is complete, but bad)."""
    lines = gzip.decompress(path.read_bytes()).decode("utf-8-sig").splitlines()
    column = lines[0].split("|").index("NIK")
    for n in range(1, rows + 1):
        fields = lines[n].split("|")
        fields[column] = "12345"
        lines[n] = "|".join(fields)
    data = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    path.write_bytes(data)
    Path(f"{path}.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n")


@pytest.fixture()
def private_setup(server_sample, tmp_path):
    """A private copy of the sample's tree (served as a local folder) and its own data dir
    and settings (embedded mode: the re-verification runs inside the monthly run)."""
    from core.settings import RuleSettings, Settings, SourcesSettings, to_toml
    from devkit.demo import demo_quota

    tree = tmp_path / "inbox"
    shutil.copytree(server_sample.sftp_root, tree)
    settings = Settings(
        data_dir=tmp_path / "data",
        sources=SourcesSettings(kind="local", local_root=tree),
        rules=RuleSettings(quota=demo_quota(server_sample, FIRST_PERIOD)),
    )
    config = tmp_path / "sigap.toml"
    config.write_text(to_toml(settings), encoding="utf-8")
    return tree, settings, str(config)


def _by_key(run_id) -> dict[str, list]:
    out: dict[str, list] = {}
    for artifact in prefect_api.artifacts(run_id):
        out.setdefault(artifact.key, []).append(artifact)
    return out


def test_failed_validation_reads_clearly_and_a_retry_replaces_it(
    served, private_setup, server_sample, personal_data: PersonalData
):
    tree, settings, config = private_setup
    dukcapil = tree / "dukcapil" / DUKCAPIL.remote_path(FIRST_PERIOD)
    original = dukcapil.read_bytes(), Path(f"{dukcapil}.sha256").read_bytes()
    _break_niks(dukcapil)

    created = prefect_api.start_monthly_run(FIRST_PERIOD, config)
    run = prefect_api.wait_for_final_state(created.id, timeout=RUN_TIMEOUT)
    assert run.state.is_failed(), prefect_api.describe(run)

    # one clear state message: the facts, absolute paths, the advice of the UI, once
    message = run.state.message
    rejects = (settings.data_dir / "runs" / FIRST_PERIOD / "rejects" / f"dukcapil_{COMPACT}_rejects.csv").resolve()
    assert message.startswith(f"nothing was published for {FIRST_PERIOD}: {DUKCAPIL.file_name(FIRST_PERIOD)} (dukcapil, {FIRST_PERIOD}) failed validation: too many rows rejected")
    assert str(rejects) in message
    assert 'accept_flagged = ["dukcapil"]' in message and "Retry this run" in message
    assert "--accept-flagged" not in message
    assert message.count("provider") == 1 and "Flow run encountered an exception" not in message
    assert {"sigap", f"period:{FIRST_PERIOD}", "mode:embedded", "failed-validation"} <= set(run.tags)

    # the logs: no traceback, and the message not repeated (the engine's "Finished in
    # state" line is the one place it appears)
    lines = prefect_api.wait_for_flow_log(run.id, "Finished in state")
    texts = [line.message for line in lines]
    assert [t for t in texts if "Traceback" in t or "Engine execution exited" in t] == []
    assert sum("too many rows rejected" in t for t in texts) == 1

    # the report of the failure: the reasons in full (not in a table cell)
    by_key = _by_key(run.id)
    [failed] = by_key[f"validation-failed-{COMPACT}"]
    assert "## Why" in failed.data and str(rejects) in failed.data
    assert 'accept_flagged = ["dukcapil"]' in failed.data and failed.description

    # the run's Data Docs (bad rows included) show no NIK and no name
    docs = list((settings.data_dir / "runs" / FIRST_PERIOD / f"run-{run.id}" / "data_docs").rglob("*.html"))
    assert len(docs) > 10
    leaks = find_leaks(((str(p), p.read_text(encoding="utf-8")) for p in docs), personal_data)
    assert leaks == []

    # the provider resends; the operator presses Retry on the run
    dukcapil.write_bytes(original[0])
    Path(f"{dukcapil}.sha256").write_bytes(original[1])
    prefect_api.retry(run.id)
    prefect_api.poll_until(
        "the retry to start",
        lambda: (r := prefect_api.read_flow_run(run.id)).run_count >= 2 or not r.state.is_failed(),
        timeout=RUN_TIMEOUT,
    )
    run = prefect_api.wait_for_final_state(run.id, timeout=RUN_TIMEOUT)
    assert run.state.is_completed(), prefect_api.describe(run)
    assert run.run_count == 2
    assert run.state.message.startswith(f"{FIRST_PERIOD}: published release v1")
    assert "published-v1" in run.tags and "failed-validation" not in run.tags

    # the run shows how it ended: one artifact per key, the failure superseded
    by_key = _by_key(run.id)
    assert {k: len(v) for k, v in by_key.items() if len(v) > 1} == {}
    assert "superseded" in by_key[f"validation-failed-{COMPACT}"][0].data
    assert float(by_key[f"progress-{COMPACT}"][0].data) == pytest.approx(100.0)
    for source in Source:
        table = by_key[f"validation-{source}-{COMPACT}"][0]
        assert "passed" in table.description
