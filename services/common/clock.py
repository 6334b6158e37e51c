"""The City's time and calendar: the platform's now, today in Los Angeles, business days, fiscal years.

Every rule that depends on time reads it here, never from `datetime.now` or `date.today`: outside
production the platform's time can be moved forward (the sandbox clock, `services.common.sandbox`), and
tests pin it (`pinned_time`). A request reads it once (`Now`), so that all its rules agree on one
instant: a bid is on time or late, a solicitation open or closed, by the same reading.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import holidays
from fastapi import Depends

CITY_TIME_ZONE_NAME = "America/Los_Angeles"
# The City's days are Los Angeles days: a certificate that expires today is still good until midnight
# there, even when UTC has moved on to tomorrow.
CITY_TIME_ZONE = ZoneInfo(CITY_TIME_ZONE_NAME)


def system_now() -> datetime:
    """The system clock, without the sandbox offset: only the sandbox clock itself reads it."""
    return datetime.now(UTC)


class PlatformClock:
    """The system clock moved forward by the sandbox offset (always zero in production), or pinned by a
    test. One per process; the sandbox keeps `offset` in step with the database."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.pinned: datetime | None = None

    def now(self) -> datetime:
        if self.pinned is not None:
            return self.pinned
        return system_now() + self.offset


PLATFORM_CLOCK = PlatformClock()


def utcnow() -> datetime:
    """The platform's current instant, timezone-aware, in UTC."""
    return PLATFORM_CLOCK.now()


def city_today(at: datetime | None = None) -> date:
    """The calendar day in Los Angeles at `at` (by default, now)."""
    return (at or utcnow()).astimezone(CITY_TIME_ZONE).date()


async def request_time() -> datetime:
    return utcnow()


Now = Annotated[datetime, Depends(request_time)]


class PinnedTime:
    """The platform's time held still by a test; `set` moves it, either way."""

    def __init__(self, clock: PlatformClock) -> None:
        self._clock = clock

    @property
    def now(self) -> datetime:
        assert self._clock.pinned is not None
        return self._clock.pinned

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("pin the clock to an aware datetime")
        self._clock.pinned = when


@contextmanager
def pinned_time(at: datetime) -> Iterator[PinnedTime]:
    """Tests: the platform's time stands at `at` until the block ends."""
    pinned = PinnedTime(PLATFORM_CLOCK)
    pinned.set(at)
    try:
        yield pinned
    finally:
        PLATFORM_CLOCK.pinned = None


# Business days. A business day is a weekday that is not a public holiday in California, as the
# `holidays` package knows them (federal holidays plus California's, such as Cesar Chavez Day and the day
# after Thanksgiving). A day the package lists that the City does not close for only makes a window of
# business days longer, which errs on the side of whoever the window protects.

# Years are filled in lazily, on the first lookup of a date in them.
_CALIFORNIA_HOLIDAYS = holidays.country_holidays("US", subdiv="CA")
SATURDAY = 5


def is_business_day(day: date) -> bool:
    return day.weekday() < SATURDAY and day not in _CALIFORNIA_HOLIDAYS


def add_business_days(start: date, count: int) -> date:
    """The `count`-th business day after `start` (which itself does not count, whatever it is)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


# Fiscal years. Los Angeles's fiscal year runs July 1 to June 30 and is named by the calendar year it
# ends in: FY2026 is July 2025 to June 2026.
FISCAL_YEAR_END_MONTH = 6


def fiscal_year(day: date) -> int:
    """The fiscal year a date falls in."""
    return day.year + 1 if day.month > FISCAL_YEAR_END_MONTH else day.year


def fiscal_quarter(day: date) -> int:
    """1 for July–September through 4 for April–June."""
    return ((day.month - FISCAL_YEAR_END_MONTH - 1) % 12) // 3 + 1


def fiscal_year_dates(year: int) -> tuple[date, date]:
    """The first and last days of fiscal year `year`."""
    return date(year - 1, FISCAL_YEAR_END_MONTH + 1, 1), date(year, FISCAL_YEAR_END_MONTH, 30)
