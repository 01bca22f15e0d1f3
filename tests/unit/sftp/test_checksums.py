"""The checksum helpers: ``sha256sum`` lines and file digests."""

from __future__ import annotations

import hashlib

import pytest

from connectors.sftp import parse_sha256_line, sha256_file
from core.errors import DataError

NAME = "DTSEN_3275_202610.csv.gz"
HEX = hashlib.sha256(b"x").hexdigest()


@pytest.mark.parametrize(
    "text",
    [
        f"{HEX}  {NAME}\n",  # sha256sum text mode
        f"{HEX} *{NAME}\n",  # binary mode
        f"\ufeff{HEX}  {NAME}\r\n\r\n",  # BOM, CRLF, trailing blank line
        f"{HEX.upper()}  {NAME}",  # upper case, no final newline
        f"{HEX}  ./{NAME}\n",  # written from the folder with a path
        f"{HEX}  2026/10/{NAME}\n",
    ],
)
def test_accepts_sha256sum_lines(text):
    assert parse_sha256_line(text, NAME) == HEX


def test_expected_name_may_be_a_path():
    assert parse_sha256_line(f"{HEX}  {NAME}\n", f"2026/10/{NAME}") == HEX


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "found 0"),
        (f"{HEX}  {NAME}\n{HEX}  {NAME}\n", "found 2"),
        (f"{HEX[:-1]}  {NAME}\n", "sha256sum format"),
        (f"{HEX}{NAME}\n", "sha256sum format"),
        (f"{HEX}\n", "sha256sum format"),
        (f"{'g' * 64}  {NAME}\n", "sha256sum format"),
        (f"{HEX}  DUKCAPIL_3275_202610.csv.gz\n", "names 'DUKCAPIL_3275_202610.csv.gz'"),
        (f"{HEX}  {NAME}.old\n", "names"),
    ],
)
def test_refuses_anything_else(text, problem):
    with pytest.raises(DataError, match=problem) as info:
        parse_sha256_line(text, NAME)
    assert info.value.file == f"{NAME}.sha256"


def test_error_names_the_checksum_file_given():
    with pytest.raises(DataError) as info:
        parse_sha256_line("junk", NAME, checksum_file="sftp://h:22/dtsen/2026/10/x.sha256")
    assert str(info.value).startswith("sftp://h:22/dtsen/2026/10/x.sha256: ")


@pytest.mark.parametrize("size", [0, 1, 1024 * 1024, 3 * 1024 * 1024 + 5])
def test_sha256_file(tmp_path, size):
    data = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    path = tmp_path / "f"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert sha256_file(str(path)) == hashlib.sha256(data).hexdigest()
