"""The period history's rules: which release a period is built on (or why it is refused),
which later releases a new version makes stale, and the decision changes between two
versions."""

from __future__ import annotations

import pandas as pd
import pytest

from core.errors import DataError, PeriodOutOfOrder
from domain.history import (
    ABSENT,
    DECISION_CHANGE_COLUMNS,
    ReleaseRef,
    base_release,
    decision_change_counts,
    decision_changes,
    first_period,
    stale_marks,
    version_diff,
)


def ref(rid, period, version=1, based_on=None, stale=False):
    return ReleaseRef(rid, period, version, based_on, stale)


AUG, SEP, OCT = ref(1, "2026-08"), ref(2, "2026-09", based_on=1), ref(3, "2026-10", based_on=2)


def test_first_period_is_the_setting_else_the_earliest_published():
    assert first_period("2026-07", ["2026-09"]) == "2026-07"
    assert first_period(None, ["2026-10", "2026-09"]) == "2026-09"
    assert first_period(None, []) is None


def test_a_period_is_built_on_the_current_release_of_the_one_before():
    assert base_release("2026-11", [AUG, SEP, OCT], None) == OCT
    assert base_release("2026-08", [AUG, SEP, OCT], None) is None  # the first period
    assert base_release("2026-09", [], None) is None  # an empty registry: the first
    assert base_release("2026-09", [], "2026-09") is None
    assert base_release("2026-08", [AUG, SEP], "2026-08") is None


def test_a_missing_previous_period_is_refused_naming_what_to_run():
    with pytest.raises(PeriodOutOfOrder) as info:
        base_release("2026-10", [], "2026-09")
    message = str(info.value)
    assert "previous period 2026-09 has no published release" in message
    assert "sigap run --period 2026-09" in message and "sigap backfill --from 2026-09 --to 2026-10" in message
    assert isinstance(info.value, DataError)  # not retried
    # a gap of two months: backfill from the first missing one
    with pytest.raises(PeriodOutOfOrder, match="backfill --from 2026-09 --to 2026-11"):
        base_release("2026-11", [AUG], None)


def test_a_stale_base_is_refused_naming_the_first_stale_period():
    stale_sep, stale_oct = ref(2, "2026-09", based_on=1, stale=True), ref(3, "2026-10", based_on=2, stale=True)
    with pytest.raises(PeriodOutOfOrder, match=r"--period 2026-09 --cascade"):
        base_release("2026-11", [AUG, stale_sep, stale_oct], None)


def test_a_period_before_the_first_is_refused():
    with pytest.raises(PeriodOutOfOrder) as info:
        base_release("2026-08", [SEP, OCT], None)
    assert "before the registry's first period 2026-09" in str(info.value)
    assert 'registry.first_period = "2026-08"' in str(info.value)
    with pytest.raises(PeriodOutOfOrder, match="registry.first_period in the settings"):
        base_release("2026-08", [], "2026-09")


def test_stale_marks_follow_the_chain_from_the_superseded_release():
    nov = ref(4, "2026-11", based_on=3)
    sep2 = ref(9, "2026-09", version=2, based_on=1)
    marks = stale_marks(sep2, SEP, [OCT, nov])
    assert [(m.release_id, m.period) for m in marks] == [(3, "2026-10"), (4, "2026-11")]
    assert marks[0].because == (
        "2026-10 v1 (release 3) was built on 2026-09 v1 (release 2), which was superseded by "
        "2026-09 v2 (release 9)."
    )
    assert "2026-11 v1 (release 4) was built on 2026-10 v1 (release 3), which is stale" in marks[1].because
    # nothing after: nothing stale; a later release built on something else: chain stops
    assert stale_marks(ref(5, "2026-11", version=2, based_on=3), nov, []) == []
    other = ref(6, "2026-11", based_on=99)
    assert [m.release_id for m in stale_marks(sep2, SEP, [OCT, other])] == [3]
    # already stale: not marked again, but the chain goes on through it
    marks = stale_marks(sep2, SEP, [ref(3, "2026-10", based_on=2, stale=True), nov])
    assert [m.release_id for m in marks] == [4]
    # a gap ends the chain
    assert stale_marks(sep2, SEP, [ref(7, "2026-11", based_on=3)]) == []


def test_a_release_built_as_the_first_period_is_stale_once_a_period_precedes_it():
    marks = stale_marks(ref(8, "2026-09"), None, [ref(3, "2026-10")])
    assert [m.release_id for m in marks] == [3]
    assert "built as the registry's first period" in marks[0].because


def _entries(*rows):
    columns = ["nik", "kpj", "nama", "kode_kelurahan", "decision", "reasons"]
    return pd.DataFrame([dict(zip(columns, r)) for r in rows], columns=columns)


def test_decision_changes_person_by_person():
    before = _entries(
        ("3275010101900001", "11000000001", "SITI", "32.75.01.1001", "KEEP", ""),
        ("3275010101900002", "11000000002", "BUDI", "32.75.01.1001", "KEEP", ""),
        ("3275010101900003", None, "RINA", "32.75.01.1002", "WAITLIST", ""),
        ("3275010101900004", None, "AGUS", "32.75.01.1002", "ENROLL", ""),
    )
    after = _entries(
        ("3275010101900001", "11000000001", "SITI", "32.75.01.1001", "TERMINATE", "DECEASED"),
        ("3275010101900002", "11000000002", "BUDI", "32.75.01.1001", "KEEP", "VERIFIED_ELIGIBLE"),
        ("3275010101900003", None, "RINA", "32.75.01.1002", "ENROLL", ""),
        ("3275010101900005", None, "DEWI", "32.75.01.1003", "WAITLIST", ""),
    )
    changes = decision_changes(before, after)
    assert tuple(changes.columns) == DECISION_CHANGE_COLUMNS
    assert changes[["nik", "decision_before", "decision_after"]].values.tolist() == [
        ["3275010101900005", ABSENT, "WAITLIST"],
        ["3275010101900004", "ENROLL", ABSENT],
        ["3275010101900001", "KEEP", "TERMINATE"],
        ["3275010101900003", "WAITLIST", "ENROLL"],
    ]
    assert changes.loc[2, "reasons_after"] == "DECEASED" and changes.loc[2, "nama"] == "SITI"
    assert decision_change_counts(changes) == {
        "(none) -> WAITLIST": 1, "ENROLL -> (none)": 1, "KEEP -> TERMINATE": 1, "WAITLIST -> ENROLL": 1,
    }  # fmt: skip
    assert decision_changes(before, before).empty


def test_version_diff_names_inputs_rules_and_base():
    before = _entries(("3275010101900001", "11000000001", "SITI", "x", "KEEP", ""))
    after = _entries(("3275010101900001", "11000000001", "SITI", "x", "TERMINATE", "DECEASED"))
    diff = version_diff(
        "2026-09", ref(2, "2026-09", based_on=1), ref(9, "2026-09", 2, based_on=7),
        {"dukcapil": "a" * 64, "dtsen": "b" * 64}, {"dukcapil": "c" * 64, "dtsen": "b" * 64},
        before, after, from_rules="r1", to_rules="r1",
    )  # fmt: skip
    assert list(diff.digests_changed) == ["dukcapil"] and diff.rules_changed is None
    assert diff.base_changed == (1, 7) and diff.counts == {"KEEP -> TERMINATE": 1}
    text = "\n".join(diff.lines())
    assert "dukcapil: aaaaaaaaaaaa -> cccccccccccc" in text and "base release: 1 -> 7" in text
    assert "3275010101900001" not in text and "SITI" not in text
