"""Rules of awards. Writes go through the kernel's `TrackedTable` (awards/lifecycle.py); the unit of work
commits them. What spans domains (the ranking an intent follows, the solicitation moving along, a rejected
award passing to the next bid) is in services/vendors/flows/awarding.py.

The notice of intent goes to the top-ranked qualified bid, for exactly its price, and opens a protest
window of business days. The award takes effect only by an explicit move after the window has closed
with no protest pending, and only if the vendor is still `active` on that day.

Locks are taken in one order everywhere (solicitation, then award, then protests), so that two
requests on one award wait for each other instead of deadlocking.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.clock import add_business_days, city_today
from services.common.db import new_id
from services.common.money import Money
from services.common.pagination import Pager
from services.common.problems import Conflict, FieldError, InvalidTransition, NotFound, ValidationFailed
from services.common.transitions import StateMachine
from services.vendors.awards import closing, repository
from services.vendors.awards.lifecycle import AWARDS, A
from services.vendors.awards.repository import AwardRecord
from services.vendors.contracts import (
    Award,
    AwardStatus,
    AwardTransition,
    RankedBid,
    Ranking,
    Solicitation,
    SolicitationStatus,
)
from services.vendors.contracts.patterns import CROSS_FIELD
from services.vendors.registry import repository as registry
from services.vendors.settings import VendorsSettings
from services.vendors.solicitations import service as solicitations
from services.vendors.solicitations.bidders import VendorNotEligible

S = SolicitationStatus
# What a client may ask for. `intent` ⇄ `stayed` follows protests; `cancelled` follows the solicitation.
CLIENT_MOVES = StateMachine("award", {A.intent: {A.active, A.rejected}, A.stayed: {A.rejected}})
FOLLOWS_PROTESTS = {A.intent, A.stayed}


class EvaluationIncomplete(Conflict):
    slug: ClassVar[str] = "evaluation-incomplete"
    title: ClassVar[str] = "The evaluation is not complete"


class NotTopRanked(Conflict):
    slug: ClassVar[str] = "not-top-ranked"
    title: ClassVar[str] = "The bid is not the top-ranked qualified bid"


class ProtestWindowOpen(Conflict):
    slug: ClassVar[str] = "protest-window-open"
    title: ClassVar[str] = "The award cannot take effect yet"


def to_contract(row: AwardRecord, today: date) -> Award:
    return Award(
        id=row.id,
        solicitation_id=row.solicitation_id,
        bid_id=row.bid_id,
        vendor_id=row.vendor_id,
        rank=row.rank,
        status=A(row.status),
        amount=Money(amount=row.amount, currency=row.currency),
        intent_notified_at=row.intent_notified_at,
        protest_window_ends_on=row.protest_window_ends_on,
        protest_window_open=today <= row.protest_window_ends_on,
        award_date=row.award_date,
        decision_reason=row.decision_reason,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def check_awardable(solicitation: Solicitation) -> None:
    if solicitation.status is not S.evaluation:
        raise Conflict(
            f"{solicitation.reference} is `{solicitation.status.value}`: a notice of intent is issued once, "
            "at the end of the evaluation (a rejected award passes on by itself).",
            current_status=solicitation.status.value,
        )


def top_ranked(solicitation: Solicitation, ranking: Ranking, bid_id: uuid.UUID) -> RankedBid:
    """The bid a notice of intent may name: the top-ranked qualified one, of a complete evaluation."""
    _check_complete(ranking)
    top = next_qualified(ranking)
    if top is None:
        raise Conflict(
            f"No bid on {solicitation.reference} is qualified for award: declare it `unsuccessful`.",
            current_status=solicitation.status.value,
        )
    if top.bid_id != bid_id:
        raise NotTopRanked(
            f"Bid {bid_id} is not the top-ranked qualified bid of {solicitation.reference}; bid "
            f"{top.bid_id} is. Read the ranking again.",
            top_ranked_bid_id=str(top.bid_id),
        )
    return top


def next_qualified(ranking: Ranking) -> RankedBid | None:
    return next((bid for bid in ranking.bids if bid.qualified), None)


async def get(session: AsyncSession, award_id: uuid.UUID, now: datetime) -> Award:
    row = await repository.award_by_id(session, award_id)
    if row is None:
        raise NotFound(f"No award has id {award_id}.")
    return to_contract(row, city_today(now))


async def list_page(
    session: AsyncSession,
    pager: Pager,
    now: datetime,
    *,
    solicitation_ids: list[uuid.UUID] | None,
    vendor_ids: list[uuid.UUID] | None,
    statuses: list[AwardStatus] | None,
    updated_since: datetime | None,
) -> tuple[list[Award], str | None]:
    statement = repository.select_awards()
    for column, values in (
        ("solicitation_id", solicitation_ids),
        ("vendor_id", vendor_ids),
        ("status", [s.value for s in statuses] if statuses else None),
    ):
        if values:
            statement = repository.filter_awards(statement, column, list(values))
    if updated_since is not None:
        statement = repository.awards_updated_since(statement, updated_since)
    filters = {
        "solicitation_id": solicitation_ids,
        "vendor_id": vendor_ids,
        "status": statuses,
        "updated_since": updated_since,
    }
    rows, token = await repository.awards_page(session, statement, pager, filters)
    today = city_today(now)
    return [to_contract(row, today) for row in rows], token


async def lock_award(
    session: AsyncSession, award_id: uuid.UUID, actor: Principal, now: datetime
) -> tuple[Solicitation, AwardRecord]:
    """The award and its solicitation, both locked for update, solicitation first."""
    found = await repository.award_by_id(session, award_id)
    if found is None:
        raise NotFound(f"No award has id {award_id}.")
    solicitation = await solicitations.load_visible(session, found.solicitation_id, actor, now, lock="update")
    award = await repository.award_by_id(session, award_id, for_update=True)
    assert award is not None  # awards are never deleted
    return solicitation, award


async def check_client_move(session: AsyncSession, award: AwardRecord, move: AwardTransition) -> None:
    """What a client may ask of an award: to take effect from `intent`, or to be rejected with a reason."""
    current = A(award.status)
    if move.to in FOLLOWS_PROTESTS or move.to is A.cancelled:
        raise InvalidTransition(
            f"`{move.to.value}` is not a move: an award is stayed by a timely protest and returns to "
            "`intent` when its protests are decided; it is cancelled with its solicitation.",
            current_status=current.value,
            allowed_transitions=CLIENT_MOVES.allowed(current),
        )
    if current is A.stayed and move.to is A.active:
        pending = await repository.pending_protests(session, award.id)
        raise ProtestWindowOpen(
            f"Award {award.id} is stayed by {len(pending)} pending protest(s): it takes effect once they "
            "are decided.",
            pending_protests=[str(protest.id) for protest in pending],
        )
    if move.to not in CLIENT_MOVES.allowed(current):
        raise InvalidTransition(
            f"An award cannot go from `{current.value}` to `{move.to.value}`.",
            current_status=current.value,
            allowed_transitions=CLIENT_MOVES.allowed(current),
        )
    if move.to is A.rejected and not move.reason:
        raise ValidationFailed(
            "A `reason` is required to reject an award.",
            errors=[FieldError(location=["body", "reason"], message="required to reject", code=CROSS_FIELD)],
        )


async def take_effect(session: AsyncSession, award: AwardRecord, actor: Principal, now: datetime) -> None:
    """Moves the locked award to `active` once its window has closed with no protest pending, its vendor
    still `active` today. The caller moves the solicitation along."""
    today = city_today(now)
    if today <= award.protest_window_ends_on:
        raise ProtestWindowOpen(
            f"The protest window of award {award.id} runs through {award.protest_window_ends_on} "
            f"(Los Angeles); the award can take effect from the next day. Today is {today}.",
            protest_window_ends_on=award.protest_window_ends_on.isoformat(),
        )
    pending = await repository.pending_protests(session, award.id)
    if pending:
        raise ProtestWindowOpen(
            f"Award {award.id} has {len(pending)} protest(s) pending: it takes effect once they are decided.",
            pending_protests=[str(protest.id) for protest in pending],
        )
    # Responsibility on the award date: the vendor must be active today, whatever it was at evaluation.
    vendor_status = await registry.vendor_status(session, award.vendor_id, share_lock=True)
    if vendor_status != "active":
        raise VendorNotEligible(
            f"Vendor {award.vendor_id} is `{vendor_status}` in the registry today: the award cannot take "
            "effect. Reject it (it then passes to the next-ranked qualified bid).",
            vendor_id=str(award.vendor_id),
            vendor_status=vendor_status,
        )
    await AWARDS.move(
        session,
        award.id,
        award.version,
        award.status,
        A.active,
        actor=actor,
        values={"award_date": today},
        changes={"award_date": today.isoformat()},
    )


async def reject(
    session: AsyncSession, award: AwardRecord, reason: str, actor: Principal, now: datetime
) -> None:
    """Rejects the locked award and dismisses its pending protests; the caller passes it on."""
    await closing.end_award(session, award, A.rejected, reason, actor, now)


async def notify_intent(
    session: AsyncSession,
    solicitation: Solicitation,
    bid: RankedBid,
    actor: Principal,
    now: datetime,
    settings: VendorsSettings,
) -> uuid.UUID:
    """A new award in `intent` for the bid, at the bid's own price, with its protest window."""
    award_id = new_id()
    window_ends_on = add_business_days(city_today(now), settings.protest_window_business_days)
    values = {
        "id": award_id,
        "solicitation_id": solicitation.id,
        "bid_id": bid.bid_id,
        "vendor_id": bid.vendor_id,
        "rank": bid.rank,
        "status": A.intent.value,
        "amount": bid.price.amount,
        "currency": bid.price.currency,
        "intent_notified_at": now,
        "protest_window_ends_on": window_ends_on,
    }
    async with repository.one_live_award(session):
        await AWARDS.insert(
            session,
            values,
            actor=actor,
            action="intent",
            changes={
                "solicitation_id": str(solicitation.id),
                "bid_id": str(bid.bid_id),
                "vendor_id": str(bid.vendor_id),
                "rank": bid.rank,
                "amount": str(bid.price.amount),
                "evaluated_price": str(bid.evaluated_price.amount),
                "protest_window_ends_on": window_ends_on.isoformat(),
            },
        )
    return award_id


def _check_complete(ranking: Ranking) -> None:
    if not ranking.complete:
        raise EvaluationIncomplete(
            f"The evaluation of {ranking.reference} is not complete: every bid needs its determinations "
            "and, for best value, every bid in contention its scores.",
            bids=[
                {"bid_id": str(bid.bid_id), "open_issues": bid.open_issues}
                for bid in ranking.bids
                if not bid.evaluated
            ],
        )
