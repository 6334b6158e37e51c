"""HTTP surface of sealed bids and the public tabulation."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Response, status

from services.common.auth import AUTH_PROBLEMS
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
from services.vendors.access import Bidder, OpenedBidReader, Viewer
from services.vendors.bids import opening, service
from services.vendors.bids.sealing import Sealer, bid_sealer
from services.vendors.bids.service import OutsideTenderPeriod, SealedUntilOpening
from services.vendors.contracts import Bid, BidCreate, BidPage, Tabulation
from services.vendors.solicitations import service as solicitations

router = service_router(tags=["bids"])

SealerDependency = Annotated[Sealer, Depends(bid_sealer)]
BIDS = "/solicitations/{solicitation_id}/bids"
SUPPLIERS = "For suppliers: scope `procurement:bid` and a `vendor` claim naming an `active` vendor. "


def _location(solicitation_id: uuid.UUID, bid_id: uuid.UUID) -> str:
    return f"/v1/procurement/solicitations/{solicitation_id}/bids/{bid_id}"


@router.post(
    BIDS,
    status_code=status.HTTP_201_CREATED,
    response_model=Bid,
    summary="Submit a sealed bid",
    description=SUPPLIERS + "Only during the tender period by the server clock (409 "
    "`outside-tender-period` otherwise). `sealed` is encrypted on arrival; the response carries the "
    "receipt, not the prices (read them back with GET). One live bid per vendor: replace it with PUT.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(
        *AUTH_PROBLEMS, NotFound, OutsideTenderPeriod, ValidationFailed, UnprocessableEntity
    ),
)
async def bids_create(
    solicitation_id: uuid.UUID,
    body: BidCreate,
    session: Session,
    actor: Bidder,
    now: Now,
    sealer: SealerDependency,
    response: Response,
) -> Bid:
    bid = await service.submit(session, solicitation_id, body, actor, now, sealer)
    response.headers["Location"] = _location(solicitation_id, bid.id)
    set_etag(response, bid.version)
    return bid


@router.get(
    BIDS,
    response_model=BidPage,
    summary="List a solicitation's bids",
    description="403 (`sealed-until-opening`) for everyone before the opening, whatever the token's "
    "scopes; afterwards, with `procurement:read`. The public reads the tabulation.",
    responses=problem_responses(*AUTH_PROBLEMS, SealedUntilOpening, NotFound, BadRequest, ValidationFailed),
)
async def bids_list(
    solicitation_id: uuid.UUID, session: Session, pager: PageParams, viewer: OpenedBidReader, now: Now
) -> BidPage:
    items, token = await service.list_page(session, solicitation_id, viewer, now, pager)
    return BidPage(items=items, next_page_token=token)


@router.get(
    BIDS + "/{bid_id}",
    response_model=Bid,
    summary="Get a bid",
    description="The bidding vendor reads its own bid, decrypted, at any time. Anyone else gets 403 "
    "(`sealed-until-opening`) before the opening, whatever the token's scopes; after it, "
    "`procurement:read` reads the opened bid.",
    responses=problem_responses(*AUTH_PROBLEMS, SealedUntilOpening, NotFound, ValidationFailed),
)
async def bids_get(
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    session: Session,
    viewer: OpenedBidReader,
    now: Now,
    sealer: SealerDependency,
    response: Response,
) -> Bid:
    bid = await service.get(session, solicitation_id, bid_id, viewer, now, sealer)
    set_etag(response, bid.version)
    return bid


@router.put(
    BIDS + "/{bid_id}",
    response_model=Bid,
    summary="Replace a bid",
    description=SUPPLIERS + "The bid's own vendor, with `If-Match`, during the tender period: the whole "
    "bid is submitted again, with a new submission time and a new receipt.",
    responses=problem_responses(
        *AUTH_PROBLEMS,
        NotFound,
        OutsideTenderPeriod,
        InvalidTransition,
        PreconditionFailed,
        PreconditionRequired,
        ValidationFailed,
    ),
)
async def bids_replace(
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: BidCreate,
    session: Session,
    actor: Bidder,
    expected: IfMatch,
    now: Now,
    sealer: SealerDependency,
    response: Response,
) -> Bid:
    bid = await service.replace(session, solicitation_id, bid_id, body, expected, actor, now, sealer)
    set_etag(response, bid.version)
    return bid


@router.post(
    BIDS + "/{bid_id}/withdraw",
    response_model=Bid,
    summary="Withdraw a bid",
    description=SUPPLIERS + "The bid's own vendor, during the tender period. The sealed content is "
    "destroyed: a withdrawn bid is never opened and is absent from the tabulation.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, OutsideTenderPeriod, InvalidTransition),
)
async def bids_withdraw(
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    session: Session,
    actor: Bidder,
    now: Now,
    response: Response,
) -> Bid:
    bid = await service.withdraw(session, solicitation_id, bid_id, actor, now)
    set_etag(response, bid.version)
    return bid


@router.get(
    "/solicitations/{solicitation_id}/tabulation",
    response_model=Tabulation,
    summary="The bid tabulation (public)",
    description="Made by the public opening; no token needed. Every bid not withdrawn, lowest total "
    "first, with its sealed payload, receipt hash and the released key: recompute each receipt and "
    "decrypt each payload to check the totals. 409 before the opening.",
    responses=problem_responses(Unauthorized, NotFound, Conflict, ValidationFailed),
)
async def bids_tabulation(
    solicitation_id: uuid.UUID, session: Session, viewer: Viewer, now: Now
) -> Tabulation:
    solicitation = await solicitations.load_visible(session, solicitation_id, viewer, now)
    return await opening.tabulation(session, solicitation)
