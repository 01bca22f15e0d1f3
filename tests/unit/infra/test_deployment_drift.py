"""Drift tests: every deployment in infra/ points at a real flow with real parameters,
and prefect.yaml agrees with infra/deployments.py (what `sigap serve` serves)."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import yaml

from infra import deployments as deps

ROOT = Path(__file__).parents[3]
PREFECT_YAML = ROOT / "infra" / "prefect.yaml"


def _load_entrypoint(entrypoint: str):
    path, name = entrypoint.split(":")
    spec = importlib.util.spec_from_file_location(f"drift_{name}", ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def _yaml_deployments() -> dict[str, dict]:
    data = yaml.safe_load(PREFECT_YAML.read_text())
    return {d["name"]: d for d in data["deployments"]}


def test_prefect_yaml_entrypoints_are_flows_with_those_parameters():
    from prefect import Flow

    for name, dep in _yaml_deployments().items():
        flow = _load_entrypoint(dep["entrypoint"])
        assert isinstance(flow, Flow), f"{name}: {dep['entrypoint']} is not a Prefect flow"
        accepted = set(inspect.signature(flow.fn).parameters)
        given = set(dep.get("parameters") or {})
        for trigger in dep.get("triggers") or []:
            given |= set(trigger.get("parameters") or {})
        assert given <= accepted, f"{name}: unknown parameters {given - accepted}"


def test_prefect_yaml_matches_the_served_deployments():
    served = {d.name: d for d in deps.deployments(config="/etc/sigap/sigap.toml")}
    yaml_deps = _yaml_deployments()
    assert set(served) == set(yaml_deps) == {
        deps.MONTHLY_DEPLOYMENT, deps.REVERIFICATION_DEPLOYMENT, deps.BACKFILL_DEPLOYMENT
    }  # fmt: skip

    monthly = yaml_deps["monthly"]
    assert monthly["schedules"][0]["cron"] == deps.MONTHLY_CRON
    assert monthly["schedules"][0]["timezone"] == deps.TIMEZONE
    assert monthly["concurrency_limit"] == 1
    served_monthly = served["monthly"]
    assert served_monthly.schedules[0].schedule.cron == deps.MONTHLY_CRON
    assert served_monthly.schedules[0].schedule.timezone == deps.TIMEZONE
    assert served_monthly.concurrency_limit == 1
    assert served_monthly.entrypoint.endswith("monthly.py:monthly_reconciliation")

    rever = yaml_deps["reverification"]["triggers"][0]
    served_trigger = served["reverification"].triggers[0]
    assert rever["expect"] == [deps.POPULATION_CHANGED] == sorted(served_trigger.expect)
    assert rever["parameters"]["period"] == served_trigger.parameters["period"] == "{{ event.payload.period }}"
    assert rever["match"] == served_trigger.match.model_dump()


def test_the_backfill_deployment_has_no_schedule_and_runs_alone():
    """Backfill is started by an operator with first/last; one at a time."""
    yaml_backfill = _yaml_deployments()["backfill"]
    served = {d.name: d for d in deps.deployments(config="/etc/sigap/sigap.toml")}["backfill"]
    assert not yaml_backfill.get("schedules") and not served.schedules
    assert yaml_backfill["concurrency_limit"] == 1 == served.concurrency_limit
    assert served.entrypoint.endswith("backfill.py:backfill")
    flow = _load_entrypoint(yaml_backfill["entrypoint"])
    required = {
        name for name, p in inspect.signature(flow.fn).parameters.items()
        if p.default is inspect.Parameter.empty
    }  # fmt: skip
    assert required == {"first", "last"}


def test_the_monthly_flow_needs_no_period_on_schedule():
    """A scheduled run passes no period: the flow derives it from the scheduled time."""
    flow = _load_entrypoint(_yaml_deployments()["monthly"]["entrypoint"])
    assert inspect.signature(flow.fn).parameters["period"].default is None


def test_prefect_deploy_gives_the_parameters_types_and_descriptions():
    """`prefect deploy` (infra/prefect.yaml) builds the parameter form from the entrypoint:
    every parameter described, accept_flagged a choice of the three sources."""
    from prefect.utilities.callables import parameter_schema_from_entrypoint

    from domain.codes import Source

    for name, dep in _yaml_deployments().items():
        schema = parameter_schema_from_entrypoint(str(ROOT / dep["entrypoint"])).model_dump()
        for parameter, prop in schema["properties"].items():
            assert len(prop.get("description") or "") > 20, f"{name}.{parameter}: no description"
    monthly = parameter_schema_from_entrypoint(str(ROOT / _yaml_deployments()["monthly"]["entrypoint"]))
    [array] = [t for t in monthly.properties["accept_flagged"]["anyOf"] if t.get("type") == "array"]
    assert array["items"]["enum"] == [s.value for s in Source]
