"""Demo data: a registry of Los Angeles vendors, as BAVN (the City's procurement storefront) would hold.

`load_demo_data(url)` writes 300 vendors (or `scale`) with their commodity codes and certifications from
the real certifying agencies: most current, some expiring within weeks, some already expired, some
renewed, a few pending, rejected or revoked. Everything comes from one seeded random generator, so two
loads on the same day write the same firms; dates are relative to the day of the load, so there is
always something about to expire.

It is a loader: it writes the service's tables directly, in one transaction with COPY, and does nothing
(returning 0) when the registry already holds vendors. Every vendor still passes through the API's own
wire model (`VendorCreate`) and name derivation, and every certificate through `CertificationCreate`,
so the data obeys the rules the API enforces.
"""

from __future__ import annotations

import itertools
import json
import random
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.common.clock import CITY_TIME_ZONE, city_today, utcnow
from services.common.db import create_engine, new_id
from services.vendors.certifications.models import CertificationRow
from services.vendors.contracts import (
    CertificationCreate,
    CertificationStatus,
    CertificationType,
    CommodityScheme,
    EntityType,
    VendorCreate,
    VendorStatus,
)
from services.vendors.db import SCHEMA, audit
from services.vendors.registry.models import VendorCommodityRow, VendorRow, vendor_number_sequence
from services.vendors.registry.names import normalize_name
from services.vendors.registry.service import derived_name_fields

DEFAULT_VENDORS = 300
SEED = 20_170_301  # fixed: the same firms on every machine
# Serialises concurrent loaders (two processes starting at once) on the empty-registry check.
ADVISORY_LOCK = 7_302_017_301


@dataclass(frozen=True)
class Trade:
    nouns: tuple[str, ...]
    nigp: tuple[str, ...]
    naics: tuple[str, ...]
    unspsc: tuple[str, ...]
    licensed: bool = False  # a CSLB contractor on public works (CA-CSLB and CA-DIR numbers)


TRADES: tuple[Trade, ...] = (
    Trade(("Construction", "Builders", "General Contractors"), ("909-06", "909-26", "914-45"), ("236220", "236210"), ("72121400", "72121000"), True),
    Trade(("Electric", "Electrical Contractors", "Power Systems"), ("914-32", "285-76"), ("238210",), ("72151500",), True),
    Trade(("Plumbing", "Mechanical", "Heating & Air"), ("914-67", "031-48", "670-00"), ("238220",), ("72151300", "72151200"), True),
    Trade(("Paving", "Engineering Contractors", "Concrete"), ("913-42", "745-07", "913-69"), ("237310", "238110"), ("72141100",), True),
    Trade(("Janitorial Services", "Building Maintenance", "Facility Services"), ("910-39", "910-40", "485-00"), ("561720",), ("76111500",)),
    Trade(("Landscaping", "Tree Care", "Grounds Management"), ("988-53", "988-76", "328-00"), ("561730",), ("70111700", "70111500")),
    Trade(("Technology", "Software", "Data Systems"), ("920-45", "208-00", "920-67"), ("541511", "541512"), ("81111500", "43232300")),
    Trade(("Office Supply", "Business Products"), ("615-00", "615-49", "620-80"), ("424120",), ("44121600", "44121700")),
    Trade(("Printing", "Graphics", "Print & Mail"), ("966-61", "966-00"), ("323111",), ("82121500",)),
    Trade(("Security", "Patrol Services", "Protective Services"), ("990-70", "990-00"), ("561612",), ("92121500",)),
    Trade(("Engineering", "Consulting Engineers", "Structural Engineering"), ("925-37", "925-00", "906-00"), ("541330", "541310"), ("81101500",)),
    Trade(("Environmental", "Environmental Consulting", "Remediation"), ("926-31", "926-00", "961-15"), ("541620", "562910"), ("77101500",)),
    Trade(("Trucking", "Hauling", "Logistics"), ("962-27", "962-00"), ("484110", "484220"), ("78101800",)),
    Trade(("Catering", "Food Services", "Kitchen"), ("952-27", "375-00"), ("722320",), ("90101600",)),
    Trade(("Fleet Services", "Auto Parts", "Truck Repair"), ("060-00", "928-38", "071-00"), ("811111", "441330"), ("25172000", "78181500")),
    Trade(("Medical Supply", "Safety Products"), ("465-00", "680-00"), ("423450",), ("42131600", "46181500")),
    Trade(("Consulting", "Strategies", "Management Partners"), ("918-75", "918-00"), ("541611", "541618"), ("80101500",)),
    Trade(("Uniforms", "Apparel", "Workwear"), ("200-00", "200-64"), ("424350", "315250"), ("53102700",)),
    Trade(("Signs", "Traffic Control", "Striping"), ("550-00", "550-79", "913-81"), ("339950", "237310"), ("55121700",), True),
    Trade(("Staffing", "Workforce Solutions", "Personnel"), ("961-62", "918-32"), ("561320",), ("80111600",)),
    Trade(("Translation", "Language Services", "Interpreting"), ("961-75",), ("541930",), ("82111900",)),
)  # fmt: skip

PLACES = (
    "Angeles", "Pacific", "Westside", "Eastside", "Harbor", "Crenshaw", "Valley", "Wilshire", "Sunset",
    "Figueroa", "Alameda", "Olympic", "Arroyo", "Griffith", "Mulholland", "Topanga", "Sepulveda",
    "Golden State", "SoCal", "Southland", "Basin", "Mesa", "Los Feliz", "Elysian", "San Gabriel",
    "Verdugo", "Baldwin", "Leimert", "Chavez Ravine", "Silver Lake", "Echo Park", "Boyle Heights",
    "Lincoln Heights", "Highland Park", "Civic Center", "Arts District", "Little Tokyo", "Koreatown",
    "Sun Valley", "Van Nuys", "Pacoima", "San Pedro", "Wilmington", "Watts", "Vermont", "Slauson",
)  # fmt: skip
SURNAMES = (
    "Garcia", "Hernandez", "Martinez", "Lopez", "Gonzalez", "Rodriguez", "Sanchez", "Ramirez", "Torres",
    "Flores", "Rivera", "Gomez", "Diaz", "Cruz", "Morales", "Reyes", "Gutierrez", "Ortiz", "Castillo",
    "Vargas", "Mendoza", "Aguilar", "Nguyen", "Tran", "Pham", "Le", "Kim", "Park", "Lee", "Choi", "Chen",
    "Wong", "Liu", "Huang", "Yamamoto", "Tanaka", "Nakamura", "Patel", "Shah", "Singh", "Khan", "Johnson",
    "Williams", "Brown", "Jackson", "Washington", "Davis", "Harris", "Robinson", "Cohen", "Levy",
    "Friedman", "Avakian", "Petrosyan", "Sarkisian", "Hakobyan", "Okafor", "Adeyemi", "Mensah",
    "Santos", "Bautista", "Dela Cruz", "Abad", "Murphy", "O'Brien", "Sullivan", "Rossi", "Haddad",
)  # fmt: skip
FIRST_NAMES = (
    "Maria", "Jose", "Ana", "Luis", "Carmen", "Miguel", "Rosa", "Jorge", "Lucia", "Carlos", "Linh", "Minh",
    "Ji-woo", "Min-jun", "Soo-jin", "Wei", "Mei", "Hiroshi", "Yuki", "Priya", "Raj", "Aisha", "Omar",
    "James", "Michael", "Jennifer", "Patricia", "David", "Angela", "Denise", "Marcus", "Keisha", "Tanya",
    "Andre", "Sarah", "Rachel", "Daniel", "Armen", "Ani", "Narek", "Chinedu", "Ngozi", "Kwame", "Grace",
    "Teresa", "Ramon", "Elena", "Victor", "Sofia", "Diego", "Isabel", "Kevin", "Michelle", "Brian",
)  # fmt: skip
QUALIFIERS = (
    "West", "East", "North", "South", "Metro", "United", "Premier", "First", "Allied", "Coastal",
    "Summit", "Union", "Heritage", "Pioneer", "Sierra", "Bay", "Central", "Citywide", "Regional",
)  # fmt: skip
NONPROFIT_NOUNS = (
    "Community Development Corporation", "Workforce Partners", "Youth Services", "Conservation Corps",
    "Community Builders", "Neighborhood Services", "Job Training Center", "Community Enterprises",
)  # fmt: skip

# (city, ZIP codes): City of Los Angeles neighbourhoods by their postal city, then County cities,
# then a few firms from elsewhere in California and beyond.
LOCATIONS_CITY = (
    ("Los Angeles", ("90012", "90013", "90014", "90015", "90017", "90021", "90033", "90031", "90042",
                     "90005", "90010", "90020", "90028", "90002", "90011", "90037", "90044", "90045",
                     "90025", "90041", "90019", "90065", "90023", "90058")),
    ("Van Nuys", ("91401", "91405", "91406")),
    ("North Hollywood", ("91601", "91605")),
    ("Sun Valley", ("91352",)),
    ("Pacoima", ("91331",)),
    ("Wilmington", ("90744",)),
    ("San Pedro", ("90731",)),
    ("Chatsworth", ("91311",)),
    ("Canoga Park", ("91303",)),
    ("Sylmar", ("91342",)),
    ("Venice", ("90291",)),
)  # fmt: skip
LOCATIONS_COUNTY = (
    ("Long Beach", ("90802", "90813")), ("Pasadena", ("91101", "91105")), ("Glendale", ("91201", "91204")),
    ("Burbank", ("91502",)), ("Inglewood", ("90301",)), ("Compton", ("90220",)), ("Torrance", ("90501",)),
    ("El Monte", ("91731",)), ("Montebello", ("90640",)), ("Vernon", ("90058",)), ("Commerce", ("90040",)),
    ("City of Industry", ("91746",)), ("Santa Fe Springs", ("90670",)), ("Gardena", ("90247",)),
    ("Carson", ("90745",)),
)  # fmt: skip
LOCATIONS_ELSEWHERE = (
    ("Irvine", "CA", "92614"), ("Sacramento", "CA", "95814"), ("Oakland", "CA", "94607"),
    ("San Diego", "CA", "92101"), ("Phoenix", "AZ", "85004"), ("Las Vegas", "NV", "89101"),
)  # fmt: skip
STREETS = (
    "S Figueroa St", "W Olympic Blvd", "Wilshire Blvd", "S Alameda St", "E 7th St", "S Broadway",
    "W Pico Blvd", "S Central Ave", "N Main St", "E Cesar E Chavez Ave", "Sunset Blvd", "Van Nuys Blvd",
    "Lankershim Blvd", "Sepulveda Blvd", "San Fernando Rd", "Crenshaw Blvd", "S Vermont Ave",
    "W Slauson Ave", "N Figueroa St", "E Washington Blvd", "S Santa Fe Ave", "Glendale Blvd",
    "Venice Blvd", "W Century Blvd", "Pacific Coast Hwy", "N Spring St", "Avalon Blvd", "E Anaheim St",
    "S Gaffey St", "Colorado Blvd", "Atlantic Blvd", "Whittier Blvd", "Foothill Blvd", "Sherman Way",
)  # fmt: skip
AREA_CODES = ("213", "323", "310", "818", "562", "626", "424", "747")

# Type → (agency, weight): who typically issues it (see the certifying agencies' reference rows).
ISSUERS: dict[CertificationType, tuple[tuple[str, int], ...]] = {
    CertificationType.mbe: (("LA-BCA", 5), ("NMSDC", 3), ("CPUC", 2)),
    CertificationType.wbe: (("LA-BCA", 5), ("WBENC", 3), ("CPUC", 2)),
    CertificationType.dbe: (("LA-BCA", 3), ("CUCP", 3), ("LA-METRO", 3), ("CALTRANS", 2)),
    CertificationType.acdbe: (("LAWA", 3), ("LA-BCA", 1)),
    CertificationType.sbe: (("LA-BCA", 3), ("LA-METRO", 2)),
    CertificationType.sb: (("CA-DGS", 1),),
    CertificationType.sb_micro: (("CA-DGS", 1),),
    CertificationType.ebe: (("LA-BCA", 1),),
    CertificationType.dvbe: (("CA-DGS", 4), ("LA-METRO", 1)),
    CertificationType.lbe: (("LA-BCA", 1),),
    CertificationType.lsb: (("LA-BCA", 1),),
    CertificationType.slbe: (("LA-BCA", 1),),
    CertificationType.lsbe: (("LACO-DCBA", 1),),
    CertificationType.se: (("LACO-DCBA", 1),),
    CertificationType.sdvosb: (("SBA", 1),),
    CertificationType.hubzone: (("SBA", 1),),
    CertificationType.wosb: (("SBA", 1),),
    CertificationType.sba_8a: (("SBA", 1),),
}
TYPE_WEIGHTS: tuple[tuple[CertificationType, int], ...] = (
    (CertificationType.sbe, 16), (CertificationType.wbe, 14), (CertificationType.mbe, 14),
    (CertificationType.lbe, 10), (CertificationType.dbe, 8), (CertificationType.sb, 8),
    (CertificationType.slbe, 6), (CertificationType.sb_micro, 5), (CertificationType.dvbe, 5),
    (CertificationType.lsbe, 5), (CertificationType.ebe, 4), (CertificationType.lsb, 3),
    (CertificationType.wosb, 3), (CertificationType.acdbe, 2), (CertificationType.sdvosb, 2),
    (CertificationType.hubzone, 2), (CertificationType.sba_8a, 2), (CertificationType.se, 1),
)  # fmt: skip
# How long a certificate runs, in days (local programmes are shorter; federal and DBE longer).
TERMS: dict[CertificationType, tuple[int, ...]] = {
    CertificationType.lbe: (365, 730),
    CertificationType.slbe: (365, 730),
    CertificationType.lsb: (365, 730),
    CertificationType.sb: (730,),
    CertificationType.sb_micro: (730,),
    CertificationType.dvbe: (730,),
}
DEFAULT_TERMS = (730, 1095)
CERTIFICATE_PREFIXES = {
    "LA-BCA": "BCA-", "LAWA": "LAWA-", "LACO-DCBA": "LSBE-", "LA-METRO": "MTA-", "CA-DGS": "",
    "CUCP": "CUCP-", "CALTRANS": "CT-", "CPUC": "VON", "SBA": "SBA-", "WBENC": "WBE", "NMSDC": "SC",
}  # fmt: skip
VENDOR_STATUSES = (
    (VendorStatus.active, 82), (VendorStatus.inactive, 5), (VendorStatus.submitted, 4),
    (VendorStatus.suspended, 4), (VendorStatus.draft, 3), (VendorStatus.debarred, 2),
)  # fmt: skip
ENTITY_TYPES = (
    (EntityType.llc, 35), (EntityType.corporation, 30), (EntityType.sole_proprietorship, 15),
    (EntityType.nonprofit, 8), (EntityType.partnership, 7), (EntityType.joint_venture, 5),
)  # fmt: skip
SIZE_CLASSES = (("micro", 35), ("small", 40), ("medium", 18), ("large", 7))
UEI_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


@dataclass
class DemoData:
    vendors: list[dict[str, Any]] = field(default_factory=list)
    commodity_codes: list[dict[str, Any]] = field(default_factory=list)
    certifications: list[dict[str, Any]] = field(default_factory=list)


class Generator:
    """Deterministic given the seed and `today`: every choice comes from one `random.Random`."""

    def __init__(self, today: date, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.now = utcnow()
        self.names: set[str] = set()
        self.certificate_numbers: set[str] = set()
        self.data = DemoData()

    def generate(self, vendor_numbers: Sequence[str]) -> DemoData:
        for number in vendor_numbers:
            self.vendor(number)
        return self.data

    def pick(self, weighted: Sequence[tuple[Any, int]]) -> Any:
        return self.rng.choices([item for item, _ in weighted], [weight for _, weight in weighted])[0]

    # Vendors

    def vendor(self, vendor_number: str) -> None:
        trade = self.rng.choice(TRADES)
        entity_type = self.pick(ENTITY_TYPES)
        legal_name, dba_names, owner = self.firm_name(entity_type, trade)
        slug = "".join(ch for ch in (dba_names or [legal_name])[0].lower() if ch.isalnum())[:30]
        body = VendorCreate(
            legal_name=legal_name,
            dba_names=dba_names,
            entity_type=entity_type,
            identifiers=self.identifiers(entity_type, trade),
            addresses=self.addresses(),
            contacts=self.contacts(owner, f"{slug}.example"),
            commodity_codes=self.commodity_codes(trade),
            size_class=self.size_class(entity_type),
        )
        vendor_id = new_id()
        created_at = self.now - timedelta(
            days=self.rng.randint(30, 5 * 365), minutes=self.rng.randint(0, 1440)
        )
        status = self.pick(VENDOR_STATUSES)
        self.data.vendors.append(
            {
                **body.model_dump(mode="json", exclude={"commodity_codes"}),
                **derived_name_fields(body.legal_name, body.dba_names),
                "id": vendor_id,
                "vendor_number": vendor_number,
                "status": status.value,
                "merged_into_id": None,
                "version": 1 if status is VendorStatus.draft else 3,
                "created_at": created_at,
                "updated_at": created_at + timedelta(days=self.rng.randint(0, 20)),
            }
        )
        self.data.commodity_codes += [
            {"vendor_id": vendor_id, "scheme": code.scheme.value, "code": code.code}
            for code in body.commodity_codes
        ]
        if status is not VendorStatus.draft and self.rng.random() < 0.6:
            self.certify(vendor_id)

    def firm_name(self, entity_type: EntityType, trade: Trade) -> tuple[str, list[str], str]:
        """(legal name, DBA names, owner's name), the legal name unique in the load.

        The plain name space holds a few thousand firms; past it (`scale` in the tens of thousands)
        names take a qualifier ("Pacific West Janitorial LLC"), then a number, so the loop always ends.
        """
        for attempt in itertools.count():
            owner = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"
            stem = self.rng.choice(PLACES) if self.rng.random() < 0.5 else self.rng.choice(SURNAMES)
            if attempt >= 10:
                first, last = owner.split(maxsplit=1)
                owner = f"{first} {self.rng.choice(string.ascii_uppercase)}. {last}"
                stem = f"{stem} {self.rng.choice(QUALIFIERS)}"
            if attempt >= 40:
                stem = f"{stem} {attempt}"
                owner = f"{owner} {attempt}"
            legal_name, dba_names = self.names_of(entity_type, trade, owner, stem)
            if legal_name not in self.names:
                self.names.add(legal_name)
                return legal_name, dba_names, owner
        raise AssertionError("unreachable: itertools.count() does not end")

    def names_of(self, entity_type: EntityType, trade: Trade, owner: str, stem: str) -> tuple[str, list[str]]:
        noun = self.rng.choice(trade.nouns)
        dba_names: list[str] = []
        if entity_type is EntityType.sole_proprietorship:
            legal_name = owner
            dba_names = [f"{owner.split()[-1]} {noun}"]
        elif entity_type is EntityType.corporation:
            suffix = self.rng.choice((", Inc.", ", Inc.", " Corporation", " Incorporated"))
            legal_name = f"{stem} {noun}{suffix}"
        elif entity_type is EntityType.llc:
            legal_name = f"{stem} {noun} LLC"
        elif entity_type is EntityType.partnership:
            legal_name = f"{stem} {noun} Partners, LP"
        elif entity_type is EntityType.nonprofit:
            legal_name = f"{stem} {self.rng.choice(NONPROFIT_NOUNS)}"
        else:
            legal_name = f"{stem}-{self.rng.choice(SURNAMES)} {noun} Joint Venture"
        trading_firm = entity_type in (EntityType.corporation, EntityType.llc, EntityType.partnership)
        short_name = f"{stem} {noun.split()[0]}"
        if (
            trading_firm
            and self.rng.random() < 0.25
            and normalize_name(short_name) != normalize_name(legal_name)
        ):
            dba_names.append(short_name)
        return legal_name, dba_names

    def identifiers(self, entity_type: EntityType, trade: Trade) -> list[dict[str, str]]:
        rng = self.rng
        found = []
        if rng.random() < 0.9:  # the Office of Finance's Business Tax Registration Certificate
            found.append(
                {"scheme": "LA-BTRC", "id": f"{rng.randint(1, 9_999_999):010d}-0001-{rng.randint(0, 9)}"}
            )
        if rng.random() < 0.5:
            uei = rng.choice(UEI_ALPHABET[:-10] + "123456789") + "".join(rng.choices(UEI_ALPHABET, k=11))
            found.append({"scheme": "US-UEI", "id": uei})
            if rng.random() < 0.3:
                found.append({"scheme": "US-CAGE", "id": "".join(rng.choices(UEI_ALPHABET, k=5))})
        if entity_type is EntityType.corporation or entity_type is EntityType.nonprofit:
            found.append({"scheme": "CA-SOS", "id": f"C{rng.randint(1_000_000, 4_999_999)}"})
        elif entity_type is EntityType.llc:
            found.append({"scheme": "CA-SOS", "id": f"20{rng.randint(1_000_000_000, 2_499_999_999)}"})
        if trade.licensed:
            found.append({"scheme": "CA-CSLB", "id": str(rng.randint(400_000, 1_099_999))})
            found.append({"scheme": "CA-DIR", "id": str(rng.randint(1_000_000_000, 1_000_999_999))})
        return found

    def addresses(self) -> list[dict[str, Any]]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.7:
            # Most firms in the City give "Los Angeles" as their postal city; the rest a Valley or
            # Harbor one.
            city, zips = rng.choices(LOCATIONS_CITY, [12] + [1] * (len(LOCATIONS_CITY) - 1))[0]
            region, postal_code = "CA", rng.choice(zips)
        elif roll < 0.93:
            city, zips = rng.choice(LOCATIONS_COUNTY)
            region, postal_code = "CA", rng.choice(zips)
        else:
            city, region, postal_code = rng.choice(LOCATIONS_ELSEWHERE)
        physical = {
            "kind": "physical",
            "line1": f"{rng.randint(100, 19_999)} {rng.choice(STREETS)}",
            "line2": f"Suite {rng.randint(1, 30) * 100}" if rng.random() < 0.3 else None,
            "city": city,
            "region": region,
            "postal_code": postal_code,
        }
        addresses = [physical]
        if rng.random() < 0.2:
            box = {"line1": f"PO Box {rng.randint(100, 99_999)}", "line2": None}
            addresses.append({**physical, **box, "kind": "mailing"})
        if rng.random() < 0.15:
            addresses.append({**physical, "kind": "remittance"})
        return addresses

    def contacts(self, owner: str, domain: str) -> list[dict[str, Any]]:
        rng = self.rng

        def phone() -> str:
            return f"({rng.choice(AREA_CODES)}) 555-01{rng.randint(0, 99):02d}"

        first = owner.split()[0].lower().replace("-", "")
        contacts = [{"role": "primary", "name": owner, "email": f"{first}@{domain}", "phone": phone()}]
        if rng.random() < 0.6:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            contacts.append({"role": "bids", "name": name, "email": f"bids@{domain}", "phone": phone()})
        if rng.random() < 0.4:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            contacts.append({"role": "billing", "name": name, "email": f"ap@{domain}", "phone": phone()})
        return contacts

    def commodity_codes(self, trade: Trade) -> list[dict[str, str]]:
        rng = self.rng
        chosen = [
            *(
                (CommodityScheme.nigp, code)
                for code in rng.sample(trade.nigp, rng.randint(1, len(trade.nigp)))
            ),
            *(
                (CommodityScheme.naics, code)
                for code in rng.sample(trade.naics, rng.randint(1, len(trade.naics)))
            ),
            *(
                (CommodityScheme.unspsc, code)
                for code in rng.sample(trade.unspsc, rng.randint(0, len(trade.unspsc)))
            ),
        ]
        return [{"scheme": scheme.value, "code": code} for scheme, code in chosen]

    def size_class(self, entity_type: EntityType) -> str:
        if entity_type is EntityType.sole_proprietorship:
            return "micro"
        size: str = self.pick(SIZE_CLASSES)
        return size

    # Certifications

    def certify(self, vendor_id: uuid.UUID) -> None:
        count = self.pick(((1, 55), (2, 30), (3, 15)))
        types: list[CertificationType] = []
        while len(types) < count:
            candidate = self.pick(TYPE_WEIGHTS)
            if candidate not in types:
                types.append(candidate)
        for certification_type in types:
            self.certificate_history(vendor_id, certification_type)

    def certificate_history(self, vendor_id: uuid.UUID, certification_type: CertificationType) -> None:
        """One certificate, and its renewal when it has lapsed and the firm renewed."""
        rng = self.rng
        agency = self.pick(ISSUERS[certification_type])
        term = rng.choice(TERMS.get(certification_type, DEFAULT_TERMS))
        effective = self.today - timedelta(days=rng.randint(-20, term + 240))
        expiration = effective + timedelta(days=term)
        fate = rng.random()
        if effective > self.today - timedelta(days=45) and fate < 0.5:
            self.certificate(
                vendor_id, certification_type, agency, effective, expiration, CertificationStatus.pending
            )
        elif fate < 0.04:
            self.certificate(
                vendor_id, certification_type, agency, effective, expiration, CertificationStatus.rejected
            )
        elif fate < 0.07 and effective < self.today:
            ended = effective + timedelta(
                days=rng.randint(1, max(1, (min(self.today, expiration) - effective).days))
            )
            self.certificate(
                vendor_id,
                certification_type,
                agency,
                effective,
                expiration,
                CertificationStatus.revoked,
                ended,
            )
        elif expiration < self.today and fate < 0.6:
            renewed_from = expiration - timedelta(days=rng.randint(0, 30))
            self.certificate(
                vendor_id,
                certification_type,
                agency,
                effective,
                expiration,
                CertificationStatus.superseded,
                renewed_from,
            )
            self.certificate(
                vendor_id, certification_type, agency, renewed_from, renewed_from + timedelta(days=term),
                CertificationStatus.verified,
            )  # fmt: skip
        else:
            self.certificate(
                vendor_id, certification_type, agency, effective, expiration, CertificationStatus.verified
            )

    def certificate(
        self,
        vendor_id: uuid.UUID,
        certification_type: CertificationType,
        agency: str,
        effective: date,
        expiration: date,
        status: CertificationStatus,
        ended_on: date | None = None,
    ) -> None:
        body = CertificationCreate(
            type=certification_type,
            agency_code=agency,
            certificate_number=self.certificate_number(agency),
            effective_date=effective,
            expiration_date=expiration,
        )
        applied = datetime.combine(effective, time(17), UTC) - timedelta(days=self.rng.randint(20, 60))
        applied = min(applied, self.now - timedelta(days=self.rng.randint(1, 20)))
        decided = min(applied + timedelta(days=self.rng.randint(10, 45)), self.now)
        was_verified = status in (
            CertificationStatus.verified,
            CertificationStatus.revoked,
            CertificationStatus.superseded,
        )
        changed = min(datetime.combine(ended_on, time(18), CITY_TIME_ZONE), self.now) if ended_on else decided
        self.data.certifications.append(
            {
                **body.model_dump(mode="python"),
                "type": body.type.value,
                "id": new_id(),
                "vendor_id": vendor_id,
                "status": status.value,
                "verified_at": decided if was_verified else None,
                "ended_on": ended_on,
                "version": 1 if status is CertificationStatus.pending else (3 if ended_on else 2),
                "created_at": applied,
                "updated_at": applied if status is CertificationStatus.pending else max(changed, decided),
            }
        )

    def certificate_number(self, agency: str) -> str:
        while True:
            number = f"{CERTIFICATE_PREFIXES[agency]}{self.rng.randint(10_000, 2_999_999)}"
            if number not in self.certificate_numbers:
                self.certificate_numbers.add(number)
                return number


async def load_demo_data(database_url: str, scale: int = DEFAULT_VENDORS) -> int:
    """Loads `scale` vendors into an empty registry; returns how many vendors it wrote (0 if any existed)."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine) as session, session.begin():
            connection = await session.connection()
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
            if await connection.scalar(select(exists().select_from(VendorRow))):
                return 0
            numbers = await _vendor_numbers(connection, scale)
            data = Generator(city_today()).generate(numbers)
            await _copy(connection, data)
            await audit.record(
                session,
                actor="demo-loader",
                action="load_demo_data",
                entity="vendor",
                entity_id="*",
                changes={"vendors": len(data.vendors), "certifications": len(data.certifications)},
            )
        return len(data.vendors)
    finally:
        await engine.dispose()


async def _vendor_numbers(connection: AsyncConnection, count: int) -> list[str]:
    """Drawn from the same sequence the API uses, so later registrations continue after them."""
    statement = select(vendor_number_sequence.next_value()).select_from(func.generate_series(1, count))
    values = sorted((await connection.scalars(statement)).all())
    return [f"VND-{value:06d}" for value in values]


async def _copy(connection: AsyncConnection, data: DemoData) -> None:
    """COPY into the three tables: the bulk path PostgreSQL offers, in the caller's transaction."""
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    for table, rows in (
        (VendorRow.__table__, data.vendors),  # type: ignore[attr-defined]
        (VendorCommodityRow.__table__, data.commodity_codes),  # type: ignore[attr-defined]
        (CertificationRow.__table__, data.certifications),  # type: ignore[attr-defined]
    ):
        columns = [column.name for column in table.columns]
        json_columns = {column.name for column in table.columns if isinstance(column.type, JSONB)}
        records = [
            tuple(json.dumps(row[name]) if name in json_columns else row[name] for name in columns)
            for row in rows
        ]
        await driver.copy_records_to_table(table.name, records=records, columns=columns, schema_name=SCHEMA)
