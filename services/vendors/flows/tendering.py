"""A solicitation's explicit moves and what each sets off: publication makes the key its bids are sealed
under, the opening unseals them, and a cancellation (or an unsuccessful end) from `intent_to_award`
ends the award in its window and the protests on it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.vendors.awards import closing
from services.vendors.bids import opening
from services.vendors.bids import service as bids
from services.vendors.bids.sealing import Sealer
from services.vendors.contracts import Solicitation, SolicitationStatus, SolicitationTransition
from services.vendors.solicitations import service as solicitations

S = SolicitationStatus


async def move_solicitation(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    move: SolicitationTransition,
    actor: Principal,
    now: datetime,
    sealer: Sealer,
) -> Solicitation:
    before = await solicitations.load_visible(session, solicitation_id, actor, now, lock="update")
    solicitations.check_move(before, move, actor, now)
    values: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    if move.to is S.published:
        await bids.issue_sealing_key(session, solicitation_id, sealer)
        values["published_at"] = now
    elif move.to is S.opened:
        changes["bids_opened"] = await opening.open_bids(session, solicitation_id, sealer, now)
        values["opened_at"] = now
    if before.status is S.intent_to_award:
        # The award in its window (or stayed) ends with the solicitation, and its protests with it.
        changes["award_cancelled"] = await closing.close_live_award(
            session, solicitation_id, f"The solicitation was {move.to.value}: {move.reason}", actor, now
        )
    await solicitations.move(
        session, before, move.to, actor, reason=move.reason, values=values, changes=changes
    )
    return await solicitations.get(session, solicitation_id, actor, now)
