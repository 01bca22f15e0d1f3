"""The re-verification answers that apply to a run: this period's results file from the
kelurahan (validated, rejected alone when unusable) and the answers recorded by ``sigap
verify-results``, matched to the cases open at the end of the base release."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NONE
from prefect.logging import get_run_logger

from connectors import registry_db
from connectors.sftp import FetchedFile
from core.errors import DataError
from core.settings import Settings
from domain import cases as case_rules
from domain.codes import CaseStatus

__all__ = ["VerificationInput", "empty_frame", "read_verification", "still_open", "today_in_city"]


@dataclass
class VerificationInput:
    """Re-verification results that apply to this run."""

    file: str | None = None
    sha256: str | None = None
    rows: int = 0
    #: resolutions to persist (new results of this period)
    resolved: pd.DataFrame | None = None
    #: results that could not be applied (unknown case, NIK mismatch...)
    problems: pd.DataFrame | None = None
    #: the reconcile input: every resolved case's verdict (history + this period)
    verified: pd.DataFrame | None = None
    #: answers recorded for this period by ``sigap verify-results``: how many rows, and one
    #: digest of the files they came from (an input of the release)
    recorded_rows: int = 0
    recorded_sha256: str | None = None
    #: why this period's results file was rejected (then nothing of it is applied)
    rejected: str | None = None


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def still_open(all_cases: pd.DataFrame, verification: VerificationInput) -> pd.DataFrame:
    """The open cases, less those this period's results file resolves."""
    if not len(all_cases):
        return all_cases
    open_cases = all_cases[all_cases["status"] == CaseStatus.OPEN]
    if verification.resolved is not None and len(verification.resolved):
        open_cases = open_cases[~open_cases["case_id"].isin(verification.resolved["case_id"])]
    return open_cases


@task(name="read-verification-results", task_run_name="read-verification-results-{period}", cache_policy=NONE)
def read_verification(
    settings: Settings,
    period: str,
    fetched: FetchedFile | None,
    all_cases: pd.DataFrame,
    recorded: pd.DataFrame | None = None,
) -> VerificationInput:
    """Validate this period's results file (if any), add the answers recorded for the
    period (``sigap verify-results``), match them to the cases open at the end of the
    base release (``all_cases``: the base's state), and build the reconcile input from
    every case resolved in that state plus this period's answers.

    A results file that cannot be read or fails validation is rejected alone: its rejects
    file is written, a warning logged, the summary and the report say why, nothing of it
    is applied, and the month goes on (the answers recorded by ``sigap verify-results``
    still apply). Every case of the base's state goes to the matching, the closed ones
    with their status: a result for a closed case is CASE_CLOSED, not UNKNOWN_CASE; a
    result dated after the period or today is FUTURE_DATE."""
    from expectations.validate import validate_verification_results

    logger = get_run_logger()
    out = VerificationInput()
    new_verified = None
    rows: list[pd.DataFrame] = []
    if fetched is not None:
        try:
            results = validate_verification_results(
                Path(fetched.path),
                period,
                work_dir=settings.data_dir / "runs" / period,
                max_reject_share=settings.validation.max_reject_share,
                max_uncompressed_bytes=settings.validation.max_uncompressed_bytes,
            )
            results.raise_if_unusable()
        except DataError as exc:
            logger.warning("re-verification results file rejected, nothing of it applied: %s", exc)
            out = VerificationInput(file=str(fetched.path), sha256=fetched.sha256, rejected=str(exc))
        else:
            rows.append(results.accepted)
            out = VerificationInput(file=str(fetched.path), sha256=fetched.sha256, rows=results.rows_total)
    if recorded is not None and len(recorded):
        # the same file fetched and recorded is applied once
        extra = recorded[recorded["file_sha256"] != (fetched.sha256 if fetched is not None else None)]
        if len(extra):
            rows.append(extra.drop(columns=["file_sha256"]))
            out.recorded_rows = len(extra)
            out.recorded_sha256 = hashlib.sha256(
                " ".join(sorted(set(extra["file_sha256"]))).encode()
            ).hexdigest()
    if rows:
        columns = list(registry_db.ANSWER_COLUMNS)
        combined = pd.concat([r.reindex(columns=columns) for r in rows], ignore_index=True)
        combined = combined.drop_duplicates(subset=[c for c in columns if c != "_line"])
        resolved, new_verified, problems = case_rules.apply_verification_results(
            combined, all_cases, period, today=today_in_city()
        )
        out.resolved, out.problems = resolved, problems
        logger.info(
            "re-verification results: %s rows (%s recorded by verify-results), %s applied, %s problems",
            len(combined), out.recorded_rows, len(resolved), len(problems),
        )
    history = case_rules.verified_from_cases(all_cases)
    frames = [f for f in (history, new_verified) if f is not None and len(f)]
    out.verified = pd.concat(frames, ignore_index=True) if frames else None
    return out


def today_in_city():
    """Today's date in the city (Jakarta time): results dated later are not applied."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from domain.periods import CITY_TIMEZONE

    return datetime.now(ZoneInfo(CITY_TIMEZONE)).date()
