"""Decompression bombs (issue 15, point 7): a file is refused by what it inflates to
*while* it is inflated, before the text is held, so memory stays bounded whatever the
file inflates to.

* the size cap: a file inflating to exactly the cap is read, one byte more is refused;
* shape: a first line with no line end within 64 KiB is no header, a line longer than
  32 MiB cannot be split: both refused as soon as the limit is passed;
* compression ratio: past 32 MiB inflated, a file inflating more than 100 times its size
  is refused (real extracts inflate 3-4 times);
* peak memory, measured in a child process (its ``VmHWM``) reading a 2 MB file that
  inflates to 2 GiB of zeros, and a 2 GiB bomb of repeated valid rows, under the default
  4 GiB cap: all refused with a peak resident size under 512 MiB (before: 3.2 GB for
  1 GiB of zeros, 6.7 GB for 2 GiB; now ~150-280 MB, of which ~140 MB are the imports).
  A refusal inside the streamed split used to leave pyarrow's parsing tasks behind, and
  the child then hung at exit: the test would time out.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from connectors import extract_file
from connectors.extract_file import inflate, read_extract
from domain.extracts import DUKCAPIL
from core.errors import FileFormatError

HEADER = "|".join(DUKCAPIL.column_names)
ROW = (
    "3275014101900123|3275010101010001|SITI AMINAH|2|BEKASI|01-01-1990|2|88|32|75|1|1001|"
    "JL. MAWAR|1|2|HIDUP|"
)
NAME = "DUKCAPIL_3275_202610.csv.gz"
ROOT = Path(__file__).resolve().parents[3]
#: peak resident size allowed to a child that reads a bomb (its imports take ~200 MB)
PEAK_LIMIT = 512 << 20


def _rows(n: int) -> bytes:
    lines = [ROW.replace("0123|", f"{i % 10000:04d}|", 1) for i in range(n)]
    return (HEADER + "\n" + "\n".join(lines) + "\n").encode()


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / NAME
    path.write_bytes(gzip.compress(data, mtime=0))
    return path


def _refusal(path: Path, cap: int) -> str:
    with pytest.raises(FileFormatError) as info:
        read_extract(path, DUKCAPIL, max_uncompressed_bytes=cap)
    return str(info.value)


def test_a_file_inflating_to_exactly_the_cap_is_read_one_byte_more_is_refused(tmp_path):
    data = _rows(200)
    path = _write(tmp_path, data)
    assert read_extract(path, DUKCAPIL, max_uncompressed_bytes=len(data)).rows == 200
    message = _refusal(path, len(data) - 1)
    assert f"exceeds the cap of {len(data) - 1:,} bytes" in message
    assert "decompression bomb" in message


def test_a_first_line_without_a_line_end_is_refused_once_64_kib_are_inflated(tmp_path, monkeypatch):
    inflated = []
    add = extract_file._TextBuffer.add
    monkeypatch.setattr(
        extract_file._TextBuffer,
        "add",
        lambda self, chunk: inflated.append(len(chunk)) or add(self, chunk),
    )
    monkeypatch.setattr(inflate, "_INFLATE_CHUNK", 4096)
    path = _write(tmp_path, b"A" * (8 << 20))  # 8 MiB in one line
    message = _refusal(path, 1 << 30)
    assert "first line" in message and "65,536 bytes" in message
    assert sum(inflated) <= (64 << 10) + 4096  # stopped at the limit, not at the end


def test_a_line_longer_than_32_mib_is_refused_as_soon_as_it_is(tmp_path, monkeypatch):
    inflated = []
    add = extract_file._TextBuffer.add
    monkeypatch.setattr(
        extract_file._TextBuffer,
        "add",
        lambda self, chunk: inflated.append(len(chunk)) or add(self, chunk),
    )
    monkeypatch.setattr(inflate, "_RATIO_AFTER", 1 << 40)  # (X's inflate 1000 times)
    data = _rows(3) + b"X" * (64 << 20) + b"\n"
    message = _refusal(_write(tmp_path, data), 1 << 30)
    assert "line 5 is longer than 33,554,432 bytes" in message
    assert sum(inflated) <= (32 << 20) + len(_rows(3)) + (16 << 20)


def test_a_file_inflating_far_more_than_an_extract_can_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(inflate, "_RATIO_AFTER", 1 << 20)  # the check starts at 1 MiB
    data = _rows(1) + (ROW + "\n").encode() * 40_000  # 4.6 MB of one repeated row
    path = _write(tmp_path, data)
    assert len(data) / path.stat().st_size > 100
    message = _refusal(path, 1 << 30)
    assert "more than 100 times its size" in message and "decompression bomb" in message
    # a sample-like file (3-4 times) is read
    assert (
        read_extract(_write(tmp_path, _rows(20_000)), DUKCAPIL, max_uncompressed_bytes=1 << 30).rows
        == 20_000
    )


_CHILD = textwrap.dedent(
    """
    import json, sys
    from connectors.extract_file import read_extract
    from domain.extracts import DUKCAPIL
    from core.errors import FileFormatError
    try:
        read_extract(sys.argv[1], DUKCAPIL, max_uncompressed_bytes=4 * 1024**3)
        outcome = "read"
    except FileFormatError as exc:
        outcome = str(exc)
    # the peak of this process image: VmHWM (ru_maxrss would also count the memory of
    # the test process this one was forked from, which Linux carries across exec)
    with open("/proc/self/status") as fh:
        peak = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) * 1024
    print(json.dumps({"outcome": outcome, "peak": peak}))
    """
)


def _bomb(path: Path, prefix: bytes, block: bytes, total: int) -> Path:
    """A multi-member gzip file: ``prefix``, then ``block`` repeated to ``total`` bytes."""
    member = gzip.compress(block, mtime=0)
    with path.open("wb") as fh:
        fh.write(gzip.compress(prefix, mtime=0))
        for _ in range(total // len(block)):
            fh.write(member)
    return path


def _peak_of_reading(path: Path) -> tuple[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["outcome"], result["peak"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "shape",
    ["zeros", "header then zeros", "repeated valid rows"],
)
def test_a_2_gib_bomb_is_refused_with_bounded_memory(tmp_path, shape):
    header = (HEADER + "\n").encode()
    if shape == "zeros":
        path = _bomb(tmp_path / NAME, b"", bytes(1 << 20), 2 << 30)
    elif shape == "header then zeros":
        path = _bomb(tmp_path / NAME, header, bytes(1 << 20), 2 << 30)
    else:
        rows = (ROW + "\n").encode() * ((1 << 20) // (len(ROW) + 1))
        path = _bomb(tmp_path / NAME, header, rows, 2 << 30)
    assert path.stat().st_size < 40 << 20
    outcome, peak = _peak_of_reading(path)
    assert outcome.startswith(NAME + ": ") and "read" != outcome
    assert peak < PEAK_LIMIT, f"peak resident size {peak / 2**20:,.0f} MiB ({outcome})"
