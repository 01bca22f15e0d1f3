"""The header line: where it ends, its columns against the contract's (separator,
repeated, missing and extra columns), and column names pyarrow can use."""

from __future__ import annotations

import re

from connectors.extract_file.raw import SEPARATOR
from core.errors import FileFormatError
from domain.extracts import ExtractSpec

_BOM = b"\xef\xbb\xbf"
_NON_SPACE = re.compile(rb"\S")


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
