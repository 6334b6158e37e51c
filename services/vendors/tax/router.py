"""HTTP surface of tax profiles: `/vendors/{id}/tax-profile` (masked) and its audited `reveal`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Request, Response, status

from services.common.auth import AUTH_PROBLEMS, Principal, requires
from services.common.concurrency import ETAG_MAX_LENGTH, IF_MATCH_PATTERN, expected_version, set_etag
from services.common.db import Session
from services.common.problems import (
    BadRequest,
    Conflict,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    TooManyRequests,
    ValidationFailed,
    problem_responses,
)
from services.common.unit_of_work import service_router
from services.vendors.access import Reader, Writer
from services.vendors.contracts import (
    TAX_PROFILE_PUT_VARIANTS,
    TaxProfile,
    TaxProfilePut,
    TaxProfileRevealed,
    TaxProfileRevealRequest,
)
from services.vendors.tax import service
from services.vendors.tax.duplicate_attempts import DuplicateTinAttempts
from services.vendors.tax.vault import TinVault

router = service_router(tags=["tax"])

PROFILE_PATH = "/vendors/{vendor_id}/tax-profile"

Revealer = Annotated[Principal, requires("procurement:tax_reveal")]
# Responses that carry a full TIN must not be kept by any cache, shared or private.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def _vault(request: Request) -> TinVault:
    vault: TinVault = request.app.state.tin_vault
    return vault


Vault = Annotated[TinVault, Depends(_vault)]


async def _duplicate_attempts(request: Request) -> DuplicateTinAttempts:
    attempts: DuplicateTinAttempts = request.app.state.tin_duplicate_attempts
    return attempts


DuplicateAttempts = Annotated[DuplicateTinAttempts, Depends(_duplicate_attempts)]


IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        min_length=1,
        max_length=ETAG_MAX_LENGTH,
        description="To replace the profile: the `ETag` you read (412 if it moved on, or if there is no "
        "profile yet). A replacement without it is 428.",
    ),
]
IfNoneMatchHeader = Annotated[
    Literal["*"] | None,
    Header(
        alias="If-None-Match",
        description="`*` to create the first profile: 412 if the vendor has one already, so a retry or a race "
        "never replaces it.",
    ),
]


def precondition(if_match: str | None, if_none_match: str | None) -> service.Precondition:
    """`If-Match` parsed by the kernel's rules, but optional: creating goes without it. Called in the
    route body, so that an invalid body is reported (422) before the headers are judged."""
    absent = if_none_match is not None
    if if_match is None:
        return service.Precondition(sent=False, absent=absent)
    return service.Precondition(sent=True, version=expected_version(if_match), absent=absent)


def document_tax_profile_put(document: dict[str, Any], prefix: str) -> None:
    """What the document says of `PUT …/tax-profile` beyond the kernel's rules.

    `If-Match` is one of two ways to call it (create with `If-None-Match: *`, replace with `If-Match`), so
    neither header is required; `If-Match` keeps the kernel's form (`*` or an ETag). The body is one variant per `tin_type`, each
    with the format of its `tin`: the server reads them as one model (`TaxProfilePut`), whose errors then
    name `tin` itself rather than the variant."""
    operation = document["paths"][prefix + PROFILE_PATH]["put"]
    for parameter in operation["parameters"]:
        if parameter["in"] == "header" and parameter["name"] in ("If-Match", "If-None-Match"):
            parameter["required"] = False
            declared = parameter["schema"]
            options = [option for option in declared.pop("anyOf", []) if option.get("type") != "null"]
            if options:
                declared.update(options[0])
            if parameter["name"] == "If-Match":
                declared["pattern"] = IF_MATCH_PATTERN
            else:
                # An enum, not pydantic's `const`: openapi-python-client drops an operation whose header is
                # a `const`, and the varname gives generated enums a readable member (`ANY`).
                parameter["schema"] = {"type": "string", "enum": ["*"], "x-enum-varnames": ["any"]}
    schemas = document["components"]["schemas"]
    mapping = {}
    for tin_type, model in TAX_PROFILE_PUT_VARIANTS.items():
        schemas[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
        mapping[tin_type.value] = f"#/components/schemas/{model.__name__}"
    schemas[TaxProfilePut.__name__] = {
        "title": TaxProfilePut.__name__,
        "description": "The W-9 (or W-8) identity of the vendor: `tin_type` picks the variant and the format "
        "of `tin`. The TIN is write-only: responses show its last four.",
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "tin_type", "mapping": mapping},
    }


@router.get(
    PROFILE_PATH,
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
    PROFILE_PATH,
    response_model=TaxProfile,
    summary="Set a vendor's tax profile",
    description=(
        "Creates the profile or replaces it. To create, send `If-None-Match: *` (201; 412 if a profile "
        "exists). To replace, send `If-Match` with the `ETag` you read (200; 412 when stale or when there is "
        "no profile). A replacement without `If-Match` is 428; a first PUT without either header still "
        "creates. The same TIN again changes nothing (200). The TIN is stored encrypted and shown only masked. A TIN already held by another "
        "vendor is 409 `duplicate-tin`: merge the two instead. Only a caller with `procurement:tax_reveal` "
        "is told which vendor holds it (`existing_vendor_id`, `existing_vendor_number`). Each such refusal "
        "is audited (`tax_profile.duplicate_tin`) and counted: past a few per caller "
        "(`CITYOPS_VENDORS_TIN_DUPLICATE_LIMIT`, 10 an hour by default), the caller's writes here are 429 "
        "with `Retry-After`. A merged vendor's profile cannot be set (409)."
    ),
    responses={
        status.HTTP_201_CREATED: {"model": TaxProfile, "description": "Created"},
        **problem_responses(
            *AUTH_PROBLEMS,
            NotFound,
            Conflict,
            PreconditionFailed,
            PreconditionRequired,
            ValidationFailed,
            TooManyRequests,
        ),
    },
)
async def tax_profile_put(
    vendor_id: uuid.UUID,
    body: TaxProfilePut,
    session: Session,
    actor: Writer,
    vault: Vault,
    attempts: DuplicateAttempts,
    request: Request,
    response: Response,
    if_match: IfMatchHeader = None,
    if_none_match: IfNoneMatchHeader = None,
) -> TaxProfile:
    await attempts.admit(actor)
    conditions = precondition(if_match, if_none_match)
    try:
        profile, created = await service.put(session, vault, vendor_id, body, conditions, actor)
    except service.DuplicateTin as refusal:
        raise await attempts.refused(request.app.state.engine, vendor_id, actor, refusal) from None
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
