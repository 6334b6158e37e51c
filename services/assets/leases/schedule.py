"""The rent a lease's escalations make, month by month: plain arithmetic on the lease, no database.

Rent steps: the base rent from commencement, then one step per escalation from its effective date, each
built on the rent of the step before it and rounded to cents half-up (so a later escalation builds on
the rounded figure, as a landlord's invoice does):

- fixed percent: new = prior × (1 + percent / 100)
- fixed amount: new = prior + amount
- CPI: new = prior + prior × clamp(CPI[index_month] / CPI[base_month] − 1, floor / 100, cap / 100),
  the ratio taken exactly (no rounding before the final cents)

A CPI step whose index values are not recorded has no rent, and neither has any step after it: the
schedule names the missing values in each month they leave without a figure, rather than guessing.

Months: every calendar month the term touches, clipped to the term. A month's amount due is its rent
prorated by day: Σ rate × days at that rate / days in the month, rounded once to cents half-up.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from services.assets.contracts import (
    CpiEscalation,
    CpiMonth,
    Escalation,
    FixedAmountEscalation,
    FixedPercentEscalation,
    RentScheduleMonth,
)
from services.common.money import Money

CENTS = Decimal("0.01")
HUNDRED = Decimal(100)
# CPI values by (series, first day of the month).
CpiValues = Mapping[tuple[str, date], Decimal]


@dataclass(frozen=True, slots=True)
class Step:
    start: date
    rate: Decimal | None  # None: a CPI value it needs is not recorded
    missing: tuple[tuple[str, date], ...]


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def month_start(year_month: str) -> date:
    """`2026-09` → 2026-09-01."""
    return date.fromisoformat(f"{year_month}-01")


def cpi_months_needed(escalations: Sequence[Escalation]) -> set[tuple[str, date]]:
    return {
        (escalation.series, month_start(month))
        for escalation in escalations
        if isinstance(escalation, CpiEscalation)
        for month in (escalation.base_month, escalation.index_month)
    }


def escalated(
    prior: Decimal, escalation: Escalation, cpi: CpiValues
) -> tuple[Decimal | None, list[tuple[str, date]]]:
    """The rent after one escalation, or None with the CPI values it lacks."""
    if isinstance(escalation, FixedPercentEscalation):
        return cents(prior * (1 + escalation.percent / HUNDRED)), []
    if isinstance(escalation, FixedAmountEscalation):
        return cents(prior + escalation.amount.amount), []
    keys = [(escalation.series, month_start(m)) for m in (escalation.base_month, escalation.index_month)]
    missing = [key for key in keys if key not in cpi]
    if missing:
        return None, missing
    base, index = (cpi[key] for key in keys)
    change = index / base - 1
    clamped = min(max(change, escalation.floor_percent / HUNDRED), escalation.cap_percent / HUNDRED)
    return cents(prior + prior * clamped), []


def rent_steps(
    base_rent: Decimal, commencement: date, escalations: Sequence[Escalation], cpi: CpiValues
) -> list[Step]:
    steps = [Step(commencement, cents(base_rent), ())]
    for escalation in sorted(escalations, key=lambda e: e.effective_date):
        prior = steps[-1]
        if prior.rate is None:
            steps.append(Step(escalation.effective_date, None, prior.missing))
            continue
        rate, missing = escalated(prior.rate, escalation, cpi)
        steps.append(Step(escalation.effective_date, rate, tuple(missing)))
    return steps


def _months(commencement: date, expiration: date) -> list[tuple[date, date]]:
    """(first, last) day in the term of every calendar month the term touches."""
    periods = []
    first = commencement
    while True:
        last = min(first.replace(day=calendar.monthrange(first.year, first.month)[1]), expiration)
        periods.append((first, last))
        if last == expiration:  # stop before the day after: December 31, 9999 has none
            return periods
        first = last + timedelta(days=1)


def _step_on(steps: Sequence[Step], day: date) -> Step:
    return [step for step in steps if step.start <= day][-1]


def month_row(steps: Sequence[Step], start: date, end: date) -> RentScheduleMonth:
    days_in_month = calendar.monthrange(start.year, start.month)[1]
    total = Decimal(0)
    missing: list[tuple[str, date]] = []
    day = start
    while True:
        step = _step_on(steps, day)
        later = [s.start for s in steps if day < s.start <= end]
        until = min(later) - timedelta(days=1) if later else end
        days = (until - day).days + 1
        if step.rate is None:
            missing += [key for key in step.missing if key not in missing]
        else:
            total += step.rate * days / days_in_month
        if until == end:
            break
        day = until + timedelta(days=1)
    closing = _step_on(steps, end)
    return RentScheduleMonth(
        month=start.strftime("%Y-%m"),
        period_start=start,
        period_end=end,
        days=(end - start).days + 1,
        monthly_rent=_usd(closing.rate),
        amount_due=None if missing else _usd(cents(total)),
        missing_cpi=[CpiMonth(series=series, month=month.strftime("%Y-%m")) for series, month in missing],
    )


def schedule(
    base_rent: Decimal,
    commencement: date,
    expiration: date,
    escalations: Sequence[Escalation],
    cpi: CpiValues,
) -> list[RentScheduleMonth]:
    steps = rent_steps(base_rent, commencement, escalations, cpi)
    return [month_row(steps, start, end) for start, end in _months(commencement, expiration)]


def _usd(amount: Decimal | None) -> Money | None:
    return None if amount is None else Money(amount=amount, currency="USD")
