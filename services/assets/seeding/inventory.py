"""A realistic generated inventory for `cityops seed --scale N`: at scale 1, the City's portfolio of
about 7,500 parcels and 9,000 assets (DESIGN: $1.8B across ~7,500 parcels).

Land assets stand one to a parcel; buildings stand on parcels too, several to some parcels and some
spanning two; a share of structures (bridges, yards) sit on parcels. Every parcel holds an asset when
there are enough land assets and buildings for that, as at scale 1. Most assets are active; the rest
are spread over the lifecycle as a portfolio under review would be: inactive, excess, surplus, in
disposal, retained, on hold with a reason, and some final. Every asset passes through the API's wire
model (`AssetCreate`) and the registry's rules, so the data obeys what the API enforces. One seeded
generator: the same inventory on every machine.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.assets.contracts import (
    USES_BY_TYPE,
    AssetCreate,
    AssetStatus,
    AssetType,
    CannotDisposeReason,
    StructureUnit,
)
from services.assets.registry import rules
from services.assets.registry.service import storage_values
from services.common.db import new_id

SEED = 20_160_331  # the Lincoln Heights Jail RFI: fixed, so every machine gets the same inventory
PARCELS_AT_SCALE_1 = 7_500
ASSETS_AT_SCALE_1 = 9_000

# Controlling departments, weighted roughly by how much of the portfolio each holds.
DEPARTMENTS = (("GSD", 30), ("RAP", 22), ("DOT", 10), ("SAN", 8), ("LAFD", 6), ("LAPD", 5), ("LIB", 4),
               ("BOE", 5), ("HCI", 4), ("AIR", 2), ("POL", 2), ("ZOO", 1), ("BSS", 1))  # fmt: skip
# (status, weight, statuses it may have been held from, for the hold)
STATUSES = (
    (AssetStatus.active, 780),
    (AssetStatus.inactive, 80),
    (AssetStatus.excess, 40),
    (AssetStatus.surplus, 20),
    (AssetStatus.disposal_in_progress, 15),
    (AssetStatus.retained, 15),
    (AssetStatus.cannot_currently_be_disposed, 20),
    (AssetStatus.disposed, 20),
    (AssetStatus.demolished, 10),
)
HELD_FROM = (AssetStatus.inactive, AssetStatus.excess, AssetStatus.surplus)
# The City's core, where most of its property is: a box inside its extent.
CORE = (-118.55, 33.95, -118.20, 34.30)
STREETS = ("Main St", "Spring St", "Broadway", "Figueroa St", "Vermont Ave", "Western Ave", "Sunset Blvd",
           "Pico Blvd", "Olympic Blvd", "Van Nuys Blvd", "Sepulveda Blvd", "Avenue 19", "Central Ave")  # fmt: skip
ZONES = ("PF-1", "OS-1XL", "C2-1", "C2-1VL", "M1-1", "M2-1", "R3-1", "RD1.5-1", "CM-1", "A1-1XL")
FEET_PER_DEGREE = 364_000  # of latitude; a building's footprint is a small box, close enough here


@dataclass
class Inventory:
    parcels: list[dict[str, Any]] = field(default_factory=list)
    assets: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)


def counts(scale: float) -> tuple[int, int]:
    """(parcels, assets) at `scale`; at least one of each."""
    if not 0 < scale <= 10:
        raise ValueError("the scale must be above 0 and at most 10")
    return max(1, round(PARCELS_AT_SCALE_1 * scale)), max(1, round(ASSETS_AT_SCALE_1 * scale))


class Generator:
    def __init__(self, now: datetime, numbers: list[str], parcel_count: int) -> None:
        self.rng = random.Random(SEED)
        self.now = now
        self.numbers = numbers
        self.parcel_count = parcel_count
        self.this_year = now.year
        self.data = Inventory()

    def generate(self) -> Inventory:
        apns = self._apns()
        places = [self._place() for _ in apns]
        for apn, (longitude, latitude, _district) in zip(apns, places, strict=True):
            self.data.parcels.append(self._parcel(apn, longitude, latitude))
        total = len(self.numbers)
        land = min(len(apns), round(total * 0.62))
        buildings = round(total * 0.30) if total > 2 else 0
        kinds = [AssetType.land] * land + [AssetType.building] * buildings
        kinds += [AssetType.structure] * (total - len(kinds))
        # Parcels no land asset stands on get a building first, so that every parcel holds an asset.
        spare = iter(range(land, len(apns)))
        for index, (number, kind) in enumerate(zip(self.numbers, kinds, strict=True)):
            if kind is AssetType.land:
                on = [index]
            elif kind is AssetType.building:
                first = next(spare, None)
                if first is None:
                    first = self.rng.randrange(len(apns))
                on = [first] + ([self.rng.randrange(len(apns))] if self.rng.random() < 0.05 else [])
            else:
                on = [self.rng.randrange(len(apns))] if self.rng.random() < 0.4 else []
            place = places[on[0]] if on else self._place()
            asset_id = new_id()
            self.data.assets.append(self._asset(asset_id, number, kind, place))
            for parcel in dict.fromkeys(on):
                self.data.links.append({"asset_id": asset_id, "apn": apns[parcel], "linked_at": self.now})
        return self.data

    def _apns(self) -> list[str]:
        chosen: set[str] = set()
        while len(chosen) < self.parcel_count:
            # Public owners' parcels are numbered from 900 in their book and page.
            book, page, parcel = (
                self.rng.randint(2000, 7999),
                self.rng.randint(1, 99),
                self.rng.randint(900, 999),
            )
            chosen.add(f"{book:04d}{page:03d}{parcel:03d}")
        return sorted(chosen)

    def _place(self) -> tuple[float, float, int | None]:
        if self.rng.random() < 0.01:  # land held outside the City (airports, watershed)
            return round(self.rng.uniform(-118.3, -117.9), 7), round(self.rng.uniform(34.5, 34.7), 7), None
        west, south, east, north = CORE
        return (
            round(self.rng.uniform(west, east), 7),
            round(self.rng.uniform(south, north), 7),
            self.rng.randint(1, 15),
        )

    def _parcel(self, apn: str, longitude: float, latitude: float) -> dict[str, Any]:
        stamped = self._stamp()
        return {
            "apn": apn,
            "pin": f"{self.rng.randint(100, 999)}B{self.rng.randint(100, 999)} {self.rng.randint(1, 999):03d}",
            "situs_address": f"{self.rng.randint(100, 19999)} {self.rng.choice(STREETS)}",
            "lot_area_sqft": self.rng.randint(2_500, 400_000),
            "zoning": self.rng.choice(ZONES),
            "assessor_use_code": self.rng.choice(("8800", "8100", "7100", "0100", "1100")),
            "retired_on": None,
            "version": 1,
            "created_at": stamped,
            "updated_at": stamped,
        }

    def _asset(
        self, asset_id: Any, number: str, kind: AssetType, place: tuple[float, float, int | None]
    ) -> dict[str, Any]:
        longitude, latitude, district = place
        rng = self.rng
        departments, weights = zip(*DEPARTMENTS, strict=True)
        body: dict[str, Any] = {
            "name": f"{rng.choice(STREETS)} {kind.value} {number[-6:]}",
            "asset_type": kind.value,
            "predominant_use": rng.choice(sorted(USES_BY_TYPE[kind])).value,
            "legal_interest": rng.choices(("owned", "leased", "otherwise_managed"), (90, 7, 3))[0],
            "controlling_department": rng.choices(departments, weights)[0],
            "council_district": district,
            "zoning": rng.choice(ZONES),
            "street_number": str(rng.randint(100, 19999)),
            "street_name": rng.choice(STREETS),
            "city": "Los Angeles" if district else "Palmdale",
            "year_acquired": rng.randint(1905, self.this_year),
            "location": {"type": "Point", "coordinates": [longitude, latitude]},
            "is_sensitive": rng.random() < 0.03,
        }
        if kind is AssetType.land:
            body["land_area_acres"] = round(math.exp(rng.gauss(-0.5, 1.4)), 4) or 0.01
        elif kind is AssetType.building:
            gross = int(math.exp(rng.gauss(9.5, 1.1))) + 500
            floors = rng.randint(1, 12 if gross > 50_000 else 3)
            body |= {
                "gross_sqft": gross,
                "rentable_sqft": int(gross * rng.uniform(0.7, 0.95)),
                "floors": floors,
                "year_built": rng.randint(1905, self.this_year),
                "footprint": _box_around(longitude, latitude, math.sqrt(gross / floors) / FEET_PER_DEGREE),
            }
        else:
            unit = rng.choice(sorted(StructureUnit))
            body |= {
                "structure_quantity": round(rng.uniform(1, 5_000), 2),
                "structure_unit": unit.value,
                "year_built": rng.randint(1905, self.this_year),
            }
        if rng.random() < 0.02:
            body |= {"historical_status": "local_hcm", "hcm_number": rng.randint(1, 1300)}
        fields = AssetCreate.model_validate(body).model_dump(mode="json")
        rules.check(fields, self.this_year)
        statuses, status_weights = zip(*STATUSES, strict=True)
        status = rng.choices(statuses, status_weights)[0]
        if status is AssetStatus.demolished and kind is AssetType.land:
            status = AssetStatus.subdivided
        held = rng.choice(HELD_FROM) if status is AssetStatus.cannot_currently_be_disposed else None
        created = self._stamp()
        moved = status is not AssetStatus.active
        return {
            **storage_values(fields),
            "id": asset_id,
            "asset_number": number,
            "status": status.value,
            "status_before_hold": held.value if held else None,
            "cannot_dispose_reason": rng.choice(sorted(CannotDisposeReason)).value if held else None,
            "status_reason": None,
            "version": 2 if moved else 1,
            "created_at": created,
            "updated_at": min(created + timedelta(days=rng.randint(1, 400)), self.now) if moved else created,
        }

    def _stamp(self) -> datetime:
        return self.now - timedelta(days=self.rng.randint(30, 3_000), seconds=self.rng.randint(0, 86_399))


def _box_around(longitude: float, latitude: float, half: float) -> dict[str, Any]:
    half = max(half / 2, 0.00002)
    west, east = round(longitude - half, 7), round(longitude + half, 7)
    south, north = round(latitude - half, 7), round(latitude + half, 7)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}
