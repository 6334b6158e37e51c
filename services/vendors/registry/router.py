"""HTTP surface of the vendor registry: parse, authorise, call the service, shape the response."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response, status

from services.common.auth import AUTH_PROBLEMS
from services.common.concurrency import IfMatch, set_etag
from services.common.db import Session
from services.common.idempotency import idempotency_key_header
from services.common.openapi import json_examples
from services.common.pagination import PageParams
from services.common.problems import (
    BadRequest,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    UnprocessableEntity,
    ValidationFailed,
    problem_responses,
)
from services.common.unit_of_work import service_router
from services.common.wire import LIST_FILTER_MAX_ITEMS
from services.vendors.access import Reader, Writer
from services.vendors.contracts import (
    COMMODITY_FILTER,
    CertificationType,
    IsoDate,
    Timestamp,
    Vendor,
    VendorCreate,
    VendorPage,
    VendorStatus,
    VendorTransition,
    VendorUpdate,
)
from services.vendors.contracts.patterns import NO_NUL
from services.vendors.registry import examples, service

router = service_router(tags=["vendors"])

VendorId = Annotated[uuid.UUID, "The vendor's id"]


@router.post(
    "/vendors",
    status_code=status.HTTP_201_CREATED,
    response_model=Vendor,
    summary="Register a vendor",
    description="Creates a vendor in `draft`. Send `Idempotency-Key` to make retries safe.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, ValidationFailed, UnprocessableEntity),
    openapi_extra=json_examples(request=examples.VENDOR_CREATE, status_201=examples.VENDOR),
)
async def vendors_create(body: VendorCreate, session: Session, actor: Writer, response: Response) -> Vendor:
    vendor = await service.create(session, body, actor)
    response.headers["Location"] = f"/v1/procurement/vendors/{vendor.id}"
    set_etag(response, vendor.version)
    return vendor


@router.get(
    "/vendors",
    response_model=VendorPage,
    summary="List vendors",
    description="Keyset-paged, oldest first. Filters combine with AND; repeat `status` for several.",
    responses=problem_responses(*AUTH_PROBLEMS, BadRequest, ValidationFailed),
    openapi_extra=json_examples(status_200=examples.VENDOR_PAGE),
)
async def vendors_list(
    session: Session,
    pager: PageParams,
    _: Reader,
    status_: Annotated[
        list[VendorStatus] | None, Query(max_length=LIST_FILTER_MAX_ITEMS, alias="status")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=NO_NUL,
            description="Name search over legal and DBA names, normalised; punctuation or legal suffixes "
            "alone (`LLC`) match nothing.",
        ),
    ] = None,
    commodity: Annotated[
        str | None,
        Query(
            max_length=40,
            pattern=COMMODITY_FILTER,
            description="`<scheme>:<code>`; matches that code and every code below it.",
        ),
    ] = None,
    updated_since: Annotated[Timestamp | None, Query(description="Only vendors changed at or after.")] = None,
    certification: Annotated[
        CertificationType | None,
        Query(description="Only vendors holding a verified certification of this type valid on `as_of`."),
    ] = None,
    as_of: Annotated[
        IsoDate | None,
        Query(description="With `certification`: the day it must be valid on (default: today, Los Angeles)."),
    ] = None,
) -> VendorPage:
    items, token = await service.list_page(
        session,
        pager,
        statuses=status_,
        q=q,
        commodity=commodity,
        updated_since=updated_since,
        certification=certification,
        as_of=as_of,
    )
    return VendorPage(items=items, next_page_token=token)


@router.get(
    "/vendors/{vendor_id}",
    response_model=Vendor,
    summary="Get a vendor",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
    openapi_extra=json_examples(status_200=examples.VENDOR),
)
async def vendors_get(vendor_id: uuid.UUID, session: Session, _: Reader, response: Response) -> Vendor:
    vendor = await service.get(session, vendor_id)
    set_etag(response, vendor.version)
    return vendor


@router.patch(
    "/vendors/{vendor_id}",
    response_model=Vendor,
    summary="Change a vendor",
    description="Send only the fields to change, with `If-Match` set to the ETag you read.",
    responses=problem_responses(
        *AUTH_PROBLEMS,
        NotFound,
        InvalidTransition,
        PreconditionFailed,
        PreconditionRequired,
        ValidationFailed,
    ),
)
async def vendors_update(
    vendor_id: uuid.UUID,
    body: VendorUpdate,
    session: Session,
    actor: Writer,
    expected: IfMatch,
    response: Response,
) -> Vendor:
    vendor = await service.update(session, vendor_id, body, expected, actor)
    set_etag(response, vendor.version)
    return vendor


@router.post(
    "/vendors/{vendor_id}/transitions",
    response_model=Vendor,
    summary="Change a vendor's status",
    description=(
        "draft → submitted → active ⇄ suspended → debarred; active → inactive → active. "
        "Suspension and debarment need a `reason`. An illegal move is 409 with `allowed_transitions`."
    ),
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, InvalidTransition, ValidationFailed),
)
async def vendors_transition(
    vendor_id: uuid.UUID, body: VendorTransition, session: Session, actor: Writer, response: Response
) -> Vendor:
    vendor = await service.transition(session, vendor_id, body, actor)
    set_etag(response, vendor.version)
    return vendor
