"""A participant row is never dropped (PROGRAM.md; issue 15, point 1).

A BPJS row leaves reconciliation only when it cannot be used as a participant: a line
that cannot be split (``FIELD_COUNT``), a KPJ that is empty, unreadable or repeated with
differing rows, a ``SUMBER_IURAN`` or ``STATUS_KEPESERTAAN`` that cannot be read. Any
other broken value is nulled (text: control characters blanked) and the row kept: the
problem is a warning, listed in the rejects file with ``action`` KEPT, and the KPJ keeps
its decision. The scenario of the issue first: a KEEP participant whose ``IURAN_BULANAN``
is negative stays KEEP, with its KPJ, and nobody else takes its place.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.unit.expectations.city import City, build_city, decisions_by_kpj


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> City:
    return build_city(tmp_path_factory.mktemp("city"))


def _keep_participants(city: City, n: int) -> list[str]:
    """KPJs of KEEP participants of the clean city whose name has a space."""
    entries = city.clean.entries
    keep = entries[(entries["decision"] == "KEEP") & entries["nama"].str.contains(" ")]
    assert len(keep) >= n
    return sorted(keep["kpj"])[:n]


def _rejects(outcome) -> pd.DataFrame:
    return pd.read_csv(outcome.rejects_path, sep="|", dtype=str, keep_default_na=False)


def test_a_keep_participant_whose_contribution_is_negative_stays_keep(city):
    kpj = _keep_participants(city, 1)[0]
    path = city.write(city.with_value(city.bpjs_lines(), kpj, "IURAN_BULANAN", "-16800"))
    outcome = city.validate(path, max_reject_share=0.01)

    assert outcome.passed and outcome.rows_rejected == 0
    assert outcome.rows_accepted == outcome.rows_total
    assert outcome.warnings.get("INT_RANGE") == 1
    assert outcome.repairs_by_rule == {("IURAN_BULANAN", "INT_RANGE"): 1}
    rejects = _rejects(outcome)
    assert rejects[["line", "column", "rule", "action"]].values.tolist() == [
        [str(city.line_of(kpj) + 1), "IURAN_BULANAN", "INT_RANGE", "KEPT"]
    ]
    assert rejects.loc[0, "IURAN_BULANAN"] == "-16800"  # as delivered, for the provider
    row = outcome.accepted[outcome.accepted["KPJ"] == kpj]
    assert len(row) == 1 and row["IURAN_BULANAN"].isna().all()

    result = city.reconcile(bpjstk=outcome.accepted)
    assert decisions_by_kpj(result)[kpj] == "KEEP"
    assert result.counts["ENROLL"] == city.clean.counts["ENROLL"]
    assert result.counts == city.clean.counts


#: (column, how the value is broken, the decision the KEEP participant then has)
BROKEN = [
    ("UPAH_DILAPORKAN", lambda v: "-1", "KEEP"),
    ("UPAH_DILAPORKAN", lambda v: "satu juta", "KEEP"),
    ("IURAN_BULANAN", lambda v: "1,5", "KEEP"),
    ("IURAN_BULANAN", lambda v: "", "KEEP"),
    ("BULAN_IURAN_TERAKHIR", lambda v: "2026-13", "KEEP"),
    ("PROGRAM", lambda v: "JHT", "KEEP"),
    ("KATEGORI", lambda v: "OJEK", "KEEP"),
    ("TGL_AKTIF", lambda v: "2026-02-30", "KEEP"),
    ("TGL_AKTIF", lambda v: "1850-01-01", "KEEP"),
    ("NAMA", lambda v: v + "\x00", "KEEP"),  # blanked, then trimmed: the same name
    ("NAMA", lambda v: v.replace(" ", "\t", 1), "KEEP"),
    ("NIK", lambda v: v + "\x01", "KEEP"),
    # the birth date compares with Dukcapil's: unknown, the identity is re-verified
    ("TGL_LAHIR", lambda v: "1850-01-01", "REVERIFY"),
    ("TGL_LAHIR", lambda v: "", "REVERIFY"),
    ("TGL_LAHIR", lambda v: "2099-01-01", "REVERIFY"),
    # a 100,000-character name is no name: nulled, the identity is re-verified
    ("NAMA", lambda v: "=HYPERLINK(" + "A" * 100_000 + ")", "REVERIFY"),
]


@pytest.mark.parametrize(
    ("column", "broken", "decision"), BROKEN, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BROKEN)]
)
def test_a_value_the_participant_rules_can_do_without_keeps_the_row(city, column, broken, decision):
    kpj = _keep_participants(city, 1)[0]
    lines = city.bpjs_lines()
    value = lines[city.line_of(kpj)].split("|")[city.header().index(column)]
    path = city.write(city.with_value(lines, kpj, column, broken(value)))
    accepted = city.accepted(path)
    assert kpj in set(accepted["KPJ"])
    result = city.reconcile(bpjstk=accepted)
    assert decisions_by_kpj(result)[kpj] == decision
    assert result.counts["ENROLL"] == city.clean.counts["ENROLL"]
    assert len(result.entries) == len(city.clean.entries)


def test_rows_unusable_as_participants_are_removed_and_reported(city):
    p = _keep_participants(city, 8)
    lines = city.bpjs_lines()
    lines = city.with_value(lines, p[0], "KPJ", "")
    lines = city.with_value(lines, p[1], "SUMBER_IURAN", "APBD")
    lines = city.with_value(lines, p[2], "STATUS_KEPESERTAAN", "")
    lines[city.line_of(p[3])] += "|one field too many"
    lines = city.with_value(lines, p[5], "KPJ", p[4])  # p[4]'s KPJ on another person's row
    copy = lines[city.line_of(p[6])]
    lines.insert(len(lines) - 1, copy)  # p[6] delivered twice, identically (before the end)
    lines = city.with_value(lines, p[7], "KPJ", p[7] + "\x00")
    outcome = city.validate(city.write(lines))

    assert outcome.rejects_by_rule == {
        ("KPJ", "REQUIRED"): 1,
        ("SUMBER_IURAN", "ALLOWED_VALUES"): 1,
        ("STATUS_KEPESERTAAN", "REQUIRED"): 1,
        ("", "FIELD_COUNT"): 1,
        ("KPJ", "DUPLICATE_KEY"): 2,
        ("KPJ", "DUPLICATE_ROW"): 1,
        ("KPJ", "CONTROL_CHARACTER"): 1,
    }
    assert outcome.rows_rejected == 8
    rejects = _rejects(outcome)
    assert set(rejects["action"]) == {"REMOVED"}
    copy_line = len(lines) - 1  # 1-based line of the inserted copy
    assert rejects.loc[rejects["rule"] == "DUPLICATE_ROW", "line"].tolist() == [str(copy_line)]

    decided = decisions_by_kpj(city.reconcile(bpjstk=outcome.accepted))
    assert p[6] in decided.index  # the first of two identical rows is kept
    for kpj in (p[0], p[1], p[2], p[3], p[4], p[5], p[7]):
        assert kpj not in decided.index


def test_kept_rows_do_not_count_against_the_reject_share(city):
    lines = city.bpjs_lines()
    column = city.header().index("IURAN_BULANAN")
    broken = [lines[0]] + [
        "|".join(f if i != column else "-1" for i, f in enumerate(line.split("|"))) if line else line
        for line in lines[1:]
    ]
    outcome = city.validate(city.write(broken), max_reject_share=0.01)
    assert outcome.passed and outcome.rows_rejected == 0
    assert outcome.repairs_by_rule == {("IURAN_BULANAN", "INT_RANGE"): outcome.rows_total}
    assert outcome.rows_repaired == outcome.rows_total
