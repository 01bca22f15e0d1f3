"""The re-verification flow: one worklist per kelurahan for the open cases of a period's
release, in Bahasa Indonesia, ready to print.

Run name ``reverify-YYYY-MM``. Started by the monthly flow directly (embedded mode) or, with
a Prefect server, by the deployment trigger on the ``sigap.population.changed`` event.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from core.errors import SigapError
from core.settings import load_settings
from flows.runtime import Period, quiet_data_errors
from tasks import outcome, reverify


def _run_name() -> str:
    return f"reverify-{flow_run.get_parameters().get('period')}"


@flow(name="reverification", flow_run_name=_run_name, description=__doc__)
def reverification(period: Period, config: str | None = None) -> reverify.WorklistSummary:
    """Write the kelurahan worklists of the period's latest release into the outbox.

    Args:
        period: the period (YYYY-MM) of the release whose open cases are worked.
        config: path of the settings TOML file on the worker (default: $SIGAP_CONFIG or
            ./sigap.toml).
    """
    logger = get_run_logger()
    quiet_data_errors()
    try:
        settings = load_settings(config)
        outcome.start(period, settings.mode)
        summary = reverify.write_worklists(settings, period)
        reverify.publish_case_artifacts(summary)
    except SigapError as exc:
        return outcome.failed(exc, period)
    headline = (
        f"{period} v{summary.version}: {summary.open_cases:,} open cases in "
        f"{summary.kelurahan_count} kelurahan, {summary.escalated:,} escalated; worklists in "
        f"{summary.folder}"
    )
    logger.info("%s", headline)
    return outcome.completed(headline, outcome.Outcome.WORKLISTS.value, summary)
