"""Queries of spaces and occupancy: SQL in one place, returning typed rows the services turn into
contracts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_, exists, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Select

from services.assets.spaces.models import OccupancyRow, SpaceRow
from services.common.pagination import Pager

spaces: Table = SpaceRow.__table__  # type: ignore[attr-defined]
occupancies: Table = OccupancyRow.__table__  # type: ignore[attr-defined]
_newer = occupancies.alias("newer")


@dataclass(frozen=True, slots=True)
class SpaceRecord:
    id: uuid.UUID
    asset_id: uuid.UUID
    code: str
    name: str | None
    floor: int | None
    use: str
    rentable_sqft: int
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OccupancyRecord:
    """An occupancy row, with its space's asset and the record that superseded it, if any."""

    id: uuid.UUID
    space_id: uuid.UUID
    department: str | None
    organization: str | None
    start_date: date
    end_date: date | None
    note: str | None
    reason: str | None
    supersedes_id: uuid.UUID | None
    recorded_by: str
    recorded_at: datetime
    asset_id: uuid.UUID
    superseded_by_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class OccupancyTotals:
    spaces: int
    occupied_spaces: int
    rentable_sqft: int
    occupied_sqft: int


# Spaces


async def get_space(
    session: AsyncSession, space_id: uuid.UUID, *, for_update: bool = False
) -> SpaceRecord | None:
    statement = select(spaces).where(spaces.c.id == space_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return SpaceRecord(**row) if row is not None else None


async def space_with_code(
    session: AsyncSession, asset_id: uuid.UUID, code: str, *, other_than: uuid.UUID | None = None
) -> uuid.UUID | None:
    statement = select(spaces.c.id).where(spaces.c.asset_id == asset_id, spaces.c.code == code)
    if other_than is not None:
        statement = statement.where(spaces.c.id != other_than)
    found: uuid.UUID | None = await session.scalar(statement)
    return found


async def rentable_of_others(
    session: AsyncSession, asset_id: uuid.UUID, *, other_than: uuid.UUID | None = None
) -> int:
    """The rentable square feet of the asset's spaces, less the one being changed."""
    statement = select(func.coalesce(func.sum(spaces.c.rentable_sqft), 0)).where(
        spaces.c.asset_id == asset_id
    )
    if other_than is not None:
        statement = statement.where(spaces.c.id != other_than)
    return int(await session.scalar(statement) or 0)


def select_spaces(asset_id: uuid.UUID) -> Select[Any]:
    return select(spaces).where(spaces.c.asset_id == asset_id)


def filter_updated_since(statement: Select[Any], since: datetime) -> Select[Any]:
    return statement.where(spaces.c.updated_at >= since)


async def page_spaces(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[SpaceRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [spaces.c.id], filters)
    return [SpaceRecord(**row) for row in rows], token


# Occupancy


def _is_current(record: Any = occupancies) -> ColumnElement[bool]:
    return ~exists().where(_newer.c.supersedes_id == record.c.id)


def _occupied_on(day: date) -> ColumnElement[bool]:
    return and_(
        occupancies.c.start_date <= day,
        or_(occupancies.c.end_date.is_(None), occupancies.c.end_date >= day),
    )


_superseded_by = (
    select(_newer.c.id)
    .where(_newer.c.supersedes_id == occupancies.c.id)
    .scalar_subquery()
    .label("superseded_by_id")
)


def select_occupancies() -> Select[Any]:
    return select(*occupancies.c, spaces.c.asset_id, _superseded_by).join(
        spaces, spaces.c.id == occupancies.c.space_id
    )


async def get_occupancy(session: AsyncSession, occupancy_id: uuid.UUID) -> OccupancyRecord | None:
    statement = select_occupancies().where(occupancies.c.id == occupancy_id)
    row = (await session.execute(statement)).mappings().first()
    return OccupancyRecord(**row) if row is not None else None


def filter_of_space(statement: Select[Any], space_id: uuid.UUID) -> Select[Any]:
    return statement.where(occupancies.c.space_id == space_id)


def filter_current(statement: Select[Any], current: bool) -> Select[Any]:
    return statement.where(_is_current() if current else ~_is_current())


def filter_recorded_since(statement: Select[Any], since: datetime) -> Select[Any]:
    return statement.where(occupancies.c.recorded_at >= since)


async def page_occupancies(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[OccupancyRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [occupancies.c.id], filters)
    return [OccupancyRecord(**row) for row in rows], token


async def overlapping(
    session: AsyncSession,
    space_id: uuid.UUID,
    start: date,
    end: date | None,
    *,
    other_than: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """The first current record of the space whose days meet [start, end] (both inclusive; no end is
    open), leaving out `other_than` (the record a new one supersedes)."""
    statement = select(occupancies.c.id).where(
        occupancies.c.space_id == space_id,
        _is_current(),
        or_(occupancies.c.end_date.is_(None), occupancies.c.end_date >= start),
    )
    if end is not None:
        statement = statement.where(occupancies.c.start_date <= end)
    if other_than is not None:
        statement = statement.where(occupancies.c.id != other_than)
    found: uuid.UUID | None = await session.scalar(statement.order_by(occupancies.c.start_date).limit(1))
    return found


async def insert_occupancy(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(occupancies).values(**values))


async def totals_on(session: AsyncSession, asset_id: uuid.UUID, day: date) -> OccupancyTotals:
    """The asset's spaces and their square feet, all and occupied on `day`, added up in one query."""
    occupied = (
        exists()
        .where(occupancies.c.space_id == spaces.c.id, _is_current(), _occupied_on(day))
        .correlate(spaces)
    )
    statement = select(
        func.count().label("spaces"),
        func.count().filter(occupied).label("occupied_spaces"),
        func.coalesce(func.sum(spaces.c.rentable_sqft), 0).label("rentable_sqft"),
        func.coalesce(func.sum(spaces.c.rentable_sqft).filter(occupied), 0).label("occupied_sqft"),
    ).where(spaces.c.asset_id == asset_id)
    row = (await session.execute(statement)).mappings().one()
    return OccupancyTotals(**{name: int(value) for name, value in row.items()})
