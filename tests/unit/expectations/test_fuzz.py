"""Fuzzing: valid extracts corrupted at random (values, lines, bytes, encodings, the gzip
stream). Whatever happens, the only exception is ``FileFormatError``, and no row is lost
silently: every non-blank line after the header is accepted or in the rejects file,
exactly once.

Hypothesis runs derandomized and without its example database (nothing is written into
the working tree); every example writes under the test's ``tmp_path``.
"""

from __future__ import annotations

import gzip
import itertools

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from connectors.extract_file import read_extract
from domain.extracts import LINE
from expectations.parse import parse_extract
from expectations.quarantine import rejects_frame
from expectations.validate import validate_extract
from core.errors import FileFormatError

SPECIAL = [
    "",
    " ",
    "|",
    "||",
    "\r",
    "\n",
    "\r\n",
    "\x00",
    "\ufeff",
    "é",
    "９",
    "-1",
    "0",
    "1.5",
    "99999999999999999999",
    "31-02-2020",
    "2026-02-30",
    "32.75.01.1001",
    "HIDUP",
    "MATI",
    "Y",
    "N",
    "\x1f",
    "\t",
    "  x  ",
    '"',
    "NIK",
]
FIELD = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=12))
RUNS = itertools.count()


@st.composite
def deliveries(draw, make):
    """(uncompressed bytes, bytes on disk, spec) of a corrupted delivery."""
    source = draw(st.sampled_from(sorted(make.FRAMES)))
    spec, build = make.FRAMES[source]
    frame = build(n=draw(st.integers(1, 8)), seed=draw(st.integers(0, 50)))
    for _ in range(draw(st.integers(0, 4))):  # values
        row = draw(st.integers(0, len(frame) - 1))
        frame.loc[row, draw(st.sampled_from(list(spec.column_names)))] = draw(FIELD)
    lines = make.to_text(frame).split("\n")
    for _ in range(draw(st.integers(0, 3))):  # lines
        if len(lines) < 2:
            break
        i = draw(st.integers(1, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "copy", "blank", "text", "swap", "cut"]))
        if action == "drop":
            del lines[i]
        elif action == "copy":
            lines.insert(i, lines[i])
        elif action == "blank":
            lines.insert(i, draw(st.sampled_from(["", " ", "\r", "\t "])))
        elif action == "text":
            lines.insert(i, draw(st.text(max_size=40)))
        elif action == "swap":
            lines[i], lines[i - 1] = lines[i - 1], lines[i]
        else:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines)
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["utf-8-sig", "latin-1", "utf-16"]))
    data = bytearray(text.encode(encoding, errors="replace"))
    for _ in range(draw(st.integers(0, 2))):  # bytes
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "flip", "insert", "delete", "truncate"]))
        if action == "flip":  # mostly within ASCII, sometimes to a byte that is not UTF-8
            data[at] ^= draw(
                st.one_of(st.integers(1, 127), st.integers(1, 127), st.integers(128, 255))
            )
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        else:
            del data[at:]
    stored = gzip.compress(bytes(data), mtime=0)
    damage = draw(st.sampled_from(["none"] * 7 + ["truncate", "flip", "plain"]))
    if damage == "truncate":
        stored = stored[: draw(st.integers(0, len(stored) - 1))]
    elif damage == "flip":
        broken = bytearray(stored)
        broken[draw(st.integers(0, len(broken) - 1))] ^= 0xFF
        stored = bytes(broken)
    elif damage == "plain":
        stored = bytes(data)
    return bytes(data), stored, spec


def _data_lines(data: bytes) -> set[int]:
    """The oracle: line numbers of the non-blank lines after the header."""
    lines = data.decode("utf-8").split("\n")
    return {i + 1 for i, line in enumerate(lines) if i >= 1 and line.strip()}


def _write(tmp_path, stored: bytes):
    folder = tmp_path / f"example-{next(RUNS)}"
    folder.mkdir()
    path = folder / "DELIVERY.csv.gz"
    path.write_bytes(stored)
    return path


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_reader_and_quarantine_never_lose_a_row(make, tmp_path, data):
    original, stored, spec = data.draw(deliveries(make))
    path = _write(tmp_path, stored)
    try:
        raw = read_extract(path, spec, max_uncompressed_bytes=1_000_000)
    except FileFormatError:
        event("file fault")
        return
    event("read")
    parsed = parse_extract(raw, spec, make.PERIOD)
    rejected = parsed.rejected_mask()
    rejects = rejects_frame(parsed)
    accepted = parsed.accepted_frame()
    expected = _data_lines(original)
    accepted_lines = set(accepted[LINE])
    removed = rejects["action"] == "REMOVED"
    rejected_lines = set(rejects.loc[removed, "line"].astype(int))
    assert set(rejects.loc[~removed, "line"].astype(int)) <= accepted_lines  # KEPT (BPJS)
    assert raw.rows == len(expected)
    assert len(accepted) + int(rejected.sum()) + len(raw.bad_rows) == raw.rows
    assert accepted_lines.isdisjoint(rejected_lines)
    assert accepted_lines | rejected_lines == expected
    assert np.array_equal(np.sort(parsed.typed[LINE].to_numpy()), parsed.typed[LINE].to_numpy())


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_validate_extract_raises_only_file_format_errors(make, tmp_path, data):
    original, stored, spec = data.draw(deliveries(make))
    path = _write(tmp_path, stored)
    try:
        outcome = validate_extract(
            path,
            spec,
            make.PERIOD,
            work_dir=tmp_path / "run",
            max_reject_share=0.01,
            row_count_tolerance=0.1,
            previous_rows=5,
            max_uncompressed_bytes=1_000_000,
        )
    except FileFormatError:
        event("file fault")
        return
    event("validated")
    assert outcome.rows_accepted + outcome.rows_rejected == outcome.rows_total
    assert outcome.rows_total == len(_data_lines(original))
    assert outcome.passed == all(c.passed for c in outcome.extract_checks)
    assert (outcome.failure_message is None) == outcome.passed
