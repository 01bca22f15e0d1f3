"""Validating an extract (Great Expectations gate + row quarantine) and keeping the
accepted rows as the period's baseline (Parquet).

Cached on (source, period, file sha256, thresholds, contract/rules version): re-running a
period after one provider's resend re-validates only that provider's file. ``force``
refreshes the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Self

import pandas as pd
from prefect import task
from prefect.artifacts import MarkdownArtifact, TableArtifact
from prefect.logging import get_run_logger
from prefect.runtime import flow_run

from connectors import served_files
from connectors.baselines import BaselineStore
from connectors.sftp import FetchedFile
from core.memory import release_memory
from core.settings import Settings
from domain.codes import DeliveryStatus, Source
from domain.extracts import SPECS
from domain.rules import RULES_LOGIC_VERSION
from tasks.artifacts import key_for, put


class AcceptedRows:
    """The accepted rows of one run's extracts: a handle the flow creates for the run and
    passes to the tasks that need it (no module state carries a run's data).

    * ``keep`` hands a validated extract's rows over: they are written as the period's
      baseline (Parquet) in the background (Parquet encoding releases the GIL: the next
      extract's validation goes on meanwhile; one writer, in submission order), and kept
      in memory so the reconciliation does not read back what was just written.
    * ``frame`` gives them back (``None``: not validated by this run, read the baseline).
    * ``wait`` blocks until every baseline is on disk and re-raises the first failure,
      naming the source: a release never refers to an incomplete baseline.
    * ``drop_frames`` lets the rows go once reconciliation no longer needs them; leaving
      the ``with`` block waits for the writes, drops the rows and stops the writer.
    """

    def __init__(self, period: str) -> None:
        self.period = period
        self._frames: dict[tuple[str, str], pd.DataFrame] = {}
        self._writer: ThreadPoolExecutor | None = None
        self._pending: list[tuple[str, Future]] = []  # (baseline path, its write)

    def keep(self, store: BaselineStore, source: str, sha256: str, frame: pd.DataFrame) -> Path:
        """Write ``frame`` as the baseline of ``source`` in the background and keep it for
        the run; returns the baseline's path."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="baseline-writer")
        path = store.path(source, self.period, sha256)
        self._pending.append(
            (str(path), self._writer.submit(store.save, source, self.period, sha256, frame))
        )
        self._frames[(source, sha256)] = frame
        return path

    def frame(self, source: str, period: str, sha256: str) -> pd.DataFrame | None:
        if period != self.period:
            return None
        return self._frames.get((source, sha256))

    def being_written(self, path: str) -> bool:
        """Whether ``path`` is a baseline this run is writing (or wrote without error)."""
        return any(
            p == path and (not future.done() or future.exception() is None)
            for p, future in self._pending
        )

    def wait(self) -> None:
        """Block until every baseline written in the background is on disk; re-raise the
        first failure (naming the source)."""
        pending, self._pending = self._pending, []
        failure: BaseException | None = None
        for path, future in pending:
            try:
                future.result()
            except BaseException as exc:  # noqa: BLE001 - re-raised below, after the others
                if failure is None:
                    source = Path(path).parent.parent.name
                    failure = RuntimeError(
                        f"{source}: writing the accepted rows (baseline) {path} failed: {exc}"
                    )
                    failure.__cause__ = exc
        if failure is not None:
            raise failure

    def drop_frames(self) -> None:
        self._frames.clear()

    def close(self) -> None:
        """Wait for the writes, then let the rows and the writer go."""
        try:
            self.wait()
        finally:
            self._frames.clear()
            if self._writer is not None:
                self._writer.shutdown(wait=True)
                self._writer = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
            return
        with contextlib.suppress(Exception):  # the run failed already: its error is the one to see
            self.close()


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
    def status(self) -> DeliveryStatus:
        return DeliveryStatus.of(self.passed, self.accepted_by_operator)

    @property
    def usable(self) -> bool:
        """The policy on a failed extract (``domain.codes.DeliveryStatus.usable``)."""
        return self.status.usable

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
    accepted_rows: AcceptedRows,
) -> ValidatedExtract:
    """Validate one extract; its accepted rows go to ``accepted_rows`` (the run's handle:
    written as the baseline in the background, kept for the reconciliation)."""
    from expectations.validate import validate_extract

    logger = get_run_logger()
    spec = SPECS[Source(source)]
    work_dir = (settings.data_dir / "runs" / period).resolve()
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
        docs_dir=run_folder(settings, period),
    )
    baseline = accepted_rows.keep(
        BaselineStore(settings.data_dir / "baselines"), str(source), outcome.sha256,
        outcome.accepted,
    )
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
    logger.info(
        "%s: %s rows, %s accepted, %s rejected (%.3f%%)%s",
        source,
        f"{result.rows_total:,}",
        f"{result.rows_accepted:,}",
        f"{result.rows_rejected:,}",
        100 * result.reject_share,
        "" if result.passed else (
            " -- failed validation, accepted by the operator" if result.accepted_by_operator
            else " -- FAILED validation (why: the validation table and the run's final state)"
        ),
    )  # fmt: skip
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


def run_folder(settings: Settings, period: str) -> Path:
    """The current flow run's own folder for the Great Expectations stores and Data Docs,
    ``data_dir/runs/YYYY-MM/run-<flow run id>``: two runs of a period (one waiting for the
    deployment's slot, one started from the command line) never write into the same
    folder."""
    run_id = flow_run.get_id() or f"local-{uuid.uuid4()}"
    return (settings.data_dir / "runs" / period / f"run-{run_id}").resolve()


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
    accepted_rows: AcceptedRows,
) -> ValidatedExtract:
    """Validate, reusing the cached result of an identical earlier validation unless
    ``force``; a cached result whose files (baseline Parquet, rejects file) have since been
    deleted is recomputed rather than trusted."""
    args = (settings, source, period, fetched, previous_rows, accept_flagged, accepted_rows)
    result = validate_source.with_options(refresh_cache=force)(*args)
    if not accepted_rows.being_written(result.baseline_path) and not (
        Path(result.baseline_path).is_file() and Path(result.rejects_path).is_file()
    ):  # neither just validated (its baseline being written) nor with its files
        get_run_logger().info("%s: cached validation's files are gone: validating again", source)
        result = validate_source.with_options(refresh_cache=True)(*args)
    # every run shows its validation tables, a cached validation's too
    publish_validation_artifacts(settings, result)
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


#: what a failing expectation does to the run (the table's ``effect`` column)
EFFECT_BLOCKS = "blocks the run"
EFFECT_REJECTS = "rejects the rows (counted by the reject-share gate)"
EFFECT_WARNS = "warning only"


def _effect(row: dict) -> str:
    if row.get("gate"):
        return EFFECT_BLOCKS
    return EFFECT_WARNS if row.get("severity") == "warning" else EFFECT_REJECTS


def validation_table(result: ValidatedExtract) -> list[dict]:
    """The rows of an extract's validation table: the extract-level gates, then every
    expectation; failing ones first; what each does when it fails (``effect``)."""
    rows = [
        {
            "expectation": f"extract: {c.get('name')}",
            "column": "",
            "success": c.get("passed"),
            "effect": EFFECT_BLOCKS,
            "unexpected_count": c.get("value"),
            "unexpected_percent": c.get("threshold"),
            "detail": c.get("detail") or "",
        }
        for c in result.extract_checks
    ]
    rows += [
        {
            "expectation": r.get("expectation"),
            "column": r.get("column"),
            "success": r.get("success"),
            "effect": _effect(r),
            "unexpected_count": r.get("unexpected_count"),
            "unexpected_percent": round(float(r.get("unexpected_percent") or 0.0), 4),
            "detail": r.get("description") or "",
        }
        for r in result.expectation_results
        if not r.get("gate")  # the gates are the extract-level rows above
    ]
    # what the quarantine did, by rule: rows removed, rows kept with a value nulled
    for what, effect, counts in (
        ("rows removed", EFFECT_REJECTS, result.rejects_by_rule),
        ("rows kept, value nulled", EFFECT_WARNS, result.repairs_by_rule),
    ):
        rows += [
            {
                "expectation": f"quarantine: {what}, {rule}",
                "column": rule.split(":", 1)[0],
                "success": False,
                "effect": effect,
                "unexpected_count": count,
                "unexpected_percent": round(100 * count / result.rows_total, 4)
                if result.rows_total
                else 0.0,
                "detail": "listed in the rejects file",
            }
            for rule, count in sorted(counts.items())
        ]
    if result.extra_columns:
        rows.append(
            {
                "expectation": "delivery: extra columns ignored",
                "column": ", ".join(result.extra_columns),
                "success": True,
                "effect": EFFECT_WARNS,
                "unexpected_count": len(result.extra_columns),
                "unexpected_percent": 0.0,
                "detail": "not in the contract: left out of the extract's rows",
            }
        )
    order = {EFFECT_BLOCKS: 0, EFFECT_REJECTS: 1, EFFECT_WARNS: 2}
    # stable: within failing and passing rows, gates first, then the definition order
    return sorted(rows, key=lambda row: (bool(row["success"]), order[row["effect"]]))


def publish_validation_artifacts(settings: Settings, result: ValidatedExtract) -> None:
    """One table per extract in the Prefect UI (failing expectations first, with what
    each does to the run), and the link to the extract's page of the run's Data Docs."""
    rows = validation_table(result)
    failing = sum(1 for row in rows if not row["success"])
    verdict = "passed" if result.passed else "FAILED"
    kept = f", {result.rows_repaired:,} kept with a value nulled" if result.rows_repaired else ""
    if result.accepted_by_operator:
        verdict = "failed, accepted by the operator"
    put(
        TableArtifact(
            key=key_for("validation", result.period, result.source),
            table=rows,
            description=(
                f"{result.source} {result.period}: {result.rows_total:,} rows, "
                f"{result.rows_rejected:,} rejected ({100 * result.reject_share:.3f}%){kept}, "
                f"{verdict}; {failing} of {len(rows)} checks not met, listed first "
                "(effect: what a failure does)"
            ),
        )
    )
    if result.data_docs_path:
        put(data_docs_artifact(settings, result))


def data_docs_artifact(settings: Settings, result: ValidatedExtract) -> MarkdownArtifact:
    """A link to the extract's validation page of the run's Data Docs, or, without a
    report server, where the page is (a browser does not open ``file://`` from the UI)."""
    title = f"Great Expectations Data Docs: {result.source} {result.period}"
    url = served_files.url_for(settings, result.data_docs_path)
    if url is not None:
        text = f"[{title}]({url})"
    else:
        text = (
            f"**{title}**: no report server configured (`links.base_url`); the page is "
            f"the file `{Path(result.data_docs_path).resolve()}`"
        )
    return MarkdownArtifact(
        key=key_for("data-docs", result.period, result.source),
        markdown=text,
        description=f"The extract-level validation of {result.source} {result.period} in the run's Data Docs",
    )
