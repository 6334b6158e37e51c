"""The rows' keys of the reports that group records by department, category and period.

Periods are the City's: a fiscal year is named by the year it ends in (FY2026 = July 2025 to June 2026)
and its quarters are calendar quarters counted from July. The SQL below computes them from a date
column, as `services.common.clock` does in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Date, Integer, cast, func, literal_column
from sqlalchemy.sql.elements import ColumnClause, ColumnElement, Label

from services.vendors.reports.categories import code_at_level
from services.vendors.reports.spend import fiscal_quarter_of

# Adding six months to a day moves July into the next calendar year: the fiscal year's name.
_SIX_MONTHS: ColumnClause[Any] = literal_column("interval '6 months'")


class GroupKeys(Protocol):
    """A grouped report's row keys (`group_columns`): those the report was not grouped by are None."""

    @property
    def department(self) -> str | None: ...
    @property
    def category_scheme(self) -> str | None: ...
    @property
    def category_code(self) -> str | None: ...
    @property
    def fiscal_year(self) -> int | None: ...
    @property
    def fiscal_quarter(self) -> int | None: ...
    @property
    def month(self) -> date | None: ...


def fiscal_year_of(day: ColumnElement[Any]) -> ColumnElement[int]:
    return cast(func.date_part("year", day + _SIX_MONTHS), Integer)


def month_of(day: ColumnElement[Any]) -> ColumnElement[Any]:
    return cast(func.date_trunc("month", day), Date)


def group_columns(
    groups: Sequence[str],
    *,
    day: ColumnElement[Any],
    department: ColumnElement[Any],
    category_scheme: ColumnElement[Any],
    category_code: ColumnElement[Any],
    level: int,
) -> list[Label[Any]]:
    """Labelled key columns, in the order asked; a quarter brings its fiscal year, once."""
    columns: dict[str, ColumnElement[Any]] = {}
    for group in groups:
        if group == "department":
            columns["department"] = department
        elif group == "category":
            columns["category_scheme"] = category_scheme
            columns["category_code"] = code_at_level(category_scheme, category_code, level)
        elif group == "month":
            columns["month"] = month_of(day)
        else:
            columns["fiscal_year"] = fiscal_year_of(day)
            if group == "quarter":
                columns["fiscal_quarter"] = fiscal_quarter_of(day)
    return [expression.label(name) for name, expression in columns.items()]
