"""Kelurahan worklists for open re-verification cases (thin wrapper over domain.worklist)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NONE
from prefect.logging import get_run_logger

from connectors import registry_db
from connectors.outbox import Outbox
from domain.periods import compact
from domain.reference import city_kelurahan
from domain.worklist import worklists
from sigap.errors import SigapError
from sigap.settings import Settings
from tasks.reconcile import load_frames
from tasks.registry import engine_for
from tasks.retry import BACKOFF, is_transient


@dataclass
class WorklistSummary:
    period: str
    release_id: int
    version: int
    open_cases: int
    escalated: int
    kelurahan_count: int
    folder: str
    files: list[str] = field(default_factory=list)
    per_kelurahan: list[dict] = field(default_factory=list)


@task(name="write-worklists", task_run_name="worklists-{period}", cache_policy=NONE,
      retries=len(BACKOFF), retry_delay_seconds=BACKOFF, retry_condition_fn=is_transient)
def write_worklists(settings: Settings, period: str) -> WorklistSummary:
    logger = get_run_logger()
    engine = engine_for(settings)
    try:
        release = registry_db.latest_release(engine, period)
        if release is None:
            raise SigapError(f"no published release for {period}: run the monthly reconciliation first")
        cases = registry_db.open_cases(engine)
        entries = registry_db.release_entries(engine, release.release_id)
    finally:
        engine.dispose()
    # addresses for the officers, from the period's accepted Dukcapil extract
    frames = load_frames(settings, period, dict(release.input_digests))
    dukcapil = frames.get("dukcapil")
    if dukcapil is not None:
        addr = dukcapil[["NIK", "ALAMAT", "NO_RT", "NO_RW"]].rename(columns={"NIK": "nik"})
        entries = entries.merge(addr, on="nik", how="left")
    lists = worklists(cases, entries, period, release.version)
    tag = f"{compact(period)}_v{release.version}"
    staged = Outbox(settings.outbox).staging(f"worklists_{tag}")
    try:
        for kel, frame in lists.items():
            staged.write_csv(f"verifikasi/{kel}/worklist_{tag}.csv", frame)
        files = [str(p) for p in staged.commit()]
    except BaseException:
        staged.discard()
        raise
    names = city_kelurahan().set_index("kode_kelurahan")["nama_kelurahan"]
    escalated_col = cases["escalated"] if "escalated" in cases else pd.Series(False, index=cases.index)
    per_kel = (
        cases.assign(kode_kelurahan=cases["kode_kelurahan"].fillna("TIDAK_DIKETAHUI"), escalated=escalated_col.fillna(False))
        .groupby("kode_kelurahan")
        .agg(open_cases=("case_id", "size"), escalated=("escalated", "sum"))
        .reset_index()
    )
    per_kel.insert(1, "kelurahan", per_kel["kode_kelurahan"].map(names).fillna(""))
    logger.info("%s worklists written", len(lists))
    return WorklistSummary(
        period=period,
        release_id=release.release_id,
        version=release.version,
        open_cases=len(cases),
        escalated=int(per_kel["escalated"].sum()) if len(per_kel) else 0,
        kelurahan_count=len(lists),
        folder=str(settings.outbox / "verifikasi"),
        files=files,
        per_kelurahan=per_kel.astype({"escalated": int}).to_dict("records"),
    )


@task(name="case-artifacts", cache_policy=NONE)
def publish_case_artifacts(summary: WorklistSummary) -> None:
    create_table_artifact(
        key=f"cases-per-kelurahan-{summary.period.replace('-', '')}",
        table=summary.per_kelurahan,
        description=(
            f"Open re-verification cases per kelurahan after release {summary.period} v{summary.version}: "
            f"{summary.open_cases:,} open, {summary.escalated:,} escalated"
        ),
    )
