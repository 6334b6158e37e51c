"""HTTP surface of contracts, amendments and subcontract commitments."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response, status

from services.common.auth import AUTH_PROBLEMS, Viewer
from services.common.clock import Now
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
    Unauthorized,
    UnprocessableEntity,
    ValidationFailed,
    problem_responses,
)
from services.common.unit_of_work import service_router
from services.common.wire import LIST_FILTER_MAX_ITEMS
from services.vendors.access import Writer
from services.vendors.agreements import service
from services.vendors.contracts import (
    Amendment,
    AmendmentCreate,
    AmendmentPage,
    Contract,
    ContractCreate,
    ContractPage,
    ContractStatus,
    ContractTransition,
    ContractUpdate,
    Department,
    Subcontract,
    SubcontractCreate,
    SubcontractPage,
    SubcontractTransition,
    Timestamp,
)

router = service_router()

BASE = "/contracts"
PUBLIC = " Public procurement information: no token needed."


def _location(contract_id: uuid.UUID, *rest: object) -> str:
    return "/".join([f"/v1/procurement/contracts/{contract_id}", *map(str, rest)])


@router.post(
    BASE,
    tags=["contracts"],
    status_code=status.HTTP_201_CREATED,
    response_model=Contract,
    summary="Draft a contract from an award in force",
    description="`procurement:write`. The award must be `active` and without a contract (409). The value "
    "is the award amount; vendor and department come from the award and its solicitation.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, Conflict, ValidationFailed, UnprocessableEntity),
)
async def contracts_create(
    body: ContractCreate, session: Session, actor: Writer, now: Now, response: Response
) -> Contract:
    contract = await service.create(session, body, actor, now)
    response.headers["Location"] = _location(contract.id)
    set_etag(response, contract.version)
    return contract


@router.get(
    BASE,
    tags=["contracts"],
    response_model=ContractPage,
    summary="List contracts",
    description="Keyset-paged, oldest first; filters combine with AND, repeat one for several values."
    + PUBLIC,
    responses=problem_responses(Unauthorized, BadRequest, ValidationFailed),
)
async def contracts_list(
    session: Session,
    pager: PageParams,
    _: Viewer,
    vendor_id: Annotated[list[uuid.UUID] | None, Query(max_length=LIST_FILTER_MAX_ITEMS)] = None,
    department: Annotated[
        list[Department] | None, Query(max_length=LIST_FILTER_MAX_ITEMS, description="City department codes.")
    ] = None,
    status_: Annotated[
        list[ContractStatus] | None, Query(max_length=LIST_FILTER_MAX_ITEMS, alias="status")
    ] = None,
    solicitation_id: Annotated[list[uuid.UUID] | None, Query(max_length=LIST_FILTER_MAX_ITEMS)] = None,
    award_id: Annotated[list[uuid.UUID] | None, Query(max_length=LIST_FILTER_MAX_ITEMS)] = None,
    updated_since: Annotated[
        Timestamp | None, Query(description="Only those changed at or after (RFC 3339 with offset).")
    ] = None,
) -> ContractPage:
    items, token = await service.list_page(
        session,
        pager,
        vendor_ids=vendor_id,
        departments=department,
        statuses=status_,
        solicitation_ids=solicitation_id,
        award_ids=award_id,
        updated_since=updated_since,
    )
    return ContractPage(items=items, next_page_token=token)


@router.get(
    BASE + "/{contract_id}",
    tags=["contracts"],
    response_model=Contract,
    summary="Get a contract",
    description="`value` includes every amendment." + PUBLIC,
    responses=problem_responses(Unauthorized, NotFound, ValidationFailed),
)
async def contracts_get(contract_id: uuid.UUID, session: Session, _: Viewer, response: Response) -> Contract:
    contract = await service.get(session, contract_id)
    set_etag(response, contract.version)
    return contract


@router.patch(
    BASE + "/{contract_id}",
    tags=["contracts"],
    response_model=Contract,
    summary="Change a draft contract",
    description="Only while `draft`, with `If-Match`; send only the fields to change. An active contract "
    "changes through amendments.",
    responses=problem_responses(
        *AUTH_PROBLEMS, NotFound, Conflict, PreconditionFailed, PreconditionRequired, ValidationFailed
    ),
)
async def contracts_update(
    contract_id: uuid.UUID,
    body: ContractUpdate,
    session: Session,
    actor: Writer,
    expected: IfMatch,
    now: Now,
    response: Response,
) -> Contract:
    contract = await service.update(session, contract_id, body, expected, actor, now)
    set_etag(response, contract.version)
    return contract


@router.post(
    BASE + "/{contract_id}/transitions",
    tags=["contracts"],
    response_model=Contract,
    summary="Change a contract's status",
    description="`procurement:write`. draft → active (signed; `signed_date` is today unless set), "
    "active → completed, active → terminated (`reason` required). An illegal move is 409 with "
    "`allowed_transitions`.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, InvalidTransition, ValidationFailed),
)
async def contracts_transition(
    contract_id: uuid.UUID,
    body: ContractTransition,
    session: Session,
    actor: Writer,
    now: Now,
    response: Response,
) -> Contract:
    contract = await service.transition(session, contract_id, body, actor, now)
    set_etag(response, contract.version)
    return contract


@router.post(
    BASE + "/{contract_id}/amendments",
    tags=["amendments"],
    status_code=status.HTTP_201_CREATED,
    response_model=Amendment,
    summary="Amend an active contract",
    description="`procurement:write`, with `If-Match` (the contract's ETag: an amendment changes it). A "
    "signed change of value (never below zero: 422; nor below what is committed to subcontractors: "
    "409) and/or a new end date.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(
        *AUTH_PROBLEMS,
        NotFound,
        Conflict,
        PreconditionFailed,
        PreconditionRequired,
        ValidationFailed,
        UnprocessableEntity,
    ),
)
async def amendments_create(
    contract_id: uuid.UUID,
    body: AmendmentCreate,
    session: Session,
    actor: Writer,
    expected: IfMatch,
    now: Now,
    response: Response,
) -> Amendment:
    amendment = await service.amend(session, contract_id, body, expected, actor, now)
    response.headers["Location"] = _location(contract_id, "amendments", amendment.id)
    return amendment


@router.get(
    BASE + "/{contract_id}/amendments",
    tags=["amendments"],
    response_model=AmendmentPage,
    summary="List a contract's amendments",
    description="In order." + PUBLIC,
    responses=problem_responses(Unauthorized, NotFound, BadRequest, ValidationFailed),
)
async def amendments_list(
    contract_id: uuid.UUID, session: Session, pager: PageParams, _: Viewer
) -> AmendmentPage:
    items, token = await service.amendments_page(session, contract_id, pager)
    return AmendmentPage(items=items, next_page_token=token)


@router.get(
    BASE + "/{contract_id}/amendments/{amendment_id}",
    tags=["amendments"],
    response_model=Amendment,
    summary="Get an amendment",
    description=PUBLIC.strip(),
    responses=problem_responses(Unauthorized, NotFound, ValidationFailed),
)
async def amendments_get(
    contract_id: uuid.UUID, amendment_id: uuid.UUID, session: Session, _: Viewer
) -> Amendment:
    return await service.get_amendment(session, contract_id, amendment_id)


@router.post(
    BASE + "/{contract_id}/subcontracts",
    tags=["subcontracts"],
    status_code=status.HTTP_201_CREATED,
    response_model=Subcontract,
    summary="Commit part of a contract to a subcontractor",
    description="`procurement:write`, on a draft or active contract. The sub must be a registered vendor "
    "(422), other than the prime (422), `active` (409); a claimed certification must be verified and "
    "valid on `committed_date` (422). Commitments never exceed the contract's value (422).",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, Conflict, ValidationFailed, UnprocessableEntity),
)
async def subcontracts_create(
    contract_id: uuid.UUID,
    body: SubcontractCreate,
    session: Session,
    actor: Writer,
    now: Now,
    response: Response,
) -> Subcontract:
    subcontract = await service.commit_subcontract(session, contract_id, body, actor, now)
    response.headers["Location"] = _location(contract_id, "subcontracts", subcontract.id)
    set_etag(response, subcontract.version)
    return subcontract


@router.get(
    BASE + "/{contract_id}/subcontracts",
    tags=["subcontracts"],
    response_model=SubcontractPage,
    summary="List a contract's subcontract commitments",
    description="Oldest first." + PUBLIC,
    responses=problem_responses(Unauthorized, NotFound, BadRequest, ValidationFailed),
)
async def subcontracts_list(
    contract_id: uuid.UUID, session: Session, pager: PageParams, _: Viewer
) -> SubcontractPage:
    items, token = await service.subcontracts_page(session, contract_id, pager)
    return SubcontractPage(items=items, next_page_token=token)


@router.get(
    BASE + "/{contract_id}/subcontracts/{subcontract_id}",
    tags=["subcontracts"],
    response_model=Subcontract,
    summary="Get a subcontract commitment",
    description=PUBLIC.strip(),
    responses=problem_responses(Unauthorized, NotFound, ValidationFailed),
)
async def subcontracts_get(
    contract_id: uuid.UUID, subcontract_id: uuid.UUID, session: Session, _: Viewer, response: Response
) -> Subcontract:
    subcontract = await service.get_subcontract(session, contract_id, subcontract_id)
    set_etag(response, subcontract.version)
    return subcontract


@router.post(
    BASE + "/{contract_id}/subcontracts/{subcontract_id}/transitions",
    tags=["subcontracts"],
    response_model=Subcontract,
    summary="Cancel a subcontract commitment",
    description="`procurement:write`: committed → cancelled, `reason` required.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, InvalidTransition, ValidationFailed),
)
async def subcontracts_transition(
    contract_id: uuid.UUID,
    subcontract_id: uuid.UUID,
    body: SubcontractTransition,
    session: Session,
    actor: Writer,
    now: Now,
    response: Response,
) -> Subcontract:
    subcontract = await service.transition_subcontract(session, contract_id, subcontract_id, body, actor, now)
    set_etag(response, subcontract.version)
    return subcontract
