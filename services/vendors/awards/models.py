"""The awards and protests tables. One award row per bid the City proposes to award; `active` is an
award in force. A protest is a bidder's challenge of an award, heard when filed within its window.

Reports read `status`, `vendor_id`, `amount` and `award_date` (the day the award took effect, on which
a certification must be valid to count).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlmodel import Field

from services.common.db import Tracked, new_id
from services.vendors.db import VendorsBase

AWARD_STATUSES = ("intent", "stayed", "active", "rejected", "cancelled")


class AwardRow(VendorsBase, Tracked, table=True):
    __tablename__ = "awards"
    __table_args__ = (
        CheckConstraint(f"status IN {AWARD_STATUSES!r}", name="status"),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("(status = 'active') <= (award_date IS NOT NULL)", name="active_has_date"),
        # At most one award of a solicitation is live (in its window, stayed or in force) at a time.
        Index(
            "uq_awards_solicitation_id_live",
            "solicitation_id",
            unique=True,
            postgresql_where=text("status IN ('intent', 'stayed', 'active')"),
        ),
        Index("ix_awards_vendor_id", "vendor_id"),
        Index("ix_awards_award_date", "award_date"),
        Index("ix_awards_updated_at_id", "updated_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    solicitation_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.solicitations.id"), nullable=False)
    )
    bid_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.bids.id"), nullable=False))
    vendor_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.vendors.id"), nullable=False))
    # The bid's place in the evaluation's ranking (1 = best); a rejected award passes to the next.
    rank: int = Field(sa_column=Column(Integer, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    # Always the bid's price: preferences rank bids, they never change what the City pays.
    amount: Decimal = Field(sa_column=Column(Numeric(16, 2), nullable=False))
    currency: str = Field(default="USD", sa_column=Column(String(3), nullable=False))
    intent_notified_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # Last day (Los Angeles calendar) a protest is timely: N business days after the notice.
    protest_window_ends_on: date = Field(sa_column=Column(Date, nullable=False))
    award_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    decision_reason: str | None = Field(default=None, sa_column=Column(String(2000), nullable=True))


PROTEST_STATUSES = ("pending", "dismissed", "upheld", "denied", "withdrawn")


class ProtestRow(VendorsBase, Tracked, table=True):
    __tablename__ = "protests"
    __table_args__ = (
        CheckConstraint(f"status IN {PROTEST_STATUSES!r}", name="status"),
        # Only a timely protest is heard; an untimely one is recorded and dismissed.
        CheckConstraint("timely OR status = 'dismissed'", name="untimely_dismissed"),
        # One protest pending per bidder and award: further grounds go into it, not beside it.
        Index(
            "uq_protests_award_id_vendor_id_pending",
            "award_id",
            "vendor_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_protests_award_id_status", "award_id", "status"),
        Index("ix_protests_vendor_id_id", "vendor_id", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    award_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.awards.id"), nullable=False))
    solicitation_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.solicitations.id"), nullable=False)
    )
    vendor_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.vendors.id"), nullable=False))
    grounds: str = Field(sa_column=Column(Text, nullable=False))
    filed_by: str = Field(sa_column=Column(String(200), nullable=False))
    filed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    timely: bool = Field(sa_column=Column(Boolean, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    decision_reason: str | None = Field(default=None, sa_column=Column(String(2000), nullable=True))
    decided_by: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
