"""`MetricSeries`: a metric over time, as one service publishes it and another (the portfolio's
indicators) consumes it.

A series is a metric `key`, its `unit`, the `period` it is bucketed by and one point per period. Periods
follow the City's calendar: months, fiscal quarters (Q1 is July to September) and fiscal years (FY2026
runs July 2025 to June 2026). A point covers its period clipped to the requested range, and says so in
`period_start` and `period_end`, so that a partial first or last period is never mistaken for a whole one.
Values are decimal strings (exact, like money); a point with nothing to measure (a share of no spend)
has a null value.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, PlainSerializer, WithJsonSchema

from services.common.clock import FISCAL_YEAR_END_MONTH, fiscal_quarter, fiscal_year
from services.common.wire import DERIVED_DECIMAL_MAX_LENGTH, WireModel

VALUE_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
FIRST_FISCAL_MONTH = FISCAL_YEAR_END_MONTH % 12 + 1  # July


class MetricUnit(StrEnum):
    """`usd`: dollars (see `currency`); `ratio`: a share between 0 and 1; `count`: a number of things
    (possibly an average, so not always whole)."""

    usd = "usd"
    ratio = "ratio"
    count = "count"  # type: ignore[assignment]  # the unit's name; shadows str.count, unused here


class SeriesPeriod(StrEnum):
    """`month`: calendar months; `quarter`: the City's fiscal quarters; `fiscal_year`: July to June."""

    month = "month"
    quarter = "quarter"
    fiscal_year = "fiscal_year"


SeriesValue = Annotated[
    Decimal,
    PlainSerializer(lambda value: format(value, "f"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": VALUE_PATTERN,
            "maxLength": DERIVED_DECIMAL_MAX_LENGTH,
            "description": "A decimal number as a string, exact.",
            "examples": ["1250.00", "0.4213"],
        }
    ),
]


class SeriesPoint(WireModel):
    model_config = ConfigDict(frozen=True)

    period_start: date = Field(description="First day the point covers (the period's, or the range's).")
    period_end: date = Field(description="Last day the point covers, inclusive.")
    label: str = Field(description="The period's name: `2026-03`, `FY2026-Q3` or `FY2026`.")
    value: SeriesValue | None = Field(description="Null when there is nothing to measure in the period.")


class MetricSeries(WireModel):
    """One metric, one point per period from `from` to `to`, oldest first."""

    key: str = Field(description="The metric's key, e.g. `total_spend`.")
    unit: MetricUnit
    currency: str | None = Field(default=None, description="ISO 4217 code when `unit` is `usd`.")
    period: SeriesPeriod
    points: list[SeriesPoint]
    filters: dict[str, str] = Field(
        default_factory=dict,
        description="The filters the series was computed with, as given (`from`, `to`, `department`…).",
    )


def period_start(day: date, period: SeriesPeriod) -> date:
    """The first day of the period `day` falls in."""
    if period is SeriesPeriod.month:
        return day.replace(day=1)
    if period is SeriesPeriod.quarter:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)  # fiscal quarters are calendar quarters
    return date(fiscal_year(day) - 1, FIRST_FISCAL_MONTH, 1)


def next_period_start(start: date, period: SeriesPeriod) -> date:
    months = {SeriesPeriod.month: 1, SeriesPeriod.quarter: 3, SeriesPeriod.fiscal_year: 12}[period]
    month_index = start.year * 12 + start.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def period_label(start: date, period: SeriesPeriod) -> str:
    if period is SeriesPeriod.month:
        return f"{start.year:04d}-{start.month:02d}"
    if period is SeriesPeriod.quarter:
        return f"FY{fiscal_year(start)}-Q{fiscal_quarter(start)}"
    return f"FY{fiscal_year(start)}"


def periods(first: date, last: date, period: SeriesPeriod) -> list[tuple[date, date, str]]:
    """(start, end, label) of every period from `first` to `last`, the ends clipped to that range."""
    spans = []
    start = period_start(first, period)
    while start <= last:
        following = next_period_start(start, period)
        spans.append(
            (max(start, first), min(following - timedelta(days=1), last), period_label(start, period))
        )
        start = following
    return spans
