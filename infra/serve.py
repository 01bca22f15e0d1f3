"""``sigap serve``: the deployments served from this process (single machine, no work
pool), and, unless ``links.serve_files`` is off, the report server for the UI's links
(``infra/files_server.py``) in a thread beside them."""

from __future__ import annotations

import logging
import os

from prefect import serve

from infra.deployments import deployments

log = logging.getLogger(__name__)


def serve_flows(config: str | None = None, *, files: bool | None = None) -> None:
    from core.settings import load_settings

    settings = load_settings(config)
    files = settings.links.serve_files if files is None else files
    if not files:
        serve(*deployments(config))
        return
    from infra.files_server import FilesServer

    with FilesServer(settings) as server:
        if settings.links.base_url is None:
            # the runs this process starts (they inherit its environment) link to it
            os.environ["SIGAP_LINKS__BASE_URL"] = server.url
        log.warning("report server (reports and Data Docs, read-only) on %s", server.url)
        serve(*deployments(config))
