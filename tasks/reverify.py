"""Kelurahan worklists for open re-verification cases (thin wrapper over domain.worklist)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
from prefect import task
from prefect.artifacts import TableArtifact
from prefect.cache_policies import NONE
from prefect.logging import get_run_logger

from connectors import delivery, registry_db
from connectors.baselines import BaselineStore
from connectors.outbox import Outbox
from core.errors import DataError, SigapError
from core.settings import Settings
from domain.codes import OutboxFile, Source
from domain.periods import compact
from domain.reference import city_kelurahan
from domain.worklist import address_text, worklists
from tasks.artifacts import key_for, put
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
    summary = write_release_worklists(settings, period)
    get_run_logger().info("%s worklists written", summary.kelurahan_count)
    return summary


def write_release_worklists(
    settings: Settings,
    period: str,
    *,
    release_id: int | None = None,
    report: delivery.DeliveryReport | None = None,
) -> WorklistSummary:
    """Write the worklists of the period's PUBLISHED release (``release_id``: only if it
    is that one) and deliver them like the release's other files: staged, recorded in
    ``release_file`` (replacing an earlier set, and marking the release's "worklists
    due" row done), moved into the outbox, uploaded where an outbound endpoint is
    configured (``report``: where those uploads are counted)."""
    engine = engine_for(settings)
    try:
        release = registry_db.latest_release(engine, period)
        if release is None or (release_id is not None and release.release_id != int(release_id)):
            raise SigapError(
                f"no published release for {period}"
                + (f" with id {release_id}" if release_id is not None else "")
                + ": run the monthly reconciliation first"
            )
        # the cases open at the end of this release (never those of a later period)
        cases = registry_db.open_cases(engine, release_id=release.release_id)
        # only the entries the open cases point at (by KPJ or NIK): a few hundred rows, not
        # the release's half a million. A KPJ is on one entry per release at most (the
        # BPJS extract's KPJs are unique), so the worklists see the same rows.
        entries = registry_db.release_entries(
            engine, release.release_id, niks=cases["nik"], kpjs=cases["kpj"]
        )
        # addresses for the officers, from the period's accepted Dukcapil extract
        addr = _addresses(settings, period, release.input_digests.get("dukcapil"), entries["nik"])
        if addr is not None:
            entries = entries.merge(addr, on="nik", how="left")
        lists = worklists(cases, entries, period, release.version)
        tag = f"{compact(period)}_v{release.version}"
        upload_due = settings.sources.outbound is not None
        with Outbox(settings.outbox).staging(f"worklists_{tag}") as staged:
            for kel, frame in lists.items():
                staged.write_csv(f"verifikasi/{kel}/worklist_{tag}.csv", frame, kind=OutboxFile.WORKLIST)
            registry_db.replace_release_files(
                engine,
                release.release_id,
                OutboxFile.WORKLIST,
                [
                    registry_db.ReleaseFile(f.path, f.kind, f.sha256, f.size, staged.staging, upload_due)
                    for f in staged.manifest()
                ],
                marker_kind=OutboxFile.WORKLISTS,
            )
            files = [str(p) for p in delivery.commit_staged(engine, staged, release.release_id)]
        delivery.upload_pending(settings, engine, report or delivery.DeliveryReport(), [release.release_id])
    finally:
        engine.dispose()
    names = city_kelurahan().set_index("kode_kelurahan")["nama_kelurahan"]
    escalated_col = cases["escalated"] if "escalated" in cases else pd.Series(False, index=cases.index)
    per_kel = (
        cases.assign(kode_kelurahan=cases["kode_kelurahan"].fillna("TIDAK_DIKETAHUI"), escalated=escalated_col.fillna(False))
        .groupby("kode_kelurahan")
        .agg(open_cases=("case_id", "size"), escalated=("escalated", "sum"))
        .reset_index()
    )
    per_kel.insert(1, "kelurahan", per_kel["kode_kelurahan"].map(names).fillna(""))
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


#: the Dukcapil columns a worklist takes its address from
ADDRESS_COLUMNS = ["NIK", "ALAMAT", "NO_RT", "NO_RW"]


def _addresses(
    settings: Settings, period: str, sha256: str | None, niks: pd.Series
) -> pd.DataFrame | None:
    """``nik``, ``ALAMAT``, ``NO_RT``, ``NO_RW`` of ``niks`` from the period's accepted
    Dukcapil rows (the baseline Parquet file), or ``None`` when that file is not stored or
    no NIK is asked for.

    Reads four columns and keeps the wanted NIKs while reading (a pyarrow filter), instead
    of loading the whole city's extract.
    """
    wanted = sorted(set(niks.dropna().astype(str)))
    if not sha256 or not wanted:
        return None
    path = BaselineStore(settings.data_dir / "baselines").path(Source.DUKCAPIL, period, sha256)
    if not path.is_file():
        return None
    try:
        frame = pd.read_parquet(
            path,
            engine="pyarrow",
            columns=ADDRESS_COLUMNS,
            filters=[("NIK", "in", wanted)],
        )
    except (pa.ArrowException, OSError, ValueError) as exc:  # damaged: say which file
        raise DataError(
            f"baseline file cannot be read ({type(exc).__name__})",
            file=str(path),
            hint="delete it and re-run the period that produced it: validation writes it again",
        ) from None
    frame = frame.rename(columns={"NIK": "nik"}).reset_index(drop=True)
    frame["alamat"] = address_text(frame["ALAMAT"], frame["NO_RT"], frame["NO_RW"])
    return frame


@task(name="case-artifacts", task_run_name="case-artifacts-{summary.period}", cache_policy=NONE)
def publish_case_artifacts(summary: WorklistSummary) -> None:
    put(TableArtifact(
        key=key_for("cases-per-kelurahan", summary.period),
        table=summary.per_kelurahan,
        description=(
            f"Open re-verification cases per kelurahan after release {summary.period} v{summary.version}: "
            f"{summary.open_cases:,} open, {summary.escalated:,} escalated"
        ),
    ))
