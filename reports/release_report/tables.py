"""The report's tables: counts by kecamatan and by desil per decision, and Markdown tables
(cells escaped, columns aligned), among them the coverage tables.
"""

from __future__ import annotations

import pandas as pd

from domain.codes import Decision
from domain.reference import city_kelurahan
from reports.texts import CATEGORY_LABELS, Language, label, number, percent, text

DECISIONS = [d.value for d in Decision]


def decisions_by_kecamatan(entries: pd.DataFrame) -> pd.DataFrame:
    """Counts per kecamatan (rows) and decision (columns), kecamatan by name."""
    names = city_kelurahan().drop_duplicates("kode_kecamatan").set_index("kode_kecamatan")["nama_kecamatan"]
    kec = entries["kode_kecamatan"].astype("string").fillna("(tidak diketahui)")
    table = pd.crosstab(kec, entries["decision"]).reindex(columns=DECISIONS, fill_value=0)
    table.index = [f"{k} {names.get(k, '')}".strip() for k in table.index]
    table.index.name = "kecamatan"
    table["TOTAL"] = table.sum(axis=1)
    return table


def desil_mix(entries: pd.DataFrame, language: Language = "id") -> pd.DataFrame:
    """Counts per desil (1..10 in order, then unknown) and decision."""
    desil = entries["desil"].astype("Int64").fillna(99)
    table = pd.crosstab(desil, entries["decision"]).reindex(columns=DECISIONS, fill_value=0).sort_index()
    table.index = [
        text("desil_n", language, n=d if d != 99 else text("unknown", language)) for d in table.index
    ]
    return table


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[object]], align: str = "") -> str:
    """A Markdown table; ``align``: one character per column, ``r`` right-aligned."""
    marks = ["---:" if align[i : i + 1] == "r" else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _coverage_rows(
    table: pd.DataFrame, labels: dict[str, str], lang: Language, *, skip_empty: bool = False
) -> list[list[object]]:
    rows = []
    for code, r in table.iterrows():
        if skip_empty and r["eligible"] == 0:
            continue
        rows.append(
            [labels.get(str(code), str(code)), number(r["eligible"], lang), number(r["covered"], lang),
             number(r["enroll"], lang), number(r["waitlist"], lang),
             percent(None if pd.isna(r["coverage_rate"]) else float(r["coverage_rate"]), lang)]
        )  # fmt: skip
    return rows


def _coverage_table(
    table: pd.DataFrame, labels: dict[str, str], lang: Language, first: str, **kw
) -> str:
    header = [first] + [text(k, lang) for k in ("col_eligible", "col_covered", "col_enroll",
                                                "col_waitlist", "col_coverage")]  # fmt: skip
    return _md_table(header, _coverage_rows(table, labels, lang, **kw), "lrrrrr")


def _category_labels(codes, lang: Language, catalogue=CATEGORY_LABELS) -> dict[str, str]:
    return {str(c): label(catalogue, str(c), lang) for c in codes}
