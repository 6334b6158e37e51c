"""Ending an award that has not taken effect, and the protests on it, inside another change's transaction.

Used when the solicitation is cancelled or declared unsuccessful while an award is in its window (the
tendering flow), and when an award is rejected: pending protests then have nothing left to decide and
are dismissed as moot.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.vendors.awards import repository
from services.vendors.awards.lifecycle import AWARDS, PROTESTS, A, P
from services.vendors.awards.repository import AwardRecord
from services.vendors.contracts import AwardStatus

ENDABLE = (A.intent.value, A.stayed.value)


async def close_live_award(
    session: AsyncSession, solicitation_id: uuid.UUID, reason: str, actor: Principal, now: datetime
) -> str | None:
    """Cancels the solicitation's award if it is in its window or stayed; returns its id, if any."""
    award = await repository.live_award(session, solicitation_id, for_update=True)
    if award is None or award.status not in ENDABLE:
        return None
    await end_award(session, award, A.cancelled, reason, actor, now)
    return str(award.id)


async def end_award(
    session: AsyncSession,
    award: AwardRecord,
    to: AwardStatus,
    reason: str,
    actor: Principal,
    now: datetime,
) -> None:
    """Rejects or cancels a locked award and dismisses its pending protests as moot."""
    await AWARDS.move(
        session,
        award.id,
        award.version,
        award.status,
        to,
        actor=actor,
        reason=reason,
        values={"decision_reason": reason},
    )
    moot = f"Moot: the award was {to.value} ({reason})"[:2000]
    for protest in await repository.pending_protests(session, award.id, for_update=True):
        await PROTESTS.move(
            session,
            protest.id,
            protest.version,
            protest.status,
            P.dismissed,
            actor=actor,
            reason=moot,
            values={"decision_reason": moot, "decided_by": actor.sub, "decided_at": now},
        )
