"""HTTP surface of awards and protests."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response, status

from services.common.auth import AUTH_PROBLEMS, Viewer
from services.common.clock import Now
from services.common.concurrency import set_etag
from services.common.db import Session
from services.common.idempotency import idempotency_key_header
from services.common.pagination import PageParams
from services.common.problems import (
    BadRequest,
    Conflict,
    InvalidTransition,
    NotFound,
    Unauthorized,
    UnprocessableEntity,
    ValidationFailed,
    problem_responses,
)
from services.common.unit_of_work import service_router
from services.common.wire import LIST_FILTER_MAX_ITEMS
from services.vendors.access import Bidder, Evaluator, ProtestMover, ProtestReader, Settings
from services.vendors.awards import protests, service
from services.vendors.awards.service import EvaluationIncomplete, NotTopRanked, ProtestWindowOpen
from services.vendors.contracts import (
    Award,
    AwardCreate,
    AwardPage,
    AwardStatus,
    AwardTransition,
    Protest,
    ProtestCreate,
    ProtestPage,
    ProtestStatus,
    ProtestTransition,
    Timestamp,
)
from services.vendors.flows import awarding
from services.vendors.solicitations.bidders import VendorNotEligible

router = service_router()

PUBLIC = " Public procurement information: no token needed."


def _award_location(award_id: uuid.UUID) -> str:
    return f"/v1/procurement/awards/{award_id}"


def _protest_location(protest_id: uuid.UUID) -> str:
    return f"/v1/procurement/protests/{protest_id}"


@router.post(
    "/solicitations/{solicitation_id}/awards",
    tags=["awards"],
    status_code=status.HTTP_201_CREATED,
    response_model=Award,
    summary="Issue the notice of intent to award",
    description="`procurement:evaluate`, once the evaluation is complete (409 `evaluation-incomplete`). "
    "`bid_id` must be the top-ranked qualified bid (409 `not-top-ranked` names the right one). The award "
    "is `intent`, for the bid's own price, with a protest window of business days; the solicitation "
    "moves from `evaluation` to `intent_to_award`.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(
        *AUTH_PROBLEMS, NotFound, EvaluationIncomplete, NotTopRanked, ValidationFailed, UnprocessableEntity
    ),
)
async def awards_create(
    solicitation_id: uuid.UUID,
    body: AwardCreate,
    session: Session,
    actor: Evaluator,
    now: Now,
    settings: Settings,
    response: Response,
) -> Award:
    award = await awarding.issue_intent(session, solicitation_id, body, actor, now, settings)
    response.headers["Location"] = _award_location(award.id)
    set_etag(response, award.version)
    return award


@router.get(
    "/awards",
    tags=["awards"],
    response_model=AwardPage,
    summary="List awards",
    description="Keyset-paged, oldest first; filters combine with AND, repeat one for several values."
    + PUBLIC,
    responses=problem_responses(Unauthorized, BadRequest, ValidationFailed),
)
async def awards_list(
    session: Session,
    pager: PageParams,
    _: Viewer,
    now: Now,
    solicitation_id: Annotated[list[uuid.UUID] | None, Query(max_length=LIST_FILTER_MAX_ITEMS)] = None,
    vendor_id: Annotated[list[uuid.UUID] | None, Query(max_length=LIST_FILTER_MAX_ITEMS)] = None,
    status_: Annotated[
        list[AwardStatus] | None, Query(max_length=LIST_FILTER_MAX_ITEMS, alias="status")
    ] = None,
    updated_since: Annotated[
        Timestamp | None, Query(description="Only those changed at or after (RFC 3339 with offset).")
    ] = None,
) -> AwardPage:
    items, token = await service.list_page(
        session,
        pager,
        now,
        solicitation_ids=solicitation_id,
        vendor_ids=vendor_id,
        statuses=status_,
        updated_since=updated_since,
    )
    return AwardPage(items=items, next_page_token=token)


@router.get(
    "/awards/{award_id}",
    tags=["awards"],
    response_model=Award,
    summary="Get an award",
    description="`protest_window_open` is judged at the server's clock (Los Angeles day)." + PUBLIC,
    responses=problem_responses(Unauthorized, NotFound, ValidationFailed),
)
async def awards_get(award_id: uuid.UUID, session: Session, _: Viewer, now: Now, response: Response) -> Award:
    award = await service.get(session, award_id, now)
    set_etag(response, award.version)
    return award


@router.post(
    "/awards/{award_id}/transitions",
    tags=["awards"],
    response_model=Award,
    summary="Make an award take effect, or reject it",
    description="`procurement:evaluate`. intent → `active`: only after the protest window has closed "
    "with no protest pending (409 `protest-window-open`) and with the vendor still `active` "
    "(409 `vendor-not-eligible`); sets `award_date` and moves the solicitation to `awarded`. "
    "intent or stayed → `rejected` (`reason` required): the award passes at once to the next-ranked "
    "qualified bid with a new notice and window, or the solicitation becomes `unsuccessful` when none "
    "is left; pending protests are dismissed as moot. `stayed` and `cancelled` are not moves.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(
        *AUTH_PROBLEMS, NotFound, InvalidTransition, ProtestWindowOpen, VendorNotEligible, ValidationFailed
    ),
)
async def awards_transition(
    award_id: uuid.UUID,
    body: AwardTransition,
    session: Session,
    actor: Evaluator,
    now: Now,
    settings: Settings,
    response: Response,
) -> Award:
    award = await awarding.move_award(session, award_id, body, actor, now, settings)
    set_etag(response, award.version)
    return award


@router.post(
    "/awards/{award_id}/protests",
    tags=["protests"],
    status_code=status.HTTP_201_CREATED,
    response_model=Protest,
    summary="Protest an award",
    description="For bidders: scope `procurement:bid` and a `vendor` claim naming a vendor whose bid was "
    "opened (403 otherwise). Timely (filed by `protest_window_ends_on`, Los Angeles day): `pending`, and "
    "the award is `stayed` until the protest is decided. Untimely: still recorded, 201 with "
    "`timely: false` and status `dismissed`. One pending protest per bidder and award (409).",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, Conflict, ValidationFailed, UnprocessableEntity),
)
async def protests_create(
    award_id: uuid.UUID,
    body: ProtestCreate,
    session: Session,
    actor: Bidder,
    now: Now,
    response: Response,
) -> Protest:
    protest = await protests.file(session, award_id, body, actor, now)
    response.headers["Location"] = _protest_location(protest.id)
    set_etag(response, protest.version)
    return protest


@router.get(
    "/protests",
    tags=["protests"],
    response_model=ProtestPage,
    summary="List protests",
    description="Procurement staff (`procurement:read` or `procurement:evaluate`) see every protest; a "
    "supplier (`procurement:bid` with a `vendor` claim) sees its own vendor's.",
    responses=problem_responses(*AUTH_PROBLEMS, BadRequest, ValidationFailed),
)
async def protests_list(
    session: Session,
    pager: PageParams,
    viewer: ProtestReader,
    award_id: Annotated[list[uuid.UUID] | None, Query(max_length=LIST_FILTER_MAX_ITEMS)] = None,
    solicitation_id: Annotated[list[uuid.UUID] | None, Query(max_length=LIST_FILTER_MAX_ITEMS)] = None,
    status_: Annotated[
        list[ProtestStatus] | None, Query(max_length=LIST_FILTER_MAX_ITEMS, alias="status")
    ] = None,
) -> ProtestPage:
    items, token = await protests.list_page(
        session, pager, viewer, award_ids=award_id, solicitation_ids=solicitation_id, statuses=status_
    )
    return ProtestPage(items=items, next_page_token=token)


@router.get(
    "/protests/{protest_id}",
    tags=["protests"],
    response_model=Protest,
    summary="Get a protest",
    description="For procurement staff and the protesting vendor.",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def protests_get(
    protest_id: uuid.UUID, session: Session, viewer: ProtestReader, response: Response
) -> Protest:
    protest = await protests.get(session, protest_id, viewer)
    set_etag(response, protest.version)
    return protest


@router.post(
    "/protests/{protest_id}/transitions",
    tags=["protests"],
    response_model=Protest,
    summary="Decide or withdraw a protest",
    description="pending → `upheld` or `denied` (`procurement:evaluate`, `reason` required), or "
    "`withdrawn` (the protesting vendor). Upheld: the award is rejected and passes to the next-ranked "
    "qualified bid. Denied or withdrawn: the award returns to `intent` once no protest is pending. "
    "`pending` and `dismissed` are not moves.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, InvalidTransition, ValidationFailed),
)
async def protests_transition(
    protest_id: uuid.UUID,
    body: ProtestTransition,
    session: Session,
    actor: ProtestMover,
    now: Now,
    settings: Settings,
    response: Response,
) -> Protest:
    protest = await awarding.decide_protest(session, protest_id, body, actor, now, settings)
    set_etag(response, protest.version)
    return protest
