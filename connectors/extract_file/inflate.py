"""Bytes in: the gzip stream inflated chunk by chunk (:func:`_inflated`, refusing a
file that inflates far more than an extract can) into a :class:`_TextBuffer` that
checks the size cap, the line lengths and UTF-8 before it holds a chunk."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO

from zlib_ng import zlib_ng

from core.errors import FileFormatError

_GZIP_MAGIC = b"\x1f\x8b"
#: compressed bytes read per step, and the most output one inflate step may produce
_READ_CHUNK = 1 << 20
_INFLATE_CHUNK = 16 << 20
#: pyarrow parses in blocks of this size; a single line must fit in one
_BLOCK_SIZE = 1 << 24
#: the longest first line (header) accepted: the contract's header is ~200 bytes
_MAX_HEADER = 64 << 10
#: the longest line accepted: pyarrow cannot split a line spanning more than two blocks
_MAX_LINE = 2 * _BLOCK_SIZE
#: past this many inflated bytes, a file inflating more than ``_MAX_RATIO`` times the
#: compressed bytes read is refused (real extracts inflate 3-4 times)
_RATIO_AFTER = 32 << 20
_MAX_RATIO = 100


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
