"""``sigap serve``: the deployments served from this process (single machine, no work pool)."""

from __future__ import annotations

from prefect import serve

from infra.deployments import deployments


def serve_flows(config: str | None = None) -> None:
    serve(*deployments(config))
