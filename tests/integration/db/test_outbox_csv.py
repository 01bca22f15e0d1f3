"""The outbox's CSV renderer (``connectors.outbox.render_csv``): byte for byte what
``DataFrame.to_csv(sep="|", index=False, lineterminator="\\n", na_rep="")`` writes, for the
columns it renders itself (text, integers, booleans) and for those it leaves to pandas.

Hypothesis runs derandomized and without its example database (nothing is written into the
working tree).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import outbox as ob

AWKWARD = ["", " ", "a", "|", "||", '"', 'q"q', "\n", "l\nm", "\r", "c\rr", "\r\n", "\t",
           "\\", "\\N", "é", "ÑOÑO\nBARIS", "SITI | AMINAH", 'AGUS "GUS" W.', "\x00", "NaN",
           "None", "1e5", "-", "#", "'", "a,b", "\ufeff"]  # fmt: skip


def pandas_csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, sep="|", index=False, lineterminator="\n", na_rep="")
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
    st.text(alphabet=st.sampled_from(list('ab |"\n\r\t\\é,;')), max_size=6),
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
