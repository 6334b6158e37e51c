"""Queries of parcels: SQL in one place, returning typed rows the service turns into contracts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.assets.parcels.models import ParcelRow
from services.assets.registry.repository import asset_parcels
from services.common.db import CompiledQuery
from services.common.pagination import Pager

parcels: Table = ParcelRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ParcelRecord:
    apn: str
    pin: str | None
    situs_address: str | None
    lot_area_sqft: int | None
    zoning: str | None
    assessor_use_code: str | None
    retired_on: date | None
    version: int
    created_at: datetime
    updated_at: datetime


_parcel_by_apn = select(parcels).where(parcels.c.apn == bindparam("apn"))
_get_parcel = CompiledQuery(_parcel_by_apn)


async def get(session: AsyncSession, apn: str, *, for_update: bool = False) -> ParcelRecord | None:
    row: Any
    if for_update:
        row = (await session.execute(_parcel_by_apn.with_for_update(), {"apn": apn})).mappings().first()
    else:
        row = await _get_parcel.fetch_one(session, apn=apn)
    return ParcelRecord(**row) if row is not None else None


async def exists(session: AsyncSession, apn: str) -> bool:
    return bool(await session.scalar(select(parcels.c.apn).where(parcels.c.apn == apn)))


def select_parcels() -> Select[Any]:
    return select(parcels)


def filter_updated_since(statement: Select[Any], since: datetime) -> Select[Any]:
    return statement.where(parcels.c.updated_at >= since)


def filter_of_asset(statement: Select[Any], asset_id: uuid.UUID) -> Select[Any]:
    linked = select(asset_parcels.c.apn).where(asset_parcels.c.asset_id == asset_id)
    return statement.where(parcels.c.apn.in_(linked))


async def page(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[ParcelRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [parcels.c.apn], filters)
    return [ParcelRecord(**row) for row in rows], token
