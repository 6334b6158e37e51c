"""CPI index values, the data CPI escalations read: one value per series and month, as the Bureau of
Labor Statistics publishes it. A value is recorded once and replaced only by a client that read it
(`If-Match`): a revised figure changes every rent schedule built on it, so it must not be overwritten
by a stale retry."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.contracts import CpiValue, CpiValuePut
from services.assets.db import audit
from services.assets.leases import repository
from services.assets.leases.repository import CpiRecord
from services.assets.leases.schedule import month_start
from services.common.auth import Principal
from services.common.concurrency import check_version
from services.common.pagination import Pager
from services.common.problems import NotFound, PreconditionRequired
from services.common.records import TrackedTable

CPI_VALUES = TrackedTable(repository.cpi_values, "cpi_value", audit)


def to_contract(row: CpiRecord) -> CpiValue:
    return CpiValue(
        series=row.series,
        month=row.month.strftime("%Y-%m"),
        value=row.value,
        version=row.version,
        updated_at=row.updated_at,
    )


async def get(session: AsyncSession, series: str, month: str) -> CpiValue:
    row = await repository.get_cpi(session, series, month_start(month))
    if row is None:
        raise NotFound(f"No {series} value is recorded for {month}.")
    return to_contract(row)


async def put(
    session: AsyncSession,
    series: str,
    month: str,
    data: CpiValuePut,
    expected: int | None,
    actor: Principal | str,
    *,
    if_match_sent: bool,
) -> tuple[CpiValue, bool]:
    """Records the value, or replaces it for a client that names the version it read; returns it and
    whether it was created."""
    first = month_start(month)
    before = await repository.get_cpi(session, series, first, for_update=True)
    if before is None:
        await CPI_VALUES.insert(
            session,
            {"series": series, "month": first, "value": data.value},
            actor=actor,
            changes={"series": series, "month": month, "value": format(data.value, "f")},
        )
        return await get(session, series, month), True
    if not if_match_sent:
        raise PreconditionRequired(
            f"{series} {month} is recorded already: send `If-Match` with its ETag to replace it."
        )
    check_version(expected, before.version)
    if before.value != data.value:
        await CPI_VALUES.change(
            session,
            before.id,
            before.version,
            {"value": data.value},
            actor=actor,
            changes={"value": [format(before.value, "f"), format(data.value, "f")]},
        )
    return await get(session, series, month), False


async def list_page(session: AsyncSession, pager: Pager, series: str) -> tuple[list[CpiValue], str | None]:
    rows, token = await repository.page_cpi(session, repository.select_cpi(series), pager, {"series": series})
    return [to_contract(row) for row in rows], token
