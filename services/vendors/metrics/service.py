"""A metric's series: its spans, one snapshot for all their statements, one point per period."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.clock import city_today, fiscal_year, fiscal_year_dates
from services.common.problems import NotFound
from services.common.series import MetricSeries, MetricUnit, SeriesPeriod, SeriesPoint, periods
from services.vendors.contracts import MetricDefinition
from services.vendors.metrics.catalogue import METRICS
from services.vendors.metrics.measures import MEASURES, SPLIT_BY_MONTH, Span
from services.vendors.reports.service import check_days, invalid

MAX_YEARS = 25
PLACES = {
    MetricUnit.usd: Decimal("0.01"),
    MetricUnit.ratio: Decimal("0.000001"),
    MetricUnit.count: Decimal("0.01"),
}


def definition(key: str) -> MetricDefinition:
    found = METRICS.get(key)
    if found is None:
        raise NotFound(f"No metric has key {key!r}; `GET /v1/procurement/metrics` lists them.")
    return found


def date_range(first: date | None, last: date | None) -> tuple[date, date]:
    """Default: from the start of the fiscal year of `to` (default today, in Los Angeles) to `to`."""
    check_days(**{"from": first, "to": last})
    last = last or city_today()
    first = first or fiscal_year_dates(fiscal_year(last))[0]
    if first > last:
        raise invalid("to", "`to` is before `from`.", "range")
    if last - first > timedelta(days=366 * MAX_YEARS):
        raise invalid("from", f"A series spans at most {MAX_YEARS} years.", "range")
    return first, last


def month_spans(first: date, last: date) -> list[tuple[date, date]]:
    """[first, last] cut into a head and a tail of partial months and the whole months between."""
    middle_first = first if first.day == 1 else _next_month(first)
    middle_last = (
        last if _next_month(last) - timedelta(days=1) == last else last.replace(day=1) - timedelta(days=1)
    )
    if middle_first > middle_last:
        return [(first, last)]
    spans = [(first, middle_first - timedelta(days=1))] if first < middle_first else []
    spans.append((middle_first, middle_last))
    return spans + ([(middle_last + timedelta(days=1), last)] if middle_last < last else [])


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


async def series(
    session: AsyncSession,
    key: str,
    first: date,
    last: date,
    period: SeriesPeriod,
    department: str | None,
) -> MetricSeries:
    metric = definition(key)
    departments = (department,) if department else ()
    cuts = month_spans(first, last) if key in SPLIT_BY_MONTH else [(first, last)]
    spans = [Span(start, end, period, departments) for start, end in cuts]
    parts = await MEASURES[key].parts(session, spans, period)
    filters = {"from": first.isoformat(), "to": last.isoformat()} | (
        {"department": department} if department else {}
    )
    return MetricSeries(
        key=key,
        unit=metric.unit,
        currency="USD" if metric.unit is MetricUnit.usd else None,
        period=period,
        points=[
            SeriesPoint(
                period_start=start, period_end=end, label=label, value=_value(metric.unit, parts.get(label))
            )
            for start, end, label in periods(first, last, period)
        ],
        filters=filters,
    )


def _value(unit: MetricUnit, part: tuple[Decimal, Decimal] | None) -> Decimal | None:
    numerator, denominator = part or (Decimal(0), Decimal(0))
    if unit is MetricUnit.usd:
        return numerator.quantize(PLACES[unit])
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(PLACES[unit])
