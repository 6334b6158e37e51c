"""Rules of sealed bids: submit, replace and withdraw within the tender period; read only one's own.
Writes go through the kernel's `TrackedTable`; the unit of work commits them.

Before the opening a bid's sealed content exists only encrypted, and only its vendor can have the
server decrypt it; procurement staff, whatever their scopes, get 403. Responses to submissions carry
the receipt but not the prices, so that no copy in clear is kept, not even by the idempotency store.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.concurrency import check_version
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
from services.vendors.access import BID, READ, can
from services.vendors.bids import opening, repository
from services.vendors.bids.lifecycle import BIDS, B
from services.vendors.bids.repository import BidRecord
from services.vendors.bids.sealing import Sealer, receipt_hash, receipt_timestamp
from services.vendors.contracts import (
    Bid,
    BidCreate,
    BidReceipt,
    BidSealedContent,
    BidStatus,
    Solicitation,
    SolicitationStatus,
)
from services.vendors.solicitations import bidders
from services.vendors.solicitations import repository as solicitation_repository
from services.vendors.solicitations import service as solicitations


class OutsideTenderPeriod(Conflict):
    slug: ClassVar[str] = "outside-tender-period"
    title: ClassVar[str] = "Bids are taken only during the tender period"


class SealedUntilOpening(Forbidden):
    slug: ClassVar[str] = "sealed-until-opening"
    title: ClassVar[str] = "Bids are sealed until the public opening"


def to_contract(row: BidRecord, sealed: BidSealedContent | None) -> Bid:
    payload = row.sealed_payload
    receipt = (
        BidReceipt(
            bid_id=row.id,
            hash=row.receipt_hash,
            submitted_at=receipt_timestamp(row.submitted_at),
            sealed_payload=payload,
        )
        if payload is not None
        else None
    )
    return Bid(
        id=row.id,
        solicitation_id=row.solicitation_id,
        vendor_id=row.vendor_id,
        status=BidStatus(row.status),
        submitted_at=row.submitted_at,
        acknowledged_addenda=row.acknowledged_addenda,
        missing_addenda=row.missing_addenda,
        sealed=sealed,
        receipt=receipt,
        withdrawn_at=row.withdrawn_at,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def issue_sealing_key(session: AsyncSession, solicitation_id: uuid.UUID, sealer: Sealer) -> None:
    """The data key the solicitation's bids will be sealed under, made when it is published."""
    await repository.insert_sealing_key(session, solicitation_id, sealer)


async def submit(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    data: BidCreate,
    actor: Principal,
    now: datetime,
    sealer: Sealer,
) -> Bid:
    vendor_id = await bidders.active_vendor(session, actor)
    solicitation = await _open_solicitation(session, solicitation_id, actor, now)
    await _check_against(session, solicitation, data)
    existing = await repository.live_bid_of(session, solicitation_id, vendor_id)
    if existing is not None:
        raise Conflict(
            f"Vendor {vendor_id} already has bid {existing} on {solicitation.reference}: replace it "
            "(PUT, with If-Match) or withdraw it first.",
            bid_id=str(existing),
        )
    bid_id = new_id()
    sealed = await _seal(session, solicitation_id, data, sealer, now)
    values = {
        "id": bid_id,
        "solicitation_id": solicitation_id,
        "vendor_id": vendor_id,
        "status": BidStatus.submitted.value,
        "submitted_by": actor.sub,
        "submitted_at": now,
        "acknowledged_addenda": [str(addendum_id) for addendum_id in data.acknowledged_addenda],
        "sealed_payload": sealed,
        "receipt_hash": receipt_hash(bid_id, sealed, now),
        "missing_addenda": [],
    }
    async with repository.one_live_bid_per_vendor(session):
        await BIDS.insert(session, values, actor=actor, action="submit", changes=_audit_view(values))
    row = await repository.get(session, solicitation_id, bid_id)
    assert row is not None  # inserted above
    return to_contract(row, sealed=None)


async def replace(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    data: BidCreate,
    expected_version: int | None,
    actor: Principal,
    now: datetime,
    sealer: Sealer,
) -> Bid:
    """A new submission in place of the old one: new sealed content, new time, new receipt."""
    vendor_id = bidders.claimed_vendor(actor)
    before = await _own_bid(session, solicitation_id, bid_id, vendor_id, for_update=True)
    check_version(expected_version, before.version)
    solicitation = await _open_solicitation(session, solicitation_id, actor, now)
    _check_live(before)
    await bidders.active_vendor(session, actor)
    await _check_against(session, solicitation, data)
    sealed = await _seal(session, solicitation_id, data, sealer, now)
    acknowledged = [str(addendum_id) for addendum_id in data.acknowledged_addenda]
    values = {
        "submitted_by": actor.sub,
        "submitted_at": now,
        "acknowledged_addenda": acknowledged,
        "sealed_payload": sealed,
        "receipt_hash": receipt_hash(bid_id, sealed, now),
    }
    changes = {
        "receipt_hash": [before.receipt_hash, values["receipt_hash"]],
        "acknowledged_addenda": [before.acknowledged_addenda, acknowledged],
    }
    await BIDS.change(session, bid_id, before.version, values, actor=actor, changes=changes, action="replace")
    return await _reread(session, before)


async def withdraw(
    session: AsyncSession, solicitation_id: uuid.UUID, bid_id: uuid.UUID, actor: Principal, now: datetime
) -> Bid:
    """Takes the bid out of the competition and destroys its sealed content: it will never be opened."""
    vendor_id = bidders.claimed_vendor(actor)
    before = await _own_bid(session, solicitation_id, bid_id, vendor_id, for_update=True)
    await _open_solicitation(session, solicitation_id, actor, now)
    _check_live(before)
    await _withdrawn(session, before, actor, now)
    return await _reread(session, before)


async def _withdrawn(session: AsyncSession, bid: BidRecord, actor: Principal, now: datetime) -> None:
    """Moves the bid to `withdrawn` along LIFECYCLE, destroying its sealed content, audited `withdraw`."""
    await BIDS.move(
        session,
        bid.id,
        bid.version,
        bid.status,
        B.withdrawn,
        actor=actor,
        values={"withdrawn_at": now, "sealed_payload": None},
        action="withdraw",
    )


async def _reread(session: AsyncSession, bid: BidRecord) -> Bid:
    """The bid as written in this transaction; sealed content is never in a response to a change."""
    row = await repository.get(session, bid.solicitation_id, bid.id)
    assert row is not None  # bids are never deleted
    return to_contract(row, sealed=None)


async def get(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    viewer: Principal,
    now: datetime,
    sealer: Sealer,
) -> Bid:
    solicitation = await solicitations.load_visible(session, solicitation_id, viewer, now)
    row = await repository.get(session, solicitation_id, bid_id)
    if row is None:
        raise NotFound(f"Solicitation {solicitation.reference} has no bid {bid_id}.")
    if _is_owner(viewer, row):
        return to_contract(row, sealed=await _readable_content(session, row, sealer))
    _check_staff_may_read(solicitation, viewer)
    return to_contract(row, sealed=opening.opened_content(row))


async def list_page(
    session: AsyncSession, solicitation_id: uuid.UUID, viewer: Principal, now: datetime, pager: Pager
) -> tuple[list[Bid], str | None]:
    """403 for everyone before the opening, whatever their scopes; staff read the bids after it."""
    solicitation = await solicitations.load_visible(session, solicitation_id, viewer, now)
    _check_staff_may_read(solicitation, viewer)
    rows, token = await repository.page(session, solicitation_id, pager)
    return [to_contract(row, sealed=opening.opened_content(row)) for row in rows], token


def _check_staff_may_read(solicitation: Solicitation, viewer: Principal) -> None:
    if solicitation.opened_at is None:
        raise SealedUntilOpening(
            f"The bids on {solicitation.reference} are sealed until the public opening after the close "
            f"({solicitation.tender_period.end.isoformat()}); only a bid's own vendor can read it before.",
            current_status=solicitation.status.value,
        )
    if not can(viewer, READ):
        raise Forbidden(
            "Opened bids are read with the scope procurement:read; the public tabulation needs no token.",
            required_scopes=[READ],
        )


def _is_owner(viewer: Principal, row: BidRecord) -> bool:
    if not can(viewer, BID) or not viewer.vendor:
        return False
    try:
        return uuid.UUID(viewer.vendor) == row.vendor_id
    except ValueError:
        return False


async def _readable_content(session: AsyncSession, row: BidRecord, sealer: Sealer) -> BidSealedContent | None:
    """For the bid's own vendor: the opened content, or the sealed one decrypted for this read only."""
    if row.opened_content is not None:
        return opening.opened_content(row)
    if row.sealed_payload is None:
        return None
    key = await repository.sealing_key(session, row.solicitation_id)
    return sealer.open(key.wrapped_key, row.sealed_payload)


async def _own_bid(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    vendor_id: uuid.UUID,
    *,
    for_update: bool,
) -> BidRecord:
    row = await repository.get(session, solicitation_id, bid_id, for_update=for_update)
    if row is None:
        raise NotFound(f"Solicitation {solicitation_id} has no bid {bid_id}.")
    if row.vendor_id != vendor_id:
        raise Forbidden("Only the vendor that submitted a bid can change or withdraw it.")
    return row


def _check_live(bid: BidRecord) -> None:
    if bid.status != BidStatus.submitted.value:
        raise InvalidTransition(
            f"Bid {bid.id} is `{bid.status}`: only a submitted bid can be replaced or withdrawn.",
            current_status=bid.status,
            allowed_transitions=[],
        )


async def _open_solicitation(
    session: AsyncSession, solicitation_id: uuid.UUID, actor: Principal, now: datetime
) -> Solicitation:
    """The solicitation, share-locked so that no addendum or opening slips in; 409 outside the window."""
    solicitation = await solicitations.load_visible(session, solicitation_id, actor, now, lock="share")
    if solicitation.status is not SolicitationStatus.open:
        period = solicitation.tender_period
        raise OutsideTenderPeriod(
            f"{solicitation.reference} takes bids from {period.start.isoformat()} until "
            f"{period.end.isoformat()} (server time); it is now {now.isoformat()} and the solicitation "
            f"is `{solicitation.status.value}`.",
            tender_period=period.model_dump(mode="json"),
            server_time=now.isoformat(),
            current_status=solicitation.status.value,
        )
    return solicitation


async def _check_against(session: AsyncSession, solicitation: Solicitation, data: BidCreate) -> None:
    """A bid prices the solicitation's own items, in its currency, and acknowledges its own addenda."""
    errors: list[FieldError] = []
    issued = {addendum.id for addendum in await solicitation_repository.addenda_of(session, solicitation.id)}
    for index, addendum_id in enumerate(data.acknowledged_addenda):
        if addendum_id not in issued:
            errors.append(
                _error(
                    ["acknowledged_addenda", index], f"{solicitation.reference} has no addendum {addendum_id}"
                )
            )
    items = {item.id for item in solicitation.items}
    for index, line in enumerate(data.sealed.line_prices):
        if line.item_id not in items:
            errors.append(
                _error(
                    ["sealed", "line_prices", index, "item_id"],
                    f"{solicitation.reference} has no item {line.item_id!r}",
                )
            )
    estimate = solicitation.estimated_value
    if estimate is not None and data.sealed.total.currency != estimate.currency:
        errors.append(
            _error(
                ["sealed", "total", "currency"],
                f"prices must be in {estimate.currency}, the solicitation's currency",
            )
        )
    if errors:
        raise ValidationFailed("The bid does not fit the solicitation; see `errors`.", errors=errors)


def _error(location: list[str | int], message: str) -> FieldError:
    return FieldError(location=["body", *location], message=message, code="mismatch")


async def _seal(
    session: AsyncSession, solicitation_id: uuid.UUID, data: BidCreate, sealer: Sealer, now: datetime
) -> str:
    key = await repository.sealing_key(session, solicitation_id)
    return sealer.seal(key.wrapped_key, data.sealed, now)


def _audit_view(row: dict[str, Any]) -> dict[str, Any]:
    """What the audit trail keeps of a submission: never a price, only the receipt."""
    return {
        "solicitation_id": str(row["solicitation_id"]),
        "vendor_id": str(row["vendor_id"]),
        "status": row["status"],
        "submitted_at": receipt_timestamp(row["submitted_at"]),
        "acknowledged_addenda": row["acknowledged_addenda"],
        "receipt_hash": row["receipt_hash"],
    }
