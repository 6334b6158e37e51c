"""Money on the wire: a decimal string with an ISO 4217 currency, never a float.

`{"amount": "1250.00", "currency": "USD"}`. A JSON number is refused, because a float cannot carry
cents exactly and a client that sends one has already lost them. Amounts are non-negative, with at
most two decimal places, and always written back with exactly two.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

AMOUNT_PATTERN = r"^\d{1,14}(\.\d{1,2})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN)
MAX_DIGITS = 16
CENTS = Decimal("0.01")


def _parse_amount(value: Any) -> Decimal:
    """Decimals from code pass through the same checks as strings from clients."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("an amount is a finite decimal")
        value = format(value, "f")
    if not isinstance(value, str):
        raise ValueError('an amount is a decimal string such as "1250.00", never a number')
    text = value.strip()
    if not _AMOUNT.match(text):
        raise ValueError(
            f"{text!r} is not an amount: a non-negative decimal string with at most "
            f'{MAX_DIGITS - 2} digits before the point and two after it, e.g. "1250.00"'
        )
    return Decimal(text).quantize(CENTS)


Amount = Annotated[
    Decimal,
    BeforeValidator(_parse_amount),
    PlainSerializer(lambda amount: format(amount.quantize(CENTS), "f"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": AMOUNT_PATTERN,
            "description": "A non-negative decimal with at most two decimal places, as a string.",
            "examples": ["1250.00"],
        }
    ),
]

CurrencyCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 alphabetic code, e.g. `USD`.", examples=["USD"]),
]


class Money(BaseModel):
    """An amount of money: a decimal string and its currency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: Amount
    currency: CurrencyCode
