"""HTTP surface of the reports: parse, authorise, call the service, answer JSON pages or CSV."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

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
from services.vendors.access import Reader
from services.vendors.contracts import (
    CommodityScheme,
    CompetitionGroup,
    CompetitionReport,
    Department,
    DiversityBasis,
    DiversityGroup,
    DiversityReport,
    DiversityTier,
    ReportFormat,
    SpendCube,
    SpendDimension,
    SpendSort,
    SpendTier,
    VendorPoolReport,
)
from services.vendors.reports import competition, cube, diversity, service
from services.vendors.reports.spend import SpendFilters
from services.vendors.reports.tabular import csv_openapi, csv_response

router = APIRouter(tags=["reports"])

REPORT_PROBLEMS = (Unauthorized, Forbidden, BadRequest, ValidationFailed, ServiceUnavailable)
MAX_LIST_FILTER = 100

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
        description="`<scheme>:<code>`: lines classified at or below that code, e.g. `nigp:620`.",
    ),
]
Departments = Annotated[
    list[Department] | None, Query(max_length=MAX_LIST_FILTER, description="City department codes; repeat.")
]
Format = Annotated[ReportFormat, Query(description="`csv`: every row, streamed, unpaged.")]


async def _spend_filters(
    tier: Annotated[SpendTier, Query(description="Which payment lines.")] = SpendTier.prime,
    fiscal_year: FiscalYear = None,
    paid_from: Annotated[
        date | None, Query(description="Lines paid on or after this day (1900–2199).")
    ] = None,
    paid_to: Annotated[
        date | None, Query(description="Lines paid on or before this day (1900–2199).")
    ] = None,
    department: Departments = None,
    vendor_id: Annotated[
        list[uuid.UUID] | None, Query(max_length=MAX_LIST_FILTER, description="Vendors' ids; repeat.")
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

JSON: keyset pages of cells, ordered by the dimensions or by amount (`sort`). `format=csv`: every cell,
streamed. Cells are summed from rollups that triggers update in the same transaction as each payment
line, so every figure is that of the payments at the time of the request, never of a last refresh."""


@router.get(
    "/reports/spend-cube",
    response_model=SpendCube,
    summary="Spend cube",
    description=SPEND_CUBE,
    responses={**csv_openapi("cells"), **problem_responses(*REPORT_PROBLEMS)},
)
async def reports_spend_cube(
    session: Session,
    pager: PageParams,
    _: Reader,
    filters: Annotated[SpendFilters, Depends(_spend_filters)],
    dimension: Annotated[
        list[SpendDimension] | None, Query(max_length=6, description="What cells are split by; repeat.")
    ] = None,
    category_level: CategoryLevel = 2,
    concentration: Annotated[bool, Query(description="Add top-N share, HHI and tail spend.")] = False,
    top_n: Annotated[int, Query(ge=1, le=100, description="N of `top_n_share`.")] = 5,
    sort: SpendSort = SpendSort.dimensions,
    format: Format = ReportFormat.json,
) -> Any:
    query = cube.CubeQuery(
        dimensions=service.distinct(dimension),
        level=category_level,
        filters=filters,
        sort=sort,
        concentration=concentration,
        top_n=top_n,
    )
    if format is ReportFormat.csv:
        return csv_response(
            service.spend_cube_rows(session, query), service.cube_columns(query), "spend-cube"
        )
    cells, token = await service.spend_cube_page(session, pager, query)
    return SpendCube(
        items=cells,
        next_page_token=token,
        dimensions=list(query.dimensions),
        category_level=category_level,
        tier=SpendTier(filters.tier),
    )


DateFrom = Annotated[date | None, Query(description="On or after this day (1900–2199).")]
DateTo = Annotated[date | None, Query(description="On or before this day (1900–2199).")]


def _dated_filters(
    fiscal_year: int | None,
    date_from: date | None,
    date_to: date | None,
    department: list[str] | None,
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


@router.get(
    "/reports/diversity",
    response_model=DiversityReport,
    summary="Diversity utilisation",
    description=DIVERSITY,
    responses={**csv_openapi("rows"), **problem_responses(*REPORT_PROBLEMS)},
)
async def reports_diversity(
    session: Session,
    pager: PageParams,
    _: Reader,
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
    format: Format = ReportFormat.json,
) -> Any:
    query = diversity.DiversityQuery(
        basis=basis,
        tier=tier,
        groups=tuple(group.value for group in service.distinct(group_by)),
        level=category_level,
        filters=_dated_filters(fiscal_year, date_from, date_to, department, category),
    )
    if format is ReportFormat.csv:
        rows = service.diversity_rows(session, query)
        return csv_response(rows, service.diversity_columns(query), "diversity")
    items, token = await service.diversity_page(session, pager, query)
    return DiversityReport(
        items=items,
        next_page_token=token,
        basis=basis,
        tier=tier,
        group_by=[DiversityGroup(g) for g in query.groups],
        category_level=category_level,
    )


COMPETITION = """Per group (`group_by`, repeat it; none gives the City-wide row): the solicitations whose bids
were opened, dated by their close (the City's calendar day); the bids they drew (withdrawn ones aside),
the average, how many drew a single bid or none; and, for those with an award in force, the days from
the close to the award date (average and median). Groups are the buyer department, the first item's
classification and periods of the close. `date_from`/`date_to` and `fiscal_year` select by the close."""


@router.get(
    "/reports/competition",
    response_model=CompetitionReport,
    summary="Competition",
    description=COMPETITION,
    responses={**csv_openapi("rows"), **problem_responses(*REPORT_PROBLEMS)},
)
async def reports_competition(
    session: Session,
    pager: PageParams,
    _: Reader,
    group_by: Annotated[
        list[CompetitionGroup] | None, Query(max_length=5, description="Row groups; repeat.")
    ] = None,
    category_level: CategoryLevel = 2,
    fiscal_year: FiscalYear = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    department: Departments = None,
    category: CategoryFilter = None,
    format: Format = ReportFormat.json,
) -> Any:
    query = competition.CompetitionQuery(
        groups=tuple(group.value for group in service.distinct(group_by)),
        level=category_level,
        filters=_dated_filters(fiscal_year, date_from, date_to, department, category),
    )
    if format is ReportFormat.csv:
        rows = service.competition_rows(session, query)
        return csv_response(rows, service.competition_columns(query), "competition")
    items, token = await service.competition_page(session, pager, query)
    return CompetitionReport(
        items=items,
        next_page_token=token,
        group_by=[CompetitionGroup(g) for g in query.groups],
        category_level=category_level,
    )


VENDOR_POOL = """Per commodity code at `category_level` (a vendor registered under `620-80-21` counts under
`620-80` and `620`): vendors registered (merged records aside), active, and certified (active, with a
certification other than `obe` valid today), and the City's prime spend in the code in the fiscal year.

Codes come from both the registrations and the spend, so a code the City buys in with no vendor
registered under it is listed too. `gaps` flags a thin pool: `few_active_vendors` when fewer than
`min_active` vendors are active, `no_certified_vendor` when the City spent in the code and none of its
active vendors is certified. `gaps_only=true` lists only those codes."""


@router.get(
    "/reports/vendor-pool",
    response_model=VendorPoolReport,
    summary="Vendor pool and its gaps",
    description=VENDOR_POOL,
    responses={**csv_openapi("rows"), **problem_responses(*REPORT_PROBLEMS)},
)
async def reports_vendor_pool(
    session: Session,
    pager: PageParams,
    _: Reader,
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
    format: Format = ReportFormat.json,
) -> Any:
    query = service.pool_query(
        level=category_level,
        scheme=scheme,
        category=category,
        fiscal_year=fiscal_year,
        min_active=min_active,
        gaps_only=gaps_only,
    )
    if format is ReportFormat.csv:
        return csv_response(service.vendor_pool_rows(session, query), service.POOL_COLUMNS, "vendor-pool")
    items, token = await service.vendor_pool_page(session, pager, query)
    return VendorPoolReport(
        items=items,
        next_page_token=token,
        category_level=category_level,
        fiscal_year=query.fiscal_year,
        min_active=min_active,
    )
