"""The reports' rules: what a request may ask, which statement answers it, and the rows as contracts.

Reports only read. Each runs its statements in one read-only snapshot (`snapshot.py`); a JSON report is
a keyset page over its rows (page 200 costs what page 1 costs, less the aggregation both repeat), a CSV
report streams every row.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.clock import city_today, fiscal_year_dates
from services.common.money import CENTS
from services.common.pagination import Pager
from services.common.problems import FieldError, ValidationFailed
from services.vendors.contracts import (
    CommodityScheme,
    CompetitionRow,
    DiversityRow,
    SpendCell,
    SpendDimension,
    VendorPoolGap,
    VendorPoolRow,
)
from services.vendors.contracts.patterns import CROSS_FIELD
from services.vendors.registry.service import parse_commodity_filter
from services.vendors.reports import competition, cube, diversity, pool, snapshot
from services.vendors.reports.groups import GroupKeys
from services.vendors.reports.spend import SpendFilters
from services.vendors.reports.tabular import Column

# Days a report may name: far enough from the calendar's ends that every period around them exists.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def invalid(parameter: str, message: str, code: str = "value_error") -> ValidationFailed:
    """A 422 naming the query parameter at fault, like the request validation's own."""
    return ValidationFailed(
        message, errors=[FieldError(location=["query", parameter], message=message, code=code)]
    )


def check_days(**days: date | None) -> None:
    for name, day in days.items():
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise invalid(name, f"`{name}` must be between {FIRST_DAY} and {LAST_DAY}.", "date_out_of_range")


def date_range(
    fiscal_year: int | None, first: tuple[str, date | None], last: tuple[str, date | None]
) -> tuple[date | None, date | None]:
    """The days a report covers: the fiscal year's, narrowed by explicit dates (given with the names of
    their parameters, for the errors)."""
    (first_name, first_day), (last_name, last_day) = first, last
    check_days(**{first_name: first_day, last_name: last_day})
    if first_day is not None and last_day is not None and first_day > last_day:
        raise invalid(last_name, f"`{last_name}` is before `{first_name}`.", CROSS_FIELD)
    if fiscal_year is None:
        return first_day, last_day
    year_first, year_last = fiscal_year_dates(fiscal_year)
    return max(year_first, first_day or year_first), min(year_last, last_day or year_last)


def category_filter(value: str | None) -> tuple[str, str] | None:
    return None if value is None else parse_commodity_filter(value)


def distinct(values: Sequence[Any] | None) -> tuple[Any, ...]:
    """The values once each, in the order given."""
    return tuple(dict.fromkeys(values or ()))


# Spend cube

CELLS = TypeAdapter(list[SpendCell])


def check_cube(query: cube.CubeQuery) -> None:
    if query.concentration and SpendDimension.vendor in query.dimensions:
        raise invalid(
            "concentration",
            "Concentration describes how a cell's spend is spread over its vendors: leave `vendor` out "
            "of `dimension` to ask for it.",
            CROSS_FIELD,
        )


async def spend_cube_page(
    session: AsyncSession, pager: Pager, query: cube.CubeQuery
) -> tuple[list[SpendCell], str | None]:
    check_cube(query)
    statement, order = cube.statement(query)
    rows, token = await _page(session, pager, statement, order, query.fingerprint(), cube.CubeCellRecord)
    return CELLS.validate_python([to_cell(row, query) for row in rows]), token


def spend_cube_rows(session: AsyncSession, query: cube.CubeQuery) -> AsyncIterator[cube.CubeCellRecord]:
    check_cube(query)
    statement, order = cube.statement(query)
    return snapshot.stream(session, statement.order_by(*order), cube.CubeCellRecord)


def _money(amount: Decimal | None) -> dict[str, Any]:
    return {"amount": amount if amount is not None else Decimal(0), "currency": "USD"}


def _month(value: date | None) -> str | None:
    return None if value is None else f"{value.year:04d}-{value.month:02d}"


def _cents(amount: Decimal | None) -> Decimal | None:
    """An amount as the JSON form writes it, for CSV."""
    return None if amount is None else amount.quantize(CENTS)


def to_cell(row: cube.CubeCellRecord, query: cube.CubeQuery) -> dict[str, Any]:
    """A cell as the contract's fields; a page is validated in one call (`CELLS`), which costs a
    fraction of building its models one by one."""
    concentration = None
    if query.concentration:
        concentration = {
            "top_n": query.top_n,
            "top_n_share": row.top_n_share,
            "hhi": row.hhi,
            "tail_vendor_count": row.tail_vendor_count,
            "tail_amount": _money(row.tail_amount),
            "tail_share": row.tail_share,
        }
    return dict(
        vendor_id=row.vendor_id,
        vendor_number=row.vendor_number,
        vendor_name=row.vendor_name,
        category_scheme=row.category_scheme,
        category_code=row.category_code,
        department=row.department,
        month=_month(row.month),
        fiscal_year=row.fiscal_year,
        fiscal_quarter=row.fiscal_quarter,
        amount=_money(row.amount),
        payment_count=row.payment_count,
        vendor_count=row.vendor_count,
        on_contract_amount=_money(row.on_contract_amount),
        on_contract_share=row.on_contract_share,
        concentration=concentration,
    )


# The CSV columns of grouped rows' keys, by the dimension or group that brings them.
KEY_COLUMNS: dict[str, list[Column[GroupKeys]]] = {
    "category": [
        ("category_scheme", lambda row: row.category_scheme),
        ("category_code", lambda row: row.category_code),
    ],
    "department": [("department", lambda row: row.department)],
    "month": [("month", lambda row: _month(row.month))],
    "quarter": [
        ("fiscal_year", lambda row: row.fiscal_year),
        ("fiscal_quarter", lambda row: row.fiscal_quarter),
    ],
    "fiscal_year": [("fiscal_year", lambda row: row.fiscal_year)],
}
VENDOR_COLUMNS: list[Column[cube.CubeCellRecord]] = [
    ("vendor_id", lambda row: row.vendor_id),
    ("vendor_number", lambda row: row.vendor_number),
    ("vendor_name", lambda row: row.vendor_name),
]


def cube_columns(query: cube.CubeQuery) -> list[Column[cube.CubeCellRecord]]:
    """The CSV columns: the cells' keys as asked, then every measure."""
    keys: list[Column[cube.CubeCellRecord]] = []
    for dimension in query.dimensions:
        if dimension is SpendDimension.vendor:
            keys += VENDOR_COLUMNS
        else:
            keys += KEY_COLUMNS[dimension.value]
    keys = list({name: (name, value) for name, value in keys}.values())  # a quarter brings its year
    measures: list[Column[cube.CubeCellRecord]] = [
        ("amount", lambda row: _cents(row.amount)),
        ("payment_count", lambda row: row.payment_count),
        ("vendor_count", lambda row: row.vendor_count),
        ("on_contract_amount", lambda row: _cents(row.on_contract_amount)),
        ("on_contract_share", lambda row: row.on_contract_share),
    ]
    if query.concentration:
        measures += [
            ("top_n", lambda _row: query.top_n),
            ("top_n_share", lambda row: row.top_n_share),
            ("hhi", lambda row: row.hhi),
            ("tail_vendor_count", lambda row: row.tail_vendor_count),
            ("tail_amount", lambda row: _cents(row.tail_amount)),
            ("tail_share", lambda row: row.tail_share),
        ]
    return [*keys, ("currency", lambda _row: "USD"), *measures]


# Shared shaping of grouped rows


def _group_fields(row: GroupKeys) -> dict[str, Any]:
    return {
        "department": row.department,
        "category_scheme": row.category_scheme,
        "category_code": row.category_code,
        "fiscal_year": row.fiscal_year,
        "fiscal_quarter": row.fiscal_quarter,
        "month": _month(row.month),
    }


def group_key_columns(groups: Sequence[str]) -> list[Column[GroupKeys]]:
    """The keys' columns in the order asked; a quarter brings its year, once."""
    columns = [column for group in groups for column in KEY_COLUMNS[group]]
    return list({name: (name, value) for name, value in columns}.values())


async def _page(
    session: AsyncSession,
    pager: Pager,
    statement: Any,
    order: list[Any],
    fingerprint: dict[str, Any],
    row_type: type[snapshot.Row],
) -> tuple[list[snapshot.Row], str | None]:
    paged = pager.keyset(statement, order, fingerprint)
    [rows] = await snapshot.fetch(session, row_type, paged)
    names = [str(column.key) for column in order]
    return pager.page(rows, lambda row: [getattr(row, name) for name in names])


# Diversity


async def diversity_page(
    session: AsyncSession, pager: Pager, query: diversity.DiversityQuery
) -> tuple[list[DiversityRow], str | None]:
    statement, order = diversity.statement(query)
    rows, token = await _page(
        session, pager, statement, order, query.fingerprint(), diversity.DiversityRecord
    )
    return [to_diversity_row(row) for row in rows], token


def diversity_rows(
    session: AsyncSession, query: diversity.DiversityQuery
) -> AsyncIterator[diversity.DiversityRecord]:
    statement, order = diversity.statement(query)
    return snapshot.stream(session, statement.order_by(*order), diversity.DiversityRecord)


def to_diversity_row(row: diversity.DiversityRecord) -> DiversityRow:
    return DiversityRow(
        certification_type=row.certification_type,
        **_group_fields(row),
        numerator=_money(row.numerator),
        denominator=_money(row.denominator),
        share=row.share,
        certified_vendor_count=row.certified_vendor_count,
    )


def diversity_columns(query: diversity.DiversityQuery) -> list[Column[diversity.DiversityRecord]]:
    measures: list[Column[diversity.DiversityRecord]] = [
        ("numerator", lambda row: _cents(row.numerator)),
        ("denominator", lambda row: _cents(row.denominator)),
        ("share", lambda row: row.share),
        ("certified_vendor_count", lambda row: row.certified_vendor_count),
    ]
    return [
        *group_key_columns(query.groups),
        ("certification_type", lambda row: row.certification_type),
        ("currency", lambda _row: "USD"),
        *measures,
    ]


# Competition


async def competition_page(
    session: AsyncSession, pager: Pager, query: competition.CompetitionQuery
) -> tuple[list[CompetitionRow], str | None]:
    statement, order = competition.statement(query)
    rows, token = await _page(
        session, pager, statement, order, query.fingerprint(), competition.CompetitionRecord
    )
    return [to_competition_row(row) for row in rows], token


def competition_rows(
    session: AsyncSession, query: competition.CompetitionQuery
) -> AsyncIterator[competition.CompetitionRecord]:
    statement, order = competition.statement(query)
    return snapshot.stream(session, statement.order_by(*order), competition.CompetitionRecord)


COMPETITION_MEASURES: list[Column[competition.CompetitionRecord]] = [
    ("solicitation_count", lambda row: row.solicitation_count),
    ("bid_count", lambda row: row.bid_count),
    ("average_bidders", lambda row: row.average_bidders),
    ("single_bid_count", lambda row: row.single_bid_count),
    ("single_bid_rate", lambda row: row.single_bid_rate),
    ("no_bid_count", lambda row: row.no_bid_count),
    ("awarded_count", lambda row: row.awarded_count),
    ("average_days_to_award", lambda row: row.average_days_to_award),
    ("median_days_to_award", lambda row: row.median_days_to_award),
]


def to_competition_row(row: competition.CompetitionRecord) -> CompetitionRow:
    return CompetitionRow(
        **_group_fields(row),
        solicitation_count=row.solicitation_count,
        bid_count=row.bid_count,
        average_bidders=row.average_bidders,
        single_bid_count=row.single_bid_count,
        single_bid_rate=row.single_bid_rate,
        no_bid_count=row.no_bid_count,
        awarded_count=row.awarded_count,
        average_days_to_award=row.average_days_to_award,
        median_days_to_award=row.median_days_to_award,
    )


def competition_columns(query: competition.CompetitionQuery) -> list[Column[competition.CompetitionRecord]]:
    return [*group_key_columns(query.groups), *COMPETITION_MEASURES]


# Vendor pool


async def vendor_pool_page(
    session: AsyncSession, pager: Pager, query: pool.PoolQuery
) -> tuple[list[VendorPoolRow], str | None]:
    statement, order = pool.statement(query)
    rows, token = await _page(session, pager, statement, order, query.fingerprint(), pool.PoolRecord)
    return [to_pool_row(row) for row in rows], token


def vendor_pool_rows(session: AsyncSession, query: pool.PoolQuery) -> AsyncIterator[pool.PoolRecord]:
    statement, order = pool.statement(query)
    return snapshot.stream(session, statement.order_by(*order), pool.PoolRecord)


def _gaps(row: pool.PoolRecord) -> list[VendorPoolGap]:
    flagged = {
        VendorPoolGap.few_active_vendors: row.few_active_vendors,
        VendorPoolGap.no_certified_vendor: row.no_certified_vendor,
    }
    return [gap for gap in VendorPoolGap if flagged[gap]]


def to_pool_row(row: pool.PoolRecord) -> VendorPoolRow:
    return VendorPoolRow(
        category_scheme=row.category_scheme,
        category_code=row.category_code,
        registered_count=row.registered_count,
        active_count=row.active_count,
        certified_count=row.certified_count,
        spend=_money(row.spend),
        gaps=_gaps(row),
    )


POOL_COLUMNS: list[Column[pool.PoolRecord]] = [
    ("category_scheme", lambda row: row.category_scheme),
    ("category_code", lambda row: row.category_code),
    ("registered_count", lambda row: row.registered_count),
    ("active_count", lambda row: row.active_count),
    ("certified_count", lambda row: row.certified_count),
    ("currency", lambda _row: "USD"),
    ("spend", lambda row: _cents(row.spend)),
    ("gaps", lambda row: " ".join(gap.value for gap in _gaps(row))),
]


def pool_query(
    *,
    level: int,
    scheme: CommodityScheme | None,
    category: str | None,
    fiscal_year: int | None,
    min_active: int,
    gaps_only: bool,
) -> pool.PoolQuery:
    today = city_today()
    year = fiscal_year if fiscal_year is not None else clock.fiscal_year(today)
    first, last = fiscal_year_dates(year)
    code = category_filter(category)
    if code is not None and scheme is not None and code[0] != scheme.value:
        raise invalid("category", "`category` names another scheme than `scheme`.", CROSS_FIELD)
    return pool.PoolQuery(
        level=level,
        fiscal_year=year,
        min_active=min_active,
        gaps_only=gaps_only,
        today=today,
        spend_filters=SpendFilters(first_day=first, last_day=last, category=code),
        scheme=scheme.value if scheme is not None else None,
    )
