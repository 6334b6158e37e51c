"""From the ranking to an award in force: the notice of intent to the top-ranked qualified bid, the award
taking effect, and a rejected award passing to the next-ranked qualified bid (or, with none left, the
solicitation ending unsuccessful), whether an evaluator rejects it or an upheld protest does. The
solicitation moves along: evaluation → intent_to_award → awarded (or unsuccessful)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.vendors.awards import protests
from services.vendors.awards import service as awards
from services.vendors.awards.repository import AwardRecord
from services.vendors.contracts import (
    Award,
    AwardCreate,
    AwardStatus,
    AwardTransition,
    Protest,
    ProtestStatus,
    ProtestTransition,
    Solicitation,
    SolicitationStatus,
)
from services.vendors.evaluation import service as evaluation
from services.vendors.settings import VendorsSettings
from services.vendors.solicitations import service as solicitations

S = SolicitationStatus


async def issue_intent(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    data: AwardCreate,
    actor: Principal,
    now: datetime,
    settings: VendorsSettings,
) -> Award:
    solicitation = await solicitations.load_visible(session, solicitation_id, actor, now, lock="update")
    awards.check_awardable(solicitation)
    ranking = await evaluation.compute_ranking(session, solicitation, settings)
    top = awards.top_ranked(solicitation, ranking, data.bid_id)
    award_id = await awards.notify_intent(session, solicitation, top, actor, now, settings)
    await solicitations.move(session, solicitation, S.intent_to_award, actor)
    return await awards.get(session, award_id, now)


async def move_award(
    session: AsyncSession,
    award_id: uuid.UUID,
    move: AwardTransition,
    actor: Principal,
    now: datetime,
    settings: VendorsSettings,
) -> Award:
    solicitation, award = await awards.lock_award(session, award_id, actor, now)
    await awards.check_client_move(session, award, move)
    if move.to is AwardStatus.active:
        await awards.take_effect(session, award, actor, now)
        await solicitations.move(session, solicitation, S.awarded, actor)
    else:
        assert move.reason is not None  # checked with the move
        await pass_award_on(session, solicitation, award, move.reason, actor, now, settings)
    return await awards.get(session, award_id, now)


async def decide_protest(
    session: AsyncSession,
    protest_id: uuid.UUID,
    move: ProtestTransition,
    actor: Principal,
    now: datetime,
    settings: VendorsSettings,
) -> Protest:
    solicitation, award = await protests.decide(session, protest_id, move, actor, now)
    if move.to is ProtestStatus.upheld:
        reason = f"Protest {protest_id} was upheld: {move.reason}"[:2000]
        await pass_award_on(session, solicitation, award, reason, actor, now, settings)
    return await protests.reread(session, protest_id)


async def pass_award_on(
    session: AsyncSession,
    solicitation: Solicitation,
    award: AwardRecord,
    reason: str,
    actor: Principal,
    now: datetime,
    settings: VendorsSettings,
) -> None:
    """Rejects the locked award, then notifies the next-ranked qualified bid, or, with none left, makes
    the solicitation unsuccessful."""
    await awards.reject(session, award, reason, actor, now)
    ranking = await evaluation.compute_ranking(session, solicitation, settings)
    following = awards.next_qualified(ranking)
    if following is not None:
        await awards.notify_intent(session, solicitation, following, actor, now, settings)
        return
    await solicitations.move(
        session,
        solicitation,
        S.unsuccessful,
        actor,
        reason=f"Award {award.id} was rejected and no qualified bid is left to take it.",
    )
