"""The baseline store (connectors.baselines): Parquet round trip with dtypes, layout,
atomic writes, argument checks."""

from __future__ import annotations

import hashlib
import stat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors.baselines import BaselineStore
from domain.codes import Source
from core.errors import DataError

SHA = hashlib.sha256(b"DUKCAPIL_3275_202610.csv.gz").hexdigest()
SHA2 = hashlib.sha256(b"resend").hexdigest()


def typed_dukcapil() -> pd.DataFrame:
    """A typed Dukcapil frame as validation hands it over (docs/DESIGN.md), with nulls and
    an index with gaps (rejected rows removed)."""
    frame = pd.DataFrame(
        {
            "_line": np.array([2, 3, 5], dtype="int64"),
            "NIK": pd.Series(
                ["3275014101900001", "3275010202850002", "3275010303800003"], dtype="str"
            ),
            "NAMA_LGKP": pd.Series(["Siti Aminah", "BUDI", None], dtype="str"),
            "JENIS_KLMIN": np.array([2, 1, 1], dtype="int8"),
            "TGL_LHR": pd.to_datetime(["1990-01-01", "1985-02-02", "1980-03-03"]),
            "JENIS_PKRJN": np.array([88, 15, 1], dtype="int16"),
            "NO_KEL": np.array([1001, 1005, 2001], dtype="int16"),
            "NO_RT": pd.array([1, None, 12], dtype="Int16"),
            "STATUS_PEKERJAAN": pd.array([None, 4, 1], dtype="Int8"),
            "STATUS_DASAR": pd.Series(["HIDUP", "MATI", "HIDUP"], dtype="str"),
            "TGL_PERISTIWA": pd.to_datetime([None, "2026-10-03", None]),
            "PENERIMA_PKH": np.array([True, False, True]),
            "IURAN_BULANAN": np.array([16_800, 16_800, 0], dtype="int64"),
            "BULAN_IURAN_TERAKHIR": pd.Series(["2026-09", None, "2026-10"], dtype="str"),
        },
        index=[0, 1, 3],
    )
    return frame


def test_round_trip_keeps_values_dtypes_and_index(tmp_path):
    store = BaselineStore(tmp_path / "baselines")
    frame = typed_dukcapil()
    path = store.save(Source.DUKCAPIL, "2026-10", SHA, frame)
    back = store.load("dukcapil", "2026-10", SHA)
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert back["NO_RT"].dtype == "Int16" and back["STATUS_PEKERJAAN"].dtype == "Int8"
    assert back["JENIS_KLMIN"].dtype == "int8" and back["JENIS_PKRJN"].dtype == "int16"
    assert back["TGL_LHR"].dtype == frame["TGL_LHR"].dtype
    assert back["NIK"].dtype == "str"
    assert path == tmp_path / "baselines" / "dukcapil" / "2026-10" / f"{SHA}.parquet"


def test_empty_frame_round_trips(tmp_path):
    store = BaselineStore(tmp_path)
    frame = typed_dukcapil().iloc[:0]
    store.save("dtsen", "2026-10", SHA, frame)
    pd.testing.assert_frame_equal(store.load("dtsen", "2026-10", SHA), frame)


def test_zstd_and_private_file_mode(tmp_path):
    store = BaselineStore(tmp_path)
    path = store.save("bpjstk", "2026-10", SHA, typed_dukcapil())
    meta = pq.ParquetFile(path).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_missing_delivery_is_none_and_exists_says_so(tmp_path):
    store = BaselineStore(tmp_path)
    assert store.load("dukcapil", "2026-10", SHA) is None
    assert not store.exists("dukcapil", "2026-10", SHA)
    store.save("dukcapil", "2026-10", SHA, typed_dukcapil())
    assert store.exists("dukcapil", "2026-10", SHA)
    assert not store.exists("dukcapil", "2026-11", SHA)
    assert not store.exists("dtsen", "2026-10", SHA)


def test_resend_is_stored_beside_the_first_delivery(tmp_path):
    store = BaselineStore(tmp_path)
    first, second = typed_dukcapil(), typed_dukcapil().iloc[:1]
    store.save("dukcapil", "2026-10", SHA, first)
    store.save("dukcapil", "2026-10", SHA2, second)
    assert store.digests("dukcapil", "2026-10") == sorted([SHA, SHA2])
    assert len(store.load("dukcapil", "2026-10", SHA)) == 3
    assert len(store.load("dukcapil", "2026-10", SHA2)) == 1
    assert store.digests("dukcapil", "2026-09") == []


def test_saving_again_replaces_and_leaves_no_temporary_files(tmp_path):
    store = BaselineStore(tmp_path)
    store.save("dukcapil", "2026-10", SHA, typed_dukcapil())
    store.save("dukcapil", "2026-10", SHA.upper(), typed_dukcapil().iloc[:2])
    assert len(store.load("dukcapil", "2026-10", SHA)) == 2
    files = [p.name for p in (tmp_path / "dukcapil" / "2026-10").iterdir()]
    assert files == [f"{SHA}.parquet"]


def test_failed_write_keeps_the_previous_file_and_no_debris(tmp_path):
    store = BaselineStore(tmp_path)
    store.save("dukcapil", "2026-10", SHA, typed_dukcapil())
    unstorable = pd.DataFrame({"x": [object(), object()]})  # pyarrow cannot convert it
    with pytest.raises(Exception):  # noqa: B017 - whatever pyarrow raises
        store.save("dukcapil", "2026-10", SHA, unstorable)
    assert len(store.load("dukcapil", "2026-10", SHA)) == 3
    assert [p.name for p in (tmp_path / "dukcapil" / "2026-10").iterdir()] == [f"{SHA}.parquet"]


def test_damaged_file_is_a_data_error_naming_the_file(tmp_path):
    store = BaselineStore(tmp_path)
    path = store.save("dukcapil", "2026-10", SHA, typed_dukcapil())
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(DataError, match=SHA) as err:
        store.load("dukcapil", "2026-10", SHA)
    assert "3275014101900001" not in str(err.value)


@pytest.mark.parametrize(
    ("source", "period", "sha", "message"),
    [
        ("bpjs", "2026-10", SHA, "unknown source"),
        ("../dukcapil", "2026-10", SHA, "unknown source"),
        ("dukcapil", "2026-13", SHA, "YYYY-MM"),
        ("dukcapil", "../2026-10", SHA, "YYYY-MM"),
        ("dukcapil", "2026-10", "abc", "64 hexadecimal"),
        ("dukcapil", "2026-10", "../" + SHA[3:], "64 hexadecimal"),
    ],
)
def test_arguments_are_checked(tmp_path, source, period, sha, message):
    store = BaselineStore(tmp_path)
    with pytest.raises(ValueError, match=message):
        store.save(source, period, sha, typed_dukcapil())
    with pytest.raises(ValueError, match=message):
        store.load(source, period, sha)
    assert list(tmp_path.iterdir()) == []


def test_load_rows_reads_one_person_as_stored(tmp_path):
    store = BaselineStore(tmp_path)
    frame = typed_dukcapil()
    store.save(Source.DUKCAPIL, "2026-10", SHA, frame)
    columns = ["NIK", "JENIS_PKRJN", "NO_RT", "TGL_PERISTIWA", "STATUS_DASAR"]
    got = store.load_rows(Source.DUKCAPIL, "2026-10", SHA, "NIK", ["3275010202850002"], columns)
    # the same values, dtypes and index as the whole file's row
    expected = frame.loc[frame["NIK"] == "3275010202850002", columns]
    pd.testing.assert_frame_equal(got, expected)
    none = store.load_rows(Source.DUKCAPIL, "2026-10", SHA, "NIK", ["3275019999990001"], columns)
    pd.testing.assert_frame_equal(none, frame[columns].iloc[0:0])
    every = store.load_rows(Source.DUKCAPIL, "2026-10", SHA, "NIK", list(frame["NIK"].dropna()))
    pd.testing.assert_frame_equal(every, frame[frame["NIK"].notna()])
    assert store.load_rows(Source.DUKCAPIL, "2026-10", SHA2, "NIK", ["3275010202850002"]) is None


def test_load_rows_reads_only_the_matching_row_groups(tmp_path):
    store = BaselineStore(tmp_path)
    big = pd.DataFrame({"NIK": [f"32750141019{i:05d}" for i in range(3_000)],
                        "DESIL": np.arange(3_000) % 10}, index=np.arange(3_000) * 2)  # fmt: skip
    path = store.save(Source.DTSEN, "2026-10", SHA, big)
    pq.write_table(pa.Table.from_pandas(big), path, row_group_size=1_000)  # three groups
    got = store.load_rows(Source.DTSEN, "2026-10", SHA, "NIK", ["3275014101902999", "3275014101900001"])
    assert got["NIK"].tolist() == ["3275014101900001", "3275014101902999"]
    assert got["DESIL"].tolist() == [1, 9] and got.index.tolist() == [2, 5998]
