"""CPI index values, the data CPI escalations read: one value per series and month, as the Bureau of
Labor Statistics publishes it. Values are recorded by the list (`POST`); one is replaced only by
a client that read it (`PUT` with `If-Match`): a revised figure changes every rent schedule built on it,
so it must not be overwritten by a stale retry or a second upload."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.contracts import CpiValue, CpiValuePut, CpiValuesCreate
from services.assets.db import audit
from services.assets.leases import repository
from services.assets.leases.repository import CpiRecord
from services.assets.leases.schedule import month_start
from services.common.auth import Principal
from services.common.concurrency import check_version
from services.common.pagination import Pager
from services.common.problems import Conflict, FieldError, NotFound, ValidationFailed
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


async def record(
    session: AsyncSession, series: str, data: CpiValuesCreate, actor: Principal | str
) -> list[CpiValue]:
    """Records the values not yet recorded; one recorded with another value is a 409 naming it."""
    months = [entry.month for entry in data.values]
    if len(set(months)) != len(months):
        raise ValidationFailed(
            "A month is sent twice; see `errors`.",
            errors=[
                _value_error(i, "month", "duplicate", "sent twice")
                for i, m in enumerate(months)
                if months.index(m) != i
            ],
        )
    for index, entry in enumerate(data.values):
        before = await repository.get_cpi(session, series, month_start(entry.month), for_update=True)
        if before is None:
            await CPI_VALUES.insert(
                session,
                {"series": series, "month": month_start(entry.month), "value": entry.value},
                actor=actor,
                changes={"series": series, "month": entry.month, "value": format(entry.value, "f")},
            )
        elif before.value != entry.value:
            raise Conflict(
                f"{series} {entry.month} is recorded as {before.value}: replace it with `PUT` and `If-Match`.",
                errors=[_value_error(index, "value", "recorded_differently", f"recorded as {before.value}")],
            )
    return [await get(session, series, month) for month in months]


async def replace(
    session: AsyncSession,
    series: str,
    month: str,
    data: CpiValuePut,
    expected: int | None,
    actor: Principal | str,
) -> CpiValue:
    """A revised value, for a client that names the version it read."""
    before = await repository.get_cpi(session, series, month_start(month), for_update=True)
    if before is None:
        raise NotFound(f"No {series} value is recorded for {month}: record it with `POST /cpi/{series}`.")
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
    return await get(session, series, month)


def _value_error(index: int, field: str, code: str, message: str) -> FieldError:
    return FieldError(location=["body", "values", index, field], message=message, code=code)


async def list_page(session: AsyncSession, pager: Pager, series: str) -> tuple[list[CpiValue], str | None]:
    rows, token = await repository.page_cpi(session, repository.select_cpi(series), pager, {"series": series})
    return [to_contract(row) for row in rows], token
