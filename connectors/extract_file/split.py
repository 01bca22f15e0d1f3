"""Splitting the text into a table with ``pyarrow.csv`` (:func:`_read_table`): the whole
text at once (:func:`_parse`), or while it is inflated (:func:`_parse_streaming`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.csv as pacsv

from connectors.extract_file.header import _NON_SPACE, _header, _unique_names
from connectors.extract_file.inflate import _BLOCK_SIZE, _TextBuffer
from connectors.extract_file.raw import SEPARATOR, RawExtract
from connectors.extract_file.rows import (
    _assemble,
    _line_end_note,
    _mask_stray_carriage_returns,
)
from connectors.extract_file.streaming import _NotStreamable, _StreamedText
from core.errors import FileFormatError
from domain.extracts import ExtractSpec


def _parse(buf: bytes, name: str, spec: ExtractSpec) -> RawExtract:
    notes: list[str] = []
    _, header, extra, missing = _header(buf, name, spec, notes)

    has_cr = buf.find(b"\r") >= 0  # nearly never: then no line-end counting at all
    crlf = buf.count(b"\r\n") if has_cr else 0
    if crlf:
        notes.append(_line_end_note(crlf, buf.count(b"\n")))
    buf, stray_cr = _mask_stray_carriage_returns(buf, crlf, name, notes) if has_cr else (buf, ())

    column_names = _unique_names(header)
    wanted = [c for c in spec.column_names if c in header]
    invalid, on_invalid = _invalid_rows()

    try:
        # in parallel blocks first; pyarrow numbers an invalid row only when it reads
        # serially, so a file with such rows is read again serially (rare: a bad file)
        table = _read_table(buf, column_names, wanted, on_invalid, threads=True)
        if invalid:
            invalid.clear()
            del table
            table = _read_table(buf, column_names, wanted, on_invalid, threads=False)
    except pa.ArrowInvalid as exc:  # pyarrow could not split the text at all
        raise FileFormatError(
            f"cannot be split into '|'-separated lines ({exc})", file=name
        ) from None
    return _assemble(
        table, invalid, name, spec, header, extra, missing, notes, stray_cr, lambda: buf
    )


def _parse_streaming(
    text: _TextBuffer, chunks: Iterator[bytes], name: str, spec: ExtractSpec
) -> RawExtract | None:
    """Split the text while it is being inflated; ``None`` when the file needs the whole
    text path (a CR, a row with the wrong field count): ``text`` then holds every chunk
    inflated so far and ``chunks`` the rest."""
    head = text.joined()
    if not _NON_SPACE.search(head, head.find(b"\n") + 1):
        return None  # nothing read yet after the header: the whole-text path
    try:
        stream = _StreamedText(text, chunks)
    except _NotStreamable:
        return None  # a CR that does not end a line: the whole-text path
    notes: list[str] = []
    _, header, extra, missing = _header(head, name, spec, notes)
    column_names = _unique_names(header)
    wanted = [c for c in spec.column_names if c in header]
    invalid, on_invalid = _invalid_rows()
    try:
        table = _read_table(stream, column_names, wanted, on_invalid, threads=True)
    except Exception as exc:
        stream.stop()
        if isinstance(stream.error, _NotStreamable):
            return None
        if stream.error is not None:
            raise stream.error from None  # the size cap, UTF-8, a corrupt gzip stream
        if isinstance(exc, pa.ArrowInvalid):
            return None  # the whole-text path gives the message
        raise
    if isinstance(stream.error, _NotStreamable):
        return None  # a CR that does not end a line: the whole-text path
    if stream.error is not None:
        raise stream.error from None  # the size cap, UTF-8, a corrupt gzip stream
    if invalid:
        return None  # rows with the wrong field count: numbered by the serial reader
    text.check_end()
    if stream.crlf:
        notes.append(_line_end_note(stream.crlf, sum(c.count(b"\n") for c in text.chunks)))
    return _assemble(
        table, invalid, name, spec, header, extra, missing, notes, (), text.joined
    )


def _invalid_rows() -> tuple[list[tuple[int | None, str, int]], Callable[[pacsv.InvalidRow], str]]:
    """A list of invalid rows (line number, text, field count) and the pyarrow handler
    that fills it and skips the row."""
    invalid: list[tuple[int | None, str, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number, row.text, row.actual_columns))
        return "skip"

    return invalid, on_invalid


def _read_table(
    buf: bytes | bytearray | _StreamedText,
    column_names: list[str],
    wanted: list[str],
    on_invalid: Callable[[pacsv.InvalidRow], str],
    *,
    threads: bool,
) -> pa.Table:
    """The text as a table of ``large_string`` columns: the type pandas' ``str`` dtype
    holds, so that ``to_pandas`` shares the buffers instead of converting every column
    (seconds for a city's extract)."""
    return pacsv.read_csv(
        buf if isinstance(buf, _StreamedText) else pa.py_buffer(buf),
        read_options=pacsv.ReadOptions(
            column_names=column_names, skip_rows=1, use_threads=threads, block_size=_BLOCK_SIZE
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=SEPARATOR,
            quote_char=False,
            escape_char=False,
            newlines_in_values=False,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.large_string() for c in wanted},
            include_columns=wanted,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            check_utf8=False,  # validated while reading, with a better message
        ),
    )
