"""Validating one delivered extract: the entry point of ``expectations``.

:func:`validate_extract` reads the file (``connectors.extract_file``; file-level faults
raise ``FileFormatError`` and are not caught here), types it and computes the row rules
(``expectations.parse``), quarantines the rows that break a rule into the rejects file
(``expectations.quarantine``), runs the Great Expectations suites (``expectations.suites``)
that document those rules and gate the extract, and returns a typed
:class:`ValidationOutcome`.

The gates (GX expectations of the ``<source>.extract`` suite): the rejected share of the
rows (default at most 1%) and the row count against the previous accepted extract
(default within 10%). Failing either gives ``passed=False`` and an actionable
``failure_message``; nothing may be published from that delivery unless an operator,
having checked it, passes ``accept_flagged=True`` (then ``accepted_by_operator`` says so).

Invariant: every data row ends either in ``accepted`` or in the rejects file:
``rows_accepted + rows_rejected == rows_total``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.core.run_identifier import RunIdentifier

from connectors.extract_file import RawExtract, read_extract, read_plain_csv
from core.errors import ValidationFailed
from domain.codes import DeliveryStatus
from domain.extracts import VERIFIKASI, ExtractSpec
from domain.identity import nik_memo
from domain.periods import parse_period
from domain.privacy import mask_nik
from expectations import gx_context, suites
from expectations.parse import ParsedExtract, parse_extract
from expectations.quarantine import rejects_frame, rejects_path, write_rejects

__all__ = [
    "VERIFIKASI_LABEL",
    "ExpectationRow",
    "ExtractCheck",
    "ValidationOutcome",
    "printable_labels",
    "validate_extract",
    "validate_verification_results",
]

#: the label (rejects file, suites) of the re-verification results
VERIFIKASI_LABEL = "verifikasi"
#: default size cap of the (small, plain-text) re-verification results file
VERIFIKASI_MAX_BYTES = 1 << 30
#: what to do about a results file that failed validation (it is never accepted as it is)
RESULTS_HINT = (
    "send the rejects file to the kelurahan; the corrected results file, with a new "
    ".sha256 beside it, replaces this one (check it first with `sigap verify-results "
    "FILE`), then re-run the period"
)
#: rules named in a failure message, most frequent first
_TOP_RULES = 3
#: extra columns named (escaped) in reports and logs, and the characters shown of each
_EXTRA_COLUMNS_SHOWN = 20
_LABEL_CHARACTERS = 64

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ExpectationRow:
    """One Great Expectations result, as the run report shows it."""

    suite: str
    expectation: str
    #: the contract column (``""`` for whole-line and extract-level checks)
    column: str
    success: bool
    unexpected_count: int | None
    unexpected_percent: float | None
    #: ``critical`` (row rules that reject, gates) or ``warning``
    severity: str
    #: the quarantine rules the expectation documents (empty for the gates)
    rules: tuple[str, ...]
    #: for aggregate expectations (row count, rejected share): what GX observed
    observed_value: float | None
    description: str
    #: for the extract-level gates: ``row_count_drift`` or ``reject_share``
    gate: str | None = None


@dataclass(frozen=True)
class ExtractCheck:
    """An extract-level gate: ``row_count_drift`` or ``reject_share``."""

    name: str
    #: the relative row-count change (``+0.02`` = 2% more rows), or the rejected share;
    #: None when there is no previous extract to compare with
    value: float | None
    threshold: float
    passed: bool
    detail: str


@dataclass(frozen=True)
class ValidationOutcome:
    """What validating one extract found, and the accepted rows (typed, docs/DESIGN.md)."""

    source: str
    file: str
    sha256: str
    period: str
    rows_total: int
    rows_accepted: int
    #: distinct rows in the rejects file
    rows_rejected: int
    reject_share: float
    #: rows per warning rule (counted, reported, never rejected)
    warnings: dict[str, int]
    #: rejected rows per (column, rule); a row breaking two rules counts under both
    rejects_by_rule: dict[tuple[str, str], int]
    expectation_results: list[ExpectationRow]
    extract_checks: list[ExtractCheck]
    #: every gate passed
    passed: bool
    #: the gates failed but the operator accepted this delivery for the run
    accepted_by_operator: bool
    failure_message: str | None
    accepted: pd.DataFrame = field(repr=False)
    rejects_path: Path
    data_docs_path: Path | None
    #: what the reader noticed: BOM, CRLF, blank lines...
    encoding_notes: tuple[str, ...] = ()
    #: columns the contract does not know (ignored), escaped: :func:`printable_labels`
    extra_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    #: BPJS (``ExtractSpec.essential``): accepted rows with a value nulled or blanked
    #: (listed in the rejects file as KEPT, counted among the warnings, not rejected)
    rows_repaired: int = 0
    #: those rows per (column, rule); a row breaking two rules counts under both
    repairs_by_rule: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        """May the accepted rows be reconciled and published? (the policy:
        ``domain.codes.DeliveryStatus.usable``)"""
        return DeliveryStatus.of(self.passed, self.accepted_by_operator).usable

    def raise_if_unusable(self) -> None:
        """Raise ``ValidationFailed`` (naming the file) unless the outcome is usable;
        for the results file, with advice that works for it (no ``--accept-flagged``: that
        accepts extracts only)."""
        if self.usable:
            return
        results = self.source == VERIFIKASI_LABEL
        raise ValidationFailed(
            self.failure_message or "validation failed",
            file=self.file,
            sources=() if results else (self.source,),
            hint=RESULTS_HINT if results else None,
        )


def validate_extract(
    path: Path,
    spec: ExtractSpec,
    period: str,
    *,
    work_dir: Path,
    max_reject_share: float,
    row_count_tolerance: float,
    previous_rows: int | None,
    max_uncompressed_bytes: int,
    accept_flagged: bool = False,
    data_docs: bool = False,
    progress: Progress | None = None,
    sha256: str | None = None,
    docs_dir: Path | None = None,
) -> ValidationOutcome:
    """Validate one gzip extract of ``spec`` for ``period`` (see the module docstring).

    ``previous_rows`` is the ``rows_total`` of the previous accepted extract of the same
    source (None: no row-count check). Writes ``<work_dir>/rejects/...`` and, with
    ``data_docs``, the Great Expectations stores and Data Docs under ``docs_dir`` (default
    ``work_dir``; a run passes its own folder, so that two runs of a period never write
    into the same site); ``data_docs_path`` is then the page of the extract-level
    validation. ``sha256`` is the file's digest when the caller has just computed it (the
    download verifies it against the provider's ``.sha256``); otherwise the file is hashed
    here.
    """
    parse_period(period)
    path = Path(path)
    say = progress or (lambda message: None)
    say(f"reading {path.name}")
    return _validate(  # the raw text is _validate's alone: it drops it when done with it
        read_extract(path, spec, max_uncompressed_bytes=max_uncompressed_bytes),
        sha256,
        path,
        spec,
        str(spec.source),
        period,
        work_dir=Path(work_dir).resolve(),  # messages name absolute paths
        limits=suites.ExtractLimits(max_reject_share, row_count_tolerance, previous_rows),
        accept_flagged=accept_flagged,
        data_docs=data_docs,
        say=say,
        docs_dir=Path(docs_dir).resolve() if docs_dir is not None else None,
    )


def validate_verification_results(
    path: Path,
    period: str,
    *,
    work_dir: Path,
    max_reject_share: float = 0.01,
    max_uncompressed_bytes: int = VERIFIKASI_MAX_BYTES,
    accept_flagged: bool = False,
    data_docs: bool = False,
    progress: Progress | None = None,
) -> ValidationOutcome:
    """Validate the plain-text re-verification results ``HASIL_VERIFIKASI_YYYYMM.csv``
    (``domain.extracts.VERIFIKASI``; ``NIK_BARU`` is required when ``HASIL`` is
    ``NIK_DIKOREKSI``). There is no row-count gate: the number of cases varies. The
    defaults are the contract's (1% rejected rows at most) and a 1 GiB size cap; callers
    that apply the results should use ``outcome.accepted`` only when ``outcome.usable``."""
    parse_period(period)
    path = Path(path)
    say = progress or (lambda message: None)
    say(f"reading {path.name}")
    raw = read_plain_csv(path, VERIFIKASI, max_uncompressed_bytes=max_uncompressed_bytes)
    return _validate(
        raw,
        None,
        path,
        VERIFIKASI,
        VERIFIKASI_LABEL,
        period,
        work_dir=Path(work_dir).resolve(),
        limits=suites.ExtractLimits(max_reject_share, 0.0, None),
        accept_flagged=accept_flagged,
        data_docs=data_docs,
        say=say,
    )


# --------------------------------------------------------------------------- the steps


def _validate(
    raw: RawExtract,
    sha256: str | None,
    path: Path,
    spec: ExtractSpec,
    label: str,
    period: str,
    *,
    work_dir: Path,
    limits: suites.ExtractLimits,
    accept_flagged: bool,
    data_docs: bool,
    say: Progress,
    docs_dir: Path | None = None,
) -> ValidationOutcome:
    # the quarantine and the GX expectations judge the same NIK columns: parse them once
    with nik_memo():
        say(f"parsing {raw.rows:,} rows of {raw.file}")
        parsed = parse_extract(raw, spec, period)
        rejected = parsed.rejected_mask()
        rows_rejected = int(rejected.sum()) + len(raw.bad_rows)
        rows_repaired = int(parsed.repaired_mask().sum())
        rows_total = raw.rows

        say(f"writing the rejects of {raw.file} ({rows_rejected:,} rows)")
        target = write_rejects(rejects_frame(parsed), rejects_path(work_dir, label, period))
        # the delivered text is no longer needed (the rejects hold what was delivered of the
        # rejected rows): free it before Great Expectations runs, to keep the peak down
        raw = dataclasses.replace(raw, frame=raw.frame.iloc[:0])
        parsed = dataclasses.replace(parsed, raw=raw)

        say(f"running the Great Expectations suites of {raw.file}")
        results, docs = _run_suites(
            parsed, rejected, label, period, limits, docs_dir or work_dir, data_docs
        )

    checks = _extract_checks(results, rows_total, rows_rejected, limits)
    passed = all(c.passed for c in checks)
    rejects_by_rule = {c.key: c.count for c in parsed.rejects if c.count}
    repairs_by_rule = {
        c.key: n for c in parsed.repairs if (n := int((c.mask & ~rejected).sum()))
    }
    if len(raw.bad_rows):
        rejects_by_rule[("", "FIELD_COUNT")] = len(raw.bad_rows)
    warnings: dict[str, int] = {}
    for check in parsed.warnings:
        if check.count:
            warnings[check.rule] = warnings.get(check.rule, 0) + check.count

    accepted = parsed.accepted_frame()
    if len(accepted) + rows_rejected != rows_total:  # the invariant, never silently broken
        raise RuntimeError(
            f"{raw.file}: {len(accepted)} accepted + {rows_rejected} rejected rows != "
            f"{rows_total} rows read"
        )
    message = None
    if not passed:
        message = _failure_message(
            label, raw.file, period, checks, rejects_by_rule, target, accept_flagged
        )
    say(f"{raw.file}: {len(accepted):,} rows accepted, {rows_rejected:,} rejected")
    return ValidationOutcome(
        source=label,
        file=raw.file,
        sha256=sha256 or _sha256(path),
        period=period,
        rows_total=rows_total,
        rows_accepted=len(accepted),
        rows_rejected=rows_rejected,
        reject_share=rows_rejected / rows_total if rows_total else 0.0,
        warnings=warnings,
        rejects_by_rule=rejects_by_rule,
        expectation_results=results,
        extract_checks=checks,
        passed=passed,
        accepted_by_operator=accept_flagged and not passed,
        failure_message=message,
        accepted=accepted,
        rejects_path=target,
        data_docs_path=docs,
        encoding_notes=raw.encoding_notes,
        extra_columns=printable_labels(raw.extra_columns),
        missing_columns=raw.missing_columns,
        rows_repaired=rows_repaired,
        repairs_by_rule=repairs_by_rule,
    )


def _run_suites(
    parsed: ParsedExtract,
    rejected: np.ndarray,
    label: str,
    period: str,
    limits: suites.ExtractLimits,
    work_dir: Path,
    data_docs: bool,
) -> tuple[list[ExpectationRow], Path | None]:
    context = gx_context.make_context(work_dir, data_docs=data_docs)
    source = context.data_sources.add_pandas(name=label)
    runs = [
        *suites.narrow_batches(
            suites.row_rules_suite(parsed.spec, period, label), suites.row_rules_frame(parsed)
        ),
        (
            suites.extract_checks_suite(
                label,
                parsed.raw.expected_fields,
                limits,
                stray_cr_warns=parsed.spec.essential is not None,
            ),
            suites.extract_checks_frame(parsed, rejected),
        ),
    ]
    # one asset and batch definition serve every narrow frame: the frame comes at run time
    batch = source.add_dataframe_asset(name=label).add_batch_definition_whole_dataframe(
        name=f"{label} {period}"
    )
    rows: list[ExpectationRow] = []
    gates = None  # the extract-level validation (the last): its page is the one linked
    for suite, frame in runs:
        if data_docs:  # the suites and results go to the stores the Data Docs are built from
            suite = context.suites.add_or_update(suite)
            definition = context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=f"{suite.name}.{period}", data=batch, suite=suite)
            )
            result = definition.run(
                batch_parameters={"dataframe": frame},
                result_format=suites.RESULT_FORMAT,
                run_id=RunIdentifier(run_name=f"{label} {period}"),
            )
        else:  # nothing to store: the batch validates the suite directly
            result = batch.get_batch(batch_parameters={"dataframe": frame}).validate(
                suite, result_format=suites.RESULT_FORMAT
            )
        rows.extend(_rows(suite.name, result.results))
        gates = (suite.name, result)
    if not data_docs:
        return rows, None
    index = gx_context.build_data_docs(context, work_dir)
    page = gx_context.validation_page(context, *gates) if gates else None
    return rows, page if page is not None and page.is_file() else index


def _rows(suite: str, results: Iterable) -> Iterable[ExpectationRow]:
    for result in results:
        config = result.expectation_config
        kwargs = config.kwargs
        meta = config.meta or {}
        info = result.result or {}
        if result.exception_info and result.exception_info.get("raised_exception"):
            detail = str(result.exception_info.get("exception_message"))
            raise RuntimeError(
                f"Great Expectations could not evaluate {config.type} on "
                f"{meta.get('column') or kwargs.get('column')}: {_scrub(detail)}"
            )
        column = meta.get("column")
        if column is None:
            column = kwargs.get("column") or kwargs.get("column_A") or ""
        observed = info.get("observed_value")
        yield ExpectationRow(
            suite=suite,
            expectation=config.type,
            column=column,
            success=bool(result.success),
            unexpected_count=_int_or_none(info.get("unexpected_count")),
            unexpected_percent=_float_or_none(info.get("unexpected_percent")),
            severity=str(getattr(config.severity, "value", config.severity)),
            rules=tuple(meta.get("rules") or ()),
            observed_value=_float_or_none(observed),
            description=config.description or "",
            gate=meta.get("gate"),
        )


def _extract_checks(
    results: list[ExpectationRow],
    rows_total: int,
    rows_rejected: int,
    limits: suites.ExtractLimits,
) -> list[ExtractCheck]:
    by_gate = {row.gate: row for row in results if row.gate}
    checks: list[ExtractCheck] = []
    gate = by_gate.get(suites.GATE_ROW_COUNT)
    previous = limits.previous_rows
    if gate is None or previous is None:
        checks.append(
            ExtractCheck(
                suites.GATE_ROW_COUNT,
                None,
                limits.row_count_tolerance,
                True,
                f"{rows_total:,} rows; no previous accepted extract to compare with",
            )
        )
    else:
        drift = (rows_total - previous) / previous if previous else float("inf")
        checks.append(
            ExtractCheck(
                suites.GATE_ROW_COUNT,
                drift,
                limits.row_count_tolerance,
                gate.success,
                f"{rows_total:,} rows against {previous:,} in the previous accepted extract "
                f"({drift:+.1%}; limit ±{limits.row_count_tolerance:.0%})",
            )
        )
    gate = by_gate.get(suites.GATE_REJECT_SHARE)
    if gate is None:
        raise RuntimeError("the rejected-share gate did not run")
    share = rows_rejected / rows_total if rows_total else 0.0
    checks.append(
        ExtractCheck(
            suites.GATE_REJECT_SHARE,
            share,
            limits.max_reject_share,
            gate.success,
            f"{rows_rejected:,} of {rows_total:,} rows rejected ({share:.2%}; limit "
            f"{limits.max_reject_share:.2%})",
        )
    )
    return checks


def _failure_message(
    label: str,
    file: str,
    period: str,
    checks: list[ExtractCheck],
    rejects_by_rule: dict[tuple[str, str], int],
    target: Path,
    accept_flagged: bool,
) -> str:
    reasons = []
    for check in checks:
        if check.passed:
            continue
        if check.name == suites.GATE_REJECT_SHARE:
            top = sorted(rejects_by_rule.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP_RULES]
            rules = ", ".join(f"{c + '/' if c else ''}{r} {n:,}" for (c, r), n in top)
            reasons.append(f"too many rows rejected: {check.detail}; most frequent: {rules}")
        else:
            reasons.append(f"the row count moved too much: {check.detail}")
    what = "; ".join(reasons)
    if label == VERIFIKASI_LABEL:  # never accepted as it is: corrected and delivered again
        # (read in the run's summary and report, where the month goes on without it)
        return (
            f"{file} ({period}) failed validation: {what}. The rejected rows, with the rule "
            f"each breaks, are in {target}: send them to the kelurahan and deliver the "
            "corrected file again (a new .sha256 beside it); nothing of this file is applied"
        )
    # the facts only: what to do next depends on where the message is read (the run's
    # state in the Prefect UI, the command line), and the flow says it there
    if accept_flagged:
        return (
            f"{file} ({label}, {period}) failed validation ({what}) but was accepted by the "
            f"operator for this run; the rejected rows are in {target}"
        )
    return (
        f"{file} ({label}, {period}) failed validation: {what}; the rejected rows, with the "
        f"rule each breaks, are in {target}"
    )


def printable_labels(names: Iterable[str]) -> tuple[str, ...]:
    """Names from a delivered header as reports and logs may show them: anything but
    printable ASCII escaped (``\\x00``, ``\\u00e9``), digit runs that could be a NIK
    masked, each cut at 64 characters, at most 20 names (then ``... and N more``)."""
    names = list(names)
    out = []
    for name in names[:_EXTRA_COLUMNS_SHOWN]:
        label = _scrub(name.encode("unicode_escape").decode("ascii"))
        if len(label) > _LABEL_CHARACTERS:
            label = label[: _LABEL_CHARACTERS - 3] + "..."
        out.append(label)
    if len(names) > _EXTRA_COLUMNS_SHOWN:
        out.append(f"... and {len(names) - _EXTRA_COLUMNS_SHOWN:,} more")
    return tuple(out)


def _scrub(text: str) -> str:
    """Mask anything that looks like a NIK or KK in a message from a library."""
    return re.sub(r"\d{8,}", lambda m: mask_nik(m.group()), text)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _int_or_none(value) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
