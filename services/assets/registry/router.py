"""HTTP surface of the asset registry: parse, authorise, call the service, shape the response."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response, status
from pydantic import Field

from services.assets.access import Reader, Writer
from services.assets.contracts import (
    Asset,
    AssetCreate,
    AssetPage,
    AssetStatus,
    AssetTransition,
    AssetType,
    AssetUpdate,
    LegalInterest,
)
from services.assets.registry import service
from services.common.auth import AUTH_PROBLEMS
from services.common.concurrency import IfMatch, set_etag
from services.common.db import Session
from services.common.idempotency import idempotency_key_header
from services.common.pagination import PageParams
from services.common.problems import (
    InvalidPageToken,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
    problem_responses,
)
from services.common.reference import Department
from services.common.unit_of_work import service_router
from services.common.wire import LIST_FILTER_MAX_ITEMS, Timestamp

router = service_router(tags=["assets"])


@dataclass(frozen=True)
class AssetFilters:
    """The filters of asset collections (`/assets`, the public inventory), declared once."""

    columns: dict[str, Any]
    updated_since: datetime | None


async def asset_filters(
    status_: Annotated[
        list[AssetStatus] | None,
        Query(max_length=LIST_FILTER_MAX_ITEMS, alias="status", description="Repeat for several."),
    ] = None,
    asset_type: Annotated[
        list[AssetType] | None,
        Query(max_length=LIST_FILTER_MAX_ITEMS, alias="type", description="land, building or structure."),
    ] = None,
    department: Annotated[
        list[Department] | None,
        Query(
            max_length=LIST_FILTER_MAX_ITEMS,
            description="Controlling department code, e.g. `GSD`; repeat for several.",
        ),
    ] = None,
    council_district: Annotated[
        list[Annotated[int, Field(ge=1, le=15)]] | None,
        Query(max_length=LIST_FILTER_MAX_ITEMS, description="1–15; repeat for several."),
    ] = None,
    legal_interest: Annotated[list[LegalInterest] | None, Query(max_length=LIST_FILTER_MAX_ITEMS)] = None,
    updated_since: Annotated[
        Timestamp | None, Query(description="Only assets changed at or after (RFC 3339 with offset).")
    ] = None,
) -> AssetFilters:
    # A coroutine, not a class dependency: FastAPI would build a class in a worker thread.
    columns = {
        "status": status_,
        "asset_type": asset_type,
        "controlling_department": department,
        "council_district": council_district,
        "legal_interest": legal_interest,
    }
    return AssetFilters(columns=columns, updated_since=updated_since)


Filters = Annotated[AssetFilters, Depends(asset_filters)]


@router.post(
    "/assets",
    status_code=status.HTTP_201_CREATED,
    response_model=Asset,
    summary="Register an asset",
    description="Creates an `active` asset with a new, permanent `asset_number`. Sizes follow the asset "
    "type: `land_area_acres` for land; `gross_sqft` (and `rentable_sqft` ≤ it) for buildings; "
    "`structure_quantity` with `structure_unit` for structures. A location outside the City is kept and "
    "flagged in `warnings`. Send `Idempotency-Key` to make retries safe.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, ValidationFailed),
)
async def assets_create(
    body: AssetCreate, session: Session, actor: Writer, request: Request, response: Response
) -> Asset:
    asset = await service.create(session, body, actor)
    response.headers["Location"] = request.app.url_path_for("assets_get", asset_id=str(asset.id))
    set_etag(response, asset.version)
    return asset


@router.get(
    "/assets",
    response_model=AssetPage,
    summary="List assets",
    description="Keyset-paged, oldest first. Filters combine with AND; values of one filter with OR.",
    responses=problem_responses(*AUTH_PROBLEMS, InvalidPageToken, ValidationFailed),
)
async def assets_list(session: Session, pager: PageParams, _: Reader, filters: Filters) -> AssetPage:
    rows, token = await service.list_page(
        session, pager, filters=filters.columns, updated_since=filters.updated_since
    )
    return AssetPage(items=[service.to_contract(row) for row in rows], next_page_token=token)


@router.get(
    "/assets/{asset_id}",
    response_model=Asset,
    summary="Get an asset",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def assets_get(asset_id: uuid.UUID, session: Session, _: Reader, response: Response) -> Asset:
    asset = await service.get(session, asset_id)
    set_etag(response, asset.version)
    return asset


@router.patch(
    "/assets/{asset_id}",
    response_model=Asset,
    summary="Change an asset",
    description="Send only the fields to change (`null` clears an optional one), with `If-Match` set to "
    "the ETag you read. `asset_number` and `asset_type` never change; a disposed, demolished or "
    "subdivided asset is read-only (409).",
    responses=problem_responses(
        *AUTH_PROBLEMS,
        NotFound,
        InvalidTransition,
        PreconditionFailed,
        PreconditionRequired,
        ValidationFailed,
    ),
)
async def assets_update(
    asset_id: uuid.UUID,
    body: AssetUpdate,
    session: Session,
    actor: Writer,
    expected: IfMatch,
    response: Response,
) -> Asset:
    asset = await service.update(session, asset_id, body, expected, actor)
    set_etag(response, asset.version)
    return asset


@router.post(
    "/assets/{asset_id}/transitions",
    response_model=Asset,
    summary="Change an asset's status",
    description=(
        "active ⇄ inactive; active → excess (the department no longer needs it) → surplus (Council) → "
        "disposal_in_progress → disposed, or → retained → active/inactive; excess → inactive (rescinded). "
        "Any open status → cannot_currently_be_disposed, with `cannot_dispose_reason`, and back to the "
        "status held before. Buildings and structures may be demolished, land subdivided. disposed, "
        "demolished and subdivided are final and need a `reason`. An illegal move is 409 with "
        "`allowed_transitions`."
    ),
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, InvalidTransition, ValidationFailed),
)
async def assets_transition(
    asset_id: uuid.UUID, body: AssetTransition, session: Session, actor: Writer, response: Response
) -> Asset:
    asset = await service.transition(session, asset_id, body, actor)
    set_etag(response, asset.version)
    return asset
