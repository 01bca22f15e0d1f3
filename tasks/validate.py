"""Validating an extract (Great Expectations gate + row quarantine) and keeping the
accepted rows as the period's baseline (Parquet).

Cached on (source, period, file sha256, thresholds, contract/rules version): re-running a
period after one provider's resend re-validates only that provider's file. ``force``
refreshes the cache.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_link_artifact, create_table_artifact
from prefect.logging import get_run_logger

from connectors.baselines import BaselineStore
from connectors.sftp import FetchedFile
from domain.codes import Source
from domain.extracts import SPECS
from domain.rules import RULES_LOGIC_VERSION
from sigap.settings import Settings
from tasks.progress import release_memory

#: the accepted frames this process validated during the current period's run, so the
#: reconciliation does not read back the Parquet it just wrote (one period at a time)
_ACCEPTED: dict[tuple[str, str, str], pd.DataFrame] = {}


def _remember(source: str, period: str, sha256: str, frame: pd.DataFrame) -> None:
    for key in [k for k in _ACCEPTED if k[1] != period]:
        del _ACCEPTED[key]
    _ACCEPTED[(source, period, sha256)] = frame


def accepted_in_memory(source: str, period: str, sha256: str) -> pd.DataFrame | None:
    return _ACCEPTED.get((source, period, sha256))


def forget_accepted() -> None:
    """Drop the frames kept for the run (the flow calls this when it ends), after the
    baselines still being written are on disk."""
    try:
        wait_for_baselines()
    finally:
        _ACCEPTED.clear()


#: baselines being written in the background (Parquet encoding releases the GIL: the
#: next extract's validation goes on meanwhile); one writer, in submission order
_WRITER: ThreadPoolExecutor | None = None
_PENDING: list[tuple[str, Future]] = []  # (baseline path, its write)


def _save_baseline_later(store: BaselineStore, source: str, period: str, sha256: str,
                         frame: pd.DataFrame) -> Path:
    global _WRITER
    if _WRITER is None:
        _WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="baseline-writer")
    path = store.path(source, period, sha256)
    _PENDING.append((str(path), _WRITER.submit(store.save, source, period, sha256, frame)))
    return path


def _pending_paths() -> set[str]:
    return {path for path, future in _PENDING if not future.done() or future.exception() is None}


def wait_for_baselines() -> None:
    """Block until every baseline written in the background is on disk; re-raise the
    first failure (naming the source). Publishing calls this first: a release never
    refers to a baseline that is not complete."""
    pending, _PENDING[:] = list(_PENDING), []
    failure: BaseException | None = None
    for path, future in pending:
        try:
            future.result()
        except BaseException as exc:  # noqa: BLE001 - re-raised below, after the others
            if failure is None:
                source = Path(path).parent.parent.name
                failure = RuntimeError(f"{source}: writing the accepted rows (baseline) {path} failed: {exc}")
                failure.__cause__ = exc
    if failure is not None:
        raise failure


@dataclass(frozen=True)
class ValidatedExtract:
    """What the flow keeps of a validation: the summary, not the rows (those are in the
    baseline Parquet file)."""

    source: str
    period: str
    file: str
    sha256: str
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    reject_share: float
    passed: bool
    accepted_by_operator: bool
    failure_message: str | None
    rejects_path: str
    data_docs_path: str | None
    baseline_path: str
    warnings: dict[str, int] = field(default_factory=dict)
    #: rows removed (quarantined) per ``COLUMN:RULE``
    rejects_by_rule: dict[str, int] = field(default_factory=dict)
    expectation_results: list[dict] = field(default_factory=list)
    extract_checks: list[dict] = field(default_factory=list)
    #: BPJS rows kept with a value nulled (listed as KEPT in the rejects file), and per
    #: ``COLUMN:RULE``
    rows_repaired: int = 0
    repairs_by_rule: dict[str, int] = field(default_factory=dict)
    #: columns the delivery has and the contract does not (ignored), escaped for display
    extra_columns: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.passed or self.accepted_by_operator

    def as_json(self) -> dict:
        return asdict(self)


def _cache_key(context, parameters) -> str:
    """Same file digest, thresholds, folder and rules -> same key."""
    settings: Settings = parameters["settings"]
    fetched: FetchedFile = parameters["fetched"]
    blob = json.dumps(
        {
            "source": str(parameters["source"]),
            "period": parameters["period"],
            "sha256": fetched.sha256,
            "previous_rows": parameters["previous_rows"],
            "accept": parameters["accept_flagged"],
            "validation": settings.validation.model_dump(mode="json"),
            "data_dir": str(settings.data_dir.resolve()),
            "logic": RULES_LOGIC_VERSION,
        },
        sort_keys=True,
    )
    return "validate-" + hashlib.sha256(blob.encode()).hexdigest()


@task(
    name="validate-extract",
    task_run_name="validate-{source}-{period}",
    cache_key_fn=_cache_key,
    persist_result=True,
)
def validate_source(
    settings: Settings,
    source: Source,
    period: str,
    fetched: FetchedFile,
    previous_rows: int | None,
    accept_flagged: bool,
) -> ValidatedExtract:
    from expectations.validate import validate_extract

    logger = get_run_logger()
    spec = SPECS[Source(source)]
    work_dir = settings.data_dir / "runs" / period
    outcome = validate_extract(
        Path(fetched.path),
        spec,
        period,
        work_dir=work_dir,
        max_reject_share=settings.validation.max_reject_share,
        row_count_tolerance=settings.validation.row_count_tolerance.get(str(source), 0.10),
        previous_rows=previous_rows,
        max_uncompressed_bytes=settings.validation.max_uncompressed_bytes,
        accept_flagged=accept_flagged,
        data_docs=settings.validation.data_docs,
        progress=lambda msg: logger.info("%s: %s", source, msg),
        sha256=fetched.sha256,  # verified by the download against the provider's .sha256
    )
    baseline = _save_baseline_later(
        BaselineStore(settings.data_dir / "baselines"), str(source), period, outcome.sha256,
        outcome.accepted,
    )
    _remember(str(source), period, outcome.sha256, outcome.accepted)
    result = ValidatedExtract(
        source=str(source),
        period=period,
        file=str(fetched.path),
        sha256=outcome.sha256,
        rows_total=outcome.rows_total,
        rows_accepted=outcome.rows_accepted,
        rows_rejected=outcome.rows_rejected,
        reject_share=outcome.reject_share,
        passed=outcome.passed,
        accepted_by_operator=outcome.accepted_by_operator,
        failure_message=outcome.failure_message,
        rejects_path=str(outcome.rejects_path),
        data_docs_path=str(outcome.data_docs_path) if outcome.data_docs_path else None,
        baseline_path=str(baseline),
        warnings=dict(outcome.warnings),
        rejects_by_rule={_rule_key(k): int(v) for k, v in dict(outcome.rejects_by_rule).items()},
        expectation_results=[_row(r) for r in outcome.expectation_results],
        extract_checks=[_row(c) for c in outcome.extract_checks],
        rows_repaired=outcome.rows_repaired,
        repairs_by_rule={_rule_key(k): int(v) for k, v in outcome.repairs_by_rule.items()},
        extra_columns=list(outcome.extra_columns),
    )
    del outcome
    release_memory(collect=True)  # GX's validators hold the batches in reference cycles
    publish_validation_artifacts(result)
    logger.info(
        "%s: %s rows, %s accepted, %s rejected (%.3f%%)%s",
        source,
        f"{result.rows_total:,}",
        f"{result.rows_accepted:,}",
        f"{result.rows_rejected:,}",
        100 * result.reject_share,
        "" if result.passed else " -- FAILED: " + (result.failure_message or ""),
    )
    if result.rows_repaired:
        logger.warning(
            "%s: %s rows kept with a value nulled (listed as KEPT in the rejects file): %s",
            source, f"{result.rows_repaired:,}", _by_rule(result.repairs_by_rule),
        )  # fmt: skip
    if result.extra_columns:
        logger.warning(
            "%s: extra columns ignored (not in the contract): %s",
            source, ", ".join(result.extra_columns),
        )  # fmt: skip
    return result


def _by_rule(counts: dict[str, int]) -> str:
    """``KPJ:DUPLICATE_KEY 2, :FIELD_COUNT 1``: most frequent first."""
    return ", ".join(f"{k} {n:,}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def validate_with_cache(
    settings: Settings,
    source: Source,
    period: str,
    fetched: FetchedFile,
    previous_rows: int | None,
    accept_flagged: bool,
    force: bool,
) -> ValidatedExtract:
    """Validate, reusing the cached result of an identical earlier validation unless
    ``force``; a cached result whose files (baseline Parquet, rejects file) have since been
    deleted is recomputed rather than trusted."""
    args = (settings, source, period, fetched, previous_rows, accept_flagged)
    result = validate_source.with_options(refresh_cache=force)(*args)
    if result.baseline_path in _pending_paths():
        return result  # just validated: its baseline is being written in the background
    if not (Path(result.baseline_path).is_file() and Path(result.rejects_path).is_file()):
        get_run_logger().info("%s: cached validation's files are gone: validating again", source)
        result = validate_source.with_options(refresh_cache=True)(*args)
    return result


def _rule_key(key) -> str:
    """``("NIK", "NIK_FORMAT")`` -> ``"NIK:NIK_FORMAT"``."""
    return ":".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _row(item) -> dict:
    if isinstance(item, dict):
        return dict(item)
    if hasattr(item, "__dataclass_fields__"):
        return asdict(item)
    return dict(item.__dict__)


def publish_validation_artifacts(result: ValidatedExtract) -> None:
    """One table per extract in the Prefect UI (expectation, success, unexpected count and
    percent), plus the extract-level checks and a link to the Data Docs."""
    key = f"validation-{result.source}-{result.period.replace('-', '')}"
    rows = [
        {
            "expectation": r.get("expectation"),
            "column": r.get("column"),
            "success": r.get("success"),
            "unexpected_count": r.get("unexpected_count"),
            "unexpected_percent": round(float(r.get("unexpected_percent") or 0.0), 4),
        }
        for r in result.expectation_results
    ]
    rows += [
        {
            "expectation": f"extract: {c.get('name')}",
            "column": "",
            "success": c.get("passed"),
            "unexpected_count": c.get("value"),
            "unexpected_percent": c.get("threshold"),
        }
        for c in result.extract_checks
    ]
    for what, counts in (
        ("rows removed", result.rejects_by_rule),
        ("rows kept, value nulled", result.repairs_by_rule),
    ):
        rows += [
            {
                "expectation": f"extract: {what}, {rule}",
                "column": rule.split(":", 1)[0],
                "success": False,
                "unexpected_count": count,
                "unexpected_percent": round(100 * count / result.rows_total, 4)
                if result.rows_total
                else 0.0,
            }
            for rule, count in sorted(counts.items())
        ]
    if result.extra_columns:
        rows.append(
            {
                "expectation": "extract: extra columns ignored",
                "column": ", ".join(result.extra_columns),
                "success": True,
                "unexpected_count": len(result.extra_columns),
                "unexpected_percent": 0.0,
            }
        )
    kept = f", {result.rows_repaired:,} kept with a value nulled" if result.rows_repaired else ""
    create_table_artifact(
        key=key,
        table=rows,
        description=(
            f"{result.source} {result.period}: {result.rows_total:,} rows, "
            f"{result.rows_rejected:,} rejected ({100 * result.reject_share:.3f}%){kept}, "
            f"{'passed' if result.passed else 'FAILED'}"
            f"{' (accepted by operator)' if result.accepted_by_operator else ''}"
        ),
    )
    if result.data_docs_path:
        create_link_artifact(
            key=f"data-docs-{result.source}-{result.period.replace('-', '')}",
            link=Path(result.data_docs_path).resolve().as_uri(),
            link_text=f"Great Expectations Data Docs: {result.source} {result.period}",
        )
