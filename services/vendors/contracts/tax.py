"""Wire models of a vendor's tax profile (W-9 data).

The taxpayer identification number (TIN) travels in one direction only: in through `TaxProfilePut`,
out only through `TaxProfileRevealed`, which a caller gets with the `procurement:tax_reveal` scope and
a stated reason. Every other model shows its last four digits, masked.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from services.common.wire import PositiveInt32, WireModel
from services.vendors.contracts.patterns import FILLED_TEXT

__all__ = [
    "TAX_PROFILE_PUT_VARIANTS",
    "EinTaxProfilePut",
    "ForeignTaxProfilePut",
    "ItinTaxProfilePut",
    "SsnTaxProfilePut",
    "TaxProfile",
    "TaxProfilePut",
    "TaxProfileRevealRequest",
    "TaxProfileRevealed",
    "TinType",
    "format_tin",
    "mask_tin",
    "normalize_tin",
]


class TinType(StrEnum):
    """`ein` employer id, `ssn` social security number (sole proprietors), `itin` individual taxpayer
    id, `foreign` a tax id issued outside the United States (W-8 filers)."""

    ein = "ein"
    ssn = "ssn"
    itin = "itin"
    foreign = "foreign"


# Two-digit prefixes the IRS assigns EINs under (its published list of campus and internet prefixes).
_EIN_PREFIXES = frozenset(
    [f"{n:02d}" for n in (*range(1, 7), *range(10, 17), *range(20, 28), *range(30, 49))]
    + [f"{n:02d}" for n in (*range(50, 69), *range(71, 78), *range(80, 89), *range(90, 96), 98, 99)]
)
# ITINs start with 9 and carry one of these numbers in their fourth and fifth digits.
_ITIN_GROUPS = frozenset(range(50, 66)) | frozenset(range(70, 89)) | {90, 91, 92} | frozenset(range(94, 100))
_US_TIN = re.compile(r"^[0-9]{9}$")
_FOREIGN_TIN = re.compile(r"^[A-Z0-9]{4,30}$")
_FOREIGN_SEPARATORS = re.compile(r"[\s\-./]")

# Messages name the rule, never the value: a validation error must not echo the number back.
_RULES = {
    TinType.ein: "An EIN is 9 digits, dashes allowed (NN-NNNNNNN), with a prefix the IRS assigns.",
    TinType.ssn: "An SSN is 9 digits, dashes allowed (NNN-NN-NNNN); its area cannot be 000, 666 or "
    "9xx, its group 00 or its serial 0000.",
    TinType.itin: "An ITIN is 9 digits, dashes allowed (9NN-NN-NNNN), starting with 9, with 50-65, "
    "70-88, 90-92 or 94-99 as its fourth and fifth digits.",
    TinType.foreign: "A foreign tax id is 4 to 30 letters and digits (spaces, dashes, dots and slashes "
    "allowed between them).",
}


def _valid_us_tin(tin_type: TinType, digits: str) -> bool:
    if not _US_TIN.match(digits):
        return False
    if tin_type is TinType.ein:
        return digits[:2] in _EIN_PREFIXES
    if tin_type is TinType.itin:
        return digits[0] == "9" and int(digits[3:5]) in _ITIN_GROUPS
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def normalize_tin(tin_type: TinType, tin: str) -> str | None:
    """The TIN as stored and fingerprinted (digits only; foreign ids upper case without separators),
    or None when it breaks the rules of its type."""
    text = tin.strip()
    if tin_type is TinType.foreign:
        candidate = _FOREIGN_SEPARATORS.sub("", text).upper()
        return candidate if _FOREIGN_TIN.match(candidate) else None
    digits = text.replace("-", "")
    return digits if _valid_us_tin(tin_type, digits) else None


def format_tin(tin_type: TinType, normalized: str) -> str:
    """How the full TIN is written: `123-45-6789` (SSN, ITIN), `12-3456789` (EIN), as normalised else."""
    if tin_type in (TinType.ssn, TinType.itin):
        return f"{normalized[:3]}-{normalized[3:5]}-{normalized[5:]}"
    if tin_type is TinType.ein:
        return f"{normalized[:2]}-{normalized[2:]}"
    return normalized


def mask_tin(tin_type: TinType, last4: str) -> str:
    """`***-**-6789` (SSN, ITIN), `**-***6789` (EIN), `****6789` (foreign: its length is not shown)."""
    if tin_type in (TinType.ssn, TinType.itin):
        return f"***-**-{last4}"
    if tin_type is TinType.ein:
        return f"**-***{last4}"
    return f"****{last4}"


# The formats of the document, one per type: what the IRS numbering rules allow, dashes where they are
# written. The server also reads other dashes and surrounding spaces (as it always has); these say what
# a client can rely on.
EIN_FORMAT = r"^(0[1-6]|1[0-6]|2[0-7]|3[0-9]|4[0-8]|5[0-9]|6[0-8]|7[1-7]|8[0-8]|9[0-5]|9[89])-?[0-9]{7}$"
SSN_FORMAT = (
    r"^(00[1-9]|0[1-9][0-9]|[1-5][0-9]{2}|6[0-5][0-9]|66[0-57-9]|6[7-9][0-9]|[78][0-9]{2})"
    r"-?(0[1-9]|[1-9][0-9])-?(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})$"
)
ITIN_FORMAT = r"^9[0-9]{2}-?(5[0-9]|6[0-5]|7[0-9]|8[0-8]|9[0-2]|9[4-9])-?[0-9]{4}$"
FOREIGN_FORMAT = r"^[A-Za-z0-9]([ ./-]?[A-Za-z0-9]){3,29}$"


def _tin_field(rule: str, pattern: str, example: str) -> Any:
    return Field(
        min_length=4,
        max_length=40,
        description=f"The taxpayer identification number. {rule}",
        json_schema_extra={"writeOnly": True, "pattern": pattern, "examples": [example]},
    )


class TaxProfilePut(WireModel):
    """The W-9 (or W-8) identity of the vendor. The TIN is write-only: responses show its last four.

    The server reads this one model, so that an error names `tin` itself; the document describes the
    body as the four variants below, one per `tin_type`, each with the format of its `tin`."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    tin_type: TinType
    tin: SecretStr = Field(min_length=4, max_length=40, json_schema_extra={"writeOnly": True})

    @field_validator("tin")
    @classmethod
    def _normalized(cls, tin: SecretStr, info: ValidationInfo) -> SecretStr:
        tin_type = info.data.get("tin_type")
        if tin_type is None:  # `tin_type` itself is invalid and reported; nothing to check against.
            return tin
        normalized = normalize_tin(tin_type, tin.get_secret_value())
        if normalized is None:
            raise PydanticCustomError("tin_format", _RULES[tin_type])
        return SecretStr(normalized)


class EinTaxProfilePut(TaxProfilePut):
    """A W-9 with an employer identification number."""

    tin_type: Literal[TinType.ein]
    tin: SecretStr = _tin_field(_RULES[TinType.ein], EIN_FORMAT, "12-3456789")


class SsnTaxProfilePut(TaxProfilePut):
    """A W-9 with a social security number (sole proprietors)."""

    tin_type: Literal[TinType.ssn]
    tin: SecretStr = _tin_field(_RULES[TinType.ssn], SSN_FORMAT, "123-45-6789")


class ItinTaxProfilePut(TaxProfilePut):
    """A W-9 with an individual taxpayer identification number."""

    tin_type: Literal[TinType.itin]
    tin: SecretStr = _tin_field(_RULES[TinType.itin], ITIN_FORMAT, "912-70-1234")


class ForeignTaxProfilePut(TaxProfilePut):
    """A W-8 with a tax id issued outside the United States."""

    tin_type: Literal[TinType.foreign]
    tin: SecretStr = _tin_field(_RULES[TinType.foreign], FOREIGN_FORMAT, "GB123456789")


# How the document describes `TaxProfilePut`: `tin_type` picks the variant, and so the format of `tin`.
TAX_PROFILE_PUT_VARIANTS: dict[TinType, type[TaxProfilePut]] = {
    TinType.ein: EinTaxProfilePut,
    TinType.ssn: SsnTaxProfilePut,
    TinType.itin: ItinTaxProfilePut,
    TinType.foreign: ForeignTaxProfilePut,
}


class TaxProfile(WireModel):
    """A vendor's tax profile as everyone with `procurement:read` sees it: the TIN masked."""

    vendor_id: uuid.UUID
    tin_type: TinType
    tin_masked: str = Field(description="The TIN with all but its last four characters hidden.")
    tin_last4: str
    version: PositiveInt32
    created_at: datetime
    updated_at: datetime


class TaxProfileRevealRequest(WireModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=FILLED_TEXT)
    ] = Field(
        description="Why the full number is needed (e.g. `1099-NEC filing for FY2026`); kept in the audit "
        "trail."
    )


class TaxProfileRevealed(WireModel):
    """The full TIN. Served with `Cache-Control: no-store`; every reveal is an audit event."""

    vendor_id: uuid.UUID
    tin_type: TinType
    tin: str = Field(description="The full TIN, formatted: `123-45-6789`, `12-3456789`.")
