"""Publishing releases on SQLite and PostgreSQL: versions, UNCHANGED re-runs, round trips
and the read API the flows use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from connectors import registry_db as db


def test_publish_v1_round_trips_entries(engine, make_request, entries_sample):
    before = datetime.now(UTC)
    outcome = db.publish_release(engine, make_request())
    assert outcome == db.PublishOutcome("PUBLISHED", outcome.release_id, 1, "2026-10", None)

    release = db.latest_release(engine, "2026-10")
    assert release is not None and release.release_id == outcome.release_id
    assert (release.version, release.status, release.rules_version) == (
        1,
        "PUBLISHED",
        "2026.11.1+deadbeef",
    )
    assert before - timedelta(seconds=1) <= release.published_at <= datetime.now(UTC)
    assert release.published_at.tzinfo is not None
    assert release.counts == {"REVERIFY": 2, "KEEP": 1, "TERMINATE": 1, "ENROLL": 1, "WAITLIST": 1}
    assert release.monthly_cost_idr == 16800 * 4 and release.quota == 51_666
    assert release.flow_run_id == "00000000-0000-0000-0000-000000000001"

    got = db.release_entries(engine, outcome.release_id)
    assert list(got.columns) == list(db.ENTRY_COLUMNS)
    expected = entries_sample.astype({c: "str" for c, d in db.ENTRY_DTYPES.items() if d == "str"})
    pd.testing.assert_frame_equal(got, expected[list(db.ENTRY_COLUMNS)], check_dtype=True)
    # awkward text survives (COPY escaping on PostgreSQL)
    assert got.loc[1, "nama"] == "BUDI\tSANTOSO" and got.loc[5, "nama"] == "ÑOÑO\nBARIS"
    assert got.loc[2, "nama"] == "DEWI \\ LESTARI" and got.loc[0, "reasons"] == ""
    assert pd.isna(got.loc[3, "kpj"])
    assert got.loc[4, "evidence"] == "\\N"  # the COPY null marker as text stays text

    subset = db.release_entries(engine, outcome.release_id, columns=["kpj", "decision"])
    assert list(subset.columns) == ["kpj", "decision"] and len(subset) == 6

    changes = db.population_changes(engine, outcome.release_id)
    assert changes[["change_type", "triggers_reverification"]].values.tolist() == [
        ["DESIL_CHANGED", True],
        ["DIED", False],
    ]
    assert pd.isna(changes.loc[1, "after"])


def test_identical_republish_is_unchanged(engine, make_request, counts_of):
    first = db.publish_release(engine, make_request())
    rows = counts_of(engine)
    calls = []
    again = db.publish_release(engine, make_request(), before_commit=calls.append)
    assert again == db.PublishOutcome("UNCHANGED", first.release_id, 1, "2026-10", None)
    assert calls == []  # nothing to write to the outbox
    assert counts_of(engine) == rows
    # accepted flags in another order are the same flags
    flagged = db.publish_release(engine, make_request(accepted_flags=("dtsen", "bpjstk")))
    assert flagged.version == 2
    same = db.publish_release(engine, make_request(accepted_flags=("bpjstk", "dtsen")))
    assert same.status == "UNCHANGED" and same.version == 2


@pytest.mark.parametrize(
    "change",
    [
        {"tag": "b"},  # a provider's corrected resend
        {"rules_version": "2026.11.2+cafebabe"},
        {"accepted_flags": ("bpjstk",)},
        {"force": True},
    ],
    ids=["digests", "rules", "accepted_flags", "force"],
)
def test_changed_inputs_publish_next_version(engine, make_request, change):
    v1 = db.publish_release(engine, make_request())
    v2 = db.publish_release(engine, make_request(**change))
    assert (v2.status, v2.version, v2.superseded_release_id) == ("PUBLISHED", 2, v1.release_id)
    by_version = {r.version: r for r in db.releases(engine, "2026-10")}
    assert by_version[1].status == "SUPERSEDED" and by_version[2].status == "PUBLISHED"
    assert db.latest_release(engine, "2026-10").release_id == v2.release_id
    # the superseded release keeps its rows: releases are immutable
    assert len(db.release_entries(engine, v1.release_id)) == 6
    assert len(db.release_entries(engine, v2.release_id)) == 6


def test_periods_are_independent(engine, make_request):
    a = db.publish_release(engine, make_request(period="2026-09"))
    b = db.publish_release(engine, make_request(period="2026-10"))
    assert (a.version, b.version) == (1, 1)
    assert [r.period for r in db.releases(engine)] == ["2026-09", "2026-10"]
    assert db.latest_release(engine, "2026-11") is None


def test_terminated_kpjs_and_find_entry(engine, make_request, entries_sample):
    db.publish_release(engine, make_request())
    assert db.terminated_kpjs(engine, "2026-10") == frozenset({"10000000003"})
    assert db.terminated_kpjs(engine, "2026-09") == frozenset()
    # v2 no longer terminates that KPJ: only the latest release counts
    keep_all = entries_sample.assign(decision="KEEP", reasons="")
    db.publish_release(engine, make_request(tag="b", entries=keep_all))
    assert db.terminated_kpjs(engine, "2026-10") == frozenset()

    found = db.find_entry(engine, "2026-10", nik="3275010303700003")
    assert len(found) == 1 and found.loc[0, "version"] == 2 and found.loc[0, "decision"] == "KEEP"
    assert len(db.find_entry(engine, "2026-10", kpj="10000000002")) == 1
    assert len(db.find_entry(engine, "2026-10", nik="3275010303700003", kpj="10000000002")) == 0
    assert db.find_entry(engine, "2026-09", nik="3275010303700003").empty
    with pytest.raises(ValueError):
        db.find_entry(engine, "2026-10")


def test_deliveries_and_previous_accepted_delivery(engine, make_request, digests_for):
    def delivery(period, source, sha, status="ACCEPTED", rows=1000):
        return {"period": period, "source": source, "file_name": f"{source}.csv.gz",
                "sha256": sha, "rows_total": rows, "rows_accepted": rows - 1,
                "rows_rejected": 1, "status": status}  # fmt: skip

    d9 = digests_for("sep")
    db.publish_release(
        engine,
        make_request(
            period="2026-09", tag="sep",
            deliveries=[delivery("2026-09", s, d9[s], rows=900) for s in ("dukcapil", "dtsen")]
            + [delivery("2026-09", "bpjstk", d9["bpjstk"], "ACCEPTED_BY_OPERATOR", 500)],
        ),
    )  # fmt: skip
    # a resend of September supersedes: its deliveries are the baseline now
    d9b = digests_for("sep-b")
    db.publish_release(
        engine,
        make_request(period="2026-09", tag="sep-b",
                     deliveries=[delivery("2026-09", "dukcapil", d9b["dukcapil"], rows=950)]),
    )  # fmt: skip
    # October failed validation: recorded without a release
    assert (
        db.record_deliveries(
            engine, [delivery("2026-10", "dukcapil", "f" * 64, "FAILED", rows=2000)]
        )
        == 1
    )

    prev = db.previous_accepted_delivery(engine, "dukcapil", "2026-11")
    assert prev is not None and prev.period == "2026-09" and prev.sha256 == d9b["dukcapil"]
    assert prev.rows_total == 950 and prev.release_id is not None
    assert prev.checked_at.tzinfo is not None
    assert db.previous_accepted_delivery(engine, "dtsen", "2026-10") is None  # from v1 only
    operator = db.previous_accepted_delivery(engine, "bpjstk", "2026-10")
    assert operator is None  # the bpjstk delivery belongs to superseded v1
    assert db.previous_accepted_delivery(engine, "dukcapil", "2026-09") is None
    assert len(db.deliveries(engine, "2026-10")) == 1
    assert [d.status for d in db.deliveries(engine, "2026-10")] == ["FAILED"]


def test_operator_accepted_delivery_is_a_baseline(engine, make_request, digests_for):
    d = digests_for("x")
    db.publish_release(
        engine,
        make_request(
            period="2026-09", tag="x", accepted_flags=("bpjstk",),
            deliveries=[{"source": "bpjstk", "file_name": "b.csv.gz", "sha256": d["bpjstk"],
                         "rows_total": 10, "rows_accepted": 8, "rows_rejected": 2,
                         "status": "ACCEPTED_BY_OPERATOR"}],
        ),
    )  # fmt: skip
    row = db.previous_accepted_delivery(engine, "bpjstk", "2026-10")
    assert row is not None and row.period == "2026-09" and row.status == "ACCEPTED_BY_OPERATOR"
    assert (
        db.previous_accepted_delivery(engine, "bpjstk", "2026-10", statuses=("ACCEPTED",)) is None
    )


def test_release_json_columns(engine, make_request):
    import numpy as np

    db.publish_release(
        engine,
        make_request(
            accepted_flags=("dtsen",),
            validation={"dtsen": {"rows_total": np.int64(12), "passed": False}},
            quota_summary={"cap": 51_666, "budget_cap": None},
        ),
    )
    release = db.latest_release(engine, "2026-10")
    assert release.accepted_flags == ("dtsen",)
    assert release.validation == {"dtsen": {"rows_total": 12, "passed": False}}
    assert release.quota_summary == {"cap": 51_666, "budget_cap": None}
    assert release.input_digests.keys() == {"dukcapil", "dtsen", "bpjstk"}


@pytest.mark.parametrize(
    "bad",
    [
        {"period": "2026-13"},
        {"input_digests": {"dukcapil": "0" * 64, "dtsen": "0" * 64}},
        {"input_digests": {"dukcapil": "0" * 64, "dtsen": "0" * 64, "bpjstk": "XYZ"}},
        {"entries": pd.DataFrame({"nik": ["1"]})},
        {"changes": pd.DataFrame({"nik": ["1"]})},
        {"deliveries": [{"source": "dukcapil", "file_name": "x", "status": "MAYBE"}]},
        {"deliveries": [{"source": "dukcapil", "oops": 1}]},
    ],
    ids=["period", "digest-keys", "digest-hex", "entry-columns", "change-columns",
         "delivery-status", "delivery-keys"],
)  # fmt: skip
def test_malformed_request_writes_nothing(engine, make_request, counts_of, bad):
    rows = counts_of(engine)
    with pytest.raises(ValueError):
        db.publish_release(engine, make_request(**bad))
    assert counts_of(engine) == rows


def test_null_in_not_null_entry_column_is_refused_before_writing(
    engine, make_request, entries_sample
):
    entries = entries_sample.assign(
        decision=entries_sample["decision"].where(lambda s: s != "KEEP")
    )
    with pytest.raises(ValueError, match="decision has 1 empty"):
        db.publish_release(engine, make_request(entries=entries))
    assert db.latest_release(engine, "2026-10") is None


def test_reading_an_unmigrated_database_says_so(db_url):
    engine = db.make_engine(db_url)
    try:
        with pytest.raises(db.RegistryDatabaseError, match="registry database error"):
            db.latest_release(engine, "2026-10")
    finally:
        engine.dispose()
