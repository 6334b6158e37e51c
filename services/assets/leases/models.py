"""Tables of leases, the spaces each covers, and the CPI index values that CPI escalations read.

A lease's escalations and options are JSON lists on its row: they are always read and written with the
lease, as one version of it (one ETag, one audit event). The critical dates read the options' notice
deadlines out of the list in SQL. The spaces a lease covers are rows of their own, so that the database
keeps them pointing at real spaces.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from services.assets.db import AssetsBase
from services.common.db import Tracked, new_id


class LeaseRow(AssetsBase, Tracked, table=True):
    __tablename__ = "leases"
    __table_args__ = (
        CheckConstraint("expiration_date >= commencement_date", name="expires_after_commencement"),
        CheckConstraint("base_monthly_rent >= 0", name="rent_not_negative"),
        CheckConstraint("security_deposit >= 0", name="deposit_not_negative"),
        Index("ix_leases_asset_id_id", "asset_id", "id"),
        Index("ix_leases_updated_at_id", "updated_at", "id"),
        Index("ix_leases_expiration_date_id", "expiration_date", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    asset_id: uuid.UUID = Field(sa_column=Column(ForeignKey("assets.assets.id"), nullable=False))
    direction: str = Field(sa_column=Column(String(20), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    status_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    counterparty_name: str = Field(sa_column=Column(String(200), nullable=False))
    counterparty_vendor_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    commencement_date: date = Field(sa_column=Column(Date, nullable=False))
    expiration_date: date = Field(sa_column=Column(Date, nullable=False))
    base_monthly_rent: Decimal = Field(sa_column=Column(Numeric(16, 2), nullable=False))
    security_deposit: Decimal | None = Field(default=None, sa_column=Column(Numeric(16, 2), nullable=True))
    escalations: list[dict[str, Any]] = Field(
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    )
    options: list[dict[str, Any]] = Field(
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    )
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class LeaseSpaceRow(AssetsBase, table=True):
    __tablename__ = "lease_spaces"
    __table_args__ = (Index("ix_lease_spaces_space_id", "space_id"),)

    lease_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("assets.leases.id", ondelete="CASCADE"), primary_key=True)
    )
    space_id: uuid.UUID = Field(sa_column=Column(ForeignKey("assets.spaces.id"), primary_key=True))


class CpiValueRow(AssetsBase, Tracked, table=True):
    __tablename__ = "cpi_values"
    __table_args__ = (
        UniqueConstraint("series", "month"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("extract(day from month) = 1", name="month_first_day"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    series: str = Field(sa_column=Column(String(20), nullable=False))
    month: date = Field(sa_column=Column(Date, nullable=False))
    value: Decimal = Field(sa_column=Column(Numeric(10, 3), nullable=False))
