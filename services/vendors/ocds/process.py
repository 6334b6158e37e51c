"""The rows of one contracting process, as the releases read them (`ProcessReleases`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from services.vendors.agreements.repository import AmendmentRecord, ContractRecord
from services.vendors.ocds.repository import (
    CertificateRecord,
    FirstPaymentRecord,
    ProcessAwardRecord,
    ProcessBidRecord,
    ProcessPaymentRecord,
    ProcessSolicitationRecord,
)
from services.vendors.solicitations.repository import AddendumRecord

# Opened bids' statuses, as OCDS codes them.
OPENED_BID_STATUSES = {"opened": "valid", "nonresponsive": "disqualified"}

# (vendor id, Los Angeles day) → the certifications valid that day.
Certificates = dict[tuple[uuid.UUID, date], list[CertificateRecord]]


class VendorNamed(Protocol):
    """A row that names its vendor: a bid, an award, a payment."""

    @property
    def vendor_id(self) -> uuid.UUID: ...
    @property
    def vendor_number(self) -> str: ...
    @property
    def vendor_name(self) -> str: ...


@dataclass
class Process:
    """The rows of one contracting process that its releases are made of."""

    solicitation: ProcessSolicitationRecord
    addenda: list[AddendumRecord] = field(default_factory=list)
    bids: list[ProcessBidRecord] = field(default_factory=list)
    awards: list[ProcessAwardRecord] = field(default_factory=list)
    contracts: list[ContractRecord] = field(default_factory=list)
    amendments: list[AmendmentRecord] = field(default_factory=list)
    # Only the payments whose releases are being built; `first_payments` gives everyone's roles.
    payments: dict[uuid.UUID, ProcessPaymentRecord] = field(default_factory=dict)
    first_payments: list[FirstPaymentRecord] = field(default_factory=list)

    @property
    def ocid(self) -> str:
        return self.solicitation.ocid

    def opened_by(self, at: datetime) -> bool:
        opened_at = self.solicitation.opened_at
        return opened_at is not None and opened_at <= at

    def opened_bids(self) -> list[ProcessBidRecord]:
        return [bid for bid in self.bids if bid.status in OPENED_BID_STATUSES]
