"""Wire models of leases, in both directions (the City as landlord, the City as tenant): the term, the
rent and its escalations, the options with their notice deadlines, the rent schedule those make, the CPI
index values that CPI escalations read, and the critical dates of the portfolio.

Rules that span fields or need the database (escalations in order inside the term, a CPI floor under its
cap, spaces of the lease's asset, USD only) are the service's, each reported as a 422 naming its field.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from services.common.money import Money
from services.common.pagination import Page

__all__ = [
    "CpiEscalation",
    "CpiMonth",
    "CpiMonthValue",
    "CpiValue",
    "CpiValueList",
    "CpiValuePage",
    "CpiValuePut",
    "CpiValuesCreate",
    "CriticalDate",
    "CriticalDateKind",
    "CriticalDatePage",
    "Escalation",
    "FixedAmountEscalation",
    "FixedPercentEscalation",
    "Lease",
    "LeaseCounterparty",
    "LeaseCreate",
    "LeaseDirection",
    "LeaseOption",
    "LeaseOptionType",
    "LeasePage",
    "LeaseStatus",
    "LeaseTransition",
    "LeaseUpdate",
    "RentSchedule",
    "RentScheduleMonth",
]

_PERCENT_PATTERN = r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$"
_PERCENT = re.compile(_PERCENT_PATTERN)
_INDEX_PATTERN = r"^[1-9][0-9]{0,4}(\.[0-9]{1,3})?$"
_INDEX = re.compile(_INDEX_PATTERN)
_CENTI = Decimal("0.01")
_MILLI = Decimal("0.001")


def _decimal_parser(
    pattern: re.Pattern[str], what: str, example: str, places: Decimal
) -> Callable[[object], Decimal]:
    """A decimal sent as a string (never a float: it would lose the digits the formula reads)."""

    def parse(value: object) -> Decimal:
        if isinstance(value, Decimal):
            value = format(value, "f")
        if not isinstance(value, str):
            raise ValueError(f'{what} is a decimal string such as "{example}", never a number')
        text = value.strip()
        if not pattern.match(text):
            raise ValueError(f"{text!r} is not {what}, e.g. {example!r}")
        return Decimal(text).quantize(places)

    return parse


Percent = Annotated[
    Decimal,
    BeforeValidator(_decimal_parser(_PERCENT, "a percentage from 0 to 100", "3.00", _CENTI)),
    PlainSerializer(lambda number: format(number.quantize(_CENTI), "f"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _PERCENT_PATTERN,
            "description": "A percentage: a decimal string from 0 to 100, at most two decimal places.",
            "examples": ["3.00"],
        }
    ),
]
IndexValue = Annotated[
    Decimal,
    BeforeValidator(_decimal_parser(_INDEX, "an index value", "325.031", _MILLI)),
    PlainSerializer(lambda number: format(number.quantize(_MILLI), "f"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _INDEX_PATTERN,
            "description": "An index value as published (BLS: three decimals), at least 1, as a decimal "
            "string.",
            "examples": ["325.031"],
        }
    ),
]
CPI_SERIES_PATTERN = r"^[A-Z0-9]{4,20}$"
CpiSeries = Annotated[
    str,
    StringConstraints(min_length=4, max_length=20, pattern=CPI_SERIES_PATTERN),
    Field(
        description="A CPI series id as the Bureau of Labor Statistics names it, e.g. `CUURS49ASA0` (CPI-U, "
        "Los Angeles-Long Beach-Anaheim, all items, not seasonally adjusted)."
    ),
]
YEAR_MONTH_PATTERN = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"
YearMonth = Annotated[
    str,
    StringConstraints(min_length=7, max_length=7, pattern=YEAR_MONTH_PATTERN),
    Field(description="A month, `yyyy-mm`.", examples=["2026-09"]),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Text2000 = Annotated[str, Field(max_length=2000)]
Version = Annotated[int, Field(ge=1, le=2_147_483_647, json_schema_extra={"format": "int32"})]
SpaceIds = Annotated[
    list[uuid.UUID],
    Field(max_length=100, description="Spaces of the asset the lease covers; none for the whole asset."),
]


class LeaseDirection(StrEnum):
    """Who rents to whom: the City lets its property (`city_as_landlord`, rent receivable) or rents
    another's (`city_as_tenant`, rent payable). Clients must tolerate new values."""

    city_as_landlord = "city_as_landlord"
    city_as_tenant = "city_as_tenant"


class LeaseStatus(StrEnum):
    """draft → active → expired; draft or active → terminated (with a `reason`)."""

    draft = "draft"
    active = "active"
    expired = "expired"
    terminated = "terminated"


class LeaseOptionType(StrEnum):
    renewal = "renewal"
    termination = "termination"
    purchase = "purchase"


class LeaseCounterparty(BaseModel):
    """The other party: the tenant when the City lets, the landlord when it rents."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    vendor_id: uuid.UUID | None = Field(
        default=None, description="The party's id in the procurement vendor registry, when it has one."
    )


class FixedPercentEscalation(BaseModel):
    """From `effective_date`: prior rent × (1 + `percent` / 100), rounded to cents half-up."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["fixed_percent"]
    effective_date: date
    percent: Percent


class FixedAmountEscalation(BaseModel):
    """From `effective_date`: prior rent + `amount` (USD)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["fixed_amount"]
    effective_date: date
    amount: Money


class CpiEscalation(BaseModel):
    """From `effective_date`: prior rent + prior rent × clamp(CPI[`index_month`] / CPI[`base_month`] − 1,
    `floor_percent` / 100, `cap_percent` / 100), rounded to cents half-up; the CPI values are those of
    `series` recorded with `POST /cpi/{series}`. `base_month` is before `index_month`, which is
    not after the month of `effective_date`."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["cpi"]
    effective_date: date
    series: CpiSeries
    base_month: YearMonth = Field(description="The CPI month the prior rent is measured against.")
    index_month: YearMonth = Field(description="The CPI month whose change sets the escalation.")
    floor_percent: Percent = Field(description="The least increase, in percent.")
    cap_percent: Percent = Field(description="The greatest increase, in percent; not under the floor.")


Escalation = Annotated[
    FixedPercentEscalation | FixedAmountEscalation | CpiEscalation, Field(discriminator="kind")
]
Escalations = Annotated[
    list[Escalation],
    Field(
        max_length=50,
        description="Rent escalations, by `effective_date` strictly ascending, each after commencement "
        "and not after expiration. Each builds on the rent the one before it set.",
    ),
]


class LeaseOption(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: LeaseOptionType
    notice_deadline: date = Field(
        description="The last day to give notice of exercising it; not after the lease's expiration."
    )
    note: Note | None = Field(default=None, description="Its terms (e.g. one five-year renewal at market).")


Options = Annotated[list[LeaseOption], Field(max_length=20)]


class LeaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asset_id: uuid.UUID
    space_ids: SpaceIds = Field(default_factory=list)
    direction: LeaseDirection
    counterparty: LeaseCounterparty
    commencement_date: date = Field(description="The first day of the term.")
    expiration_date: date = Field(description="The last day of the term (inclusive); at most 99 years on.")
    base_monthly_rent: Money = Field(description="The rent per month at commencement, in USD.")
    security_deposit: Money | None = Field(default=None, description="In USD.")
    escalations: Escalations = Field(default_factory=list)
    options: Options = Field(default_factory=list)
    description: Note | None = None


class LeaseUpdate(BaseModel):
    """Fields to change; absent fields stay as they are, lists are replaced whole, `null` clears
    `security_deposit` or `description`. The asset never changes."""

    model_config = ConfigDict(extra="forbid")

    space_ids: SpaceIds | None = None
    direction: LeaseDirection | None = None
    counterparty: LeaseCounterparty | None = None
    commencement_date: date | None = None
    expiration_date: date | None = None
    base_monthly_rent: Money | None = None
    security_deposit: Money | None = None
    escalations: Escalations | None = None
    options: Options | None = None
    description: Note | None = None


class Lease(BaseModel):
    id: uuid.UUID
    asset_id: uuid.UUID
    space_ids: Annotated[list[uuid.UUID], Field(max_length=100)]
    direction: LeaseDirection
    counterparty: LeaseCounterparty
    commencement_date: date
    expiration_date: date
    base_monthly_rent: Money
    security_deposit: Money | None
    escalations: Annotated[list[Escalation], Field(max_length=50)]
    options: Annotated[list[LeaseOption], Field(max_length=20)]
    description: Text2000 | None
    status: LeaseStatus
    status_reason: Text2000 | None
    version: Version
    created_at: datetime
    updated_at: datetime


class LeasePage(Page[Lease]):
    pass


class LeaseTransition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: LeaseStatus
    reason: Note | None = Field(default=None, description="Why; required to terminate.")


class CpiMonth(BaseModel):
    series: Annotated[str, Field(max_length=20)]
    month: Annotated[str, Field(max_length=7, pattern=YEAR_MONTH_PATTERN)]


class RentScheduleMonth(BaseModel):
    """One calendar month of the term. `amount_due` is the month's rent prorated by day: Σ rate × days
    at that rate / days in the month, rounded to cents half-up; a full month at one rate is its rate."""

    month: Annotated[str, Field(max_length=7, pattern=YEAR_MONTH_PATTERN)]
    period_start: date = Field(description="The month's first day in the term.")
    period_end: date = Field(description="The month's last day in the term.")
    days: Annotated[int, Field(ge=1, le=31, json_schema_extra={"format": "int32"})]
    monthly_rent: Money | None = Field(
        description="The monthly rate in effect on `period_end`; null when a CPI value it needs is missing."
    )
    amount_due: Money | None = Field(description="Null when a CPI value it needs is missing.")
    missing_cpi: Annotated[list[CpiMonth], Field(max_length=100)] = Field(
        description="The CPI values not recorded that this month's rent needs."
    )


class RentSchedule(BaseModel):
    lease_id: uuid.UUID
    months: Annotated[list[RentScheduleMonth], Field(max_length=1200)]
    total_due: Money | None = Field(description="The months' `amount_due` added up; null if any is null.")


class CpiValuePut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: IndexValue


class CpiMonthValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: YearMonth
    value: IndexValue


class CpiValuesCreate(BaseModel):
    """Values of one series to record, e.g. a year's as published. A month already recorded with the
    same value is left as it is; with another value, 409: replace it with `PUT` and `If-Match`."""

    model_config = ConfigDict(extra="forbid")

    values: Annotated[list[CpiMonthValue], Field(min_length=1, max_length=240)]


class CpiValue(BaseModel):
    series: Annotated[str, Field(max_length=20)]
    month: Annotated[str, Field(max_length=7, pattern=YEAR_MONTH_PATTERN)]
    value: IndexValue
    version: Version
    updated_at: datetime


class CpiValuePage(Page[CpiValue]):
    pass


class CpiValueList(BaseModel):
    """The values recorded, in the order sent."""

    items: Annotated[list[CpiValue], Field(max_length=240)]


class CriticalDateKind(StrEnum):
    expiration = "expiration"
    option_notice_deadline = "option_notice_deadline"


class CriticalDate(BaseModel):
    lease_id: uuid.UUID
    asset_id: uuid.UUID
    direction: LeaseDirection
    kind: CriticalDateKind
    due_date: date = Field(description="The expiration, or the option's notice deadline.")
    option_type: LeaseOptionType | None = Field(description="For an option's notice deadline.")
    days_remaining: Annotated[int, Field(ge=0, le=3660, json_schema_extra={"format": "int32"})] = Field(
        description="Days from today in Los Angeles."
    )


class CriticalDatePage(Page[CriticalDate]):
    pass
