"""How much a scale means, and which fiscal year it covers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.common.clock import fiscal_year

# One Los Angeles fiscal year of procurement (the programme's own figures).
ACTIVE_VENDORS = 20_000
SOLICITATIONS = 1_500
PAYMENT_LINES = 2_000_000
ANNUAL_SPEND = Decimal("8200000000")
# The registry generator makes about this share of its vendors active (the rest are drafts, inactive,
# suspended…): so many are registered to reach the active count.
ACTIVE_SHARE = 0.82
MIN_SCALE = 0.0001
# Enough firms, at the smallest scales, that some are active, bid and hold contracts.
MIN_VENDORS = 25
MAX_SCALE = 10.0


@dataclass(frozen=True)
class ScalePlan:
    scale: float
    vendors: int
    solicitations: int
    payment_lines: int
    spend: Decimal
    fiscal_year: int

    @property
    def fiscal_year_start(self) -> date:
        return date(self.fiscal_year - 1, 7, 1)

    @property
    def fiscal_year_end(self) -> date:
        return date(self.fiscal_year, 6, 30)

    @property
    def records(self) -> int:
        """Roughly how many rows the plan writes, for progress."""
        return self.vendors + self.solicitations + self.payment_lines


def plan_for(scale: float, today: date) -> ScalePlan:
    """The counts of `scale` (at least one of everything), over the last fiscal year that has ended by
    `today`: every payment of it is in the past."""
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise ValueError(f"the scale is between {MIN_SCALE} and {MAX_SCALE}")
    # The fiscal year `today` is in has not ended yet (not even on June 30, which is still going on).
    last_complete = fiscal_year(today) - 1
    return ScalePlan(
        scale=scale,
        vendors=max(MIN_VENDORS, math.ceil(ACTIVE_VENDORS * scale / ACTIVE_SHARE)),
        solicitations=max(1, round(SOLICITATIONS * scale)),
        payment_lines=max(1, round(PAYMENT_LINES * scale)),
        spend=(ANNUAL_SPEND * Decimal(str(scale))).quantize(Decimal("0.01")),
        fiscal_year=last_complete,
    )
