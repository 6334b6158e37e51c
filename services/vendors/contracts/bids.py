"""Wire models of sealed bids, their receipts, and the public tabulation made at the opening.

What a bid offers (its `sealed` content: prices and financial documents) is encrypted on arrival under
its solicitation's sealing key, which only the public opening releases. Until then only the bidding
vendor can read it back.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AnyHttpUrl, ConfigDict, Field, StringConstraints, UrlConstraints, model_validator

from services.common.money import Money
from services.common.pagination import Page
from services.common.wire import URL_MAX_LENGTH, Count, PositiveInt32, WireModel
from services.vendors.contracts.patterns import cross_field
from services.vendors.contracts.solicitations import ItemId, Title

__all__ = [
    "RECEIPT_INPUT",
    "Bid",
    "BidCreate",
    "BidPage",
    "BidReceipt",
    "BidSealedContent",
    "BidStatus",
    "FinancialDocument",
    "LinePrice",
    "TabulatedBid",
    "Tabulation",
]

RECEIPT_ALGORITHM: Literal["sha256"] = "sha256"
RECEIPT_INPUT = (
    "SHA-256 of the UTF-8 text `<bid id>\\n<sealed_payload>\\n<submitted_at>`: the bid's id in canonical "
    "UUID form, the sealed payload (a Fernet token, as published), and the server's submission time "
    "exactly as given in this receipt (RFC 3339, UTC, microseconds). Hex-encoded."
)


class BidStatus(StrEnum):
    """submitted → withdrawn while the tender is open; at the opening, submitted → opened, or
    nonresponsive when it misses an addendum it had to acknowledge."""

    submitted = "submitted"
    withdrawn = "withdrawn"
    opened = "opened"
    nonresponsive = "nonresponsive"


class LinePrice(WireModel):
    """The price of one solicitation item (by its `id`)."""

    model_config = ConfigDict(extra="forbid")

    item_id: ItemId
    unit_price: Money | None = None
    amount: Money = Field(description="The extended price of the item: what the bid charges for it.")


class FinancialDocument(WireModel):
    """A reference to a financial document held elsewhere (a cost proposal, a bill of quantities)."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=URL_MAX_LENGTH)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None, description="The document's SHA-256, so that a reader can tell it was not swapped."
    )


class BidSealedContent(WireModel):
    """What stays sealed until the opening: the prices and the financial documents."""

    model_config = ConfigDict(extra="forbid")

    total: Money
    line_prices: Annotated[list[LinePrice], Field(max_length=500)] = []
    financial_documents: Annotated[list[FinancialDocument], Field(max_length=50)] = []

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        currencies = {line.amount.currency for line in self.line_prices} | {
            line.unit_price.currency for line in self.line_prices if line.unit_price is not None
        }
        if currencies - {self.total.currency}:
            raise cross_field("every price must be in the total's currency")
        item_ids = [line.item_id for line in self.line_prices]
        if len(set(item_ids)) != len(item_ids):
            raise cross_field("each item is priced at most once")
        if self.line_prices and sum(line.amount.amount for line in self.line_prices) != self.total.amount:
            raise cross_field("the line prices' amounts must add up to the total")
        return self


class BidCreate(WireModel):
    """A bid, submitted whole; a replacement (PUT) sends the whole bid again."""

    model_config = ConfigDict(extra="forbid")

    acknowledged_addenda: Annotated[list[uuid.UUID], Field(max_length=200)] = Field(
        default=[], description="Ids of the solicitation's addenda this bid acknowledges: all of them."
    )
    sealed: BidSealedContent


class BidReceipt(WireModel):
    """Proof of what was submitted and when; anyone can check it against the tabulation."""

    bid_id: uuid.UUID
    algorithm: Literal["sha256"] = RECEIPT_ALGORITHM
    hash: str = Field(description="Hex SHA-256 over the inputs described in `hashed_input`.")
    submitted_at: str = Field(description="The server's submission time, exactly as hashed.")
    sealed_payload: str = Field(description="The sealed payload exactly as hashed (a Fernet token).")
    hashed_input: str = RECEIPT_INPUT


class Bid(WireModel):
    id: uuid.UUID
    solicitation_id: uuid.UUID
    vendor_id: uuid.UUID
    status: BidStatus
    submitted_at: datetime
    acknowledged_addenda: list[uuid.UUID]
    missing_addenda: list[uuid.UUID] = Field(
        description="Addenda issued before the submission that the bid does not acknowledge: known at "
        "the opening, which makes the bid nonresponsive."
    )
    sealed: BidSealedContent | None = Field(
        description="Decrypted for the bidding vendor, and for procurement staff once the bids are "
        "opened. Null in submission responses (no copy in clear is kept anywhere) and once withdrawn "
        "(a withdrawn bid's sealed content is destroyed)."
    )
    receipt: BidReceipt | None = Field(description="Null once withdrawn.")
    withdrawn_at: datetime | None
    version: PositiveInt32
    created_at: datetime
    updated_at: datetime


class BidPage(Page[Bid]):
    pass


class TabulatedBid(WireModel):
    """One opened bid as read out at the opening; with `sealed_payload`, `submitted_at` and
    `released_key` anyone can recompute the receipt and decrypt the payload to check `total`."""

    bid_id: uuid.UUID
    vendor_id: uuid.UUID
    vendor_name: str
    vendor_number: str
    status: BidStatus
    total: Money
    submitted_at: str = Field(description="RFC 3339, exactly as hashed into the receipt.")
    late: bool = Field(description="Always false: the server refuses bids after the close.")
    acknowledged_addenda: list[uuid.UUID]
    missing_addenda: list[uuid.UUID]
    sealed_payload: str
    receipt_hash: str


class Tabulation(WireModel):
    """The public record of the opening: every bid not withdrawn, lowest total first."""

    solicitation_id: uuid.UUID
    reference: str
    ocid: str
    opened_at: datetime
    released_key: str = Field(
        description="The solicitation's sealing key (a Fernet key), released by the opening: it decrypts "
        "every `sealed_payload` below."
    )
    receipt_algorithm: Literal["sha256"] = RECEIPT_ALGORITHM
    receipt_input: str = RECEIPT_INPUT
    bid_count: Count
    bids: list[TabulatedBid]
