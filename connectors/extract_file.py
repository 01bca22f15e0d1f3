"""Reading one delivered extract file into a frame of strings.

This module is I/O only: it turns the bytes of a ``.csv.gz`` extract (or of the plain
re-verification results file) into a :class:`RawExtract` whose columns are the contract's
columns as strings, each row carrying the line number it had in the original file. It
judges nothing about the values; the row rules live in ``expectations``.

File-level faults raise :class:`core.errors.FileFormatError`, with one message that
names the file and the problem: not gzip, a truncated or corrupt gzip stream, a
decompressed size over the cap, bytes that are not UTF-8 (with the line and byte offset
of the first bad byte), the wrong separator, a missing required column, an empty file, a
header without rows.

Decompression bombs: the stream is inflated chunk by chunk and judged *while* it is
inflated, before the text is held, so that memory stays bounded whatever the file
inflates to. A file is refused as soon as its inflated text passes the size cap; as soon
as its first line passes 64 KiB with no line end (no header is that long); as soon as a
line passes 32 MiB (pyarrow could not split it); and, past 32 MiB inflated, as soon as it
has inflated more than 100 times the compressed bytes read (real extracts inflate 3-4
times; a bomb of zeros or of one repeated row, a thousand times).

Rows with the wrong number of fields are not file faults: they come back in
``RawExtract.bad_rows`` (line number, field count and the line's text) so that the
quarantine can reject them with rule ``FIELD_COUNT``.

Parsing uses ``pyarrow.csv`` with all-string columns, ``|`` as the delimiter, no quoting
(the contract has none: a ``"`` is data), and an invalid-row handler that captures each
bad row with its physical line number. The text is split in parallel blocks; only the
serial reader numbers invalid rows, so a file with such rows is split again serially. A
large file in the common shape (no CR anywhere) is split while it is being inflated.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from zlib_ng import zlib_ng

from core.errors import FileFormatError
from domain.extracts import LINE, ExtractSpec

__all__ = ["SEPARATOR", "RawExtract", "read_extract", "read_plain_csv"]

#: the contract's field separator
SEPARATOR = "|"

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
#: compressed bytes read per step, and the most output one inflate step may produce
_READ_CHUNK = 1 << 20
_INFLATE_CHUNK = 16 << 20
#: stands in for a carriage return inside a line while pyarrow splits the file into lines
#: (pyarrow would otherwise end the line there); restored before anyone sees the values
_CR_PLACEHOLDER = 0x1F
_NON_SPACE = re.compile(rb"\S")
#: pyarrow parses in blocks of this size; a single line must fit in one
_BLOCK_SIZE = 1 << 24
#: a file whose text is longer than this is split while it is inflated
_STREAM_AFTER = 1 << 24
#: how many line numbers a note lists before it says "and N more"
_NOTE_LINES = 10
#: the longest first line (header) accepted: the contract's header is ~200 bytes
_MAX_HEADER = 64 << 10
#: the longest line accepted: pyarrow cannot split a line spanning more than two blocks
_MAX_LINE = 2 * _BLOCK_SIZE
#: past this many inflated bytes, a file inflating more than ``_MAX_RATIO`` times the
#: compressed bytes read is refused (real extracts inflate 3-4 times)
_RATIO_AFTER = 32 << 20
_MAX_RATIO = 100


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


def read_extract(path: Path, spec: ExtractSpec, *, max_uncompressed_bytes: int) -> RawExtract:
    """Read a gzip-compressed ``|``-separated extract into a :class:`RawExtract`.

    Raises ``FileFormatError`` (naming the file) when the file is not gzip, is truncated or
    corrupt, inflates to more than ``max_uncompressed_bytes``, is not UTF-8, does not use
    ``|``, lacks a required column, is empty or has no data rows.

    A large file in the common shape (LF line ends, every row with the header's field
    count) is inflated while pyarrow splits it: the inflating runs in pyarrow's reading
    thread, the splitting in its parsing threads. Anything else (a CR, a bad row, a small
    file) is read whole first, as before.
    """
    path = Path(path)
    name = path.name
    with path.open("rb") as fh:
        magic = fh.read(2)
        if not magic:
            raise FileFormatError("the file is empty (0 bytes)", file=name)
        if magic != _GZIP_MAGIC:
            raise FileFormatError(
                "is not gzip-compressed (it does not start with the gzip signature 1f 8b); "
                "the contract requires a .csv.gz file",
                file=name,
            )
        fh.seek(0)
        text = _TextBuffer(name, max_uncompressed_bytes, what="decompressed")
        chunks = _inflated(fh, name)
        for chunk in chunks:
            text.add(chunk)
            if text.size >= _STREAM_AFTER and text.newline_seen:  # the header is whole
                streamed = _parse_streaming(text, chunks, name, spec)
                if streamed is not None:
                    return streamed
                break  # not streamable: the rest is read whole
        for chunk in chunks:
            text.add(chunk)
    return _parse(text.finish(), name, spec)


def read_plain_csv(path: Path, spec: ExtractSpec, *, max_uncompressed_bytes: int) -> RawExtract:
    """Read an uncompressed ``|``-separated UTF-8 file (the re-verification results) with
    the same rules as :func:`read_extract`, the size cap applying to the file itself."""
    path = Path(path)
    name = path.name
    with path.open("rb") as fh:
        head = fh.read(2)
        if head == _GZIP_MAGIC:
            raise FileFormatError(
                "is gzip-compressed, but this file is delivered as plain UTF-8 text", file=name
            )
        fh.seek(0)
        text = _TextBuffer(name, max_uncompressed_bytes, what="")
        while chunk := fh.read(_READ_CHUNK):
            text.add(chunk)
    return _parse(text.finish(), name, spec)


# --------------------------------------------------------------------------- bytes in


class _TextBuffer:
    """Collects the file's text bytes with a running size check and UTF-8 validation.

    The chunks are kept apart and joined once at the end: growing one buffer chunk by
    chunk copies the text again at every reallocation (2.4 s of a city's extract)."""

    def __init__(self, name: str, cap: int, *, what: str) -> None:
        self.name = name
        self.cap = cap
        self.what = what
        self.chunks: list[bytes] = []
        self.size = 0
        self.newline_seen = False
        #: bytes since the last line feed (the length of the line being read)
        self._line_run = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def add(self, chunk: bytes) -> None:
        self._check_line_length(chunk)
        if self.size + len(chunk) > self.cap:
            size = f"{self.what} size" if self.what else "size"
            raise FileFormatError(
                f"its {size} exceeds the cap of {self.cap:,} bytes (read stopped at "
                f"{self.size + len(chunk):,} bytes); a file this large is refused as a "
                "possible decompression bomb",
                file=self.name,
                hint="check the delivery with the provider, or raise "
                "validation.max_uncompressed_bytes if the file is genuinely this large",
            )
        start = self.size
        self.chunks.append(bytes(chunk))
        self.size += len(chunk)
        if chunk.isascii() and not self._decoder.getstate()[0]:
            return  # ASCII (nearly every chunk) is valid UTF-8: no decoding needed
        try:
            self._decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            self._not_utf8(start + exc.start, bytes(chunk[exc.start : exc.start + 1]))

    def _check_line_length(self, chunk: bytes) -> None:
        """Refuse the file, before ``chunk`` is held, when it makes the first line longer
        than ``_MAX_HEADER`` or any line longer than ``_MAX_LINE``. Two searches per chunk,
        each stopping at its first hit (a chunk holds thousands of lines): the first line
        end and the last. A line inside one chunk is shorter than the chunk, which never
        exceeds ``_MAX_LINE``."""
        last = chunk.rfind(b"\n")
        if last < 0:
            ending, run = -1, self._line_run + len(chunk)
        else:
            ending = self._line_run + chunk.find(b"\n")  # the line that ends in this chunk
            run = len(chunk) - last - 1  # the line this chunk leaves open
        if not self.newline_seen and max(ending, run if last < 0 else 0) > _MAX_HEADER:
            raise FileFormatError(
                f"its first line is longer than {_MAX_HEADER:,} bytes (no line end found): "
                "it is not a header line; is this a '|'-separated extract? (refused as "
                "soon as the limit was passed: a possible decompression bomb)",
                file=self.name,
            )
        if max(ending, run) > _MAX_LINE:
            # the line's number: the line ends held so far, counted only when refusing
            line = sum(c.count(b"\n") for c in self.chunks) + 1
            if ending <= _MAX_LINE and last >= 0:
                line += chunk.count(b"\n")
            raise FileFormatError(
                f"line {line:,} is longer than {_MAX_LINE:,} bytes: it cannot be a row of "
                "the extract (refused as soon as the limit was passed: a possible "
                "decompression bomb)",
                file=self.name,
            )
        self._line_run = run
        self.newline_seen = self.newline_seen or last >= 0

    def joined(self) -> bytes:
        """The text so far, in one piece (joined once, then kept joined)."""
        if len(self.chunks) != 1:
            self.chunks = [b"".join(self.chunks)]
        return self.chunks[0] if self.chunks else b""

    def check_end(self) -> None:
        """The text does not end inside a multi-byte UTF-8 sequence."""
        try:
            self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            text = self.joined()
            tail = len(text) - 1
            while tail > 0 and (text[tail] & 0xC0) == 0x80:
                tail -= 1
            self._not_utf8(tail, text[tail : tail + 1])

    def finish(self) -> bytes:
        self.check_end()
        text = self.joined()
        self.chunks = []
        return text

    def _not_utf8(self, offset: int, byte: bytes) -> None:
        line, start = 1, 0  # counted chunk by chunk: no copy of the whole text
        for chunk in self.chunks:
            if start + len(chunk) >= offset:
                line += chunk.count(b"\n", 0, offset - start)
                break
            line += chunk.count(b"\n")
            start += len(chunk)
        raise FileFormatError(
            f"is not UTF-8: invalid byte 0x{byte.hex() or '??'} at line {line} "
            f"(byte offset {offset:,} of the {self.what + ' ' if self.what else ''}text); "
            "the contract requires UTF-8",
            file=self.name,
        )


def _inflated(fh: BinaryIO, name: str) -> Iterator[bytes]:
    """Stream-decompress a (possibly multi-member) gzip file chunk by chunk (with zlib-ng:
    the same format as zlib, inflated about twice as fast)."""
    inflater = zlib_ng.decompressobj(wbits=16 + zlib_ng.MAX_WBITS)
    data = fh.read(_READ_CHUNK)
    inflated = 0
    while True:
        try:
            out = inflater.decompress(data, _INFLATE_CHUNK)
        except zlib_ng.error as exc:
            raise FileFormatError(
                f"the gzip data is corrupt ({exc}); the file was damaged in transfer or "
                "written incorrectly",
                file=name,
            ) from None
        inflated += len(out)
        if inflated > _RATIO_AFTER:
            # compressed bytes inflated so far: those read, less those not yet consumed
            consumed = fh.tell() - len(inflater.unconsumed_tail) - len(inflater.unused_data)
            if inflated > _MAX_RATIO * consumed:
                raise FileFormatError(
                    f"it inflates more than {_MAX_RATIO} times its size ({consumed:,} "
                    f"compressed bytes gave {inflated:,}; real extracts inflate a few "
                    "times): refused as a possible decompression bomb",
                    file=name,
                    hint="check the delivery with the provider",
                )
        if out:
            yield out
        data = inflater.unconsumed_tail
        if inflater.eof:
            rest = inflater.unused_data or fh.read(_READ_CHUNK)
            if not rest:
                return
            if rest.startswith(_GZIP_MAGIC):  # another gzip member follows
                inflater = zlib_ng.decompressobj(wbits=16 + zlib_ng.MAX_WBITS)
                data = rest
                continue
            if not rest.strip(b"\0") and not _has_non_zero(fh):
                return  # zero padding after the stream (tape/block writers) is harmless
            raise FileFormatError(
                "has unexpected bytes after the end of the gzip stream", file=name
            )
        if data or len(out) == _INFLATE_CHUNK:
            continue  # more output is pending for the input already read
        data = fh.read(_READ_CHUNK)
        if not data:
            raise FileFormatError(
                "the gzip stream is truncated (the file ends before the end of the "
                "compressed data); the transfer was probably incomplete",
                file=name,
            )


def _has_non_zero(fh: BinaryIO) -> bool:
    while chunk := fh.read(_READ_CHUNK):
        if chunk.strip(b"\0"):
            return True
    return False


# --------------------------------------------------------------------------- text to frame


def _header(buf: bytes, name: str, spec: ExtractSpec, notes: list[str]) -> tuple[int, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Where the header line ends, and its columns, extra and missing columns (checked
    against ``spec``). ``buf`` holds at least the header line and what follows it."""
    start = 0
    if buf.startswith(_BOM):
        start = len(_BOM)
        notes.append("UTF-8 byte-order mark at the start of the file (ignored)")
    if not _NON_SPACE.search(buf, start):
        raise FileFormatError("is empty: no header and no data rows", file=name)

    header_end = buf.find(b"\n", start)
    header_bytes = bytes(buf[start : header_end if header_end >= 0 else len(buf)])
    header_text = header_bytes.decode("utf-8").removesuffix("\r")
    if "\r" in header_text:
        raise FileFormatError(
            "the header line contains a carriage return that does not end the line; lines "
            "must end in LF or CRLF (old Mac-style CR line endings are not accepted)",
            file=name,
        )
    header, extra, missing = _check_header(header_text, name, spec)
    if header_end < 0 or not _NON_SPACE.search(buf, header_end + 1):
        raise FileFormatError(
            "has a header but no data rows (the delivery is incomplete or empty)", file=name
        )
    return header_end, header, extra, missing


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


class _NotStreamable(Exception):
    """The text holds a CR that does not end a line (or the file ends in one): it is read
    whole (the stray-CR handling needs all of it)."""


class _StreamedText:
    """The text as a file pyarrow reads from (in its reading thread): the chunks read so
    far, then each further chunk as it is inflated, added to ``text`` (size cap, UTF-8).

    CRLF line ends stream like LF ones (pyarrow takes either); a CR anywhere else raises
    :class:`_NotStreamable`. No read ends between the CR and the LF of a line end: each
    line end stays whole within one of pyarrow's blocks."""

    def __init__(self, text: _TextBuffer, chunks: Iterator[bytes]) -> None:
        self.text = text
        self.chunks = chunks
        #: CRLF line ends so far; the last chunk ended in a CR (its LF must come next)
        self.crlf = 0
        self._cr_end = False
        head = text.joined()
        self._check_line_ends(head)
        self.pending: list[memoryview] = [memoryview(head)]
        self.error: BaseException | None = None
        self.closed = False
        self.lock = threading.Lock()

    def _check_line_ends(self, chunk: bytes) -> None:
        """Every CR of ``chunk`` is followed by an LF (in it, or first in the next one)."""
        if self._cr_end:
            if not chunk.startswith(b"\n"):
                raise _NotStreamable
            self.crlf += 1
            self._cr_end = False
        crs = chunk.count(b"\r")
        if not crs:
            return
        pairs = chunk.count(b"\r\n")
        ends_in_cr = chunk.endswith(b"\r")
        if crs != pairs + ends_in_cr:
            raise _NotStreamable
        self.crlf += pairs
        self._cr_end = ends_in_cr

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes | memoryview:
        with self.lock:
            return self._read(size)

    def stop(self) -> None:
        """No more reads (waits for one under way): the rest of ``chunks`` is the caller's."""
        with self.lock:
            self.closed = True

    def _read(self, size: int) -> bytes | memoryview:
        """``size`` bytes (fewer only at the end): pyarrow takes each read as a block, and
        a line must not straddle more than two blocks."""
        if self.closed:
            return b""
        try:
            parts: list[memoryview] = []
            wanted = size if size >= 0 else 1 << 62
            while wanted > 0:
                if not self.pending:
                    chunk = next(self.chunks, None)
                    if chunk is None:
                        if self._cr_end:  # the text ends in a CR: the whole-text path
                            raise _NotStreamable
                        break
                    self.text.add(chunk)
                    self._check_line_ends(chunk)
                    self.pending.append(memoryview(chunk))
                view = self.pending.pop()
                if wanted < len(view):
                    self.pending.append(view[wanted:])
                    view = view[:wanted]
                parts.append(view)
                wanted -= len(view)
            if parts and len(parts[-1]) > 1 and parts[-1][-1] == 0x0D:
                # the CR of a CRLF (every CR here is one) goes with its LF, in the next read
                self.pending.append(parts[-1][-1:])
                parts[-1] = parts[-1][:-1]
            return parts[0] if len(parts) == 1 else b"".join(parts)
        except Exception as exc:  # noqa: BLE001 - kept in self.error, raised by the caller
            # not raised into pyarrow: an exception from a Python reader leaves pyarrow's
            # parsing tasks behind, and the process then hangs at exit (pyarrow 26, seen
            # with a refused bomb); the stream ends here and the caller raises the error
            self.error = exc
            self.closed = True
            return b""

    def close(self) -> None:
        self.closed = True


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


def _check_header(
    header_text: str, name: str, spec: ExtractSpec
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Header names (stripped, upper case), the extra columns and the missing optional
    columns; raises for a wrong separator, a repeated or a missing required column."""
    if SEPARATOR not in header_text:
        for sep, label in ((",", "','"), (";", "';'"), ("\t", "a tab")):
            if sep in header_text:
                raise FileFormatError(
                    f"uses {label} as the separator, but the contract requires '|' (the "
                    f"first line has {header_text.count(sep)} {label} and no '|')",
                    file=name,
                )
    raw_names = [n.strip() for n in header_text.split(SEPARATOR)]
    header = tuple(n.upper() for n in raw_names)
    known = set(spec.column_names)
    seen: dict[str, int] = {}
    for position, column in enumerate(header, start=1):
        if column in known and column in seen:
            raise FileFormatError(
                f"column {column} appears twice in the header (columns {seen[column]} and "
                f"{position})",
                file=name,
            )
        seen.setdefault(column, position)
    absent = [c for c in spec.columns if c.name not in seen]
    required = [c.name for c in absent if c.required]
    if required:
        # the header's other names are not quoted: without a header they would be data
        found = [c for c in spec.column_names if c in seen]
        plural = "s" if len(required) > 1 else ""
        detail = (
            f"the header has {len(header)} fields, of which {len(found)} are contract columns"
            if found
            else "no contract column at all: is the header line missing?"
        )
        raise FileFormatError(
            f"missing required column{plural} {', '.join(required)} ({detail})", file=name
        )
    extra = tuple(
        raw or f"<unnamed column {i}>"
        for i, (raw, up) in enumerate(zip(raw_names, header, strict=True), start=1)
        if up not in known
    )
    return header, extra, tuple(c.name for c in absent)


def _unique_names(header: tuple[str, ...]) -> list[str]:
    """Column names pyarrow can use: extra columns may repeat or be empty."""
    out: list[str] = []
    used: set[str] = set()
    for i, column in enumerate(header, start=1):
        unique = column if column and column not in used else f"{column}__{i}"
        used.add(unique)
        out.append(unique)
    return out


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
