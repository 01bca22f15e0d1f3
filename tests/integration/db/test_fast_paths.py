"""The registry's fast paths, on SQLite and PostgreSQL: the COPY text and the executemany
values are exactly what the row-by-row versions gave, entries go in NIK order and come back
in published order, ``release_entries`` reads only the entries asked for, and
``while_loading`` runs alongside the load inside the transaction."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import registry_db as db
from connectors.registry_db import bulk, reads
from devkit.bench_publish import synthetic_entries
from domain.reconcile import ENTRY_DTYPES

# -- COPY text and plain values (no database) ---------------------------------------------


def _reference_copy_text(frame: pd.DataFrame) -> bytes:
    """PostgreSQL COPY text, one value at a time (what the vectorised version must equal)."""

    def field(value, dtype) -> str:
        if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
            return "\\N"
        if isinstance(dtype, pd.BooleanDtype) or dtype == bool:
            return "t" if value else "f"
        if isinstance(dtype, pd.DatetimeTZDtype):
            return value.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
        text = str(value)
        for old, new in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
            text = text.replace(old, new)
        return text

    lines = []
    for row in frame.itertuples(index=False):
        lines.append("\t".join(field(v, d) for v, d in zip(row, frame.dtypes, strict=True)))
    return ("".join(line + "\n" for line in lines)).encode("utf-8")


def _typed_entries(entries: pd.DataFrame) -> pd.DataFrame:
    return bulk.table_frame(entries, db.registry_entry, db.ENTRY_COLUMNS, what="entries").assign(
        entry_no=np.arange(len(entries), dtype=np.int64), release_id=3
    )


def test_copy_text_of_awkward_entries_matches_the_reference(entries_sample):
    frame = _typed_entries(entries_sample)
    assert bytes(bulk._copy_text(frame)) == _reference_copy_text(frame)
    # a slice (Arrow arrays with an offset) and an empty frame
    assert bytes(bulk._copy_text(frame.iloc[2:5])) == _reference_copy_text(frame.iloc[2:5])
    assert bytes(bulk._copy_text(frame.iloc[:0])) == b""


def test_copy_text_of_timestamps_booleans_and_integers():
    now = pd.Timestamp("2026-10-31 23:59:58.123456", tz="Asia/Jakarta")
    frame = pd.DataFrame(
        {
            "at": pd.to_datetime(pd.Series([now, pd.NaT]), utc=True),
            "flag": pd.array([True, None], dtype="boolean"),
            "plain": np.array([False, True]),
            "n": pd.array([None, -(2**63)], dtype="Int64"),
            "text": pd.Series(["\\N", None], dtype="string"),
        }
    )
    assert bytes(bulk._copy_text(frame)) == _reference_copy_text(frame)
    assert bytes(bulk._copy_text(frame)).startswith(b"2026-10-31 16:59:58.123456+00:00\tt\tf\t\\N\t\\\\N\n")


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("ab\\\t\n\r |é\x01")), max_size=8)), max_size=10))  # fmt: skip
def test_copy_text_escapes_any_text(values):
    frame = pd.DataFrame({"a": pd.Series(values, dtype="string"), "b": pd.Series(values, dtype="str")})
    assert bytes(bulk._copy_text(frame)) == _reference_copy_text(frame)


def test_plain_values_are_python_values_with_none_for_missing(entries_sample):
    frame = _typed_entries(entries_sample)
    for name in frame.columns:
        expected = frame[name].astype(object).where(frame[name].notna(), None).tolist()
        got = bulk._plain_values(frame[name])
        assert got == expected, name
        assert [type(v) for v in got] == [type(v) for v in expected], name


def test_entries_are_sent_in_nik_order_keeping_their_entry_number(entries_sample):
    frame = _typed_entries(entries_sample.assign(nik=entries_sample["nik"].where(lambda s: s != "32750106")))
    ordered = frame.take(bulk.index_order(frame))
    niks = ordered["nik"].tolist()
    assert niks[:-1] == sorted(niks[:-1]) and pd.isna(niks[-1])  # nulls last
    assert sorted(ordered["entry_no"]) == list(range(len(frame)))
    pd.testing.assert_frame_equal(ordered.sort_values("entry_no"), frame)


# -- publishing and reading back ------------------------------------------------------------


def test_a_city_sized_shuffle_round_trips_in_published_order(engine, make_request):
    """NIKs in random order: the rows go in sorted, come back in the published order."""
    entries = synthetic_entries(3_000, seed=5).sample(frac=1.0, random_state=1).reset_index(drop=True)
    outcome = db.publish_release(engine, make_request(entries=entries))
    got = db.release_entries(engine, outcome.release_id)
    expected = entries.astype({c: "str" for c, d in ENTRY_DTYPES.items() if d == "str"})
    pd.testing.assert_frame_equal(got, expected.astype(ENTRY_DTYPES)[list(db.ENTRY_COLUMNS)])


def test_entries_in_several_arrow_chunks_round_trip(engine, make_request, monkeypatch):
    """Reconciliation's entries come in two chunks (participants, residents): they are
    joined once before loading, and load the same rows in several batches."""
    entries = synthetic_entries(3_000, seed=7).sample(frac=1.0, random_state=2).reset_index(drop=True)
    chunked = pd.concat([entries.iloc[:1_000], entries.iloc[1_000:]], ignore_index=True)
    assert chunked["evidence"].array._pa_array.num_chunks == 2
    joined = bulk._contiguous(chunked)
    assert all(
        joined[c].array._pa_array.num_chunks == 1
        for c in joined.columns
        if hasattr(joined[c].array, "_pa_array")
    )
    pd.testing.assert_frame_equal(joined, chunked)
    monkeypatch.setattr(bulk, "INSERT_BATCH_ROWS", 700)
    outcome = db.publish_release(engine, make_request(entries=chunked))
    got = db.release_entries(engine, outcome.release_id)
    expected = entries.astype({c: "str" for c, d in ENTRY_DTYPES.items() if d == "str"})
    pd.testing.assert_frame_equal(got, expected.astype(ENTRY_DTYPES)[list(db.ENTRY_COLUMNS)])


def test_release_entries_reads_only_the_entries_asked_for(engine, make_request, entries_sample):
    outcome = db.publish_release(engine, make_request())
    everything = db.release_entries(engine, outcome.release_id)
    niks = ["3275010303700003", "0000000000000000", None]
    kpjs = pd.Series(["10000000006", "10000000003", None, "99"], dtype="str")
    got = db.release_entries(engine, outcome.release_id, niks=niks, kpjs=kpjs)
    # the NIK and the two KPJs match rows 2 (both) and 5; published order; same dtypes
    pd.testing.assert_frame_equal(got, everything.iloc[[2, 5]].reset_index(drop=True))
    only_niks = db.release_entries(engine, outcome.release_id, niks=["3275010202850002"])
    assert only_niks["nik"].tolist() == ["3275010202850002"]
    # columns without nik/kpj: the filter still applies
    subset = db.release_entries(engine, outcome.release_id, ["decision"], kpjs=["10000000002"])
    assert subset.to_dict("list") == {"decision": ["REVERIFY"]}
    # nothing asked for: nothing read, the columns and dtypes all the same
    none = db.release_entries(engine, outcome.release_id, niks=[], kpjs=[None])
    assert none.empty and list(none.columns) == list(db.ENTRY_COLUMNS)
    assert none.dtypes.to_dict() == everything.dtypes.to_dict()


def test_many_filter_values_are_applied_in_memory_with_the_same_result(
    engine, make_request, monkeypatch
):
    outcome = db.publish_release(engine, make_request())
    kpjs = ["10000000001", "10000000006"]
    in_sql = db.release_entries(engine, outcome.release_id, ["nama"], niks=["3275010404950004"], kpjs=kpjs)
    monkeypatch.setattr(reads, "MAX_FILTER_VALUES", 2)
    in_memory = db.release_entries(engine, outcome.release_id, ["nama"], niks=["3275010404950004"], kpjs=kpjs)
    pd.testing.assert_frame_equal(in_memory, in_sql)
    assert in_sql["nama"].tolist() == ["SITI AMINAH", "RINA | SARI", "ÑOÑO\nBARIS"]


# -- while_loading --------------------------------------------------------------------------


def test_while_loading_runs_in_a_worker_inside_the_transaction(engine, make_request):
    seen = []

    def stage(pending):
        seen.append((int(pending), pending.period, pending.version, threading.current_thread().name))

    committed = []
    outcome = db.publish_release(
        engine, make_request(), while_loading=stage, before_commit=lambda p: committed.append(list(seen))
    )
    assert [s[:3] for s in seen] == [(outcome.release_id, "2026-10", 1)]
    assert seen[0][3] != threading.current_thread().name
    assert committed == [seen]  # finished before before_commit
    # not called when nothing new is published
    again = db.publish_release(engine, make_request(), while_loading=stage)
    assert again.status == "UNCHANGED" and len(seen) == 1


def test_while_loading_failure_rolls_back(engine, make_request, counts_of):
    v1 = db.publish_release(engine, make_request())
    rows = counts_of(engine)

    def explode(pending):
        raise OSError("outbox disk full (injected)")

    with pytest.raises(OSError, match="injected"):
        db.publish_release(engine, make_request(tag="b"), while_loading=explode)
    assert counts_of(engine) == rows
    assert db.latest_release(engine, "2026-10").release_id == v1.release_id


def test_a_failed_load_waits_for_the_worker(engine, make_request, entries_sample, counts_of):
    """The caller cleans up what the worker wrote once publish_release has raised: the
    worker must have finished by then."""
    rows = counts_of(engine)
    finished = []

    def slow(pending):
        time.sleep(0.5)
        finished.append(True)

    bad = entries_sample.assign(decision=entries_sample["decision"].replace("KEEP", "BOGUS"))
    with pytest.raises(db.RegistryDatabaseError):
        db.publish_release(engine, make_request(entries=bad), while_loading=slow)
    assert finished == [True]
    assert counts_of(engine) == rows
