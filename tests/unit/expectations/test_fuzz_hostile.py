"""Fuzzing hostile deliveries end to end (issue 15, "Done when"): random bytes, and random
corruptions of a small generated city's valid extracts, through the reader, validation
and reconciliation.

* never an exception other than the project's ``DataError`` family (a named file fault);
* a delivery that reads: every row is accepted or quarantined (``test_fuzz.py`` checks
  the row accounting), reconciliation runs on the accepted rows;
* every participant of the clean city whose BPJS line is still usable as a participant
  (its KPJ, SUMBER_IURAN and STATUS_KEPESERTAAN as they were, the right field count, no
  differing line with its KPJ) keeps a decision, whatever else of its line is broken;
  corrupting Dukcapil or DTSEN never costs a participant its entry either.

The corruptions: bytes flipped in a line, a cut file, lines duplicated or deleted, control
characters and NUL, huge fields, formula text, an extra column, a missing optional column,
a broken gzip stream. Hypothesis runs derandomized (CI is reproducible), without its
example database; each example writes under the test's folder. About 40 s in all.
"""

from __future__ import annotations

import gzip

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from connectors.extract_file import read_extract, read_plain_csv
from domain.codes import Source
from domain.extracts import BPJSTK, SPECS, VERIFIKASI
from expectations.parse import parse_extract
from core.errors import DataError
from tests.unit.expectations.city import CAP, PERIOD, City, build_city

def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
HOSTILE_VALUES = [
    "\x00", "A\x00B", "\x1b[31m", "\x7f", "\x85", "\t", " \r ", '=HYPERLINK("http://x")',
    "@SUM(1)", "-2+3+cmd", "+1", "X" * 100_000, "", " ", "|", '"', "-1", "99999999999999999999",
    "2026-02-30", "1850-01-01", "2099-12-31", "aktif", "APBD", "\ufeff", "é", "９",
]  # fmt: skip
PARTICIPANT_DECISIONS = {"KEEP", "REVERIFY", "TERMINATE"}


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> City:
    return build_city(tmp_path_factory.mktemp("fuzz-city"))


def _lines(city: City, source: str) -> list[str]:
    """The clean file's lines (the sample writes some files with CRLF line ends: read as
    LF, and delivered with LF)."""
    text = gzip.decompress(city.files[source].read_bytes()).decode("utf-8")
    return text.replace("\r\n", "\n").split("\n")


@st.composite
def corruptions(draw, city: City, source: str):
    """(lines as delivered, text of every clean line as it should read now or None when
    the corruption changed the file's shape, bytes on disk)."""
    lines = _lines(city, source)
    header = lines[0].split("|")
    expected = list(lines)  # what each clean line looks like after whole-file changes
    shape = draw(st.sampled_from(["same"] * 6 + ["extra column", "missing optional"]))
    if shape == "extra column":
        lines = [line + ("|EXTRA_KOLOM" if i == 0 else "|=cmd") if line else line for i, line in enumerate(lines)]
        expected = list(lines)
    elif shape == "missing optional" and source == "bpjstk":
        at = header.index("BULAN_IURAN_TERAKHIR")
        lines = ["|".join(f for j, f in enumerate(line.split("|")) if j != at) if line else line for line in lines]
        expected = list(lines)
    for _ in range(draw(st.integers(0, 5))):
        i = draw(st.integers(1, max(1, len(lines) - 2)))
        action = draw(st.sampled_from(["value", "value", "flip", "delete", "copy", "insert"]))
        if action == "value":
            fields = lines[i].split("|")
            fields[draw(st.integers(0, len(fields) - 1))] = draw(
                st.one_of(st.sampled_from(HOSTILE_VALUES), st.text(max_size=12))
            )
            lines[i] = "|".join(fields)
        elif action == "flip" and lines[i]:
            at = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:at] + chr(ord(lines[i][at]) ^ draw(st.integers(1, 127))) + lines[i][at + 1 :]
        elif action == "delete":
            del lines[i]
        elif action == "copy":
            lines.insert(i, lines[i])
        elif action == "insert":
            lines.insert(i, draw(st.text(max_size=60)))
    data = "\n".join(lines).encode("utf-8", errors="replace")
    if draw(st.integers(0, 9)) == 0:  # a cut file
        data = data[: draw(st.integers(0, len(data)))]
    stored = gzip.compress(data, mtime=0)
    damage = draw(st.sampled_from(["none"] * 8 + ["truncate", "flip"]))
    if damage == "truncate":
        stored = stored[: draw(st.integers(0, len(stored) - 1))]
    elif damage == "flip":
        broken = bytearray(stored)
        broken[draw(st.integers(0, len(broken) - 1))] ^= 0xFF
        stored = bytes(broken)
    delivered = data.decode("utf-8", errors="replace").split("\n")
    return delivered, expected, stored


#: the BPJS columns that make a row usable as a participant (``BPJSTK.essential``)
ESSENTIAL = ("KPJ", "SUMBER_IURAN", "STATUS_KEPESERTAAN")


def _usable_participants(city: City, delivered: list[str], expected: list[str]) -> set[str]:
    """KPJs of the clean city's participants whose delivered line is still usable as a
    participant: it has the header's field count, its KPJ, SUMBER_IURAN and
    STATUS_KEPESERTAAN as they were, and no differing line carries its KPJ. Any other
    field may be broken (PROGRAM.md: a participant row is never dropped)."""
    header = expected[0].split("|")
    at = [header.index(c) for c in ESSENTIAL]
    clean = city.clean.entries
    kpjs = set(clean.loc[clean["kpj"].notna(), "kpj"])
    usable = set()
    for line in expected[1:]:
        fields = line.split("|")
        kpj = fields[at[0]] if len(fields) > at[0] else None
        if kpj not in kpjs:
            continue
        carrying = {text for text in delivered[1:] if kpj in text}
        if len(carrying) != 1:
            continue  # deleted, or its KPJ on differing lines
        got = carrying.pop().split("|")
        if len(got) == len(header) and all(got[i] == fields[i] for i in at):
            usable.add(kpj)
    return usable


def _read_parse_reconcile(city: City, source: str, path):
    raw = read_extract(path, SPECS[Source(source)], max_uncompressed_bytes=CAP)
    accepted = parse_extract(raw, SPECS[Source(source)], PERIOD).accepted_frame()
    return city.reconcile(**{source: accepted})


@fuzz(70)
@given(data=st.data())
def test_corrupted_extracts_never_crash_and_usable_participants_keep_a_decision(city, tmp_path, data):
    source = data.draw(st.sampled_from(["bpjstk"] * 3 + ["dukcapil", "dtsen"]))
    delivered, expected, stored = data.draw(corruptions(city, source))
    path = city.write(stored)
    try:
        result = _read_parse_reconcile(city, source, path)
    except DataError as _exc:
        event("file fault: " + str(_exc).split(": ", 1)[-1][:40])
        return
    event(f"reconciled {source}")
    decided = result.entries[result.entries["kpj"].notna()].set_index("kpj")["decision"]
    if source == "bpjstk":
        must = _usable_participants(city, delivered, expected) if delivered[0] == expected[0] else set()
    else:  # the BPJS list is the clean one: every participant keeps an entry
        clean = city.clean.entries
        must = set(clean.loc[clean["kpj"].notna(), "kpj"])
    missing = must - set(decided.index)
    assert not missing, f"{len(missing)} usable participants lost their decision"
    assert set(decided[list(must)]) <= PARTICIPANT_DECISIONS


@fuzz(150)
@given(blob=st.binary(max_size=400), wrap=st.sampled_from(["gzip", "raw", "header+gzip"]))
def test_random_bytes_are_a_data_error_or_rows(city, tmp_path, blob, wrap):
    header = "|".join(BPJSTK.column_names).encode()
    data = header + b"\n" + blob if wrap == "header+gzip" else blob
    stored = gzip.compress(data, mtime=0) if wrap != "raw" else data
    path = city.write(stored)
    for reader, spec in ((read_extract, BPJSTK), (read_plain_csv, VERIFIKASI)):
        try:
            raw = reader(path, spec, max_uncompressed_bytes=CAP)
        except DataError:
            continue
        parsed = parse_extract(raw, spec, PERIOD)
        accepted = parsed.accepted_frame()
        assert len(accepted) + int(parsed.rejected_mask().sum()) + len(raw.bad_rows) == raw.rows


@fuzz(6)
@given(data=st.data())
def test_validation_with_great_expectations_raises_only_data_errors(city, tmp_path, data):
    source = data.draw(st.sampled_from(["bpjstk", "dukcapil", "dtsen"]))
    _, _, stored = data.draw(corruptions(city, source))
    try:
        outcome = city.validate(city.write(stored), SPECS[Source(source)])
    except DataError:
        return
    assert outcome.rows_accepted + outcome.rows_rejected == outcome.rows_total
    city.reconcile(**{source: outcome.accepted})
