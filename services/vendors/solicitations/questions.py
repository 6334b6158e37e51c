"""Questions from bidders and the buyer's answers, public for all bidders alike.

Who asked is kept (for staff and the audit trail) but never shown in public views: an asker's identity
could tell competitors who is bidding.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.db import new_id
from services.common.pagination import Pager
from services.common.problems import Conflict, NotFound
from services.vendors.access import WRITE, can
from services.vendors.contracts import (
    Question,
    QuestionAnswer,
    QuestionAsker,
    QuestionCreate,
    Solicitation,
    SolicitationStatus,
)
from services.vendors.db import audit
from services.vendors.solicitations import bidders, repository, service
from services.vendors.solicitations.repository import QuestionRecord

S = SolicitationStatus


def to_contract(row: QuestionRecord, *, show_asker: bool) -> Question:
    asker = QuestionAsker(vendor_id=row.asked_by_vendor_id, subject=row.asked_by) if show_asker else None
    return Question(
        id=row.id,
        solicitation_id=row.solicitation_id,
        number=row.number,
        question=row.question,
        asked_at=row.asked_at,
        answer=row.answer,
        answered_at=row.answered_at,
        asker=asker,
    )


async def ask(
    session: AsyncSession, solicitation_id: uuid.UUID, data: QuestionCreate, actor: Principal, now: datetime
) -> Question:
    vendor_id = await bidders.active_vendor(session, actor)
    solicitation = await service.load_visible(session, solicitation_id, actor, now, lock="update")
    _check_enquiries_open(solicitation, now)
    question = QuestionRecord(
        id=new_id(),
        solicitation_id=solicitation_id,
        number=await repository.next_question_number(session, solicitation_id),
        question=data.question,
        asked_by_vendor_id=vendor_id,
        asked_by=actor.sub,
        asked_at=now,
        answer=None,
        answered_by=None,
        answered_at=None,
    )
    # Questions carry no version (asked once, answered once): plain writes, audited here.
    await repository.insert_question(session, asdict(question))
    await audit.record(
        session,
        actor=actor,
        action="ask",
        entity="solicitation_question",
        entity_id=question.id,
        changes={
            "solicitation_id": str(solicitation_id),
            "vendor_id": str(vendor_id),
            "number": question.number,
        },
    )
    return to_contract(question, show_asker=True)


def _check_enquiries_open(solicitation: Solicitation, now: datetime) -> None:
    """Questions are taken while the solicitation is published or open, within its enquiry period."""
    period = solicitation.enquiry_period
    in_period = period is None or period.start <= now < period.end
    if solicitation.status not in (S.published, S.open) or not in_period:
        window = period or solicitation.tender_period
        raise Conflict(
            f"Questions on {solicitation.reference} are taken from publication until "
            f"{window.end.isoformat()}"
            + (f", within the enquiry period from {period.start.isoformat()}" if period else "")
            + f"; it is now {now.isoformat()} and the solicitation is `{solicitation.status.value}`.",
            current_status=solicitation.status.value,
            enquiry_period=period.model_dump(mode="json") if period else None,
            server_time=now.isoformat(),
        )


async def answer(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    question_id: uuid.UUID,
    data: QuestionAnswer,
    actor: Principal,
    now: datetime,
) -> Question:
    await service.load_visible(session, solicitation_id, actor, now)
    row = await repository.get_question(session, solicitation_id, question_id, for_update=True)
    if row is None:
        raise NotFound(f"Solicitation {solicitation_id} has no question {question_id}.")
    if row.answer is not None:
        answered_at = row.answered_at.isoformat() if row.answered_at else "an earlier time"
        raise Conflict(
            f"Question {row.number} was answered at {answered_at}; a correction is published as an addendum."
        )
    answered = replace(row, answer=data.answer, answered_by=actor.sub, answered_at=now)
    await repository.update_question(
        session,
        question_id,
        {"answer": answered.answer, "answered_by": answered.answered_by, "answered_at": answered.answered_at},
    )
    await audit.record(
        session,
        actor=actor,
        action="answer",
        entity="solicitation_question",
        entity_id=question_id,
        changes={"answer": [None, data.answer]},
    )
    return to_contract(answered, show_asker=True)


async def list_page(
    session: AsyncSession, solicitation_id: uuid.UUID, viewer: Principal | None, now: datetime, pager: Pager
) -> tuple[list[Question], str | None]:
    await service.load_visible(session, solicitation_id, viewer, now)
    rows, token = await repository.questions_page(session, solicitation_id, pager)
    show_asker = can(viewer, WRITE)
    return [to_contract(row, show_asker=show_asker) for row in rows], token
