"""Queries of leases, their spaces, CPI values and critical dates: SQL in one place, returning typed rows
the services turn into contracts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    Table,
    cast,
    column,
    delete,
    func,
    insert,
    literal,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.assets.leases.models import CpiValueRow, LeaseRow, LeaseSpaceRow
from services.assets.spaces.repository import spaces
from services.common.pagination import Pager

leases: Table = LeaseRow.__table__  # type: ignore[attr-defined]
lease_spaces: Table = LeaseSpaceRow.__table__  # type: ignore[attr-defined]
cpi_values: Table = CpiValueRow.__table__  # type: ignore[attr-defined]

OPEN_STATUSES = ("draft", "active")


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    id: uuid.UUID
    asset_id: uuid.UUID
    direction: str
    status: str
    status_reason: str | None
    counterparty_name: str
    counterparty_vendor_id: uuid.UUID | None
    commencement_date: date
    expiration_date: date
    base_monthly_rent: Decimal
    security_deposit: Decimal | None
    escalations: list[dict[str, Any]]
    options: list[dict[str, Any]]
    description: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    space_ids: list[uuid.UUID]


@dataclass(frozen=True, slots=True)
class CpiRecord:
    id: uuid.UUID
    series: str
    month: date
    value: Decimal
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CriticalDateRecord:
    due_date: date
    lease_id: uuid.UUID
    kind: str
    seq: int
    asset_id: uuid.UUID
    direction: str
    option_type: str | None


_space_ids = (
    select(lease_spaces.c.space_id)
    .where(lease_spaces.c.lease_id == leases.c.id)
    .order_by(lease_spaces.c.space_id)
    .correlate(leases)
)


def select_leases() -> Select[Any]:
    return select(leases, func.array(_space_ids.scalar_subquery()).label("space_ids"))


async def get_lease(
    session: AsyncSession, lease_id: uuid.UUID, *, for_update: bool = False
) -> LeaseRecord | None:
    statement = select_leases().where(leases.c.id == lease_id)
    if for_update:
        statement = statement.with_for_update(of=leases)
    row = (await session.execute(statement)).mappings().first()
    return LeaseRecord(**row) if row is not None else None


async def replace_spaces(session: AsyncSession, lease_id: uuid.UUID, space_ids: Iterable[uuid.UUID]) -> None:
    await session.execute(delete(lease_spaces).where(lease_spaces.c.lease_id == lease_id))
    rows = [{"lease_id": lease_id, "space_id": space_id} for space_id in space_ids]
    if rows:
        await session.execute(insert(lease_spaces), rows)


async def spaces_of_asset(
    session: AsyncSession, asset_id: uuid.UUID, space_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of `space_ids` that are spaces of the asset, in one query."""
    if not space_ids:
        return set()
    statement = select(spaces.c.id).where(spaces.c.asset_id == asset_id, spaces.c.id.in_(space_ids))
    return set((await session.scalars(statement)).all())


def filter_updated_since(statement: Select[Any], since: datetime) -> Select[Any]:
    return statement.where(leases.c.updated_at >= since)


def filter_columns(statement: Select[Any], columns: dict[str, Any]) -> Select[Any]:
    for name, values in columns.items():
        if values:
            statement = statement.where(leases.c[name].in_([str(v) for v in values]))
    return statement


async def page_leases(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[LeaseRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [leases.c.id], filters)
    return [LeaseRecord(**row) for row in rows], token


# CPI values


async def get_cpi(
    session: AsyncSession, series: str, month: date, *, for_update: bool = False
) -> CpiRecord | None:
    statement = select(cpi_values).where(cpi_values.c.series == series, cpi_values.c.month == month)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return CpiRecord(**row) if row is not None else None


async def cpi_values_for(
    session: AsyncSession, keys: set[tuple[str, date]]
) -> dict[tuple[str, date], Decimal]:
    """The recorded values of the (series, month) pairs asked for, in one query."""
    if not keys:
        return {}
    statement = select(cpi_values.c.series, cpi_values.c.month, cpi_values.c.value).where(
        tuple_(cpi_values.c.series, cpi_values.c.month).in_(list(keys))
    )
    rows = (await session.execute(statement)).all()
    return {(row.series, row.month): row.value for row in rows}


def select_cpi(series: str) -> Select[Any]:
    return select(cpi_values).where(cpi_values.c.series == series)


async def page_cpi(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[CpiRecord], str | None]:
    rows, token = await pager.fetch(session, statement, [cpi_values.c.month], filters)
    return [CpiRecord(**row) for row in rows], token


# Critical dates


def select_critical_dates(first: date, last: date) -> Select[Any]:
    """Expirations and option notice deadlines of open leases from `first` to `last`, both included, as
    one union whose columns the keyset pages by (date, lease, kind, position in the options)."""
    expirations = select(
        leases.c.expiration_date.label("due_date"),
        leases.c.id.label("lease_id"),
        literal("expiration", String).label("kind"),
        literal(0, Integer).label("seq"),
        leases.c.asset_id,
        leases.c.direction,
        literal(None, String).label("option_type"),
    ).where(leases.c.status.in_(OPEN_STATUSES), leases.c.expiration_date.between(first, last))
    elements = _option_elements()
    deadline = cast(elements.c.value["notice_deadline"].astext, Date)
    deadlines = (
        select(
            deadline.label("due_date"),
            leases.c.id.label("lease_id"),
            literal("option_notice_deadline", String).label("kind"),
            cast(elements.c.seq, Integer).label("seq"),
            leases.c.asset_id,
            leases.c.direction,
            elements.c.value["type"].astext.label("option_type"),
        )
        .select_from(leases.join(elements, true()))
        .where(leases.c.status.in_(OPEN_STATUSES), deadline.between(first, last))
    )
    dates = union_all(expirations, deadlines).subquery("critical_dates")
    return select(dates)


def _option_elements() -> Any:
    return (
        func.jsonb_array_elements(leases.c.options)
        .table_valued(column("value", JSONB), with_ordinality="seq")
        .render_derived(name="listed")
    )


async def page_critical_dates(
    session: AsyncSession, statement: Select[Any], pager: Pager, filters: dict[str, Any]
) -> tuple[list[CriticalDateRecord], str | None]:
    dates = statement.selected_columns
    order = [dates.due_date, dates.lease_id, dates.kind, dates.seq]
    rows, token = await pager.fetch(session, statement, order, filters)
    return [CriticalDateRecord(**row) for row in rows], token
