"""A monthly run started through the ``monthly`` deployment (served in-process, as
``sigap serve`` does), checked through the Prefect API: its name, its state, the artifacts
an operator sees in the UI, and no personal data in anything the server stores about it."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from domain.codes import Source
from tests.integration.prefect_server import prefect_api
from tests.integration.prefect_server.personal_data import PersonalData, find_leaks
from tests.integration.prefect_server.scenario import FIRST_PERIOD

pytestmark = pytest.mark.prefect

COMPACT = FIRST_PERIOD.replace("-", "")


def _by_key(artifacts) -> dict:
    out: dict = {}
    for artifact in artifacts:
        out.setdefault(artifact.key, []).append(artifact)
    return out


def test_run_through_the_deployment_is_named_completed_and_published(
    served, monthly_run, sigap_config
):
    run = monthly_run.run
    assert run.state is not None and run.state.is_completed(), prefect_api.describe(run)
    assert run.state.name == "Completed"
    assert run.name == f"reconcile-{FIRST_PERIOD}"
    assert run.deployment_id == served.id_of(prefect_api.MONTHLY)
    assert run.parameters["period"] == FIRST_PERIOD
    assert run.parameters["config"] == str(sigap_config)
    # the deployment really ran it: a runner process, not this test process
    assert run.start_time is not None and run.end_time is not None and run.end_time > run.start_time


def test_run_has_the_operator_artifacts(monthly_run):
    by_key = _by_key(prefect_api.artifacts(monthly_run.run.id))
    expected = {
        f"summary-{COMPACT}",
        f"decisions-by-kecamatan-{COMPACT}",
        f"report-{COMPACT}",
        f"progress-{COMPACT}",
        *(f"validation-{s}-{COMPACT}" for s in Source),
    }
    assert expected <= set(by_key), f"missing artifacts: {sorted(expected - set(by_key))}"
    for key in expected:
        assert len(by_key[key]) == 1, f"{key}: {len(by_key[key])} artifacts in one run"

    summary = by_key[f"summary-{COMPACT}"][0]
    assert summary.type == "markdown"
    assert f"{FIRST_PERIOD}: published release v1" in summary.data

    kecamatan = prefect_api.table_rows(by_key[f"decisions-by-kecamatan-{COMPACT}"][0])
    assert kecamatan, "the decisions-by-kecamatan table is empty"
    assert by_key[f"decisions-by-kecamatan-{COMPACT}"][0].type == "table"

    for source in Source:
        table = by_key[f"validation-{source}-{COMPACT}"][0]
        assert table.type == "table"
        assert table.description.startswith(f"{source} {FIRST_PERIOD}: ")
        assert "passed" in table.description
        rows = prefect_api.table_rows(table)
        assert rows and all("expectation" in row and "success" in row for row in rows)

    report = by_key[f"report-{COMPACT}"][0]
    assert f"laporan_{COMPACT}_v1.html" in report.data

    progress = by_key[f"progress-{COMPACT}"][0]
    assert progress.type == "progress"
    assert float(progress.data) == pytest.approx(100.0)
    # the card shows the percentage (the UI's card shows the description)
    assert "100%" in progress.description and "6 of 6 stages" in progress.description


def test_run_is_tagged_and_its_state_says_what_it_published(monthly_run):
    run = prefect_api.read_flow_run(monthly_run.run.id)
    assert {"sigap", f"period:{FIRST_PERIOD}", "mode:server", "published-v1"} <= set(run.tags)
    assert run.state.message.startswith(f"{FIRST_PERIOD}: published release v1 (id ")


def test_every_artifact_has_a_description_and_every_task_run_a_plain_name(monthly_run):
    artifacts = prefect_api.artifacts(monthly_run.run.id)
    assert artifacts
    assert [a.key for a in artifacts if not (a.description or "").strip()] == []
    names = [t.name for t in prefect_api.task_runs(monthly_run.run.id)]
    assert "read-cases" in names and f"run-artifacts-{FIRST_PERIOD}" in names
    # no random suffix such as read-cases-552 or run-artifacts-9f4
    assert [n for n in names if re.search(r"-[0-9a-f]{3}$", n)] == []


def test_validation_tables_list_failing_checks_first_with_their_effect(monthly_run):
    by_key = _by_key(prefect_api.artifacts(monthly_run.run.id))
    for source in Source:
        rows = prefect_api.table_rows(by_key[f"validation-{source}-{COMPACT}"][0])
        successes = [bool(row["success"]) for row in rows]
        assert successes == sorted(successes), f"{source}: a failing check below a passing one"
        assert {row["effect"] for row in rows} <= {
            "blocks the run", "rejects the rows (counted by the reject-share gate)", "warning only",
        }  # fmt: skip
        gates = [row for row in rows if row["expectation"].startswith("extract: ")]
        assert {row["effect"] for row in gates} == {"blocks the run"} and len(gates) == 2


def test_the_report_is_in_the_ui_and_its_links_open(
    monthly_run, sigap_settings, files_server, personal_data: PersonalData
):
    by_key = _by_key(prefect_api.artifacts(monthly_run.run.id))
    # the report's tables in the UI itself: the same text as the outbox's .md
    laporan = by_key[f"laporan-{COMPACT}"][0]
    assert laporan.type == "markdown"
    md = (sigap_settings.outbox / f"laporan_{COMPACT}_v1.md").read_text(encoding="utf-8")
    assert laporan.data == md
    # the report link leads to the report server, which serves the HTML report
    [url] = re.findall(r"\((http://[^)]+)\)", by_key[f"report-{COMPACT}"][0].data)
    assert url == f"{files_server.url}outbox/laporan_{COMPACT}_v1.html"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200 and "text/html" in response.headers["Content-Type"]
        assert response.read() == (sigap_settings.outbox / f"laporan_{COMPACT}_v1.html").read_bytes()
    # each extract's Data Docs link leads to its own validation page, not the index
    pages = {}
    for source in Source:
        artifact = by_key[f"data-docs-{source}-{COMPACT}"][0]
        [url] = re.findall(r"\((http://[^)]+)\)", artifact.data)
        assert url.startswith(f"{files_server.url}runs/{FIRST_PERIOD}/run-{monthly_run.run.id}/data_docs/validations/{source}/extract/")
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            pages[source] = response.read().decode("utf-8")
        assert artifact.description
    assert len(set(pages.values())) == 3
    # what the links show carries no full NIK or name either
    texts = [(f"data docs {source}", page) for source, page in pages.items()]
    texts.append(("laporan", laporan.data))
    assert find_leaks(texts, personal_data) == []


def _run_texts(run_id) -> list[tuple[str, str]]:
    """Everything the server keeps about a run that an operator can read in the UI."""
    run = prefect_api.read_flow_run(run_id)
    texts = [
        (f"flow run {run.name}", f"{run.name}\n{json.dumps(run.parameters, default=str)}"),
        (f"flow run {run.name} state", f"{run.state.name}\n{run.state.message or ''}"),
    ]
    for state in prefect_api.state_history(run_id):
        texts.append((f"state {state.name}", state.message or ""))
    for task_run in prefect_api.task_runs(run_id):
        state = task_run.state
        texts.append(
            (f"task run {task_run.name}", f"{task_run.name}\n{state.message if state else ''}")
        )
    for artifact in prefect_api.artifacts(run_id):
        texts.append((f"artifact {artifact.key}", prefect_api.artifact_text(artifact)))
    for line in prefect_api.logs(run_id):
        texts.append((f"log {line.name} {line.timestamp:%H:%M:%S}", line.message))
    return texts


def test_no_full_nik_or_name_in_artifacts_logs_or_run_metadata(
    monthly_run, personal_data: PersonalData
):
    texts = _run_texts(monthly_run.run.id)
    log_lines = [text for where, text in texts if where.startswith("log ")]
    # the run's INFO lines reached the server (otherwise this test would prove nothing)
    assert any(line.startswith("stage 1/6: download") for line in log_lines)
    assert any(f"{FIRST_PERIOD}: published release v1" in line for line in log_lines)
    assert len(personal_data.niks) > 4_000 and len(personal_data.names) > 1_500
    leaks = find_leaks(texts, personal_data)
    shown = "\n".join(leaks[:20])
    assert leaks == [], f"{len(leaks)} personal data found on the Prefect server:\n{shown}"


def test_leak_scanner_finds_planted_personal_data(personal_data: PersonalData):
    """The scanner of the test above does find a NIK (even inside a longer number) and a
    full name (whatever its case and spacing), and reports them masked."""
    nik = min(personal_data.niks)
    name = personal_data.names[0]
    texts = [
        ("clean", "3275**********0123 S*** A***** 2026-08: published release v1"),
        ("nik", f"id={nik}."),
        ("nik in a longer number", f"9{nik}9"),
        ("name", "  ".join(name.lower().split()) + " was here"),
    ]
    leaks = find_leaks(texts, personal_data)
    assert [leak.split(":")[0] for leak in leaks] == ["nik", "nik in a longer number", "name"]
    assert all(nik not in leak and name not in leak for leak in leaks)


def test_deployment_parameters_have_descriptions_and_types(served):
    schema = prefect_api.deployment(served.id_of(prefect_api.MONTHLY)).parameter_openapi_schema
    properties = schema["properties"]
    assert set(properties) == {"period", "force", "accept_flagged", "config", "wait_for_deliveries", "cascade"}
    for name, prop in properties.items():
        assert len(prop.get("description") or "") > 20, f"{name}: no description"
    assert properties["force"]["type"] == "boolean"
    # accept_flagged: a choice among the three sources, not free text
    [array] = [t for t in properties["accept_flagged"]["anyOf"] if t.get("type") == "array"]
    assert array["items"]["enum"] == [s.value for s in Source]
    assert {t.get("type") for t in properties["wait_for_deliveries"]["anyOf"]} == {"boolean", "null"}
    assert properties["cascade"]["type"] == "boolean"
