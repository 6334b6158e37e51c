"""`GET /inventory`: the City's property inventory, public like its other open data. Non-sensitive
assets only, with their public fields only (`PublicAsset`); no token needed."""

from __future__ import annotations

import uuid

from fastapi import Response

from services.assets.access import Viewer
from services.assets.contracts import PublicAsset, PublicAssetPage
from services.assets.registry import service as assets
from services.assets.registry.router import Filters
from services.common.db import Session
from services.common.pagination import PageParams
from services.common.problems import (
    InvalidPageToken,
    NotFound,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from services.common.unit_of_work import service_router

router = service_router(tags=["inventory"])

# Public and the same for every caller: shared caches may keep a page for a few minutes.
CACHE_CONTROL = "public, max-age=300"


@router.get(
    "/inventory",
    response_model=PublicAssetPage,
    summary="The public property inventory",
    description="The City's land, buildings and structures, less those marked sensitive, with public "
    "fields only. No token needed; a token that is sent must be valid. Same filters as `/assets`.",
    responses=problem_responses(Unauthorized, InvalidPageToken, ValidationFailed),
)
async def inventory_list(
    session: Session, pager: PageParams, _: Viewer, filters: Filters, response: Response
) -> PublicAssetPage:
    rows, token = await assets.list_page(
        session, pager, filters=filters.columns, updated_since=filters.updated_since, public=True
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    return PublicAssetPage(items=[assets.to_public(row) for row in rows], next_page_token=token)


@router.get(
    "/inventory/{asset_id}",
    response_model=PublicAsset,
    summary="An asset of the public inventory",
    description="404 for an asset marked sensitive, as for one that does not exist.",
    responses=problem_responses(Unauthorized, NotFound, ValidationFailed),
)
async def inventory_get(asset_id: uuid.UUID, session: Session, _: Viewer, response: Response) -> PublicAsset:
    row = await assets.get_record(session, asset_id)
    if row.is_sensitive:
        raise NotFound(f"No asset has id {asset_id}.")
    response.headers["Cache-Control"] = CACHE_CONTROL
    return assets.to_public(row)
