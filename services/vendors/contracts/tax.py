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
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
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
_US_TIN = re.compile(r"^\d{9}$")
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


class TaxProfilePut(BaseModel):
    """The W-9 (or W-8) identity of the vendor. The TIN is write-only: responses show its last four."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    tin_type: TinType
    tin: SecretStr = Field(
        min_length=4,
        max_length=40,
        description="The taxpayer identification number. EIN, SSN and ITIN: 9 digits, dashes allowed, "
        "checked against the IRS numbering rules. Foreign: 4 to 30 letters and digits.",
        json_schema_extra={"writeOnly": True, "examples": ["12-3456789"]},
    )

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


class TaxProfile(BaseModel):
    """A vendor's tax profile as everyone with `procurement:read` sees it: the TIN masked."""

    vendor_id: uuid.UUID
    tin_type: TinType
    tin_masked: str = Field(description="The TIN with all but its last four characters hidden.")
    tin_last4: str
    version: int
    created_at: datetime
    updated_at: datetime


class TaxProfileRevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] = Field(
        description="Why the full number is needed (e.g. `1099-NEC filing for FY2026`); kept in the audit "
        "trail."
    )


class TaxProfileRevealed(BaseModel):
    """The full TIN. Served with `Cache-Control: no-store`; every reveal is an audit event."""

    vendor_id: uuid.UUID
    tin_type: TinType
    tin: str = Field(description="The full TIN, formatted: `123-45-6789`, `12-3456789`.")
