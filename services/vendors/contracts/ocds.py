"""Wire models of the OCDS 1.1 publication: release packages, record packages and what they hold.

These follow the Open Contracting Data Standard, not the API's own conventions: field names are
camelCase as the standard spells them, and amounts are JSON numbers, because OCDS consumers and the
official validator expect exactly that. Only the fields the City publishes are modelled; absent
values are left out of the documents rather than sent as null.

Extensions used: bids (`bids.statistics`, `bids.details`, `awards.relatedBid`) and organization
classification (`parties.details.classifications`, where suppliers' certifications appear under the
scheme `USA-LA-CERT`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import ConfigDict, Field, PlainSerializer, WithJsonSchema

from services.common.wire import Count, WireModel

__all__ = [
    "OcdsAmendment",
    "OcdsAward",
    "OcdsBid",
    "OcdsBids",
    "OcdsClassification",
    "OcdsContract",
    "OcdsIdentifier",
    "OcdsImplementation",
    "OcdsItem",
    "OcdsLinks",
    "OcdsOrganizationReference",
    "OcdsParty",
    "OcdsPartyDetails",
    "OcdsPeriod",
    "OcdsPublisher",
    "OcdsRecord",
    "OcdsRecordPackage",
    "OcdsRelease",
    "OcdsReleasePackage",
    "OcdsStatistic",
    "OcdsTender",
    "OcdsTransaction",
    "OcdsUnit",
    "OcdsValue",
]

# OCDS amounts are JSON numbers. Stored amounts have two decimals and at most 14 digits before the
# point; a double keeps every such amount below 10^13 exactly as its shortest decimal form.
OcdsNumber = Annotated[
    Decimal,
    PlainSerializer(float, return_type=float),
    WithJsonSchema({"type": "number"}),
]


class OcdsModel(WireModel):
    model_config = ConfigDict(extra="forbid")


class OcdsValue(OcdsModel):
    amount: OcdsNumber
    currency: str = Field(description="ISO 4217, e.g. `USD`.")


class OcdsPeriod(OcdsModel):
    startDate: datetime | None = None
    endDate: datetime | None = None


class OcdsIdentifier(OcdsModel):
    scheme: str
    id: str
    legalName: str | None = None


class OcdsClassification(OcdsModel):
    scheme: str = Field(
        description="For items: `NIGP`, `UNSPSC` or `NAICS`. For parties: `USA-LA-CERT`, the "
        "certifications the City recognises, by programme code (`MBE`, `WBE`, `LBE`…)."
    )
    id: str
    description: str | None = None
    uri: str | None = None


class OcdsPartyDetails(OcdsModel):
    classifications: list[OcdsClassification] = Field(
        description="Organization classification extension: the certifications valid on the release's "
        "date (Los Angeles calendar day)."
    )


class OcdsParty(OcdsModel):
    id: str = Field(description="`DEPT-<code>` for City departments, the vendor number for vendors.")
    name: str
    identifier: OcdsIdentifier | None = None
    roles: list[str] = Field(
        description="buyer, procuringEntity, payer (departments); tenderer, supplier, payee (vendors)."
    )
    details: OcdsPartyDetails | None = Field(
        default=None,
        description="Absent for departments, and for a vendor holding no certification valid on the "
        "release's date.",
    )


class OcdsOrganizationReference(OcdsModel):
    id: str
    name: str


class OcdsUnit(OcdsModel):
    name: str


class OcdsItem(OcdsModel):
    id: str
    description: str
    classification: OcdsClassification
    additionalClassifications: list[OcdsClassification] | None = None
    quantity: OcdsNumber
    unit: OcdsUnit


class OcdsAmendment(OcdsModel):
    id: str
    date: datetime
    description: str
    rationale: str | None = None


class OcdsTender(OcdsModel):
    id: str = Field(description="The solicitation's reference, e.g. `IFB-2026-0001`.")
    title: str | None = None
    description: str | None = None
    status: str | None = Field(default=None, description="active, complete, cancelled, unsuccessful.")
    procuringEntity: OcdsOrganizationReference | None = None
    items: list[OcdsItem] | None = None
    value: OcdsValue | None = None
    procurementMethod: str | None = Field(
        default=None, description="open (IFB, RFP, RFQ), direct (sole source, cooperative)."
    )
    procurementMethodDetails: str | None = None
    mainProcurementCategory: str | None = None
    awardCriteria: str | None = None
    submissionMethod: list[str] | None = None
    tenderPeriod: OcdsPeriod | None = None
    enquiryPeriod: OcdsPeriod | None = None
    numberOfTenderers: Count | None = None
    tenderers: list[OcdsOrganizationReference] | None = None
    amendments: list[OcdsAmendment] | None = Field(default=None, description="The addenda.")


class OcdsStatistic(OcdsModel):
    id: str
    measure: str = Field(
        description="bids, bidders, validBids, disqualifiedBids, lowestValidBidValue, "
        "highestValidBidValue, and certified<Type>Bids (e.g. certifiedMbeBids, certifiedLbeBids)."
    )
    value: OcdsNumber
    currency: str | None = None
    date: datetime | None = None
    notes: str | None = None


class OcdsBid(OcdsModel):
    id: str
    date: datetime | None = None
    status: str | None = Field(default=None, description="valid, or disqualified (nonresponsive).")
    tenderers: list[OcdsOrganizationReference] | None = None
    value: OcdsValue | None = None


class OcdsBids(OcdsModel):
    """Bids extension. Before the public opening there are no details, and statistics only when the
    solicitation discloses its bid count; nothing about prices."""

    statistics: list[OcdsStatistic] | None = None
    details: list[OcdsBid] | None = None


class OcdsAward(OcdsModel):
    id: str
    title: str | None = None
    status: str | None = Field(default=None, description="pending, active, cancelled, unsuccessful.")
    date: datetime | None = None
    value: OcdsValue | None = None
    suppliers: list[OcdsOrganizationReference] | None = None
    relatedBid: str | None = Field(default=None, description="Bids extension: the id of the awarded bid.")


class OcdsTransaction(OcdsModel):
    id: str
    date: datetime | None = None
    value: OcdsValue | None = None
    payer: OcdsOrganizationReference | None = None
    payee: OcdsOrganizationReference | None = None


class OcdsImplementation(OcdsModel):
    transactions: list[OcdsTransaction] | None = None


class OcdsContract(OcdsModel):
    id: str
    awardID: str
    title: str | None = None
    description: str | None = None
    status: str | None = Field(default=None, description="pending, active, terminated.")
    period: OcdsPeriod | None = None
    value: OcdsValue | None = None
    dateSigned: datetime | None = None
    amendments: list[OcdsAmendment] | None = None
    implementation: OcdsImplementation | None = Field(
        default=None, description="`transactions`: the City's payments on the contract."
    )


class OcdsRelease(OcdsModel):
    ocid: str
    id: str = Field(description="Unique within the ocid; e.g. `<ocid>-tender`, `<ocid>-addendum-2`.")
    date: datetime
    tag: list[str]
    initiationType: str
    language: str | None = None
    parties: list[OcdsParty] | None = None
    buyer: OcdsOrganizationReference | None = None
    tender: OcdsTender | None = None
    bids: OcdsBids | None = None
    awards: list[OcdsAward] | None = None
    contracts: list[OcdsContract] | None = None


class OcdsPublisher(OcdsModel):
    name: str
    uri: str | None = None


class OcdsLinks(OcdsModel):
    next: str | None = Field(default=None, description="The next page of the same query; absent on the last.")


class OcdsReleasePackage(OcdsModel):
    uri: str
    version: str = "1.1"
    extensions: list[str]
    publishedDate: datetime
    publisher: OcdsPublisher
    license: str | None = None
    publicationPolicy: str | None = None
    releases: list[OcdsRelease]
    links: OcdsLinks | None = None


class OcdsRecord(OcdsModel):
    ocid: str
    releases: list[OcdsRelease] = Field(description="Every release of the process, oldest first.")
    compiledRelease: OcdsRelease = Field(description="The current state: the releases merged by OCDS rules.")


class OcdsRecordPackage(OcdsModel):
    uri: str
    version: str = "1.1"
    extensions: list[str]
    publishedDate: datetime
    publisher: OcdsPublisher
    license: str | None = None
    publicationPolicy: str | None = None
    records: list[OcdsRecord]
