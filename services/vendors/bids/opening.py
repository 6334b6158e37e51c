"""The public opening: the only event that unseals bids, and the tabulation it leaves for everyone.

The opening unwraps the solicitation's data key, decrypts every bid still submitted, records the
prices in clear, flags bids that miss an addendum issued before they were submitted, and stores the
data key itself, so that anyone can decrypt the published payloads and recompute the receipts.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.money import Money
from services.common.problems import Conflict
from services.vendors.bids import repository
from services.vendors.bids.lifecycle import BIDS
from services.vendors.bids.repository import BidRecord, TabulatedBidRecord
from services.vendors.bids.sealing import Sealer, open_with_key, receipt_timestamp
from services.vendors.contracts import BidSealedContent, BidStatus, Solicitation, TabulatedBid, Tabulation
from services.vendors.solicitations import repository as solicitation_repository
from services.vendors.solicitations.repository import AddendumRecord


async def open_bids(session: AsyncSession, solicitation_id: uuid.UUID, sealer: Sealer, now: datetime) -> int:
    """Unseals the solicitation's bids in the caller's transaction; returns how many were opened.

    Everything is decrypted before anything is written, so a bid that cannot be decrypted leaves the
    solicitation exactly as it was."""
    key = await repository.sealing_key(session, solicitation_id, for_update=True)
    data_key = sealer.unwrap(key.wrapped_key)
    submitted = await repository.submitted_bids(session, solicitation_id)
    contents = {bid.id: open_with_key(data_key, _sealed(bid)) for bid in submitted}
    addenda = await solicitation_repository.addenda_of(session, solicitation_id)
    for bid in submitted:
        missing = missing_addenda(bid, addenda)
        content = contents[bid.id]
        to = BidStatus.nonresponsive if missing else BidStatus.opened
        await BIDS.move(
            session,
            bid.id,
            bid.version,
            bid.status,
            to,
            actor="system",
            audited=False,
            values={
                "opened_total_amount": content.total.amount,
                "opened_total_currency": content.total.currency,
                "opened_content": content.model_dump(mode="json"),
                "missing_addenda": [str(addendum_id) for addendum_id in missing],
            },
        )
    await repository.release_key(session, solicitation_id, data_key, now)
    return len(submitted)


def _sealed(bid: BidRecord) -> str:
    assert bid.sealed_payload is not None  # a submitted bid is sealed (check constraint)
    return bid.sealed_payload


def missing_addenda(bid: BidRecord, addenda: list[AddendumRecord]) -> list[uuid.UUID]:
    """Addenda issued before the bid was submitted that it does not acknowledge. One issued later
    could not have been read, so it is not held against the bid."""
    acknowledged = set(bid.acknowledged_addenda)
    return [
        addendum.id
        for addendum in addenda
        if addendum.issued_at < bid.submitted_at and str(addendum.id) not in acknowledged
    ]


async def tabulation(session: AsyncSession, solicitation: Solicitation) -> Tabulation:
    if solicitation.opened_at is None:
        raise Conflict(
            f"The bids on {solicitation.reference} have not been opened: they are opened after the close "
            f"({solicitation.tender_period.end.isoformat()}), and the tabulation appears then.",
            current_status=solicitation.status.value,
        )
    key = await repository.sealing_key(session, solicitation.id)
    rows = await repository.tabulated(session, solicitation.id)
    return Tabulation(
        solicitation_id=solicitation.id,
        reference=solicitation.reference,
        ocid=solicitation.ocid,
        opened_at=solicitation.opened_at,
        released_key=key.released_key,
        bid_count=len(rows),
        bids=[_tabulated(row) for row in rows],
    )


def _tabulated(row: TabulatedBidRecord) -> TabulatedBid:
    return TabulatedBid(
        bid_id=row.id,
        vendor_id=row.vendor_id,
        vendor_name=row.vendor_name,
        vendor_number=row.vendor_number,
        status=BidStatus(row.status),
        total=Money(amount=row.opened_total_amount, currency=row.opened_total_currency),
        submitted_at=receipt_timestamp(row.submitted_at),
        late=False,
        acknowledged_addenda=row.acknowledged_addenda,
        missing_addenda=row.missing_addenda,
        sealed_payload=row.sealed_payload,
        receipt_hash=row.receipt_hash,
    )


def opened_content(row: BidRecord) -> BidSealedContent | None:
    content = row.opened_content
    return BidSealedContent.model_validate(content) if content is not None else None
