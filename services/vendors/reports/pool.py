"""The vendor pool: who the City could buy from, per commodity code, and where that pool is thin.

Per code at the requested level (a vendor registered under `620-80-21` counts under `620-80` and `620`):
- registered: vendors registered under it, merged records aside (a merged record is another's duplicate);
- active: those whose status is `active`;
- certified: active ones holding a certification (other than `obe`) valid today;
- spend: the City's prime spend in the code in the fiscal year.

Codes come from the registrations and from the spend, so a code the City buys in and no vendor is
registered under is listed too. A code is a gap when it has fewer than `min_active` active vendors, or
when the City spent in it and none of its active vendors is certified.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Table, and_, exists, func, literal, or_, select, true
from sqlalchemy.sql import Select

from services.vendors.certifications.validity import certifications, valid_on
from services.vendors.contracts import SpendDimension, VendorStatus
from services.vendors.registry.models import VendorCommodityRow, VendorRow
from services.vendors.reports import cube
from services.vendors.reports.categories import code_at_level
from services.vendors.reports.spend import SpendFilters, choose_source

vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]
commodities: Table = VendorCommodityRow.__table__  # type: ignore[attr-defined]

NOT_CERTIFIED = "obe"


class PoolRecord(NamedTuple):
    """A row of `statement`: a code's counts, its spend, and which gaps it has."""

    category_scheme: str
    category_code: str
    registered_count: int
    active_count: int
    certified_count: int
    spend: Decimal
    few_active_vendors: bool
    no_certified_vendor: bool


@dataclass(frozen=True)
class PoolQuery:
    level: int
    fiscal_year: int
    min_active: int
    gaps_only: bool
    today: date
    spend_filters: SpendFilters  # the fiscal year's dates, and the code filter
    scheme: str | None

    def fingerprint(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "fiscal_year": self.fiscal_year,
            "min_active": self.min_active,
            "gaps_only": self.gaps_only,
            "today": self.today,
            "scheme": self.scheme,
            **self.spend_filters.fingerprint(),
        }


def _registrations(query: PoolQuery) -> Any:
    c, v = commodities.c, vendors.c
    code = code_at_level(c.scheme, c.code, query.level)
    active = v.status == VendorStatus.active.value
    certified = exists().where(
        certifications.c.vendor_id == v.id, certifications.c.type != NOT_CERTIFIED, valid_on(query.today)
    )
    conditions = [v.status != VendorStatus.merged.value]
    if query.scheme is not None:
        conditions.append(c.scheme == query.scheme)
    if query.spend_filters.category is not None:
        scheme, prefix = query.spend_filters.category
        conditions += [c.scheme == scheme, c.code.startswith(prefix, autoescape=True)]
    return (
        select(
            c.scheme.label("category_scheme"),
            code.label("category_code"),
            func.count(v.id.distinct()).label("registered_count"),
            func.count(v.id.distinct()).filter(active).label("active_count"),
            func.count(v.id.distinct()).filter(and_(active, certified)).label("certified_count"),
        )
        .select_from(commodities.join(vendors, v.id == c.vendor_id))
        .where(*conditions)
        .group_by(c.scheme, code)
        .subquery("registrations")
    )


def _spend(query: PoolQuery) -> Any:
    dimensions = (SpendDimension.category,)
    source = choose_source(cube.needs(dimensions), query.spend_filters, query.level)
    keys = cube.key_columns(dimensions, source, query.level)
    conditions = source.conditions(query.spend_filters)
    if query.scheme is not None:
        conditions.append(source["category_scheme"] == query.scheme)
    return (
        select(*keys, func.sum(source["amount"]).label("spend"))
        .where(*conditions)
        .group_by(*keys)
        .subquery("spend")
    )


def statement(query: PoolQuery) -> tuple[Select[Any], list[ColumnElement[Any]]]:
    registered, spent = _registrations(query), _spend(query)
    r, s = registered.c, spent.c
    both = registered.join(
        spent, and_(r.category_scheme == s.category_scheme, r.category_code == s.category_code), full=True
    )
    zero = literal(0)
    active = func.coalesce(r.active_count, zero)
    certified = func.coalesce(r.certified_count, zero)
    spend = func.coalesce(s.spend, zero)
    few_active = active < query.min_active
    no_certified = and_(spend > 0, certified == 0)
    pool = (
        select(
            func.coalesce(r.category_scheme, s.category_scheme).label("category_scheme"),
            func.coalesce(r.category_code, s.category_code).label("category_code"),
            func.coalesce(r.registered_count, zero).label("registered_count"),
            active.label("active_count"),
            certified.label("certified_count"),
            spend.label("spend"),
            few_active.label("few_active_vendors"),
            no_certified.label("no_certified_vendor"),
        )
        .select_from(both)
        .where(or_(few_active, no_certified) if query.gaps_only else true())
        .subquery("pool")
    )
    return select(pool), [pool.c.category_scheme, pool.c.category_code]
