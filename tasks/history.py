"""The period history in a run: announcing the releases a new version made stale (an
event and an artifact), and finding the later stale periods a cascade re-runs."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.events import emit_event

from connectors import registry_db
from core.settings import Settings
from domain.periods import compact
from tasks.registry import engine_for
from tasks.retry import BACKOFF, is_transient

#: the event a run emits after committing a version that made later releases stale
RELEASE_STALE = "sigap.release.stale"


@task(name="announce-stale-releases", task_run_name="announce-stale-releases", cache_policy=NONE)
def announce_stale_releases(summary) -> None:
    """After the commit: emit ``sigap.release.stale`` (one event naming every release this
    run made stale) and show them as an artifact. No personal data."""
    if not summary.stale:
        return
    stale = [dict(s) for s in summary.stale]
    emit_event(
        event=RELEASE_STALE,
        resource={
            "prefect.resource.id": f"sigap.registry.release.{summary.release_id}",
            "prefect.resource.name": f"SIGAP release {summary.period} v{summary.version}",
            "sigap.period": summary.period,
        },
        related=[
            {
                "prefect.resource.id": f"sigap.registry.release.{s['release_id']}",
                "prefect.resource.role": "stale-release",
                "prefect.resource.name": f"SIGAP release {s['period']} v{s['version']}",
            }
            for s in stale
        ],
        payload={
            "period": summary.period,
            "release_id": summary.release_id,
            "version": summary.version,
            "superseded_release_id": summary.superseded_release_id,
            "stale": stale,
            "stale_periods": sorted({s["period"] for s in stale}),
        },
    )
    first = min(s["period"] for s in stale)
    lines = [
        f"# {summary.period} v{summary.version} made {len(stale)} later release(s) stale",
        "",
        (
            f"Re-run them in order: `sigap run --period {first} --cascade` "
            f"(or `sigap backfill --from {first} --to {max(s['period'] for s in stale)}`)."
        ),
        "",
        "| period | version | release | why |",
        "|---|---:|---:|---|",
    ]
    lines += [f"| {s['period']} | {s['version']} | {s['release_id']} | {s['because']} |" for s in stale]
    create_markdown_artifact(
        key=f"stale-releases-{compact(summary.period)}",
        markdown="\n".join(lines),
        description=f"Releases made stale by {summary.period} v{summary.version}",
    )


@task(
    name="stale-periods",
    task_run_name="stale-after-{period}",
    cache_policy=NONE,
    retries=len(BACKOFF),
    retry_delay_seconds=BACKOFF,
    retry_condition_fn=is_transient,
)
def stale_periods_after(settings: Settings, period: str) -> list[str]:
    """The periods after ``period`` whose current release is stale, in order."""
    engine = engine_for(settings)
    try:
        return [r.period for r in registry_db.current_releases(engine) if r.period > period and r.stale]
    finally:
        engine.dispose()
