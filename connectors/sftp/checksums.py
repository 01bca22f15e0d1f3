"""Checksums: the digest a ``sha256sum`` file announces (:func:`parse_sha256_line`),
the SHA-256 of a local file, and a writer that hashes what passes through it."""

from __future__ import annotations

import hashlib
import posixpath
import re
from pathlib import Path

from connectors.sftp.interface import CHECKSUM_SUFFIX
from core.errors import DataError

_SHA256_LINE = re.compile(r"^(?P<hex>[0-9a-fA-F]{64}) (?P<mode>[ *])(?P<name>\S.*)$")


def sha256_file(path: Path | str) -> str:
    """SHA-256 of a local file, lower-case hex, read in 1 MiB blocks."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def parse_sha256_line(text: str, expected_name: str, *, checksum_file: str | None = None) -> str:
    """The digest in a ``sha256sum`` checksum file that names ``expected_name``.

    Accepts ``<64 hex>  <name>`` (text mode) and ``<64 hex> *<name>`` (binary mode), a
    UTF-8 byte-order mark, CRLF line ends and blank lines; the file must hold exactly one
    entry, and its name (or the name's last path component) must be ``expected_name``'s
    file name. Returns the digest in lower case.

    Raises :class:`~core.errors.DataError` naming ``checksum_file`` (default
    ``<expected_name>.sha256``) when the content does not fit.
    """
    expected = posixpath.basename(expected_name.replace("\\", "/"))
    where = checksum_file or f"{expected}{CHECKSUM_SUFFIX}"
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) != 1:
        raise DataError(
            f"expected one line '<sha256>  {expected}' in sha256sum format, found {len(lines)}",
            file=where,
        )
    match = _SHA256_LINE.match(lines[0])
    if match is None:
        raise DataError(
            f"not in sha256sum format ('<64 hex digits>  {expected}'): {lines[0][:120]!r}",
            file=where,
        )
    named = match["name"].strip()
    named_base = posixpath.basename(named.replace("\\", "/"))
    if named != expected and named_base != expected:
        raise DataError(
            f"the checksum file names {named!r}, not {expected!r}",
            file=where,
        )
    return match["hex"].lower()


class _HashingWriter:
    """A binary sink that hashes and counts what passes through on its way to a file."""

    def __init__(self, out) -> None:
        self._out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self._out.write(data)
