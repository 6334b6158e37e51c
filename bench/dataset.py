"""Realistic vendors for the benchmark, loaded in bulk with COPY.

Every generated vendor passes through the registry's own wire model (`VendorCreate`), so it is valid and
canonical exactly as the API would store it; the derived columns (`normalized_name`, `search_text`) come
from the registry's name rules, the vendor numbers from its sequence. A vendor's status is reached
through the lifecycle's legal moves, and each create and move leaves the audit event the API writes.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import Table

from services.common.clock import utcnow
from services.common.db import new_id
from services.vendors.contracts import Vendor, VendorCreate, VendorStatus
from services.vendors.db import audit
from services.vendors.registry.models import VendorCommodityRow, VendorRow, vendor_number_sequence
from services.vendors.registry.names import normalize_name

LOADER_ACTOR = "cityops-bench-loader"

# Trade → (NIGP class-items, NAICS codes) the City would register such a firm under.
TRADES: dict[str, tuple[list[str], list[str]]] = {
    "Construction": (["909-10", "912-16", "912-49"], ["236220"]),
    "Electric": (["910-27", "914-31"], ["238210"]),
    "Plumbing": (["914-65", "910-62"], ["238220"]),
    "Mechanical and HVAC": (["914-44", "910-36"], ["238220"]),
    "Roofing": (["914-69", "910-74"], ["238160"]),
    "Paving": (["913-50", "968-63"], ["237310"]),
    "Landscaping": (["988-03", "988-52"], ["561730"]),
    "Janitorial Services": (["910-39", "910-40"], ["561720"]),
    "Engineering": (["925-20", "925-33", "925-45"], ["541330"]),
    "Architects": (["906-06", "906-18"], ["541310"]),
    "IT Consulting": (["918-75", "920-45", "208-80"], ["541512"]),
    "Office Supply": (["615-20", "620-80", "620-85"], ["424120"]),
    "Fleet Services": (["928-73", "060-35"], ["811111"]),
    "Security": (["990-46", "990-78"], ["561612"]),
    "Environmental": (["926-30", "962-38"], ["562910"]),
    "Printing": (["966-54", "966-70"], ["323111"]),
    "Catering": (["961-15", "375-10"], ["722320"]),
    "Traffic Control": (["550-78", "968-85"], ["238990"]),
    "Staffing": (["962-48", "918-32"], ["561320"]),
    "Translation Services": (["961-76"], ["541930"]),
}
SURNAMES = [
    "Garcia", "Hernandez", "Nguyen", "Kim", "Lee", "Martinez", "Lopez", "Patel", "Chen", "Johnson",
    "Washington", "Okafor", "Gonzalez", "Rivera", "Tanaka", "Park", "Sanchez", "Ramirez", "Cohen", "Davis",
    "Flores", "Avakian", "Torres", "Wong", "Jackson", "Reyes", "Morales", "Singh", "Castillo", "Brown",
]  # fmt: skip
PLACES = [
    "Pacific", "Angeles", "Sunset", "Harbor", "Valley", "Eastside", "Boyle Heights", "Crenshaw",
    "Wilshire", "Mission", "Golden State", "Los Feliz", "Arroyo", "San Pedro", "Echo Park", "Westlake",
    "Figueroa", "Olympic", "Civic Center", "Lincoln Heights", "Vernon", "Sepulveda", "Baldwin Hills",
]  # fmt: skip
# (legal-name suffix, entity type)
FORMS = [
    ("Inc.", "corporation"), ("Corp.", "corporation"), ("Incorporated", "corporation"),
    ("LLC", "llc"), ("L.L.C.", "llc"), ("LLP", "partnership"), ("& Sons", "sole_proprietorship"),
    ("Group", "llc"), ("Co.", "corporation"), ("Cooperative", "nonprofit"), ("JV", "joint_venture"),
]  # fmt: skip
# (city, ZIP codes) across Los Angeles and its neighbours.
CITIES = [
    ("Los Angeles", ["90012", "90013", "90015", "90021", "90031", "90033", "90037", "90043", "90065"]),
    ("San Pedro", ["90731", "90732"]), ("Van Nuys", ["91401", "91405", "91406"]),
    ("Pasadena", ["91101", "91106"]), ("Long Beach", ["90802", "90813"]), ("Glendale", ["91203", "91204"]),
    ("Burbank", ["91502", "91505"]), ("Inglewood", ["90301", "90302"]), ("Torrance", ["90501", "90503"]),
    ("Compton", ["90220", "90221"]), ("El Monte", ["91731", "91732"]), ("Santa Monica", ["90401", "90404"]),
]  # fmt: skip
STREETS = [
    "W Olympic Blvd", "S Figueroa St", "N Broadway", "E 1st St", "Wilshire Blvd", "S Central Ave",
    "N Spring St", "Sunset Blvd", "Crenshaw Blvd", "Van Nuys Blvd", "S Alameda St", "W Temple St",
]  # fmt: skip
FIRST_NAMES = [
    "Maria", "Jose", "Wei", "Aisha", "James", "Linh", "Carlos", "Priya", "David", "Keiko", "Andre",
    "Sofia", "Hyun", "Fatima", "Miguel", "Grace", "Tunde", "Rosa", "Armen", "Nadia",
]  # fmt: skip
AREA_CODES = ["213", "323", "310", "818", "626", "562", "424"]
# SAM's Unique Entity ID: 12 characters, no I or O, and no leading zero.
UEI_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
UEI_FIRST = UEI_ALPHABET.replace("0", "")
# Target status → the moves the lifecycle needs from `draft`, with the reason the moves require.
PATHS: dict[VendorStatus, list[VendorStatus]] = {
    VendorStatus.draft: [],
    VendorStatus.submitted: [VendorStatus.submitted],
    VendorStatus.active: [VendorStatus.submitted, VendorStatus.active],
    VendorStatus.inactive: [VendorStatus.submitted, VendorStatus.active, VendorStatus.inactive],
    VendorStatus.suspended: [VendorStatus.submitted, VendorStatus.active, VendorStatus.suspended],
    VendorStatus.debarred: [VendorStatus.submitted, VendorStatus.active, VendorStatus.debarred],
}
STATUS_WEIGHTS = {
    VendorStatus.active: 70,
    VendorStatus.inactive: 9,
    VendorStatus.submitted: 8,
    VendorStatus.draft: 7,
    VendorStatus.suspended: 5,
    VendorStatus.debarred: 1,
}
REASONS = {
    VendorStatus.suspended: "Insurance certificate expired; suspended until a current one is filed.",
    VendorStatus.debarred: "Debarred by the Board of Public Works after a finding of non-responsibility.",
}


VENDORS_TABLE: Table = VendorRow.__table__  # type: ignore[attr-defined]
COMMODITIES_TABLE: Table = VendorCommodityRow.__table__  # type: ignore[attr-defined]
VENDOR_JSONB_COLUMNS = {"dba_names", "identifiers", "addresses", "contacts"}


class VendorFactory:
    """Deterministic (seeded) realistic vendor registrations, as a client would send them."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def registration(self) -> VendorCreate:
        rng = self.rng
        trade = rng.choice(list(TRADES))
        suffix, entity_type = rng.choice(FORMS)
        owner = rng.choice(SURNAMES + PLACES)
        legal_name = f"{owner} {trade} {suffix}"
        slug = "".join(ch for ch in f"{owner}{trade}".lower() if ch.isalnum())[:24]
        nigp, naics = TRADES[trade]
        codes = [{"scheme": "nigp", "code": code} for code in rng.sample(nigp, rng.randint(1, len(nigp)))]
        codes += [{"scheme": "naics", "code": code} for code in naics]
        return VendorCreate.model_validate(
            {
                "legal_name": legal_name,
                "dba_names": [f"{owner} {trade}"] if rng.random() < 0.15 else [],
                "entity_type": entity_type,
                "identifiers": self._identifiers(),
                "addresses": self._addresses(),
                "contacts": self._contacts(slug),
                "commodity_codes": codes,
                "size_class": rng.choice(["micro", "small", "small", "medium", "large", None]),
            }
        )

    def status(self) -> VendorStatus:
        return self.rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]

    def _identifiers(self) -> list[dict[str, str]]:
        rng = self.rng
        identifiers = [
            {"scheme": "LA-BTRC", "id": f"{rng.randrange(10**9, 10**10)}-0001-{rng.randint(1, 9)}"}
        ]
        if rng.random() < 0.6:
            uei = rng.choice(UEI_FIRST) + "".join(rng.choices(UEI_ALPHABET, k=11))
            identifiers.append({"scheme": "US-UEI", "id": uei})
        if rng.random() < 0.3:
            identifiers.append({"scheme": "CA-CSLB", "id": str(rng.randrange(100_000, 1_100_000))})
        return identifiers

    def _addresses(self) -> list[dict[str, str | None]]:
        rng = self.rng
        city, zips = rng.choice(CITIES)
        physical = {
            "kind": "physical",
            "line1": f"{rng.randint(100, 9999)} {rng.choice(STREETS)}",
            "line2": rng.choice([None, None, f"Suite {rng.randint(100, 950)}"]),
            "city": city,
            "region": "CA",
            "postal_code": rng.choice(zips),
        }
        if rng.random() < 0.25:
            mailing = {"kind": "mailing", "line1": f"PO Box {rng.randint(1000, 99999)}", "city": city}
            return [physical, {**mailing, "region": "CA", "postal_code": rng.choice(zips)}]
        return [physical]

    def _contacts(self, slug: str) -> list[dict[str, str]]:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        # 555-01xx numbers are reserved for fiction: nobody real gets called.
        phone = f"({rng.choice(AREA_CODES)}) 555-01{rng.randint(0, 99):02d}"
        contacts = [
            {"role": "primary", "name": f"{first} {last}", "email": f"{first}@{slug}.com", "phone": phone}
        ]
        if rng.random() < 0.4:
            contacts.append({"role": "billing", "name": "Accounts Receivable", "email": f"ar@{slug}.com"})
        return contacts


@dataclass
class Batch:
    """The rows of a batch of vendors, per table, as dicts keyed by column name."""

    vendors: list[dict[str, Any]] = field(default_factory=list)
    commodities: list[dict[str, Any]] = field(default_factory=list)
    audit_events: list[dict[str, Any]] = field(default_factory=list)


def build_vendor(
    batch: Batch, data: VendorCreate, status: VendorStatus, vendor_number: str, now: datetime
) -> None:
    """Adds one vendor, its codes and its audit trail to `batch`, as create + transitions would."""
    vendor_id = new_id()
    moves = PATHS[status]
    row = {
        **data.model_dump(mode="json", exclude={"commodity_codes"}),
        "normalized_name": normalize_name(data.legal_name),
        "search_text": " ".join(normalize_name(name) for name in [data.legal_name, *data.dba_names]),
        "id": vendor_id,
        "vendor_number": vendor_number,
        "status": status.value,
        "merged_into_id": None,
        "version": 1 + len(moves),
        "created_at": now,
        "updated_at": now,
    }
    batch.vendors.append(row)
    batch.commodities += [
        {"vendor_id": vendor_id, "scheme": c.scheme.value, "code": c.code} for c in data.commodity_codes
    ]
    created = Vendor.model_validate(
        {**row, "status": VendorStatus.draft, "version": 1, "commodity_codes": data.commodity_codes}
    )
    snapshot = created.model_dump(mode="json", exclude={"id", "version", "created_at", "updated_at"})
    batch.audit_events.append(_audit_event(vendor_id, "create", snapshot, None, now))
    previous = VendorStatus.draft
    for move in moves:
        changes = {"status": [previous.value, move.value]}
        batch.audit_events.append(
            _audit_event(vendor_id, f"transition:{move.value}", changes, REASONS.get(move), now)
        )
        previous = move


def _audit_event(
    vendor_id: uuid.UUID, action: str, changes: dict[str, Any], reason: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "occurred_at": now,
        "actor": LOADER_ACTOR,
        "action": action,
        "entity": "vendor",
        "entity_id": str(vendor_id),
        "changes": changes,
        "reason": reason,
        "request_id": None,
    }


def _records(rows: list[dict[str, Any]], jsonb: set[str]) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """COPY wants tuples in a column order; JSONB values go as their JSON text."""
    columns = list(rows[0])
    return columns, (
        tuple(json.dumps(row[column]) if column in jsonb else row[column] for column in columns)
        for row in rows
    )


async def _copy(
    connection: asyncpg.Connection, table: Table, rows: list[dict[str, Any]], jsonb: set[str]
) -> None:
    if not rows:
        return
    columns, records = _records(rows, jsonb)
    await connection.copy_records_to_table(
        table.name, schema_name=table.schema, columns=columns, records=records
    )


async def _vendor_numbers(connection: asyncpg.Connection, count: int) -> list[str]:
    sequence = f"{vendor_number_sequence.schema}.{vendor_number_sequence.name}"
    numbers = await connection.fetch(
        "SELECT nextval($1::regclass) FROM generate_series(1, $2)", sequence, count
    )
    return [f"VND-{row[0]:06d}" for row in numbers]


async def load_vendors(database_url: str, count: int, *, seed: int = 20261122) -> list[uuid.UUID]:
    """Loads `count` vendors in one transaction (all or nothing) and analyses the tables; returns ids."""
    factory = VendorFactory(seed)
    batch = Batch()
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            now = utcnow()
            for number in await _vendor_numbers(connection, count):
                build_vendor(batch, factory.registration(), factory.status(), number, now)
            await _copy(connection, VENDORS_TABLE, batch.vendors, VENDOR_JSONB_COLUMNS)
            await _copy(connection, COMMODITIES_TABLE, batch.commodities, set())
            await _copy(connection, audit.table, batch.audit_events, {"changes"})
        # Fresh statistics, as autovacuum would gather them, so that plans are those of a live registry.
        for table in (VENDORS_TABLE, COMMODITIES_TABLE, audit.table):
            await connection.execute(f'ANALYZE "{table.schema}"."{table.name}"')
    finally:
        await connection.close()
    return [row["id"] for row in batch.vendors]
