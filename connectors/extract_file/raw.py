"""What reading an extract gives: :class:`RawExtract` (the file's strings with their
original line numbers, before any rule), and the contract's separator."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from domain.extracts import LINE

#: the contract's field separator
SEPARATOR = "|"


@dataclass(frozen=True, eq=False)
class RawExtract:
    """One extract file read into strings, before any rule is applied.

    ``frame`` has the column ``_line`` (int64: the 1-based line of the row in the original
    file; the header is line 1) followed by every contract column in the contract's
    order, all as strings exactly as delivered (nothing stripped), an empty field being
    null. An optional contract column absent from the header is present here as all null
    and listed in ``missing_columns``. Columns the contract does not know are not read;
    their names are in ``extra_columns``.
    """

    #: the file's name, as used in messages and reports
    file: str
    frame: pd.DataFrame = field(repr=False)
    #: rows whose field count differs from the header's: ``_line``, ``fields``, ``text``
    bad_rows: pd.DataFrame = field(repr=False)
    #: the header's column names (upper case, stripped), in file order
    header: tuple[str, ...]
    extra_columns: tuple[str, ...]
    missing_columns: tuple[str, ...]
    #: what was noticed about the encoding and layout: BOM, CRLF, blank lines, stray CRs
    encoding_notes: tuple[str, ...]
    #: lines that held a carriage return not followed by a line feed (a broken line end)
    stray_cr_lines: tuple[int, ...]
    #: data rows in the file: ``len(frame) + len(bad_rows)`` (blank lines are not rows)
    rows: int
    #: fields per line according to the header
    expected_fields: int

    @property
    def line_numbers(self) -> pd.Series:
        """The original line number of each row of ``frame`` (the ``_line`` column)."""
        return self.frame[LINE]
