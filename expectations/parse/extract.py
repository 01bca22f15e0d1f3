"""The one pass over an extract, :func:`parse_extract`: every column typed and checked
(:mod:`.columns`), the rules across columns and rows (:mod:`.cross_column`), stray
carriage returns; for BPJS (``ExtractSpec.essential``) a broken value outside the
essential columns is a repaired warning, never a rejected row.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from connectors.extract_file import RawExtract
from domain.codes import Source
from domain.extracts import LINE, ExtractSpec
from domain.periods import reference_date
from expectations import predicates as p
from expectations.parse.columns import _parse_column, _strip, _text_checks
from expectations.parse.cross_column import (
    _dukcapil_rules,
    _nik_baru_rule,
    _unique_or_copy_rules,
    _unique_rule,
)
from expectations.parse.model import KELURAHAN_PARTS, ParsedExtract, RowCheck


def parse_extract(raw: RawExtract, spec: ExtractSpec, period: str) -> ParsedExtract:
    """Type every parsed row of ``raw`` and compute the row rules it breaks."""
    period_end = pd.Timestamp(reference_date(period))
    frame = raw.frame
    typed: dict[str, pd.Series | pd.Categorical] = {LINE: frame[LINE]}
    delivered: dict[str, np.ndarray] = {}
    checks: list[RowCheck] = []

    essential = spec.essential
    stripped: dict[str, pd.Series] = {}  # kept only to fingerprint the BPJS rows
    for column in spec.columns:
        text = _strip(frame[column.name])
        delivered[column.name] = text.notna().to_numpy(dtype=bool)
        value, column_checks = _parse_column(column, text, spec, period_end)
        if column.max_length is not None:
            column_checks.extend(_text_checks(column, text))
        if essential is not None and column.name not in essential:
            column_checks = [_kept(check) for check in column_checks]
        if essential is not None:
            stripped[column.name] = text
        typed[column.name] = value
        checks.extend(column_checks)

    typed_frame = pd.DataFrame(typed, index=frame.index, copy=False)
    if spec.source == Source.DUKCAPIL and set(KELURAHAN_PARTS) <= set(spec.column_names):
        checks.extend(list(_dukcapil_rules(typed_frame, delivered, checks)))
    if "HASIL" in spec.column_names and "NIK_BARU" in spec.column_names:
        checks.append(_nik_baru_rule(typed_frame, delivered))
    fingerprints = None
    for key in spec.unique:
        if essential is None:
            checks.append(_unique_rule(key, typed_frame[key]))
            continue
        if fingerprints is None:
            fingerprints = p.row_fingerprints(pd.DataFrame(stripped, copy=False))
        checks.extend(_unique_or_copy_rules(key, typed_frame[key], fingerprints))
    stray = "reject" if essential is None else "warning"
    checks.append(
        RowCheck(
            "",
            p.STRAY_CR,
            stray,
            "the line contains a carriage return (CR) that does not end the line; "
            "lines must end in LF or CRLF and values cannot contain line breaks",
            typed_frame[LINE].isin(raw.stray_cr_lines).to_numpy(dtype=bool),
        )
    )
    return ParsedExtract(
        spec=spec,
        period=period,
        raw=raw,
        typed=typed_frame,
        delivered=delivered,
        checks=tuple(checks),
        fingerprints=fingerprints,
    )


def _kept(check: RowCheck) -> RowCheck:
    """A rejecting check of a BPJS column the row can do without: a repaired warning."""
    if check.severity != "reject":
        return check
    what = (
        "its control characters replaced by spaces"
        if check.rule == p.CONTROL_CHARACTER
        else f"{check.column or 'the value'} left empty"
    )
    return dataclasses.replace(
        check,
        severity="warning",
        repaired=True,
        message=f"{check.message} (the row is kept, with {what})",
    )
