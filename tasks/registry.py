"""Reading what the registry already knows before a period is reconciled."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from prefect import task
from prefect.cache_policies import NONE

from connectors import registry_db
from core.settings import Settings
from domain.codes import Source
from domain.periods import previous_period
from tasks.retry import BACKOFF, is_transient


@dataclass(frozen=True)
class PreviousState:
    """The previous period's published facts that this period's rules need."""

    period: str
    previous_period: str
    previous_release_id: int | None
    terminated_kpjs: frozenset[str]
    #: sha256 of the previous period's accepted extracts, per source (for baselines)
    previous_digests: dict[str, str] = field(default_factory=dict)
    #: row counts of the previous accepted extract per source (row-count drift rule)
    previous_rows: dict[str, int] = field(default_factory=dict)


def engine_for(settings: Settings):
    """The registry engine; in embedded mode the schema is upgraded first."""
    url = settings.database_url  # a SQLite file's folder is made by make_engine (0750)
    if settings.database.auto_upgrade:
        registry_db.upgrade(url)
    return registry_db.make_engine(url)


@task(
    name="read-previous-state",
    task_run_name="read-previous-state-{period}",
    retries=len(BACKOFF),
    retry_delay_seconds=BACKOFF,
    retry_condition_fn=is_transient,
    cache_policy=NONE,
)
def read_previous_state(settings: Settings, period: str) -> PreviousState:
    engine = engine_for(settings)
    try:
        prev = previous_period(period)
        release = registry_db.latest_release(engine, prev)
        previous_rows: dict[str, int] = {}
        for source in Source:
            row = registry_db.previous_accepted_delivery(engine, str(source), period)
            if row is not None and row.rows_total is not None:
                previous_rows[str(source)] = int(row.rows_total)
        digests = dict(release.input_digests) if release is not None else {}
        return PreviousState(
            period=period,
            previous_period=prev,
            previous_release_id=release.release_id if release is not None else None,
            terminated_kpjs=registry_db.terminated_kpjs(engine, prev),
            previous_digests=digests,
            previous_rows=previous_rows,
        )
    finally:
        engine.dispose()


@task(name="read-cases", task_run_name="read-cases", cache_policy=NONE, retries=len(BACKOFF), retry_delay_seconds=BACKOFF,
      retry_condition_fn=is_transient)
def read_cases(settings: Settings) -> pd.DataFrame:
    """Every re-verification case (open and resolved)."""
    engine = engine_for(settings)
    try:
        return registry_db.cases(engine)
    finally:
        engine.dispose()
