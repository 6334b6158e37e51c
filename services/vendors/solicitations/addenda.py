"""Addenda: changes to a published solicitation, which every later bid must acknowledge.

An addendum issued too near the close moves the close, so that bidders have the configured number of
days to read it and acknowledge it: close = max(close, issued_at + N days).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.db import new_id
from services.common.pagination import Pager
from services.common.problems import Conflict
from services.vendors.contracts import Addendum, AddendumCreate, SolicitationStatus
from services.vendors.db import audit
from services.vendors.settings import VendorsSettings
from services.vendors.solicitations import repository, service
from services.vendors.solicitations.repository import AddendumRecord

S = SolicitationStatus
ISSUABLE = {S.published, S.open}
ISSUE_ADDENDUM = "issue_addendum"  # what the solicitation's audit trail calls it


def to_contract(row: AddendumRecord) -> Addendum:
    return Addendum.model_validate(row, from_attributes=True)


async def issue(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    data: AddendumCreate,
    actor: Principal,
    now: datetime,
    settings: VendorsSettings,
) -> Addendum:
    solicitation = await service.load_visible(session, solicitation_id, actor, now, lock="update")
    if solicitation.status not in ISSUABLE:
        raise Conflict(
            f"Solicitation {solicitation.reference} is `{solicitation.status.value}`: addenda are issued "
            "between publication and the close (a draft is simply changed).",
            current_status=solicitation.status.value,
        )
    close = solicitation.tender_period.end
    extended_close = _extended_close(close, now, settings.addendum_extension_days)
    addendum = AddendumRecord(
        id=new_id(),
        solicitation_id=solicitation_id,
        number=await repository.next_addendum_number(session, solicitation_id),
        title=data.title,
        description=data.description,
        issued_at=now,
        issued_by=actor.sub,
        close_extended_from=close if extended_close else None,
        close_extended_to=extended_close,
    )
    # An addendum is a child row without a version of its own: a plain insert, audited on its solicitation.
    await repository.insert_addendum(session, asdict(addendum))
    changes: dict[str, Any] = {
        "addendum_id": str(addendum.id),
        "number": addendum.number,
        "title": data.title,
    }
    if extended_close is None:
        await audit.record(
            session,
            actor=actor,
            action=ISSUE_ADDENDUM,
            entity="solicitation",
            entity_id=solicitation_id,
            changes=changes,
        )
    else:
        changes["tender_period_end"] = [close.isoformat(), extended_close.isoformat()]
        await service.SOLICITATIONS.change(
            session,
            solicitation_id,
            solicitation.version,
            {"tender_period_end": extended_close},
            actor=actor,
            changes=changes,
            action=ISSUE_ADDENDUM,
        )
    return to_contract(addendum)


def _extended_close(close: datetime, issued_at: datetime, days: int) -> datetime | None:
    """The new close when the addendum leaves bidders fewer than `days` days; None when it does not."""
    earliest = issued_at + timedelta(days=days)
    return earliest if earliest > close else None


async def list_page(
    session: AsyncSession, solicitation_id: uuid.UUID, viewer: Principal | None, now: datetime, pager: Pager
) -> tuple[list[Addendum], str | None]:
    await service.load_visible(session, solicitation_id, viewer, now)
    rows, token = await repository.addenda_page(session, solicitation_id, pager)
    return [to_contract(row) for row in rows], token
