"""HTTP surface of solicitations, addenda, and questions: parse, authorise, call the service, shape."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response, status

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
from services.common.wire import LIST_FILTER_MAX_ITEMS
from services.vendors.access import Bidder, Reader, Settings, SolicitationMover, Viewer, Writer
from services.vendors.bids.sealing import Sealer, bid_sealer
from services.vendors.contracts import (
    COMMODITY_FILTER,
    Addendum,
    AddendumCreate,
    AddendumPage,
    CityDepartmentPage,
    Department,
    FundingSource,
    MainCategory,
    Question,
    QuestionAnswer,
    QuestionCreate,
    QuestionPage,
    Solicitation,
    SolicitationCreate,
    SolicitationPage,
    SolicitationStatus,
    SolicitationTransition,
    SolicitationType,
    SolicitationUpdate,
    Timestamp,
    city_departments,
)
from services.vendors.flows import tendering
from services.vendors.solicitations import addenda, questions, service

router = service_router()
departments_router = service_router(tags=["departments"])


RFC3339 = Timestamp

SealerDependency = Annotated[Sealer, Depends(bid_sealer)]
BASE = "/solicitations"
PUBLIC = (
    " Public for published solicitations (no token needed); drafts need `procurement:read` and are "
    "404 to anyone else."
)


def _location(solicitation_id: uuid.UUID, *rest: object) -> str:
    return "/".join(["/v1/procurement/solicitations", str(solicitation_id), *map(str, rest)])


@router.post(
    BASE,
    tags=["solicitations"],
    status_code=status.HTTP_201_CREATED,
    response_model=Solicitation,
    summary="Draft a solicitation",
    description="Creates a solicitation in `draft` with its reference (e.g. `IFB-2026-0001`) and ocid. "
    "How bids will be evaluated is set while a draft: `evaluation_method` (`lowest_price` by default, or "
    "`best_value` with `evaluation_criteria` whose weights sum to 100, one of kind `price`) and, on "
    "federally funded solicitations only, `dbe_goal_percent`. Send `Idempotency-Key` to make retries safe.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, ValidationFailed, UnprocessableEntity, Conflict),
)
async def solicitations_create(
    body: SolicitationCreate,
    session: Session,
    actor: Writer,
    now: Now,
    settings: Settings,
    response: Response,
) -> Solicitation:
    solicitation = await service.create(session, body, actor, now, settings)
    response.headers["Location"] = _location(solicitation.id)
    set_etag(response, solicitation.version)
    return solicitation


@router.get(
    BASE,
    tags=["solicitations"],
    response_model=SolicitationPage,
    summary="List solicitations",
    description="Keyset-paged, oldest first; filters combine with AND, repeat one for several values. "
    "`status` is the status at the server's clock (`open` and `closed` follow the tender period)."
    " Without `procurement:read`, only published solicitations are listed. `updated_since` sees stored "
    "changes; the moves to `open` and `closed` are read from `tender_period`, not stored.",
    responses=problem_responses(Unauthorized, BadRequest, ValidationFailed),
)
async def solicitations_list(
    session: Session,
    pager: PageParams,
    viewer: Viewer,
    now: Now,
    status_: Annotated[
        list[SolicitationStatus] | None, Query(max_length=LIST_FILTER_MAX_ITEMS, alias="status")
    ] = None,
    type_: Annotated[
        list[SolicitationType] | None, Query(max_length=LIST_FILTER_MAX_ITEMS, alias="type")
    ] = None,
    main_category: Annotated[list[MainCategory] | None, Query(max_length=LIST_FILTER_MAX_ITEMS)] = None,
    buyer_department: Annotated[
        list[Department] | None, Query(max_length=LIST_FILTER_MAX_ITEMS, description="City department codes.")
    ] = None,
    funding_source: Annotated[list[FundingSource] | None, Query(max_length=LIST_FILTER_MAX_ITEMS)] = None,
    commodity: Annotated[
        str | None,
        Query(
            max_length=40,
            pattern=COMMODITY_FILTER,
            description="`<scheme>:<code>`: items classified at or below that code.",
        ),
    ] = None,
    updated_since: Annotated[
        RFC3339 | None, Query(description="Only those changed at or after (RFC 3339 with offset).")
    ] = None,
) -> SolicitationPage:
    items, token = await service.list_page(
        session,
        pager,
        viewer,
        now,
        statuses=status_,
        types=type_,
        categories=main_category,
        departments=buyer_department,
        funding_sources=funding_source,
        commodity=commodity,
        updated_since=updated_since,
    )
    return SolicitationPage(items=items, next_page_token=token)


@router.get(
    BASE + "/{solicitation_id}",
    tags=["solicitations"],
    response_model=Solicitation,
    summary="Get a solicitation",
    description="`status` is computed at the server's clock." + PUBLIC,
    responses=problem_responses(Unauthorized, NotFound, ValidationFailed),
)
async def solicitations_get(
    solicitation_id: uuid.UUID, session: Session, viewer: Viewer, now: Now, response: Response
) -> Solicitation:
    solicitation = await service.get(session, solicitation_id, viewer, now)
    set_etag(response, solicitation.version)
    return solicitation


@router.patch(
    BASE + "/{solicitation_id}",
    tags=["solicitations"],
    response_model=Solicitation,
    summary="Change a draft solicitation",
    description="Only while `draft`, with `If-Match`; send only the fields to change. A published "
    "solicitation changes through addenda.",
    responses=problem_responses(
        *AUTH_PROBLEMS, NotFound, Conflict, PreconditionFailed, PreconditionRequired, ValidationFailed
    ),
)
async def solicitations_update(
    solicitation_id: uuid.UUID,
    body: SolicitationUpdate,
    session: Session,
    actor: Writer,
    expected: IfMatch,
    now: Now,
    settings: Settings,
    response: Response,
) -> Solicitation:
    solicitation = await service.update(session, solicitation_id, body, expected, actor, now, settings)
    set_etag(response, solicitation.version)
    return solicitation


@router.post(
    BASE + "/{solicitation_id}/transitions",
    tags=["solicitations"],
    response_model=Solicitation,
    summary="Change a solicitation's status",
    description=(
        "Explicit moves: draft → published (`procurement:write`; creates the bid-sealing key), "
        "→ cancelled from any state before the award (`procurement:write`, `reason` required), "
        "closed → opened (`procurement:evaluate`: the public opening, which unseals the bids and "
        "publishes the tabulation), opened → evaluation, → unsuccessful (`procurement:evaluate`, "
        "`reason` required). `open` and `closed` are not moves: they follow the tender period; nor are "
        "`intent_to_award` and `awarded`: they follow the award (`POST …/awards`, then the award's own "
        "transition). Cancelled or unsuccessful while in `intent_to_award`, the award in its window is "
        "cancelled and its pending protests dismissed. An illegal move is 409 with `allowed_transitions`."
    ),
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, InvalidTransition, Conflict, ValidationFailed),
)
async def solicitations_transition(
    solicitation_id: uuid.UUID,
    body: SolicitationTransition,
    session: Session,
    actor: SolicitationMover,
    now: Now,
    sealer: SealerDependency,
    response: Response,
) -> Solicitation:
    solicitation = await tendering.move_solicitation(session, solicitation_id, body, actor, now, sealer)
    set_etag(response, solicitation.version)
    return solicitation


@router.post(
    BASE + "/{solicitation_id}/addenda",
    tags=["addenda"],
    status_code=status.HTTP_201_CREATED,
    response_model=Addendum,
    summary="Issue an addendum",
    description="Between publication and the close. Bids submitted after it must acknowledge it. Issued "
    "less than the configured number of days (default 3) before the close, it moves the close to that "
    "many days after the addendum.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, Conflict, ValidationFailed, UnprocessableEntity),
)
async def addenda_create(
    solicitation_id: uuid.UUID,
    body: AddendumCreate,
    session: Session,
    actor: Writer,
    now: Now,
    settings: Settings,
    response: Response,
) -> Addendum:
    addendum = await addenda.issue(session, solicitation_id, body, actor, now, settings)
    response.headers["Location"] = _location(solicitation_id, "addenda", addendum.id)
    return addendum


@router.get(
    BASE + "/{solicitation_id}/addenda",
    tags=["addenda"],
    response_model=AddendumPage,
    summary="List a solicitation's addenda",
    description="In order of issue." + PUBLIC,
    responses=problem_responses(Unauthorized, NotFound, BadRequest, ValidationFailed),
)
async def addenda_list(
    solicitation_id: uuid.UUID, session: Session, pager: PageParams, viewer: Viewer, now: Now
) -> AddendumPage:
    items, token = await addenda.list_page(session, solicitation_id, viewer, now, pager)
    return AddendumPage(items=items, next_page_token=token)


@router.post(
    BASE + "/{solicitation_id}/questions",
    tags=["questions"],
    status_code=status.HTTP_201_CREATED,
    response_model=Question,
    summary="Ask a question",
    description="For suppliers: scope `procurement:bid` and a `vendor` claim naming an `active` vendor. "
    "Taken from publication until the end of the enquiry period (or the close). The asker is never "
    "shown publicly.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, Conflict, ValidationFailed, UnprocessableEntity),
)
async def questions_create(
    solicitation_id: uuid.UUID,
    body: QuestionCreate,
    session: Session,
    actor: Bidder,
    now: Now,
    response: Response,
) -> Question:
    question = await questions.ask(session, solicitation_id, body, actor, now)
    response.headers["Location"] = _location(solicitation_id, "questions", question.id)
    return question


@router.get(
    BASE + "/{solicitation_id}/questions",
    tags=["questions"],
    response_model=QuestionPage,
    summary="List a solicitation's questions and answers",
    description="In order of asking. `asker` is shown only to `procurement:write`." + PUBLIC,
    responses=problem_responses(Unauthorized, NotFound, BadRequest, ValidationFailed),
)
async def questions_list(
    solicitation_id: uuid.UUID, session: Session, pager: PageParams, viewer: Viewer, now: Now
) -> QuestionPage:
    items, token = await questions.list_page(session, solicitation_id, viewer, now, pager)
    return QuestionPage(items=items, next_page_token=token)


@router.post(
    BASE + "/{solicitation_id}/questions/{question_id}/answer",
    tags=["questions"],
    response_model=Question,
    summary="Answer a question",
    description="Once; a later correction is published as an addendum.",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, Conflict, ValidationFailed),
)
async def questions_answer(
    solicitation_id: uuid.UUID,
    question_id: uuid.UUID,
    body: QuestionAnswer,
    session: Session,
    actor: Writer,
    now: Now,
) -> Question:
    return await questions.answer(session, solicitation_id, question_id, body, actor, now)


@departments_router.get(
    "/departments",
    response_model=CityDepartmentPage,
    summary="List the City's departments",
    description="The department codes that `buyer_department`, a payment's `department` and the "
    "`department` filters take, with their names, for clients to build a choice from (reference data, "
    "one page). The same codes are the `DepartmentCode` enumeration of this document.",
    responses=problem_responses(*AUTH_PROBLEMS),
)
async def departments_list(_: Reader) -> CityDepartmentPage:
    return city_departments()
