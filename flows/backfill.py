"""Several consecutive periods in order: onboarding the months before go-live, catching up
after an outage, re-building the releases a corrected resend made stale.

Run name ``backfill-YYYY-MM-to-YYYY-MM``; each period is its own ``reconcile-YYYY-MM``
subflow run, one after the other, so that every period is built on the release its
previous period has just published. The first failure stops the run: its message says
which period failed and why, which periods were done, and which were not run.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from core.errors import InvalidInput, SequenceStopped, SigapError
from domain.periods import next_period, parse_period

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


def run_in_order(
    periods: list[str], *, config: str | None, what: str, force: bool = False
) -> list[dict]:
    """Run the monthly reconciliation of each period, in order, as subflow runs; stop at
    the first failure with :class:`SequenceStopped`. Returns one row per period (``period``,
    ``status``, ``version``, ``release_id``)."""
    from flows.monthly import monthly_reconciliation

    logger = get_run_logger()
    done: list[dict] = []
    for i, period in enumerate(periods):
        try:
            summary = monthly_reconciliation(period=period, force=force, config=config)
        except Exception as exc:  # re-raised below with what was done
            finished = ", ".join(f"{d['period']} ({d['status']} v{d['version']})" for d in done) or "none"
            rest = ", ".join(periods[i + 1 :]) or "none"
            reason = exc.args[0] if isinstance(exc, SigapError) and exc.args else str(exc)
            first_step = getattr(exc, "hint", "") or "fix the cause"
            raise SequenceStopped(
                f"{what} stopped at {period}: {reason}. Done: {finished}. Not run: {rest}",
                hint=(
                    f"{first_step}; then continue with `sigap backfill --from {period} "
                    f"--to {periods[-1]}`"
                ),
            ) from exc
        done.append(
            {"period": period, "status": summary.status, "version": summary.version,
             "release_id": summary.release_id}
        )  # fmt: skip
        logger.info("%s: %s", what, summary.headline())
    return done


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
    return run_in_order(periods, config=config, what=f"backfill {first}..{last}", force=force)
