"""``domain.periods.Period``: a period checked once, that says what derives from it."""

from __future__ import annotations

import pickle
from datetime import date

import pytest

from core.errors import InvalidInput
from domain.periods import Period, compact, next_period, previous_period, reference_date


def test_a_period_says_what_derives_from_it():
    p = Period("2026-01")
    assert p == "2026-01" and isinstance(p, str)
    assert (p.year, p.month, p.compact) == (2026, 1, "202601")
    assert (p.previous(), p.next()) == ("2025-12", "2026-02")
    assert isinstance(p.previous(), Period)
    assert p.reference_date == date(2026, 1, 31)
    assert Period(p) is p


@pytest.mark.parametrize("period", ["2026-02", "2024-02", "2026-12", "2000-01", "2099-12"])
def test_it_agrees_with_the_functions(period):
    p = Period(period)
    assert p.compact == compact(period)
    assert p.reference_date == reference_date(period)
    if period != "2000-01":
        assert p.previous() == previous_period(period)
    if period != "2099-12":
        assert p.next() == next_period(period)


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-1", "2026-10\n", " 2026-10", "1999-12", ""])
def test_a_bad_period_is_refused_naming_the_value(bad):
    with pytest.raises(InvalidInput, match="period"):
        Period(bad)


def test_it_survives_pickling_and_json_as_the_string():
    import json

    p = Period("2026-10")
    assert pickle.loads(pickle.dumps(p)) == p
    assert json.dumps({"period": p}) == '{"period": "2026-10"}'


def test_the_flow_parameter_validates_to_a_period():
    from pydantic import TypeAdapter

    from flows.runtime import Period as PeriodParameter

    value = TypeAdapter(PeriodParameter).validate_python("2026-10")
    assert isinstance(value, Period) and value.compact == "202610"
    with pytest.raises(ValueError, match="the month must be 01-12"):
        TypeAdapter(PeriodParameter).validate_python("2026-13")
