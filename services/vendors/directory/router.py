"""`GET /directory`: the certified-vendor directory, public like the City's other open data."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from services.common.db import Session
from services.common.pagination import PageParams
from services.common.problems import BadRequest, ValidationFailed, problem_responses
from services.common.unit_of_work import service_router
from services.vendors.contracts import COMMODITY_FILTER, CertificationType, DirectoryPage
from services.vendors.contracts.patterns import NO_NUL
from services.vendors.directory import service

router = service_router(tags=["directory"])

# Public and the same for every caller: shared caches may keep a page for a few minutes.
CACHE_CONTROL = "public, max-age=300"


@router.get(
    "/directory",
    response_model=DirectoryPage,
    summary="Certified-vendor directory (public)",
    description=(
        "Active vendors holding at least one verified certification valid today, with public fields "
        "only: names, entity type, size, city and postal code, the contact designated for bids, "
        "commodity codes and current certificates. No token needed."
    ),
    responses=problem_responses(BadRequest, ValidationFailed),
)
async def directory_list(
    session: Session,
    pager: PageParams,
    response: Response,
    certification: Annotated[
        CertificationType | None, Query(description="Only vendors holding this type, e.g. `wbe`.")
    ] = None,
    commodity: Annotated[
        str | None,
        Query(
            max_length=40,
            pattern=COMMODITY_FILTER,
            description="`<scheme>:<code>`; matches that code and every code below it.",
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=NO_NUL,
            description="Name search over legal and DBA names; punctuation or legal suffixes alone match nothing.",
        ),
    ] = None,
) -> DirectoryPage:
    items, token = await service.list_page(
        session, pager, certification=certification, commodity=commodity, q=q
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    return DirectoryPage(items=items, next_page_token=token)
