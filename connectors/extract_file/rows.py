"""From the split text to a :class:`~connectors.extract_file.raw.RawExtract`
(:func:`_assemble`): original line numbers, blank lines dropped, rows with the wrong
field count set apart, carriage returns inside a line masked and restored, and the
notes on the encoding and layout."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from connectors.extract_file.raw import RawExtract
from core.errors import FileFormatError
from domain.extracts import LINE, ExtractSpec

#: stands in for a carriage return inside a line while pyarrow splits the file into lines
#: (pyarrow would otherwise end the line there); restored before anyone sees the values
_CR_PLACEHOLDER = 0x1F
#: how many line numbers a note lists before it says "and N more"
_NOTE_LINES = 10


def _assemble(
    table: pa.Table,
    invalid: list[tuple[int | None, str, int]],
    name: str,
    spec: ExtractSpec,
    header: tuple[str, ...],
    extra: tuple[str, ...],
    missing: tuple[str, ...],
    notes: list[str],
    stray_cr: tuple[int, ...],
    text: Callable[[], bytes | bytearray],
) -> RawExtract:
    """The :class:`RawExtract` of the split text (``text`` gives the whole text, which is
    needed only when there may be blank lines)."""
    lines = _line_numbers(table.num_rows, invalid)
    frame = table.to_pandas()
    del table
    frame.insert(0, LINE, lines)
    for column in missing:
        frame[column] = pd.Series(None, index=frame.index, dtype="str")
    frame = frame[[LINE, *spec.column_names]]

    frame = _drop_blank_lines(frame, text, spec, notes)
    bad_rows = _bad_rows(invalid, notes)
    if stray_cr:
        frame, bad_rows = _restore_carriage_returns(frame, bad_rows, stray_cr, spec)

    if len(frame) + len(bad_rows) == 0:
        raise FileFormatError(
            "has a header but no data rows (only blank lines follow it)", file=name
        )
    return RawExtract(
        file=name,
        frame=frame.reset_index(drop=True),
        bad_rows=bad_rows,
        header=header,
        extra_columns=extra,
        missing_columns=missing,
        encoding_notes=tuple(notes),
        stray_cr_lines=stray_cr,
        rows=len(frame) + len(bad_rows),
        expected_fields=len(header),
    )


def _line_end_note(crlf: int, lines_total: int) -> str:
    return (
        "lines end in CRLF"
        if crlf >= lines_total
        else f"mixed line endings: {crlf:,} of {lines_total:,} lines end in CRLF"
    )


def _mask_stray_carriage_returns(
    text: bytes, crlf: int, name: str, notes: list[str]
) -> tuple[bytes | bytearray, tuple[int, ...]]:
    """Replace each CR that does not end a line by a placeholder so the line stays whole
    (in a copy of the text), and return the text with the (sorted) lines that held one;
    they are rejected by the quarantine."""
    if text.count(b"\r") == crlf:
        return text, ()
    if text.endswith(b"\r"):  # a CRLF file whose very last LF is missing
        text = text[:-1]
        if text.count(b"\r") == crlf:
            return text, ()
    buf = bytearray(text)
    positions = np.fromiter((m.start() for m in re.finditer(rb"\r(?!\n)", buf)), dtype=np.int64)
    newlines = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == 0x0A)
    lines = np.searchsorted(newlines, positions) + 1
    for position in positions.tolist():
        buf[position] = _CR_PLACEHOLDER
    unique = tuple(int(x) for x in np.unique(lines))
    if unique and unique[0] == 1:
        raise FileFormatError(
            "the header line contains a carriage return that does not end the line",
            file=name,
        )
    notes.append(
        f"{len(unique):,} line(s) contain a carriage return (CR) that does not end the line "
        f"(lines {_list_lines(unique)}); these rows are rejected"
    )
    return buf, unique


def _line_numbers(valid_rows: int, invalid: list[tuple[int | None, str, int]]) -> np.ndarray:
    """Line numbers of the rows pyarrow kept: every physical line after the header that is
    not an invalid row, in order."""
    bad = np.array([n for n, _, _ in invalid if n is not None], dtype=np.int64)
    if len(bad) != len(invalid):
        raise RuntimeError("pyarrow did not report the line number of an invalid row")
    every = np.arange(2, 2 + valid_rows + len(invalid), dtype=np.int64)
    lines = np.setdiff1d(every, bad, assume_unique=True) if len(bad) else every
    if len(lines) != valid_rows:
        raise RuntimeError(
            f"line numbering mismatch: {valid_rows} rows but {len(lines)} line numbers"
        )
    return lines


def _drop_blank_lines(
    frame: pd.DataFrame, text_of: Callable[[], bytes | bytearray], spec: ExtractSpec,
    notes: list[str],
) -> pd.DataFrame:
    """pyarrow reads an empty line as a row of nulls; drop those (a blank line is not a
    row) but keep real rows whose fields are all empty (they break the contract)."""
    columns = list(spec.column_names)
    # a blank row is null in every column: without a null in each column there is none
    if not len(frame) or not all(frame[c].hasnans for c in columns):
        return frame
    all_null = frame[columns].isna().all(axis=1).to_numpy()
    if not all_null.any():
        return frame
    buf = text_of()
    text = np.frombuffer(buf, dtype=np.uint8)
    newlines = np.flatnonzero(text == 0x0A)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(buf)]))
    candidate = frame.loc[all_null, LINE].to_numpy() - 1  # 0-based line index
    length = ends[candidate] - starts[candidate]
    first = text[np.minimum(starts[candidate], len(text) - 1)]
    blank = (length == 0) | ((length == 1) & (first == 0x0D))
    if not blank.any():
        return frame
    blank_lines = candidate[blank] + 1
    notes.append(f"{len(blank_lines):,} blank line(s) ignored (lines {_list_lines(blank_lines)})")
    return frame[~frame[LINE].isin(blank_lines)]


def _bad_rows(invalid: list[tuple[int | None, str, int]], notes: list[str]) -> pd.DataFrame:
    rows = [(n, t, f) for n, t, f in invalid if t.strip()]
    blank = [n for n, t, _ in invalid if not t.strip()]
    if blank:
        notes.append(
            f"{len(blank):,} line(s) holding only white space ignored (lines {_list_lines(blank)})"
        )
    return pd.DataFrame(
        {
            LINE: np.array([n for n, _, _ in rows], dtype=np.int64),
            "fields": np.array([f for _, _, f in rows], dtype=np.int64),
            "text": pd.Series([t for _, t, _ in rows], dtype="str"),
        }
    )


def _restore_carriage_returns(
    frame: pd.DataFrame, bad_rows: pd.DataFrame, lines: tuple[int, ...], spec: ExtractSpec
) -> tuple[pd.DataFrame, pd.DataFrame]:
    placeholder = chr(_CR_PLACEHOLDER)
    affected = frame[LINE].isin(lines)
    if affected.any():
        frame = frame.copy()
        for column in spec.column_names:
            values = frame.loc[affected, column]
            frame.loc[affected, column] = values.str.replace(placeholder, "\r", regex=False)
    if len(bad_rows):
        bad_rows = bad_rows.assign(
            text=bad_rows["text"].str.replace(placeholder, "\r", regex=False)
        )
    return frame, bad_rows


def _list_lines(lines) -> str:
    values = [int(x) for x in lines]
    shown = ", ".join(str(x) for x in values[:_NOTE_LINES])
    more = len(values) - _NOTE_LINES
    return f"{shown} and {more:,} more" if more > 0 else shown
