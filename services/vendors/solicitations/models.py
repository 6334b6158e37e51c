"""Tables of solicitations, their addenda and their questions.

Only the explicit statuses are stored. `open` and `closed` are never written: they are read from the
stored `published` and the tender period against the clock (see repository.effective_status), so that
no scheduler has to be running for a solicitation to close on time.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Sequence,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field

from services.common.db import Tracked, new_id
from services.vendors.db import VendorsBase, metadata

solicitation_number_sequence = Sequence("solicitation_number_seq", metadata=metadata)

STORED_STATUSES = (
    "draft",
    "published",
    "opened",
    "evaluation",
    "intent_to_award",
    "awarded",
    "cancelled",
    "unsuccessful",
)


def _optional_timestamp() -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class SolicitationRow(VendorsBase, Tracked, table=True):
    __tablename__ = "solicitations"
    __table_args__ = (
        CheckConstraint(f"status IN {STORED_STATUSES!r}", name="status"),
        CheckConstraint("tender_period_end > tender_period_start", name="tender_period"),
        CheckConstraint(
            "enquiry_period_start IS NULL OR "
            "(enquiry_period_end > enquiry_period_start AND enquiry_period_end <= tender_period_end)",
            name="enquiry_period",
        ),
        CheckConstraint(
            "estimated_value_amount IS NULL OR estimated_value_amount >= 0", name="estimated_value"
        ),
        CheckConstraint("evaluation_method IN ('lowest_price', 'best_value')", name="evaluation_method"),
        # Proposition 209: a race- and sex-conscious (DBE) goal exists only on federally funded work.
        CheckConstraint(
            "dbe_goal_percent IS NULL OR "
            "(funding_source = 'federal' AND dbe_goal_percent > 0 AND dbe_goal_percent <= 100)",
            name="dbe_goal_federal_only",
        ),
        Index("ix_solicitations_status_tender_period_end", "status", "tender_period_end"),
        Index("ix_solicitations_updated_at_id", "updated_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # `IFB-2026-0001`: the letters follow `type` while a draft; fixed at publication, like the ocid.
    reference: str = Field(sa_column=Column(String(30), nullable=False, unique=True))
    ocid: str = Field(sa_column=Column(String(80), nullable=False, unique=True))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    title: str = Field(sa_column=Column(String(300), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    type: str = Field(sa_column=Column(String(20), nullable=False))
    main_category: str = Field(sa_column=Column(String(20), nullable=False))
    buyer_department: str = Field(sa_column=Column(String(10), nullable=False))
    estimated_value_amount: Decimal | None = Field(
        default=None, sa_column=Column(Numeric(16, 2), nullable=True)
    )
    estimated_value_currency: str | None = Field(default=None, sa_column=Column(String(3), nullable=True))
    funding_source: str = Field(sa_column=Column(String(10), nullable=False))
    items: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False, server_default="[]"))
    # `scheme:code` of every item classification: what `commodity=` filters on.
    classification_codes: list[str] = Field(
        sa_column=Column(ARRAY(String(40)), nullable=False, server_default="{}")
    )
    enquiry_period_start: datetime | None = _optional_timestamp()
    enquiry_period_end: datetime | None = _optional_timestamp()
    tender_period_start: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    tender_period_end: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    disclose_bid_count: bool = Field(default=False, nullable=False)
    evaluation_method: str = Field(
        default="lowest_price",
        sa_column=Column(String(20), nullable=False, server_default="lowest_price"),
    )
    # Best value: [{key, name, kind, weight}], weights summing to 100 (checked by the wire model).
    evaluation_criteria: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    dbe_goal_percent: Decimal | None = Field(default=None, sa_column=Column(Numeric(5, 2), nullable=True))
    published_at: datetime | None = _optional_timestamp()
    opened_at: datetime | None = _optional_timestamp()


class AddendumRow(VendorsBase, table=True):
    __tablename__ = "solicitation_addenda"
    __table_args__ = (UniqueConstraint("solicitation_id", "number"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    solicitation_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.solicitations.id"), nullable=False)
    )
    number: int = Field(sa_column=Column(Integer, nullable=False))
    title: str = Field(sa_column=Column(String(300), nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    issued_by: str = Field(sa_column=Column(String(200), nullable=False))
    close_extended_from: datetime | None = _optional_timestamp()
    close_extended_to: datetime | None = _optional_timestamp()


class QuestionRow(VendorsBase, table=True):
    __tablename__ = "solicitation_questions"
    __table_args__ = (UniqueConstraint("solicitation_id", "number"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    solicitation_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.solicitations.id"), nullable=False)
    )
    number: int = Field(sa_column=Column(Integer, nullable=False))
    question: str = Field(sa_column=Column(Text, nullable=False))
    # The asker, kept for staff and audit; public views never show these two columns.
    asked_by_vendor_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.vendors.id"), nullable=False))
    asked_by: str = Field(sa_column=Column(String(200), nullable=False))
    asked_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_by: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    answered_at: datetime | None = _optional_timestamp()
