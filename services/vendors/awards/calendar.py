"""The City's business days, which protest windows are counted in.

A business day is a weekday that is not a public holiday in California, as the `holidays` package
knows them (federal holidays plus California's, such as Cesar Chavez Day and the day after
Thanksgiving). A day the package lists that the City does not close for only makes a window longer,
which errs on the side of the protester.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays

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
