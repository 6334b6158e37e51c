"""Tables of sealed bids and of the solicitations' sealing keys.

Before the opening the database holds a bid's prices only as `sealed_payload`, a Fernet token under
its solicitation's data key, and that key only wrapped by a master key that lives outside the database.
The opening writes the prices in clear (`opened_*`) and the data key itself (`released_key`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, Numeric, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from services.common.clock import utcnow
from services.common.db import Tracked, new_id
from services.vendors.db import VendorsBase

BID_STATUSES = ("submitted", "withdrawn", "opened", "nonresponsive")


class SealingKeyRow(VendorsBase, table=True):
    """One data key per published solicitation: wrapped until the opening, then released."""

    __tablename__ = "solicitation_sealing_keys"

    solicitation_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.solicitations.id"), primary_key=True)
    )
    # Which master key wrapped it (a fingerprint, never the key), to plan a rotation.
    master_key_id: str = Field(sa_column=Column(String(16), nullable=False))
    wrapped_key: str = Field(sa_column=Column(Text, nullable=False))
    released_key: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    released_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class BidRow(VendorsBase, Tracked, table=True):
    __tablename__ = "bids"
    __table_args__ = (
        CheckConstraint(f"status IN {BID_STATUSES!r}", name="status"),
        # Sealed until withdrawn (then destroyed); the clear columns appear only with the opening.
        CheckConstraint("(status = 'withdrawn') = (sealed_payload IS NULL)", name="sealed_until_withdrawn"),
        CheckConstraint(
            "(status IN ('opened', 'nonresponsive')) = (opened_total_amount IS NOT NULL)",
            name="opened_prices",
        ),
        # One live bid per vendor and solicitation: a second one is a replacement (PUT).
        Index(
            "uq_bids_solicitation_id_vendor_id_live",
            "solicitation_id",
            "vendor_id",
            unique=True,
            postgresql_where=text("status <> 'withdrawn'"),
        ),
        Index("ix_bids_solicitation_id_id", "solicitation_id", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    solicitation_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.solicitations.id"), nullable=False)
    )
    vendor_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.vendors.id"), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    submitted_by: str = Field(sa_column=Column(String(200), nullable=False))
    submitted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    acknowledged_addenda: list[str] = Field(sa_column=Column(JSONB, nullable=False, server_default="[]"))
    sealed_payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    receipt_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    withdrawn_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    opened_total_amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(16, 2), nullable=True))
    opened_total_currency: str | None = Field(default=None, sa_column=Column(String(3), nullable=True))
    # The whole sealed content in clear, written by the opening.
    opened_content: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    missing_addenda: list[str] = Field(sa_column=Column(JSONB, nullable=False, server_default="[]"))
