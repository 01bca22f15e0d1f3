"""Custom Great Expectations (GX 1.x) for the extract contract.

Each expectation is a ``ColumnMapExpectation`` (or a column-pair/multicolumn map
expectation) whose pandas metric calls the very predicate that computes the quarantine
mask (``expectations.predicates``): what the Data Docs say is what the quarantine does,
and the unexpected counts equal the mask counts.

None of them makes GX copy the batch to drop rows with missing values (column metrics set
``filter_column_isnull = False``; pair and multicolumn expectations use ``ignore_row_if``
``neither`` / ``never``): a missing value passes (another rule, ``REQUIRED``, speaks for
it), which the metrics handle themselves.

Importing this module registers the expectations and their metrics with GX.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    ColumnPairMapMetricProvider,
    MulticolumnMapMetricProvider,
    column_condition_partial,
    column_pair_condition_partial,
    multicolumn_condition_partial,
)

from expectations import predicates as p

__all__ = [
    "ExpectColumnPairValuesAToBeOnOrAfterB",
    "ExpectColumnPairValuesToBeParsedWhereDelivered",
    "ExpectColumnPairValuesToBeUniqueOrIdenticalCopies",
    "ExpectColumnPairValuesToHaveEventDateIffNotAlive",
    "ExpectColumnPairValuesToHaveNikBaruWhenCorrected",
    "ExpectColumnValuesToBeCleanText",
    "ExpectColumnValuesToBeDigits",
    "ExpectColumnValuesToBeKnownKelurahan",
    "ExpectColumnValuesToBeUniqueWherePresent",
    "ExpectColumnValuesToBeValidNik",
    "ExpectColumnValuesToBeWellFormedKpj",
    "ExpectMulticolumnValuesNikToAgreeWithBirthRecord",
]

_PAIR_DOMAIN_KEYS = (
    "batch_id",
    "column_A",
    "column_B",
    "row_condition",
    "condition_parser",
    "ignore_row_if",
)


# --------------------------------------------------------------------------- metrics


class ColumnValuesValidNik(ColumnMapMetricProvider):
    condition_metric_name = "column_values.sigap_valid_nik"
    filter_column_isnull = False

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs) -> pd.Series:
        return column.isna() | p.valid_nik(column)


class ColumnValuesKnownKelurahan(ColumnMapMetricProvider):
    condition_metric_name = "column_values.sigap_known_kelurahan"
    condition_value_keys = ("within",)
    filter_column_isnull = False

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, within: str | None = None, **kwargs) -> pd.Series:
        return column.isna() | p.known_kelurahan(column, within=within)


class ColumnValuesDigits(ColumnMapMetricProvider):
    condition_metric_name = "column_values.sigap_digits"
    condition_value_keys = ("length",)
    filter_column_isnull = False

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, length: int = 16, **kwargs) -> pd.Series:
        return column.isna() | p.has_digits(column, int(length))


class ColumnValuesUniqueWherePresent(ColumnMapMetricProvider):
    condition_metric_name = "column_values.sigap_unique_where_present"
    filter_column_isnull = False

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs) -> pd.Series:
        return p.unique_where_present(column)


class ColumnValuesCleanText(ColumnMapMetricProvider):
    condition_metric_name = "column_values.sigap_clean_text"
    condition_value_keys = ("max_length",)
    filter_column_isnull = False

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, max_length: int = 0, **kwargs) -> pd.Series:
        return p.clean_text(column, int(max_length))


class ColumnPairUniqueOrIdenticalCopy(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.sigap_unique_or_identical_copy"

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **kwargs) -> pd.Series:
        return p.unique_or_identical_copy(column_A, column_B)


class ColumnValuesWellFormedKpj(ColumnMapMetricProvider):
    condition_metric_name = "column_values.sigap_well_formed_kpj"
    filter_column_isnull = False

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs) -> pd.Series:
        return column.isna() | p.has_digits(column, 11)


class ColumnPairParsedWhereDelivered(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.sigap_parsed_where_delivered"

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **kwargs) -> pd.Series:
        return p.parsed_where_delivered(column_A, column_B)


class ColumnPairEventDateIffNotAlive(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.sigap_event_date_iff_not_alive"

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **kwargs) -> pd.Series:
        return p.event_date_iff_not_alive(column_A, column_B)


class ColumnPairAOnOrAfterB(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.sigap_a_on_or_after_b"

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **kwargs) -> pd.Series:
        return p.not_before(column_A, column_B)


class ColumnPairNikBaruWhenCorrected(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.sigap_nik_baru_when_corrected"

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **kwargs) -> pd.Series:
        return p.nik_baru_given_when_corrected(column_A, column_B)


class MulticolumnNikAgreesWithBirth(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.sigap_nik_agrees_with_birth"

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs) -> pd.Series:
        nik, birth, sex = (column_list.iloc[:, i] for i in range(3))
        return p.nik_agrees_with_birth(nik, birth, sex)


# --------------------------------------------------------------------------- expectations


class ExpectColumnValuesToBeValidNik(ColumnMapExpectation):
    """Expect column values to be well-formed NIKs: 16 digits ``PPKKCC DDMMYY SSSS`` whose
    first six digits are an existing kecamatan (Kepmendagri 2025), whose DDMMYY is a real
    date (women: day + 40) and whose serial is not 0000. Covers the rules ``NIK_FORMAT``,
    ``NIK_REGION``, ``NIK_DATE`` and ``NIK_SERIAL`` (``domain.identity.nik_problem_masks``)."""

    map_metric = "column_values.sigap_valid_nik"
    success_keys = ("mostly",)


class ExpectColumnValuesToBeKnownKelurahan(ColumnMapExpectation):
    """Expect column values to be existing kelurahan/desa codes ``PP.KK.CC.NNNN``
    (Kepmendagri 2025); with ``within`` (e.g. ``32.75``), codes of that region only."""

    within: str | None = None
    map_metric = "column_values.sigap_known_kelurahan"
    success_keys = ("within", "mostly")
    args_keys = ("column", "within")


class ExpectColumnValuesToBeDigits(ColumnMapExpectation):
    """Expect column values to be exactly ``length`` ASCII digits (``DIGITS_<length>``),
    e.g. a family card number (KK) of 16 digits. The same check as GX's
    ``expect_column_values_to_match_regex`` with ``^[0-9]{length}$``, computed with Arrow
    string kernels (several times faster on millions of rows)."""

    length: int
    map_metric = "column_values.sigap_digits"
    success_keys = ("length", "mostly")
    args_keys = ("column", "length")


class ExpectColumnValuesToBeUniqueWherePresent(ColumnMapExpectation):
    """Expect every delivered value of the column to occur once in the extract: every
    occurrence of a repeated value is unexpected (``DUPLICATE_KEY``); missing values pass.
    The same semantics as GX's ``expect_column_values_to_be_unique``, computed on 16-digit
    keys as integers (``expectations.predicates.unique_where_present``)."""

    map_metric = "column_values.sigap_unique_where_present"
    success_keys = ("mostly",)


class ExpectColumnValuesToBeCleanText(ColumnMapExpectation):
    """Expect text values to hold no control character (C0 U+0000-U+001F, DEL and C1
    U+007F-U+009F: ``CONTROL_CHARACTER``) and at most ``max_length`` characters
    (``TEXT_TOO_LONG``); missing values pass. One Arrow pass per rule
    (``expectations.predicates.clean_text``)."""

    max_length: int
    map_metric = "column_values.sigap_clean_text"
    success_keys = ("max_length", "mostly")
    args_keys = ("column", "max_length")


class ExpectColumnPairValuesToBeUniqueOrIdenticalCopies(ColumnPairMapExpectation):
    """Expect the key ``column_A`` to occur once, except on identical copies of one row
    (``column_B``: a fingerprint of each row's values), of which the first passes: a key
    repeated on differing rows fails on every occurrence (``DUPLICATE_KEY``), later
    copies of an identical row fail (``DUPLICATE_ROW``). For the BPJS list, where a
    participant row is never dropped for being delivered twice."""

    ignore_row_if: Literal["neither"] = "neither"
    map_metric = "column_pair_values.sigap_unique_or_identical_copy"
    domain_keys: ClassVar[tuple[str, ...]] = _PAIR_DOMAIN_KEYS
    success_keys = ("mostly",)


class ExpectColumnValuesToBeWellFormedKpj(ColumnMapExpectation):
    """Expect column values to be BPJS Ketenagakerjaan membership numbers (KPJ) of 11
    digits. A soft check: build it with ``severity="warning"``; it does not gate the
    extract. (A class-level default severity would be lost: GX 1.24 serialises the
    configuration with ``exclude_defaults`` and then falls back to ``critical``.)"""

    map_metric = "column_values.sigap_well_formed_kpj"
    success_keys = ("mostly",)


class ExpectColumnPairValuesToBeParsedWhereDelivered(ColumnPairMapExpectation):
    """Expect the parsed column ``column_B`` to hold a value wherever ``column_A`` says a
    value was delivered: every delivered value parsed (as a date in the contract's
    format, or as a whole number)."""

    ignore_row_if: Literal["neither"] = "neither"
    map_metric = "column_pair_values.sigap_parsed_where_delivered"
    domain_keys: ClassVar[tuple[str, ...]] = _PAIR_DOMAIN_KEYS
    success_keys = ("mostly",)


class ExpectColumnPairValuesToHaveEventDateIffNotAlive(ColumnPairMapExpectation):
    """Expect an event date (``column_B`` says whether ``TGL_PERISTIWA`` was delivered)
    exactly when the status ``column_A`` (``STATUS_DASAR``) is ``MATI`` or ``PINDAH``,
    and none for ``HIDUP``."""

    ignore_row_if: Literal["neither"] = "neither"
    map_metric = "column_pair_values.sigap_event_date_iff_not_alive"
    domain_keys: ClassVar[tuple[str, ...]] = _PAIR_DOMAIN_KEYS
    success_keys = ("mostly",)


class ExpectColumnPairValuesAToBeOnOrAfterB(ColumnPairMapExpectation):
    """Expect ``column_A`` to be on or after ``column_B`` where both are present (an
    event is not before the birth it follows)."""

    ignore_row_if: Literal["neither"] = "neither"
    map_metric = "column_pair_values.sigap_a_on_or_after_b"
    domain_keys: ClassVar[tuple[str, ...]] = _PAIR_DOMAIN_KEYS
    success_keys = ("mostly",)


class ExpectColumnPairValuesToHaveNikBaruWhenCorrected(ColumnPairMapExpectation):
    """Expect a corrected NIK (``column_B`` says whether ``NIK_BARU`` was delivered)
    wherever the verification result ``column_A`` (``HASIL``) is ``NIK_DIKOREKSI``."""

    ignore_row_if: Literal["neither"] = "neither"
    map_metric = "column_pair_values.sigap_nik_baru_when_corrected"
    domain_keys: ClassVar[tuple[str, ...]] = _PAIR_DOMAIN_KEYS
    success_keys = ("mostly",)


class ExpectMulticolumnValuesNikToAgreeWithBirthRecord(MulticolumnMapExpectation):
    """Expect the date (and sex) a NIK embeds to agree with the civil registry's birth
    date and sex; ``column_list`` is ``[NIK, birth date, sex]``. A warning: registry
    corrections keep the NIK, so a disagreement never rejects the row: build it with
    ``severity="warning"``."""

    ignore_row_if: Literal["never"] = "never"
    map_metric = "multicolumn_values.sigap_nik_agrees_with_birth"
    success_keys = ("mostly",)
