"""HTTP surface of parcels, and of the links between assets and parcels (under the asset, whose ETag
they move)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response, status

from services.assets.access import Reader, Writer
from services.assets.contracts import Asset, AssetPage, Parcel, ParcelCreate, ParcelPage, ParcelUpdate
from services.assets.parcels import service
from services.assets.registry import service as assets
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
from services.common.wire import Timestamp

router = service_router(tags=["parcels"])
links_router = service_router(tags=["assets"])

ApnPath = Annotated[str, Path(max_length=40, description="10 digits, `####-###-###` or without dashes.")]
UpdatedSince = Annotated[
    Timestamp | None, Query(description="Only those changed at or after (RFC 3339 with offset).")
]


@router.post(
    "/parcels",
    status_code=status.HTTP_201_CREATED,
    response_model=Parcel,
    summary="Register a parcel",
    description="An Assessor's parcel by its APN (10 digits; `5409-015-900` or `5409015900`, stored as "
    "digits, shown dashed). A registered APN is 409. Send `Idempotency-Key` to make retries safe.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, Conflict, ValidationFailed),
)
async def parcels_create(
    body: ParcelCreate, session: Session, actor: Writer, request: Request, response: Response
) -> Parcel:
    parcel = await service.create(session, body, actor)
    response.headers["Location"] = request.app.url_path_for("parcels_get", apn=parcel.apn)
    set_etag(response, parcel.version)
    return parcel


@router.get(
    "/parcels",
    response_model=ParcelPage,
    summary="List parcels",
    description="Keyset-paged in APN order.",
    responses=problem_responses(*AUTH_PROBLEMS, InvalidPageToken, ValidationFailed),
)
async def parcels_list(
    session: Session, pager: PageParams, _: Reader, updated_since: UpdatedSince = None
) -> ParcelPage:
    items, token = await service.list_page(session, pager, updated_since=updated_since)
    return ParcelPage(items=items, next_page_token=token)


@router.get(
    "/parcels/{apn}",
    response_model=Parcel,
    summary="Get a parcel",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def parcels_get(apn: ApnPath, session: Session, _: Reader, response: Response) -> Parcel:
    parcel = await service.get(session, service.apn_from_path(apn))
    set_etag(response, parcel.version)
    return parcel


@router.patch(
    "/parcels/{apn}",
    response_model=Parcel,
    summary="Change a parcel",
    description="Send only the fields to change, with `If-Match`. `retired_on` retires the parcel: it "
    "keeps its links but takes no new ones.",
    responses=problem_responses(
        *AUTH_PROBLEMS, NotFound, PreconditionFailed, PreconditionRequired, ValidationFailed
    ),
)
async def parcels_update(
    apn: ApnPath, body: ParcelUpdate, session: Session, actor: Writer, expected: IfMatch, response: Response
) -> Parcel:
    parcel = await service.update(session, service.apn_from_path(apn), body, expected, actor)
    set_etag(response, parcel.version)
    return parcel


@router.get(
    "/parcels/{apn}/assets",
    response_model=AssetPage,
    summary="List the assets on a parcel",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, InvalidPageToken, ValidationFailed),
)
async def parcels_assets_list(apn: ApnPath, session: Session, pager: PageParams, _: Reader) -> AssetPage:
    digits = service.apn_from_path(apn)
    await service.require(session, digits)
    rows, token = await assets.list_page(session, pager, filters={}, updated_since=None, apn=digits)
    return AssetPage(items=[assets.to_contract(row) for row in rows], next_page_token=token)


@links_router.get(
    "/assets/{asset_id}/parcels",
    response_model=ParcelPage,
    summary="List an asset's parcels",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, InvalidPageToken, ValidationFailed),
)
async def assets_parcels_list(
    asset_id: uuid.UUID, session: Session, pager: PageParams, _: Reader
) -> ParcelPage:
    await assets.get_record(session, asset_id)
    items, token = await service.list_page(session, pager, updated_since=None, asset_id=asset_id)
    return ParcelPage(items=items, next_page_token=token)


@links_router.put(
    "/assets/{asset_id}/parcels/{apn}",
    response_model=Asset,
    summary="Link an asset to a parcel",
    description="The asset stands on the parcel (many to many). Send `If-Match` with the asset's ETag: "
    "the link is a new version of the asset. Linking again changes nothing. A retired parcel takes no "
    "new link (409).",
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
async def assets_parcels_link(
    asset_id: uuid.UUID, apn: ApnPath, session: Session, actor: Writer, expected: IfMatch, response: Response
) -> Asset:
    asset, _ = await service.link(session, asset_id, service.apn_from_path(apn), expected, actor)
    set_etag(response, asset.version)
    return asset


@links_router.delete(
    "/assets/{asset_id}/parcels/{apn}",
    response_model=Asset,
    summary="Unlink an asset from a parcel",
    description="Send `If-Match` with the asset's ETag. Answers the asset as it now is.",
    responses=problem_responses(
        *AUTH_PROBLEMS,
        NotFound,
        InvalidTransition,
        PreconditionFailed,
        PreconditionRequired,
        ValidationFailed,
    ),
)
async def assets_parcels_unlink(
    asset_id: uuid.UUID, apn: ApnPath, session: Session, actor: Writer, expected: IfMatch, response: Response
) -> Asset:
    asset = await service.unlink(session, asset_id, service.apn_from_path(apn), expected, actor)
    set_etag(response, asset.version)
    return asset
