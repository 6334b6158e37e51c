"""A fiscal year of payment lines, generated day by day and handed over in batches (constant memory).

Lines are paid on business days. A line's vendor is drawn by a power of its weight, so large firms have
more lines; its amount is lognormal around the vendor's mean, set so that each vendor's expected spend
is its weight's share of the year's total. A vendor with a contract in force is mostly paid against it
(in the contract's department and category); a share of those lines go to the contract's
subcontractors as sub-tier lines; the rest is off-contract spend in the vendor's own categories. A few
lines are corrections (negative).
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

import uuid_utils.compat as uuid_utils

from services.common.clock import fiscal_year, is_business_day
from services.vendors.seeding.firms import Firm, detailed_codes
from services.vendors.seeding.plan import ScalePlan
from services.vendors.seeding.procurement import DEPARTMENT_WEIGHTS, Contract

PAYMENT_COLUMNS = (
    "id", "vendor_id", "prime_vendor_id", "contract_id", "department", "category_scheme", "category_code",
    "amount", "currency", "paid_date", "fiscal_year", "tier", "external_ref", "import_id", "created_at",
)  # fmt: skip
LINE_EXPONENT = 0.55  # lines ∝ weight^0.55: big firms get more lines and bigger ones
AMOUNT_SIGMA = 1.0
ON_CONTRACT = 0.75
SUB_TIER = 0.25
CORRECTIONS = 0.003


@dataclass
class Payee:
    firm: Firm
    mean_amount: float
    codes: list[str]
    contracts: list[Contract]


def _payees(plan: ScalePlan, firms: list[Firm], contracts: list[Contract]) -> tuple[list[Payee], list[float]]:
    total_weight = sum(firm.weight for firm in firms)
    line_weights = [firm.weight**LINE_EXPONENT for firm in firms]
    total_line_weight = sum(line_weights)
    held: dict[Any, list[Contract]] = {}
    for contract in contracts:
        held.setdefault(contract.vendor.id, []).append(contract)
    payees = []
    for firm, line_weight in zip(firms, line_weights, strict=True):
        spend = float(plan.spend) * firm.weight / total_weight
        lines = plan.payment_lines * line_weight / total_line_weight
        codes = [detail for code in firm.nigp for detail in detailed_codes(code)] or ["962-00-10"]
        payees.append(Payee(firm, spend / lines, codes, held.get(firm.id, [])))
    return payees, list(accumulate(line_weights))


def business_days(start: date, end: date) -> list[date]:
    days = (end - start).days + 1
    return [day for day in (start + timedelta(days=n) for n in range(days)) if is_business_day(day)]


def payment_lines(
    plan: ScalePlan, firms: list[Firm], contracts: list[Contract], rng: random.Random, batch: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of payment rows (PAYMENT_COLUMNS order), in paid-date order, `plan.payment_lines` in all."""
    payees, cumulative = _payees(plan, firms, contracts)
    days = business_days(plan.fiscal_year_start, plan.fiscal_year_end)
    departments = list(DEPARTMENT_WEIGHTS)
    department_cumulative = list(accumulate(DEPARTMENT_WEIGHTS.values()))
    year = fiscal_year(plan.fiscal_year_start)
    rows: list[tuple[Any, ...]] = []
    written = 0
    for index, day in enumerate(days):
        due = plan.payment_lines * (index + 1) // len(days) - written
        created = datetime.combine(day, time(22), UTC)
        for _ in range(due):
            payee = payees[bisect(cumulative, rng.random() * cumulative[-1])]
            amount = payee.mean_amount * rng.lognormvariate(-(AMOUNT_SIGMA**2) / 2, AMOUNT_SIGMA)
            vendor, prime, contract_id = payee.firm.id, None, None
            department = departments[bisect(department_cumulative, rng.random() * department_cumulative[-1])]
            code = rng.choice(payee.codes)
            live = [c for c in payee.contracts if c.start <= day <= c.end]
            tier = "prime"
            if live and rng.random() < ON_CONTRACT:
                contract = rng.choice(live)
                contract_id, department, code = contract.id, contract.department, rng.choice(contract.codes)
                if contract.subcontractors and rng.random() < SUB_TIER:
                    tier, prime, vendor = "sub", vendor, rng.choice(contract.subcontractors).id
                    amount *= rng.uniform(0.1, 0.4)
            cents = max(100, round(amount * 100))
            if rng.random() < CORRECTIONS:
                cents = -max(100, cents // rng.randint(2, 10))
            written += 1
            rows.append(
                (
                    uuid_utils.uuid7(), vendor, prime, contract_id, department, "nigp", code,
                    Decimal(cents).scaleb(-2), "USD", day, year, tier, f"AP-FY{year}-{written:08d}", None,
                    created,
                )
            )  # fmt: skip
            if len(rows) >= batch:
                yield rows
                rows = []
    if rows:
        yield rows
