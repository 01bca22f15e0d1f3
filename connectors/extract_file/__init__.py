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

The modules: ``raw`` (:class:`RawExtract`), ``inflate`` (bytes in: gzip, size cap,
UTF-8, line lengths), ``header`` (the header line), ``rows`` (the split text to a
:class:`RawExtract`), ``streaming`` (the text as pyarrow's file while it is inflated),
``split`` (pyarrow splitting, whole or streamed), ``reader`` (:func:`read_extract`,
:func:`read_plain_csv`). This package exports their interface. A helper or a limit is
looked up in the module that uses it: patch it there (e.g.
``connectors.extract_file.reader._STREAM_AFTER``), not here.
"""

from __future__ import annotations

from connectors.extract_file.inflate import (
    _BLOCK_SIZE,
    _INFLATE_CHUNK,
    _RATIO_AFTER,
    _TextBuffer,
)
from connectors.extract_file.raw import SEPARATOR, RawExtract
from connectors.extract_file.reader import _STREAM_AFTER, read_extract, read_plain_csv
from connectors.extract_file.split import _parse
from connectors.extract_file.streaming import _StreamedText

__all__ = [
    # the private names are importable from here as before; patch each one in the
    # module that uses it
    "SEPARATOR",
    "_BLOCK_SIZE",
    "_INFLATE_CHUNK",
    "_RATIO_AFTER",
    "_STREAM_AFTER",
    "RawExtract",
    "_StreamedText",
    "_TextBuffer",
    "_parse",
    "read_extract",
    "read_plain_csv",
]
