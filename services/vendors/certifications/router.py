"""HTTP surface of certifications and certifying agencies: parse, authorise, call the service."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response, status

from services.common.auth import AUTH_PROBLEMS
from services.common.concurrency import IfMatch, set_etag
from services.common.db import Session
from services.common.idempotency import idempotency_key_header
from services.common.pagination import PageParams
from services.common.problems import (
    BadRequest,
    Conflict,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
    problem_responses,
)
from services.common.unit_of_work import service_router
from services.vendors.access import Reader, Writer
from services.vendors.certifications import service
from services.vendors.certifications.service import ListFilters
from services.vendors.contracts import (
    AgencyCode,
    Certification,
    CertificationCreate,
    CertificationListPage,
    CertificationPage,
    CertificationStatus,
    CertificationTransition,
    CertificationType,
    CertificationUpdate,
    CertifyingAgencyPage,
    Timestamp,
)

router = service_router(tags=["certifications"])
agencies_router = service_router(tags=["certifying-agencies"])


async def _filters(
    type_: Annotated[CertificationType | None, Query(alias="type", description="e.g. `wbe`.")] = None,
    status_: Annotated[
        CertificationStatus | None,
        Query(alias="status", description="`expired`: verified and past the expiration date."),
    ] = None,
    agency_code: Annotated[AgencyCode | None, Query(description="e.g. `LA-BCA`.")] = None,
    updated_since: Annotated[
        Timestamp | None, Query(description="Only certifications changed at or after.")
    ] = None,
) -> ListFilters:
    return ListFilters(type_, status_, agency_code, updated_since)


Filters = Annotated[ListFilters, Depends(_filters)]


def _location(certification: Certification) -> str:
    return f"/v1/procurement/certifications/{certification.id}"


@router.post(
    "/vendors/{vendor_id}/certifications",
    status_code=status.HTTP_201_CREATED,
    response_model=Certification,
    summary="Record a vendor's certification",
    description=(
        "Records a certificate as `pending` until it is verified with the agency. The same vendor, "
        "type, agency and certificate number cannot be recorded twice (409). Send `Idempotency-Key` "
        "to make retries safe."
    ),
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, Conflict, ValidationFailed),
)
async def certifications_create(
    vendor_id: uuid.UUID, body: CertificationCreate, session: Session, actor: Writer, response: Response
) -> Certification:
    certification = await service.create(session, vendor_id, body, actor)
    response.headers["Location"] = _location(certification)
    set_etag(response, certification.version)
    return certification


@router.get(
    "/vendors/{vendor_id}/certifications",
    response_model=CertificationPage,
    summary="List a vendor's certifications",
    description="Every certificate on record for the vendor, current and past, oldest first.",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, BadRequest, ValidationFailed),
)
async def certifications_list_by_vendor(
    vendor_id: uuid.UUID, session: Session, pager: PageParams, _: Reader, filters: Filters
) -> CertificationPage:
    items, token = await service.list_of_vendor(session, pager, vendor_id, filters)
    return CertificationPage(items=items, next_page_token=token)


@router.get(
    "/certifications",
    response_model=CertificationListPage,
    summary="List certifications, or those expiring",
    description=(
        "All certifications, oldest first. With `expiring_within_days=N`: the verified ones whose last "
        "valid day is within N days, and those already expired (`status` = `expired`, negative "
        "`days_until_expiration`) unless `include_expired=false`, soonest expiration first."
    ),
    responses=problem_responses(*AUTH_PROBLEMS, BadRequest, ValidationFailed),
)
async def certifications_list(
    session: Session,
    pager: PageParams,
    _: Reader,
    filters: Filters,
    expiring_within_days: Annotated[
        int | None, Query(ge=0, le=3650, description="Days from today (City of Los Angeles time).")
    ] = None,
    include_expired: Annotated[
        bool, Query(description="With `expiring_within_days`: also list those already expired.")
    ] = True,
) -> CertificationListPage:
    items, token = await service.list_all(
        session, pager, filters, expiring_within_days=expiring_within_days, include_expired=include_expired
    )
    return CertificationListPage(items=items, next_page_token=token)


@router.get(
    "/certifications/{certification_id}",
    response_model=Certification,
    summary="Get a certification",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def certifications_get(
    certification_id: uuid.UUID, session: Session, _: Reader, response: Response
) -> Certification:
    certification = await service.get(session, certification_id)
    set_etag(response, certification.version)
    return certification


@router.patch(
    "/certifications/{certification_id}",
    response_model=Certification,
    summary="Correct a pending certification",
    description=(
        "Send only the fields to change, with `If-Match` set to the ETag you read. Only a `pending` "
        "certification can change (409 otherwise): a renewed certificate is recorded anew and supersedes "
        "the old one."
    ),
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
async def certifications_update(
    certification_id: uuid.UUID,
    body: CertificationUpdate,
    session: Session,
    actor: Writer,
    expected: IfMatch,
    response: Response,
) -> Certification:
    certification = await service.update(session, certification_id, body, expected, actor)
    set_etag(response, certification.version)
    return certification


@router.post(
    "/certifications/{certification_id}/transitions",
    response_model=Certification,
    summary="Change a certification's status",
    description=(
        "pending → verified | rejected; verified → revoked | superseded. Rejection and revocation need "
        "a `reason`. `expired` follows from the date and cannot be set. An illegal move is 409 with "
        "`allowed_transitions`."
    ),
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, InvalidTransition, ValidationFailed),
)
async def certifications_transition(
    certification_id: uuid.UUID,
    body: CertificationTransition,
    session: Session,
    actor: Writer,
    response: Response,
) -> Certification:
    certification = await service.transition(session, certification_id, body, actor)
    set_etag(response, certification.version)
    return certification


@agencies_router.get(
    "/certifying-agencies",
    response_model=CertifyingAgencyPage,
    summary="List certifying agencies",
    description="The agencies whose certificates the City records (reference data), by code.",
    responses=problem_responses(*AUTH_PROBLEMS, BadRequest, ValidationFailed),
)
async def certifying_agencies_list(session: Session, pager: PageParams, _: Reader) -> CertifyingAgencyPage:
    items, token = await service.list_agencies(session, pager)
    return CertifyingAgencyPage(items=items, next_page_token=token)
