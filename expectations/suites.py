"""Great Expectations suites built in code, and the narrow frames they run on.

Per extract, two suites:

* ``<name>.rows``: every column rule of the contract (``domain.extracts``), one
  expectation per rule, checked on the *parsed* columns (numbers as float64, dates as
  datetime64[ns]: GX's vectorised paths; codes as categoricals). Its batch
  (:func:`row_rules_frame`) holds only the columns the expectations name, plus a boolean
  ``<COLUMN>__delivered`` beside each parsed column (a value was delivered, parsed or
  not), which lets GX tell an empty value from one that did not parse. It is run as one
  sub-suite per contract column, ``<name>.rows.<COLUMN>``, each on a frame of only the
  columns it reads (:func:`narrow_batches`): GX fingerprints every batch and copies it
  for most expectations, which costs seconds per expectation on a wide frame of
  millions of rows and little on a narrow one.
* ``<name>.extract``: the extract-level checks on one row per data row
  (:func:`extract_checks_frame`): the field count and line endings of every line, and the
  two gates, row-count drift against the previous accepted extract and the rejected
  share. The gates decide whether the extract passes.

Every expectation carries ``meta`` naming the contract ``column`` and the quarantine
``rules`` (``expectations.predicates``) it documents, and ``kind`` (``row_rule`` or
``gate``). An expectation's unexpected count equals the number of rows that break any of
its rules (tested). Results are requested as BASIC with ``partial_unexpected_count = 0``:
the Data Docs never show a value (NIKs and names are personal data).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import great_expectations as gx
import numpy as np
import pandas as pd

from domain.codes import CITY_CODE
from domain.extracts import Column, ExtractSpec
from domain.periods import reference_date
from expectations import custom
from expectations import predicates as p
from expectations.parse import KODE_KELURAHAN, ParsedExtract

__all__ = [
    "DELIVERED",
    "FINGERPRINT",
    "GATE_REJECT_SHARE",
    "GATE_ROW_COUNT",
    "RESULT_FORMAT",
    "ExtractLimits",
    "extract_checks_frame",
    "extract_checks_suite",
    "narrow_batches",
    "row_rules_frame",
    "row_rules_suite",
    "suite_name",
]

#: BASIC: the unexpected counts without listing any value (``partial_unexpected_count``
#: 0). SUMMARY gives the same counts and also filters every batch once more for the
#: unexpected rows' index list (which is never shown): 1.42-1.69 s -> 1.33-1.44 s for
#: Dukcapil's suites, identical results
RESULT_FORMAT: dict = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "return_unexpected_index_query": False,
}
#: names of the two extract-level gates (``meta["gate"]``)
GATE_ROW_COUNT = "row_count_drift"
GATE_REJECT_SHARE = "reject_share"
#: suffix of the "a value was delivered" companion of a parsed column
DELIVERED = "__delivered"
#: suffix of the row fingerprint beside a key whose identical copies are tolerated (BPJS)
FINGERPRINT = "__row"

_E = gx.expectations
_PARSED_TYPES = ("int", "date")


@dataclass(frozen=True)
class ExtractLimits:
    """The extract-level thresholds (settings ``validation.*``)."""

    max_reject_share: float
    row_count_tolerance: float
    previous_rows: int | None

    def row_bounds(self) -> tuple[int, int] | None:
        """Smallest and largest acceptable row count, or None without a previous count."""
        if self.previous_rows is None:
            return None
        prev, tol = self.previous_rows, self.row_count_tolerance
        return math.ceil(prev * (1 - tol) - 1e-9), math.floor(prev * (1 + tol) + 1e-9)


def suite_name(label: str, part: str) -> str:
    return f"{label}.{part}"


# --------------------------------------------------------------------------- row rules


def row_rules_suite(spec: ExtractSpec, period: str, label: str) -> gx.ExpectationSuite:
    """One expectation per column rule of ``spec`` (see the module docstring)."""
    period_end = pd.Timestamp(reference_date(period))
    suite = gx.ExpectationSuite(
        name=suite_name(label, "rows"),
        meta={
            "notes": f"Row rules of the {label} extract for period {period} (contract "
            "EXTRACTS.md). Rows breaking a rule are quarantined to the rejects file."
        },
    )
    for column in spec.columns:
        kept = spec.essential is not None and column.name not in spec.essential
        for expectation in _column_expectations(spec, column, period_end):
            suite.add_expectation(_as_kept_warning(expectation) if kept else expectation)
    for key in spec.unique:
        if spec.essential is not None:
            suite.add_expectation(
                custom.ExpectColumnPairValuesToBeUniqueOrIdenticalCopies(
                    column_A=key,
                    column_B=key + FINGERPRINT,
                    meta=_meta(key, p.DUPLICATE_KEY, p.DUPLICATE_ROW),
                    description=f"{key} is unique in the file, except on identical copies "
                    "of a row, whose first copy is kept: a key repeated on differing rows "
                    "is rejected on every occurrence (DUPLICATE_KEY), a later identical "
                    "copy is rejected (DUPLICATE_ROW)",
                )
            )
            continue
        suite.add_expectation(
            custom.ExpectColumnValuesToBeUniqueWherePresent(
                column=key,
                meta=_meta(key, p.DUPLICATE_KEY),
                description=f"{key} is unique in the file; every occurrence of a repeated "
                "value is rejected (DUPLICATE_KEY)",
            )
        )
    names = set(spec.column_names)
    if {"NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL"} <= names:
        suite.add_expectation(
            custom.ExpectColumnValuesToBeKnownKelurahan(
                column=KODE_KELURAHAN,
                meta=_meta(KODE_KELURAHAN, p.KELURAHAN_UNKNOWN),
                description="NO_PROP.NO_KAB.NO_KEC.NO_KEL is an existing kelurahan code "
                "(Kepmendagri 2025) (KELURAHAN_UNKNOWN)",
            )
        )
    if {"STATUS_DASAR", "TGL_PERISTIWA", "TGL_LHR"} <= names:
        suite.add_expectation(
            custom.ExpectColumnPairValuesToHaveEventDateIffNotAlive(
                column_A="STATUS_DASAR",
                column_B="TGL_PERISTIWA" + DELIVERED,
                meta=_meta("TGL_PERISTIWA", p.TGL_PERISTIWA_IFF_NOT_HIDUP),
                description="TGL_PERISTIWA is filled exactly when STATUS_DASAR is MATI or "
                "PINDAH (TGL_PERISTIWA_IFF_NOT_HIDUP)",
            )
        )
        suite.add_expectation(
            custom.ExpectColumnPairValuesAToBeOnOrAfterB(
                column_A="TGL_PERISTIWA",
                column_B="TGL_LHR",
                meta=_meta("TGL_PERISTIWA", p.TGL_PERISTIWA_BEFORE_BIRTH),
                description="TGL_PERISTIWA is not before TGL_LHR (TGL_PERISTIWA_BEFORE_BIRTH)",
            )
        )
    if {"NIK", "TGL_LHR", "JENIS_KLMIN"} <= names and spec.column("NIK").type == "nik":
        suite.add_expectation(
            custom.ExpectMulticolumnValuesNikToAgreeWithBirthRecord(
                column_list=["NIK", "TGL_LHR", "JENIS_KLMIN"],
                severity="warning",
                meta=_meta("NIK", p.NIK_DATE_MISMATCH, warning=True),
                description="warning: the date and sex embedded in NIK agree with TGL_LHR "
                "and JENIS_KLMIN (NIK_DATE_MISMATCH; not a rejection)",
            )
        )
    if {"HASIL", "NIK_BARU"} <= names:
        suite.add_expectation(
            custom.ExpectColumnPairValuesToHaveNikBaruWhenCorrected(
                column_A="HASIL",
                column_B="NIK_BARU" + DELIVERED,
                meta=_meta("NIK_BARU", p.NIK_BARU_REQUIRED),
                description="NIK_BARU is given whenever HASIL is NIK_DIKOREKSI (NIK_BARU_REQUIRED)",
            )
        )
    return suite


def _as_kept_warning(expectation):
    """A rule of a BPJS column the row can do without: a warning (the value is nulled
    and the row kept, ``ExtractSpec.essential``)."""
    if expectation.severity == "warning":
        return expectation
    meta = {**expectation.meta, "severity": "warning"}
    return expectation.copy(
        update={
            "severity": "warning",
            "meta": meta,
            "description": f"warning (the row is kept, the value nulled): {expectation.description}",
        }
    )


def _column_expectations(spec: ExtractSpec, column: Column, period_end: pd.Timestamp):
    name = column.name
    soft_nik = column.type == "text" and name == "NIK"
    if column.required:
        rules = [p.REQUIRED]
        if column.type == "int":
            rules.append(p.INT_FORMAT)
        elif column.type == "date":
            rules.append(p.DATE_FORMAT)
        what = "; a value that did not parse is null too" if len(rules) > 1 else ""
        yield _E.ExpectColumnValuesToNotBeNull(
            column=name,
            severity="warning" if soft_nik else "critical",
            meta=_meta(name, *rules, warning=soft_nik),
            description=f"{'warning: ' if soft_nik else ''}{name} is never empty{what} "
            f"({', '.join(rules)})",
        )

    if column.type == "nik" or soft_nik:
        yield custom.ExpectColumnValuesToBeValidNik(
            column=name,
            severity="warning" if soft_nik else "critical",
            meta=_meta(name, *p.NIK_RULES, warning=soft_nik),
            description=(
                f"{'warning (BPJS NIK as typed, a matching outcome): ' if soft_nik else ''}"
                f"{name} is 16 digits, existing kecamatan, real date, serial not 0000 "
                f"({', '.join(p.NIK_RULES)})"
            ),
        )
    elif column.type == "digits":
        length = column.length or 0
        rule = p.digits_rule(length)
        if name == "KPJ" and spec.source == "bpjstk":
            yield custom.ExpectColumnValuesToBeWellFormedKpj(
                column=name,
                severity="warning",
                meta=_meta(name, rule, warning=True),
                description=f"warning (soft check): KPJ is {length} digits ({rule})",
            )
        else:
            yield custom.ExpectColumnValuesToBeDigits(
                column=name,
                length=length,
                meta=_meta(name, rule),
                description=f"{name} is exactly {length} digits ({rule})",
            )
    elif column.type == "month":
        yield _E.ExpectColumnValuesToMatchRegex(
            column=name,
            regex=f"^{p.MONTH_PATTERN}$",
            meta=_meta(name, p.DATE_FORMAT),
            description=f"{name} is a month YYYY-MM (DATE_FORMAT)",
        )
    elif column.type in ("code", "flag"):
        if name == "KODE_WILAYAH":
            yield custom.ExpectColumnValuesToBeKnownKelurahan(
                column=name,
                within=CITY_CODE,
                meta=_meta(name, p.KODE_WILAYAH_FORMAT),
                description="KODE_WILAYAH is 32.75.CC.NNNN naming an existing Kota Bekasi "
                "kelurahan (KODE_WILAYAH_FORMAT)",
            )
        if column.allowed:
            yield _E.ExpectColumnValuesToBeInSet(
                column=name,
                value_set=list(column.allowed),
                meta=_meta(name, p.ALLOWED_VALUES),
                description=f"{name} is one of {', '.join(column.allowed)} (ALLOWED_VALUES)",
            )
    elif column.type == "int":
        yield custom.ExpectColumnPairValuesToBeParsedWhereDelivered(
            column_A=name + DELIVERED,
            column_B=name,
            meta=_meta(name, p.INT_FORMAT),
            description=f"every value delivered in {name} is a whole number (INT_FORMAT)",
        )
        if column.min is not None or column.max is not None:
            yield _E.ExpectColumnValuesToBeBetween(
                column=name,
                min_value=column.min,
                max_value=column.max,
                meta=_meta(name, p.INT_RANGE),
                description=f"{name} is within {column.min if column.min is not None else ''}"
                f"..{column.max if column.max is not None else ''} (INT_RANGE)",
            )
        if column.allowed:
            yield _E.ExpectColumnValuesToBeInSet(
                column=name,
                value_set=[float(a) for a in column.allowed],
                meta=_meta(name, p.ALLOWED_VALUES),
                description=f"{name} is one of {', '.join(column.allowed)} (ALLOWED_VALUES)",
            )
    elif column.type == "date":
        readable = (column.fmt or "").replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY")
        yield custom.ExpectColumnPairValuesToBeParsedWhereDelivered(
            column_A=name + DELIVERED,
            column_B=name,
            meta=_meta(name, p.DATE_FORMAT),
            description=f"every value delivered in {name} is a real date {readable} (DATE_FORMAT)",
        )
        yield _E.ExpectColumnValuesToBeBetween(
            column=name,
            min_value=p.EARLIEST_DATE,
            meta=_meta(name, p.DATE_RANGE),
            description=f"{name} is not before {p.EARLIEST_DATE:%Y-%m-%d} (DATE_RANGE)",
        )
        future_soft = name in ("TGL_AKTIF", "TGL_VERIFIKASI")
        yield _E.ExpectColumnValuesToBeBetween(
            column=name,
            max_value=period_end,
            severity="warning" if future_soft else "critical",
            meta=_meta(name, p.DATE_IN_FUTURE, warning=future_soft),
            description=f"{'warning: ' if future_soft else ''}{name} is not after the end "
            f"of the period, {period_end:%Y-%m-%d} (DATE_IN_FUTURE)",
        )
    if column.max_length is not None:
        yield custom.ExpectColumnValuesToBeCleanText(
            column=name,
            max_length=column.max_length,
            meta=_meta(name, *p.TEXT_RULES),
            description=f"{name} holds no control character (CONTROL_CHARACTER) and at most "
            f"{column.max_length:,} characters (TEXT_TOO_LONG)",
        )


def row_rules_frame(parsed: ParsedExtract) -> pd.DataFrame:
    """The batch of the ``.rows`` suite: one row per parsed row, only what GX needs, in
    dtypes GX evaluates vectorised."""
    typed = parsed.typed
    out: dict[str, object] = {}

    def add(name: str, values) -> None:  # the column's array: no index to align
        out[name] = values.array if isinstance(values, pd.Series) else np.asarray(values)

    for column in parsed.spec.columns:
        name = column.name
        values = typed[name]
        if column.type == "int":
            add(name, values.astype("float64"))
            add(name + DELIVERED, parsed.delivered[name])
        elif column.type == "date":
            add(name, values)
            add(name + DELIVERED, parsed.delivered[name])
        elif column.type in ("code", "flag"):
            add(name, values.astype("category"))
        else:
            add(name, values)
            if not column.required and column.type != "text":
                add(name + DELIVERED, parsed.delivered[name])
    if KODE_KELURAHAN in typed:
        add(KODE_KELURAHAN, typed[KODE_KELURAHAN])
    if parsed.fingerprints is not None:
        for key in parsed.spec.unique:
            add(key + FINGERPRINT, parsed.fingerprints)
    # one block per column, shared with the typed frame (copy=False): no 2-D block is
    # assembled and copied only for the narrow frames to be cut out of it again
    return pd.DataFrame(out, copy=False)


# --------------------------------------------------------------------------- extract level


def extract_checks_suite(
    label: str, expected_fields: int, limits: ExtractLimits, *, stray_cr_warns: bool = False
) -> gx.ExpectationSuite:
    """Field count and line endings of every line, and the two gates. With
    ``stray_cr_warns`` (BPJS) a carriage return inside a line is a warning."""
    suite = gx.ExpectationSuite(
        name=suite_name(label, "extract"),
        meta={
            "notes": f"Extract-level checks of the {label} extract: the gates decide "
            "whether anything is published from this delivery."
        },
    )
    suite.add_expectation(
        _E.ExpectColumnValuesToBeBetween(
            column="_fields",
            min_value=expected_fields,
            max_value=expected_fields,
            meta=_meta("", p.FIELD_COUNT),
            description=f"every line has the header's {expected_fields} fields (FIELD_COUNT)",
        )
    )
    suite.add_expectation(
        _E.ExpectColumnValuesToBeInSet(
            column="_stray_cr",
            value_set=[0.0],
            severity="warning" if stray_cr_warns else "critical",
            meta=_meta("", p.STRAY_CR, warning=stray_cr_warns),
            description=f"{'warning: ' if stray_cr_warns else ''}no line holds a carriage "
            "return that does not end it (STRAY_CR)",
        )
    )
    bounds = limits.row_bounds()
    if bounds is not None:
        suite.add_expectation(
            _E.ExpectTableRowCountToBeBetween(
                min_value=bounds[0],
                max_value=bounds[1],
                meta={"kind": "gate", "gate": GATE_ROW_COUNT, "column": "", "rules": []},
                description=f"the row count is within {limits.row_count_tolerance:.0%} of "
                f"the previous accepted extract's {limits.previous_rows:,} rows",
            )
        )
    suite.add_expectation(
        _E.ExpectColumnValuesToBeInSet(
            column="_rejected",
            value_set=[0.0],
            mostly=max(0.0, 1.0 - limits.max_reject_share),
            meta={"kind": "gate", "gate": GATE_REJECT_SHARE, "column": "", "rules": []},
            description=f"at most {limits.max_reject_share:.2%} of the rows are rejected "
            "(1 = the row is in the rejects file)",
        )
    )
    return suite


def extract_checks_frame(parsed: ParsedExtract, rejected: np.ndarray) -> pd.DataFrame:
    """One row per data row of the file: parsed rows, then rows with a wrong field count.

    ``rejected`` marks the parsed rows that were quarantined (rows with a wrong field
    count always are)."""
    bad = parsed.raw.bad_rows
    parsed_rows = len(parsed.typed)
    stray = np.zeros(parsed_rows, dtype=bool)
    for check in parsed.checks:
        if check.rule == p.STRAY_CR:
            stray |= check.mask
    return pd.DataFrame(
        {
            "_fields": np.concatenate(
                (
                    np.full(parsed_rows, parsed.raw.expected_fields, dtype="float64"),
                    bad["fields"].to_numpy(dtype="float64"),
                )
            ),
            "_stray_cr": np.concatenate((stray, np.zeros(len(bad), bool))).astype("float64"),
            "_rejected": np.concatenate((rejected, np.ones(len(bad), bool))).astype("float64"),
        },
        copy=False,  # one block per column: not stacked into a 2-D block only to be cut apart
    )


def narrow_batches(
    suite: gx.ExpectationSuite, frame: pd.DataFrame
) -> list[tuple[gx.ExpectationSuite, pd.DataFrame]]:
    """Split a suite into one sub-suite per contract column (``meta["column"]``), each
    with a frame holding only the columns its expectations read.

    GX copies the batch (or the rows it keeps) for most expectations, and fingerprints
    each batch: on a narrow frame both stay cheap."""
    groups: dict[str, list] = {}
    for expectation in suite.expectations:
        groups.setdefault((expectation.meta or {}).get("column", ""), []).append(expectation)
    out = []
    for column, expectations in groups.items():
        needed: list[str] = []
        for expectation in expectations:
            for name in _columns_read(expectation):
                if name not in needed:
                    needed.append(name)
        part = gx.ExpectationSuite(
            name=f"{suite.name}.{column or 'lines'}",
            expectations=[e.copy(update={"id": None}) for e in expectations],
            meta=suite.meta,
        )
        out.append((part, frame[needed] if needed else frame.iloc[:, :1]))
    return out


def _columns_read(expectation) -> list[str]:
    kwargs = expectation.configuration.kwargs
    if "column_list" in kwargs:
        return list(kwargs["column_list"])
    return [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]


def _meta(column: str, *rules: str, warning: bool = False) -> dict:
    return {
        "kind": "row_rule",
        "column": column,
        "rules": list(rules),
        "severity": "warning" if warning else "reject",
    }
