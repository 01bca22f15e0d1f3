"""Several consecutive periods in order: onboarding the months before go-live, catching up
after an outage, re-building the releases a corrected resend made stale.

Run name ``backfill-YYYY-MM-to-YYYY-MM``; each period is its own ``reconcile-YYYY-MM``
subflow run, one after the other, so that every period is built on the release its
previous period has just published. The first failure stops the run: its message says
which period failed and why, which periods were done, and which were not run.
"""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from core.errors import InvalidInput
from domain.periods import next_period, parse_period
from flows.monthly import monthly_reconciliation
from flows.sequence import run_in_order

#: a backfill covers at most this many periods (ten years of months)
MAX_PERIODS = 120


def periods_between(first: str, last: str) -> list[str]:
    """``first`` .. ``last`` inclusive, month by month (``ValueError`` when reversed or
    longer than :data:`MAX_PERIODS`)."""
    parse_period(first)
    parse_period(last)
    if last < first:
        raise InvalidInput(f"the backfill range is reversed: {first} is after {last}")
    out = [first]
    while out[-1] != last:
        out.append(next_period(out[-1]))
        if len(out) > MAX_PERIODS:
            raise InvalidInput(f"a backfill covers at most {MAX_PERIODS} periods")
    return out


def _run_name() -> str:
    params = flow_run.get_parameters()
    return f"backfill-{params.get('first')}-to-{params.get('last')}"


@flow(name="backfill", flow_run_name=_run_name, description=__doc__, validate_parameters=True)
def backfill(
    first: str, last: str, config: str | None = None, force: bool = False
) -> list[dict]:
    """Reconcile ``first`` .. ``last`` in order, each period as its own subflow run.

    Args:
        first: the first period, ``YYYY-MM``.
        last: the last period, ``YYYY-MM`` (inclusive).
        config: path of a settings TOML file (default: $SIGAP_CONFIG or ./sigap.toml).
        force: publish a new version of every period even where nothing changed.
    """
    periods = periods_between(first, last)
    return run_in_order(
        periods, monthly_reconciliation, config=config, what=f"backfill {first}..{last}", force=force
    )
