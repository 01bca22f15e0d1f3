"""Text is judged at validation, with the row named, never at publish (issue 15, points 3
and 5): a control character (U+0000-U+001F, U+007F-U+009F) or a value longer than its
column's cap (``domain.extracts``: names 200, addresses 500...) in a text column of
Dukcapil, DTSEN or the results file is a rejected row with its own rule
(``CONTROL_CHARACTER``, ``TEXT_TOO_LONG``); in the BPJS list the value is blanked or
nulled and the row kept (``test_bpjs_rows_kept.py``)."""

from __future__ import annotations

import pandas as pd
import pytest

from connectors.extract_file import read_extract, read_plain_csv
from domain.extracts import BPJSTK, DTSEN, DUKCAPIL, LINE, VERIFIKASI
from expectations.parse import parse_extract

# (id, source, row, column, value, rule or None when the value is fine)
# fmt: off
CASES = [
    ("name-nul", "dukcapil", 3, "NAMA_LGKP", "SITI\x00AMINAH", "CONTROL_CHARACTER"),
    ("name-tab-inside", "dukcapil", 3, "NAMA_LGKP", "SITI\tAMINAH", "CONTROL_CHARACTER"),
    ("name-escape", "dukcapil", 3, "NAMA_LGKP", "SITI\x1b[31mAMINAH", "CONTROL_CHARACTER"),
    ("name-del", "dukcapil", 3, "NAMA_LGKP", "SITI\x7f", "CONTROL_CHARACTER"),
    ("name-c1", "dukcapil", 3, "NAMA_LGKP", "SITI\x85AMINAH", "CONTROL_CHARACTER"),
    ("name-200-ok", "dukcapil", 3, "NAMA_LGKP", "A" * 200, None),
    ("name-201", "dukcapil", 3, "NAMA_LGKP", "A" * 201, "TEXT_TOO_LONG"),
    ("name-100000", "dukcapil", 3, "NAMA_LGKP", "=HYPERLINK(" + "A" * 100_000 + ")", "TEXT_TOO_LONG"),
    ("name-accents-ok", "dukcapil", 3, "NAMA_LGKP", "JOSÉ ÑOÑO ＳＩＴＩ", None),
    ("name-tabs-around-ok", "dukcapil", 3, "NAMA_LGKP", "\tSITI AMINAH\t", None),
    ("birthplace-nul", "dukcapil", 4, "TMPT_LHR", "\x00", "CONTROL_CHARACTER"),
    ("birthplace-101", "dukcapil", 4, "TMPT_LHR", "B" * 101, "TEXT_TOO_LONG"),
    ("address-500-ok", "dukcapil", 5, "ALAMAT", "J" * 500, None),
    ("address-501", "dukcapil", 5, "ALAMAT", "J" * 501, "TEXT_TOO_LONG"),
    ("address-bell", "dukcapil", 5, "ALAMAT", "JL. MAWAR\x07", "CONTROL_CHARACTER"),
    ("dtsen-name-nul", "dtsen", 2, "NAMA", "BUDI\x00", "CONTROL_CHARACTER"),
    ("dtsen-name-long", "dtsen", 2, "NAMA", "B" * 1000, "TEXT_TOO_LONG"),
    ("results-note-nul", "verifikasi", 1, "CATATAN", "ok\x00", "CONTROL_CHARACTER"),
    ("results-note-long", "verifikasi", 1, "CATATAN", "x" * 1001, "TEXT_TOO_LONG"),
    ("results-officer-long", "verifikasi", 1, "PETUGAS", "x" * 201, "TEXT_TOO_LONG"),
    ("results-case-id-nul", "verifikasi", 1, "CASE_ID", "C-2\x00", "CONTROL_CHARACTER"),
]
# fmt: on
SPECS = {"dukcapil": DUKCAPIL, "dtsen": DTSEN, "verifikasi": VERIFIKASI}


def _parsed(make, source, frame):
    spec = SPECS[source]
    plain = source == "verifikasi"
    path = make.file(frame, compress=not plain)
    reader = read_plain_csv if plain else read_extract
    return parse_extract(reader(path, spec, max_uncompressed_bytes=10_000_000), spec, make.PERIOD)


@pytest.mark.parametrize(
    "source, row, column, value, rule", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_control_characters_and_overlong_text_reject_the_row(make, source, row, column, value, rule):
    build = make.verifikasi if source == "verifikasi" else make.FRAMES[source][1]
    frame = make.with_value(build(), row, column, value)
    parsed = _parsed(make, source, frame)
    lines = parsed.typed[LINE].to_numpy()
    broken = {
        (int(line), c.column, c.rule, c.severity)
        for c in parsed.checks
        if c.rule in ("CONTROL_CHARACTER", "TEXT_TOO_LONG")
        for line in lines[c.mask]
    }
    if rule is None:
        assert broken == set()
        assert len(parsed.accepted_frame()) == len(frame)
    else:
        assert broken == {(make.line_of(row), column, rule, "reject")}
        accepted = parsed.accepted_frame()
        assert make.line_of(row) not in set(accepted[LINE])


def test_a_carriage_return_inside_a_name_is_a_control_character_too(make):
    frame = make.with_value(make.dukcapil(), 0, "NAMA_LGKP", "SITI\rAMINAH")
    parsed = _parsed(make, "dukcapil", frame)
    rules = {(c.column, c.rule) for c in parsed.checks if c.mask[0]}
    assert ("", "STRAY_CR") in rules and ("NAMA_LGKP", "CONTROL_CHARACTER") in rules


def test_the_caps_are_contract_data():
    caps = {c.name: c.max_length for spec in (DUKCAPIL, DTSEN, BPJSTK, VERIFIKASI) for c in spec.columns if c.type == "text"}
    assert caps == {
        "NAMA_LGKP": 200, "TMPT_LHR": 100, "ALAMAT": 500, "NAMA": 200, "NIK": 64,
        "CASE_ID": 64, "CATATAN": 1000, "PETUGAS": 200,
    }  # fmt: skip
    assert BPJSTK.column("KPJ").max_length == 32


def test_the_text_rules_cost_little_on_a_city_column():
    """Both rules on 2.6 million names: one Arrow pass each (printed, for the report)."""
    import time

    from expectations import predicates as p

    names = pd.Series(["SITI AMINAH BINTI ABDULLAH"] * 2_600_000, dtype="str")
    started = time.perf_counter()
    clean = p.no_control_characters(names)
    short = p.within_length(names, 200)
    elapsed = time.perf_counter() - started
    print(f"text rules on 2.6 M names: {elapsed * 1000:.0f} ms")
    assert clean.all() and short.all()
    assert elapsed < 2.0


def test_extra_columns_are_left_out_and_named_escaped(make):
    """Issue 15, point 8: extra columns are ignored *and reported*: the outcome names them
    (reports, the run log and the validation artifact show these names), escaped: no
    control character, no NIK-like digits, at most 64 characters each."""
    from expectations.validate import validate_extract

    frame = make.dukcapil()
    odd = ["KANTOR_CABANG", '=HYPERLINK("x")', "A\x00B", "3275014101900123", "L" * 1000, "é"]
    for i, name in enumerate(odd):
        frame[name] = str(i)
    outcome = validate_extract(make.file(frame), DUKCAPIL, make.PERIOD, work_dir=make.work_dir, **make.LOOSE)
    assert outcome.extra_columns == (
        "KANTOR_CABANG", '=HYPERLINK("x")', "A\\x00B", "3275********0123", "L" * 61 + "...", "\\xe9",
    )  # fmt: skip
    assert set(outcome.accepted.columns) == {LINE, *DUKCAPIL.column_names, "KODE_KELURAHAN"}
    assert outcome.rows_accepted == len(frame)
