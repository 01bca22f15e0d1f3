"""Operator look-ups on a published registry: ``sigap explain``, ``sigap whatif`` and
``sigap verify-results``. They read the registry; only ``verify-results`` writes (it
closes cases)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from connectors import registry_db
from domain import cases as case_rules
from domain.explain import explain_person as explain_lines
from domain.periods import parse_period
from domain.quota import whatif
from sigap.errors import DataError, SigapError
from sigap.settings import Settings, rule_parameters


def _engine(settings: Settings):
    from tasks.registry import engine_for

    return engine_for(settings)


def _release(engine, period: str):
    parse_period(period)
    release = registry_db.latest_release(engine, period)
    if release is None:
        raise SigapError(f"no published release for {period}", hint="run `sigap run --period` first")
    return release


def explain_person(settings: Settings, period: str, *, nik: str | None, kpj: str | None) -> str:
    """The person's decision, reasons and evidence in the latest release (full NIK and
    name: this is the operator's own look-up)."""
    engine = _engine(settings)
    try:
        release = _release(engine, period)
        entries = registry_db.find_entry(engine, period, nik=nik, kpj=kpj)
    finally:
        engine.dispose()
    try:
        lines = explain_lines(entries, nik=nik, kpj=kpj, reveal=True)
    except ValueError as exc:
        raise SigapError(f"{exc} (release {period} v{release.version})") from None
    return "\n".join([f"{period} release v{release.version} (id {release.release_id}, rules {release.rules_version})", *lines])


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


def stage_verification_results(settings: Settings, file: Path, period: str | None) -> str:
    """Validate a kelurahan results file (its .sha256 must be beside it) and close the
    cases it resolves; the next monthly run applies the outcomes to the decisions."""
    from connectors.sftp import parse_sha256_line, sha256_file
    from expectations.validate import validate_verification_results
    from tasks.publish import today_in_city

    file = Path(file)
    if not file.is_file():
        raise DataError("file not found", file=str(file))
    checksum = file.with_name(file.name + ".sha256")
    if not checksum.is_file():
        raise DataError("no .sha256 beside it: the delivery is incomplete", file=str(file))
    if parse_sha256_line(checksum.read_text(), file.name) != sha256_file(file):
        raise DataError("checksum mismatch: never use this file", file=str(file))
    if period is None:
        stem = file.name.removeprefix("HASIL_VERIFIKASI_").split(".")[0]
        period = f"{stem[:4]}-{stem[4:6]}"
    parse_period(period)
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
        # every case, closed ones with their status (CASE_CLOSED, not UNKNOWN_CASE)
        cases = registry_db.cases(engine)
        resolved, _verified, problems = case_rules.apply_verification_results(
            results.accepted, cases, period, today=today_in_city()
        )
        closed = registry_db.resolve_cases(engine, resolved) if len(resolved) else 0
    finally:
        engine.dispose()
    lines = [f"{file.name}: {results.rows_total:,} rows, {results.rows_rejected:,} rejected, {closed:,} cases closed"]
    if len(problems):
        lines.append(f"{len(problems):,} rows not applied (unknown or closed case, NIK mismatch, date after the period): see the problems below")
        for row in problems.head(20).to_dict("records"):
            lines.append(f"  case {row.get('CASE_ID', row.get('case_id'))}: {row.get('problem', '')}")
    lines.append("the next monthly run applies these outcomes (LAYAK keeps, TIDAK_LAYAK terminates, NIK_DIKOREKSI re-links)")
    return "\n".join(lines)
