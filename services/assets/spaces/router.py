"""HTTP surface of spaces, their occupancy history and the occupancy of an asset on a day."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request, Response, status
from pydantic import AwareDatetime

from services.assets.access import Reader, Writer
from services.assets.contracts import (
    AssetOccupancy,
    Occupancy,
    OccupancyCorrection,
    OccupancyCreate,
    OccupancyEnd,
    OccupancyPage,
    Space,
    SpaceCreate,
    SpacePage,
    SpaceUpdate,
)
from services.assets.spaces import occupancy, service
from services.common.auth import AUTH_PROBLEMS
from services.common.clock import city_today
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

router = service_router(tags=["spaces"])
occupancies_router = service_router(tags=["occupancies"])
# The occupancy of an asset is read under the asset, as its parcels are.
asset_occupancy_router = service_router(tags=["assets"])

UpdatedSince = Annotated[
    AwareDatetime | None, Query(description="Only those changed at or after (RFC 3339 with offset).")
]
_OVERLAP = (
    "Dates are whole days, both ends included. A record overlapping a current record of the space is 409 "
    "with `conflicting_occupancy_id`."
)


@router.post(
    "/assets/{asset_id}/spaces",
    status_code=status.HTTP_201_CREATED,
    response_model=Space,
    summary="Add a space to an asset",
    description="A floor, room or suite of a building, or a lot of a land asset, with a `code` unique "
    "within the asset (409 when taken). The asset's spaces add up to at most its rentable square feet "
    "(a building's `rentable_sqft`, else its `gross_sqft`; a land asset's acres in square feet): beyond, "
    "422 on `rentable_sqft`. Structures, and assets in a final status, take no spaces (409). Send "
    "`Idempotency-Key` to make retries safe.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, Conflict, InvalidTransition, ValidationFailed),
)
async def spaces_create(
    asset_id: uuid.UUID,
    body: SpaceCreate,
    session: Session,
    actor: Writer,
    request: Request,
    response: Response,
) -> Space:
    space = await service.create(session, asset_id, body, actor)
    response.headers["Location"] = request.app.url_path_for("spaces_get", space_id=str(space.id))
    set_etag(response, space.version)
    return space


@router.get(
    "/assets/{asset_id}/spaces",
    response_model=SpacePage,
    summary="List an asset's spaces",
    description="Keyset-paged, oldest first.",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, InvalidPageToken, ValidationFailed),
)
async def spaces_list(
    asset_id: uuid.UUID, session: Session, pager: PageParams, _: Reader, updated_since: UpdatedSince = None
) -> SpacePage:
    items, token = await service.list_page(session, pager, asset_id, updated_since=updated_since)
    return SpacePage(items=items, next_page_token=token)


@router.get(
    "/spaces/{space_id}",
    response_model=Space,
    summary="Get a space",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def spaces_get(space_id: uuid.UUID, session: Session, _: Reader, response: Response) -> Space:
    space = await service.get(session, space_id)
    set_etag(response, space.version)
    return space


@router.patch(
    "/spaces/{space_id}",
    response_model=Space,
    summary="Change a space",
    description="Send only the fields to change (`null` clears `name` or `floor`), with `If-Match` set to "
    "the ETag you read. The rules of creation hold for the space as changed.",
    responses=problem_responses(
        *AUTH_PROBLEMS,
        NotFound,
        Conflict,
        InvalidTransition,
        PreconditionFailed,
        PreconditionRequired,
        ValidationFailed,
    ),
)
async def spaces_update(
    space_id: uuid.UUID,
    body: SpaceUpdate,
    session: Session,
    actor: Writer,
    expected: IfMatch,
    response: Response,
) -> Space:
    space = await service.update(session, space_id, body, expected, actor)
    set_etag(response, space.version)
    return space


@occupancies_router.post(
    "/spaces/{space_id}/occupancies",
    status_code=status.HTTP_201_CREATED,
    response_model=Occupancy,
    summary="Record an occupancy of a space",
    description="Who occupies the space, a City `department` or an outside `organization` (exactly one), "
    f"from `start_date`, until `end_date` if known. {_OVERLAP} Send `Idempotency-Key` to make retries safe.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, Conflict, ValidationFailed),
)
async def occupancies_create(
    space_id: uuid.UUID,
    body: OccupancyCreate,
    session: Session,
    actor: Writer,
    request: Request,
    response: Response,
) -> Occupancy:
    record = await occupancy.record(session, space_id, body, actor)
    response.headers["Location"] = request.app.url_path_for("occupancies_get", occupancy_id=str(record.id))
    return record


@occupancies_router.get(
    "/spaces/{space_id}/occupancies",
    response_model=OccupancyPage,
    summary="List a space's occupancy history",
    description="Every record in the order recorded, superseded ones included (`is_current` false, with "
    "`superseded_by_id`); `current=true` for the current ones only. `updated_since` picks up records "
    "recorded at or after it: records never change, and a new one names what it supersedes.",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, InvalidPageToken, ValidationFailed),
)
async def occupancies_list(
    space_id: uuid.UUID,
    session: Session,
    pager: PageParams,
    _: Reader,
    current: Annotated[
        bool | None, Query(description="Only current (true) or superseded (false) records.")
    ] = None,
    updated_since: UpdatedSince = None,
) -> OccupancyPage:
    items, token = await occupancy.history_page(
        session, pager, space_id, current=current, updated_since=updated_since
    )
    return OccupancyPage(items=items, next_page_token=token)


@occupancies_router.get(
    "/occupancies/{occupancy_id}",
    response_model=Occupancy,
    summary="Get an occupancy record",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def occupancies_get(occupancy_id: uuid.UUID, session: Session, _: Reader) -> Occupancy:
    return await occupancy.get(session, occupancy_id)


@occupancies_router.post(
    "/occupancies/{occupancy_id}/end",
    status_code=status.HTTP_201_CREATED,
    response_model=Occupancy,
    summary="End an occupancy",
    description="Records its `end_date` (the last day occupied) as a new record that supersedes it; the "
    "record ended stays in the history. Only a current record without an end can be ended (409 "
    "otherwise: correct it instead). Send `Idempotency-Key` to make retries safe.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, Conflict, ValidationFailed),
)
async def occupancies_end(
    occupancy_id: uuid.UUID,
    body: OccupancyEnd,
    session: Session,
    actor: Writer,
    request: Request,
    response: Response,
) -> Occupancy:
    record = await occupancy.end(session, occupancy_id, body, actor)
    response.headers["Location"] = request.app.url_path_for("occupancies_get", occupancy_id=str(record.id))
    return record


@occupancies_router.post(
    "/occupancies/{occupancy_id}/corrections",
    status_code=status.HTTP_201_CREATED,
    response_model=Occupancy,
    summary="Correct an occupancy",
    description="Records the occupancy as it should have been, with the `reason`, as a new record that "
    f"supersedes the current one corrected, which stays in the history. {_OVERLAP} Send "
    "`Idempotency-Key` to make retries safe.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, Conflict, ValidationFailed),
)
async def occupancies_correct(
    occupancy_id: uuid.UUID,
    body: OccupancyCorrection,
    session: Session,
    actor: Writer,
    request: Request,
    response: Response,
) -> Occupancy:
    record = await occupancy.correct(session, occupancy_id, body, actor)
    response.headers["Location"] = request.app.url_path_for("occupancies_get", occupancy_id=str(record.id))
    return record


@asset_occupancy_router.get(
    "/assets/{asset_id}/occupancy",
    response_model=AssetOccupancy,
    summary="Get an asset's occupancy and vacancy on a day",
    description="Occupied and vacant rentable square feet of the asset's spaces, and the utilization "
    "rate, on `as_of` (today in Los Angeles by default), from the current occupancy records.",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def assets_occupancy_get(
    asset_id: uuid.UUID,
    session: Session,
    _: Reader,
    as_of: Annotated[
        date | None, Query(description="The day (ISO date); today in Los Angeles by default.")
    ] = None,
) -> AssetOccupancy:
    return await occupancy.asset_occupancy(session, asset_id, as_of or city_today())
