"""The text as a file pyarrow reads from while it is still being inflated
(:class:`_StreamedText`), and :class:`_NotStreamable` for a text that must be read
whole."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from connectors.extract_file.inflate import _TextBuffer


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
