"""Re-verification cases through releases: opened, seen again (escalated), resolved; the
state of each release kept apart (a re-run of an older period never touches a later
release's cases); answers recorded outside a run."""

from __future__ import annotations

import pandas as pd
import pytest

from connectors import registry_db as db


def _opened(*ids):
    return pd.DataFrame(
        {
            "case_id": list(ids),
            "nik": [f"32750141019000{i:02d}" for i in range(len(ids))],
            "kpj": [f"100000000{i:02d}" for i in range(len(ids))],
            "kode_kelurahan": ["32.75.01.1001"] * len(ids),
            "triggers": ["DESIL_CHANGED"] * len(ids),
            "evidence": ["DESIL_CHANGED: DTSEN desil 4 -> 7"] * len(ids),
        }
    )


def test_cases_opened_seen_resolved(engine, make_request):
    v1 = db.publish_release(
        engine,
        make_request(
            period="2026-09", case_plan=db.CasePlanRows(opened=_opened("RV-1", "RV-2", "RV-3"))
        ),
    )
    opened = db.open_cases(engine)
    assert opened["case_id"].tolist() == ["RV-1", "RV-2", "RV-3"]
    row = opened.iloc[0]
    assert (row["status"], row["periods_open"], row["opened_period"], row["last_seen_period"]) == (
        "OPEN",
        1,
        "2026-09",
        "2026-09",
    )
    assert row["opened_release_id"] == row["last_seen_release_id"] == v1.release_id
    assert row["evidence"].startswith("DESIL_CHANGED") and not row["escalated"]
    assert str(row["opened_at"].tz) == "UTC" and pd.isna(row["resolved_at"])

    # October: RV-1 still open (now escalated), RV-2 resolved eligible, RV-3 NIK corrected
    seen = pd.DataFrame({"case_id": ["RV-1"], "triggers": ["DESIL_CHANGED;NOT_IN_DTSEN"],
                         "kode_kelurahan": ["32.75.02.1001"], "periods_open": [2],
                         "escalated": [True]})  # fmt: skip
    resolved = pd.DataFrame(
        {
            "case_id": ["RV-2", "RV-3"],
            "status": ["RESOLVED_ELIGIBLE", "RESOLVED_NIK_CORRECTED"],
            "resolved_at": pd.to_datetime(["2026-10-15", "2026-10-16"]),
            "resolution_note": ["cek lapangan: layak", None],
            "resolved_by": ["PETUGAS A", "PETUGAS B"],
            "nik_baru": [None, "3275014101900099"],
        }
    )
    v2 = db.publish_release(
        engine,
        make_request(period="2026-10", case_plan=db.CasePlanRows(opened=_opened("RV-4"), seen=seen, resolved=resolved),
                     based_on_release_id=v1.release_id),
    )  # fmt: skip
    everything = db.cases(engine).set_index("case_id")
    assert everything.loc["RV-1", "last_seen_release_id"] == v2.release_id
    assert everything.loc["RV-1", "opened_release_id"] == v1.release_id
    assert everything.loc["RV-1", "periods_open"] == 2 and everything.loc["RV-1", "escalated"]
    assert everything.loc["RV-1", "kode_kelurahan"] == "32.75.02.1001"
    assert everything.loc["RV-1", "last_seen_period"] == "2026-10"
    assert everything.loc["RV-1", "triggers"] == "DESIL_CHANGED;NOT_IN_DTSEN"
    assert everything.loc["RV-2", "status"] == "RESOLVED_ELIGIBLE"
    assert everything.loc["RV-2", "resolved_at"] == pd.Timestamp("2026-10-15", tz="UTC")
    assert everything.loc["RV-2", "resolved_release_id"] == v2.release_id
    assert everything.loc["RV-3", "nik_baru"] == "3275014101900099"
    assert pd.isna(everything.loc["RV-3", "resolution_note"])
    assert everything.loc["RV-4", "opened_release_id"] == v2.release_id

    assert db.open_cases(engine)["case_id"].tolist() == ["RV-1", "RV-4"]
    assert db.resolved_eligible_cases(engine)["case_id"].tolist() == ["RV-2"]
    assert db.cases(engine, ["RESOLVED_NIK_CORRECTED"])["case_id"].tolist() == ["RV-3"]
    # the state as of September's release is kept as it was
    september = db.cases(engine, release_id=v1.release_id).set_index("case_id")
    assert september["status"].to_dict() == {"RV-1": "OPEN", "RV-2": "OPEN", "RV-3": "OPEN"}
    assert september.loc["RV-1", "periods_open"] == 1 and not september.loc["RV-1", "escalated"]
    assert db.open_cases(engine, release_id=v1.release_id)["case_id"].tolist() == ["RV-1", "RV-2", "RV-3"]


def test_case_plan_is_validated(engine, make_request):
    db.publish_release(
        engine, make_request(period="2026-09", case_plan=db.CasePlanRows(opened=_opened("RV-1")))
    )
    resolved_open = pd.DataFrame({"case_id": ["RV-1"], "status": ["OPEN"], "resolved_at": [None],
                                  "resolution_note": [None], "resolved_by": [None], "nik_baru": [None]})  # fmt: skip
    base = db.latest_release(engine, "2026-09").release_id
    with pytest.raises(ValueError, match="RESOLVED_"):
        db.publish_release(engine, make_request(case_plan=db.CasePlanRows(resolved=resolved_open), based_on_release_id=base))
    with pytest.raises(ValueError, match="already exist"):
        db.publish_release(engine, make_request(case_plan=db.CasePlanRows(opened=_opened("RV-1")), based_on_release_id=base))
    with pytest.raises(ValueError, match="missing columns"):
        db.publish_release(
            engine,
            make_request(case_plan=db.CasePlanRows(seen=pd.DataFrame({"case_id": ["RV-1"]}))),
        )
    with pytest.raises(ValueError):
        db.cases(engine, "CLOSED")
    assert db.latest_release(engine, "2026-10") is None


def test_resolving_twice_is_refused(engine, make_request):
    v1 = db.publish_release(
        engine, make_request(period="2026-09", case_plan=db.CasePlanRows(opened=_opened("RV-1")))
    )
    resolved = pd.DataFrame({"case_id": ["RV-1"], "status": ["RESOLVED_INELIGIBLE"],
                             "resolved_at": ["2026-10-02"], "resolution_note": ["pindah"],
                             "resolved_by": ["X"], "nik_baru": [None]})  # fmt: skip
    october = db.publish_release(
        engine,
        make_request(period="2026-10", case_plan=db.CasePlanRows(resolved=resolved),
                     based_on_release_id=v1.release_id),
    )  # fmt: skip
    with pytest.raises(ValueError, match="not OPEN"):  # on October: resolved already
        db.publish_release(
            engine,
            make_request(period="2026-11", case_plan=db.CasePlanRows(resolved=resolved),
                         based_on_release_id=october.release_id),
        )  # fmt: skip
    assert db.cases(engine).loc[0, "status"] == "RESOLVED_INELIGIBLE"
    # a second version of October is built on September again: the case is open there
    again = db.publish_release(
        engine,
        make_request(period="2026-10", tag="b", case_plan=db.CasePlanRows(resolved=resolved),
                     based_on_release_id=v1.release_id),
    )  # fmt: skip
    assert again.version == 2
    assert db.cases(engine, release_id=again.release_id).loc[0, "status"] == "RESOLVED_INELIGIBLE"


def test_case_plan_of_a_domain_plan(engine, make_request):
    class Plan:  # the shape of domain.cases' plan: three frames (and possibly more fields)
        opened = _opened("RV-9")
        seen = pd.DataFrame()
        resolved = pd.DataFrame()
        escalated = pd.DataFrame()

    db.publish_release(engine, make_request(case_plan=db.CasePlanRows.of(Plan())))
    assert db.open_cases(engine)["case_id"].tolist() == ["RV-9"]


def test_a_rerun_of_an_older_period_leaves_the_later_state_alone(engine, make_request):
    """September v2 opens other cases; October's state (built on v1) is untouched and still
    what the view shows until October is re-run on v2."""
    sep1 = db.publish_release(
        engine, make_request(period="2026-09", case_plan=db.CasePlanRows(opened=_opened("RV-1", "RV-2")))
    )
    seen = pd.DataFrame({"case_id": ["RV-1", "RV-2"], "triggers": ["DESIL_CHANGED"] * 2,
                         "kode_kelurahan": ["32.75.01.1001"] * 2, "periods_open": [2, 2],
                         "escalated": [False, False]})  # fmt: skip
    oct1 = db.publish_release(
        engine,
        make_request(period="2026-10", case_plan=db.CasePlanRows(seen=seen), based_on_release_id=sep1.release_id),
    )
    sep2 = db.publish_release(
        engine,
        make_request(period="2026-09", tag="b", case_plan=db.CasePlanRows(opened=_opened("RV-1"))),
    )
    assert [m.release_id for m in sep2.stale] == [oct1.release_id]
    assert db.cases(engine, release_id=oct1.release_id)["periods_open"].tolist() == [2, 2]
    assert db.open_cases(engine)["case_id"].tolist() == ["RV-1", "RV-2"]  # October v1's
    assert db.open_cases(engine, release_id=sep2.release_id)["case_id"].tolist() == ["RV-1"]
    oct2 = db.publish_release(
        engine,
        make_request(period="2026-10", case_plan=db.CasePlanRows(seen=seen.iloc[:1]), based_on_release_id=sep2.release_id),
    )
    view = db.open_cases(engine)
    assert view["case_id"].tolist() == ["RV-1"] and view["periods_open"].tolist() == [2]
    assert view["last_seen_release_id"].tolist() == [oct2.release_id]


def test_answers_recorded_for_a_period(engine):
    from datetime import UTC, datetime

    results = pd.DataFrame(
        {
            "CASE_ID": ["RV-1", "RV-2"], "NIK": ["3275014101900001", "3275014101900002"],
            "HASIL": ["LAYAK", "NIK_DIKOREKSI"], "NIK_BARU": [None, "3275014101900099"],
            "CATATAN": ["ok", None], "PETUGAS": ["A", "B"],
            "TGL_VERIFIKASI": pd.to_datetime(["2026-10-12", "2026-10-13"]), "_line": [2, 3],
        }
    )  # fmt: skip
    now = datetime.now(UTC)
    assert db.record_answers(engine, "2026-10", results, file_name="H.csv", file_sha256="a" * 64, recorded_at=now) == 2
    # the same file again is not recorded twice
    assert db.record_answers(engine, "2026-10", results, file_name="H.csv", file_sha256="a" * 64, recorded_at=now) == 0
    back = db.answers(engine, "2026-10")
    assert back["CASE_ID"].tolist() == ["RV-1", "RV-2"]
    assert back["TGL_VERIFIKASI"].tolist() == list(results["TGL_VERIFIKASI"])
    assert back["_line"].tolist() == [2, 3] and back.loc[1, "NIK_BARU"] == "3275014101900099"
    assert db.answers(engine, "2026-11").empty
