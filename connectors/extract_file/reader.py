"""Reading one file: :func:`read_extract` (a ``.csv.gz`` extract) and
:func:`read_plain_csv` (the plain re-verification results)."""

from __future__ import annotations

from pathlib import Path

from connectors.extract_file.inflate import _GZIP_MAGIC, _READ_CHUNK, _inflated, _TextBuffer
from connectors.extract_file.raw import RawExtract
from connectors.extract_file.split import _parse, _parse_streaming
from core.errors import FileFormatError
from domain.extracts import ExtractSpec

#: a file whose text is longer than this is split while it is inflated
_STREAM_AFTER = 1 << 24


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
