"""Reading what the registry already knows before a period is reconciled: the release the
period is built on (its base), the base's terminations and digests, and the cases as of
the end of the base."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from prefect import task
from prefect.cache_policies import NONE
from prefect.logging import get_run_logger

from connectors import registry_db
from core.errors import RegistryDatabaseError
from core.settings import Settings
from domain import history
from domain.codes import Source
from domain.periods import previous_period
from tasks.retry import BACKOFF, is_transient


@dataclass(frozen=True)
class PreviousState:
    """The facts of the release this period is built on (its base) that the rules need."""

    period: str
    previous_period: str
    #: the base release (the previous period's current release); ``None`` for the
    #: registry's first period
    previous_release_id: int | None
    terminated_kpjs: frozenset[str]
    #: sha256 of the base's accepted extracts, per source (the change-detection baseline)
    previous_digests: dict[str, str] = field(default_factory=dict)
    #: row counts of the previous accepted extract per source (row-count drift rule)
    previous_rows: dict[str, int] = field(default_factory=dict)
    #: ``2026-09 v2 (release 7)``, or empty for the first period
    base_label: str = ""


def engine_for(settings: Settings):
    """The registry engine; in embedded mode the schema is upgraded first."""
    url = settings.database_url  # a SQLite file's folder is made by make_engine (0750)
    if settings.database.auto_upgrade:
        registry_db.upgrade(url)
    return registry_db.make_engine(url)


@task(
    name="check-period-order",
    task_run_name="order-{period}",
    retries=len(BACKOFF),
    retry_delay_seconds=BACKOFF,
    retry_condition_fn=is_transient,
    cache_policy=NONE,
)
def check_period_order(settings: Settings, period: str) -> registry_db.ReleaseRow | None:
    """The release ``period`` is built on (``None``: the registry's first period); raises
    :class:`core.errors.PeriodOutOfOrder` (what is missing, what to run) before anything
    is downloaded.

    It runs before the downloads start, so it reads the registry as it is and migrates it
    (Alembic, about a second to import) only when the read fails: a new or older registry.
    The migration check of :func:`engine_for` otherwise happens while Dukcapil downloads."""
    if settings.database_url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = registry_db.make_engine(settings.database_url)
    try:
        current = registry_db.current_releases(engine)
    except RegistryDatabaseError:  # no tables yet, or not at the head revision
        engine.dispose()
        engine = engine_for(settings)
        current = registry_db.current_releases(engine)
    finally:
        engine.dispose()
    base = history.base_release(period, [r.ref() for r in current], settings.registry.first_period)
    logger = get_run_logger()
    if base is None:
        logger.info("%s is the registry's first period: built on no earlier release", period)
        return None
    logger.info("%s is built on %s", period, base.label)
    return next(r for r in current if r.release_id == base.release_id)


@task(
    name="read-previous-state",
    task_run_name="read-previous-state-{period}",
    retries=len(BACKOFF),
    retry_delay_seconds=BACKOFF,
    retry_condition_fn=is_transient,
    cache_policy=NONE,
)
def read_previous_state(
    settings: Settings, period: str, base: registry_db.ReleaseRow | None
) -> PreviousState:
    """The base release's terminations and digests, and the previous accepted row counts."""
    engine = engine_for(settings)
    try:
        previous_rows: dict[str, int] = {}
        for source in Source:
            row = registry_db.previous_accepted_delivery(engine, str(source), period)
            if row is not None and row.rows_total is not None:
                previous_rows[str(source)] = int(row.rows_total)
        return PreviousState(
            period=period,
            previous_period=previous_period(period),
            previous_release_id=None if base is None else base.release_id,
            terminated_kpjs=registry_db.release_terminated_kpjs(
                engine, None if base is None else base.release_id
            ),
            previous_digests={} if base is None else dict(base.input_digests),
            previous_rows=previous_rows,
            base_label="" if base is None else base.ref().label,
        )
    finally:
        engine.dispose()


@task(name="read-cases", task_run_name="read-cases", cache_policy=NONE, retries=len(BACKOFF), retry_delay_seconds=BACKOFF,
      retry_condition_fn=is_transient)
def read_cases(settings: Settings, base_release_id: int | None) -> pd.DataFrame:
    """Every re-verification case (open and resolved) as of the end of the base release
    (none for the registry's first period)."""
    engine = engine_for(settings)
    try:
        if base_release_id is None:
            return registry_db.empty_cases()
        return registry_db.cases(engine, release_id=base_release_id)
    finally:
        engine.dispose()


@task(name="read-recorded-answers", task_run_name="read-recorded-answers-{period}", cache_policy=NONE, retries=len(BACKOFF),
      retry_delay_seconds=BACKOFF, retry_condition_fn=is_transient)
def read_answers(settings: Settings, period: str) -> pd.DataFrame:
    """The kelurahan answers recorded for ``period`` by ``sigap verify-results``."""
    engine = engine_for(settings)
    try:
        return registry_db.answers(engine, period)
    finally:
        engine.dispose()
