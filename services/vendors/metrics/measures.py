"""What each metric sums, per period, over a span of days: a numerator and a denominator.

Both parts add up across spans, so a series over a range that does not start or end on a month boundary
is summed from its whole months (read from the rollups) and its partial ones (read from `payments`), and
a ratio is divided only once the parts are added.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Generic, NamedTuple, Protocol, TypeVar, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.common.series import SeriesPeriod
from services.vendors.contracts import DiversityBasis, DiversityTier, SpendDimension
from services.vendors.reports import competition, cube, diversity, snapshot
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


class PeriodKeys(Protocol):
    """A row's period: the key its statement was grouped by is set, the others are None."""

    @property
    def month(self) -> date | None: ...
    @property
    def fiscal_year(self) -> int | None: ...
    @property
    def fiscal_quarter(self) -> int | None: ...


class PeriodSpendRecord(NamedTuple):
    """A row of `_spend`: a period's spend, and the part of it on contract."""

    month: date | None
    fiscal_year: int | None
    fiscal_quarter: int | None
    amount: Decimal
    on_contract_amount: Decimal


Parts = dict[str, tuple[Decimal, Decimal]]  # period label → (numerator, denominator)
Numbers = tuple[Decimal | int | None, Decimal | int | None]  # a row's (numerator, denominator)


Row = TypeVar("Row", bound=NamedTuple)


@dataclass(frozen=True)
class Measure(Generic[Row]):
    """What a metric reads: its statement per span, the row it reads back (one with `PeriodKeys`), and
    that row's two parts."""

    build: Callable[[Span], Select[Any]]
    row_type: type[Row]
    split: Callable[[Row], Numbers]

    async def parts(self, session: AsyncSession, spans: Sequence[Span], period: SeriesPeriod) -> Parts:
        """Each period's parts, added over the spans, all read in one snapshot."""
        parts: Parts = {}
        for rows in await snapshot.fetch(session, self.row_type, *[self.build(span) for span in spans]):
            for row in rows:
                numerator, denominator = self.split(row)
                # Every measure's statement is grouped by the period, so its row has the period's keys.
                label = period_label(cast(PeriodKeys, row), period)
                before = parts.get(label, (Decimal(0), Decimal(0)))
                parts[label] = (before[0] + Decimal(numerator or 0), before[1] + Decimal(denominator or 0))
        return parts


def period_label(row: PeriodKeys, period: SeriesPeriod) -> str:
    """The label `services.common.series.period_label` gives the row's period."""
    if period is SeriesPeriod.month:
        month = row.month
        assert month is not None
        return f"{month.year:04d}-{month.month:02d}"
    if period is SeriesPeriod.quarter:
        return f"FY{row.fiscal_year}-Q{row.fiscal_quarter}"
    return f"FY{row.fiscal_year}"


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


SPEND, CERTIFIED, COMPETITION = PeriodSpendRecord, diversity.DiversityRecord, competition.CompetitionRecord
AnyMeasure = (
    Measure[PeriodSpendRecord] | Measure[diversity.DiversityRecord] | Measure[competition.CompetitionRecord]
)
MEASURES: dict[str, AnyMeasure] = {
    "total_spend": Measure(_spend, SPEND, lambda row: (row.amount, 1)),
    "on_contract_share": Measure(_spend, SPEND, lambda row: (row.on_contract_amount, row.amount)),
    "certified_share": Measure(_certified, CERTIFIED, lambda row: (row.numerator, row.denominator)),
    "average_bidders": Measure(
        _competition, COMPETITION, lambda row: (row.bid_count, row.solicitation_count)
    ),
    "single_bid_rate": Measure(
        _competition, COMPETITION, lambda row: (row.single_bid_count, row.solicitation_count)
    ),
}
# Spend is read from the rollups for whole months; the others read their records directly in one span.
SPLIT_BY_MONTH = frozenset({"total_spend", "on_contract_share", "certified_share"})
