"""A run's artifacts in the Prefect UI: one per key and flow run, each with a description.

Prefect adds an artifact each time one is created, even with a key the run already used:
a *Retry* of a failed run would show the failed attempt's validation tables, progress bar
and "validation failed" report beside the new ones. :func:`put` replaces the artifact of
the same key in the same flow run instead (updated in place; replaced when its type
changes), so that a run shows the outcome of the run as it ended.
"""

from __future__ import annotations

from uuid import UUID

from prefect.artifacts import Artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import ArtifactUpdate
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)
from prefect.client.schemas.sorting import ArtifactSort
from prefect.runtime import flow_run

from core.errors import InvalidInput
from domain.periods import compact

__all__ = ["key_for", "put", "replace_if_present"]


def key_for(prefix: str, period: str, *parts: str) -> str:
    """``key_for("validation", "2026-08", "dukcapil")`` -> ``validation-dukcapil-202608``
    (keys allow lowercase letters, digits and dashes only)."""
    return "-".join([prefix, *parts, compact(period)]).lower()


def _run_id() -> str | None:
    try:
        return flow_run.get_id()
    except Exception:  # noqa: BLE001 - no run context: nothing to replace
        return None


def _in_this_run(client, key: str, run_id: str) -> list:
    return client.read_artifacts(
        artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[key]),
            flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(run_id)]),
        ),
        sort=ArtifactSort.CREATED_DESC,
    )


def put(artifact: Artifact) -> UUID:
    """Create ``artifact`` in the current run, or replace the run's artifact of the same
    key (a retry's, or an earlier write of this attempt). Returns the artifact's id."""
    if not artifact.key or not artifact.description:
        raise InvalidInput(f"an artifact of a run needs a key and a description: {artifact!r}")
    run_id = _run_id()
    if run_id is None:
        return artifact.create().id
    with get_client(sync_client=True) as client:
        existing = _in_this_run(client, artifact.key, run_id)
        keep = next((a for a in existing if a.type == artifact.type), None)
        for other in existing:
            if other is not keep:
                client.delete_artifact(other.id)
        if keep is None:
            return artifact.create().id
        client.update_artifact(
            keep.id,
            ArtifactUpdate(data=artifact.format(_sync=True), description=artifact.description),
        )
        return keep.id


def replace_if_present(artifact: Artifact) -> bool:
    """Replace the current run's artifact of ``artifact.key`` (e.g. the report of a failed
    attempt, once a retry has published); False when the run has none."""
    run_id = _run_id()
    if run_id is None or not artifact.key:
        return False
    with get_client(sync_client=True) as client:
        if not _in_this_run(client, artifact.key, run_id):
            return False
    put(artifact)
    return True
