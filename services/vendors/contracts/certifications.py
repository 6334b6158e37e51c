"""Wire models of certifications and certifying agencies.

A certification is time-versioned: it holds from `effective_date` to `expiration_date` inclusive, and a
verified one whose expiration date has passed reads as `expired`. That status is derived from the date on
every read and never stored, so no job has to run at midnight for it to be right.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import MISSING, ConfigDict, Field, StringConstraints, model_validator

from services.common.pagination import Page
from services.common.wire import Int32, IsoDate, PositiveInt32, WireModel
from services.vendors.contracts.patterns import FILLED_TEXT, cross_field
from services.vendors.contracts.registry import CommodityCode, EntityType, SizeClass

__all__ = [
    "RACE_SEX_CONSCIOUS",
    "AgencyCode",
    "Certification",
    "CertificationCreate",
    "CertificationListItem",
    "CertificationListPage",
    "CertificationPage",
    "CertificationStatus",
    "CertificationTransition",
    "CertificationType",
    "CertificationUpdate",
    "CertifyingAgency",
    "CertifyingAgencyPage",
    "DirectoryCertification",
    "DirectoryContact",
    "DirectoryEntry",
    "DirectoryLocation",
    "DirectoryPage",
    "ProgramBasis",
    "program_basis",
]


class CertificationType(StrEnum):
    """Certification programmes recognised by the City (BCA/CORE, BIP, LBPP, County, State, federal)."""

    mbe = "mbe"  # Minority Business Enterprise
    wbe = "wbe"  # Women Business Enterprise
    dbe = "dbe"  # Disadvantaged Business Enterprise (49 CFR 26)
    acdbe = "acdbe"  # Airport Concession DBE (49 CFR 23)
    sbe = "sbe"  # Small Business Enterprise (BIP, Metro)
    sb = "sb"  # California Small Business (DGS)
    sb_micro = "sb_micro"  # California Small Business, micro (DGS)
    ebe = "ebe"  # Emerging Business Enterprise (BIP)
    dvbe = "dvbe"  # Disabled Veteran Business Enterprise
    sdvosb = "sdvosb"  # Service-Disabled Veteran-Owned Small Business (federal)
    lbe = "lbe"  # Local Business Enterprise (LBPP)
    lsb = "lsb"  # Local Small Business (LBPP)
    slbe = "slbe"  # Small Local Business Enterprise
    lsbe = "lsbe"  # Local Small Business Enterprise (LA County)
    se = "se"  # Social Enterprise (LA County)
    cbe = "cbe"  # Community Business Enterprise (LA County)
    sba_8a = "sba_8a"  # SBA 8(a) Business Development
    hubzone = "hubzone"  # SBA HUBZone
    wosb = "wosb"  # Women-Owned Small Business (federal)
    edwosb = "edwosb"  # Economically Disadvantaged WOSB (federal)
    obe = "obe"  # Other Business Enterprise: the non-certified remainder in BIP reports


class ProgramBasis(StrEnum):
    """Whether a programme classifies firms by the race or sex of their owners.

    California's Proposition 209 bars preferences on that basis in City-funded contracting: such
    certifications serve outreach and reporting only, except federally assisted DBE goals.
    """

    race_sex_neutral = "race_sex_neutral"
    race_sex_conscious = "race_sex_conscious"


# Ownership by minorities or women is the test of these programmes, so they never adjust a price.
RACE_SEX_CONSCIOUS = frozenset(
    {
        CertificationType.mbe,
        CertificationType.wbe,
        CertificationType.dbe,
        CertificationType.acdbe,
        CertificationType.wosb,
        CertificationType.edwosb,
    }
)


def program_basis(certification_type: CertificationType) -> ProgramBasis:
    if certification_type in RACE_SEX_CONSCIOUS:
        return ProgramBasis.race_sex_conscious
    return ProgramBasis.race_sex_neutral


class CertificationStatus(StrEnum):
    """pending → verified | rejected; verified → revoked | superseded. `expired` is derived from the
    expiration date of a verified certification and cannot be set."""

    pending = "pending"
    verified = "verified"
    rejected = "rejected"
    revoked = "revoked"
    superseded = "superseded"
    expired = "expired"


AgencyCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, max_length=20, pattern=r"^[A-Za-z0-9-]{2,20}$"),
]
CertificateNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=FILLED_TEXT)
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=FILLED_TEXT)
]


class CertifyingAgency(WireModel):
    code: str = Field(description="Stable code, e.g. `LA-BCA`, `CA-DGS`, `SBA`.")
    name: str
    jurisdiction: str = Field(description="The government or area the agency certifies for.")
    url: str
    certification_types: list[CertificationType] = Field(
        description="The certification types the agency typically issues."
    )


class CertifyingAgencyPage(Page[CertifyingAgency]):
    pass


def _check_dates(effective: date | None, expiration: date | None) -> None:
    if effective is not None and expiration is not None and expiration <= effective:
        raise cross_field("expiration_date must be after effective_date")


class CertificationCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    type: CertificationType
    agency_code: AgencyCode = Field(description="A code from `GET /v1/procurement/certifying-agencies`.")
    certificate_number: CertificateNumber = Field(description="As printed on the certificate.")
    effective_date: IsoDate
    expiration_date: IsoDate = Field(
        description="The last day the certificate is valid; after effective_date."
    )

    @model_validator(mode="after")
    def _dates(self) -> Self:
        _check_dates(self.effective_date, self.expiration_date)
        return self


class CertificationUpdate(WireModel):
    """Corrections to a `pending` certification; a verified one is replaced by a new certificate that
    supersedes it, so what was verified stays on record. Absent fields stay as they are; none takes
    `null`."""

    model_config = ConfigDict(extra="forbid")

    type: CertificationType | MISSING = MISSING
    agency_code: AgencyCode | MISSING = MISSING
    certificate_number: CertificateNumber | MISSING = MISSING
    effective_date: IsoDate | MISSING = MISSING
    expiration_date: IsoDate | MISSING = MISSING

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.effective_date is not MISSING and self.expiration_date is not MISSING:
            _check_dates(self.effective_date, self.expiration_date)
        return self


class Certification(WireModel):
    id: uuid.UUID
    vendor_id: uuid.UUID
    type: CertificationType
    program_basis: ProgramBasis = Field(description="Derived from `type`; drives the Proposition 209 guard.")
    agency_code: str
    certificate_number: str
    effective_date: date
    expiration_date: date = Field(description="The last day the certificate is valid.")
    status: CertificationStatus = Field(
        description="`expired` when verified and the expiration date has passed (City of Los Angeles time)."
    )
    verified_at: datetime | None
    ended_on: date | None = Field(
        description="The day a revocation or supersession ended the certificate before it expired."
    )
    version: PositiveInt32
    created_at: datetime
    updated_at: datetime


class CertificationPage(Page[Certification]):
    pass


class CertificationListItem(Certification):
    """A certification with the vendor it belongs to and how far it is from its expiration."""

    vendor_number: str
    vendor_legal_name: str
    days_until_expiration: Int32 = Field(
        description="Days from today to the expiration date: 0 on the last valid day, negative once expired."
    )


class CertificationListPage(Page[CertificationListItem]):
    pass


class CertificationTransition(WireModel):
    model_config = ConfigDict(extra="forbid")

    to: CertificationStatus
    reason: Reason | None = Field(default=None, description="Required to reject or revoke.")


# The public directory of certified vendors: what anyone may read without a token. It names the firm,
# where it is (city and postal code, never a street line: a sole proprietor's address may be a home), the
# one contact the firm designated for bids, what it sells and its current certificates. No identifiers,
# no tax data, no billing contact.


class DirectoryLocation(WireModel):
    city: str
    region: str
    postal_code: str


class DirectoryContact(WireModel):
    """The vendor's `bids` contact, or its `primary` one when it has none for bids."""

    name: str
    email: str | None
    phone: str | None


class DirectoryCertification(WireModel):
    type: CertificationType
    program_basis: ProgramBasis
    agency_code: str
    agency_name: str
    certificate_number: str
    effective_date: date
    expiration_date: date


class DirectoryEntry(WireModel):
    vendor_id: uuid.UUID
    vendor_number: str
    legal_name: str
    dba_names: list[str]
    entity_type: EntityType
    size_class: SizeClass | None
    location: DirectoryLocation | None = Field(description="Of the physical address.")
    contact: DirectoryContact | None
    commodity_codes: list[CommodityCode]
    certifications: list[DirectoryCertification] = Field(
        description="Verified certificates valid today (City of Los Angeles time)."
    )


class DirectoryPage(Page[DirectoryEntry]):
    pass
