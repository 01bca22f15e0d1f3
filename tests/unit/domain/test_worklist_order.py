"""Worklist order within a kelurahan: oldest case first, then name, then case id (nulls
of age last), whatever the order of the input and of the other kelurahan."""

from __future__ import annotations

import pandas as pd

from domain.worklist import worklists

KEL_1, KEL_2 = "32.75.01.1001", "32.75.02.1005"


def test_each_sheet_is_ordered_by_age_then_name_then_case_id():
    rows = [
        # case_id, nama, kelurahan, periods_open
        ("RV-202610-0000000000", "BUDI", KEL_1, 1),
        ("RV-202610-0000000004", "ANI", KEL_2, 3),
        ("RV-202610-0000000003", "ANI", KEL_1, 1),
        ("RV-202610-0000000002", "ANI", KEL_1, 1),
        ("RV-202610-0000000001", "CICI", KEL_1, 2),
        ("RV-202610-0000000006", "ANI", KEL_1, None),
    ]
    cases = pd.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "nik": [f"32750101019000{i:02d}" for i in range(len(rows))],
            "kpj": pd.Series([None] * len(rows), dtype="str"),
            "kode_kelurahan": [r[2] for r in rows],
            "triggers": "NAME_CHANGED",
            "nama": [r[1] for r in rows],
            "periods_open": pd.array([r[3] for r in rows], dtype="Int64"),
        }
    )
    entries = pd.DataFrame({"nik": cases["nik"], "kpj": cases["kpj"], "nama": cases["nama"]})
    sheets = worklists(cases, entries, "2026-10", 1)
    assert list(sheets) == [KEL_1, KEL_2]
    assert sheets[KEL_1]["ID Kasus"].str[-1].tolist() == ["1", "2", "3", "0", "6"]
    assert sheets[KEL_1]["No"].tolist() == [1, 2, 3, 4, 5]
    assert sheets[KEL_2]["ID Kasus"].tolist() == ["RV-202610-0000000004"]


def test_address_text_for_the_officers():
    import pandas as pd

    from domain.worklist import address_text

    out = address_text(pd.Series([" JL. MAWAR 5 ", None, "GG. H. NAIM"]), pd.Series([3, None, None]), pd.Series([12, 4, None]))
    assert out.tolist() == ["JL. MAWAR 5 RT 003/RW 012", "RW 004", "GG. H. NAIM"]
