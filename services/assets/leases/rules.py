"""The rules of a lease that span fields, checked on the whole lease as it would be after a write.

Every breach is reported at once, each naming its field (the index of an escalation or option included)
and its rule (`code`), in one 422. Rules that need the database (the asset, its spaces) are the
service's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from services.assets.contracts import CpiEscalation, Escalation, LeaseOption
from services.assets.leases.schedule import month_start
from services.common.money import Money
from services.common.problems import FieldError

CURRENCY = "USD"
# An amount holds at most 14 digits before the point (services/common/money.py).
MAX_TOTAL = Decimal(10) ** 14
MAX_TERM_YEARS = 99


def _error(location: Sequence[str | int], code: str, message: str) -> FieldError:
    return FieldError(location=["body", *location], message=message, code=code)


def breaches(
    commencement: date,
    expiration: date,
    money: dict[str, Money | None],
    escalations: Sequence[Escalation],
    options: Sequence[LeaseOption],
) -> list[FieldError]:
    found = _term(commencement, expiration)
    found += [
        _error([name], "currency_not_usd", f"`{name}` is in USD, not {amount.currency}")
        for name, amount in money.items()
        if amount is not None and amount.currency != CURRENCY
    ]
    found += _escalations(commencement, expiration, escalations)
    found += _options(expiration, options)
    rent = money["base_monthly_rent"]
    if (
        not found
        and rent is not None
        and _highest_total(rent.amount, commencement, expiration, escalations) >= MAX_TOTAL
    ):
        found.append(
            _error(
                ["base_monthly_rent"],
                "schedule_out_of_range",
                "the rent schedule could add up to more than an amount holds (under 10^14 USD)",
            )
        )
    return found


def _highest_total(
    base: Decimal, commencement: date, expiration: date, escalations: Sequence[Escalation]
) -> Decimal:
    """The most the schedule could add up to: every month at the highest rent, CPI steps at their caps.
    Rents never fall (floors, percentages and amounts are not negative), so the last step is highest."""
    rent = base
    for escalation in escalations:
        if isinstance(escalation, CpiEscalation):
            rent *= 1 + escalation.cap_percent / 100
        elif escalation.kind == "fixed_percent":
            rent *= 1 + escalation.percent / 100
        else:
            rent += escalation.amount.amount
    months = (expiration.year - commencement.year) * 12 + expiration.month - commencement.month + 1
    return rent * months


def _term(commencement: date, expiration: date) -> list[FieldError]:
    if expiration < commencement:
        return [_error(["expiration_date"], "before_commencement", "the term ends before it begins")]
    limit = _years_after(commencement, MAX_TERM_YEARS)
    if limit is not None and expiration >= limit:
        return [_error(["expiration_date"], "term_too_long", f"a term is at most {MAX_TERM_YEARS} years")]
    return []


def _years_after(day: date, years: int) -> date | None:
    """The same day `years` on; None past the calendar's end (no limit can be passed there)."""
    if day.year + years > date.max.year:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # February 29 in a year without one
        return day.replace(year=day.year + years, day=28)


def _escalations(commencement: date, expiration: date, escalations: Sequence[Escalation]) -> list[FieldError]:
    found: list[FieldError] = []
    previous: date | None = None
    for index, escalation in enumerate(escalations):
        where: list[str | int] = ["escalations", index]
        effective = escalation.effective_date
        if previous is not None and effective <= previous:
            found.append(
                _error(
                    [*where, "effective_date"], "not_in_order", "escalations are in strictly ascending order"
                )
            )
        if not commencement < effective <= expiration:
            found.append(
                _error(
                    [*where, "effective_date"],
                    "outside_term",
                    f"an escalation takes effect after commencement {commencement} and by expiration "
                    f"{expiration}",
                )
            )
        previous = effective
        if isinstance(escalation, CpiEscalation):
            found += _cpi(where, escalation)
        elif escalation.kind == "fixed_amount" and escalation.amount.currency != CURRENCY:
            found.append(_error([*where, "amount"], "currency_not_usd", "escalations are in USD"))
    return found


def _cpi(where: list[str | int], escalation: CpiEscalation) -> list[FieldError]:
    found = []
    if escalation.floor_percent > escalation.cap_percent:
        found.append(_error([*where, "floor_percent"], "floor_above_cap", "the floor is above the cap"))
    if month_start(escalation.base_month) >= month_start(escalation.index_month):
        found.append(
            _error(
                [*where, "base_month"], "not_before_index_month", "the base month precedes the index month"
            )
        )
    if month_start(escalation.index_month) > escalation.effective_date.replace(day=1):
        found.append(
            _error(
                [*where, "index_month"],
                "after_effective_month",
                "the index month is not after the month the escalation takes effect",
            )
        )
    return found


def _options(expiration: date, options: Sequence[LeaseOption]) -> list[FieldError]:
    found = []
    for index, option in enumerate(options):
        # Notice of any option is given while the lease runs: after it, there is nothing to exercise.
        if option.notice_deadline > expiration:
            found.append(
                _error(
                    ["options", index, "notice_deadline"],
                    "after_expiration",
                    f"a {option.type.value} option's notice is due by the expiration {expiration}",
                )
            )
    return found
