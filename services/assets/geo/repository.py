"""Queries of the spatial view: the asset registry's rows, selected by their extent box and times.

A bounding box is matched with `&&` (overlap) on `assets.extent`, which the GiST index answers: core
PostgreSQL, no PostGIS. The extent is the footprint's bounding box (else the point), so a footprint whose
box touches the query box matches even where the polygon itself does not: at building scale, metres.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.geo.parameters import BoundingBox, Interval
from services.assets.registry.repository import assets

Conditions = list[ColumnElement[bool]]


def located(*, public: bool) -> Conditions:
    """Assets with a place (the others are no feature of a spatial collection), less the sensitive ones
    for the public."""
    conditions: Conditions = [assets.c.extent.is_not(None)]
    if public:
        conditions.append(assets.c.is_sensitive.is_(False))
    return conditions


def _overlaps(west: float, south: float, east: float, north: float) -> ColumnElement[bool]:
    return assets.c.extent.op("&&")(func.box(func.point(west, south), func.point(east, north)))


def within(bbox: BoundingBox) -> ColumnElement[bool]:
    if bbox.west <= bbox.east:
        return _overlaps(bbox.west, bbox.south, bbox.east, bbox.north)
    # Across the antimeridian: the part east of the west edge, and the part west of the east edge.
    return or_(
        _overlaps(bbox.west, bbox.south, 180, bbox.north), _overlaps(-180, bbox.south, bbox.east, bbox.north)
    )


def during(interval: Interval) -> Conditions:
    conditions: Conditions = []
    if interval.start is not None:
        conditions.append(assets.c.updated_at >= interval.start)
    if interval.end is not None:
        conditions.append(assets.c.updated_at <= interval.end)
    return conditions


def matching(columns: Mapping[str, Sequence[Any] | None]) -> Conditions:
    """`{"status": ["active"], …}`: each column among its values; an empty filter is no filter."""
    return [assets.c[column].in_(values) for column, values in columns.items() if values]


async def count(session: AsyncSession, conditions: Conditions) -> int:
    return int(await session.scalar(select(func.count()).select_from(assets).where(*conditions)) or 0)


@dataclass(frozen=True, slots=True)
class Extents:
    """The bounds of a set of assets (west, south, east, north), and its first and last change."""

    bbox: tuple[float, float, float, float] | None
    first_updated: datetime | None
    last_updated: datetime | None


async def extents(session: AsyncSession, conditions: Conditions) -> Extents:
    west = func.min(func.coalesce(assets.c.footprint_west, assets.c.longitude))
    south = func.min(func.coalesce(assets.c.footprint_south, assets.c.latitude))
    east = func.max(func.coalesce(assets.c.footprint_east, assets.c.longitude))
    north = func.max(func.coalesce(assets.c.footprint_north, assets.c.latitude))
    statement = select(
        west, south, east, north, func.min(assets.c.updated_at), func.max(assets.c.updated_at)
    ).where(*conditions)
    row = (await session.execute(statement)).one()
    if row[0] is None:
        return Extents(None, None, None)
    return Extents((float(row[0]), float(row[1]), float(row[2]), float(row[3])), row[4], row[5])
