"""Wire models of payments: the spend facts every procurement report is computed from.

A payment is written once and never changed; a correction is a new line with a negative amount. Its
fiscal year is Los Angeles's (July to June, named by the year it ends in) and always derived from the
paid date, never taken from the client.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from services.common.money import AMOUNT_MAX_LENGTH, CENTS, CurrencyCode
from services.common.pagination import Page
from services.common.wire import IsoDate, SmallInt, WireModel
from services.vendors.contracts.patterns import NONZERO_SIGNED_AMOUNT_PATTERN, cross_field
from services.vendors.contracts.registry import CommodityCode, CommodityCodeChoice
from services.vendors.contracts.solicitations import Department

__all__ = [
    "EXTERNAL_REF_MAX_LENGTH",
    "PAYMENT_CURRENCY",
    "SIGNED_AMOUNT_PATTERN",
    "Payment",
    "PaymentAmount",
    "PaymentCreate",
    "PaymentPage",
    "PaymentTier",
    "SignedMoney",
]

PAYMENT_CURRENCY = "USD"
EXTERNAL_REF_MAX_LENGTH = 80
SIGNED_AMOUNT_PATTERN = r"^-?[0-9]{1,14}(\.[0-9]{1,2})?$"
_SIGNED_AMOUNT = re.compile(SIGNED_AMOUNT_PATTERN)


class PaymentTier(StrEnum):
    """`prime`: paid to the City's own supplier. `sub`: paid to a subcontractor under a prime."""

    prime = "prime"
    sub = "sub"


def _parse_signed_amount(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("an amount is a finite decimal")
        value = format(value, "f")
    if not isinstance(value, str):
        raise ValueError('an amount is a decimal string such as "1250.00" or "-40.00", never a number')
    text = value.strip()
    if not _SIGNED_AMOUNT.match(text):
        raise ValueError(
            "not an amount: a decimal string with at most 14 digits before the point and two after it, "
            'negative for a correction, e.g. "1250.00" or "-40.00"'
        )
    amount = Decimal(text).quantize(CENTS)
    if amount == 0:
        raise ValueError("a payment of zero is no payment")
    return amount


SignedAmount = Annotated[
    Decimal,
    BeforeValidator(_parse_signed_amount),
    PlainSerializer(lambda amount: format(amount.quantize(CENTS), "f"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": SIGNED_AMOUNT_PATTERN,
            "maxLength": AMOUNT_MAX_LENGTH + 1,
            "description": "A non-zero decimal with at most two decimal places, as a string; negative for "
            "a correction.",
            "examples": ["1250.00", "-40.00"],
        }
    ),
]


class SignedMoney(WireModel):
    """An amount paid (or, negative, taken back) and its currency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: SignedAmount
    currency: CurrencyCode


class PaymentAmount(SignedMoney):
    """What a new payment line pays: not zero, in US dollars."""

    amount: Annotated[
        SignedAmount,
        WithJsonSchema(
            {
                "type": "string",
                "pattern": NONZERO_SIGNED_AMOUNT_PATTERN,
                "maxLength": AMOUNT_MAX_LENGTH + 1,
                "description": "A non-zero decimal with at most two decimal places, as a string; negative "
                "for a correction.",
                "examples": ["1250.00", "-40.00"],
            }
        ),
    ]
    currency: Literal["USD"]  # type: ignore[assignment]


ExternalRef = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=EXTERNAL_REF_MAX_LENGTH, pattern=r"^[^\x00]*$"
    ),
]


class PaymentCreate(WireModel):
    """One payment line as the City's paying system recorded it."""

    model_config = ConfigDict(extra="forbid")

    vendor_id: uuid.UUID = Field(
        description="Who was paid: the prime on a `prime` line, the subcontractor on a `sub` line."
    )
    tier: PaymentTier = PaymentTier.prime
    prime_vendor_id: uuid.UUID | None = Field(
        default=None, description="`sub` lines only (and required there): the prime the sub was paid under."
    )
    contract_id: uuid.UUID | None = Field(
        default=None,
        description="The contract paid against, if any: its vendor must be the line's vendor on a `prime` "
        "line, the line's prime on a `sub` line. Leave it out for off-contract spend.",
    )
    department: Department
    category: CommodityCodeChoice = Field(
        description='What was bought, e.g. `{"scheme": "nigp", "code": "620-80-21"}`.'
    )
    amount: PaymentAmount = Field(
        description=f"In {PAYMENT_CURRENCY}; negative for a correction of an earlier line."
    )
    paid_date: IsoDate = Field(description="The day the payment was made; it decides the fiscal year.")
    external_ref: ExternalRef | None = Field(
        default=None,
        description="The paying system's own id of the line, unique: a second payment with the same one is "
        "refused (409), which makes loading from that system safe to repeat.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_fiscal_year(cls, data: Any) -> Any:
        if isinstance(data, dict) and "fiscal_year" in data:
            raise ValueError("`fiscal_year` is derived from `paid_date` (July to June); leave it out")
        return data

    @model_validator(mode="after")
    def _tier_and_prime(self) -> Self:
        if self.tier is PaymentTier.sub and self.prime_vendor_id is None:
            raise cross_field("a `sub` line names its prime in `prime_vendor_id`")
        if self.tier is PaymentTier.prime and self.prime_vendor_id is not None:
            raise cross_field("only `sub` lines have a `prime_vendor_id`")
        if self.prime_vendor_id is not None and self.prime_vendor_id == self.vendor_id:
            raise cross_field("a sub line's prime is another vendor than the sub")
        if self.amount.currency != PAYMENT_CURRENCY:
            raise cross_field(
                f"the City pays in {PAYMENT_CURRENCY}: `amount.currency` must be {PAYMENT_CURRENCY}"
            )
        return self


class Payment(WireModel):
    id: uuid.UUID
    vendor_id: uuid.UUID
    tier: PaymentTier
    prime_vendor_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    department: str
    category: CommodityCode
    amount: SignedMoney
    paid_date: date
    fiscal_year: SmallInt = Field(
        description="Los Angeles's fiscal year of `paid_date`: FY2026 is July 2025 to June 2026."
    )
    external_ref: str | None
    import_id: uuid.UUID | None = Field(
        description="The bulk import that loaded the line; null when posted alone."
    )
    created_at: datetime


class PaymentPage(Page[Payment]):
    pass
