from datetime import date, datetime, timezone

import pytest

from domain.periods import compact, next_period, parse_period, period_for_schedule, previous_period, reference_date


@pytest.mark.parametrize(
    "period, last_day",
    [("2026-01", date(2026, 1, 31)), ("2024-02", date(2024, 2, 29)), ("2025-02", date(2025, 2, 28)), ("2026-12", date(2026, 12, 31))],
)
def test_reference_date_is_last_day(period, last_day):
    assert reference_date(period) == last_day


def test_neighbours_across_year():
    assert previous_period("2026-01") == "2025-12"
    assert next_period("2026-12") == "2027-01"
    assert compact("2026-03") == "202603"


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "26-01", "", "2026/01"])
def test_bad_period_is_rejected_with_the_expected_form(bad):
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_period(bad)


@pytest.mark.parametrize(
    "utc, period",
    [
        # 02:00 WIB on the 5th = 19:00 UTC on the 4th
        (datetime(2026, 12, 4, 19, 0, tzinfo=timezone.utc), "2026-11"),
        # year boundary: 5 January in Jakarta reconciles December of the previous year
        (datetime(2026, 1, 4, 19, 0, tzinfo=timezone.utc), "2025-12"),
        # month boundary: 31 Jan 18:00 UTC is already 1 Feb 01:00 in Jakarta
        (datetime(2026, 1, 31, 18, 0, tzinfo=timezone.utc), "2026-01"),
        (datetime(2026, 1, 31, 16, 59, tzinfo=timezone.utc), "2025-12"),
        # 1 January 00:30 WIB is still 31 December in UTC
        (datetime(2026, 12, 31, 17, 30, tzinfo=timezone.utc), "2026-12"),
    ],
)
def test_period_from_schedule_in_jakarta_time(utc, period):
    assert period_for_schedule(utc) == period


def test_naive_schedule_time_is_refused():
    with pytest.raises(ValueError):
        period_for_schedule(datetime(2026, 1, 5, 2, 0))


# --- issue 15 point 10: a period is exactly YYYY-MM, month 01-12, year 2000-2099 --------


@pytest.mark.parametrize(
    "bad",
    [
        "2026-10\n",  # `$` matched before a trailing newline
        "2026-10\r\n",
        " 2026-10",
        "2026-10 ",
        "2026-00",
        "２０２６-10",  # full-width digits are digits to `\d`
        "٢٠٢٦-10",  # Arabic-Indic digits too
        "2026-10-01",
        "202610",
    ],
)
def test_period_must_match_exactly(bad):
    with pytest.raises(ValueError) as info:
        parse_period(bad)
    message = str(info.value)
    assert repr(bad) in message and "YYYY-MM" in message


@pytest.mark.parametrize("bad", [None, 202610, b"2026-10"])
def test_period_that_is_not_text_is_refused(bad):
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_period(bad)


@pytest.mark.parametrize("bad", ["0000-01", "1999-12", "2100-01", "9999-12"])
def test_period_year_outside_the_range_is_refused(bad):
    with pytest.raises(ValueError) as info:
        parse_period(bad)
    message = str(info.value)
    assert repr(bad) in message and "2000" in message and "2099" in message


def test_zero_year_never_gives_a_negative_previous_period():
    # was "-1-12": the range check refuses the period before anything is derived from it
    for derive in (previous_period, next_period, compact, reference_date):
        with pytest.raises(ValueError, match="'0000-01'"):
            derive("0000-01")


def test_range_edges():
    assert parse_period("2000-01") == (2000, 1) and parse_period("2099-12") == (2099, 12)
    assert next_period("2099-11") == "2099-12" and previous_period("2000-02") == "2000-01"
    with pytest.raises(ValueError, match="2000"):
        previous_period("2000-01")
    with pytest.raises(ValueError, match="2099"):
        next_period("2099-12")


def test_delivery_deadline_is_in_the_month_after_the_period_jakarta_time():
    from datetime import UTC, datetime, time

    from domain.periods import delivery_deadline

    deadline = delivery_deadline("2026-11", 10, time(23, 59))
    assert deadline.isoformat() == "2026-12-10T23:59:00+07:00"
    assert deadline.astimezone(UTC) == datetime(2026, 12, 10, 16, 59, tzinfo=UTC)
    assert delivery_deadline("2026-12", 10, time(23, 59)).isoformat() == "2027-01-10T23:59:00+07:00"
