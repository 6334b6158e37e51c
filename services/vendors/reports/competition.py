"""Competition: how many bidders the City's solicitations draw, how often only one, how fast they award.

The solicitations counted are those whose bids were publicly opened (`opened_at` set), dated by their
close (the City calendar day of `tender_period_end`). A bidder is a bid that was not withdrawn. Time to
award runs from the close day to the award date of the award in force, in days, for the awarded ones.
Groups: the buyer department, the first item's classification, and periods of the close day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Date, Numeric, String, Table, cast, func, select, within_group
from sqlalchemy.sql import Select

from services.common.clock import CITY_TIME_ZONE_NAME
from services.vendors.awards.models import AwardRow
from services.vendors.bids.models import BidRow
from services.vendors.reports.groups import group_columns
from services.vendors.reports.spend import SpendFilters, share
from services.vendors.solicitations.models import SolicitationRow

solicitations: Table = SolicitationRow.__table__  # type: ignore[attr-defined]
bids: Table = BidRow.__table__  # type: ignore[attr-defined]
awards: Table = AwardRow.__table__  # type: ignore[attr-defined]

AVERAGE_PLACES = 2


class CompetitionRecord(NamedTuple):
    """A row of `statement`: the group's keys (those not grouped by are None), then the measures."""

    department: str | None
    category_scheme: str | None
    category_code: str | None
    fiscal_year: int | None
    fiscal_quarter: int | None
    month: date | None
    solicitation_count: int
    bid_count: int
    average_bidders: Decimal | None
    single_bid_count: int
    single_bid_rate: Decimal | None
    no_bid_count: int
    awarded_count: int
    average_days_to_award: Decimal | None
    median_days_to_award: Decimal | None


@dataclass(frozen=True)
class CompetitionQuery:
    groups: tuple[str, ...]
    level: int
    filters: SpendFilters  # dates of the close; departments; category

    def fingerprint(self) -> dict[str, Any]:
        return {"groups": ",".join(self.groups), "level": self.level, **self.filters.fingerprint()}


def close_day() -> ColumnElement[Any]:
    return cast(func.timezone(CITY_TIME_ZONE_NAME, solicitations.c.tender_period_end), Date)


def first_item(field: str) -> ColumnElement[str]:
    return func.jsonb_extract_path_text(solicitations.c["items"], "0", "classification", field, type_=String)


def _per_solicitation(query: CompetitionQuery) -> Any:
    s = solicitations.c
    bid_counts = (
        select(bids.c.solicitation_id, func.count().label("bidders"))
        .where(bids.c.status != "withdrawn")
        .group_by(bids.c.solicitation_id)
        .subquery("bid_counts")
    )
    in_force = select(awards.c.solicitation_id, awards.c.award_date).where(awards.c.status == "active")
    award = in_force.subquery("award_in_force")
    day = close_day()
    keys = group_columns(
        query.groups,
        day=day,
        department=s.buyer_department,
        category_scheme=first_item("scheme"),
        category_code=first_item("code"),
        level=query.level,
    )
    filters = query.filters
    conditions: list[ColumnElement[bool]] = [s.opened_at.is_not(None)]
    conditions += [day >= filters.first_day] if filters.first_day else []
    conditions += [day <= filters.last_day] if filters.last_day else []
    if filters.departments:
        conditions.append(s.buyer_department.in_(filters.departments))
    if filters.category is not None:
        scheme, prefix = filters.category
        conditions += [first_item("scheme") == scheme, first_item("code").startswith(prefix, autoescape=True)]
    return (
        select(
            *keys,
            func.coalesce(bid_counts.c.bidders, 0).label("bidders"),
            (award.c.award_date - day).label("days_to_award"),
        )
        .select_from(
            solicitations.outerjoin(bid_counts, bid_counts.c.solicitation_id == s.id).outerjoin(
                award, award.c.solicitation_id == s.id
            )
        )
        .where(*conditions)
        .subquery("per_solicitation")
    ), [key.name for key in keys]


def statement(query: CompetitionQuery) -> tuple[Select[Any], list[ColumnElement[Any]]]:
    per, names = _per_solicitation(query)
    p = per.c
    keys = [p[name] for name in names]
    count = func.count()
    single = func.count().filter(p.bidders == 1)
    median = within_group(func.percentile_cont(0.5), p.days_to_award)
    report = (
        select(
            *keys,
            count.label("solicitation_count"),
            func.coalesce(func.sum(p.bidders), 0).label("bid_count"),
            func.round(func.avg(p.bidders), AVERAGE_PLACES).label("average_bidders"),
            single.label("single_bid_count"),
            share(cast(single, Numeric), count).label("single_bid_rate"),
            func.count().filter(p.bidders == 0).label("no_bid_count"),
            func.count(p.days_to_award).label("awarded_count"),
            func.round(func.avg(p.days_to_award), AVERAGE_PLACES).label("average_days_to_award"),
            func.round(cast(median, Numeric), AVERAGE_PLACES).label("median_days_to_award"),
        )
        .group_by(*keys)
        .subquery("competition")
    )
    return select(report), [report.c[name] for name in names] or [report.c.solicitation_count]
