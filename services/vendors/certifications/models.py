"""Tables of certifications and of the agencies that issue them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from services.common.db import Tracked, new_id
from services.vendors.db import VendorsBase


class CertifyingAgencyRow(VendorsBase, table=True):
    """Reference data: the rows are written by the migration that creates the table."""

    __tablename__ = "certifying_agencies"

    code: str = Field(sa_column=Column(String(20), primary_key=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    jurisdiction: str = Field(sa_column=Column(String(100), nullable=False))
    url: str = Field(sa_column=Column(String(300), nullable=False))
    certification_types: list[str] = Field(sa_column=Column(JSONB, nullable=False, server_default="[]"))


class CertificationRow(VendorsBase, Tracked, table=True):
    """One certificate as issued. `expired` is never stored: it follows from `expiration_date`."""

    __tablename__ = "certifications"
    __table_args__ = (
        UniqueConstraint("vendor_id", "type", "agency_code", "certificate_number"),
        CheckConstraint("expiration_date > effective_date", name="dates"),
        CheckConstraint(
            "status IN ('pending', 'verified', 'rejected', 'revoked', 'superseded')", name="status"
        ),
        Index("ix_certifications_vendor_id_id", "vendor_id", "id"),
        Index("ix_certifications_expiration_date_id", "expiration_date", "id"),
        Index("ix_certifications_type_vendor_id", "type", "vendor_id"),
        Index("ix_certifications_updated_at_id", "updated_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    vendor_id: uuid.UUID = Field(sa_column=Column(ForeignKey("vendors.vendors.id"), nullable=False))
    type: str = Field(sa_column=Column(String(20), nullable=False))
    agency_code: str = Field(sa_column=Column(ForeignKey("vendors.certifying_agencies.code"), nullable=False))
    certificate_number: str = Field(sa_column=Column(String(60), nullable=False))
    effective_date: date = Field(sa_column=Column(Date, nullable=False))
    expiration_date: date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    verified_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # The day a revocation or supersession cut the certificate short: as-of queries honour it.
    ended_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
