"""The period history in the registry (SQLite and PostgreSQL): a release records its base,
a changed base is not "unchanged", a new version marks the later releases built on the
old one stale (through the chain), and a base that is no longer current is refused."""

from __future__ import annotations

import pytest

from connectors import registry_db as db
from core.errors import PublishConflict


def _chain(engine, make_request, periods=("2026-08", "2026-09", "2026-10")):
    out, base = {}, None
    for period in periods:
        outcome = db.publish_release(engine, make_request(period=period, based_on_release_id=base))
        out[period] = outcome
        base = outcome.release_id
    return out


def test_a_release_records_its_base_and_a_changed_base_is_not_unchanged(engine, make_request):
    first = _chain(engine, make_request, ("2026-08", "2026-09"))
    assert db.latest_release(engine, "2026-09").based_on_release_id == first["2026-08"].release_id
    # same inputs, same base: nothing new
    again = db.publish_release(
        engine, make_request(period="2026-09", based_on_release_id=first["2026-08"].release_id)
    )
    assert (again.status, again.version) == ("UNCHANGED", 1)
    # August gets v2: September's inputs are the same, its base is not
    aug2 = db.publish_release(engine, make_request(period="2026-08", tag="b"))
    sep2 = db.publish_release(engine, make_request(period="2026-09", based_on_release_id=aug2.release_id))
    assert (sep2.status, sep2.version, sep2.based_on_release_id) == ("PUBLISHED", 2, aug2.release_id)
    assert db.latest_release(engine, "2026-09").stale_since is None


def test_a_new_version_marks_the_later_chain_stale(engine, make_request):
    first = _chain(engine, make_request, ("2026-08", "2026-09", "2026-10", "2026-11"))
    sep2 = db.publish_release(
        engine,
        make_request(period="2026-09", tag="b", based_on_release_id=first["2026-08"].release_id),
    )
    assert [(m.period, m.version) for m in sep2.stale] == [("2026-10", 1), ("2026-11", 1)]
    current = {r.period: r for r in db.current_releases(engine)}
    assert not current["2026-08"].stale and not current["2026-09"].stale
    assert current["2026-10"].status == "PUBLISHED" and current["2026-10"].stale
    assert current["2026-10"].stale_because == (
        f"2026-10 v1 (release {first['2026-10'].release_id}) was built on 2026-09 v1 (release "
        f"{first['2026-09'].release_id}), which was superseded by 2026-09 v2 (release {sep2.release_id})."
    )
    assert f"2026-10 v1 (release {first['2026-10'].release_id}), which is stale" in current["2026-11"].stale_because
    assert current["2026-10"].stale_since.tzinfo is not None

    # November on stale October: refused by publishing too (the flow refuses it earlier)
    with pytest.raises(PublishConflict, match="no longer its current release"):
        db.publish_release(
            engine,
            make_request(period="2026-11", tag="c", based_on_release_id=first["2026-10"].release_id),
        )
    # October re-run on September v2: current again; November stays stale (built on v1)
    oct2 = db.publish_release(engine, make_request(period="2026-10", based_on_release_id=sep2.release_id))
    assert oct2.version == 2 and oct2.stale == ()  # November was stale already
    current = {r.period: r for r in db.current_releases(engine)}
    assert not current["2026-10"].stale and current["2026-11"].stale
    nov2 = db.publish_release(engine, make_request(period="2026-11", based_on_release_id=oct2.release_id))
    assert nov2.version == 2
    assert not any(r.stale for r in db.current_releases(engine))
    # the superseded stale releases keep the record of why they were stale
    old_oct = next(r for r in db.releases(engine, "2026-10") if r.version == 1)
    assert old_oct.status == "SUPERSEDED" and old_oct.stale


def test_a_period_published_before_the_first_one_marks_it_stale(engine, make_request):
    """October was published first (no base); September then becomes the first period."""
    octo = db.publish_release(engine, make_request(period="2026-10"))
    sep = db.publish_release(engine, make_request(period="2026-09"))
    assert [m.release_id for m in sep.stale] == [octo.release_id]
    assert "built as the registry's first period" in db.latest_release(engine, "2026-10").stale_because
