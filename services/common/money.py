r"""Money on the wire: a decimal string with an ISO 4217 currency, never a float.

`{"amount": "1250.00", "currency": "USD"}`. A JSON number is refused, because a float cannot carry
cents exactly and a client that sends one has already lost them. Amounts are non-negative, with at
most two decimal places, and always written back with exactly two.

Numbers are ASCII: Python's `\d`, `int()` and `Decimal()` read the digits of every script (`"١٢.00"`
is 12.00 to `Decimal`), so patterns here say `[0-9]`, and `ASCII_NUMBER` guards a plain `Decimal` field.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema

from services.common.wire import WireModel

AMOUNT_PATTERN = r"^[0-9]{1,14}(\.[0-9]{1,2})?$"
# The longest amount the pattern takes: 14 digits, the point, 2 places.
AMOUNT_MAX_LENGTH = 17
_AMOUNT = re.compile(AMOUNT_PATTERN)
MAX_DIGITS = 16
CENTS = Decimal("0.01")


def _ascii_number(value: Any) -> Any:
    if isinstance(value, str) and not value.isascii():
        raise ValueError("a number is written with the digits 0-9")
    return value


# For a `Decimal` field a client fills: `Annotated[Decimal, Field(gt=0), ASCII_NUMBER]`.
ASCII_NUMBER = BeforeValidator(_ascii_number)


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
            "maxLength": AMOUNT_MAX_LENGTH,
            "description": "A non-negative decimal with at most two decimal places, as a string.",
            "examples": ["1250.00"],
        }
    ),
]


def _current_currencies() -> list[str]:
    """The codes of the OCDS currency code list (ISO 4217) still in use: those without a `Valid Until`."""
    with (Path(__file__).parent / "codelists" / "currency.csv").open(encoding="utf-8", newline="") as file:
        return sorted(row["Code"] for row in csv.DictReader(file) if not row["Valid Until"])


# An enumeration, so that the document lists the codes and a client builds its choice from them; read
# once, at import, from the published list (services/common/codelists/README.md names its source).
CurrencyCode = StrEnum(  # type: ignore[misc]
    "CurrencyCode", [(code, code) for code in _current_currencies()], module=__name__
)
CurrencyCode.__doc__ = "An ISO 4217 alphabetic code in use, e.g. `USD` (the OCDS currency code list)."


class Money(WireModel):
    """An amount of money: a decimal string and its currency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: Amount
    currency: CurrencyCode
