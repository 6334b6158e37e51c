"""Wire models of awards and protests.

An award starts as a notice of intent with a protest window of business days; a timely protest stays
it until decided; it takes effect (`active`) only by an explicit move once the window has closed with
no protest pending. A rejected award passes to the next-ranked qualified bid. Awards are public
procurement information.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from services.common.money import Money
from services.common.pagination import Page
from services.common.wire import PositiveInt32, WireModel
from services.vendors.contracts.patterns import FILLED_TEXT

__all__ = [
    "Award",
    "AwardCreate",
    "AwardPage",
    "AwardStatus",
    "AwardTransition",
    "Protest",
    "ProtestCreate",
    "ProtestPage",
    "ProtestStatus",
    "ProtestTransition",
]

Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=FILLED_TEXT)
]
Grounds = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000, pattern=FILLED_TEXT)
]


class AwardStatus(StrEnum):
    """intent (notice issued, protest window running) ⇄ stayed (a timely protest pending) → active
    (in force) or rejected (passes to the next-ranked bid); cancelled with its solicitation."""

    intent = "intent"
    stayed = "stayed"
    active = "active"
    rejected = "rejected"
    cancelled = "cancelled"


class AwardCreate(WireModel):
    """The notice of intent to award. `bid_id` confirms the bid the evaluators expect to win: it must be
    the top-ranked qualified bid at this moment (409 otherwise), so that no stale view awards."""

    model_config = ConfigDict(extra="forbid")

    bid_id: uuid.UUID


class Award(WireModel):
    id: uuid.UUID
    solicitation_id: uuid.UUID
    bid_id: uuid.UUID
    vendor_id: uuid.UUID
    rank: PositiveInt32 = Field(
        description="The bid's place in the ranking when the intent was issued (1 = best)."
    )
    status: AwardStatus
    amount: Money = Field(description="The bid's price: preferences rank bids but never change this.")
    intent_notified_at: datetime
    protest_window_ends_on: date = Field(
        description="The last day (Los Angeles calendar) a protest is timely: the configured number of "
        "business days after the notice, weekends and City holidays not counted."
    )
    protest_window_open: bool = Field(description="Whether today (Los Angeles) is within the window.")
    award_date: date | None = Field(description="The day the award took effect; set when `active`.")
    decision_reason: str | None = Field(description="Why it was rejected or cancelled.")
    version: PositiveInt32
    created_at: datetime
    updated_at: datetime


class AwardPage(Page[Award]):
    pass


class AwardTransition(WireModel):
    """`active` (once the window has closed with no protest pending) or `rejected` (`reason` required).
    `stayed` and back to `intent` follow protests; `cancelled` follows the solicitation."""

    model_config = ConfigDict(extra="forbid")

    to: AwardStatus
    reason: Reason | None = None


class ProtestStatus(StrEnum):
    """pending (timely; the award is stayed) → upheld | denied | withdrawn. `dismissed`: recorded but
    not heard (untimely, or moot once the award was rejected or cancelled)."""

    pending = "pending"
    dismissed = "dismissed"
    upheld = "upheld"
    denied = "denied"
    withdrawn = "withdrawn"


class ProtestCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    grounds: Grounds = Field(description="What the bidder contests and why.")


class Protest(WireModel):
    id: uuid.UUID
    award_id: uuid.UUID
    solicitation_id: uuid.UUID
    vendor_id: uuid.UUID = Field(description="The protesting bidder.")
    grounds: str
    filed_at: datetime
    timely: bool = Field(description="Filed by the end of the award's protest window (Los Angeles day).")
    status: ProtestStatus
    decision_reason: str | None
    decided_at: datetime | None
    version: PositiveInt32
    created_at: datetime
    updated_at: datetime


class ProtestPage(Page[Protest]):
    pass


class ProtestTransition(WireModel):
    """`upheld` or `denied` by evaluators (`reason` required); `withdrawn` by the protesting vendor."""

    model_config = ConfigDict(extra="forbid")

    to: ProtestStatus
    reason: Reason | None = None
