"""HTTP surface of the reports: parse, authorise, call the service, answer JSON pages or CSV."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query

from services.common.db import Session
from services.common.pagination import PageParams
from services.common.problems import (
    BadRequest,
    Forbidden,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from services.common.unit_of_work import service_router
from services.common.wire import LIST_FILTER_MAX_ITEMS
from services.vendors.access import Reader
from services.vendors.contracts import (
    COMMODITY_FILTER,
    CommodityScheme,
    CompetitionGroup,
    CompetitionReport,
    Department,
    DiversityBasis,
    DiversityGroup,
    DiversityReport,
    DiversityTier,
    ReportDay,
    ReportFormat,
    SpendCube,
    SpendDimension,
    SpendSort,
    SpendTier,
    VendorPoolReport,
)
from services.vendors.reports import competition, cube, diversity, service
from services.vendors.reports.pool import PoolQuery as PoolQueryType
from services.vendors.reports.spend import SpendFilters
from services.vendors.reports.tabular import CsvResponse, csv_description, csv_openapi, csv_response

router = service_router(tags=["reports"])

REPORT_PROBLEMS = (Unauthorized, Forbidden, BadRequest, ValidationFailed, ServiceUnavailable)

FiscalYear = Annotated[
    int | None,
    Query(ge=2000, le=2100, description="The City's fiscal year (FY2026 = July 2025 to June 2026)."),
]
CategoryLevel = Annotated[
    int,
    Query(
        ge=1,
        le=4,
        description="Where categories are cut: 1 = NIGP class (`620`), 2 = class-item (`620-80`), "
        "3 = group (`620-80-21`), 4 = the code as recorded. UNSPSC: segment, family, class, commodity; "
        "NAICS: 2, 3, 4 digits, then the whole code.",
    ),
]
CategoryFilter = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=COMMODITY_FILTER,
        description="`<scheme>:<code>`: lines classified at or below that code, e.g. `nigp:620`.",
    ),
]
Departments = Annotated[
    list[Department] | None,
    Query(max_length=LIST_FILTER_MAX_ITEMS, description="City department codes; repeat."),
]
# `format=csv` on the JSON operations is read still, for the clients written before the `.csv`
# operations, but no longer documented: one operation answers one media type, which generated clients
# parse without guessing (docs/decisions.md, Reports).
LegacyFormat = Annotated[ReportFormat, Query(include_in_schema=False)]


async def _spend_filters(
    tier: Annotated[SpendTier, Query(description="Which payment lines.")] = SpendTier.prime,
    fiscal_year: FiscalYear = None,
    paid_from: Annotated[
        ReportDay | None, Query(description="Lines paid on or after this day (1900–2199).")
    ] = None,
    paid_to: Annotated[
        ReportDay | None, Query(description="Lines paid on or before this day (1900–2199).")
    ] = None,
    department: Departments = None,
    vendor_id: Annotated[
        list[uuid.UUID] | None, Query(max_length=LIST_FILTER_MAX_ITEMS, description="Vendors' ids; repeat.")
    ] = None,
    category: CategoryFilter = None,
) -> SpendFilters:
    first, last = service.date_range(fiscal_year, ("paid_from", paid_from), ("paid_to", paid_to))
    return SpendFilters(
        tier=tier.value,
        first_day=first,
        last_day=last,
        departments=service.distinct(department),
        vendor_ids=service.distinct(vendor_id),
        category=service.category_filter(category),
    )


SPEND_CUBE = """Payment lines summed into cells, one per combination of the `dimension`s (repeat it; none
gives the grand total as one cell). `quarter` is the City's fiscal quarter (Q1 = July–September) with
its fiscal year; `category` is the line's commodity code cut at `category_level`.

Every cell carries `amount` (net: corrections are negative lines), `payment_count`, `vendor_count`
(vendors with a line in the cell), and the on-contract part (lines naming a contract) and its share.

With `concentration=true` each cell also says how its spend is spread over its vendors, counting vendors
with a positive net amount, ranked largest first (ties by vendor id):
- `top_n_share`: the `top_n` largest vendors' part of that spend;
- `hhi`: the Herfindahl-Hirschman index, Σ (100 × vendor share)², from near 0 (spread) to 10000 (one vendor);
- tail spend: rank the vendors and take the smallest head whose spend reaches 80% of the cell's; every vendor
  after it is the tail (`tail_vendor_count`, `tail_amount`, `tail_share`, at most 20%).
Concentration is per cell, so `dimension=category&concentration=true` is concentration per category; it
cannot be asked with `vendor` among the dimensions.

Filters combine with AND: `fiscal_year` and `paid_from`/`paid_to` narrow each other. `tier=prime` (the
default) is the City's spend; `tier=sub` the part primes reported paying subcontractors, which is inside
the prime lines. Only US-dollar lines are summed.

JSON: keyset pages of cells, ordered by the dimensions or by amount (`sort`). The `.csv` operation: every
cell, streamed. Cells are summed from rollups that triggers update in the same transaction as each payment
line, so every figure is that of the payments at the time of the request, never of a last refresh."""


async def _cube_query(
    filters: Annotated[SpendFilters, Depends(_spend_filters)],
    dimension: Annotated[
        list[SpendDimension] | None, Query(max_length=6, description="What cells are split by; repeat.")
    ] = None,
    category_level: CategoryLevel = 2,
    concentration: Annotated[bool, Query(description="Add top-N share, HHI and tail spend.")] = False,
    top_n: Annotated[int, Query(ge=1, le=100, description="N of `top_n_share`.")] = 5,
    sort: SpendSort = SpendSort.dimensions,
) -> cube.CubeQuery:
    return cube.CubeQuery(
        dimensions=service.distinct(dimension),
        level=category_level,
        filters=filters,
        sort=sort,
        concentration=concentration,
        top_n=top_n,
    )


CubeQuery = Annotated[cube.CubeQuery, Depends(_cube_query)]


def _spend_cube_csv(session: Session, query: cube.CubeQuery) -> CsvResponse:
    return csv_response(service.spend_cube_rows(session, query), service.cube_columns(query), "spend-cube")


@router.get(
    "/reports/spend-cube",
    response_model=SpendCube,
    summary="Spend cube",
    description=SPEND_CUBE,
    responses=problem_responses(*REPORT_PROBLEMS),
)
async def reports_spend_cube(
    session: Session, pager: PageParams, _: Reader, query: CubeQuery, format: LegacyFormat = ReportFormat.json
) -> Any:
    if format is ReportFormat.csv:
        return _spend_cube_csv(session, query)
    cells, token = await service.spend_cube_page(session, pager, query)
    return SpendCube(
        items=cells,
        next_page_token=token,
        dimensions=list(query.dimensions),
        category_level=query.level,
        tier=SpendTier(query.filters.tier),
    )


@router.get(
    "/reports/spend-cube.csv",
    response_class=CsvResponse,
    summary="Spend cube as CSV",
    description=csv_description("cell", "reports_spend_cube"),
    responses={**csv_openapi("cells"), **problem_responses(*REPORT_PROBLEMS)},
)
async def reports_spend_cube_csv(session: Session, _: Reader, query: CubeQuery) -> CsvResponse:
    return _spend_cube_csv(session, query)


DateFrom = Annotated[ReportDay | None, Query(description="On or after this day (1900–2199).")]
DateTo = Annotated[ReportDay | None, Query(description="On or before this day (1900–2199).")]


def _dated_filters(
    fiscal_year: int | None,
    date_from: date | None,
    date_to: date | None,
    department: Sequence[str] | None,
    category: str | None,
) -> SpendFilters:
    first, last = service.date_range(fiscal_year, ("date_from", date_from), ("date_to", date_to))
    return SpendFilters(
        first_day=first,
        last_day=last,
        departments=service.distinct(department),
        category=service.category_filter(category),
    )


DIVERSITY = """The share of the City's dollars that went to certified firms, per certification type and as a
de-duplicated `any` line, in each group (`group_by`, repeat it; none gives the City-wide lines).

- `basis=award`: awards in force, valued at their contract's current value (else the award amount), each
  certification judged valid or not on the award date. Tier 2 adds the primes' subcontract commitments,
  judged on the commitment date; a commitment that names its certification type counts under that
  type only.
- `basis=payment`: payment lines, judged on the payment date; tier 2 is the sub-tier lines.

`numerator`: dollars with vendors holding the certification that day; `denominator`: every tier-1 dollar
of the group (awards, or prime lines), which the subcontracted dollars are part of; `share`: their
ratio. `tier=both` counts a dollar once: a certified prime's whole award or line, else its certified
subcontractors' part. The `any` line counts each dollar once however many certifications its vendor
holds (`obe`, the non-certified remainder, is not a certification here); `certified_vendor_count` counts
the distinct vendors in the numerator.

Groups are the award's (its contract's department, else the buyer's; its solicitation's first item's
classification; its award date) or the payment line's. Filters combine with AND."""


async def _diversity_query(
    basis: DiversityBasis = DiversityBasis.award,
    tier: DiversityTier = DiversityTier.tier_1,
    group_by: Annotated[
        list[DiversityGroup] | None, Query(max_length=5, description="Row groups; repeat.")
    ] = None,
    category_level: CategoryLevel = 2,
    fiscal_year: FiscalYear = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    department: Departments = None,
    category: CategoryFilter = None,
) -> diversity.DiversityQuery:
    return diversity.DiversityQuery(
        basis=basis,
        tier=tier,
        groups=tuple(group.value for group in service.distinct(group_by)),
        level=category_level,
        filters=_dated_filters(fiscal_year, date_from, date_to, department, category),
    )


DiversityQuery = Annotated[diversity.DiversityQuery, Depends(_diversity_query)]


def _diversity_csv(session: Session, query: diversity.DiversityQuery) -> CsvResponse:
    return csv_response(service.diversity_rows(session, query), service.diversity_columns(query), "diversity")


@router.get(
    "/reports/diversity",
    response_model=DiversityReport,
    summary="Diversity utilisation",
    description=DIVERSITY,
    responses=problem_responses(*REPORT_PROBLEMS),
)
async def reports_diversity(
    session: Session,
    pager: PageParams,
    _: Reader,
    query: DiversityQuery,
    format: LegacyFormat = ReportFormat.json,
) -> Any:
    if format is ReportFormat.csv:
        return _diversity_csv(session, query)
    items, token = await service.diversity_page(session, pager, query)
    return DiversityReport(
        items=items,
        next_page_token=token,
        basis=query.basis,
        tier=query.tier,
        group_by=[DiversityGroup(g) for g in query.groups],
        category_level=query.level,
    )


@router.get(
    "/reports/diversity.csv",
    response_class=CsvResponse,
    summary="Diversity utilisation as CSV",
    description=csv_description("line", "reports_diversity"),
    responses={**csv_openapi("lines"), **problem_responses(*REPORT_PROBLEMS)},
)
async def reports_diversity_csv(session: Session, _: Reader, query: DiversityQuery) -> CsvResponse:
    return _diversity_csv(session, query)


COMPETITION = """Per group (`group_by`, repeat it; none gives the City-wide row): the solicitations whose bids
were opened, dated by their close (the City's calendar day); the bids they drew (withdrawn ones aside),
the average, how many drew a single bid or none; and, for those with an award in force, the days from
the close to the award date (average and median). Groups are the buyer department, the first item's
classification and periods of the close. `date_from`/`date_to` and `fiscal_year` select by the close."""


async def _competition_query(
    group_by: Annotated[
        list[CompetitionGroup] | None, Query(max_length=5, description="Row groups; repeat.")
    ] = None,
    category_level: CategoryLevel = 2,
    fiscal_year: FiscalYear = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    department: Departments = None,
    category: CategoryFilter = None,
) -> competition.CompetitionQuery:
    return competition.CompetitionQuery(
        groups=tuple(group.value for group in service.distinct(group_by)),
        level=category_level,
        filters=_dated_filters(fiscal_year, date_from, date_to, department, category),
    )


CompetitionQuery = Annotated[competition.CompetitionQuery, Depends(_competition_query)]


def _competition_csv(session: Session, query: competition.CompetitionQuery) -> CsvResponse:
    rows = service.competition_rows(session, query)
    return csv_response(rows, service.competition_columns(query), "competition")


@router.get(
    "/reports/competition",
    response_model=CompetitionReport,
    summary="Competition",
    description=COMPETITION,
    responses=problem_responses(*REPORT_PROBLEMS),
)
async def reports_competition(
    session: Session,
    pager: PageParams,
    _: Reader,
    query: CompetitionQuery,
    format: LegacyFormat = ReportFormat.json,
) -> Any:
    if format is ReportFormat.csv:
        return _competition_csv(session, query)
    items, token = await service.competition_page(session, pager, query)
    return CompetitionReport(
        items=items,
        next_page_token=token,
        group_by=[CompetitionGroup(g) for g in query.groups],
        category_level=query.level,
    )


@router.get(
    "/reports/competition.csv",
    response_class=CsvResponse,
    summary="Competition as CSV",
    description=csv_description("row", "reports_competition"),
    responses={**csv_openapi("rows"), **problem_responses(*REPORT_PROBLEMS)},
)
async def reports_competition_csv(session: Session, _: Reader, query: CompetitionQuery) -> CsvResponse:
    return _competition_csv(session, query)


VENDOR_POOL = """Per commodity code at `category_level` (a vendor registered under `620-80-21` counts under
`620-80` and `620`): vendors registered (merged records aside), active, and certified (active, with a
certification other than `obe` valid today), and the City's prime spend in the code in the fiscal year.

Codes come from both the registrations and the spend, so a code the City buys in with no vendor
registered under it is listed too. `gaps` flags a thin pool: `few_active_vendors` when fewer than
`min_active` vendors are active, `no_certified_vendor` when the City spent in the code and none of its
active vendors is certified. `gaps_only=true` lists only those codes."""


async def _pool_query(
    category_level: CategoryLevel = 2,
    scheme: Annotated[CommodityScheme | None, Query(description="Only this scheme's codes.")] = None,
    category: CategoryFilter = None,
    fiscal_year: Annotated[
        int | None, Query(ge=2000, le=2100, description="The year of the spend; default: the current one.")
    ] = None,
    min_active: Annotated[
        int, Query(ge=1, le=1000, description="Fewer active vendors than this is a gap.")
    ] = 3,
    gaps_only: Annotated[bool, Query(description="Only codes with a gap.")] = False,
) -> PoolQueryType:
    return service.pool_query(
        level=category_level,
        scheme=scheme,
        category=category,
        fiscal_year=fiscal_year,
        min_active=min_active,
        gaps_only=gaps_only,
    )


PoolQuery = Annotated[PoolQueryType, Depends(_pool_query)]


def _vendor_pool_csv(session: Session, query: PoolQueryType) -> CsvResponse:
    return csv_response(service.vendor_pool_rows(session, query), service.POOL_COLUMNS, "vendor-pool")


@router.get(
    "/reports/vendor-pool",
    response_model=VendorPoolReport,
    summary="Vendor pool and its gaps",
    description=VENDOR_POOL,
    responses=problem_responses(*REPORT_PROBLEMS),
)
async def reports_vendor_pool(
    session: Session,
    pager: PageParams,
    _: Reader,
    query: PoolQuery,
    format: LegacyFormat = ReportFormat.json,
) -> Any:
    if format is ReportFormat.csv:
        return _vendor_pool_csv(session, query)
    items, token = await service.vendor_pool_page(session, pager, query)
    return VendorPoolReport(
        items=items,
        next_page_token=token,
        category_level=query.level,
        fiscal_year=query.fiscal_year,
        min_active=query.min_active,
    )


@router.get(
    "/reports/vendor-pool.csv",
    response_class=CsvResponse,
    summary="Vendor pool and its gaps as CSV",
    description=csv_description("code", "reports_vendor_pool"),
    responses={**csv_openapi("codes"), **problem_responses(*REPORT_PROBLEMS)},
)
async def reports_vendor_pool_csv(session: Session, _: Reader, query: PoolQuery) -> CsvResponse:
    return _vendor_pool_csv(session, query)
