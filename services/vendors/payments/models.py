"""The payments table: one line per payment the City made, the fact table of every spend report.

Rows are written once and never changed: a correction is a new (negative) line, so reports of a past
period stay reproducible. `external_ref`, the paying system's own line id, makes loading idempotent.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Uuid,
    func,
)
from sqlmodel import Field

from services.common.clock import utcnow
from services.common.db import new_id
from services.vendors.db import VendorsBase

TIERS = ("prime", "sub")


class PaymentRow(VendorsBase, table=True):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(f"tier IN {TIERS!r}", name="tier"),
        CheckConstraint("amount <> 0", name="amount"),
        # A sub-tier line is paid to the sub under a prime; a prime line has no prime above it.
        CheckConstraint("(tier = 'sub') = (prime_vendor_id IS NOT NULL)", name="prime_of_sub"),
        Index("ix_payments_paid_date", "paid_date"),
        Index("ix_payments_vendor_id_paid_date", "vendor_id", "paid_date"),
        Index("ix_payments_contract_id", "contract_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # Who was paid: the prime on a prime line, the subcontractor on a sub line.
    vendor_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.vendors.id"), nullable=False))
    prime_vendor_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("vendors.vendors.id"), nullable=True)
    )
    contract_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("vendors.contracts.id"), nullable=True)
    )
    department: str = Field(sa_column=Column(String(10), nullable=False))
    # `nigp`, `unspsc` or `naics`, and the code as stored for commodity codes (NIGP dashed: 620-80-21),
    # so a report can group at any level of the hierarchy by its prefix.
    category_scheme: str = Field(sa_column=Column(String(10), nullable=False))
    category_code: str = Field(sa_column=Column(String(40), nullable=False))
    amount: Decimal = Field(sa_column=Column(Numeric(16, 2), nullable=False))
    currency: str = Field(default="USD", sa_column=Column(String(3), nullable=False))
    paid_date: date = Field(sa_column=Column(Date, nullable=False))
    # Los Angeles's fiscal year, named by the year it ends in (clock.fiscal_year of paid_date).
    fiscal_year: int = Field(sa_column=Column(SmallInteger, nullable=False))
    tier: str = Field(sa_column=Column(String(5), nullable=False))
    external_ref: str | None = Field(default=None, sa_column=Column(String(80), nullable=True, unique=True))
    import_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
