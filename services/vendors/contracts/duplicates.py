"""Wire models of duplicate detection and merging."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from services.common.wire import Count, WireModel
from services.vendors.contracts.patterns import FILLED_TEXT
from services.vendors.contracts.registry import Vendor, VendorStatus

__all__ = [
    "MAX_CANDIDATES",
    "DuplicateCandidate",
    "DuplicateCandidateList",
    "DuplicateReason",
    "DuplicateReasonCode",
    "TaxProfileMergeOutcome",
    "VendorMerge",
    "VendorMergeResult",
]


# The most candidates a request may ask for (`limit`).
MAX_CANDIDATES = 100


class DuplicateReasonCode(StrEnum):
    same_tin = "same_tin"
    similar_name = "similar_name"
    same_address = "same_address"
    same_phone = "same_phone"
    same_email = "same_email"


class DuplicateReason(WireModel):
    code: DuplicateReasonCode
    weight: float = Field(ge=0, le=1, description="How much this reason alone says the two are one firm.")
    detail: str = Field(description="What matched, for a person deciding whether to merge.")


class DuplicateCandidate(WireModel):
    vendor_id: uuid.UUID
    vendor_number: str
    legal_name: str
    status: VendorStatus
    score: float = Field(
        ge=0,
        le=1,
        description="1.0 for the same TIN; otherwise the reasons' weights combined as independent evidence "
        "(1 - Π(1 - weight)), so each further reason raises it.",
    )
    reasons: list[DuplicateReason] = Field(description="Strongest first.")


class DuplicateCandidateList(WireModel):
    """The best candidates first, at most `limit` of them; not paged: past the first few, candidates
    are rarely duplicates."""

    items: list[DuplicateCandidate] = Field(max_length=MAX_CANDIDATES)


class VendorMerge(WireModel):
    model_config = ConfigDict(extra="forbid")

    survivor_id: uuid.UUID = Field(description="The vendor that remains and absorbs this one.")
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=FILLED_TEXT)
    ]


class TaxProfileMergeOutcome(StrEnum):
    """`none`: the merged vendor had no tax profile. `moved`: it moved to the survivor, which had none.
    `duplicate_removed`: both had the same TIN and the merged vendor's copy was deleted."""

    none = "none"
    moved = "moved"
    duplicate_removed = "duplicate_removed"


class VendorMergeResult(WireModel):
    merged: Vendor = Field(description="The merged vendor, now `merged` and pointing at the survivor.")
    survivor: Vendor
    certifications_moved: Count = Field(description="Certifications now held by the survivor.")
    certifications_kept: Count = Field(
        description="Certificates the survivor already held (same type, agency and number): they stay with "
        "the merged vendor as history."
    )
    tax_profile: TaxProfileMergeOutcome
