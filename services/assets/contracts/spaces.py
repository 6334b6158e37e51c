"""Wire models of spaces and their occupancy: the floors, rooms and suites of a building or the lots of a
land asset, who occupied each from when to when, and what that makes of an asset's utilization.

Occupancy records are never changed: ending one, or correcting it, records a new one that supersedes it,
and the old one stays in the history (`superseded_by_id`). Rules that need the database (a code taken in
the asset, the asset's area, an overlapping occupancy) are the service's.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.pagination import Page
from services.common.reference import Department as CityDepartment

__all__ = [
    "SQFT_PER_ACRE",
    "AssetOccupancy",
    "Occupancy",
    "OccupancyCorrection",
    "OccupancyCreate",
    "OccupancyEnd",
    "OccupancyPage",
    "OccupancyWarning",
    "Space",
    "SpaceCreate",
    "SpacePage",
    "SpaceUpdate",
    "SpaceUse",
]

# Square feet in an acre (US survey): a land asset's lots are measured against its area in feet.
SQFT_PER_ACRE = 43_560

SpaceCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_upper=True,
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$",
    ),
    Field(
        description="The space's code, unique within its asset whatever its case (stored upper-case): a "
        "floor `F3`, a suite `3-301`, a lot `LOT-A`. Letters, digits, space, `.`, `_`, `/`, `-`."
    ),
]
SpaceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Floor = Annotated[
    int,
    Field(
        ge=-10,
        le=200,
        json_schema_extra={"format": "int32"},
        description="The floor (0 the ground floor, below it negative).",
    ),
]
RentableSqft = Annotated[
    int,
    Field(
        ge=0,
        le=100_000_000,
        json_schema_extra={"format": "int32"},
        description="Rentable square feet. The spaces of a building add up to at most the building's "
        "`rentable_sqft` (its `gross_sqft` when it records none); a land asset's lots to at most its "
        "`land_area_acres` in square feet.",
    ),
]
OrganizationName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(description="An occupant outside the City: the organization's name (a lessee, a nonprofit)."),
]
Department = Annotated[CityDepartment, Field(description="An occupying City department's code, e.g. `LAPD`.")]
# Limits on what the answers hold too, so that the document bounds every string and integer it names.
Text200 = Annotated[str, Field(max_length=200)]
Text2000 = Annotated[str, Field(max_length=2000)]
Count = Annotated[int, Field(ge=0, le=1_000_000, json_schema_extra={"format": "int32"})]
Sqft = Annotated[int, Field(ge=0, le=100_000_000_000, json_schema_extra={"format": "int64"})]
Version = Annotated[int, Field(ge=1, le=2_147_483_647, json_schema_extra={"format": "int32"})]
Rate = Annotated[float, Field(ge=0, le=1)]


class SpaceUse(StrEnum):
    """What a space is used for; clients must tolerate new values."""

    office = "office"
    retail = "retail"
    storage = "storage"
    parking = "parking"
    residential = "residential"
    assembly = "assembly"
    industrial = "industrial"
    laboratory = "laboratory"
    land_area = "land_area"
    other = "other"


class SpaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: SpaceCode
    name: SpaceName | None = Field(default=None, description="e.g. `Suite 301`.")
    floor: Floor | None = Field(default=None, description="Buildings only.")
    use: SpaceUse
    rentable_sqft: RentableSqft


class SpaceUpdate(BaseModel):
    """Fields to change; absent fields stay as they are, `null` clears `name` or `floor`."""

    model_config = ConfigDict(extra="forbid")

    code: SpaceCode | None = None
    name: SpaceName | None = None
    floor: Floor | None = None
    use: SpaceUse | None = None
    rentable_sqft: RentableSqft | None = None


class Space(BaseModel):
    id: uuid.UUID
    asset_id: uuid.UUID
    code: Annotated[str, Field(max_length=40)]
    name: Text200 | None
    floor: Floor | None
    use: SpaceUse
    rentable_sqft: RentableSqft
    version: Version
    created_at: datetime
    updated_at: datetime


class SpacePage(Page[Space]):
    pass


class OccupancyCreate(BaseModel):
    """Who occupies the space, from when (and until when, if known). Exactly one of `department` and
    `organization`."""

    model_config = ConfigDict(extra="forbid")

    department: Department | None = None
    organization: OrganizationName | None = None
    start_date: date = Field(description="The first day occupied.")
    end_date: date | None = Field(
        default=None, description="The last day occupied (inclusive); null while it goes on."
    )
    note: Note | None = None


class OccupancyEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    end_date: date = Field(description="The last day occupied (inclusive); not before the start.")
    reason: Note | None = Field(default=None, description="Why it ended (a move, a lease's expiry).")


class OccupancyCorrection(OccupancyCreate):
    """The occupancy as it should have been recorded: it supersedes the record corrected."""

    reason: Note = Field(description="Why the record is corrected.")


class Occupancy(BaseModel):
    """One record of the space's history. A record `is_current` until another supersedes it (its end, a
    correction); only current records count towards overlaps and utilization."""

    id: uuid.UUID
    space_id: uuid.UUID
    asset_id: uuid.UUID
    department: Annotated[str, Field(max_length=10)] | None = Field(
        description="The occupying City department's code, or null."
    )
    organization: Text200 | None = Field(description="The occupying outside organization, or null.")
    occupant_name: Text200 = Field(description="The department's name, or the organization's.")
    start_date: date
    end_date: date | None
    note: Text2000 | None
    reason: Text2000 | None = Field(
        description="Why this record was made: an end's or a correction's reason."
    )
    supersedes_id: uuid.UUID | None = Field(description="The record this one ends or corrects.")
    superseded_by_id: uuid.UUID | None = Field(description="The record that ended or corrected this one.")
    is_current: bool
    recorded_by: Text200
    recorded_at: datetime


class OccupancyPage(Page[Occupancy]):
    pass


class OccupancyWarning(BaseModel):
    """Figures the report gives but a person should look at."""

    code: Annotated[str, Field(max_length=40)] = Field(
        description="A machine key, e.g. `spaces_exceed_asset_area`."
    )
    message: Text2000


class AssetOccupancy(BaseModel):
    """An asset's occupancy on `as_of`, from the current occupancy records of its spaces: a space is
    occupied that day when a record's `start_date` ≤ `as_of` ≤ its `end_date` (or it has none)."""

    asset_id: uuid.UUID
    as_of: date
    spaces: Count = Field(description="The asset's spaces.")
    occupied_spaces: Count
    rentable_sqft: Sqft = Field(description="The spaces' rentable square feet, added up.")
    occupied_sqft: Sqft = Field(description="Rentable square feet of the spaces occupied on `as_of`.")
    vacant_sqft: Sqft = Field(description="`rentable_sqft` − `occupied_sqft`.")
    utilization_rate: Rate | None = Field(
        description="`occupied_sqft` / `rentable_sqft`, to four decimals; null for an asset without "
        "rentable space."
    )
    vacancy_rate: Rate | None = Field(description="1 − `utilization_rate`, to four decimals.")
    asset_area_sqft: Sqft | None = Field(
        description="The area the spaces are carved from: a building's `rentable_sqft` (else its "
        "`gross_sqft`), a land asset's acres in square feet."
    )
    unassigned_sqft: Sqft | None = Field(
        description="`asset_area_sqft` not laid out as spaces (not counted as vacant); 0 at least."
    )
    warnings: list[OccupancyWarning] = Field(max_length=10)
