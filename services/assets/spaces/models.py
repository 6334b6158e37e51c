"""Tables of spaces (floors, rooms, suites, lots inside an asset) and of their occupancy history.

An occupancy row is never updated or deleted (a trigger refuses it): ending or correcting one inserts a
new row that `supersedes` it, at most once each (unique), within the same space (the composite foreign
key). A row is current while no row supersedes it. That no two current rows of a space overlap in time
is checked by a trigger under a lock on the space's row, on core PostgreSQL (the embedded server has no
btree_gist for an exclusion constraint): see the migration that creates them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlmodel import Field

from services.assets.db import AssetsBase
from services.common.db import Tracked, new_id


class SpaceRow(AssetsBase, Tracked, table=True):
    __tablename__ = "spaces"
    __table_args__ = (
        UniqueConstraint("asset_id", "code"),
        CheckConstraint("rentable_sqft >= 0", name="rentable_sqft_not_negative"),
        Index("ix_spaces_asset_id_id", "asset_id", "id"),
        Index("ix_spaces_updated_at_id", "updated_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    asset_id: uuid.UUID = Field(sa_column=Column(ForeignKey("assets.assets.id"), nullable=False))
    code: str = Field(sa_column=Column(String(40), nullable=False))
    name: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    floor: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    use: str = Field(sa_column=Column(String(30), nullable=False))
    rentable_sqft: int = Field(sa_column=Column(Integer, nullable=False))


class OccupancyRow(AssetsBase, table=True):
    __tablename__ = "occupancies"
    __table_args__ = (
        # The target of the composite key below: a record supersedes one of its own space only.
        UniqueConstraint("id", "space_id"),
        UniqueConstraint("supersedes_id"),
        ForeignKeyConstraint(
            ["supersedes_id", "space_id"],
            ["assets.occupancies.id", "assets.occupancies.space_id"],
            name="fk_occupancies_supersedes_id_occupancies",
        ),
        CheckConstraint("(department IS NULL) <> (organization IS NULL)", name="one_occupant"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ends_after_start"),
        Index("ix_occupancies_space_id_id", "space_id", "id"),
        Index("ix_occupancies_space_id_start_date", "space_id", "start_date"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    space_id: uuid.UUID = Field(sa_column=Column(ForeignKey("assets.spaces.id"), nullable=False))
    department: str | None = Field(default=None, sa_column=Column(String(10), nullable=True))
    organization: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    start_date: date = Field(sa_column=Column(Date, nullable=False))
    end_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    supersedes_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    recorded_by: str = Field(sa_column=Column(String(200), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
