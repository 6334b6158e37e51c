"""Wire models of the vendor registry. Enumerations are extensible: clients must tolerate new values."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import (
    MISSING,
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from services.common.pagination import Page
from services.common.stored import from_database
from services.common.wire import PositiveInt32, WireModel
from services.vendors.contracts.patterns import EMAIL, FILLED_TEXT, NO_NUL, PHONE, POSTAL_CODE, TWO_FILLED

ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=FILLED_TEXT)
]


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


class Identifier(WireModel):
    scheme: IdentifierScheme
    id: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=40)]

    @model_validator(mode="after")
    def _format(self, info: ValidationInfo) -> Self:
        pattern = _IDENTIFIER_FORMATS.get(self.scheme)
        if pattern is not None and not from_database(info) and not pattern.match(self.id):
            raise ValueError(f"{self.id!r} is not a valid {self.scheme.value} identifier")
        return self


# The formats as clients may send them (letters in either case: they are upper-cased on arrival).
UEI_INPUT = r"^[A-HJ-NP-Za-hj-np-z1-9][A-HJ-NP-Za-hj-np-z0-9]{11}$"
CAGE_INPUT = r"^[A-Za-z0-9]{5}$"
# Schemes without a checked format: any text with something other than spaces in it.
FREE_ID = FILLED_TEXT


class UeiIdentifier(Identifier):
    """A SAM.gov Unique Entity ID: 12 letters and digits, without I or O, not starting with 0."""

    scheme: Literal[IdentifierScheme.us_uei]
    id: Annotated[str, StringConstraints(to_upper=True, pattern=UEI_INPUT)]


class CageIdentifier(Identifier):
    """A CAGE code: 5 letters and digits."""

    scheme: Literal[IdentifierScheme.us_cage]
    id: Annotated[str, StringConstraints(to_upper=True, pattern=CAGE_INPUT)]


class RegisteredIdentifier(Identifier):
    """A City or State registration number (business tax, vendor registration, Secretary of State,
    licence boards), as issued."""

    scheme: Literal[
        IdentifierScheme.la_btrc,
        IdentifierScheme.la_vrn,
        IdentifierScheme.ca_sos,
        IdentifierScheme.ca_cslb,
        IdentifierScheme.ca_dir,
    ]
    id: Annotated[
        str,
        StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=40, pattern=FREE_ID),
    ]


# An identifier as clients send it: the scheme picks the format.
IdentifierChoice = Annotated[
    UeiIdentifier | CageIdentifier | RegisteredIdentifier, Field(discriminator="scheme")
]


class AddressKind(StrEnum):
    physical = "physical"
    mailing = "mailing"
    remittance = "remittance"


class Address(WireModel):
    kind: AddressKind = AddressKind.physical
    line1: ShortText
    line2: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=NO_NUL)] | None = (
        None
    )
    city: ShortText
    region: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=50, pattern=TWO_FILLED)
    ] = Field(description="State or region, e.g. `CA`.")
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=POSTAL_CODE)]
    country: Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{2}$")] = Field(
        default="US", description="ISO 3166-1 alpha-2."
    )


class ContactRole(StrEnum):
    primary = "primary"
    billing = "billing"
    bids = "bids"


class Contact(WireModel):
    role: ContactRole = ContactRole.primary
    name: ShortText
    email: (
        Annotated[
            str,
            StringConstraints(
                strip_whitespace=True,
                to_lower=True,
                pattern=EMAIL,
                max_length=254,
            ),
        ]
        | None
    ) = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, pattern=PHONE)] | None = None


class CommodityScheme(StrEnum):
    nigp = "nigp"
    unspsc = "unspsc"
    naics = "naics"


COMMODITY_FORMATS = {
    CommodityScheme.nigp: re.compile(r"^[0-9]{3}(-[0-9]{2}(-[0-9]{2}(-[0-9]{3}-[0-9])?)?)?$"),
    CommodityScheme.unspsc: re.compile(r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2})?)?)?$"),
    CommodityScheme.naics: re.compile(r"^[0-9]{2,6}$"),
}


def canonical_commodity_code(scheme: CommodityScheme, code: str) -> str:
    """NIGP codes are written with dashes (620-80-21); undashed input is accepted and dashed."""
    code = code.strip()
    if scheme is CommodityScheme.nigp and "-" not in code and code.isascii() and code.isdigit():
        parts = [code[:3], code[3:5], code[5:7], code[7:10], code[10:]]
        code = "-".join(part for part in parts if part)
    if not COMMODITY_FORMATS[scheme].match(code):
        raise ValueError(f"{code!r} is not a valid {scheme.value} code")
    return code


class CommodityCode(WireModel):
    """A classification code: NIGP (`620-80`), UNSPSC (8 digits), or NAICS (2 to 6 digits)."""

    scheme: CommodityScheme
    code: Annotated[str, StringConstraints(max_length=20)]

    @model_validator(mode="after")
    def _canonical(self, info: ValidationInfo) -> Self:
        if not from_database(info):
            self.code = canonical_commodity_code(self.scheme, self.code)
        return self


# What a client may send for each scheme, as the document states it: NIGP dashed or as bare digits (3, 5,
# 7 or 11 of them, dashed on arrival), UNSPSC 2 to 8 digits in pairs, NAICS 2 to 6 digits.
NIGP_INPUT = (
    r"^([0-9]{3}(-[0-9]{2}(-[0-9]{2}(-[0-9]{3}-[0-9])?)?)?|[0-9]{3}([0-9]{2}([0-9]{2}([0-9]{4})?)?)?)$"
)
UNSPSC_INPUT = r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2})?)?)?$"
NAICS_INPUT = r"^[0-9]{2,6}$"


class NigpCode(CommodityCode):
    """A NIGP class (`620`), class-item (`620-80`), group (`620-80-21`) or full code (`620-80-21-123-4`)."""

    scheme: Literal[CommodityScheme.nigp]
    code: Annotated[str, StringConstraints(pattern=NIGP_INPUT)]


class UnspscCode(CommodityCode):
    """A UNSPSC segment, family, class or commodity: 2, 4, 6 or 8 digits."""

    scheme: Literal[CommodityScheme.unspsc]
    code: Annotated[str, StringConstraints(pattern=UNSPSC_INPUT)]


class NaicsCode(CommodityCode):
    """A NAICS sector to national industry: 2 to 6 digits."""

    scheme: Literal[CommodityScheme.naics]
    code: Annotated[str, StringConstraints(pattern=NAICS_INPUT)]


# The `commodity` and `category` filters: `<scheme>:<code>`, a code (or code prefix) valid in its scheme.
COMMODITY_FILTER = f"^(nigp:{NIGP_INPUT[1:-1]}|unspsc:{UNSPSC_INPUT[1:-1]}|naics:{NAICS_INPUT[1:-1]})$"

# A code as clients send it: the scheme picks the format.
CommodityCodeChoice = Annotated[NigpCode | UnspscCode | NaicsCode, Field(discriminator="scheme")]


def _distinct(items: list[CommodityCodeChoice]) -> list[CommodityCodeChoice]:
    seen: dict[tuple[str, str], CommodityCodeChoice] = {}
    for item in items:
        seen.setdefault((item.scheme, item.code), item)
    return list(seen.values())


CommodityCodes = Annotated[list[CommodityCodeChoice], Field(max_length=200), AfterValidator(_distinct)]


class VendorCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    legal_name: ShortText = Field(description="The name exactly as on the W-9.")
    dba_names: Annotated[list[ShortText], Field(max_length=20)] = []
    entity_type: EntityType
    identifiers: Annotated[list[IdentifierChoice], Field(max_length=20)] = []
    addresses: Annotated[list[Address], Field(max_length=10)] = []
    contacts: Annotated[list[Contact], Field(max_length=20)] = []
    commodity_codes: CommodityCodes = []
    size_class: SizeClass | None = None


class VendorUpdate(WireModel):
    """Fields to change; absent fields stay as they are. Status changes go through transitions. Only
    `size_class` takes `null` (it clears the size); every other field, when given, holds a value."""

    model_config = ConfigDict(extra="forbid")

    legal_name: ShortText | MISSING = MISSING
    dba_names: Annotated[list[ShortText], Field(max_length=20)] | MISSING = MISSING
    entity_type: EntityType | MISSING = MISSING
    identifiers: Annotated[list[IdentifierChoice], Field(max_length=20)] | MISSING = MISSING
    addresses: Annotated[list[Address], Field(max_length=10)] | MISSING = MISSING
    contacts: Annotated[list[Contact], Field(max_length=20)] | MISSING = MISSING
    commodity_codes: CommodityCodes | MISSING = MISSING
    size_class: SizeClass | MISSING | None = Field(default=MISSING, description="`null` clears it.")


class Vendor(WireModel):
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
    version: PositiveInt32
    created_at: datetime
    updated_at: datetime


class VendorPage(Page[Vendor]):
    pass


class VendorTransition(WireModel):
    model_config = ConfigDict(extra="forbid")

    to: VendorStatus
    reason: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=FILLED_TEXT)
        ]
        | None
    ) = None
