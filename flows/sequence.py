"""Running several periods in order, each as its own ``reconcile-YYYY-MM`` subflow run:
the backfill flow and the monthly flow's cascade."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import get_run_logger

from core.errors import SequenceStopped, SigapError

__all__ = ["run_in_order"]


def run_in_order(
    periods: list[str],
    monthly_reconciliation: Callable[..., Any],
    *,
    config: str | None,
    what: str,
    force: bool = False,
) -> list[dict]:
    """Run ``monthly_reconciliation`` for each period, in order, as subflow runs; stop at
    the first failure with :class:`SequenceStopped`. Returns one row per period (``period``,
    ``status``, ``version``, ``release_id``).

    The flow is a parameter: the monthly flow's cascade and the backfill flow both run
    their periods through here, and neither imports the other's module for it."""
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
