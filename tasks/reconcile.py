"""Reconciliation, change detection and case planning: thin wrappers over ``domain``."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.cache_policies import NONE
from prefect.logging import get_run_logger

from connectors.baselines import BaselineStore
from core.settings import Settings
from domain import cases as case_rules
from domain.changes import detect_changes
from domain.codes import Source
from domain.money import MoneyView
from domain.money import money_view as compute_money_view
from domain.reconcile import ReconcileInputs, Reconciliation, reconcile
from domain.rules import RuleParameters
from tasks.validate import AcceptedRows


def load_frames(
    settings: Settings,
    period: str,
    digests: dict[str, str],
    columns: dict[Source, tuple[str, ...]] | None = None,
    accepted_rows: AcceptedRows | None = None,
) -> dict[Source, pd.DataFrame]:
    """The accepted rows of each source for a period: from the run's ``accepted_rows``
    when this run validated them (no second read), else from the baseline store. With
    ``columns``, only those sources and columns."""
    store = BaselineStore(settings.data_dir / "baselines")
    frames: dict[Source, pd.DataFrame] = {}
    for source in Source:
        sha = digests.get(str(source))
        if not sha or (columns is not None and source not in columns):
            continue
        wanted = None if columns is None else list(columns[source])
        frame = None if accepted_rows is None else accepted_rows.frame(str(source), period, sha)
        if frame is not None:
            frame = frame if wanted is None else frame[wanted]
        else:
            frame = store.load(str(source), period, sha, columns=wanted)
        if frame is not None:
            frames[source] = frame
    return frames


@task(name="reconcile", task_run_name="reconcile-{period}", cache_policy=NONE)
def reconcile_period(
    period: str,
    frames: dict[Source, pd.DataFrame],
    params: RuleParameters,
    terminated_kpjs: frozenset[str],
    verified: pd.DataFrame | None,
) -> Reconciliation:
    logger = get_run_logger()
    result = reconcile(
        ReconcileInputs.from_frames(
            period, frames, terminated_kpjs, verified
        ),
        params,
    )
    logger.info("decisions: %s", ", ".join(f"{k} {v:,}" for k, v in result.counts.items()))
    return result


@task(name="money-view", task_run_name="money-{period}", cache_policy=NONE)
def money_view(
    period: str,
    frames: dict[Source, pd.DataFrame],
    entries: pd.DataFrame,
    terminated_kpjs: frozenset[str],
    params: RuleParameters,
) -> MoneyView:
    """What BPJS bills against what the registry says (changes no decision)."""
    logger = get_run_logger()
    view = compute_money_view(
        period, frames[Source.BPJSTK], frames[Source.DUKCAPIL], entries, terminated_kpjs, params
    )
    s = view.summary
    logger.info(
        "money: billed Rp%s against the registry's Rp%s; to recover %s people, Rp%s; "
        "in arrears %s; contribution differs %s",
        f"{s['billed']['idr']:,}", f"{s['registry_cost_idr']:,}", s["to_recover"]["people"],
        f"{s['to_recover']['idr']:,}", s["arrears"]["people"], s["contribution_differs"]["rows"],
    )  # fmt: skip
    return view


@task(name="detect-changes", task_run_name="changes-{period}", cache_policy=NONE)
def detect_period_changes(
    period: str,
    baseline: dict[Source, pd.DataFrame],
    current: dict[Source, pd.DataFrame],
    entries: pd.DataFrame,
    params: RuleParameters,
) -> pd.DataFrame:
    logger = get_run_logger()
    if not baseline:
        logger.info("no baseline (first period in this registry): no changes to detect")
        return pd.DataFrame(
            columns=["nik", "change_type", "before", "after", "source", "triggers_reverification"]
        )
    changes = detect_changes(
        {s: baseline[s] for s in (Source.DUKCAPIL, Source.DTSEN) if s in baseline},
        {s: current[s] for s in (Source.DUKCAPIL, Source.DTSEN)},
        entries["nik"].dropna(),
        params,
    )
    logger.info("%s changes touching people in scope", f"{len(changes):,}")
    return changes


@task(name="plan-cases", task_run_name="cases-{period}", cache_policy=NONE)
def plan_period_cases(
    period: str,
    open_cases: pd.DataFrame,
    entries: pd.DataFrame,
    changes: pd.DataFrame,
    params: RuleParameters,
    all_cases: pd.DataFrame,
):
    plan = case_rules.plan_cases(open_cases, entries, changes, period, params)
    existing = all_cases["case_id"] if len(all_cases) else pd.Series([], dtype="str")
    return case_rules.keep_answers(plan, existing)
