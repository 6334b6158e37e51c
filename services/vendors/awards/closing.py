"""Ending an award that has not taken effect, and the protests on it, inside another change's transaction.

Used when the solicitation is cancelled or declared unsuccessful while an award is in its window, and
when an award is rejected: pending protests then have nothing left to decide and are dismissed as moot.
Kept apart from the awards service so that the solicitations service can call it without a cycle.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.vendors.awards import repository
from services.vendors.contracts import AwardStatus, ProtestStatus
from services.vendors.db import audit

ENDABLE = (AwardStatus.intent.value, AwardStatus.stayed.value)


async def close_live_award(
    session: AsyncSession, solicitation_id: uuid.UUID, reason: str, actor: Principal, now: datetime
) -> str | None:
    """Cancels the solicitation's award if it is in its window or stayed; returns its id, if any."""
    award = await repository.live_award(session, solicitation_id, for_update=True)
    if award is None or award["status"] not in ENDABLE:
        return None
    await end_award(session, award, AwardStatus.cancelled, reason, actor, now)
    return str(award["id"])


async def end_award(
    session: AsyncSession,
    award: dict[str, Any],
    to: AwardStatus,
    reason: str,
    actor: Principal,
    now: datetime,
) -> None:
    """Rejects or cancels a locked award and dismisses its pending protests as moot."""
    await repository.update_award(
        session,
        award["id"],
        {"status": to.value, "decision_reason": reason, "version": award["version"] + 1, "updated_at": now},
    )
    await audit.record(
        session,
        actor=actor,
        action=f"transition:{to.value}",
        entity="award",
        entity_id=award["id"],
        changes={"status": [award["status"], to.value]},
        reason=reason,
    )
    moot = f"Moot: the award was {to.value} ({reason})"[:2000]
    for protest in await repository.pending_protests(session, award["id"], for_update=True):
        await repository.update_protest(
            session,
            protest["id"],
            {
                "status": ProtestStatus.dismissed.value,
                "decision_reason": moot,
                "decided_by": actor.sub,
                "decided_at": now,
                "version": protest["version"] + 1,
                "updated_at": now,
            },
        )
        await audit.record(
            session,
            actor=actor,
            action="transition:dismissed",
            entity="protest",
            entity_id=protest["id"],
            changes={"status": [protest["status"], ProtestStatus.dismissed.value]},
            reason=moot,
        )
