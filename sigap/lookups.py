"""Operator look-ups on a published registry: ``sigap explain``, ``sigap whatif``,
``sigap status``, ``sigap diff`` and ``sigap verify-results``. They read the registry;
only ``verify-results`` writes (it records the kelurahan's answers for the runs of their
period to apply)."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path

from connectors import registry_db
from core.errors import DataError, SigapError
from core.settings import Settings
from domain import cases as case_rules
from domain import history
from domain.codes import ReleaseStatus
from domain.extracts import VERIFIKASI
from domain.periods import parse_period, previous_period
from domain.quota import whatif
from domain.rules import rule_parameters


def _engine(settings: Settings):
    from tasks.registry import engine_for

    return engine_for(settings)


def _release(engine, period: str):
    parse_period(period)
    release = registry_db.latest_release(engine, period)
    if release is None:
        raise SigapError(f"no published release for {period}", hint="run `sigap run --period` first")
    return release


def explain_person(
    settings: Settings,
    period: str,
    *,
    nik: str | None,
    kpj: str | None,
    lang: str = "en",
    release_version: int | None = None,
) -> str:
    """Why a person is (or is not) in the period's release: see :mod:`sigap.explain`."""
    from sigap.explain import explain

    return explain(settings, period, nik=nik, kpj=kpj, lang=lang, release_version=release_version)


def what_if(settings: Settings, period: str, *, budget: int | None, quota: int | None) -> str:
    """How many more people a different budget or quota would enrol (nothing published)."""
    params = rule_parameters(settings)
    changes = {}
    if budget is not None:
        changes["annual_budget_idr"] = budget
    if quota is not None:
        changes["quota"] = quota
    if not changes:
        raise SigapError("give --budget and/or --quota")
    engine = _engine(settings)
    try:
        release = _release(engine, period)
        entries = registry_db.release_entries(
            engine, release.release_id, columns=["decision", "priority_rank", "desil", "monthly_contribution_idr"]
        )
    finally:
        engine.dispose()
    result = whatif(entries, dataclasses.replace(params, **changes), current_params=params)
    cur, new = result.current, result.proposed
    lines = [
        f"{period} release v{release.version}: what if {', '.join(f'{k}={v:,}' for k, v in changes.items())}",
        f"  cap                 {cur.cap:>12,} -> {new.cap:,}",
        f"  enrolled            {cur.enrolled:>12,} -> {new.enrolled:,} ({result.additional_enrolled:+,})",
        f"  waitlisted          {cur.waitlisted:>12,} -> {new.waitlisted:,}",
        f"  monthly cost (Rp)   {cur.monthly_cost_idr:>12,} -> {new.monthly_cost_idr:,} ({result.additional_monthly_cost_idr:+,})",
        f"  annual cost (Rp)    {cur.annual_cost_idr:>12,} -> {new.annual_cost_idr:,} ({result.additional_annual_cost_idr:+,})",
    ]
    if result.additional_by_desil:
        lines.append("  additional by desil " + ", ".join(f"desil {k}: {v:,}" for k, v in result.additional_by_desil.items()))
    if result.over_cap:
        lines.append(f"  {result.over_cap:,} current participants are beyond the proposed cap (nobody is removed; no free places)")
    lines.append("  (nothing was published)")
    return "\n".join(lines)


def _results_period(name: str, period: str | None) -> str:
    """The period of a results file: from its contract name ``HASIL_VERIFIKASI_YYYYMM.csv``
    (the whole name, nothing before or after), else the one given; both must agree."""
    prefix, suffix = VERIFIKASI.file_pattern.split("{yyyymm}")
    form = VERIFIKASI.file_pattern.replace("{yyyymm}", "YYYYMM")
    named = re.fullmatch(re.escape(prefix) + r"([0-9]{4})([0-9]{2})" + re.escape(suffix), name)
    if period is None:
        if named is None:
            raise SigapError(
                f"cannot tell the period from the file name {name!r}: expected {form}",
                hint=f"rename the file as the contract names it ({form}), or give --period YYYY-MM",
            )
        period = f"{named.group(1)}-{named.group(2)}"
        try:
            parse_period(period)
        except ValueError as exc:
            raise SigapError(
                f"the file name {name!r} does not name a period: {exc}",
                hint=f"rename the file as the contract names it ({form}), or give --period YYYY-MM",
            ) from None
    parse_period(period)
    if named is not None and VERIFIKASI.file_name(period) != name:
        raise SigapError(
            f"the file name {name!r} is for period {named.group(1)}{named.group(2)}, not {period}",
            hint="check which period the results belong to (--period YYYY-MM)",
        )
    return period


def stage_verification_results(settings: Settings, file: Path, period: str | None) -> str:
    """Validate a kelurahan results file (its .sha256 must be beside it) and record its
    answers for its period (``HASIL_VERIFIKASI_YYYYMM``): every run of that period applies
    them to the cases open at the end of the previous period's release, like a results
    file delivered over SFTP. No release is rewritten."""
    from connectors.sftp import parse_sha256_line, sha256_file
    from expectations.validate import validate_verification_results
    from tasks.publish import today_in_city

    file = Path(file)
    if not file.is_file():
        raise DataError("file not found", file=str(file))
    checksum = file.with_name(file.name + ".sha256")
    if not checksum.is_file():
        raise DataError("no .sha256 beside it: the delivery is incomplete", file=str(file))
    sha256 = sha256_file(file)
    if parse_sha256_line(checksum.read_text(), file.name) != sha256:
        raise DataError("checksum mismatch: never use this file", file=str(file))
    period = _results_period(file.name, period)
    results = validate_verification_results(
        file,
        period,
        work_dir=settings.data_dir / "runs" / period,
        max_reject_share=settings.validation.max_reject_share,
        max_uncompressed_bytes=settings.validation.max_uncompressed_bytes,
    )
    results.raise_if_unusable()
    engine = _engine(settings)
    try:
        base = registry_db.latest_release(engine, previous_period(period))
        # every case as of the base release, the closed ones with their status (a result
        # for a closed case is CASE_CLOSED, not UNKNOWN_CASE)
        cases = (
            registry_db.cases(engine, release_id=base.release_id)
            if base is not None
            else registry_db.empty_cases()
        )
        resolved, _verified, problems = case_rules.apply_verification_results(
            results.accepted, cases, period, today=today_in_city()
        )
        recorded = registry_db.record_answers(
            engine, period, results.accepted, file_name=file.name, file_sha256=sha256,
            recorded_at=datetime.now(UTC),
        )  # fmt: skip
        current = registry_db.latest_release(engine, period)
    finally:
        engine.dispose()
    where = f"the cases open at the end of {base.ref().label}" if base is not None else "no open cases (no release of the previous period)"
    lines = [
        f"{file.name}: {results.rows_total:,} rows, {results.rows_rejected:,} rejected; "
        f"{recorded:,} answers recorded for {period}" + ("" if recorded or not len(results.accepted) else " (this file was recorded before)"),
        f"{len(resolved):,} cases to close among {where}",
    ]
    if len(problems):
        lines.append(f"{len(problems):,} rows not applied (unknown or closed case, NIK mismatch, date after the period): see the problems below")
        for row in problems.head(20).to_dict("records"):
            lines.append(f"  case {row.get('CASE_ID', row.get('case_id'))}: {row.get('problem', '')}")
    if current is None:
        lines.append(f"the run of {period} applies these outcomes (LAYAK keeps, TIDAK_LAYAK terminates, NIK_DIKOREKSI re-links)")
    else:
        lines.append(
            f"{period} is already published ({current.ref().label}): re-run it to apply them, "
            f"with the later periods: `sigap run --period {period} --cascade`"
        )
    return "\n".join(lines)


#: the status of a current release built on a superseded one (``sigap status``)
STALE = "STALE"


@dataclasses.dataclass
class StatusReport:
    """``sigap status``: one row per period (column title -> text, in column order) and
    notes (what is pending, what to do)."""

    rows: list[dict[str, str]]
    notes: list[str]
    pending: bool


def status_report(settings: Settings) -> StatusReport:
    """Each period's current release and the state of its files; a note pointing at
    ``sigap repair`` when any release (current or superseded) has something undelivered.

    Columns are built in one place (:func:`_status_row`): add one there."""
    from connectors.outbox import Outbox

    engine = _engine(settings)
    try:
        periods = registry_db.period_deliveries(engine)
        pending = registry_db.pending_release_files(engine)
    finally:
        engine.dispose()
    uploads = settings.sources.outbound is not None
    history_rows = {r["period"]: r for r in registry_status(settings)}
    rows = [_status_row(p, uploads, history_rows.get(p.period)) for p in periods]
    notes: list[str] = []
    stale = [r for r in history_rows.values() if r["status"] == STALE]
    for r in stale:
        notes.append(f"{r['period']} v{r['version']} is stale since {r['stale_since']}: {r['stale_because']}")
    if stale:
        first = min(r["period"] for r in stale)
        notes.append(f"re-run the stale periods in order: `sigap run --period {first} --cascade`")
    undelivered = [r for r in pending if r.needs_delivery]
    not_uploaded = [r for r in pending if r.needs_upload]
    if undelivered or not_uploaded:
        releases = sorted({f"{r.period} v{r.version}" for r in pending})
        notes.append(
            f"not delivered: {sum(r.is_file for r in undelivered)} file(s) and "
            f"{sum(not r.is_file for r in undelivered)} worklist set(s); not uploaded: "
            f"{len(not_uploaded)} file(s) ({', '.join(releases)}): run `sigap repair`"
            + (" (or the next monthly run does it first)" if settings.mode != "server" else "")
        )
    if not_uploaded and not uploads:
        notes.append("no outbound endpoint is configured (sources.outbound): uploads cannot complete")
    needed = {r.staging for r in undelivered if r.staging}
    leftovers = [f for f in Outbox(settings.outbox).staging_folders() if f not in needed]
    if leftovers:
        notes.append(
            f"{len(leftovers)} staging folder(s) in {settings.outbox / '.staging'}: "
            "`sigap repair` removes those no delivery needs"
        )
    return StatusReport(rows=rows, notes=notes, pending=bool(pending or leftovers))


def _status_row(
    p: registry_db.PeriodDelivery, uploads: bool, history_row: dict | None
) -> dict[str, str]:
    delivered = p.files - p.undelivered
    h = history_row or {}
    return {
        "period": p.period,
        "release": f"{p.release_id} (v{p.version} of {h.get('versions', p.version)})",
        "status": h.get("status", p.status),
        "built on": h.get("based_on") or "-",
        "published (UTC)": p.published_at.strftime("%Y-%m-%d %H:%M"),
        "in outbox": f"{delivered}/{p.files}" if p.files else "-",
        "not uploaded": str(p.not_uploaded) if (uploads or p.not_uploaded) else "-",
        "worklists": "due" if p.worklists_due else "ok",
        "delivery": "PENDING" if p.pending else "complete",
    }


def registry_status(settings: Settings) -> list[dict]:
    """Every period with its current release: version, status, what it is built on, and
    whether it is stale (and why). No personal data."""
    engine = _engine(settings)
    try:
        every = registry_db.releases(engine)
    finally:
        engine.dispose()
    labels = {r.release_id: f"{r.period} v{r.version} #{r.release_id}" for r in every}
    out: list[dict] = []
    for r in every:
        if r.status != ReleaseStatus.PUBLISHED:
            continue
        out.append(
            {
                "period": r.period,
                "version": r.version,
                "release_id": r.release_id,
                "status": STALE if r.stale else r.status,
                "versions": sum(1 for x in every if x.period == r.period),
                "based_on": labels.get(r.based_on_release_id, "") if r.based_on_release_id else "",
                "published_at": r.published_at.strftime("%Y-%m-%d %H:%M UTC"),
                "stale_since": r.stale_since.strftime("%Y-%m-%d %H:%M UTC") if r.stale_since else "",
                "stale_because": r.stale_because or "",
            }
        )
    return out


def diff_versions(
    settings: Settings, period: str, from_version: int | None = None, to_version: int | None = None
) -> history.VersionDiff:
    """What changed between two versions of a period (default: the latest and the one
    before it): inputs by digest, rules, base release, and the decision changes."""
    parse_period(period)
    engine = _engine(settings)
    try:
        versions = {r.version: r for r in registry_db.releases(engine, period)}
        if not versions:
            raise SigapError(f"no release of {period}", hint="run `sigap run --period` first")
        to_v = to_version if to_version is not None else max(versions)
        from_v = from_version if from_version is not None else to_v - 1
        missing = [v for v in (from_v, to_v) if v not in versions]
        if missing:
            raise SigapError(
                f"{period} has no version {', '.join(map(str, missing))} (versions: "
                f"{', '.join(map(str, sorted(versions)))})",
                hint="give --from and --to among those",
            )
        columns = list(history.DIFF_ENTRY_COLUMNS)
        old, new = versions[from_v], versions[to_v]
        before = registry_db.release_entries(engine, old.release_id, columns=columns)
        after = registry_db.release_entries(engine, new.release_id, columns=columns)
    finally:
        engine.dispose()
    return history.version_diff(
        period, old.ref(), new.ref(), old.input_digests, new.input_digests, before, after,
        from_rules=old.rules_version, to_rules=new.rules_version,
    )  # fmt: skip
