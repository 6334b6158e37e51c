"""Rules of protests. Writes go through the kernel's `TrackedTable` (awards/lifecycle.py); the unit of
work commits them.

A bidder (one whose bid was opened) protests an award with its grounds. Filed by the end of the
award's protest window (Los Angeles calendar day), it is timely: it is `pending` and stays the award
until evaluators decide it. Filed later, it is recorded and at once `dismissed` as untimely: the
response is still 201, with `timely: false`, because the filing is a record the bidder may rely on.
Upheld, it rejects the award, which passes to the next-ranked qualified bid (flows/awarding.py); denied
or withdrawn, the award returns to `intent` once no other protest is pending.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.clock import city_today
from services.common.db import new_id
from services.common.pagination import Pager
from services.common.problems import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from services.common.transitions import StateMachine
from services.vendors.access import BID, EVALUATE, READ, can, require_scope
from services.vendors.awards import repository, service
from services.vendors.awards.lifecycle import AWARDS, PROTESTS, A, P
from services.vendors.awards.repository import AwardRecord, ProtestRecord
from services.vendors.contracts import (
    AwardStatus,
    Protest,
    ProtestCreate,
    ProtestStatus,
    ProtestTransition,
    Solicitation,
)
from services.vendors.contracts.patterns import CROSS_FIELD
from services.vendors.solicitations import bidders

# What a client may ask for; `dismissed` is the server's (untimely, or moot).
DECISIONS = StateMachine("protest", {P.pending: {P.upheld, P.denied, P.withdrawn}})
DECIDED_BY_EVALUATORS = {P.upheld, P.denied}
PROTESTABLE = {A.intent.value, A.stayed.value, A.active.value}


def to_contract(row: ProtestRecord) -> Protest:
    return Protest(
        id=row.id,
        award_id=row.award_id,
        solicitation_id=row.solicitation_id,
        vendor_id=row.vendor_id,
        grounds=row.grounds,
        filed_at=row.filed_at,
        timely=row.timely,
        status=P(row.status),
        decision_reason=row.decision_reason,
        decided_at=row.decided_at,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def file(
    session: AsyncSession, award_id: uuid.UUID, data: ProtestCreate, actor: Principal, now: datetime
) -> Protest:
    vendor_id = bidders.claimed_vendor(actor)
    award = await repository.award_by_id(session, award_id, for_update=True)
    if award is None:
        raise NotFound(f"No award has id {award_id}.")
    if award.status not in PROTESTABLE:
        raise Conflict(
            f"Award {award_id} is `{award.status}`: there is nothing left to protest.",
            current_status=award.status,
        )
    if await repository.opened_bid_count(session, award.solicitation_id, vendor_id) == 0:
        raise Forbidden(
            f"Vendor {vendor_id} has no opened bid on this solicitation: only its bidders may protest the award."
        )
    if vendor_id == award.vendor_id:
        raise Conflict("A vendor does not protest an award made to itself.")
    existing = await repository.pending_protest_of(session, award_id, vendor_id)
    if existing is not None:
        raise Conflict(
            f"Vendor {vendor_id} already has protest {existing} pending on award {award_id}: it is heard "
            "with all its grounds; withdraw it to file another.",
            protest_id=str(existing),
        )
    filed_on = city_today(now)
    timely = filed_on <= award.protest_window_ends_on
    protest_id = new_id()
    values = {
        "id": protest_id,
        "award_id": award_id,
        "solicitation_id": award.solicitation_id,
        "vendor_id": vendor_id,
        "grounds": data.grounds,
        "filed_by": actor.sub,
        "filed_at": now,
        "timely": timely,
        "status": (P.pending if timely else P.dismissed).value,
        "decision_reason": None
        if timely
        else f"Untimely: filed on {filed_on}, after the protest window ended on {award.protest_window_ends_on}.",
        "decided_by": None,
        "decided_at": None if timely else now,
    }
    async with repository.one_pending_protest_per_vendor(session):
        await PROTESTS.insert(
            session,
            values,
            actor=actor,
            action="file",
            changes={"award_id": str(award_id), "timely": timely, "status": values["status"]},
            reason=values["decision_reason"],
        )
    if timely and award.status == A.intent.value:
        await _move_award(session, award, A.stayed, actor, f"Protest {protest_id} filed in time.")
    return await reread(session, protest_id)


async def get(session: AsyncSession, protest_id: uuid.UUID, viewer: Principal) -> Protest:
    row = await repository.get_protest(session, protest_id)
    if row is None:
        raise NotFound(f"No protest has id {protest_id}.")
    if not _is_staff(viewer) and not _is_protester(viewer, row):
        raise Forbidden(
            "A protest is read by procurement staff (procurement:read or procurement:evaluate) and by the "
            "vendor that filed it.",
            required_scopes=[READ, EVALUATE],
        )
    return to_contract(row)


async def list_page(
    session: AsyncSession,
    pager: Pager,
    viewer: Principal,
    *,
    award_ids: list[uuid.UUID] | None,
    solicitation_ids: list[uuid.UUID] | None,
    statuses: list[ProtestStatus] | None,
) -> tuple[list[Protest], str | None]:
    """Staff see every protest; a supplier sees its own vendor's only."""
    own_vendor: uuid.UUID | None = None
    if not _is_staff(viewer):
        if not can(viewer, BID):
            raise Forbidden(
                "Protests are listed for procurement staff and, their own, for suppliers.",
                required_scopes=[READ, EVALUATE, BID],
            )
        own_vendor = bidders.claimed_vendor(viewer)
    statement = repository.select_protests()
    for column, values in (
        ("award_id", award_ids),
        ("solicitation_id", solicitation_ids),
        ("status", [s.value for s in statuses] if statuses else None),
        ("vendor_id", [own_vendor] if own_vendor else None),
    ):
        if values:
            statement = repository.filter_protests(statement, column, list(values))
    filters = {
        "award_id": award_ids,
        "solicitation_id": solicitation_ids,
        "status": statuses,
        "vendor": own_vendor,
    }
    rows, token = await repository.protests_page(session, statement, pager, filters)
    return [to_contract(row) for row in rows], token


async def decide(
    session: AsyncSession, protest_id: uuid.UUID, move: ProtestTransition, actor: Principal, now: datetime
) -> tuple[Solicitation, AwardRecord]:
    """Moves the protest as its decision says, with the award and its solicitation locked, and returns
    them as read. Denied or withdrawn, the award returns to `intent` once no protest is pending; upheld,
    the caller rejects the award and passes it on."""
    found = await repository.get_protest(session, protest_id)
    if found is None:
        raise NotFound(f"No protest has id {protest_id}.")
    if move.to in (P.pending, P.dismissed):
        raise InvalidTransition(
            f"`{move.to.value}` is not a move: a protest is pending when filed in time, and dismissed by the "
            "server when untimely or moot.",
            current_status=found.status,
            allowed_transitions=DECISIONS.allowed(found.status),
        )
    _check_may_move(actor, found, move.to)
    if move.to in DECIDED_BY_EVALUATORS and not move.reason:
        raise ValidationFailed(
            f"A `reason` is required to decide a protest ({move.to.value}).",
            errors=[
                FieldError(
                    location=["body", "reason"],
                    message=f"required to move to `{move.to.value}`",
                    code=CROSS_FIELD,
                )
            ],
        )
    solicitation, award = await service.lock_award(session, found.award_id, actor, now)
    protest = await repository.get_protest(session, protest_id, for_update=True)
    assert protest is not None  # protests are never deleted
    DECISIONS.check(protest.status, move.to)
    await PROTESTS.move(
        session,
        protest_id,
        protest.version,
        protest.status,
        move.to,
        actor=actor,
        reason=move.reason,
        values={"decision_reason": move.reason, "decided_by": actor.sub, "decided_at": now},
    )
    if (
        move.to is not P.upheld
        and award.status == A.stayed.value
        and not await repository.pending_protests(session, award.id)
    ):
        await _move_award(
            session, award, A.intent, actor, f"No protest is pending after protest {protest_id}."
        )
    return solicitation, award


async def reread(session: AsyncSession, protest_id: uuid.UUID) -> Protest:
    """The protest as this transaction wrote it, for the response to the change."""
    row = await repository.get_protest(session, protest_id)
    assert row is not None  # written in this transaction; protests are never deleted
    return to_contract(row)


def _check_may_move(actor: Principal, protest: ProtestRecord, to: ProtestStatus) -> None:
    if to in DECIDED_BY_EVALUATORS:
        require_scope(actor, EVALUATE, f"Deciding a protest ({to.value})")
        return
    if not _is_protester(actor, protest):
        raise Forbidden("Only the vendor that filed a protest can withdraw it.")


def _is_staff(viewer: Principal) -> bool:
    return can(viewer, READ) or can(viewer, EVALUATE)


def _is_protester(viewer: Principal, protest: ProtestRecord) -> bool:
    if not can(viewer, BID) or not viewer.vendor:
        return False
    try:
        return uuid.UUID(viewer.vendor) == protest.vendor_id
    except ValueError:
        return False


async def _move_award(
    session: AsyncSession, award: AwardRecord, to: AwardStatus, actor: Principal, reason: str
) -> None:
    """intent ⇄ stayed, which only protests cause."""
    await AWARDS.move(session, award.id, award.version, award.status, to, actor=actor, reason=reason)
