"""HTTP surface of the OCDS publication: release packages and record packages, open data for anyone."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request, Response

from services.common.clock import Now
from services.common.db import Session
from services.common.forwarded import public_url
from services.common.pagination import PageParams
from services.common.problems import BadRequest, NotFound, ValidationFailed, problem_responses
from services.common.unit_of_work import service_router
from services.vendors.access import Settings
from services.vendors.contracts import OcdsLinks, OcdsRecordPackage, OcdsReleasePackage
from services.vendors.contracts.patterns import NO_NUL
from services.vendors.ocds import service
from services.vendors.ocds.packages import EXTENSIONS, VERSION, publisher
from services.vendors.solicitations.router import RFC3339

router = service_router(prefix="/ocds", tags=["ocds"])

PUBLIC = " Public: no token needed. Drafts never appear."


@router.get(
    "/releases",
    response_model=OcdsReleasePackage,
    response_model_exclude_none=True,
    summary="List OCDS releases",
    description="An OCDS 1.1 release package: one release per change of a contracting process "
    "(publication, addendum, bid opening, award, award update, contract, contract update, amendment, "
    "payment, end of the tender), oldest first, keyset-paged; `links.next` is the next page. "
    "`since` keeps the releases dated after that instant, for incremental harvesting. Before the "
    "public opening a release holds no price, no bidder, and a bid count only when the solicitation "
    "discloses it. When no release matches (nothing published yet, or nothing after `since`) the answer "
    "is 204 with no body: an OCDS package holds at least one release." + PUBLIC,
    responses={
        204: {"description": "No release matches: nothing published yet, or nothing after `since`."},
        **problem_responses(BadRequest, ValidationFailed),
    },
)
async def ocds_list_releases(
    request: Request,
    session: Session,
    pager: PageParams,
    settings: Settings,
    now: Now,
    since: Annotated[
        RFC3339 | None, Query(description="Only releases dated after this instant (RFC 3339 with offset).")
    ] = None,
) -> OcdsReleasePackage | Response:
    releases, token = await service.releases_page(session, pager, since)
    if not releases:
        return Response(status_code=204)
    url = public_url(request)
    next_page = str(url.include_query_params(page_token=token)) if token else None
    return OcdsReleasePackage(
        uri=str(url),
        version=VERSION,
        extensions=EXTENSIONS,
        publishedDate=now,
        publisher=publisher(settings),
        releases=releases,
        links=OcdsLinks(next=next_page) if next_page else None,
    )


@router.get(
    "/records/{ocid}",
    response_model=OcdsRecordPackage,
    response_model_exclude_none=True,
    summary="Get an OCDS record",
    description="An OCDS 1.1 record package holding the process's record: every release, oldest first, "
    "and `compiledRelease`, its current state merged by the OCDS merge rules. 404 for an ocid that is "
    "unknown or belongs to a draft." + PUBLIC,
    responses=problem_responses(NotFound, ValidationFailed),
)
async def ocds_get_record(
    request: Request,
    session: Session,
    settings: Settings,
    now: Now,
    ocid: Annotated[
        str, Path(max_length=80, pattern=NO_NUL, description="e.g. `ocds-cityops-IFB-2026-0001`.")
    ],
) -> OcdsRecordPackage:
    record = await service.record(session, ocid)
    return OcdsRecordPackage(
        uri=str(public_url(request)),
        version=VERSION,
        extensions=EXTENSIONS,
        publishedDate=now,
        publisher=publisher(settings),
        records=[record],
    )
