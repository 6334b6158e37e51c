"""What each metric sums, per period, over a span of days: a numerator and a denominator.

Both parts add up across spans, so a series over a range that does not start or end on a month boundary
is summed from its whole months (read from the rollups) and its partial ones (read from `payments`), and
a ratio is divided only once the parts are added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from services.common.series import SeriesPeriod
from services.vendors.contracts import DiversityBasis, DiversityTier, SpendDimension
from services.vendors.reports import competition, cube, diversity
from services.vendors.reports.spend import SpendFilters, choose_source

PERIOD_DIMENSIONS = {
    SeriesPeriod.month: SpendDimension.month,
    SeriesPeriod.quarter: SpendDimension.quarter,
    SeriesPeriod.fiscal_year: SpendDimension.fiscal_year,
}
CATEGORY_LEVEL = 2  # unused by the metrics' groups, which are periods only


@dataclass(frozen=True)
class Span:
    first: date
    last: date
    period: SeriesPeriod
    departments: tuple[str, ...]

    @property
    def filters(self) -> SpendFilters:
        return SpendFilters(first_day=self.first, last_day=self.last, departments=self.departments)


Parts = dict[str, tuple[Decimal, Decimal]]  # period label → (numerator, denominator)
Measure = tuple[Callable[[Span], Select[Any]], Callable[[dict[str, Any]], tuple[Any, Any]]]


def period_label(row: dict[str, Any], period: SeriesPeriod) -> str:
    """The label `services.common.series.period_label` gives the row's period."""
    if period is SeriesPeriod.month:
        month: date = row["month"]
        return f"{month.year:04d}-{month.month:02d}"
    if period is SeriesPeriod.quarter:
        return f"FY{row['fiscal_year']}-Q{row['fiscal_quarter']}"
    return f"FY{row['fiscal_year']}"


def _spend(span: Span) -> Select[Any]:
    dimensions = (PERIOD_DIMENSIONS[span.period],)
    source = choose_source(cube.needs(dimensions), span.filters)
    keys = cube.key_columns(dimensions, source, CATEGORY_LEVEL)
    return (
        select(
            *keys,
            func.sum(source["amount"]).label("amount"),
            func.sum(source["on_contract_amount"]).label("on_contract_amount"),
        )
        .where(*source.conditions(span.filters))
        .group_by(*keys)
    )


def _certified(span: Span) -> Select[Any]:
    query = diversity.DiversityQuery(
        basis=DiversityBasis.payment,
        tier=DiversityTier.tier_1,
        groups=(PERIOD_DIMENSIONS[span.period].value,),
        level=CATEGORY_LEVEL,
        filters=span.filters,
    )
    statement, _ = diversity.statement(query)
    report = statement.subquery("certified_share")
    return select(report).where(report.c.certification_type == diversity.ANY)


def _competition(span: Span) -> Select[Any]:
    query = competition.CompetitionQuery(
        groups=(PERIOD_DIMENSIONS[span.period].value,), level=CATEGORY_LEVEL, filters=span.filters
    )
    statement, _ = competition.statement(query)
    return statement


MEASURES: dict[str, Measure] = {
    "total_spend": (_spend, lambda row: (row["amount"], 1)),
    "on_contract_share": (_spend, lambda row: (row["on_contract_amount"], row["amount"])),
    "certified_share": (_certified, lambda row: (row["numerator"], row["denominator"])),
    "average_bidders": (_competition, lambda row: (row["bid_count"], row["solicitation_count"])),
    "single_bid_rate": (_competition, lambda row: (row["single_bid_count"], row["solicitation_count"])),
}
# Spend is read from the rollups for whole months; the others read their records directly in one span.
SPLIT_BY_MONTH = frozenset({"total_spend", "on_contract_share", "certified_share"})


def add(parts: Parts, rows: list[dict[str, Any]], key: str, period: SeriesPeriod) -> None:
    _, split = MEASURES[key]
    for row in rows:
        numerator, denominator = split(row)
        label = period_label(row, period)
        before = parts.get(label, (Decimal(0), Decimal(0)))
        parts[label] = (before[0] + Decimal(numerator or 0), before[1] + Decimal(denominator or 0))
