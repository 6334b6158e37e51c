"""Wire models of the City's contracts with vendors, their amendments and subcontract commitments.

A contract is made from an award in force: its value is the award amount, its vendor and department
those of the award and its solicitation. Amendments change the value (never below zero) or the end
date; subcontract commitments record the prime's subs and the certification each counts under.
Contracts are public procurement information.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    MISSING,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from services.common.money import AMOUNT_MAX_LENGTH, CENTS, Amount, CurrencyCode, Money
from services.common.pagination import Page
from services.common.wire import DATE_MAX_LENGTH, DATE_TEXT, IsoDate, PositiveInt32, WireModel
from services.vendors.contracts.certifications import CertificationType
from services.vendors.contracts.patterns import (
    FILLED_TEXT,
    NONZERO_AMOUNT_PATTERN,
    YEARS_1900_TO_9998,
    cross_field,
)

__all__ = [
    "Amendment",
    "AmendmentCreate",
    "AmendmentPage",
    "Contract",
    "ContractCreate",
    "ContractPage",
    "ContractStatus",
    "ContractTransition",
    "ContractUpdate",
    "DatePeriod",
    "PositiveMoney",
    "Subcontract",
    "SubcontractCreate",
    "SubcontractPage",
    "SubcontractStatus",
    "SubcontractTransition",
    "ValueChange",
]

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=FILLED_TEXT)
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=FILLED_TEXT)
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000, pattern=FILLED_TEXT)
]
EARLIEST = date(1900, 1, 1)
LATEST = date(9998, 12, 31)

VALUE_CHANGE_PATTERN = r"^-?[0-9]{1,14}(\.[0-9]{1,2})?$"
_VALUE_CHANGE = re.compile(VALUE_CHANGE_PATTERN)


def _parse_change(value: object) -> Decimal:
    if isinstance(value, Decimal):
        value = format(value, "f")
    if not isinstance(value, str):
        raise ValueError('a change of value is a decimal string such as "-2500.00", never a number')
    text = value.strip()
    if not _VALUE_CHANGE.match(text):
        raise ValueError(f'{text!r} is not a change of value: e.g. "12500.00" or "-2500.00"')
    return Decimal(text).quantize(CENTS)


ChangeAmount = Annotated[
    Decimal,
    BeforeValidator(_parse_change),
    PlainSerializer(lambda amount: format(amount.quantize(CENTS), "f"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": VALUE_CHANGE_PATTERN,
            "maxLength": AMOUNT_MAX_LENGTH + 1,
            "description": "A decimal with at most two decimal places, as a string; negative lowers.",
            "examples": ["-2500.00"],
        }
    ),
]


class ValueChange(WireModel):
    """A change of an amount: positive raises it, negative lowers it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: ChangeAmount
    currency: CurrencyCode


def _in_range(day: date, name: str) -> None:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{name} lies between the years 1900 and 9998")


# A calendar day the server can store and convert: 1900 to 9998, stated in the document too.
Day = Annotated[
    date,
    DATE_TEXT,
    WithJsonSchema(
        {"type": "string", "format": "date", "pattern": YEARS_1900_TO_9998, "maxLength": DATE_MAX_LENGTH}
    ),
]


class PositiveMoney(Money):
    """An amount of money more than zero."""

    amount: Annotated[
        Amount,
        WithJsonSchema(
            {
                "type": "string",
                "pattern": NONZERO_AMOUNT_PATTERN,
                "maxLength": AMOUNT_MAX_LENGTH,
                "description": "A decimal more than zero with at most two decimal places, as a string.",
                "examples": ["1250.00"],
            }
        ),
    ]


class DatePeriod(WireModel):
    """Calendar days, both ends included."""

    model_config = ConfigDict(extra="forbid")

    start: Day
    end: Day

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _in_range(self.start, "start")
        _in_range(self.end, "end")
        if self.end < self.start:
            raise cross_field("a period's end cannot be before its start")
        return self


class ContractStatus(StrEnum):
    """draft → active (signed) → completed | terminated."""

    draft = "draft"
    active = "active"
    completed = "completed"
    terminated = "terminated"


class ContractCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    award_id: uuid.UUID = Field(description="An `active` award without a contract yet.")
    title: Title | None = Field(default=None, description="Unset: the solicitation's title.")
    period: DatePeriod


class ContractUpdate(WireModel):
    """Changes to a `draft` contract; an active one changes through amendments. Absent fields stay as
    they are; only `signed_date` takes `null` (not signed yet)."""

    model_config = ConfigDict(extra="forbid")

    title: Title | MISSING = MISSING
    period: DatePeriod | MISSING = MISSING
    signed_date: IsoDate | MISSING | None = Field(default=MISSING, description="`null` clears it.")


class Contract(WireModel):
    id: uuid.UUID
    number: str = Field(description="e.g. `C-2026-00042`.")
    award_id: uuid.UUID
    solicitation_id: uuid.UUID
    vendor_id: uuid.UUID
    department: str = Field(description="The buying department: the solicitation's.")
    title: str
    status: ContractStatus
    original_value: Money = Field(description="The award amount.")
    value: Money = Field(description="The value with every amendment applied.")
    period: DatePeriod
    signed_date: date | None
    version: PositiveInt32
    created_at: datetime
    updated_at: datetime


class ContractPage(Page[Contract]):
    pass


class ContractTransition(WireModel):
    model_config = ConfigDict(extra="forbid")

    to: ContractStatus
    reason: Reason | None = Field(default=None, description="Required to terminate.")


class AmendmentCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    description: Description
    value_change: ValueChange | None = Field(
        default=None, description="Added to the contract's value; the value never goes below zero."
    )
    new_period_end: Day | None = None
    effective_date: Day | None = Field(default=None, description="Unset: today (Los Angeles).")

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        changes_value = self.value_change is not None and self.value_change.amount != 0
        if not changes_value and self.new_period_end is None:
            raise cross_field("an amendment changes the value, the end date, or both")
        for name in ("new_period_end", "effective_date"):
            day = getattr(self, name)
            if day is not None:
                _in_range(day, name)
        return self


class Amendment(WireModel):
    id: uuid.UUID
    contract_id: uuid.UUID
    number: PositiveInt32 = Field(description="1, 2, … in order.")
    description: str
    value_change: ValueChange
    new_period_end: date | None
    effective_date: date
    made_at: datetime


class AmendmentPage(Page[Amendment]):
    pass


class SubcontractStatus(StrEnum):
    committed = "committed"
    cancelled = "cancelled"


class SubcontractCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    sub_vendor_id: uuid.UUID = Field(description="An `active` vendor other than the prime.")
    certification_type: CertificationType | None = Field(
        default=None,
        description="The certification the commitment counts under; the sub must hold it verified and "
        "valid on `committed_date` (422 otherwise).",
    )
    amount: PositiveMoney
    committed_date: Day | None = Field(default=None, description="Unset: today (Los Angeles).")

    @model_validator(mode="after")
    def _checks(self) -> Self:
        if self.amount.amount <= 0:
            raise ValueError("a commitment's amount must be more than zero")
        if self.committed_date is not None:
            _in_range(self.committed_date, "committed_date")
        return self


class Subcontract(WireModel):
    id: uuid.UUID
    contract_id: uuid.UUID
    sub_vendor_id: uuid.UUID
    certification_type: CertificationType | None
    amount: Money
    committed_date: date
    status: SubcontractStatus
    version: PositiveInt32
    created_at: datetime
    updated_at: datetime


class SubcontractPage(Page[Subcontract]):
    pass


class SubcontractTransition(WireModel):
    model_config = ConfigDict(extra="forbid")

    to: SubcontractStatus
    reason: Reason | None = Field(default=None, description="Required to cancel.")
