"""HTTP surface of leases, their rent schedules, the portfolio's critical dates and the CPI values that
CPI escalations read."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response, status
from pydantic import AwareDatetime

from services.assets.access import Reader, Writer
from services.assets.contracts import (
    CpiValue,
    CpiValueList,
    CpiValuePage,
    CpiValuePut,
    CpiValuesCreate,
    CriticalDatePage,
    Lease,
    LeaseCreate,
    LeaseDirection,
    LeasePage,
    LeaseStatus,
    LeaseTransition,
    LeaseUpdate,
    RentSchedule,
)
from services.assets.contracts.leases import CPI_SERIES_PATTERN, YEAR_MONTH_PATTERN
from services.assets.leases import cpi, critical, rent, service
from services.common.auth import AUTH_PROBLEMS
from services.common.concurrency import IfMatch, set_etag
from services.common.db import Session
from services.common.idempotency import idempotency_key_header
from services.common.pagination import PageParams
from services.common.problems import (
    Conflict,
    InvalidPageToken,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
    problem_responses,
)
from services.common.unit_of_work import service_router

router = service_router(tags=["leases"])
cpi_router = service_router(tags=["cpi"])

ESCALATION_FORMULA = (
    "Escalations apply in order, each to the rent the one before it set, rounded to cents half-up: fixed "
    "percent, prior × (1 + percent / 100); fixed amount, prior + amount; CPI, prior + prior × "
    "clamp(CPI[`index_month`] / CPI[`base_month`] − 1, `floor_percent` / 100, `cap_percent` / 100), the "
    "CPI values being those of the escalation's `series` recorded with `POST /cpi/{series}`."
)
WRITE_PROBLEMS = (NotFound, Conflict, InvalidTransition, PreconditionFailed, PreconditionRequired)
SeriesPath = Annotated[
    str, Path(min_length=4, max_length=20, pattern=CPI_SERIES_PATTERN, description="e.g. `CUURS49ASA0`.")
]
MonthPath = Annotated[
    str, Path(min_length=7, max_length=7, pattern=YEAR_MONTH_PATTERN, description="`yyyy-mm`.")
]


@router.post(
    "/leases",
    status_code=status.HTTP_201_CREATED,
    response_model=Lease,
    summary="Record a lease",
    description="A `draft` lease of one asset (or of some of its `space_ids`), the City as landlord or as "
    "tenant, with its term, base monthly rent and deposit in USD, escalations and options. 422 names "
    f"each field and rule broken: escalations in order inside the term, a CPI floor not above its cap, "
    f"notice deadlines by expiration, spaces of the asset. {ESCALATION_FORMULA} Send `Idempotency-Key` "
    "to make retries safe.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, ValidationFailed),
)
async def leases_create(
    body: LeaseCreate, session: Session, actor: Writer, request: Request, response: Response
) -> Lease:
    lease = await service.create(session, body, actor)
    response.headers["Location"] = request.app.url_path_for("leases_get", lease_id=str(lease.id))
    set_etag(response, lease.version)
    return lease


@router.get(
    "/leases",
    response_model=LeasePage,
    summary="List leases",
    description="Keyset-paged, oldest first. Filters combine with AND; values of one filter with OR.",
    responses=problem_responses(*AUTH_PROBLEMS, InvalidPageToken, ValidationFailed),
)
async def leases_list(
    session: Session,
    pager: PageParams,
    _: Reader,
    asset_id: Annotated[
        list[uuid.UUID] | None, Query(max_length=50, description="Repeat for several.")
    ] = None,
    status_: Annotated[list[LeaseStatus] | None, Query(alias="status", max_length=4)] = None,
    direction: Annotated[list[LeaseDirection] | None, Query(max_length=2)] = None,
    updated_since: Annotated[
        AwareDatetime | None, Query(description="Only leases changed at or after (RFC 3339 with offset).")
    ] = None,
) -> LeasePage:
    columns = {"asset_id": asset_id, "status": status_, "direction": direction}
    items, token = await service.list_page(session, pager, columns=columns, updated_since=updated_since)
    return LeasePage(items=items, next_page_token=token)


@router.get(
    "/leases/critical-dates",
    response_model=CriticalDatePage,
    summary="List the critical dates coming up",
    description="Expirations and option notice deadlines of draft and active leases from today (in Los "
    "Angeles) to `within_days` days on, both included; soonest first, keyset-paged.",
    responses=problem_responses(*AUTH_PROBLEMS, InvalidPageToken, ValidationFailed),
)
async def leases_critical_dates(
    session: Session,
    pager: PageParams,
    _: Reader,
    within_days: Annotated[int, Query(ge=0, le=3650, description="The window, in days (default 90).")] = 90,
) -> CriticalDatePage:
    items, token = await critical.within(session, pager, within_days)
    return CriticalDatePage(items=items, next_page_token=token)


# `{lease_id:uuid}`: the path matches ids only, so that `/leases/critical-dates` is not taken for one
# (a PATCH of it is then 405, not a 428 for a lease that cannot exist).
@router.get(
    "/leases/{lease_id:uuid}",
    response_model=Lease,
    summary="Get a lease",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def leases_get(lease_id: uuid.UUID, session: Session, _: Reader, response: Response) -> Lease:
    lease = await service.get(session, lease_id)
    set_etag(response, lease.version)
    return lease


@router.patch(
    "/leases/{lease_id:uuid}",
    response_model=Lease,
    summary="Change a lease",
    description="Send only the fields to change (lists replace the lease's whole; `null` clears "
    "`security_deposit` or `description`), with `If-Match` set to the ETag you read. The rules of "
    "creation hold for the lease as changed; an expired or terminated lease is read-only (409).",
    responses=problem_responses(*AUTH_PROBLEMS, *WRITE_PROBLEMS, ValidationFailed),
)
async def leases_update(
    lease_id: uuid.UUID,
    body: LeaseUpdate,
    session: Session,
    actor: Writer,
    expected: IfMatch,
    response: Response,
) -> Lease:
    lease = await service.update(session, lease_id, body, expected, actor)
    set_etag(response, lease.version)
    return lease


@router.post(
    "/leases/{lease_id}/transitions",
    response_model=Lease,
    summary="Change a lease's status",
    description="draft → active (signed) or → terminated (abandoned); active → expired (only after the "
    "expiration date, in Los Angeles) or → terminated. Terminating needs a `reason`; expired and "
    "terminated are final. An illegal move is 409 with `allowed_transitions`.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, Conflict, InvalidTransition, ValidationFailed),
)
async def leases_transition(
    lease_id: uuid.UUID, body: LeaseTransition, session: Session, actor: Writer, response: Response
) -> Lease:
    lease = await service.transition(session, lease_id, body, actor)
    set_etag(response, lease.version)
    return lease


@router.get(
    "/leases/{lease_id}/rent-schedule",
    response_model=RentSchedule,
    summary="Get a lease's rent schedule",
    description="Every calendar month of the term with the rent in effect and the amount due, prorated by "
    f"day where the term or a rate starts or ends inside the month. {ESCALATION_FORMULA} A CPI value not "
    "recorded leaves the months that need it without a figure, naming it in `missing_cpi`.",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def leases_rent_schedule(lease_id: uuid.UUID, session: Session, _: Reader) -> RentSchedule:
    return await rent.rent_schedule(session, lease_id)


@router.get(
    "/leases/{lease_id}/rent-schedule.csv",
    response_class=Response,
    summary="Get a lease's rent schedule as CSV",
    description="The months of `leases_rent_schedule` as CSV (`text/csv`, UTF-8, a header line, "
    "comma-separated, CRLF line ends). Amounts in USD as in the JSON answer; an empty cell is a null; "
    "`missing_cpi` lists `series:yyyy-mm` separated by spaces.",
    responses={
        200: {"description": "The months, as CSV.", "content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
    },
)
async def leases_rent_schedule_csv(lease_id: uuid.UUID, session: Session, _: Reader) -> Response:
    schedule = await rent.rent_schedule(session, lease_id)
    return Response(
        rent.rent_schedule_csv(schedule),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="rent-schedule-{lease_id}.csv"'},
    )


@cpi_router.post(
    "/cpi/{series}",
    status_code=status.HTTP_201_CREATED,
    response_model=CpiValueList,
    summary="Record CPI values",
    description="Index values of `series` by month, as published (up to 240 at once). A month already "
    "recorded with the same value is left as it is; with another, 409 naming it: revise it with `PUT` and "
    "`If-Match`. Send `Idempotency-Key` to make retries safe.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, Conflict, ValidationFailed),
)
async def cpi_record(
    series: SeriesPath,
    body: CpiValuesCreate,
    session: Session,
    actor: Writer,
    request: Request,
    response: Response,
) -> CpiValueList:
    items = await cpi.record(session, series, body, actor)
    response.headers["Location"] = request.app.url_path_for("cpi_list", series=series)
    return CpiValueList(items=items)


@cpi_router.put(
    "/cpi/{series}/{month}",
    response_model=CpiValue,
    summary="Revise a CPI value",
    description="Replaces a recorded value (BLS revises some), with `If-Match` set to the ETag you read. "
    "Every rent schedule that reads it changes with it.",
    responses=problem_responses(
        *AUTH_PROBLEMS, NotFound, PreconditionFailed, PreconditionRequired, ValidationFailed
    ),
)
async def cpi_replace(
    series: SeriesPath,
    month: MonthPath,
    body: CpiValuePut,
    session: Session,
    actor: Writer,
    expected: IfMatch,
    response: Response,
) -> CpiValue:
    value = await cpi.replace(session, series, month, body, expected, actor)
    set_etag(response, value.version)
    return value


@cpi_router.get(
    "/cpi/{series}/{month}",
    response_model=CpiValue,
    summary="Get a CPI value",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def cpi_get(
    series: SeriesPath, month: MonthPath, session: Session, _: Reader, response: Response
) -> CpiValue:
    value = await cpi.get(session, series, month)
    set_etag(response, value.version)
    return value


@cpi_router.get(
    "/cpi/{series}",
    response_model=CpiValuePage,
    summary="List a CPI series' values",
    description="Keyset-paged, by month.",
    responses=problem_responses(*AUTH_PROBLEMS, InvalidPageToken, ValidationFailed),
)
async def cpi_list(series: SeriesPath, session: Session, pager: PageParams, _: Reader) -> CpiValuePage:
    items, token = await cpi.list_page(session, pager, series)
    return CpiValuePage(items=items, next_page_token=token)
