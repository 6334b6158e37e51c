"""Tables of contracts, their amendments and their subcontract commitments.

Reports read a contract's `vendor_id`, `department`, `status` and `value_amount` (the value with every
amendment applied), and a subcontract's `sub_vendor_id`, `amount`, `committed_date` (on which the sub's
certification must be valid to count) and `status`.
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
    Integer,
    Numeric,
    Sequence,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field

from services.common.db import Tracked, new_id
from services.vendors.db import VendorsBase, metadata

contract_number_sequence = Sequence("contract_number_seq", metadata=metadata)

CONTRACT_STATUSES = ("draft", "active", "completed", "terminated")
SUBCONTRACT_STATUSES = ("committed", "cancelled")


class ContractRow(VendorsBase, Tracked, table=True):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint(f"status IN {CONTRACT_STATUSES!r}", name="status"),
        CheckConstraint("value_amount >= 0", name="value"),
        CheckConstraint("period_end >= period_start", name="period"),
        Index("ix_contracts_vendor_id", "vendor_id"),
        Index("ix_contracts_updated_at_id", "updated_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # `C-2026-00042`, from a sequence: unique without locking.
    number: str = Field(sa_column=Column(String(30), nullable=False, unique=True))
    award_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.awards.id"), nullable=False, unique=True)
    )
    solicitation_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.solicitations.id"), nullable=False)
    )
    vendor_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.vendors.id"), nullable=False))
    department: str = Field(sa_column=Column(String(10), nullable=False))
    title: str = Field(sa_column=Column(String(300), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    original_value_amount: Decimal = Field(sa_column=Column(Numeric(16, 2), nullable=False))
    value_amount: Decimal = Field(sa_column=Column(Numeric(16, 2), nullable=False))
    currency: str = Field(default="USD", sa_column=Column(String(3), nullable=False))
    period_start: date = Field(sa_column=Column(Date, nullable=False))
    period_end: date = Field(sa_column=Column(Date, nullable=False))
    signed_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class AmendmentRow(VendorsBase, table=True):
    __tablename__ = "contract_amendments"
    __table_args__ = (UniqueConstraint("contract_id", "number"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    contract_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.contracts.id"), nullable=False))
    number: int = Field(sa_column=Column(Integer, nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    # Signed: a deductive change order lowers the value.
    value_change_amount: Decimal = Field(sa_column=Column(Numeric(16, 2), nullable=False))
    new_period_end: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    effective_date: date = Field(sa_column=Column(Date, nullable=False))
    made_by: str = Field(sa_column=Column(String(200), nullable=False))
    made_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class SubcontractRow(VendorsBase, Tracked, table=True):
    __tablename__ = "subcontracts"
    __table_args__ = (
        CheckConstraint(f"status IN {SUBCONTRACT_STATUSES!r}", name="status"),
        CheckConstraint("amount > 0", name="amount"),
        Index("ix_subcontracts_contract_id", "contract_id"),
        Index("ix_subcontracts_sub_vendor_id", "sub_vendor_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    contract_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.contracts.id"), nullable=False))
    sub_vendor_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.vendors.id"), nullable=False))
    # The certification the prime counts this commitment under (`dbe`, `slbe`…); reports check it was
    # valid on `committed_date`.
    certification_type: str | None = Field(default=None, sa_column=Column(String(10), nullable=True))
    amount: Decimal = Field(sa_column=Column(Numeric(16, 2), nullable=False))
    committed_date: date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
