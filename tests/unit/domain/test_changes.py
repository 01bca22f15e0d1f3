"""Change detection (domain.changes): table-driven per change type, near misses, the
policy table, scope, and a generated three-period sequence with planted changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.changes import (
    CHANGE_COLUMNS,
    REVERIFICATION_POLICY,
    Trigger,
    detect_changes,
)
from domain.codes import ChangeType, Source
from domain.rules import RuleParameters

PARAMS = RuleParameters()
NIK_A = "3275014101900001"
NIK_B = "3275010202850002"


# -- typed frames, as validation hands them to the domain (docs/DESIGN.md) -------------
DUK_DEFAULT = {
    "NO_KK": "3275010101100001",
    "NAMA_LGKP": "SITI AMINAH",
    "JENIS_KLMIN": 2,
    "TMPT_LHR": "BEKASI",
    "TGL_LHR": "1990-01-01",
    "STAT_KWN": 2,
    "JENIS_PKRJN": 88,  # WIRASWASTA, INFORMAL
    "NO_PROP": 32,
    "NO_KAB": 75,
    "NO_KEC": 1,
    "NO_KEL": 1001,
    "ALAMAT": "JL. MAWAR 1",
    "NO_RT": 1,
    "NO_RW": 2,
    "STATUS_DASAR": "HIDUP",
    "TGL_PERISTIWA": None,
}
DTS_DEFAULT = {
    "NO_KK": "3275010101100001",
    "NAMA": "SITI AMINAH",
    "KODE_WILAYAH": "32.75.01.1001",
    "DESIL": 3,
    "STATUS_PEKERJAAN": 1,
    "PENERIMA_PKH": False,
    "STATUS_KEBERADAAN": 1,
    "TGL_PEMERINGKATAN": "2026-07-01",
}


def dukcapil(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame([{**DUK_DEFAULT, **r} for r in rows], columns=["NIK", *DUK_DEFAULT])
    frame.insert(0, "_line", np.arange(2, len(frame) + 2, dtype="int64"))
    typed = frame.astype(
        {
            "NIK": "str",
            "NO_KK": "str",
            "NAMA_LGKP": "str",
            "JENIS_KLMIN": "int8",
            "TMPT_LHR": "str",
            "STAT_KWN": "int8",
            "JENIS_PKRJN": "int16",
            "NO_PROP": "int16",
            "NO_KAB": "int16",
            "NO_KEC": "int16",
            "NO_KEL": "int16",
            "ALAMAT": "str",
            "NO_RT": "Int16",
            "NO_RW": "Int16",
            "STATUS_DASAR": "str",
        }
    )
    typed["TGL_LHR"] = pd.to_datetime(typed["TGL_LHR"])
    typed["TGL_PERISTIWA"] = pd.to_datetime(typed["TGL_PERISTIWA"])
    typed["KODE_KELURAHAN"] = (
        typed["NO_PROP"].astype(str)
        + "."
        + typed["NO_KAB"].astype(str)
        + "."
        + typed["NO_KEC"].astype(str).str.zfill(2)
        + "."
        + typed["NO_KEL"].astype(str)
    )
    return typed


def dtsen(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame([{**DTS_DEFAULT, **r} for r in rows], columns=["NIK", *DTS_DEFAULT])
    frame.insert(0, "_line", np.arange(2, len(frame) + 2, dtype="int64"))
    typed = frame.astype(
        {
            "NIK": "str",
            "NO_KK": "str",
            "NAMA": "str",
            "KODE_WILAYAH": "str",
            "DESIL": "int8",
            "STATUS_PEKERJAAN": "Int8",
            "PENERIMA_PKH": bool,
            "STATUS_KEBERADAAN": "int8",
        }
    )
    typed["TGL_PEMERINGKATAN"] = pd.to_datetime(typed["TGL_PEMERINGKATAN"])
    return typed


def pair(before: dict, after: dict | None, nik: str = NIK_A, source: Source = Source.DUKCAPIL):
    """Baseline and current extracts with one person (``after=None``: absent)."""
    build = dukcapil if source is Source.DUKCAPIL else dtsen
    other = dtsen if source is Source.DUKCAPIL else dukcapil
    other_src = Source.DTSEN if source is Source.DUKCAPIL else Source.DUKCAPIL
    base = {source: build([{"NIK": nik, **before}]), other_src: other([{"NIK": nik}])}
    cur_rows = [] if after is None else [{"NIK": nik, **after}]
    cur = {source: build(cur_rows), other_src: other([{"NIK": nik}])}
    return base, cur


def run(base, cur, scope=(NIK_A,), params=PARAMS) -> pd.DataFrame:
    return detect_changes(base, cur, pd.Series(list(scope), dtype="str"), params)


def as_tuples(changes: pd.DataFrame) -> list[tuple]:
    return [
        (
            r.nik,
            r.change_type,
            None if pd.isna(r.before) else r.before,
            None if pd.isna(r.after) else r.after,
            r.source,
            bool(r.triggers_reverification),
        )
        for r in changes.itertuples()
    ]


# -- one row per change type: (id, source, before fields, after fields, expected rows) --
D, T = Source.DUKCAPIL, Source.DTSEN
CASES = [
    (
        "died",
        D,
        {},
        {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-03"},
        [("DIED", "HIDUP", "MATI", "dukcapil", False)],
    ),
    (
        "moved_out_status",
        D,
        {},
        {"STATUS_DASAR": "PINDAH", "TGL_PERISTIWA": "2026-10-03"},
        [("MOVED_OUT", "HIDUP", "PINDAH", "dukcapil", False)],
    ),
    (
        "moved_out_domicile",
        D,
        {},
        {"NO_KAB": 16, "NO_KEC": 5, "NO_KEL": 2003},
        [("MOVED_OUT", "32.75.01.1001", "32.16.05.2003", "dukcapil", False)],
    ),
    (
        "moved_out_province",
        D,
        {},
        {"NO_PROP": 31, "NO_KAB": 71, "NO_KEC": 1, "NO_KEL": 1001},
        [("MOVED_OUT", "32.75.01.1001", "31.71.01.1001", "dukcapil", False)],
    ),
    (
        "moved_within_kelurahan",
        D,
        {},
        {"NO_KEL": 1003},
        [("MOVED_WITHIN_CITY", "32.75.01.1001", "32.75.01.1003", "dukcapil", False)],
    ),
    (
        "moved_within_kecamatan",
        D,
        {},
        {"NO_KEC": 12, "NO_KEL": 1001},
        [("MOVED_WITHIN_CITY", "32.75.01.1001", "32.75.12.1001", "dukcapil", False)],
    ),
    (
        "kk",
        D,
        {},
        {"NO_KK": "3275010101100099"},
        [("KK_CHANGED", "3275010101100001", "3275010101100099", "dukcapil", True)],
    ),
    (
        "name_spelling",
        D,
        {},
        {"NAMA_LGKP": "SITI AMINAH SARI"},
        [("NAME_CHANGED", "SITI AMINAH", "SITI AMINAH SARI", "dukcapil", True)],
    ),
    (
        "name_one_letter",
        D,
        {"NAMA_LGKP": "Siti Aminah"},
        {"NAMA_LGKP": "Siti Aminnah"},
        [("NAME_CHANGED", "Siti Aminah", "Siti Aminnah", "dukcapil", True)],
    ),
    (
        "birth_date",
        D,
        {},
        {"TGL_LHR": "1990-02-01"},
        [("BIRTH_DATE_CHANGED", "1990-01-01", "1990-02-01", "dukcapil", True)],
    ),
    (
        "occupation_group_changes",
        D,
        {},
        {"JENIS_PKRJN": 15},  # WIRASWASTA -> KARYAWAN SWASTA
        [("OCCUPATION_CHANGED", "88", "15", "dukcapil", True)],
    ),
    (
        "occupation_same_group",
        D,
        {},
        {"JENIS_PKRJN": 84},  # WIRASWASTA -> PEDAGANG
        [("OCCUPATION_CHANGED", "88", "84", "dukcapil", False)],
    ),
    (
        "occupation_to_not_working",
        D,
        {"JENIS_PKRJN": 19},
        {"JENIS_PKRJN": 1},
        [("OCCUPATION_CHANGED", "19", "1", "dukcapil", True)],
    ),
    (
        "disappeared_dukcapil",
        D,
        {"NO_KEC": 2, "NO_KEL": 1005},
        None,
        [("DISAPPEARED", "32.75.02.1005", None, "dukcapil", True)],
    ),
    (
        "desil_crosses_up",
        T,
        {"DESIL": 5},
        {"DESIL": 6},
        [("DESIL_CHANGED", "5", "6", "dtsen", True)],
    ),
    (
        "desil_crosses_down",
        T,
        {"DESIL": 8},
        {"DESIL": 2},
        [("DESIL_CHANGED", "8", "2", "dtsen", True)],
    ),
    (
        "desil_within_eligible",
        T,
        {"DESIL": 2},
        {"DESIL": 5},
        [("DESIL_CHANGED", "2", "5", "dtsen", False)],
    ),
    (
        "desil_within_ineligible",
        T,
        {"DESIL": 7},
        {"DESIL": 9},
        [("DESIL_CHANGED", "7", "9", "dtsen", False)],
    ),
    (
        "disappeared_dtsen",
        T,
        {"KODE_WILAYAH": "32.75.03.1002"},
        None,
        [("DISAPPEARED", "32.75.03.1002", None, "dtsen", True)],
    ),
    # near misses: nothing to report
    ("name_case_and_padding", D, {"NAMA_LGKP": "Siti  Aminah"}, {"NAMA_LGKP": " SITI AMINAH "}, []),
    ("name_tab_vs_space", D, {"NAMA_LGKP": "SITI\tAMINAH"}, {"NAMA_LGKP": "siti aminah"}, []),
    ("unchanged_person", D, {}, {}, []),
    ("unchanged_dtsen", T, {}, {}, []),
    ("dead_then_gone", D, {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-09-20"}, None, []),
    ("moved_then_gone", D, {"STATUS_DASAR": "PINDAH", "TGL_PERISTIWA": "2026-09-20"}, None, []),
    (
        "still_dead",
        D,
        {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-09-20"},
        {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-09-20"},
        [],
    ),
    ("other_fields_ignored", D, {}, {"ALAMAT": "JL. MELATI 9", "NO_RT": 5, "STAT_KWN": 3}, []),
    ("dtsen_other_fields_ignored", T, {}, {"PENERIMA_PKH": True, "STATUS_PEKERJAAN": 6}, []),
]


@pytest.mark.parametrize(
    ("source", "before", "after", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_each_change_type(source, before, after, expected):
    base, cur = pair(before, after, source=source)
    got = as_tuples(run(base, cur))
    assert got == [(NIK_A, *row) for row in expected]


def test_result_columns_and_dtypes():
    base, cur = pair({}, {"NO_KK": "3275010101100099", "TGL_LHR": "1991-01-01"})
    out = run(base, cur)
    assert tuple(out.columns) == CHANGE_COLUMNS
    assert out["triggers_reverification"].dtype == bool
    for col in ("nik", "change_type", "before", "after", "source"):
        assert out[col].dtype == "str", col
    # sorted by change type order of the enum within a NIK
    assert out["change_type"].tolist() == ["KK_CHANGED", "BIRTH_DATE_CHANGED"]


def test_empty_result_has_the_columns():
    base, cur = pair({}, {})
    out = run(base, cur)
    assert out.empty
    assert tuple(out.columns) == CHANGE_COLUMNS


def test_several_changes_of_one_person_are_all_reported():
    base, cur = pair(
        {},
        {
            "NO_KK": "3275010101100099",
            "NAMA_LGKP": "SITI AMINAH SARI",
            "TGL_LHR": "1990-01-02",
            "JENIS_PKRJN": 5,
            "NO_KEL": 1002,
        },
    )
    got = {r[1] for r in as_tuples(run(base, cur))}
    assert got == {
        "MOVED_WITHIN_CITY",
        "KK_CHANGED",
        "NAME_CHANGED",
        "BIRTH_DATE_CHANGED",
        "OCCUPATION_CHANGED",
    }


def test_appears_as_dead_or_moved_without_baseline_row():
    base = {Source.DUKCAPIL: dukcapil([{"NIK": NIK_B}]), Source.DTSEN: dtsen([])}
    cur = {
        Source.DUKCAPIL: dukcapil(
            [
                {"NIK": NIK_B},
                {"NIK": NIK_A, "STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-01"},
                {
                    "NIK": "3275010303800003",
                    "STATUS_DASAR": "PINDAH",
                    "TGL_PERISTIWA": "2026-10-01",
                },
                {"NIK": "3275010404800004"},  # new, alive: not a change
            ]
        ),
        Source.DTSEN: dtsen([]),
    }
    scope = (NIK_A, NIK_B, "3275010303800003", "3275010404800004")
    got = as_tuples(run(base, cur, scope=scope))
    assert got == [  # sorted by NIK
        ("3275010303800003", "MOVED_OUT", None, "PINDAH", "dukcapil", False),
        (NIK_A, "DIED", None, "MATI", "dukcapil", False),
    ]


def test_pindah_with_domicile_outside_reports_one_moved_out():
    base, cur = pair({}, {"STATUS_DASAR": "PINDAH", "TGL_PERISTIWA": "2026-10-03", "NO_KAB": 16})
    got = as_tuples(run(base, cur))
    assert got == [(NIK_A, "MOVED_OUT", "HIDUP", "PINDAH", "dukcapil", False)]


def test_dtsen_disappearance_explained_by_dukcapil_status():
    """A person who died (this period or before) leaving DTSEN is not DISAPPEARED."""
    base = {
        Source.DUKCAPIL: dukcapil(
            [
                {"NIK": NIK_A},
                {"NIK": NIK_B, "STATUS_DASAR": "PINDAH", "TGL_PERISTIWA": "2026-09-02"},
            ]
        ),
        Source.DTSEN: dtsen([{"NIK": NIK_A}, {"NIK": NIK_B}]),
    }
    cur = {
        Source.DUKCAPIL: dukcapil(
            [{"NIK": NIK_A, "STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-02"}]
        ),
        Source.DTSEN: dtsen([]),
    }
    got = as_tuples(run(base, cur, scope=(NIK_A, NIK_B)))
    assert got == [(NIK_A, "DIED", "HIDUP", "MATI", "dukcapil", False)]


def test_only_scope_is_reported():
    base, cur = pair({}, {"NO_KK": "3275010101100099"})
    assert run(base, cur, scope=(NIK_B,)).empty
    assert len(run(base, cur, scope=(NIK_A, NIK_B))) == 1
    # a malformed or null NIK in scope is harmless
    assert len(run(base, cur, scope=(NIK_A, None, "12AB"))) == 1


def test_missing_source_is_not_compared():
    base, cur = pair({}, {"NO_KK": "3275010101100099"})
    assert run({}, cur).empty  # first period: no baseline
    assert run({Source.DTSEN: base[Source.DTSEN]}, cur).empty
    # BPJS frames are ignored
    out = run({**base, Source.BPJSTK: pd.DataFrame()}, {**cur, Source.BPJSTK: pd.DataFrame()})
    assert out["change_type"].tolist() == ["KK_CHANGED"]


def test_missing_column_is_named():
    base, cur = pair({}, {})
    with pytest.raises(ValueError, match="NO_KK"):
        run({**base, Source.DUKCAPIL: base[Source.DUKCAPIL].drop(columns="NO_KK")}, cur)


def test_max_desil_parameter_moves_the_trigger():
    base, cur = pair({"DESIL": 5}, {"DESIL": 6}, source=Source.DTSEN)
    assert run(base, cur)["triggers_reverification"].tolist() == [True]
    wider = RuleParameters(max_desil=6)
    assert run(base, cur, params=wider)["triggers_reverification"].tolist() == [False]


def test_policy_table_covers_every_change_type():
    assert set(REVERIFICATION_POLICY) == set(ChangeType)
    never = {t for t, p in REVERIFICATION_POLICY.items() if p.trigger is Trigger.NEVER}
    assert never == {ChangeType.DIED, ChangeType.MOVED_OUT, ChangeType.MOVED_WITHIN_CITY}
    assert all(p.why for p in REVERIFICATION_POLICY.values())


# -- a generated three-period sequence with planted changes -----------------------------
def _population(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    serial = np.arange(1, n + 1)
    niks = pd.Series(
        [f"32750{1 + i % 9}{10 + i % 18:02d}0190{s:04d}" for i, s in zip(range(n), serial)],
        dtype="str",
    )
    kec = rng.integers(1, 13, n)
    duk = pd.DataFrame(
        {
            "NIK": niks,
            "NO_KK": [f"3275{k:02d}01011{s:05d}" for k, s in zip(kec, serial)],
            "NAMA_LGKP": [f"WARGA {s:05d}" for s in serial],
            "TGL_LHR": pd.to_datetime("1970-01-01")
            + pd.to_timedelta(rng.integers(0, 15000, n), "D"),
            "JENIS_PKRJN": rng.choice([2, 8, 19, 84, 88], n),
            "NO_PROP": 32,
            "NO_KAB": 75,
            "NO_KEC": kec,
            "NO_KEL": 1001 + rng.integers(0, 3, n),
            "STATUS_DASAR": "HIDUP",
            "TGL_PERISTIWA": pd.NaT,
        }
    )
    duk = dukcapil(duk.assign(TGL_LHR=duk["TGL_LHR"].dt.strftime("%Y-%m-%d")).to_dict("records"))
    dts = dtsen(
        pd.DataFrame(
            {"NIK": niks, "DESIL": rng.integers(1, 11, n), "KODE_WILAYAH": duk["KODE_KELURAHAN"]}
        ).to_dict("records")
    )
    return duk, dts


def _plant(duk, dts, rng, niks, planted, period):
    """Apply one change of each kind to distinct people; record what was planted."""
    duk, dts = duk.copy(), dts.copy()
    pick = iter(rng.permutation(niks))
    at = {}

    def row(frame, nik):
        return frame.index[frame["NIK"] == nik][0]

    def take(frame=None):
        """The next person: their NIK (and row in ``frame``)."""
        nik = next(pick)
        at[nik] = True
        return nik if frame is None else (nik, row(frame, nik))

    def rec(nik, ctype, before, after, source, trig):
        planted.append((period, nik, ctype, before, after, source, trig))

    nik, i = take(duk)
    rec(nik, "DIED", "HIDUP", "MATI", "dukcapil", False)
    duk.loc[i, ["STATUS_DASAR", "TGL_PERISTIWA"]] = ["MATI", pd.Timestamp("2026-10-05")]
    nik, i = take(duk)
    rec(nik, "MOVED_OUT", "HIDUP", "PINDAH", "dukcapil", False)
    duk.loc[i, ["STATUS_DASAR", "TGL_PERISTIWA"]] = ["PINDAH", pd.Timestamp("2026-10-05")]
    nik, i = take(duk)
    old = duk.loc[i, "KODE_KELURAHAN"]
    new_kec = 1 if duk.loc[i, "NO_KEC"] != 1 else 2
    duk.loc[i, ["NO_KEC", "NO_KEL"]] = [new_kec, 1001]
    rec(nik, "MOVED_WITHIN_CITY", old, f"32.75.{new_kec:02d}.1001", "dukcapil", False)
    nik, i = take(duk)
    old = duk.loc[i, "NO_KK"]
    duk.loc[i, "NO_KK"] = "3275999999" + nik[-6:]
    rec(nik, "KK_CHANGED", old, "3275999999" + nik[-6:], "dukcapil", True)
    nik, i = take(duk)
    old = duk.loc[i, "NAMA_LGKP"]
    duk.loc[i, "NAMA_LGKP"] = old + " PUTRI"
    rec(nik, "NAME_CHANGED", old, old + " PUTRI", "dukcapil", True)
    nik, i = take(duk)  # noise only: not a change
    duk.loc[i, "NAMA_LGKP"] = "  " + duk.loc[i, "NAMA_LGKP"].lower() + " "
    nik, i = take(duk)
    old = duk.loc[i, "TGL_LHR"]
    duk.loc[i, "TGL_LHR"] = old + pd.Timedelta(days=31)
    rec(
        nik,
        "BIRTH_DATE_CHANGED",
        old.strftime("%Y-%m-%d"),
        (old + pd.Timedelta(days=31)).strftime("%Y-%m-%d"),
        "dukcapil",
        True,
    )
    nik, i = take(duk)
    old = int(duk.loc[i, "JENIS_PKRJN"])
    duk.loc[i, "JENIS_PKRJN"] = 5
    rec(nik, "OCCUPATION_CHANGED", str(old), "5", "dukcapil", True)
    nik, j = take(dts)
    old = int(dts.loc[j, "DESIL"])
    new = 6 if old <= 5 else 5
    dts.loc[j, "DESIL"] = new
    rec(nik, "DESIL_CHANGED", str(old), str(new), "dtsen", True)
    nik, j = take(dts)
    old = int(dts.loc[j, "DESIL"])
    new = (old % 5) + 1 if old <= 5 else 6 + (old - 5) % 5
    dts.loc[j, "DESIL"] = new
    rec(nik, "DESIL_CHANGED", str(old), str(new), "dtsen", False)
    nik = take()
    before = dts.loc[row(dts, nik), "KODE_WILAYAH"]
    dts = dts[dts["NIK"] != nik]
    rec(nik, "DISAPPEARED", before, None, "dtsen", True)
    nik = take()
    before = duk.loc[row(duk, nik), "KODE_KELURAHAN"]
    duk = duk[duk["NIK"] != nik]
    rec(nik, "DISAPPEARED", before, None, "dukcapil", True)
    return duk.reset_index(drop=True), dts.reset_index(drop=True), set(at)


def test_three_period_sequence_detects_every_planted_change_and_nothing_else():
    rng = np.random.default_rng(7)
    duk1, dts1 = _population(rng, 400)
    planted: list[tuple] = []
    # period 2: changes planted among everyone still present
    duk2, dts2, touched = _plant(duk1, dts1, rng, duk1["NIK"].to_numpy(), planted, "2026-10")
    # period 3: the people who died or moved in period 2 leave the extract (not a change);
    # new changes are planted among people untouched so far and alive
    left = duk2.loc[duk2["STATUS_DASAR"].isin(["MATI", "PINDAH"]), "NIK"]
    duk2b = duk2[~duk2["NIK"].isin(left)]
    dts2b = dts2[~dts2["NIK"].isin(left)]
    candidates = duk2b.loc[~duk2b["NIK"].isin(touched) & duk2b["NIK"].isin(dts2b["NIK"]), "NIK"]
    duk3, dts3, _ = _plant(duk2b, dts2b, rng, candidates.to_numpy(), planted, "2026-11")

    everyone = pd.concat([duk1["NIK"], duk3["NIK"]]).drop_duplicates()
    found = []
    for period, (b, c) in {
        "2026-10": ((duk1, dts1), (duk2, dts2)),
        "2026-11": ((duk2, dts2), (duk3, dts3)),
    }.items():
        base = {Source.DUKCAPIL: b[0], Source.DTSEN: b[1]}
        cur = {Source.DUKCAPIL: c[0], Source.DTSEN: c[1]}
        found += [(period, *t) for t in as_tuples(run(base, cur, scope=everyone))]
    assert len(planted) == 22  # 11 kinds planted per period
    assert sorted(found, key=str) == sorted(planted, key=str)


def test_scope_restricts_the_sequence():
    rng = np.random.default_rng(11)
    duk1, dts1 = _population(rng, 200)
    planted: list[tuple] = []
    duk2, dts2, _ = _plant(duk1, dts1, rng, duk1["NIK"].to_numpy(), planted, "p")
    half = pd.Series([p[1] for p in planted[::2]], dtype="str")
    out = run({D: duk1, T: dts1}, {D: duk2, T: dts2}, scope=half)
    assert set(out["nik"]) == set(half)
    assert len(out) == len(planted[::2])


def test_duplicate_nik_in_an_extract_is_refused_without_showing_it():
    base, cur = pair({}, {})
    doubled = pd.concat([cur[Source.DUKCAPIL]] * 2, ignore_index=True)
    with pytest.raises(ValueError, match="duplicate NIK") as err:
        run(base, {**cur, Source.DUKCAPIL: doubled})
    assert NIK_A not in str(err.value)


# --- NIK keys: 16-digit NIKs as integers, anything else as text ------------------------


def test_malformed_niks_in_scope_are_compared_as_text():
    """A BPJS NIK typed wrongly can be in scope; it is its own key (never equal to a
    16-digit NIK) and is still aligned between the periods."""
    odd = "32750141019O0001"  # a letter O: not 16 digits
    base, cur = pair({"STATUS_DASAR": "HIDUP"}, {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-02"}, nik=odd)
    out = run(base, cur, scope=(odd, NIK_A))
    assert as_tuples(out) == [(odd, "DIED", "HIDUP", "MATI", "dukcapil", False)]
    # the same person is not matched through a 16-digit look-alike
    assert run(base, cur, scope=(NIK_A,)).empty


def test_duplicate_malformed_nik_is_refused():
    odd = "ABC"
    base, cur = pair({}, {}, nik=odd)
    doubled = pd.concat([cur[Source.DUKCAPIL]] * 2, ignore_index=True)
    with pytest.raises(ValueError, match="duplicate NIK") as err:
        run(base, {**cur, Source.DUKCAPIL: doubled}, scope=(odd,))
    assert odd not in str(err.value)


def test_duplicate_outside_the_scope_is_refused_too():
    base, cur = pair({}, {})
    doubled = pd.concat([cur[Source.DUKCAPIL]] * 2, ignore_index=True)
    with pytest.raises(ValueError, match="duplicate NIK"):
        run(base, {**cur, Source.DUKCAPIL: doubled}, scope=("3275014101900002",))
