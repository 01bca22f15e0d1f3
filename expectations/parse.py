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
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from connectors.extract_file import RawExtract
from core.errors import InvalidInput
from domain.codes import Source
from domain.extracts import LINE, Column, ExtractSpec
from domain.periods import reference_date
from expectations import predicates as p

__all__ = [
    "KELURAHAN_PARTS",
    "KODE_KELURAHAN",
    "ParsedExtract",
    "RowCheck",
    "Severity",
    "final_dtype",
    "parse_extract",
]

Severity = Literal["reject", "warning"]

#: the derived Dukcapil domicile code, ``NO_PROP.NO_KAB.NO_KEC.NO_KEL`` (``32.75.01.1001``)
KODE_KELURAHAN = "KODE_KELURAHAN"
KELURAHAN_PARTS = ("NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL")

#: dtypes of the accepted frame that are not the type's default (docs/DESIGN.md)
_INT_DTYPES: dict[str, str] = {
    "JENIS_KLMIN": "int8",
    "STAT_KWN": "int8",
    "JENIS_PKRJN": "int16",
    "NO_PROP": "int16",
    "NO_KAB": "int16",
    "NO_KEC": "int16",
    "NO_KEL": "int16",
    "NO_RT": "Int16",
    "NO_RW": "Int16",
    "DESIL": "int8",
    "STATUS_PEKERJAAN": "Int8",
    "STATUS_KEBERADAAN": "int8",
    # BPJS: a broken amount is nulled and the row kept (``ExtractSpec.essential``)
    "UPAH_DILAPORKAN": "Int64",
    "IURAN_BULANAN": "Int64",
}
#: date columns whose value after the period is a warning, not a rejection
_FUTURE_IS_WARNING = frozenset({"TGL_AKTIF", "TGL_VERIFIKASI"})
#: the range of dates a typed frame can hold (datetime64[ns])
_NS_MIN = pd.Timestamp("1678-01-01")
_NS_MAX = pd.Timestamp("2261-12-31")


@dataclass(frozen=True, eq=False)
class RowCheck:
    """One row rule applied to every parsed row: ``mask`` is True where the row breaks it.

    ``column`` is a contract column (or the derived ``KODE_KELURAHAN``; empty for rules
    about the whole line). ``message`` says what the rule requires, in words a provider
    can act on; it never contains a value.
    """

    column: str
    rule: str
    severity: Severity
    message: str
    mask: np.ndarray = field(repr=False)
    #: a warning whose rows are kept with the value nulled (text: control characters
    #: blanked) and listed in the rejects file (BPJS, ``ExtractSpec.essential``)
    repaired: bool = False

    @property
    def count(self) -> int:
        return int(self.mask.sum())

    @property
    def key(self) -> tuple[str, str]:
        return (self.column, self.rule)


@dataclass(frozen=True, eq=False)
class ParsedExtract:
    """The typed rows of one extract and the row rules they break.

    ``typed`` has one row per row of ``raw.frame`` (same order): ``_line``, every contract
    column typed (working dtypes: nullable ``Int64``, ``datetime64[ns]``, ``str``; codes
    and flags upper-cased, flags still ``Y``/``N``) and,
    for Dukcapil, ``KODE_KELURAHAN`` (categorical). ``delivered`` tells, per contract
    column, where a non-blank value was delivered (a value that did not parse is null in
    ``typed`` but delivered). Rows with the wrong number of fields are not here: they are
    ``raw.bad_rows``.
    """

    spec: ExtractSpec
    period: str
    raw: RawExtract = field(repr=False)
    typed: pd.DataFrame = field(repr=False)
    delivered: dict[str, np.ndarray] = field(repr=False)
    checks: tuple[RowCheck, ...]
    #: BPJS (``ExtractSpec.essential``): a hash of each row's stripped values, which
    #: tells identical copies of a row from differing rows with the same key
    fingerprints: np.ndarray | None = field(default=None, repr=False)

    @property
    def rejects(self) -> tuple[RowCheck, ...]:
        return tuple(c for c in self.checks if c.severity == "reject")

    @property
    def warnings(self) -> tuple[RowCheck, ...]:
        return tuple(c for c in self.checks if c.severity == "warning")

    @property
    def repairs(self) -> tuple[RowCheck, ...]:
        """The warnings whose values are nulled (or blanked) in the accepted rows."""
        return tuple(c for c in self.checks if c.repaired)

    def rejected_mask(self) -> np.ndarray:
        """True for every parsed row that breaks at least one rejecting rule."""
        out = np.zeros(len(self.typed), dtype=bool)
        for check in self.rejects:
            out |= check.mask
        return out

    def repaired_mask(self) -> np.ndarray:
        """True for every accepted row with a value nulled or blanked."""
        out = np.zeros(len(self.typed), dtype=bool)
        for check in self.repairs:
            out |= check.mask
        return out & ~self.rejected_mask()

    def accepted_frame(self) -> pd.DataFrame:
        """The rows that break no rejecting rule, with the dtypes of docs/DESIGN.md; the
        values of repaired checks nulled (text with control characters: blanked)."""
        keep = ~self.rejected_mask()
        frame = self.typed if keep.all() else self.typed.loc[keep]
        repairs: dict[str, list[RowCheck]] = {}
        for check in self.repairs:
            if check.mask.any():
                repairs.setdefault(check.column, []).append(check)
        out: dict[str, pd.Series] = {LINE: frame[LINE].astype("int64")}
        for column in self.spec.columns:
            values = frame[column.name]
            if column.name in repairs:
                values = _repaired(values, repairs[column.name], keep)
            if column.type == "flag":  # Y/N -> bool (accepted rows hold only Y or N)
                # an optional flag keeps its empty values as null (``boolean``)
                values = values.eq("Y") if column.required else values.eq("Y").where(values.notna())
            out[column.name] = values.astype(final_dtype(column))
        if KODE_KELURAHAN in frame:
            out[KODE_KELURAHAN] = frame[KODE_KELURAHAN].astype("str")
        return pd.DataFrame(out, copy=False).reset_index(drop=True)


def _repaired(values: pd.Series, checks: list[RowCheck], keep: np.ndarray) -> pd.Series:
    """``values`` (the accepted rows) with the rows of ``checks`` nulled, or, for
    ``CONTROL_CHARACTER`` alone, with the control characters blanked."""
    blank = np.zeros(len(keep), dtype=bool)
    null = np.zeros(len(keep), dtype=bool)
    for check in checks:
        if check.rule == p.CONTROL_CHARACTER:
            blank |= check.mask
        else:
            null |= check.mask
    blank, null = blank[keep], null[keep]
    if blank.any():
        cleaned = p.blank_control_characters(values[blank])
        values = values.copy()
        values[blank] = cleaned
    if null.any():
        values = values.where(~null)
    return values


def final_dtype(column: Column) -> str:
    """The dtype of a column in the accepted (typed) frame handed to the domain."""
    if column.type == "int":
        return _INT_DTYPES.get(column.name, "int64" if column.required else "Int64")
    if column.type == "date":
        return "datetime64[ns]"
    if column.type == "flag":
        return "bool" if column.required else "boolean"
    return "str"


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


def _text_checks(column: Column, text: pd.Series) -> list[RowCheck]:
    """``CONTROL_CHARACTER`` and ``TEXT_TOO_LONG``: one Arrow pass each."""
    name, cap = column.name, column.max_length or 0
    return [
        RowCheck(
            name,
            p.CONTROL_CHARACTER,
            "reject",
            f"{name} contains a control character (U+0000-U+001F or U+007F-U+009F: NUL, "
            "tab, escape...); text values hold none",
            ~p.no_control_characters(text).to_numpy(dtype=bool),
        ),
        RowCheck(
            name,
            p.TEXT_TOO_LONG,
            "reject",
            f"{name} is longer than {cap:,} characters",
            ~p.within_length(text, cap).to_numpy(dtype=bool),
        ),
    ]


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


# --------------------------------------------------------------------------- columns


def _strip(values: pd.Series) -> pd.Series:
    """Strip surrounding white space; a value left empty is null.

    The first and last byte of every value are looked at straight from the Arrow buffers
    (:func:`_edge_rows`): a value that is non-empty and begins and ends in printable ASCII
    other than a space has nothing to strip. A column with no other value (nearly always)
    is returned as delivered, without a copy (a city's text is ~300 MB). Otherwise it is
    trimmed once with Arrow; a second copy, for the nulls, is made only when a value was
    left empty, and if trimming changed nothing the column is kept as delivered."""
    text = values.astype("str")
    arrow = getattr(text.array, "_pa_array", None)
    odd = None if arrow is None else _edge_rows(arrow)
    if odd is None:  # not Arrow-backed text: the plain path
        text = text.str.strip()
        return text.where(text != "")
    if not odd.any():
        return text
    trimmed = pc.utf8_trim_whitespace(arrow)
    lengths = pc.binary_length(trimmed)
    emptied = pc.equal(lengths, 0)
    if pc.any(emptied).as_py():
        trimmed = pc.if_else(emptied, pa.scalar(None, trimmed.type), trimmed)
    elif pc.all(pc.equal(lengths, pc.binary_length(arrow))).as_py() is not False:
        return text  # padded nowhere after all (e.g. names that begin with an accent)
    return pd.Series(pd.array(trimmed, dtype=text.dtype), index=text.index, name=text.name)


#: bytes that can begin or end a value with nothing to strip: printable ASCII but space
_PLAIN_EDGE = np.zeros(256, dtype=bool)
_PLAIN_EDGE[0x21:0x7F] = True
_ODD_EDGE = ~_PLAIN_EDGE


def _edge_rows(arrow: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """Per value, True where it may have something to strip: it is empty, or its first
    or last byte is not printable ASCII other than a space (nulls are False). ``None``
    when the array is not a string array."""
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    parts = []
    for chunk in chunks:
        if chunk.type == pa.string():
            width = np.int32
        elif chunk.type == pa.large_string():
            width = np.int64
        else:
            return None
        if len(chunk) == chunk.null_count:
            parts.append(np.zeros(len(chunk), dtype=bool))
            continue
        _, offsets, data = chunk.buffers()
        bounds = np.frombuffer(offsets, dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]
        starts, ends = bounds[:-1], bounds[1:]
        odd = ends <= starts  # empty
        text = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
        if len(text):  # few temporaries: a city column has millions of values
            if starts[-1] >= len(text):  # empty values end the buffer (offsets ascend)
                starts = np.minimum(starts, len(text) - 1)
            odd |= _ODD_EDGE[text[starts]]
            odd |= _ODD_EDGE[text[ends - 1]]  # an empty first value reads byte -1: odd anyway
        if chunk.null_count:
            odd &= chunk.is_valid().to_numpy(zero_copy_only=False)
        parts.append(odd)
    if not parts:
        return np.zeros(0, dtype=bool)
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _parse_column(
    column: Column, text: pd.Series, spec: ExtractSpec, period_end: pd.Timestamp
) -> tuple[pd.Series, list[RowCheck]]:
    name = column.name
    present = text.notna().to_numpy(dtype=bool)
    soft_nik = column.type == "text" and name == "NIK"  # BPJS: NIK as typed, may be wrong
    checks: list[RowCheck] = []
    if column.required:
        checks.append(
            RowCheck(
                name,
                p.REQUIRED,
                "warning" if soft_nik else "reject",
                f"{name} is empty; the contract requires a value",
                ~present,
            )
        )

    if column.type == "nik" or soft_nik:
        checks.extend(_nik_checks(name, text, "warning" if soft_nik else "reject"))
        return text, checks

    if column.type == "digits":
        length = column.length or 0
        broken = present & ~p.has_digits(text, length).to_numpy(dtype=bool)
        soft = spec.source == Source.BPJSTK and name == "KPJ"
        checks.append(
            RowCheck(
                name,
                p.digits_rule(length),
                "warning" if soft else "reject",
                f"{name} must be exactly {length} digits",
                broken,
            )
        )
        return text, checks

    if column.type == "text":
        return text, checks

    if column.type == "month":
        broken = present & ~p.matches(text, p.MONTH_PATTERN).to_numpy(dtype=bool)
        checks.append(
            RowCheck(name, p.DATE_FORMAT, "reject", f"{name} must be a month YYYY-MM", broken)
        )
        return text, checks

    if column.type in ("code", "flag"):
        codes = text.str.upper()
        if name == "KODE_WILAYAH":
            broken = present & ~p.known_kelurahan(codes, within="32.75").to_numpy(dtype=bool)
            checks.append(
                RowCheck(
                    name,
                    p.KODE_WILAYAH_FORMAT,
                    "reject",
                    "KODE_WILAYAH must be 32.75.CC.NNNN naming an existing Kota Bekasi "
                    "kelurahan (Kepmendagri 2025)",
                    broken,
                )
            )
        if column.allowed:
            broken = present & ~codes.isin(column.allowed).to_numpy(dtype=bool)
            checks.append(
                RowCheck(
                    name,
                    p.ALLOWED_VALUES,
                    "reject",
                    f"{name} must be one of {', '.join(column.allowed)}",
                    broken,
                )
            )
        return codes, checks

    if column.type == "int":
        return _int_column(column, text, present, checks)

    if column.type == "date":
        return _date_column(column, text, present, period_end, checks)

    raise InvalidInput(f"unknown column type {column.type!r} for {name}")


def _nik_checks(name: str, text: pd.Series, severity: Severity) -> Iterator[RowCheck]:
    problems = p.nik_problem_masks(text)
    messages = {
        p.NIK_FORMAT: f"{name} must be exactly 16 digits",
        p.NIK_REGION: f"{name}: the first six digits are not a kecamatan code (Kepmendagri 2025)",
        p.NIK_DATE: f"{name}: digits 7-12 are not a real date DDMMYY (women: day + 40)",
        p.NIK_SERIAL: f"{name}: the serial (last four digits) must not be 0000",
    }
    for rule in p.NIK_RULES:
        yield RowCheck(name, rule, severity, messages[rule], problems[rule])


def _int_column(
    column: Column, text: pd.Series, present: np.ndarray, checks: list[RowCheck]
) -> tuple[pd.Series, list[RowCheck]]:
    name = column.name
    shaped, values = _whole_numbers(text, present)
    checks.append(
        RowCheck(name, p.INT_FORMAT, "reject", f"{name} must be a whole number", present & ~shaped)
    )
    if column.min is not None or column.max is not None:
        broken = np.zeros(len(values), dtype=bool)
        if column.min is not None:
            broken |= (values < column.min).fillna(False).to_numpy(dtype=bool)
        if column.max is not None:
            broken |= (values > column.max).fillna(False).to_numpy(dtype=bool)
        if column.min is not None and column.max is not None:
            bounds = f"between {column.min} and {column.max}"
        elif column.min is not None:
            bounds = f"at least {column.min}"
        else:
            bounds = f"at most {column.max}"
        checks.append(RowCheck(name, p.INT_RANGE, "reject", f"{name} must be {bounds}", broken))
    if column.allowed:
        allowed = [int(a) for a in column.allowed]
        broken = values.notna().to_numpy(dtype=bool) & ~values.isin(allowed).fillna(False).to_numpy(
            dtype=bool
        )
        checks.append(
            RowCheck(
                name,
                p.ALLOWED_VALUES,
                "reject",
                f"{name} must be one of {', '.join(column.allowed)}",
                broken,
            )
        )
    return values, checks


def _whole_numbers(text: pd.Series, present: np.ndarray) -> tuple[np.ndarray, pd.Series]:
    """Where the text is a whole number (``INT_PATTERN``), and the numbers (``Int64``,
    null elsewhere). Plain digit strings, nearly every value, are recognised and converted
    with Arrow kernels; only the rest (a sign, a typo) goes through the regular
    expression."""
    arrow = getattr(text.array, "_pa_array", None)
    if arrow is None:  # not Arrow-backed: the plain path
        shaped = p.matches(text, p.INT_PATTERN).to_numpy(dtype=bool)
        return shaped, text.where(shaped).astype("Int64")
    digits = pc.and_(pc.ascii_is_decimal(arrow), pc.less_equal(pc.binary_length(arrow), 18))
    shaped = pc.fill_null(digits, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)
    other = present & ~shaped
    if other.any():
        shaped = shaped.copy()
        shaped[other] = p.matches(text[other], p.INT_PATTERN).to_numpy(dtype=bool)
    if (shaped | ~present).all():  # nearly always: every value delivered is a number
        numbers = pc.cast(arrow, pa.int64())  # (nulls stay null) no copy of the text first
    else:
        kept = pc.if_else(pa.array(shaped), arrow, pa.scalar(None, arrow.type))
        numbers = pc.cast(kept, pa.int64())
    if isinstance(numbers, pa.ChunkedArray):
        numbers = numbers.combine_chunks()
    mask = ~shaped
    data = pc.fill_null(numbers, 0).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return shaped, pd.Series(pd.arrays.IntegerArray(data, mask), index=text.index)


def _date_column(
    column: Column,
    text: pd.Series,
    present: np.ndarray,
    period_end: pd.Timestamp,
    checks: list[RowCheck],
) -> tuple[pd.Series, list[RowCheck]]:
    name = column.name
    if column.fmt is None:
        raise InvalidInput(f"date column {name} has no format in the contract")
    fmt = column.fmt
    values = parse_dates(text, fmt)
    parsed = values.notna().to_numpy(dtype=bool)
    readable = fmt.replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY")
    checks.append(
        RowCheck(
            name,
            p.DATE_FORMAT,
            "reject",
            f"{name} must be a real date written {readable}",
            present & ~parsed,
        )
    )
    checks.append(
        RowCheck(
            name,
            p.DATE_RANGE,
            "reject",
            f"{name} must not be before {p.EARLIEST_DATE:%Y-%m-%d}",
            (values < p.EARLIEST_DATE).fillna(False).to_numpy(dtype=bool),
        )
    )
    checks.append(
        RowCheck(
            name,
            p.DATE_IN_FUTURE,
            "warning" if name in _FUTURE_IS_WARNING else "reject",
            f"{name} must not be after the end of the period ({period_end:%Y-%m-%d})",
            (values > period_end).fillna(False).to_numpy(dtype=bool),
        )
    )
    return values, checks


def parse_dates(text: pd.Series, fmt: str) -> pd.Series:
    """Parse dates with ``pd.to_datetime(format=fmt, errors="coerce")`` once per distinct
    value; NaT where absent, not a real date, or outside what datetime64[ns] holds."""
    codes, uniques = pd.factorize(text)
    parsed = pd.to_datetime(pd.Index(uniques, dtype="str"), format=fmt, errors="coerce")
    parsed = parsed.where((parsed >= _NS_MIN) & (parsed <= _NS_MAX))
    lookup = np.append(parsed.astype("datetime64[ns]").to_numpy(), np.datetime64("NaT", "ns"))
    return pd.Series(lookup[codes], index=text.index, dtype="datetime64[ns]")


# --------------------------------------------------------------------------- cross-column


def _dukcapil_rules(
    typed: pd.DataFrame, delivered: dict[str, np.ndarray], checks: list[RowCheck]
) -> Iterator[RowCheck]:
    # the domicile code, where its four parts are all valid
    part_broken = np.zeros(len(typed), dtype=bool)
    for check in checks:
        if check.column in KELURAHAN_PARTS and check.severity == "reject":
            part_broken |= check.mask
    parts = [typed[c].to_numpy(dtype="float64", na_value=np.nan) for c in KELURAHAN_PARTS]
    usable = ~part_broken & np.logical_and.reduce([~np.isnan(x) for x in parts])
    typed[KODE_KELURAHAN] = kelurahan_code(*parts, usable=usable)
    yield RowCheck(
        KODE_KELURAHAN,
        p.KELURAHAN_UNKNOWN,
        "reject",
        "NO_PROP.NO_KAB.NO_KEC.NO_KEL does not form an existing kelurahan code (Kepmendagri 2025)",
        usable & ~p.known_kelurahan(typed[KODE_KELURAHAN]).to_numpy(dtype=bool),
    )

    if {"STATUS_DASAR", "TGL_PERISTIWA"} <= set(typed.columns):
        yield RowCheck(
            "TGL_PERISTIWA",
            p.TGL_PERISTIWA_IFF_NOT_HIDUP,
            "reject",
            "TGL_PERISTIWA must be filled exactly when STATUS_DASAR is MATI or PINDAH "
            "(and empty for HIDUP)",
            ~p.event_date_iff_not_alive(typed["STATUS_DASAR"], delivered["TGL_PERISTIWA"]).to_numpy(
                dtype=bool
            ),
        )
        yield RowCheck(
            "TGL_PERISTIWA",
            p.TGL_PERISTIWA_BEFORE_BIRTH,
            "reject",
            "TGL_PERISTIWA must not be before TGL_LHR",
            ~p.not_before(typed["TGL_PERISTIWA"], typed["TGL_LHR"]).to_numpy(dtype=bool),
        )
    if {"NIK", "TGL_LHR", "JENIS_KLMIN"} <= set(typed.columns):
        yield RowCheck(
            "NIK",
            p.NIK_DATE_MISMATCH,
            "warning",
            "the date (and sex) embedded in NIK differ from TGL_LHR/JENIS_KLMIN",
            ~p.nik_agrees_with_birth(
                typed["NIK"],
                typed["TGL_LHR"],
                typed["JENIS_KLMIN"],
                well_formed=_nik_well_formed(typed["NIK"], checks),
            ).to_numpy(dtype=bool),
        )


def _nik_well_formed(nik: pd.Series, checks: list[RowCheck]) -> np.ndarray:
    """Where NIK is delivered and breaks none of the NIK rules (already computed)."""
    ok = nik.notna().to_numpy(dtype=bool).copy()
    for check in checks:
        if check.column == "NIK" and check.rule in p.NIK_RULES:
            ok &= ~check.mask
    return ok


def kelurahan_code(
    prop: np.ndarray, kab: np.ndarray, kec: np.ndarray, kel: np.ndarray, *, usable: np.ndarray
) -> pd.Categorical:
    """``32.75.01.1001`` from the four numeric parts (categorical; null where not usable).

    The codes are formatted once per distinct combination, then mapped back."""
    key = np.zeros(len(prop), dtype=np.int64)
    if usable.any():
        key[usable] = (
            prop[usable].astype(np.int64) * 10**8
            + kab[usable].astype(np.int64) * 10**6
            + kec[usable].astype(np.int64) * 10**4
            + kel[usable].astype(np.int64)
        )
    inverse, distinct = pd.factorize(key[usable], sort=True)  # a hash: few distinct codes
    labels = [
        f"{k // 10**8:02d}.{k // 10**6 % 100:02d}.{k // 10**4 % 100:02d}.{k % 10**4:04d}"
        for k in distinct.tolist()
    ]
    codes = np.full(len(prop), -1, dtype=np.int64)
    codes[usable] = inverse
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype="str"))


def _nik_baru_rule(typed: pd.DataFrame, delivered: dict[str, np.ndarray]) -> RowCheck:
    return RowCheck(
        "NIK_BARU",
        p.NIK_BARU_REQUIRED,
        "reject",
        "NIK_BARU is required when HASIL is NIK_DIKOREKSI",
        ~p.nik_baru_given_when_corrected(typed["HASIL"], delivered["NIK_BARU"]).to_numpy(
            dtype=bool
        ),
    )


def _unique_or_copy_rules(
    column: str, values: pd.Series, fingerprints: np.ndarray
) -> list[RowCheck]:
    differing, later = p.repeated_keys(values, fingerprints)
    return [
        RowCheck(
            column,
            p.DUPLICATE_KEY,
            "reject",
            f"{column} appears on more than one row, and the rows differ; every "
            "occurrence is rejected: tell us which one is right",
            differing,
        ),
        RowCheck(
            column,
            p.DUPLICATE_ROW,
            "reject",
            "the row is an exact copy of an earlier row (same values in every column); "
            "the first copy is kept",
            later,
        ),
    ]


def _unique_rule(column: str, values: pd.Series) -> RowCheck:
    return RowCheck(
        column,
        p.DUPLICATE_KEY,
        "reject",
        f"{column} appears on more than one row; every occurrence is rejected: tell us "
        "which one is right",
        ~p.unique_where_present(values).to_numpy(dtype=bool),
    )
