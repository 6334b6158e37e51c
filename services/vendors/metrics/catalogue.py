"""The metrics this service publishes: their keys, units and meaning."""

from __future__ import annotations

from services.common.series import MetricUnit, SeriesPeriod
from services.vendors.contracts import MetricDefinition

ALL_PERIODS = list(SeriesPeriod)

METRICS: dict[str, MetricDefinition] = {
    definition.key: definition
    for definition in (
        MetricDefinition(
            key="total_spend",
            unit=MetricUnit.usd,
            description="The City's net prime spend: payment lines to its own vendors paid in the period "
            "(corrections are negative lines). With `department`, that department's.",
            periods=ALL_PERIODS,
        ),
        MetricDefinition(
            key="certified_share",
            unit=MetricUnit.ratio,
            description="Share of prime spend paid to vendors holding a certification (other than `obe`) "
            "valid on the payment date: the diversity report's payment-basis, tier-1 `any` line.",
            periods=ALL_PERIODS,
        ),
        MetricDefinition(
            key="on_contract_share",
            unit=MetricUnit.ratio,
            description="Share of prime spend paid on lines that name a contract.",
            periods=ALL_PERIODS,
        ),
        MetricDefinition(
            key="average_bidders",
            unit=MetricUnit.count,
            description="Bids per solicitation whose bids were opened, by the day the solicitation "
            "closed (withdrawn bids aside). With `department`, the buyer department's solicitations.",
            periods=ALL_PERIODS,
        ),
        MetricDefinition(
            key="single_bid_rate",
            unit=MetricUnit.ratio,
            description="Share of the solicitations whose bids were opened that drew a single bid, by the "
            "day they closed.",
            periods=ALL_PERIODS,
        ),
    )
}
