"""Tables of parcels: one row per Assessor's parcel, keyed by its ten-digit APN."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Column, Date, Index, Integer, String
from sqlmodel import Field

from services.assets.db import AssetsBase
from services.common.db import Tracked


class ParcelRow(AssetsBase, Tracked, table=True):
    __tablename__ = "parcels"
    __table_args__ = (
        CheckConstraint("apn ~ '^[0-9]{10}$'", name="apn_digits"),
        Index("ix_parcels_updated_at_apn", "updated_at", "apn"),
    )

    apn: str = Field(sa_column=Column(String(10), primary_key=True))
    pin: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    situs_address: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    lot_area_sqft: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    zoning: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    assessor_use_code: str | None = Field(default=None, sa_column=Column(String(4), nullable=True))
    retired_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
