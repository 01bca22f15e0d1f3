"""The Great Expectations context of one run, and its Data Docs.

The context is ephemeral: nothing is read from or written to the working directory, and
usage statistics are off. Without Data Docs every store is in memory. With Data Docs the
suites and validation results are kept under ``<work_dir>/gx/`` and the site is built into
``<work_dir>/data_docs/``, so the three extracts of a run (validated one after the other,
each with its own context) share one site whose index lists them all. ``work_dir`` is the
run's own folder: two runs of one period never build into the same site.

Both hold personal data (the results carry sample unexpected values): ``<work_dir>`` is
created ``0750`` before Great Expectations writes into it, and after each build every
folder under ``gx/`` and ``data_docs/`` is set ``0750`` and every file ``0640`` (Great
Expectations writes with the umask's modes).
"""

from __future__ import annotations

from pathlib import Path

import great_expectations as gx
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import (
    DataContextConfig,
    FilesystemStoreBackendDefaults,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.execution_engine import pandas_execution_engine

from connectors.files import private_dirs, restrict_tree

__all__ = ["SITE_NAME", "build_data_docs", "data_docs_dir", "make_context", "validation_page"]

SITE_NAME = "sigap"

# GX fingerprints every pandas batch smaller than ``HASH_THRESHOLD`` bytes (1 GB) by
# hashing every value (``hash_pandas_dataframe``) and stores the digest as batch metadata
# (``pandas_data_fingerprint``). Nothing in a validation's outcome depends on it, and
# SIGAP records the delivered file's sha256 instead; on the narrow frames of a city's
# extract it costs about 1.6 s per 16-digit text column (NIK) and several seconds per
# extract in all. A threshold of 0 turns the fingerprint off (GX's own switch: batches
# above the threshold are never fingerprinted).
pandas_execution_engine.HASH_THRESHOLD = 0


def data_docs_dir(work_dir: Path) -> Path:
    return Path(work_dir) / "data_docs"


def _stores_dir(work_dir: Path) -> Path:
    return Path(work_dir) / "gx"


def make_context(work_dir: Path, *, data_docs: bool) -> AbstractDataContext:
    """An ephemeral GX context for validating extracts of a run in ``work_dir``."""
    if data_docs:
        work_dir = private_dirs(Path(work_dir).resolve())
        defaults = FilesystemStoreBackendDefaults(root_directory=str(_stores_dir(work_dir)))
        sites = {
            SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(data_docs_dir(work_dir)),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        }
    else:
        defaults = InMemoryStoreBackendDefaults()
        sites = {}
    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        store_backend_defaults=defaults,
        data_docs_sites=sites,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def build_data_docs(context: AbstractDataContext, work_dir: Path) -> Path:
    """Build the run's Data Docs site and return the path of its ``index.html``."""
    work_dir = Path(work_dir).resolve()
    context.build_data_docs(site_names=[SITE_NAME])
    restrict_tree(_stores_dir(work_dir))
    restrict_tree(data_docs_dir(work_dir))
    return data_docs_dir(Path(work_dir).resolve()) / "index.html"


def validation_page(context: AbstractDataContext, suite_name: str, result) -> Path | None:
    """The Data Docs page of one validation result (``data_docs/validations/...html``),
    once the site is built; None when GX does not know it."""
    from urllib.parse import unquote, urlparse

    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    identifier = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
        run_id=result.meta["run_id"],
        batch_identifier=result.batch_id,
    )
    for site in context.get_docs_sites_urls(resource_identifier=identifier, site_name=SITE_NAME):
        url = site.get("site_url")
        if url and url.startswith("file://"):
            return Path(unquote(urlparse(url).path))
    return None
