"""What the re-verification flow reads: the addresses of a few NIKs from the Dukcapil
baseline (four columns, filtered while reading), and entries filtered to the open cases
give the same worklists as the whole release."""

from __future__ import annotations

import pandas as pd
import pytest

from connectors.baselines import BaselineStore
from domain.worklist import worklists
from core.errors import DataError
from core.settings import Settings
from tasks.reverify import ADDRESS_COLUMNS, _addresses

SHA = "a" * 64


def _dukcapil(n: int = 50) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "_line": range(2, n + 2),
            "NIK": [f"3275{i:012d}" for i in range(n)],
            "NAMA_LGKP": [f"ORANG {i}" for i in range(n)],
            "ALAMAT": [f"JL. MAWAR {i}" if i % 7 else None for i in range(n)],
            "NO_RT": pd.array([i % 20 + 1 if i % 5 else None for i in range(n)], dtype="Int16"),
            "NO_RW": pd.array([i % 9 + 1 for i in range(n)], dtype="Int16"),
        }
    ).astype({"NIK": "str", "NAMA_LGKP": "str", "ALAMAT": "str"})


def test_addresses_of_the_wanted_niks_only(tmp_path):
    settings = Settings(data_dir=tmp_path)
    full = _dukcapil()
    BaselineStore(tmp_path / "baselines").save("dukcapil", "2026-10", SHA, full)
    wanted = pd.Series(["3275000000000035", "3275000000000007", None, "9999999999999999", "3275000000000007"])
    got = _addresses(settings, "2026-10", SHA, wanted)
    expected = (
        full[full["NIK"].isin(wanted)][ADDRESS_COLUMNS].rename(columns={"NIK": "nik"}).reset_index(drop=True)
    )
    got = got.sort_values("nik").reset_index(drop=True)
    pd.testing.assert_frame_equal(got.drop(columns="alamat"), expected)
    assert list(got.columns) == ["nik", "ALAMAT", "NO_RT", "NO_RW", "alamat"]
    # the officers' one-line address, ready for the worklist's Alamat column
    assert got["alamat"].str.contains("RT ", regex=False).any()
    # nothing stored, no digest, no NIK asked for: no addresses
    assert _addresses(settings, "2026-09", SHA, wanted) is None
    assert _addresses(settings, "2026-10", None, wanted) is None
    assert _addresses(settings, "2026-10", SHA, pd.Series([None], dtype="str")) is None


def test_a_damaged_baseline_names_the_file(tmp_path):
    settings = Settings(data_dir=tmp_path)
    path = BaselineStore(tmp_path / "baselines").path("dukcapil", "2026-10", SHA)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not parquet")
    with pytest.raises(DataError) as info:
        _addresses(settings, "2026-10", SHA, pd.Series(["3275000000000001"]))
    assert str(path) in str(info.value)


def test_worklists_from_the_case_entries_equal_those_from_the_whole_release():
    from devkit.bench_publish import synthetic_entries

    entries = synthetic_entries(2_000, seed=9)
    picked = entries[entries["decision"] == "REVERIFY"].iloc[::3]
    cases = pd.DataFrame(
        {
            "case_id": [f"RV-202610-{i:010x}" for i in range(len(picked))],
            "nik": picked["nik"].to_numpy(),
            "kpj": picked["kpj"].to_numpy(),
            "kode_kelurahan": picked["kode_kelurahan"].to_numpy(),
            "triggers": "DESIL_ABOVE_LIMIT",
            "periods_open": [i % 4 + 1 for i in range(len(picked))],
            "status": "OPEN",
        }
    )
    # what release_entries(niks=..., kpjs=...) returns: entries of the cases' NIKs or KPJs
    subset = entries[entries["nik"].isin(cases["nik"]) | entries["kpj"].isin(cases["kpj"].dropna())]
    assert 0 < len(subset) < len(entries)
    whole = worklists(cases, entries, "2026-10", 1)
    part = worklists(cases, subset, "2026-10", 1)
    assert whole.keys() == part.keys() and len(whole) > 1
    for kel in whole:
        pd.testing.assert_frame_equal(part[kel], whole[kel])
        assert part[kel].attrs == whole[kel].attrs
