"""The outbox's CSV (:func:`render_csv`): ``|``-separated UTF-8, rendered with Arrow
compute when the columns allow it, text cells that a spreadsheet would run as a
formula guarded with a ``'``."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from connectors.arrow_text import concatenated

CSV_SEPARATOR = "|"

#: a text cell starting with one of these is a formula to a spreadsheet (OWASP)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: what goes in front of such a cell
FORMULA_GUARD = "'"
_FORMULA_BYTE = np.zeros(256, dtype=bool)
_FORMULA_BYTE[[ord(c) for c in FORMULA_START]] = True

_QUOTE = '"'
#: a field is quoted when it holds one of these (the CSV writer pandas uses, QUOTE_MINIMAL
#: with ``|`` and ``\n``: a lone carriage return is not quoted)
_NEEDS_QUOTES = r'[|"\n]'
_TEXT = pa.large_string()


def render_csv(frame: pd.DataFrame) -> bytes:
    """``frame`` as the outbox's CSV: ``|``-separated UTF-8, a header row, LF line ends,
    missing values empty, fields holding ``|``, a quote or a line feed quoted (quotes
    doubled); booleans ``True``/``False``; a text cell that starts like a formula
    (:data:`FORMULA_START`) with a ``'`` in front.

    The bytes are exactly those of ``frame.to_csv(sep="|", index=False,
    lineterminator="\\n", na_rep="")`` once such cells are guarded. Text, integer and
    boolean columns (what the registry, the BPJS mutations and the worklists hold) are
    rendered with Arrow compute, with no Python work per row (the formula test reads the
    first byte of each value from the Arrow buffers); a frame with any other column
    (floats, dates, categories, mixed objects...) is left to pandas, its text cells
    guarded one by one.
    """
    if frame.columns.nlevels != 1 or len(frame.columns) == 0:
        return _pandas_csv(frame)
    fields = []
    for _, column in frame.items():  # noqa: PERF102 (a DataFrame: by position, labels may repeat)
        field = _csv_field(column)
        if field is None:
            return _pandas_csv(frame)
        fields.append(field)
    header = _pandas_csv(frame.iloc[:0])  # a few labels: pandas spells them
    if len(frame) == 0:
        return header
    separator, newline, empty = (pa.scalar(s, _TEXT) for s in (CSV_SEPARATOR, "\n", ""))
    if len(fields) == 1:  # the writer quotes a record made of one empty field
        only = fields[0]
        lines = pc.if_else(pc.equal(only, empty), pa.scalar('""', _TEXT), only)
    else:
        lines = pc.binary_join_element_wise(*fields, separator)
    body = pc.binary_join_element_wise(lines, empty, newline)
    return header + concatenated(body)


def _pandas_csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    _guarded(frame).to_csv(buffer, sep=CSV_SEPARATOR, index=False, lineterminator="\n", na_rep="")
    return buffer.getvalue().encode("utf-8")


def _guard_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return FORMULA_GUARD + value
    return value


def _guarded(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text cells (text, object and category columns) guarded; the
    pandas path only (frames this renderer does not take with Arrow: rare and small)."""
    out = None
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = [_guard_cell(c) for c in column.cat.categories]
            if categories == list(column.cat.categories):
                continue
            new = column.cat.rename_categories(categories)
        elif isinstance(column.dtype, pd.StringDtype) or column.dtype == object:
            cells = [_guard_cell(v) for v in column]
            new = pd.Series(cells, index=column.index, dtype=column.dtype)
        else:
            continue
        if out is None:
            out = frame.copy()
        out.isetitem(i, new)
    return frame if out is None else out


def _guard_formulas(text: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A ``large_string`` array with a ``'`` before each value whose first byte is in
    :data:`FORMULA_START` (read from the buffers: no pass over the text)."""
    starts = _formula_rows(text)
    if not starts.any():
        return text
    guarded = pc.binary_join_element_wise(
        pa.scalar(FORMULA_GUARD, _TEXT), text, pa.scalar("", _TEXT)
    )
    return pc.if_else(pa.array(starts), guarded, text)


def _formula_rows(text: pa.Array | pa.ChunkedArray) -> np.ndarray:
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    parts = []
    for chunk in chunks:
        _, offsets, data = chunk.buffers()
        bounds = np.frombuffer(offsets, dtype=np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
        starts, ends = bounds[:-1], bounds[1:]
        hit = np.zeros(len(chunk), dtype=bool)
        if data is not None and data.size:
            first = np.frombuffer(data, dtype=np.uint8)[np.minimum(starts, data.size - 1)]
            hit = (ends > starts) & _FORMULA_BYTE[first]
        if chunk.null_count:
            hit &= chunk.is_valid().to_numpy(zero_copy_only=False)
        parts.append(hit)
    if not parts:
        return np.zeros(0, dtype=bool)
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _csv_field(values: pd.Series) -> pa.Array | None:
    """One column as CSV fields (``large_string``, no nulls), or ``None`` when its dtype is
    not one this renderer reproduces exactly."""
    dtype = values.dtype
    if isinstance(dtype, pd.BooleanDtype) or dtype == bool:
        flags = pa.array(values, from_pandas=True, type=pa.bool_())
        text = pc.if_else(flags, pa.scalar("True", _TEXT), pa.scalar("False", _TEXT))
    elif pd.api.types.is_integer_dtype(dtype):
        text = pc.cast(pa.array(values, from_pandas=True), _TEXT)
    elif isinstance(dtype, pd.StringDtype) or dtype == object:
        try:
            strings = pa.array(values, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            return None
        if not (pa.types.is_string(strings.type) or pa.types.is_large_string(strings.type)):
            return None  # e.g. an object column of numbers or dates: pandas renders those
        text = _guard_formulas(pc.cast(strings, _TEXT))
        needs = pc.match_substring_regex(text, _NEEDS_QUOTES)
        if pc.any(needs).as_py():
            quote = pa.scalar(_QUOTE, _TEXT)
            doubled = pc.replace_substring(text, _QUOTE, _QUOTE * 2)
            wrapped = pc.binary_join_element_wise(quote, doubled, quote, pa.scalar("", _TEXT))
            text = pc.if_else(needs, wrapped, text)
    else:
        return None
    return pc.fill_null(text, pa.scalar("", _TEXT))
