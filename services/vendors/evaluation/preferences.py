"""Price preferences: what a certification takes off a bid's evaluated price, and when.

The rules, in the order they are applied:
- Only the types in `PREFERENCE_TYPES` (fixed in code: local and small-business programmes) earn a
  preference; settings give their percentages and nothing else.
- On federally funded solicitations, geographic preferences are not applied (2 CFR 200.319 bars them in
  federally assisted procurement), and DBE credit is applied when the solicitation sets a DBE goal.
- No other race- or sex-conscious certification ever counts (Proposition 209); DBE counts only there.
- A certification counts only if verified and valid on the due date (the close, Los Angeles day).
- A bid's preferences add up, then are capped (a percentage and an amount); the award amount is never
  touched: the preference only ranks.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from services.common.money import CENTS
from services.vendors.contracts import (
    LOCAL_PREFERENCE_TYPES,
    PREFERENCE_TYPES,
    RACE_SEX_CONSCIOUS,
    AppliedPreference,
    CertificationType,
    FundingSource,
)
from services.vendors.settings import VendorsSettings

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PricePreference:
    applied: list[AppliedPreference] = field(default_factory=list)
    amount: Decimal = Decimal("0.00")


def dbe_credit_applies(funding_source: FundingSource, dbe_goal_percent: Decimal | None) -> bool:
    """The one case where a race- or sex-conscious certification may count: federal DBE goals."""
    return funding_source is FundingSource.federal and dbe_goal_percent is not None and dbe_goal_percent > 0


def credited_types(
    funding_source: FundingSource, dbe_goal_percent: Decimal | None
) -> frozenset[CertificationType]:
    """The certification types that can lower a bid's evaluated price on this solicitation."""
    types = set(PREFERENCE_TYPES)
    if funding_source is FundingSource.federal:
        types -= LOCAL_PREFERENCE_TYPES
    if dbe_credit_applies(funding_source, dbe_goal_percent):
        types.add(CertificationType.dbe)
    return frozenset(types)


def price_preference(
    price: Decimal,
    held: Mapping[CertificationType, uuid.UUID],
    *,
    funding_source: FundingSource,
    dbe_goal_percent: Decimal | None,
    settings: VendorsSettings,
) -> PricePreference:
    """The preference a bidder holding `held` (type → a certification valid on the due date) earns."""
    applied: list[AppliedPreference] = []
    for certification_type in sorted(credited_types(funding_source, dbe_goal_percent) & held.keys()):
        percent = _percent(certification_type, funding_source, dbe_goal_percent, settings)
        if percent > 0:
            applied.append(
                AppliedPreference(
                    certification_type=certification_type,
                    certification_id=held[certification_type],
                    percent=percent,
                )
            )
    total_percent = min(sum((p.percent for p in applied), Decimal(0)), settings.preference_cap_percent)
    amount = (price * total_percent / HUNDRED).quantize(CENTS, rounding=ROUND_HALF_UP)
    return PricePreference(applied, min(amount, settings.preference_cap_amount, price))


def _percent(
    certification_type: CertificationType,
    funding_source: FundingSource,
    dbe_goal_percent: Decimal | None,
    settings: VendorsSettings,
) -> Decimal:
    if certification_type is CertificationType.dbe:
        return (
            settings.dbe_credit_percent
            if dbe_credit_applies(funding_source, dbe_goal_percent)
            else Decimal(0)
        )
    if certification_type in RACE_SEX_CONSCIOUS or certification_type not in PREFERENCE_TYPES:
        # Unreachable through `credited_types`; kept so that no future caller can make it count.
        return Decimal(0)
    return Decimal(settings.preference_percents.get(certification_type.value, Decimal(0)))
