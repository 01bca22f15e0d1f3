"""From strings to typed frames, and the row rules each row breaks, in one pass.

:func:`parse_extract` takes the strings of a :class:`connectors.extract_file.RawExtract`
and returns a :class:`ParsedExtract`: the typed values of every parsed row (text stripped,
codes upper-cased, dates parsed once with the source's format, integers checked and
converted, Dukcapil's ``KODE_KELURAHAN`` derived) and one boolean mask per
(column, rule) that a row breaks (:class:`RowCheck`). Rejecting checks quarantine the row;
warnings are counted and reported only.

Everything is vectorised: dates are parsed once per *distinct* value (a register holds a
few tens of thousands of distinct birth dates for millions of people) and mapped back.

What is a warning rather than a rejection (PROGRAM.md):

* the KPJ's shape (11 digits) is a soft check;
* BPJS's ``NIK`` is "as typed at registration": a missing or malformed NIK there is a
  matching outcome, never a reject, so its NIK rules are warnings;
* a NIK whose embedded date or sex disagrees with the registry (``NIK_DATE_MISMATCH``);
* ``TGL_AKTIF`` after the period (coverage may be scheduled) and ``TGL_VERIFIKASI``
  after the period (results may be entered after the month they apply to; the results
  are not applied, ``domain.cases``).

Text (issue 15): a value with a control character (``CONTROL_CHARACTER``) or longer than
its column's cap (``TEXT_TOO_LONG``) breaks a rule like any other value, so that nothing
of it reaches the registry, a database or a spreadsheet.

The BPJS list (``ExtractSpec.essential``): a participant row is never dropped. A broken
value outside the essential columns (KPJ, SUMBER_IURAN, STATUS_KEPESERTAAN) does not
reject the row: the check is a warning marked ``repaired``; ``typed`` keeps what was
parsed (the Great Expectations suites judge it) and :meth:`ParsedExtract.accepted_frame`
hands the value over as null (text with control characters: those blanked). A key
repeated on identical rows keeps the first (later copies: ``DUPLICATE_ROW``); repeated on
differing rows, every occurrence is rejected (``DUPLICATE_KEY``). A carriage return
inside a line is then a warning (``STRAY_CR``): the values it sits in break their own
column's rule.

The parts: :mod:`~expectations.parse.model` (what a parse returns),
:mod:`~expectations.parse.columns` (one column at a time),
:mod:`~expectations.parse.cross_column` (rules across columns and rows) and
:mod:`~expectations.parse.extract` (:func:`parse_extract`, the one pass).
"""

from __future__ import annotations

from expectations.parse.columns import _strip, _whole_numbers, parse_dates
from expectations.parse.cross_column import kelurahan_code
from expectations.parse.extract import parse_extract
from expectations.parse.model import (
    KELURAHAN_PARTS,
    KODE_KELURAHAN,
    ParsedExtract,
    RowCheck,
    Severity,
    final_dtype,
)

__all__ = [
    "KELURAHAN_PARTS",
    "KODE_KELURAHAN",
    "ParsedExtract",
    "RowCheck",
    "Severity",
    "_strip",  # private: tests/unit/expectations/test_fast_predicates.py
    "_whole_numbers",  # private: tests/unit/expectations/test_fast_predicates.py
    "final_dtype",
    "kelurahan_code",
    "parse_dates",
    "parse_extract",
]
