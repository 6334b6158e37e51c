"""Critical dates of the lease portfolio: the expirations and option notice deadlines of open (draft or
active) leases that fall within a window from today in Los Angeles, soonest first."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.contracts import CriticalDate
from services.assets.leases import repository
from services.assets.leases.repository import CriticalDateRecord
from services.common.clock import city_today
from services.common.pagination import Pager


def to_contract(row: CriticalDateRecord, days_remaining: int) -> CriticalDate:
    return CriticalDate(
        lease_id=row.lease_id,
        asset_id=row.asset_id,
        direction=row.direction,
        kind=row.kind,
        due_date=row.due_date,
        option_type=row.option_type,
        days_remaining=days_remaining,
    )


async def within(session: AsyncSession, pager: Pager, days: int) -> tuple[list[CriticalDate], str | None]:
    today = city_today()
    statement = repository.select_critical_dates(today, today + timedelta(days=days))
    # The window is part of the query: a token from yesterday's window is refused, not silently shifted.
    rows, token = await repository.page_critical_dates(
        session, statement, pager, {"from": today, "within_days": days}
    )
    return [to_contract(row, (row.due_date - today).days) for row in rows], token
