"""What each release must deliver (``release_file``, migration 0006), on SQLite and
PostgreSQL: recorded in the publishing transaction or not at all, marked as files reach
the outbox and the outbound endpoint, summarised per period for ``sigap status``; and the
registry and BPJS files made again from the database are the published bytes."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from connectors import registry_db as db
from connectors.outbox import render_csv
from domain.release_files import mutasi_rows, registry_rows


def _files(pending, *, upload_due=False) -> list[db.ReleaseFile]:
    tag = f"{pending.period.replace('-', '')}_v{pending.version}"
    return [
        db.ReleaseFile(f"registry_{tag}.csv", "registry", "a" * 64, 10, f".staging/{tag}.x", upload_due),
        db.ReleaseFile(f"mutasi_bpjstk_{tag}.csv", "mutasi", "b" * 64, 5, f".staging/{tag}.x", upload_due),
        db.ReleaseFile("verifikasi", "worklists"),
    ]


def test_files_are_recorded_in_the_publishing_transaction(engine, make_request):
    outcome = db.publish_release(engine, make_request(), while_loading=lambda p: _files(p, upload_due=True))
    rows = db.release_files(engine, outcome.release_id)
    assert [(r.path, r.kind, r.is_file) for r in rows] == [
        ("registry_202610_v1.csv", "registry", True),
        ("mutasi_bpjstk_202610_v1.csv", "mutasi", True),
        ("verifikasi", "worklists", False),
    ]
    first = rows[0]
    assert (first.sha256, first.size, first.staging, first.upload_due) == ("a" * 64, 10, ".staging/202610_v1.x", True)
    assert (first.period, first.version, first.release_status) == ("2026-10", 1, "PUBLISHED")
    assert first.recorded_at.tzinfo is not None and first.delivered_at is None
    assert rows[2].upload_due is False  # a marker is never uploaded
    assert [r.path for r in db.pending_release_files(engine)] == [r.path for r in rows]


@pytest.mark.parametrize("where", ["while_loading", "before_commit", "duplicate"])
def test_a_failed_publish_records_no_file(engine, make_request, counts_of, where):
    def files(pending):
        if where == "while_loading":
            raise OSError("staging disk full (injected)")
        out = _files(pending)
        return out + out[:1] if where == "duplicate" else out

    def explode(pending):
        if where == "before_commit":
            raise RuntimeError("killed before the commit (injected)")

    with pytest.raises((OSError, RuntimeError, ValueError)):
        db.publish_release(engine, make_request(), while_loading=files, before_commit=explode)
    assert counts_of(engine)["release_file"] == 0
    assert counts_of(engine)["registry_release"] == 0


def test_marks_pending_and_the_period_overview(engine, make_request):
    v1 = db.publish_release(engine, make_request(period="2026-09"), while_loading=lambda p: _files(p, upload_due=True))
    v2 = db.publish_release(engine, make_request(period="2026-10"), while_loading=_files)
    overview = {p.period: p for p in db.period_deliveries(engine)}
    assert (overview["2026-09"].files, overview["2026-09"].undelivered, overview["2026-09"].not_uploaded) == (2, 2, 2)
    assert overview["2026-09"].worklists_due and overview["2026-09"].pending
    assert (overview["2026-10"].undelivered, overview["2026-10"].not_uploaded) == (2, 0)

    assert db.mark_delivered(engine, v1.release_id, ["registry_202609_v1.csv", "mutasi_bpjstk_202609_v1.csv"]) == 2
    assert db.mark_delivered(engine, v1.release_id, ["registry_202609_v1.csv"]) == 0  # keeps its time
    assert db.mark_uploaded(engine, v1.release_id, ["registry_202609_v1.csv"]) == 1
    pending = {(r.release_id, r.path) for r in db.pending_release_files(engine, [v1.release_id])}
    assert pending == {(v1.release_id, "mutasi_bpjstk_202609_v1.csv"), (v1.release_id, "verifikasi")}

    # the worklists: recorded as a set, replacing an earlier one, the marker done
    wl = [db.ReleaseFile(f"verifikasi/32.75.01.100{i}/worklist_202609_v1.csv", "worklist", "c" * 64, i + 1,
                         ".staging/worklists_202609_v1.y", True) for i in range(3)]  # fmt: skip
    assert db.replace_release_files(engine, v1.release_id, "worklist", wl, marker_kind="worklists") == 3
    assert db.replace_release_files(engine, v1.release_id, "worklist", wl[:2], marker_kind="worklists") == 2
    kinds = [r.kind for r in db.release_files(engine, v1.release_id)]
    assert kinds.count("worklist") == 2
    with pytest.raises(ValueError):
        db.replace_release_files(engine, v1.release_id, "worklist", [db.ReleaseFile("x.csv", "registry", "d" * 64, 1)])
    db.mark_delivered(engine, v1.release_id, [f.path for f in wl[:2]])
    db.mark_uploaded(engine, v1.release_id, ["mutasi_bpjstk_202609_v1.csv", *(f.path for f in wl[:2])])
    overview = {p.period: p for p in db.period_deliveries(engine)}
    assert not overview["2026-09"].pending and overview["2026-09"].files == 4
    assert db.pending_release_files(engine, [v1.release_id]) == []
    assert len(db.pending_release_files(engine)) == 3  # 2026-10's
    # a superseded release leaves the overview (one line per period: its current release)
    v3 = db.publish_release(engine, make_request(period="2026-10", tag="b"))
    overview = {p.period: p for p in db.period_deliveries(engine)}
    assert overview["2026-10"].release_id == v3.release_id and overview["2026-10"].files == 0
    assert not overview["2026-10"].pending
    assert {r.release_id for r in db.pending_release_files(engine)} == {v2.release_id}


def test_digest_and_size_come_together(engine, make_request):
    with pytest.raises(ValueError, match="both a sha256 and a size"):
        db.publish_release(
            engine, make_request(), while_loading=lambda p: [db.ReleaseFile("r.csv", "registry", "a" * 64)]
        )
    outcome = db.publish_release(engine, make_request())
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # the database says so too
        conn.execute(
            db.release_file.insert().values(
                release_id=outcome.release_id,
                path="x",
                kind="registry",
                sha256="a" * 64,
                recorded_at=sa.func.now(),
            )
        )


def test_the_registry_and_mutasi_files_are_made_again_byte_for_byte(engine, make_request, entries_sample):
    """What ``sigap repair`` renders from the database when a staged file is lost is the
    file that was published (text with tabs, pipes, quotes, newlines, nulls...)."""
    outcome = db.publish_release(engine, make_request())
    back = db.release_entries(engine, outcome.release_id)
    for make in (
        lambda e: registry_rows(e, outcome.release_id),
        lambda e: mutasi_rows(e, "2026-10"),
    ):
        published, again = render_csv(make(entries_sample)), render_csv(make(back))
        assert hashlib.sha256(again).hexdigest() == hashlib.sha256(published).hexdigest()


def test_a_release_being_delivered_by_a_live_process_is_left_to_it(engine, make_request, tmp_path):
    """place_pending skips a release whose staging folder its publisher still holds, and
    the sweep never removes that folder; once the holder is gone the files are moved,
    marked delivered, and the folder swept."""
    from connectors.delivery import DeliveryReport, place_pending, sweep_staging
    from connectors.outbox import Outbox

    outbox = Outbox(tmp_path / "outbox")
    box = {}

    def stage(pending):
        staged = outbox.staging("202610_v1")
        staged.write_bytes("registry_202610_v1.csv", b"r|1\n")
        box["staged"] = staged
        return [db.ReleaseFile(f.path, f.kind, f.sha256, f.size, staged.staging) for f in staged.manifest()]

    outcome = db.publish_release(engine, make_request(), while_loading=stage)
    staged = box["staged"]
    report = DeliveryReport()
    place_pending(engine, outbox, db.pending_release_files(engine), report)
    sweep_staging(engine, outbox, report)
    assert report.busy == [staged.staging] and not report.moved and not report.staging_removed
    assert staged.folder.is_dir() and not outbox.path("registry_202610_v1.csv").exists()

    staged.release()  # its process is gone
    report = DeliveryReport()
    place_pending(engine, outbox, db.pending_release_files(engine), report)
    sweep_staging(engine, outbox, report)
    assert report.moved == ["registry_202610_v1.csv"] and report.staging_removed == [staged.staging]
    assert db.release_files(engine, outcome.release_id)[0].delivered_at is not None
    assert report.line() == (
        "deliveries completed of 2026-10 v1: 1 file moved from staging into the outbox; "
        "1 staging folder removed"
    )
