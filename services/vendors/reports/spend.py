"""Where spend is read from: the smallest table that answers a question exactly, and its filters.

Four tables hold the same spend at different grains: `payments` (every line) and three rollups,
`spend_category_yearly` (fiscal year × category at level 2 × vendor), `spend_department_quarterly`
(fiscal quarter × department × vendor) and `spend_department_monthly` (month × department × vendor). A
question reads a rollup only when the rollup holds everything it asks for: its dimensions, its filters,
and a date range of whole periods of the rollup's grain. Otherwise it reads `payments`. The answer is
the same either way; only the rows scanned differ.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Integer, Table, case, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

from services.common.clock import fiscal_year
from services.common.series import SeriesPeriod, next_period_start, period_start
from services.vendors.payments.models import PaymentRow
from services.vendors.reports.categories import ROLLUP_LEVEL, code_at_level, level_length
from services.vendors.reports.models import (
    SpendCategoryYearlyRow,
    SpendDepartmentMonthlyRow,
    SpendDepartmentQuarterlyRow,
)

payments: Table = PaymentRow.__table__  # type: ignore[attr-defined]
by_category_yearly: Table = SpendCategoryYearlyRow.__table__  # type: ignore[attr-defined]
by_department_quarterly: Table = SpendDepartmentQuarterlyRow.__table__  # type: ignore[attr-defined]
by_department_monthly: Table = SpendDepartmentMonthlyRow.__table__  # type: ignore[attr-defined]

# The City pays in dollars; a line in another currency, should one ever be loaded, is left out of sums
# rather than added to them.
REPORT_CURRENCY = "USD"


class Grain(enum.StrEnum):
    """What a question splits or filters spend by."""

    vendor = "vendor"
    department = "department"
    category = "category"
    month = "month"
    quarter = "quarter"
    fiscal_year = "fiscal_year"


@dataclass(frozen=True)
class SpendFilters:
    """Which lines count. Dates are inclusive; None leaves that end open."""

    tier: str = "prime"
    first_day: date | None = None
    last_day: date | None = None
    departments: tuple[str, ...] = ()
    vendor_ids: tuple[uuid.UUID, ...] = ()
    category: tuple[str, str] | None = None  # (scheme, code prefix)

    def fingerprint(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "departments": ",".join(self.departments),
            "vendor_ids": ",".join(str(v) for v in self.vendor_ids),
            "category": ":".join(self.category) if self.category else None,
        }


def implied(key: Collection[Grain]) -> frozenset[Grain]:
    """`key` without the periods its finer periods already fix (a month fixes its quarter and year)."""
    reduced = set(key)
    if Grain.month in reduced:
        reduced -= {Grain.quarter, Grain.fiscal_year}
    if Grain.quarter in reduced:
        reduced.discard(Grain.fiscal_year)
    return frozenset(reduced)


def aligned(first: date | None, last: date | None, period: SeriesPeriod) -> bool:
    """Whether [first, last] starts and ends on `period` boundaries (an open end is aligned)."""
    if first is not None and period_start(first, period) != first:
        return False
    return last is None or next_period_start(period_start(last, period), period) == last + timedelta(days=1)


def fiscal_quarter_of(day: ColumnElement[Any]) -> ColumnElement[int]:
    """1 for July–September through 4 for April–June (clock.fiscal_quarter, in SQL)."""
    month_number = cast(func.date_part("month", day), Integer)
    return (month_number + 5) % 12 // 3 + 1


@dataclass(frozen=True)
class SpendSource:
    """A spend table: what it can split by, its key, its date grain, and its columns' expressions."""

    name: str
    table: Table
    grains: frozenset[Grain]
    key: frozenset[Grain]  # one row per value of these (tier and currency aside)
    period: SeriesPeriod | None  # its date grain; None for payments (any day)
    columns: dict[str, ColumnElement[Any]]

    def __getitem__(self, name: str) -> ColumnElement[Any]:
        return self.columns[name]

    def answers(self, needs: Collection[Grain], filters: SpendFilters, level: int) -> bool:
        if not set(needs) <= self.grains:
            return False
        if self.period is not None and not aligned(filters.first_day, filters.last_day, self.period):
            return False
        if filters.departments and Grain.department not in self.grains:
            return False
        if Grain.category in needs and self.table is not payments and level > ROLLUP_LEVEL:
            return False
        return filters.category is None or self._holds_prefix(*filters.category)

    def _holds_prefix(self, scheme: str, prefix: str) -> bool:
        if self.table is payments:
            return True
        kept = level_length(scheme, ROLLUP_LEVEL) if Grain.category in self.grains else None
        return kept is not None and len(prefix) <= kept

    def one_row_per(self, key: Collection[Grain], level: int) -> bool:
        """Whether each row is already one cell and vendor (no need to sum rows per vendor)."""
        exact_category = Grain.category not in key or level == ROLLUP_LEVEL
        return self.table is not payments and implied(key) == self.key and exact_category

    def conditions(self, filters: SpendFilters) -> list[ColumnElement[bool]]:
        c = self.columns
        conditions = [c["tier"] == filters.tier, c["currency"] == REPORT_CURRENCY]
        conditions += self._date_conditions(filters.first_day, filters.last_day)
        if filters.departments:
            conditions.append(c["department"].in_(filters.departments))
        if filters.vendor_ids:
            conditions.append(c["vendor_id"].in_(filters.vendor_ids))
        if filters.category is not None:
            scheme, prefix = filters.category
            conditions.append(c["category_scheme"] == scheme)
            conditions.append(c["category_code_stored"].startswith(prefix, autoescape=True))
        return conditions

    def _date_conditions(self, first: date | None, last: date | None) -> list[ColumnElement[bool]]:
        day = self.columns["day"]
        if self.period is SeriesPeriod.fiscal_year:
            bounds = [
                day >= fiscal_year(first) if first else None,
                day <= fiscal_year(last) if last else None,
            ]
        else:
            bounds = [day >= first if first else None, day <= last if last else None]
        return [bound for bound in bounds if bound is not None]


def _payments() -> SpendSource:
    p = payments.c
    return SpendSource(
        "payments",
        payments,
        grains=frozenset(Grain),
        key=frozenset(),
        period=None,
        columns={
            "tier": p.tier,
            "currency": p.currency,
            "day": p.paid_date,
            "department": p.department,
            "vendor_id": p.vendor_id,
            "category_scheme": p.category_scheme,
            "category_code_stored": p.category_code,
            "month": cast(func.date_trunc("month", p.paid_date), Date),
            "fiscal_year": p.fiscal_year,
            "fiscal_quarter": fiscal_quarter_of(p.paid_date),
            "amount": p.amount,
            "on_contract_amount": case((p.contract_id.is_not(None), p.amount), else_=literal(0)),
            "payment_count": literal(1),
        },
    )


def _rollup_columns(table: Table) -> dict[str, ColumnElement[Any]]:
    c = table.c
    names = ("tier", "currency", "vendor_id", "fiscal_year", "amount", "on_contract_amount", "payment_count")
    return {name: c[name] for name in names}


def _department_monthly() -> SpendSource:
    c = by_department_monthly.c
    columns = _rollup_columns(by_department_monthly) | {
        "day": c.month,
        "department": c.department,
        "month": c.month,
        "fiscal_quarter": fiscal_quarter_of(c.month),
    }
    grains = frozenset({Grain.vendor, Grain.department, Grain.month, Grain.quarter, Grain.fiscal_year})
    key = frozenset({Grain.vendor, Grain.department, Grain.month})
    return SpendSource("department_monthly", by_department_monthly, grains, key, SeriesPeriod.month, columns)


def _department_quarterly() -> SpendSource:
    c = by_department_quarterly.c
    columns = _rollup_columns(by_department_quarterly) | {
        "day": c.quarter,
        "department": c.department,
        "fiscal_quarter": c.fiscal_quarter,
    }
    grains = frozenset({Grain.vendor, Grain.department, Grain.quarter, Grain.fiscal_year})
    key = frozenset({Grain.vendor, Grain.department, Grain.quarter})
    return SpendSource(
        "department_quarterly", by_department_quarterly, grains, key, SeriesPeriod.quarter, columns
    )


def _category_yearly() -> SpendSource:
    c = by_category_yearly.c
    columns = _rollup_columns(by_category_yearly) | {
        "day": c.fiscal_year,
        "category_scheme": c.category_scheme,
        "category_code_stored": c.category_code,
    }
    grains = frozenset({Grain.vendor, Grain.category, Grain.fiscal_year})
    return SpendSource(
        "category_yearly", by_category_yearly, grains, grains, SeriesPeriod.fiscal_year, columns
    )


PAYMENTS = _payments()
# Smallest first: the first that answers is read.
SOURCES = (_category_yearly(), _department_quarterly(), _department_monthly(), PAYMENTS)


def choose_source(needs: Collection[Grain], filters: SpendFilters, level: int = 4) -> SpendSource:
    return next(source for source in SOURCES if source.answers(needs, filters, level))


def category_code(source: SpendSource, level: int) -> ColumnElement[str]:
    return code_at_level(source["category_scheme"], source["category_code_stored"], level)


# Shares (on-contract, certified, single-bid…) are decimal strings with this many places.
SHARE_PLACES = 6


def share(part: ColumnElement[Any], whole: ColumnElement[Any]) -> ColumnElement[Any]:
    """`part ÷ whole` rounded to SHARE_PLACES; null when the whole is zero."""
    return func.round(part / func.nullif(whole, 0), SHARE_PLACES)
