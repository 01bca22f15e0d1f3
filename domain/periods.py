"""Periods are calendar months written ``YYYY-MM``, in the years ``FIRST_YEAR`` to
``LAST_YEAR`` (2000-2099): exactly seven ASCII characters, nothing before or after (no
trailing newline, no spaces), month ``01``-``12``. Every period that comes from outside
(a command-line option, a flow parameter, a file name) goes through :func:`parse_period`
before anything is derived from it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from core.errors import InvalidInput

#: the years a period may have: the registry starts in 2026, so anything outside this range
#: is a typing error (``0000-01``, ``2206-10``), not a month to reconcile
FIRST_YEAR = 2000
LAST_YEAR = 2099

_PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})")
_FORM = "YYYY-MM, e.g. 2026-10"


def parse_period(period: str) -> tuple[int, int]:
    """``'2026-10'`` -> ``(2026, 10)``; raises ``ValueError`` naming the bad value (its
    ``repr``, so a stray newline or space shows) and the expected form."""
    m = _PERIOD.fullmatch(period) if isinstance(period, str) else None
    if not m:
        raise InvalidInput(f"period {period!r} is not of the form {_FORM}")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise InvalidInput(f"period {period!r}: the month must be 01-12 ({_FORM})")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"period {period!r}: the year must be {FIRST_YEAR}-{LAST_YEAR} ({_FORM})"
        )
    return year, month


def _period(year: int, month: int, of: str, which: str) -> str:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"period {of!r} has no {which} period within the years {FIRST_YEAR}-{LAST_YEAR}"
        )
    return f"{year}-{month:02d}"


def reference_date(period: str) -> date:
    """The last day of the period: the date at which ages and statuses are judged."""
    year, month = parse_period(period)
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def previous_period(period: str) -> str:
    year, month = parse_period(period)
    return _period(year - (month == 1), (month - 2) % 12 + 1, period, "previous")


def next_period(period: str) -> str:
    year, month = parse_period(period)
    return _period(year + (month == 12), month % 12 + 1, period, "next")


def compact(period: str) -> str:
    """``'2026-10'`` -> ``'202610'`` (as in file names)."""
    year, month = parse_period(period)
    return f"{year}{month:02d}"


class Period(str):
    """A period, ``YYYY-MM``, checked once: ``Period('2026-10')`` raises ``InvalidInput``
    for anything else. It is the string itself (a key, a column value, a file-name part)
    and says what the program derives from it.

    >>> p = Period("2026-10")
    >>> (p.year, p.month, p.compact, p.previous(), p.next(), p.reference_date)
    (2026, 10, '202610', '2026-09', '2026-11', datetime.date(2026, 10, 31))
    """

    __slots__ = ()

    def __new__(cls, value: str) -> Period:
        if isinstance(value, Period):
            return value
        parse_period(value)
        return super().__new__(cls, value)

    @property
    def year(self) -> int:
        return int(self[:4])

    @property
    def month(self) -> int:
        return int(self[5:])

    @property
    def compact(self) -> str:
        """``'202610'``: as in file names."""
        return f"{self[:4]}{self[5:]}"

    @property
    def reference_date(self) -> date:
        """The last day of the period: the date at which ages and statuses are judged."""
        return reference_date(self)

    def previous(self) -> Period:
        return Period(previous_period(self))

    def next(self) -> Period:
        return Period(next_period(self))


#: the city's time zone: schedules and period boundaries are in Jakarta time (WIB)
CITY_TIMEZONE = "Asia/Jakarta"


def period_for_schedule(scheduled: datetime) -> str:
    """The period a scheduled monthly run reconciles: the month before the run's date in
    Jakarta time (a run scheduled 2026-12-05 02:00 WIB reconciles 2026-11).

    ``scheduled`` must be time-zone aware (Prefect gives UTC): 2026-01-04T19:00Z is already
    5 January in Jakarta, so it reconciles 2025-12.
    """
    import pendulum

    if scheduled.tzinfo is None:
        raise InvalidInput("the scheduled time must be time-zone aware")
    local = pendulum.instance(scheduled).in_timezone(CITY_TIMEZONE)
    return previous_period(f"{local.year}-{local.month:02d}")


def delivery_deadline(period: str, day: int, at: time) -> datetime:
    """When the extracts of ``period`` must all have been delivered: ``day`` of the month
    after the period at ``at``, Jakarta time (2026-11, day 10, 23:59 -> 2026-12-10 23:59
    WIB). Time-zone aware."""
    from zoneinfo import ZoneInfo

    year, month = parse_period(next_period(period))
    return datetime.combine(date(year, month, day), at, tzinfo=ZoneInfo(CITY_TIMEZONE))
