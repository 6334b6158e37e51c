"""Patterns that state in the document what the server checks, and the error a rule across fields raises.

Patterns are kept to what both regex engines read alike: pydantic's (Rust `regex`) and the ECMA 262
dialect JSON Schema names; no look-around, no back-references.
"""

from __future__ import annotations

from pydantic_core import PydanticCustomError

__all__ = [
    "CROSS_FIELD",
    "EMAIL",
    "FILLED_TEXT",
    "INSTANT_YEARS",
    "NONZERO_AMOUNT_PATTERN",
    "NONZERO_SIGNED_AMOUNT_PATTERN",
    "NO_NUL",
    "PHONE",
    "POSITIVE_PERCENT_PATTERN",
    "POSTAL_CODE",
    "QUANTITY_PATTERN",
    "SPACE",
    "TWO_FILLED",
    "YEARS_1900_TO_9998",
    "cross_field",
]


def _with_a_nonzero_digit(digits: int) -> str:
    """1 to `digits` digits, one of them not zero: the first non-zero digit's position spelled out, so
    that the count holds exactly without look-ahead."""
    return "|".join(
        ("0" * zeros) + "[1-9]" + (f"[0-9]{{0,{digits - 1 - zeros}}}" if zeros < digits - 1 else "")
        for zeros in range(digits)
    )


def _nonzero_decimal(integer_digits: int, places: int, sign: str) -> str:
    """A decimal of at most `integer_digits` digits before the point and `places` after it, not zero."""
    fraction = f"(\\.[0-9]{{1,{places}}})?"
    return (
        f"^{sign}(({_with_a_nonzero_digit(integer_digits)}){fraction}"
        f"|0{{1,{integer_digits}}}\\.({_with_a_nonzero_digit(places)}))$"
    )


# More than zero, as the kernel's amounts are written (at most 14 digits before the point, 2 after).
NONZERO_AMOUNT_PATTERN = _nonzero_decimal(14, 2, "")
# 0.01 to 100: a percentage that must be more than zero.
POSITIVE_PERCENT_PATTERN = (
    r"^(100(\.0{1,2})?|[1-9][0-9]?(\.[0-9]{1,2})?|0[1-9](\.[0-9]{1,2})?|0{1,2}\.(0[1-9]|[1-9][0-9]?))$"
)
# A quantity: more than zero, at most 10 digits before the point and 4 after it.
QUANTITY_PATTERN = _nonzero_decimal(10, 4, "")
# Not zero, negative allowed: a payment line or its correction.
NONZERO_SIGNED_AMOUNT_PATTERN = _nonzero_decimal(14, 2, "-?")
# A calendar day in the years 1900 to 9998: dates beyond these would overflow on conversion.
YEARS_1900_TO_9998 = r"^(19[0-9]{2}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-[0-9]{2}-[0-9]{2}$"

# An instant whose UTC date lies in the years 1900 to 9998, whatever its offset: 1901 to 9997 by its own.
INSTANT_YEARS = r"^(190[1-9]|19[1-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-7])-"

# White space spelled out: the characters Unicode calls White_Space, which pydantic trims. `\s` is not
# used, because the engines disagree on it (ECMA 262 leaves out U+0085 and counts U+FEFF; Rust and
# Python the reverse).
SPACE = r"\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Text with something in it besides spaces, and no NUL (PostgreSQL text cannot hold one). Length limits
# count after trimming, which JSON Schema cannot say; this says the rest.
FILLED_TEXT = rf"^[^\x00]*[^{SPACE}\x00][^\x00]*$"
# Two characters besides spaces at least (a region: `CA`), no NUL.
TWO_FILLED = rf"^[^\x00]*[^{SPACE}\x00][^\x00]*[^{SPACE}\x00][^\x00]*$"
# An email address as the registry reads it: no spaces, one `@`, a dot in the domain.
EMAIL = rf"^[^@{SPACE}\x00]+@[^@{SPACE}\x00]+\.[^@{SPACE}\x00]+$"
# A postal code: 3 to 10 letters, digits, spaces or hyphens once trimmed. The trimmed-off spaces are
# spelled out around it, and its first and last characters are not spaces, so that a value the server
# trims below three characters (`"PJ "`) is outside the pattern too.
POSTAL_CODE = rf"^[{SPACE}]*[A-Za-z0-9\-][A-Za-z0-9 \-]{{1,8}}[A-Za-z0-9\-][{SPACE}]*$"
# A telephone number: an optional `+`, then 7 to 25 digits, spaces, brackets, dots or hyphens once
# trimmed, spelled out as the postal code is.
PHONE = rf"^[{SPACE}]*\+?[0-9().\-][0-9 ().\-]{{5,23}}[0-9().\-][{SPACE}]*$"
# Any text without NUL, empty included.
NO_NUL = r"^[^\x00]*$"

# The `code` of an error in `errors[]` when a value is refused for how it stands to another field (an
# end before its start, weights that do not add up): rules a JSON Schema cannot state, written in the
# operation's description instead.
CROSS_FIELD = "cross_field"


def cross_field(message: str) -> PydanticCustomError:
    """The error for a rule between fields, raised in a model validator."""
    return PydanticCustomError(CROSS_FIELD, message)
