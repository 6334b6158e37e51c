"""Tables of the evaluators' determinations and scores.

Both are append-only: a new determination or score replaces the previous one of its kind for ranking
(the latest counts), and every earlier one stays on record.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, Numeric, String, Text
from sqlmodel import Field

from services.common.db import new_id
from services.vendors.db import VendorsBase

DETERMINATION_OUTCOMES = {
    "responsiveness": ("responsive", "nonresponsive"),
    "responsibility": ("responsible", "not_responsible"),
}


class DeterminationRow(VendorsBase, table=True):
    __tablename__ = "bid_determinations"
    __table_args__ = (
        CheckConstraint(
            " OR ".join(
                f"(kind = '{kind}' AND outcome IN {outcomes!r})"
                for kind, outcomes in DETERMINATION_OUTCOMES.items()
            ),
            name="outcome_of_kind",
        ),
        Index("ix_bid_determinations_bid_id_kind_id", "bid_id", "kind", "id"),
        Index("ix_bid_determinations_solicitation_id_id", "solicitation_id", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    solicitation_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.solicitations.id"), nullable=False)
    )
    bid_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.bids.id"), nullable=False))
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    outcome: str = Field(sa_column=Column(String(20), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    # Responsibility: the vendor's registry status as the server read it, never as a client claimed it.
    vendor_status: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    determined_by: str = Field(sa_column=Column(String(200), nullable=False))
    determined_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ScoreRow(VendorsBase, table=True):
    __tablename__ = "bid_scores"
    __table_args__ = (
        CheckConstraint("points >= 0 AND points <= 100", name="points"),
        Index("ix_bid_scores_bid_id_criterion_id", "bid_id", "criterion", "id"),
        Index("ix_bid_scores_solicitation_id_id", "solicitation_id", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    solicitation_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.solicitations.id"), nullable=False)
    )
    bid_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.bids.id"), nullable=False))
    criterion: str = Field(sa_column=Column(String(40), nullable=False))
    points: Decimal = Field(sa_column=Column(Numeric(5, 2), nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    scored_by: str = Field(sa_column=Column(String(200), nullable=False))
    scored_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
