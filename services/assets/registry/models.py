"""Tables of the asset registry: one row per asset (land, building, structure), and its parcels."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Sequence,
    SmallInteger,
    String,
    Text,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from services.assets.db import AssetsBase, metadata
from services.common.db import Tracked, new_id

asset_number_sequence = Sequence("asset_number_seq", metadata=metadata)

Coordinate = Numeric(10, 7)  # degrees, 7 decimals (about 1 cm), RFC 7946's advice


class AssetRow(AssetsBase, Tracked, table=True):
    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint("asset_type IN ('land', 'building', 'structure')", name="asset_type"),
        CheckConstraint("council_district BETWEEN 1 AND 15", name="council_district"),
        CheckConstraint("rentable_sqft <= gross_sqft", name="rentable_within_gross"),
        CheckConstraint("(longitude IS NULL) = (latitude IS NULL)", name="location_whole"),
        CheckConstraint(
            "(status = 'cannot_currently_be_disposed') = (cannot_dispose_reason IS NOT NULL)",
            name="cannot_dispose_reason",
        ),
        Index("ix_assets_updated_at_id", "updated_at", "id"),
        Index("ix_assets_status_id", "status", "id"),
        Index("ix_assets_controlling_department_id", "controlling_department", "id"),
        Index("ix_assets_council_district_id", "council_district", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    asset_number: str = Field(sa_column=Column(String(24), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    asset_type: str = Field(sa_column=Column(String(20), nullable=False))
    predominant_use: str = Field(sa_column=Column(String(40), nullable=False))
    legal_interest: str = Field(sa_column=Column(String(30), nullable=False))
    status: str = Field(sa_column=Column(String(40), nullable=False))
    # The status an asset held before `cannot_currently_be_disposed`, to which it returns.
    status_before_hold: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    cannot_dispose_reason: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    status_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    controlling_department: str = Field(sa_column=Column(String(10), nullable=False))
    council_district: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    zoning: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    street_number: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    street_name: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    city: str = Field(sa_column=Column(String(200), nullable=False))
    zip_code: str | None = Field(default=None, sa_column=Column(String(10), nullable=True))
    land_area_acres: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 4), nullable=True))
    gross_sqft: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    rentable_sqft: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    floors: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    structure_quantity: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2), nullable=True))
    structure_unit: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    year_built: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    year_acquired: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    historical_status: str = Field(sa_column=Column(String(30), nullable=False))
    hcm_number: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    longitude: Decimal | None = Field(default=None, sa_column=Column(Coordinate, nullable=True))
    latitude: Decimal | None = Field(default=None, sa_column=Column(Coordinate, nullable=True))
    # The footprint as GeoJSON, and its bounding box in columns, recomputed on every write, so that a
    # box query is an indexed range predicate on core PostgreSQL (no PostGIS).
    footprint: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    footprint_west: Decimal | None = Field(default=None, sa_column=Column(Coordinate, nullable=True))
    footprint_south: Decimal | None = Field(default=None, sa_column=Column(Coordinate, nullable=True))
    footprint_east: Decimal | None = Field(default=None, sa_column=Column(Coordinate, nullable=True))
    footprint_north: Decimal | None = Field(default=None, sa_column=Column(Coordinate, nullable=True))
    is_sensitive: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=false()))


class AssetParcelRow(AssetsBase, table=True):
    """An asset stands on a parcel: many to many (a building spans parcels; a parcel holds buildings)."""

    __tablename__ = "asset_parcels"
    __table_args__ = (Index("ix_asset_parcels_apn_asset_id", "apn", "asset_id"),)

    asset_id: uuid.UUID = Field(sa_column=Column(ForeignKey("assets.assets.id"), primary_key=True))
    apn: str = Field(sa_column=Column(String(10), ForeignKey("assets.parcels.apn"), primary_key=True))
    linked_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
