"""The re-verification flow: one worklist per kelurahan for the open cases of a period's
release, in Bahasa Indonesia, ready to print.

Run name ``reverify-YYYY-MM``. Started by the monthly flow directly (embedded mode) or, with
a Prefect server, by the deployment trigger on the ``sigap.population.changed`` event.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from core.settings import load_settings
from flows.runtime import Period
from tasks import reverify


def _run_name() -> str:
    return f"reverify-{flow_run.get_parameters().get('period')}"


@flow(name="reverification", flow_run_name=_run_name, description=__doc__)
def reverification(period: Period, config: str | None = None) -> reverify.WorklistSummary:
    """Write the kelurahan worklists of the period's latest release into the outbox.

    Args:
        period: ``YYYY-MM`` of the release whose open cases are worked.
        config: path of a settings TOML file (default: $SIGAP_CONFIG or ./sigap.toml).
    """
    logger = get_run_logger()
    settings = load_settings(config)
    summary = reverify.write_worklists(settings, period)
    reverify.publish_case_artifacts(summary)
    logger.info(
        "%s open cases in %s kelurahan, %s escalated; worklists in %s",
        f"{summary.open_cases:,}",
        summary.kelurahan_count,
        f"{summary.escalated:,}",
        summary.folder,
    )
    return summary
