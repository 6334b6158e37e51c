"""Wire models of the vendor registry. Enumerations are extensible: clients must tolerate new values."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from services.common.pagination import Page
from services.common.stored import from_database

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class VendorStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    active = "active"
    suspended = "suspended"
    debarred = "debarred"
    inactive = "inactive"
    merged = "merged"


class EntityType(StrEnum):
    corporation = "corporation"
    llc = "llc"
    partnership = "partnership"
    sole_proprietorship = "sole_proprietorship"
    nonprofit = "nonprofit"
    government = "government"
    joint_venture = "joint_venture"


class SizeClass(StrEnum):
    """OCDS partyScale, refined: micro (<10 staff), small (<100), medium (<500), large."""

    micro = "micro"
    small = "small"
    medium = "medium"
    large = "large"


class IdentifierScheme(StrEnum):
    """Organisation identifier lists (org-id.guide style). The TIN is not one: see the tax profile."""

    us_uei = "US-UEI"
    us_cage = "US-CAGE"
    la_btrc = "LA-BTRC"
    la_vrn = "LA-VRN"
    ca_sos = "CA-SOS"
    ca_cslb = "CA-CSLB"
    ca_dir = "CA-DIR"


_IDENTIFIER_FORMATS = {
    IdentifierScheme.us_uei: re.compile(r"^[A-HJ-NP-Z1-9][A-HJ-NP-Z0-9]{11}$"),
    IdentifierScheme.us_cage: re.compile(r"^[A-Z0-9]{5}$"),
}


class Identifier(BaseModel):
    scheme: IdentifierScheme
    id: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=40)]

    @model_validator(mode="after")
    def _format(self, info: ValidationInfo) -> Self:
        pattern = _IDENTIFIER_FORMATS.get(self.scheme)
        if pattern is not None and not from_database(info) and not pattern.match(self.id):
            raise ValueError(f"{self.id!r} is not a valid {self.scheme.value} identifier")
        return self


class AddressKind(StrEnum):
    physical = "physical"
    mailing = "mailing"
    remittance = "remittance"


class Address(BaseModel):
    kind: AddressKind = AddressKind.physical
    line1: ShortText
    line2: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    city: ShortText
    region: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=50)] = Field(
        description="State or region, e.g. `CA`."
    )
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9 \-]{3,10}$")]
    country: Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{2}$")] = Field(
        default="US", description="ISO 3166-1 alpha-2."
    )


class ContactRole(StrEnum):
    primary = "primary"
    billing = "billing"
    bids = "bids"


class Contact(BaseModel):
    role: ContactRole = ContactRole.primary
    name: ShortText
    email: (
        Annotated[
            str,
            StringConstraints(
                strip_whitespace=True, to_lower=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254
            ),
        ]
        | None
    ) = None
    phone: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().\-]{7,25}$")] | None
    ) = None


class CommodityScheme(StrEnum):
    nigp = "nigp"
    unspsc = "unspsc"
    naics = "naics"


COMMODITY_FORMATS = {
    CommodityScheme.nigp: re.compile(r"^\d{3}(-\d{2}(-\d{2}(-\d{3}-\d)?)?)?$"),
    CommodityScheme.unspsc: re.compile(r"^\d{2}(\d{2}(\d{2}(\d{2})?)?)?$"),
    CommodityScheme.naics: re.compile(r"^\d{2,6}$"),
}


def canonical_commodity_code(scheme: CommodityScheme, code: str) -> str:
    """NIGP codes are written with dashes (620-80-21); undashed input is accepted and dashed."""
    code = code.strip()
    if scheme is CommodityScheme.nigp and "-" not in code and code.isdigit():
        parts = [code[:3], code[3:5], code[5:7], code[7:10], code[10:]]
        code = "-".join(part for part in parts if part)
    if not COMMODITY_FORMATS[scheme].match(code):
        raise ValueError(f"{code!r} is not a valid {scheme.value} code")
    return code


class CommodityCode(BaseModel):
    """A classification code: NIGP (`620-80`), UNSPSC (8 digits), or NAICS (2 to 6 digits)."""

    scheme: CommodityScheme
    code: Annotated[str, StringConstraints(max_length=20)]

    @model_validator(mode="after")
    def _canonical(self, info: ValidationInfo) -> Self:
        if not from_database(info):
            self.code = canonical_commodity_code(self.scheme, self.code)
        return self


def _distinct(items: list[CommodityCode]) -> list[CommodityCode]:
    seen: dict[tuple[str, str], CommodityCode] = {}
    for item in items:
        seen.setdefault((item.scheme, item.code), item)
    return list(seen.values())


CommodityCodes = Annotated[list[CommodityCode], Field(max_length=200), AfterValidator(_distinct)]


class VendorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_name: ShortText = Field(description="The name exactly as on the W-9.")
    dba_names: Annotated[list[ShortText], Field(max_length=20)] = []
    entity_type: EntityType
    identifiers: Annotated[list[Identifier], Field(max_length=20)] = []
    addresses: Annotated[list[Address], Field(max_length=10)] = []
    contacts: Annotated[list[Contact], Field(max_length=20)] = []
    commodity_codes: CommodityCodes = []
    size_class: SizeClass | None = None


class VendorUpdate(BaseModel):
    """Fields to change; absent fields stay as they are. Status changes go through transitions."""

    model_config = ConfigDict(extra="forbid")

    legal_name: ShortText | None = None
    dba_names: Annotated[list[ShortText], Field(max_length=20)] | None = None
    entity_type: EntityType | None = None
    identifiers: Annotated[list[Identifier], Field(max_length=20)] | None = None
    addresses: Annotated[list[Address], Field(max_length=10)] | None = None
    contacts: Annotated[list[Contact], Field(max_length=20)] | None = None
    commodity_codes: CommodityCodes | None = None
    size_class: SizeClass | None = None


class Vendor(BaseModel):
    id: uuid.UUID
    vendor_number: str = Field(description="Human-readable reference, e.g. `VND-000123`.")
    status: VendorStatus
    legal_name: str
    dba_names: list[str]
    entity_type: EntityType
    identifiers: list[Identifier]
    addresses: list[Address]
    contacts: list[Contact]
    commodity_codes: list[CommodityCode]
    size_class: SizeClass | None
    merged_into_id: uuid.UUID | None = Field(description="The surviving vendor, when this one was merged.")
    version: int
    created_at: datetime
    updated_at: datetime


class VendorPage(Page[Vendor]):
    pass


class VendorTransition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: VendorStatus
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] | None = (
        None
    )
