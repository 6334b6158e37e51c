"""Queries of the asset registry: SQL in one place, returning typed rows the service turns into contracts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Table, bindparam, delete, func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.assets.registry.models import AssetParcelRow, AssetRow, asset_number_sequence
from services.common.db import CompiledQuery
from services.common.pagination import Pager

assets: Table = AssetRow.__table__  # type: ignore[attr-defined]
asset_parcels: Table = AssetParcelRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class AssetRecord:
    """An asset as stored, with the APNs of its parcels (ten digits each, in order)."""

    id: uuid.UUID
    asset_number: str
    name: str
    description: str | None
    asset_type: str
    predominant_use: str
    legal_interest: str
    status: str
    status_before_hold: str | None
    cannot_dispose_reason: str | None
    status_reason: str | None
    controlling_department: str
    council_district: int | None
    zoning: str | None
    street_number: str | None
    street_name: str | None
    city: str
    zip_code: str | None
    land_area_acres: Decimal | None
    gross_sqft: int | None
    rentable_sqft: int | None
    floors: int | None
    structure_quantity: Decimal | None
    structure_unit: str | None
    year_built: int | None
    year_acquired: int | None
    historical_status: str
    hcm_number: int | None
    longitude: Decimal | None
    latitude: Decimal | None
    footprint: dict[str, Any] | None
    footprint_west: Decimal | None
    footprint_south: Decimal | None
    footprint_east: Decimal | None
    footprint_north: Decimal | None
    is_sensitive: bool
    version: int
    created_at: datetime
    updated_at: datetime
    apns: list[str]


# The asset's APNs as a JSON array, aggregated in the same query that reads the asset.
_apns_of_asset = (
    select(
        func.coalesce(
            func.json_agg(aggregate_order_by(asset_parcels.c.apn, asset_parcels.c.apn)),
            literal_column("'[]'::json"),
        )
    )
    .where(asset_parcels.c.asset_id == assets.c.id)
    .scalar_subquery()
    .label("apns")
)


# Every column but those the database computes for its indexes (the extent box), which no reader needs.
_stored_columns = [column for column in assets.c if column.computed is None]


def select_assets() -> Select[Any]:
    return select(*_stored_columns, _apns_of_asset)


_asset_by_id = select_assets().where(assets.c.id == bindparam("asset_id"))
_get_asset = CompiledQuery(_asset_by_id)


async def get(session: AsyncSession, asset_id: uuid.UUID, *, for_update: bool = False) -> AssetRecord | None:
    if for_update:
        statement = _asset_by_id.with_for_update(of=assets)
        row = (await session.execute(statement, {"asset_id": asset_id})).mappings().first()
    else:
        row = await _get_asset.fetch_one(session, asset_id=asset_id)
    return _record(row) if row is not None else None


def _record(row: Any) -> AssetRecord:
    values = dict(row)
    if isinstance(values["apns"], str):  # json_agg read through the raw driver arrives as text
        values["apns"] = orjson.loads(values["apns"])
    return AssetRecord(**values)


async def next_asset_number(session: AsyncSession) -> str:
    number = await session.scalar(asset_number_sequence.next_value())
    return f"LA-RP-{number:06d}"


def filter_by(statement: Select[Any], column: str, values: Sequence[Any]) -> Select[Any]:
    return statement.where(assets.c[column].in_(values))


def filter_updated_since(statement: Select[Any], since: datetime) -> Select[Any]:
    return statement.where(assets.c.updated_at >= since)


def filter_public(statement: Select[Any]) -> Select[Any]:
    return statement.where(assets.c.is_sensitive.is_(False))


def filter_on_parcel(statement: Select[Any], apn: str) -> Select[Any]:
    linked = select(asset_parcels.c.asset_id).where(asset_parcels.c.apn == apn)
    return statement.where(assets.c.id.in_(linked))


async def page(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[AssetRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [assets.c.id], filters)
    return [_record(row) for row in rows], token


async def link_parcel(session: AsyncSession, asset_id: uuid.UUID, apn: str, at: datetime) -> None:
    await session.execute(insert(asset_parcels).values(asset_id=asset_id, apn=apn, linked_at=at))


async def unlink_parcel(session: AsyncSession, asset_id: uuid.UUID, apn: str) -> None:
    await session.execute(
        delete(asset_parcels).where(asset_parcels.c.asset_id == asset_id, asset_parcels.c.apn == apn)
    )
