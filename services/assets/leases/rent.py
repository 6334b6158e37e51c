"""A lease's rent schedule, as JSON and as its CSV twin: the months `schedule` computes from the lease
and the CPI values recorded for its CPI escalations (read in one query)."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.contracts import RentSchedule, RentScheduleMonth
from services.assets.leases import repository, schedule, service
from services.common.csv_cells import exported_cell
from services.common.money import Money

CSV_COLUMNS = ("month", "period_start", "period_end", "days", "monthly_rent", "amount_due", "missing_cpi")


async def rent_schedule(session: AsyncSession, lease_id: uuid.UUID) -> RentSchedule:
    lease = await service.get(session, lease_id)
    cpi = await repository.cpi_values_for(session, schedule.cpi_months_needed(lease.escalations))
    months = schedule.schedule(
        lease.base_monthly_rent.amount,
        lease.commencement_date,
        lease.expiration_date,
        lease.escalations,
        cpi,
    )
    return RentSchedule(lease_id=lease_id, months=months, total_due=_total(months))


def _total(months: list[RentScheduleMonth]) -> Money | None:
    if any(month.amount_due is None for month in months):
        return None
    total = sum((month.amount_due.amount for month in months if month.amount_due), Decimal(0))
    return Money(amount=total, currency="USD")


def _cells(month: RentScheduleMonth) -> list[str]:
    missing = " ".join(f"{ref.series}:{ref.month}" for ref in month.missing_cpi)
    return [
        month.month,
        month.period_start.isoformat(),
        month.period_end.isoformat(),
        str(month.days),
        format(month.monthly_rent.amount, "f") if month.monthly_rent else "",
        format(month.amount_due.amount, "f") if month.amount_due else "",
        missing,
    ]


def rent_schedule_csv(rent: RentSchedule) -> str:
    """A header line, then a line per month; amounts as the JSON writes them (USD), an empty cell for a
    null, every cell made inert for a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([exported_cell(cell) for cell in _cells(month)] for month in rent.months)
    return buffer.getvalue()
