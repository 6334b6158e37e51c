"""The registry of a scaled dataset: the demo generator's Los Angeles firms, with how much each sells.

A few firms take most of the City's spend: each active firm gets a lognormal weight (a heavy tail:
with sigma 2, the top 1% of firms hold about a third of the weight), from which its share of the spend,
its chance of bidding and its number of payment lines follow.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date

from services.vendors.contracts import CertificationStatus, VendorStatus
from services.vendors.demo import DemoData

WEIGHT_SIGMA = 2.0
# Statuses under which a certificate counted on its dates (revoked and superseded ones until `ended_on`).
_ONCE_VERIFIED = {
    CertificationStatus.verified.value,
    CertificationStatus.revoked.value,
    CertificationStatus.superseded.value,
}


@dataclass
class Certificate:
    type: str
    effective: date
    expiration: date
    ended_on: date | None

    def valid_on(self, day: date) -> bool:
        return self.effective <= day <= self.expiration and (self.ended_on is None or day < self.ended_on)


@dataclass
class Firm:
    id: uuid.UUID
    vendor_number: str
    weight: float
    nigp: list[str]
    certificates: list[Certificate] = field(default_factory=list)

    def certified_on(self, day: date) -> list[str]:
        return sorted({c.type for c in self.certificates if c.valid_on(day)})


def active_firms(data: DemoData, rng: random.Random) -> list[Firm]:
    """The active vendors of `data`, in registration order, each with its weight, codes and certificates."""
    codes: dict[uuid.UUID, list[str]] = {}
    for code in data.commodity_codes:
        if code["scheme"] == "nigp":
            codes.setdefault(code["vendor_id"], []).append(code["code"])
    certificates: dict[uuid.UUID, list[Certificate]] = {}
    for row in data.certifications:
        if row["status"] in _ONCE_VERIFIED:
            certificates.setdefault(row["vendor_id"], []).append(
                Certificate(row["type"], row["effective_date"], row["expiration_date"], row["ended_on"])
            )
    return [
        Firm(
            id=vendor["id"],
            vendor_number=vendor["vendor_number"],
            weight=rng.lognormvariate(0.0, WEIGHT_SIGMA),
            nigp=codes.get(vendor["id"], []),
            certificates=certificates.get(vendor["id"], []),
        )
        for vendor in data.vendors
        if vendor["status"] == VendorStatus.active.value
    ]


def detailed_codes(code: str) -> list[str]:
    """Three class-item-group codes under a class-item (620-80 → 620-80-21, …), always the same ones,
    so that spend reports have a third level to group by. A code already that deep is kept."""
    if code.count("-") >= 2:
        return [code]
    digits = int(code.replace("-", ""))
    return [f"{code}-{10 + (digits * 7 + step * 31) % 89:02d}" for step in range(3)]
