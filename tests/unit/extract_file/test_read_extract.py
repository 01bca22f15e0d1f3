"""``connectors.extract_file``: file-level faults (one per fault, exact message) and what
a readable file turns into (strings as delivered, original line numbers)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest

import connectors.extract_file as extract_file
from connectors.extract_file import inflate, read_extract, read_plain_csv, reader, split
from domain.extracts import DUKCAPIL, LINE, VERIFIKASI
from core.errors import FileFormatError

HEADER = "|".join(DUKCAPIL.column_names)
ROW = (
    "3275014101900123|3275010101010001|SITI AMINAH|2|BEKASI|01-01-1990|2|88|32|75|1|1001|"
    "JL. MAWAR|1|2|HIDUP|"
)
ROW2 = ROW.replace("0123|", "0124|", 1).replace("SITI AMINAH", "Dewi Lestari")
CAP = 1_000_000
_PARSE = extract_file._parse
NAME = "DUKCAPIL_3275_202610.csv.gz"


@pytest.fixture(autouse=True, params=["whole", "streamed"])
def reading(request, monkeypatch):
    """Every test twice: a large file is split while it is inflated (``streamed``), which
    these small files reach with a tiny threshold and 7-byte chunks that cut lines apart;
    a file the streamed path cannot take falls back to the whole-text path."""
    if request.param == "streamed":
        monkeypatch.setattr(reader, "_STREAM_AFTER", 1)
        monkeypatch.setattr(inflate, "_INFLATE_CHUNK", 7)
    return request.param


def _write(tmp_path: Path, data: bytes | str, *, compress: bool = True, name: str = NAME) -> Path:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path = tmp_path / name
    path.write_bytes(gzip.compress(raw, mtime=0) if compress else raw)
    return path


def _read(tmp_path, data, **kw):
    return read_extract(_write(tmp_path, data, **kw), DUKCAPIL, max_uncompressed_bytes=CAP)


def _fault(tmp_path, data, *, compress=True, cap=CAP) -> str:
    path = _write(tmp_path, data, compress=compress)
    with pytest.raises(FileFormatError) as info:
        read_extract(path, DUKCAPIL, max_uncompressed_bytes=cap)
    message = str(info.value)
    assert message.startswith(NAME + ": ")  # every message names the file
    assert info.value.file == NAME
    return message


# --------------------------------------------------------------------------- file faults


def test_not_gzip(tmp_path):
    assert "is not gzip-compressed" in _fault(tmp_path, HEADER + "\n" + ROW, compress=False)


def test_zero_bytes(tmp_path):
    assert "the file is empty (0 bytes)" in _fault(tmp_path, b"", compress=False)


def test_empty_content(tmp_path):
    assert "is empty: no header and no data rows" in _fault(tmp_path, "\n \r\n")


def test_header_only(tmp_path):
    assert "has a header but no data rows" in _fault(tmp_path, HEADER + "\r\n")


def test_header_and_blank_lines_only(tmp_path):
    assert "has a header but no data rows" in _fault(tmp_path, HEADER + "\n\n\n")


def test_truncated_gzip(tmp_path):
    whole = gzip.compress(("\n".join([HEADER] + [ROW] * 500) + "\n").encode(), mtime=0)
    message = _fault(tmp_path, whole[: len(whole) // 2], compress=False)
    assert "the gzip stream is truncated" in message


def test_truncated_gzip_trailer(tmp_path):
    whole = gzip.compress((HEADER + "\n" + ROW + "\n").encode(), mtime=0)
    assert "truncated" in _fault(tmp_path, whole[:-4], compress=False)


def test_corrupt_gzip(tmp_path):
    whole = bytearray(gzip.compress(("\n".join([HEADER] + [ROW] * 50)).encode(), mtime=0))
    whole[-8] ^= 0xFF  # the CRC of the uncompressed data
    assert "the gzip data is corrupt" in _fault(tmp_path, bytes(whole), compress=False)


def test_garbage_after_the_gzip_stream(tmp_path):
    whole = gzip.compress((HEADER + "\n" + ROW + "\n").encode(), mtime=0)
    message = _fault(tmp_path, whole + b"not gzip", compress=False)
    assert "unexpected bytes after the end of the gzip stream" in message


def test_decompression_bomb_is_stopped_early(tmp_path):
    # 200 MB of zeros compress to ~200 kB; the cap stops the inflation at 1 MB
    inflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = inflater.compress(HEADER.encode() + b"\n")
    zeros = bytes(1 << 20)
    for _ in range(200):
        bomb += inflater.compress(zeros)
    bomb += inflater.flush()
    message = _fault(tmp_path, bomb, compress=False)
    assert "exceeds the cap of 1,000,000 bytes" in message
    assert "decompression bomb" in message


def test_not_utf8_names_line_and_offset(tmp_path):
    text = (HEADER + "\n" + ROW + "\n" + ROW2 + "\n").encode("utf-8")
    latin1 = text.replace(b"Dewi", "Déwi".encode("latin-1"))
    offset = latin1.index(b"\xe9")
    message = _fault(tmp_path, latin1)
    assert "is not UTF-8: invalid byte 0xe9 at line 3" in message
    assert f"byte offset {offset:,}" in message


def test_utf16_is_not_utf8(tmp_path):
    message = _fault(tmp_path, (HEADER + "\n" + ROW + "\n").encode("utf-16"))
    assert "is not UTF-8: invalid byte 0xff at line 1 (byte offset 0" in message


@pytest.mark.parametrize("sep, label", [(",", "','"), (";", "';'"), ("\t", "a tab")])
def test_wrong_separator(tmp_path, sep, label):
    message = _fault(tmp_path, ROW.replace("|", sep) + "\n" + ROW2.replace("|", sep) + "\n")
    assert f"uses {label} as the separator, but the contract requires '|'" in message
    assert "3275014101900123" not in message  # a header-less file: nothing quoted


def test_missing_required_columns_are_named(tmp_path):
    header = HEADER.replace("NAMA_LGKP|", "").replace("|STATUS_DASAR", "")
    message = _fault(tmp_path, header + "\n" + ROW + "\n")
    assert "missing required columns NAMA_LGKP, STATUS_DASAR (the header has 15 fields" in message


def test_a_missing_header_is_named_without_quoting_the_data(tmp_path):
    message = _fault(tmp_path, ROW + "\n" + ROW2 + "\n")
    assert "no contract column at all: is the header line missing?" in message
    assert "3275014101900123" not in message and "SITI" not in message


def test_a_repeated_column_is_refused(tmp_path):
    message = _fault(tmp_path, HEADER + "|NIK\n" + ROW + "|x\n")
    assert "column NIK appears twice in the header (columns 1 and 18)" in message


def test_a_line_longer_than_a_parse_block_is_read_whole(tmp_path):
    long_address = "X" * (17 << 20)
    path = _write(tmp_path, HEADER + "\n" + ROW.replace("JL. MAWAR", long_address) + "\n")
    raw = read_extract(path, DUKCAPIL, max_uncompressed_bytes=64 << 20)
    assert raw.rows == 1 and len(raw.frame.loc[0, "ALAMAT"]) == len(long_address)


def test_messages_never_carry_values(tmp_path):
    text = (HEADER + "\n" + ROW + "\n" + ROW2 + "\n").encode()
    message = _fault(tmp_path, text.replace(b"Dewi", b"D\xffwi"))
    assert "3275014101900124" not in message and "Dewi" not in message


# --------------------------------------------------------------------------- readable files


def test_strings_as_delivered_with_line_numbers(tmp_path):
    raw = _read(
        tmp_path, HEADER + "\n" + ROW.replace("SITI AMINAH", "  siti aminah ") + "\n" + ROW2
    )
    assert raw.rows == 2 and raw.frame[LINE].tolist() == [2, 3]
    assert raw.line_numbers.tolist() == [2, 3]
    assert list(raw.frame.columns) == [LINE, *DUKCAPIL.column_names]
    assert raw.frame.loc[0, "NAMA_LGKP"] == "  siti aminah "  # nothing stripped
    assert raw.frame["TGL_PERISTIWA"].isna().all()  # empty -> null
    assert raw.bad_rows.empty and raw.encoding_notes == () and raw.expected_fields == 17


def test_rows_with_the_wrong_field_count_are_kept_aside(tmp_path):
    text = "\n".join([HEADER, ROW + "|extra", ROW, ROW2[:40], ROW2]) + "\n"
    raw = _read(tmp_path, text)
    assert raw.frame[LINE].tolist() == [3, 5]
    assert raw.bad_rows[LINE].tolist() == [2, 4]
    assert raw.bad_rows["fields"].tolist() == [18, 3]
    assert raw.bad_rows["text"].tolist() == [ROW + "|extra", ROW2[:40]]
    assert raw.rows == 4


def test_bom_crlf_and_blank_lines(tmp_path):
    text = "\ufeff" + HEADER + "\r\n" + ROW + "\r\n\r\n   \r\n" + ROW2 + "\r\n" + "|" * 16 + "\r\n"
    raw = _read(tmp_path, text)
    assert raw.frame[LINE].tolist() == [2, 5, 6]  # line 6: every field empty, still a row
    assert raw.frame.loc[0, "NIK"] == "3275014101900123"  # the BOM is not part of the NIK
    assert raw.rows == 3
    assert raw.encoding_notes == (
        "UTF-8 byte-order mark at the start of the file (ignored)",
        "lines end in CRLF",
        "1 blank line(s) ignored (lines 3)",
        "1 line(s) holding only white space ignored (lines 4)",
    )


def test_a_crlf_file_is_streamed_with_no_line_end_split_between_reads(
    tmp_path, monkeypatch, reading
):
    """A CRLF file reads as its LF twin does. Streamed, it is not sent to the whole-text
    path, and no block pyarrow reads ends between a CR and its LF: the first block would
    otherwise end at the first data line's CR."""
    rows = [ROW.replace("0123|", f"{i:04d}|", 1) for i in range(60)]
    lf = _read(tmp_path, "\n".join([HEADER, *rows]) + "\n", name="lf.csv.gz")
    whole_text = []
    monkeypatch.setattr(reader, "_parse", lambda *a: whole_text.append(1) or _PARSE(*a))
    first_line_end = len(HEADER) + 2 + len(rows[0])
    monkeypatch.setattr(split, "_BLOCK_SIZE", first_line_end + 1)
    blocks: list[bytes] = []
    original_read = extract_file._StreamedText._read

    def recording_read(self, size):
        data = original_read(self, size)
        blocks.append(bytes(data))
        return data

    monkeypatch.setattr(extract_file._StreamedText, "_read", recording_read)
    crlf = _read(tmp_path, "\r\n".join([HEADER, *rows]) + "\r\n")
    assert crlf.frame.equals(lf.frame)
    assert crlf.encoding_notes == ("lines end in CRLF",)
    if reading == "streamed":
        assert whole_text == []
        # the CR went to the next block, with its LF
        assert blocks[0] == (HEADER + "\r\n" + rows[0]).encode()
        assert len(blocks) > 10 and all(not b.endswith(b"\r") for b in blocks)
    else:
        assert whole_text == [1] and blocks == []


def test_stray_carriage_return_keeps_the_line_whole(tmp_path):
    raw = _read(tmp_path, "\n".join([HEADER, ROW.replace("JL. MAWAR", "JL.\rMAWAR"), ROW2]))
    assert raw.frame[LINE].tolist() == [2, 3]
    assert raw.stray_cr_lines == (2,)
    assert raw.frame.loc[0, "ALAMAT"] == "JL.\rMAWAR"
    assert "1 line(s) contain a carriage return" in raw.encoding_notes[0]


def test_extra_columns_are_ignored_and_reported(tmp_path):
    raw = _read(tmp_path, HEADER + "|Catatan|\n" + ROW + "|x|y\n")
    assert raw.extra_columns == ("Catatan", "<unnamed column 19>")
    assert list(raw.frame.columns) == [LINE, *DUKCAPIL.column_names]


def test_columns_in_any_order_and_case(tmp_path):
    names = list(DUKCAPIL.column_names)
    values = ROW.split("|")
    order = list(reversed(range(len(names))))
    header = "|".join(names[i].lower() for i in order)
    raw = _read(tmp_path, header + "\n" + "|".join(values[i] for i in order) + "\n")
    assert raw.frame.loc[0, "NIK"] == "3275014101900123"
    assert raw.frame.loc[0, "NAMA_LGKP"] == "SITI AMINAH"


def test_a_missing_optional_column_reads_as_null(tmp_path):
    header = HEADER.replace("|TMPT_LHR", "")
    raw = _read(tmp_path, header + "\n" + ROW.replace("|BEKASI", "") + "\n")
    assert raw.missing_columns == ("TMPT_LHR",)
    assert raw.frame["TMPT_LHR"].isna().all()


def test_multi_member_gzip(tmp_path):
    data = gzip.compress((HEADER + "\n" + ROW + "\n").encode()) + gzip.compress(ROW2.encode())
    raw = read_extract(_write(tmp_path, data, compress=False), DUKCAPIL, max_uncompressed_bytes=CAP)
    assert raw.frame[LINE].tolist() == [2, 3]


def test_plain_csv_reader(tmp_path):
    header = "|".join(VERIFIKASI.column_names)
    text = header + "\n" + "C-1|3275014101900123|LAYAK||ok|LURAH|2026-10-20\n"
    path = _write(tmp_path, text, compress=False, name="HASIL_VERIFIKASI_202610.csv")
    raw = read_plain_csv(path, VERIFIKASI, max_uncompressed_bytes=CAP)
    assert raw.frame.loc[0, "HASIL"] == "LAYAK" and raw.rows == 1


def test_plain_csv_faults(tmp_path):
    header = "|".join(VERIFIKASI.column_names)
    gz = _write(tmp_path, header + "\n", name="HASIL_VERIFIKASI_202610.csv")
    with pytest.raises(FileFormatError, match="is gzip-compressed, but this file is delivered"):
        read_plain_csv(gz, VERIFIKASI, max_uncompressed_bytes=CAP)
    big = _write(tmp_path, header + "\n" + "x" * 5000, compress=False, name="big.csv")
    with pytest.raises(FileFormatError, match="its size exceeds the cap of 1,000 bytes"):
        read_plain_csv(big, VERIFIKASI, max_uncompressed_bytes=1000)


def test_a_clean_file_is_split_while_it_is_inflated(tmp_path, monkeypatch, reading):
    rows = [ROW.replace("0123|", f"{i:04d}|", 1) for i in range(300)]
    whole_text_reads = []
    parse = extract_file._parse
    monkeypatch.setattr(
        reader, "_parse", lambda *a, **k: whole_text_reads.append(1) or parse(*a, **k)
    )
    raw = _read(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    assert len(whole_text_reads) == (0 if reading == "streamed" else 1)
    assert raw.frame[LINE].tolist() == list(range(2, 302))
    assert raw.frame["NIK"].tolist() == [r.split("|", 1)[0] for r in rows]
    assert raw.rows == 300 and len(raw.bad_rows) == 0 and raw.encoding_notes == ()


@pytest.mark.parametrize("where", [5, 150, 299])
def test_a_bad_row_anywhere_is_numbered_whichever_way_the_file_is_split(tmp_path, reading, where):
    rows = [ROW.replace("0123|", f"{i:04d}|", 1) for i in range(300)]
    rows[where] = rows[where] + "|EXTRA"
    raw = _read(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    assert raw.bad_rows[LINE].tolist() == [where + 2]
    assert len(raw.frame) == 299 and where + 2 not in set(raw.frame[LINE])


def test_a_bad_byte_late_in_the_file_names_its_line(tmp_path, reading):
    rows = [ROW.replace("0123|", f"{i:04d}|", 1) for i in range(300)]
    data = (HEADER + "\n" + "\n".join(rows) + "\n").encode() + b"\xff\n"
    assert "invalid byte 0xff at line 302" in _fault(tmp_path, data)
