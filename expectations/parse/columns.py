"""One column at a time: its text stripped (straight from the Arrow buffers when nothing
needs stripping), typed by the contract's column type (NIK, digits, codes and flags,
whole numbers, dates parsed once per distinct value) and the rules each value breaks,
text length and control characters included.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InvalidInput
from domain.codes import Source
from domain.extracts import Column, ExtractSpec
from expectations import predicates as p
from expectations.parse.model import RowCheck, Severity

#: date columns whose value after the period is a warning, not a rejection
_FUTURE_IS_WARNING = frozenset({"TGL_AKTIF", "TGL_VERIFIKASI"})
#: the range of dates a typed frame can hold (datetime64[ns])
_NS_MIN = pd.Timestamp("1678-01-01")
_NS_MAX = pd.Timestamp("2261-12-31")


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
