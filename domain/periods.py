"""Periods are calendar months written ``YYYY-MM``."""

from __future__ import annotations

import re
from datetime import date, timedelta

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(period: str) -> tuple[int, int]:
    """``'2026-10'`` -> ``(2026, 10)``; raises ``ValueError`` with the expected form."""
    m = _PERIOD.match(period or "")
    if not m:
        raise ValueError(f"period {period!r} is not of the form YYYY-MM (e.g. 2026-10)")
    return int(m.group(1)), int(m.group(2))


def reference_date(period: str) -> date:
    """The last day of the period: the date at which ages and statuses are judged."""
    year, month = parse_period(period)
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def previous_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"


def next_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year + (month == 12)}-{month % 12 + 1:02d}"


def compact(period: str) -> str:
    """``'2026-10'`` -> ``'202610'`` (as in file names)."""
    year, month = parse_period(period)
    return f"{year}{month:02d}"
