"""HTTP surface of the evaluation: determinations, scores and the computed ranking."""

from __future__ import annotations

import uuid

from fastapi import Depends, Response, status

from services.common.auth import AUTH_PROBLEMS
from services.common.clock import Now
from services.common.db import Session
from services.common.idempotency import idempotency_key_header
from services.common.pagination import PageParams
from services.common.problems import (
    BadRequest,
    Conflict,
    NotFound,
    UnprocessableEntity,
    ValidationFailed,
    problem_responses,
)
from services.common.unit_of_work import service_router
from services.vendors.access import EvaluationReader, Evaluator, Settings
from services.vendors.contracts import (
    Determination,
    DeterminationCreate,
    DeterminationPage,
    Ranking,
    Score,
    ScoreCreate,
    ScorePage,
)
from services.vendors.evaluation import service
from services.vendors.evaluation.service import NotUnderEvaluation
from services.vendors.solicitations.bidders import VendorNotEligible

router = service_router(tags=["evaluation"])

BID = "/solicitations/{solicitation_id}/bids/{bid_id}"
STAFF = " Read with `procurement:read` or `procurement:evaluate`."


def _location(solicitation_id: uuid.UUID, bid_id: uuid.UUID, *rest: object) -> str:
    return "/".join([f"/v1/procurement/solicitations/{solicitation_id}/bids/{bid_id}", *map(str, rest)])


@router.post(
    BID + "/determinations",
    status_code=status.HTTP_201_CREATED,
    response_model=Determination,
    summary="Record a responsiveness or responsibility determination",
    description="`procurement:evaluate`, while the solicitation is in `evaluation`, with a `reason`. "
    "The latest determination of each kind counts; earlier ones stay on record. Responsibility is "
    "determined for responsive bids only, and `responsible` is refused (409 `vendor-not-eligible`) "
    "unless the server finds the vendor `active` in the registry. A bid that missed an addendum was "
    "made nonresponsive by the opening, which no determination changes (409).",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(
        *AUTH_PROBLEMS, NotFound, NotUnderEvaluation, VendorNotEligible, ValidationFailed, UnprocessableEntity
    ),
)
async def evaluation_determinations_create(
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: DeterminationCreate,
    session: Session,
    actor: Evaluator,
    now: Now,
    response: Response,
) -> Determination:
    determination = await service.determine(session, solicitation_id, bid_id, body, actor, now)
    response.headers["Location"] = _location(solicitation_id, bid_id, "determinations", determination.id)
    return determination


@router.get(
    BID + "/determinations",
    response_model=DeterminationPage,
    summary="List a bid's determinations",
    description="Oldest first; the latest of each kind is the one that counts." + STAFF,
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, BadRequest, ValidationFailed),
)
async def evaluation_determinations_list(
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    session: Session,
    pager: PageParams,
    viewer: EvaluationReader,
    now: Now,
) -> DeterminationPage:
    items, token = await service.determinations_page(session, solicitation_id, bid_id, viewer, now, pager)
    return DeterminationPage(items=items, next_page_token=token)


@router.get(
    BID + "/determinations/{determination_id}",
    response_model=Determination,
    summary="Get a determination",
    description=STAFF.strip(),
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def evaluation_determinations_get(
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    determination_id: uuid.UUID,
    session: Session,
    viewer: EvaluationReader,
    now: Now,
) -> Determination:
    return await service.get_determination(session, solicitation_id, bid_id, determination_id, viewer, now)


@router.post(
    BID + "/scores",
    status_code=status.HTTP_201_CREATED,
    response_model=Score,
    summary="Score a bid on a non-price criterion",
    description="Best-value solicitations only, `procurement:evaluate`, while in `evaluation`. Points "
    "from 0 to the criterion's weight; the latest score per criterion counts. Price points are never "
    "entered: the server computes them from the evaluated prices.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(
        *AUTH_PROBLEMS, NotFound, NotUnderEvaluation, ValidationFailed, UnprocessableEntity
    ),
)
async def evaluation_scores_create(
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: ScoreCreate,
    session: Session,
    actor: Evaluator,
    now: Now,
    response: Response,
) -> Score:
    score = await service.score(session, solicitation_id, bid_id, body, actor, now)
    response.headers["Location"] = _location(solicitation_id, bid_id, "scores", score.id)
    return score


@router.get(
    BID + "/scores",
    response_model=ScorePage,
    summary="List a bid's scores",
    description="Oldest first; the latest per criterion is the one that counts." + STAFF,
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, BadRequest, ValidationFailed),
)
async def evaluation_scores_list(
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    session: Session,
    pager: PageParams,
    viewer: EvaluationReader,
    now: Now,
) -> ScorePage:
    items, token = await service.scores_page(session, solicitation_id, bid_id, viewer, now, pager)
    return ScorePage(items=items, next_page_token=token)


@router.get(
    BID + "/scores/{score_id}",
    response_model=Score,
    summary="Get a score",
    description=STAFF.strip(),
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def evaluation_scores_get(
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    score_id: uuid.UUID,
    session: Session,
    viewer: EvaluationReader,
    now: Now,
) -> Score:
    return await service.get_score(session, solicitation_id, bid_id, score_id, viewer, now)


@router.get(
    "/solicitations/{solicitation_id}/ranking",
    response_model=Ranking,
    summary="The ranking of the opened bids",
    description="Computed on every read from the determinations, the scores, the vendors' registry "
    "status and their certifications valid on the due date. Evaluated price = price less local and "
    "small-business preferences (capped; never the award amount); race- and sex-conscious "
    "certifications never count, except DBE credit on federally funded solicitations with a DBE goal. "
    "409 before the opening." + STAFF,
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, Conflict, ValidationFailed),
)
async def evaluation_ranking_get(
    solicitation_id: uuid.UUID, session: Session, viewer: EvaluationReader, now: Now, settings: Settings
) -> Ranking:
    return await service.get_ranking(session, solicitation_id, viewer, now, settings)
