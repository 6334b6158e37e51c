"""Wire models of the procurement reports and the metrics catalogue.

Amounts in reports are net sums of payment lines, and a correction line is negative, so a report amount
may be negative too: `NetMoney`, unlike `Money`, takes a sign. Shares and other ratios are decimal
strings (`"0.421300"`), exact like money. Enumerations are extensible: clients must tolerate new values.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, PlainSerializer, WithJsonSchema

from services.common.money import CENTS
from services.common.pagination import Page
from services.common.series import MetricUnit, SeriesPeriod
from services.common.wire import DERIVED_DECIMAL_MAX_LENGTH, Count, SmallInt, WireModel

__all__ = [
    "CompetitionGroup",
    "CompetitionReport",
    "CompetitionRow",
    "Concentration",
    "DiversityBasis",
    "DiversityGroup",
    "DiversityReport",
    "DiversityRow",
    "DiversityTier",
    "MetricCatalogue",
    "MetricDefinition",
    "NetMoney",
    "ReportFormat",
    "SpendCell",
    "SpendCube",
    "SpendDimension",
    "SpendSort",
    "SpendTier",
    "VendorPoolGap",
    "VendorPoolReport",
    "VendorPoolRow",
]

# A quarter of the City's fiscal year: 1 (July–September) to 4 (April–June).
FiscalQuarter = Annotated[int, Field(ge=1, le=4)]
# Where a report cut its categories: the `category_level` it was asked for, 1 to 4.
CategoryLevel = Annotated[int, Field(ge=1, le=4)]

SIGNED_AMOUNT_PATTERN = r"^-?[0-9]{1,18}\.[0-9]{2}$"


def _decimal_string(
    pattern: str, description: str, example: str, max_length: int = DERIVED_DECIMAL_MAX_LENGTH
) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": pattern,
            "maxLength": max_length,
            "description": description,
            "examples": [example],
        }
    )


SignedAmount = Annotated[
    Decimal,
    PlainSerializer(lambda amount: format(amount.quantize(CENTS), "f"), return_type=str),
    _decimal_string(
        SIGNED_AMOUNT_PATTERN, "A decimal with two places, negative for net refunds.", "1250.00", 22
    ),
]
Ratio = Annotated[
    Decimal,
    PlainSerializer(lambda value: format(value, "f"), return_type=str),
    _decimal_string(
        r"^-?[0-9]+\.[0-9]{6}$", "A share: a decimal with six places, 1.000000 for all.", "0.421300"
    ),
]
Hhi = Annotated[
    Decimal,
    PlainSerializer(lambda value: format(value, "f"), return_type=str),
    _decimal_string(r"^[0-9]{1,5}\.[0-9]{2}$", "Herfindahl-Hirschman index, 0 to 10000.", "1825.50", 8),
]
Average = Annotated[
    Decimal,
    PlainSerializer(lambda value: format(value, "f"), return_type=str),
    _decimal_string(r"^-?[0-9]+\.[0-9]{2}$", "An average with two decimal places.", "3.25"),
]


class NetMoney(WireModel):
    """A net sum of money; unlike `Money` it may be negative."""

    model_config = ConfigDict(frozen=True)

    amount: SignedAmount
    currency: str = Field(description="ISO 4217; reports sum US dollars.", examples=["USD"])


class ReportFormat(StrEnum):
    """`json`: a page of rows; `csv`: every row, streamed, with a header line."""

    json = "json"
    csv = "csv"


# Spend cube


class SpendDimension(StrEnum):
    """What the cube's cells are split by. `quarter` is the City's fiscal quarter (Q1 = July to
    September) and brings its fiscal year with it; `category` is cut at `category_level`."""

    vendor = "vendor"
    category = "category"
    department = "department"
    month = "month"
    quarter = "quarter"
    fiscal_year = "fiscal_year"


class SpendTier(StrEnum):
    """`prime`: what the City paid its vendors (its spend). `sub`: what primes reported paying their
    subcontractors out of it; those dollars are inside the prime lines, so the tiers never add up."""

    prime = "prime"
    sub = "sub"


class SpendSort(StrEnum):
    """`dimensions`: by the cells' dimension values; `amount_desc`: largest amount first."""

    dimensions = "dimensions"
    amount_desc = "amount_desc"


class Concentration(WireModel):
    """How the cell's spend is spread over its vendors, counting vendors with a positive net amount."""

    top_n: Annotated[int, Field(ge=1, le=100)] = Field(description="N of `top_n_share`.")
    top_n_share: Ratio | None = Field(description="Share of the cell's spend with its N largest vendors.")
    hhi: Hhi | None = Field(
        description="Σ (100 × vendor share)²: 10000 for a single vendor, near 0 for an even spread."
    )
    tail_vendor_count: Count = Field(
        description="Vendors in the tail: those left once the largest vendors reach 80% of the spend."
    )
    tail_amount: NetMoney
    tail_share: Ratio | None


class SpendCell(WireModel):
    """One cell of the cube: the dimension fields asked for are set, the others are null."""

    vendor_id: uuid.UUID | None = None
    vendor_number: str | None = None
    vendor_name: str | None = None
    category_scheme: str | None = Field(default=None, description="`nigp`, `unspsc` or `naics`.")
    category_code: str | None = Field(default=None, description="The code at `category_level`.")
    department: str | None = None
    month: str | None = Field(default=None, description="`YYYY-MM`.")
    fiscal_year: SmallInt | None = Field(default=None, description="FY2026 = July 2025 to June 2026.")
    fiscal_quarter: FiscalQuarter | None = Field(
        default=None, description="1 (July–September) to 4 (April–June)."
    )
    amount: NetMoney = Field(description="Net sum of the payment lines.")
    payment_count: Count = Field(description="Payment lines, corrections included.")
    vendor_count: Count = Field(description="Vendors with at least one line in the cell.")
    on_contract_amount: NetMoney = Field(description="The part of `amount` paid on lines naming a contract.")
    on_contract_share: Ratio | None = Field(description="`on_contract_amount` ÷ `amount`; null when 0.")
    concentration: Concentration | None = Field(default=None, description="With `concentration=true` only.")


class SpendCube(Page[SpendCell]):
    dimensions: list[SpendDimension] = Field(max_length=6)  # as many as the query takes
    category_level: CategoryLevel
    tier: SpendTier


# Diversity utilisation


class DiversityBasis(StrEnum):
    """`award`: active awards' values, certification judged on the award date (subcontracts on their
    commitment date). `payment`: payment lines, certification judged on the payment date."""

    award = "award"
    payment = "payment"


class DiversityTier(StrEnum):
    """`tier_1`: the City's own vendors. `tier_2`: their subcontractors. `both`: every dollar once
    (a certified prime's whole amount, else its certified subcontractors' part)."""

    tier_1 = "tier_1"
    tier_2 = "tier_2"
    both = "both"


class DiversityGroup(StrEnum):
    department = "department"
    category = "category"
    fiscal_year = "fiscal_year"
    quarter = "quarter"
    month = "month"


class DiversityRow(WireModel):
    certification_type: str = Field(
        description="A certification type (`mbe`, `wbe`…), or `any`: certified under any type (`obe` "
        "aside), each dollar counted once however many certifications its vendor holds."
    )
    department: str | None = None
    category_scheme: str | None = None
    category_code: str | None = None
    fiscal_year: SmallInt | None = None
    fiscal_quarter: FiscalQuarter | None = None
    month: str | None = None
    numerator: NetMoney = Field(description="Dollars with vendors holding the certification that day.")
    denominator: NetMoney = Field(description="All tier-1 dollars of the group (see the operation).")
    share: Ratio | None = Field(description="numerator ÷ denominator; null when the denominator is 0.")
    certified_vendor_count: Count = Field(description="Distinct vendors whose dollars are in `numerator`.")


class DiversityReport(Page[DiversityRow]):
    basis: DiversityBasis
    tier: DiversityTier
    group_by: list[DiversityGroup] = Field(max_length=5)  # as many as the query takes
    category_level: CategoryLevel


# Competition


class CompetitionGroup(StrEnum):
    department = "department"
    category = "category"
    fiscal_year = "fiscal_year"
    quarter = "quarter"
    month = "month"


class CompetitionRow(WireModel):
    department: str | None = None
    category_scheme: str | None = None
    category_code: str | None = None
    fiscal_year: SmallInt | None = None
    fiscal_quarter: FiscalQuarter | None = None
    month: str | None = None
    solicitation_count: Count = Field(description="Solicitations whose bids were opened.")
    bid_count: Count = Field(description="Bids opened (withdrawn bids do not count).")
    average_bidders: Average | None
    single_bid_count: Count
    single_bid_rate: Ratio | None
    no_bid_count: Count
    awarded_count: Count = Field(description="Solicitations with an award in force.")
    average_days_to_award: Average | None = Field(description="From the close to the award date.")
    median_days_to_award: Average | None


class CompetitionReport(Page[CompetitionRow]):
    group_by: list[CompetitionGroup] = Field(max_length=5)  # as many as the query takes
    category_level: CategoryLevel


# Vendor pool


class VendorPoolGap(StrEnum):
    """`few_active_vendors`: fewer active vendors than `min_active`. `no_certified_vendor`: the City
    spent in the code in the period and no active vendor in it holds a valid certification."""

    few_active_vendors = "few_active_vendors"
    no_certified_vendor = "no_certified_vendor"


class VendorPoolRow(WireModel):
    category_scheme: str
    category_code: str = Field(description="The code at `category_level`.")
    registered_count: Count = Field(description="Vendors registered under the code, merged records aside.")
    active_count: Count
    certified_count: Count = Field(description="Active vendors with a certification valid today.")
    spend: NetMoney = Field(description="Prime spend in the code in the fiscal year.")
    gaps: list[VendorPoolGap] = Field(max_length=len(VendorPoolGap))  # each kind once, from its flag


class VendorPoolReport(Page[VendorPoolRow]):
    category_level: CategoryLevel
    fiscal_year: SmallInt
    min_active: Annotated[int, Field(ge=1, le=1000)]


# Metrics catalogue


class MetricDefinition(WireModel):
    key: str
    unit: MetricUnit
    description: str
    periods: list[SeriesPeriod] = Field(max_length=len(SeriesPeriod))


class MetricCatalogue(Page[MetricDefinition]):
    pass
