"""HTTP surface of tax profiles: `/vendors/{id}/tax-profile` (masked) and its audited `reveal`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response, status

from services.common.auth import AUTH_PROBLEMS, Principal, requires
from services.common.concurrency import expected_version, set_etag
from services.common.db import Session
from services.common.problems import (
    BadRequest,
    Conflict,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
    problem_responses,
)
from services.vendors.access import Reader, Writer
from services.vendors.contracts import TaxProfile, TaxProfilePut, TaxProfileRevealed, TaxProfileRevealRequest
from services.vendors.tax import service
from services.vendors.tax.vault import TinVault

router = APIRouter(tags=["tax"])

Revealer = Annotated[Principal, requires("procurement:tax_reveal")]
# Responses that carry a full TIN must not be kept by any cache, shared or private.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def _vault(request: Request) -> TinVault:
    vault: TinVault = request.app.state.tin_vault
    return vault


Vault = Annotated[TinVault, Depends(_vault)]


IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="Required once a profile exists: the `ETag` you read (412 if it moved on). Leave it out "
        "to create the first profile.",
    ),
]


def precondition(if_match: str | None) -> service.Precondition:
    """`If-Match` parsed by the kernel's rules, but optional: its absence means "create". Called in the
    route body, so that an invalid body is reported (422) before the header is judged."""
    if if_match is None:
        return service.Precondition(sent=False)
    return service.Precondition(sent=True, version=expected_version(if_match))


@router.get(
    "/vendors/{vendor_id}/tax-profile",
    response_model=TaxProfile,
    summary="Get a vendor's tax profile",
    description="The TIN type and the TIN masked to its last four (`***-**-6789`, `**-***6789`).",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def tax_profile_get(
    vendor_id: uuid.UUID, session: Session, _: Reader, response: Response
) -> TaxProfile:
    profile = await service.get(session, vendor_id)
    set_etag(response, profile.version)
    return profile


@router.put(
    "/vendors/{vendor_id}/tax-profile",
    response_model=TaxProfile,
    summary="Set a vendor's tax profile",
    description=(
        "Creates the profile (201, no `If-Match`) or replaces it (200, `If-Match` required: 428 without, "
        "412 when stale). The TIN is stored encrypted and shown only masked. A TIN already held by another "
        "vendor is 409 `duplicate-tin`, naming that vendor (`existing_vendor_id`, "
        "`existing_vendor_number`): merge the two instead. A merged vendor's profile cannot be set (409)."
    ),
    responses={
        status.HTTP_201_CREATED: {"model": TaxProfile, "description": "Created"},
        **problem_responses(
            *AUTH_PROBLEMS, NotFound, Conflict, PreconditionFailed, PreconditionRequired, ValidationFailed
        ),
    },
)
async def tax_profile_put(
    vendor_id: uuid.UUID,
    body: TaxProfilePut,
    session: Session,
    actor: Writer,
    vault: Vault,
    response: Response,
    if_match: IfMatchHeader = None,
) -> TaxProfile:
    profile, created = await service.put(session, vault, vendor_id, body, precondition(if_match), actor)
    if created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = f"/v1/procurement/vendors/{vendor_id}/tax-profile"
    set_etag(response, profile.version)
    return profile


@router.post(
    "/vendors/{vendor_id}/tax-profile/reveal",
    response_model=TaxProfileRevealed,
    summary="Reveal a vendor's full TIN",
    description=(
        "Needs the `procurement:tax_reveal` scope and a `reason`; each call is an audit event "
        "(`tax_profile.reveal`) with the caller and the reason, never the number. Served with "
        "`Cache-Control: no-store`. Not idempotent by design: `Idempotency-Key` is refused (400)."
    ),
    responses=problem_responses(*AUTH_PROBLEMS, BadRequest, NotFound, ValidationFailed),
)
async def tax_profile_reveal(
    vendor_id: uuid.UUID,
    body: TaxProfileRevealRequest,
    session: Session,
    actor: Revealer,
    vault: Vault,
    response: Response,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", include_in_schema=False)] = None,
) -> TaxProfileRevealed:
    # Never replayed: a stored response would keep the TIN in clear in the idempotency store, and a
    # replay would show it without the audit event that every reveal must leave.
    if idempotency_key is not None:
        raise BadRequest("A reveal cannot be made idempotent: send it without `Idempotency-Key`.")
    revealed = await service.reveal(session, vault, vendor_id, body.reason, actor)
    response.headers.update(NO_STORE)
    return revealed
