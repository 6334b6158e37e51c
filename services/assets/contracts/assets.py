"""Wire models of the asset registry: land, buildings and structures with FRPP-grade fields.

Enumerations are extensible: clients must tolerate new values. Rules that span fields (sizes by asset
type, uses by type, years against today) are checked by the service, which names the field and the rule
in each error; the models check each field on its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from services.assets.contracts.geometry import GeoPoint, GeoPolygon
from services.common.pagination import Page
from services.common.reference import Department as CityDepartment
from services.common.wire import Int32, PositiveInt32, SmallInt, WireModel

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class AssetType(StrEnum):
    """FRPP Real Property Type."""

    land = "land"
    building = "building"
    structure = "structure"


class PredominantUse(StrEnum):
    """FRPP predominant use with the City's own (fire and police stations, libraries, yards…). Each asset
    type admits its own subset (`USES_BY_TYPE`)."""

    # buildings
    office = "office"
    warehouse = "warehouse"
    service_maintenance_yard = "service_maintenance_yard"
    fire_station = "fire_station"
    police_station = "police_station"
    library = "library"
    recreation_center = "recreation_center"
    museum_cultural = "museum_cultural"
    housing = "housing"
    shelter_interim_housing = "shelter_interim_housing"
    health_clinic = "health_clinic"
    courthouse_jail = "courthouse_jail"
    parking_structure = "parking_structure"
    laboratory = "laboratory"
    industrial = "industrial"
    school_training = "school_training"
    other_institutional = "other_institutional"
    # land
    park_open_space = "park_open_space"
    vacant = "vacant"
    parking_lot = "parking_lot"
    right_of_way_remnant = "right_of_way_remnant"
    agricultural = "agricultural"
    utility_infrastructure = "utility_infrastructure"
    # structures
    roads_bridges = "roads_bridges"
    utility_systems = "utility_systems"
    flood_control = "flood_control"
    monuments_memorials = "monuments_memorials"
    recreational = "recreational"
    # any type
    communications = "communications"
    other = "other"


U = PredominantUse
USES_BY_TYPE: dict[AssetType, frozenset[PredominantUse]] = {
    AssetType.building: frozenset(
        {
            U.office,
            U.warehouse,
            U.service_maintenance_yard,
            U.fire_station,
            U.police_station,
            U.library,
            U.recreation_center,
            U.museum_cultural,
            U.housing,
            U.shelter_interim_housing,
            U.health_clinic,
            U.courthouse_jail,
            U.parking_structure,
            U.laboratory,
            U.industrial,
            U.school_training,
            U.communications,
            U.other_institutional,
            U.other,
        }
    ),
    AssetType.land: frozenset(
        {
            U.park_open_space,
            U.vacant,
            U.parking_lot,
            U.right_of_way_remnant,
            U.agricultural,
            U.utility_infrastructure,
            U.other,
        }
    ),
    AssetType.structure: frozenset(
        {
            U.roads_bridges,
            U.utility_systems,
            U.flood_control,
            U.monuments_memorials,
            U.recreational,
            U.communications,
            U.other,
        }
    ),
}
del U


class LegalInterest(StrEnum):
    """FRPP Legal Interest: the City owns it, leases it in, or manages it under another's title."""

    owned = "owned"
    leased = "leased"
    otherwise_managed = "otherwise_managed"


class AssetStatus(StrEnum):
    """FRPP asset status with the City's excess (its department no longer needs it) and surplus (Council
    has declared it so). `disposed`, `demolished` and `subdivided` are terminal."""

    active = "active"
    inactive = "inactive"
    excess = "excess"
    surplus = "surplus"
    disposal_in_progress = "disposal_in_progress"
    cannot_currently_be_disposed = "cannot_currently_be_disposed"
    retained = "retained"
    disposed = "disposed"
    demolished = "demolished"
    subdivided = "subdivided"


TERMINAL_STATUSES = frozenset({AssetStatus.disposed, AssetStatus.demolished, AssetStatus.subdivided})


class CannotDisposeReason(StrEnum):
    """Why an asset cannot currently be disposed of (FRPP status G carries a reason)."""

    environmental = "environmental"
    historic = "historic"
    legal = "legal"
    funding = "funding"
    security = "security"
    mission = "mission"
    other = "other"


class HistoricalStatus(StrEnum):
    """National Historic Landmark, National Register listed or eligible, a Los Angeles Historic-Cultural
    Monument, a non-contributing element of a district; `not_evaluated` by default."""

    nhl = "nhl"
    nr_listed = "nr_listed"
    nr_eligible = "nr_eligible"
    local_hcm = "local_hcm"
    non_contributing = "non_contributing"
    not_evaluated = "not_evaluated"
    evaluated_not_historic = "evaluated_not_historic"


class StructureUnit(StrEnum):
    """FRPP structural unit of measure: what a structure's `structure_quantity` counts."""

    each = "each"
    linear_feet = "linear_feet"
    miles = "miles"
    lane_miles = "lane_miles"
    square_feet = "square_feet"
    square_yards = "square_yards"
    acres = "acres"
    spaces = "spaces"


Department = Annotated[CityDepartment, Field(description="The controlling department's code, e.g. `GSD`.")]
CouncilDistrict = Annotated[int, Field(ge=1, le=15, description="Los Angeles City Council district, 1–15.")]
Year = Annotated[int, Field(ge=1700, le=2200)]
ZipCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{5}(-[0-9]{4})?$")]
Acres = Annotated[float, Field(gt=0, le=1_000_000, description="Land area in acres.")]
SquareFeet = Annotated[int, Field(ge=0, le=100_000_000)]
Quantity = Annotated[float, Field(gt=0, le=100_000_000)]


class AssetCreate(WireModel):
    """A new asset. It starts `active`; its `asset_number` is issued by the registry and never changes."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText
    description: LongText | None = None
    asset_type: AssetType
    predominant_use: PredominantUse = Field(description="Must be one of the uses of the asset's type.")
    legal_interest: LegalInterest
    controlling_department: Department
    council_district: CouncilDistrict | None = None
    zoning: Code | None = Field(default=None, description="Zoning as on ZIMAS, e.g. `C2-2D-CA`.")
    street_number: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)] | None
    ) = None
    street_name: ShortText | None = None
    city: ShortText = "Los Angeles"
    zip_code: ZipCode | None = None
    land_area_acres: Acres | None = Field(default=None, description="Land only, and required for it.")
    gross_sqft: SquareFeet | None = Field(default=None, description="Buildings only, required and above 0.")
    rentable_sqft: SquareFeet | None = Field(
        default=None, description="Buildings only; at most `gross_sqft`."
    )
    floors: Annotated[int, Field(ge=1, le=200)] | None = Field(default=None, description="Buildings only.")
    structure_quantity: Quantity | None = Field(default=None, description="Structures only, with its unit.")
    structure_unit: StructureUnit | None = Field(default=None, description="Structures only, required.")
    year_built: Year | None = Field(default=None, description="Buildings and structures; not in the future.")
    year_acquired: Year | None = Field(default=None, description="Not in the future.")
    historical_status: HistoricalStatus = HistoricalStatus.not_evaluated
    hcm_number: Annotated[int, Field(ge=1, le=99_999)] | None = Field(
        default=None,
        description="Los Angeles Historic-Cultural Monument number; required when `historical_status` is "
        "`local_hcm`.",
    )
    location: GeoPoint | None = Field(
        default=None, description="WGS84 point. Outside the City's extent it is kept, with a warning."
    )
    footprint: GeoPolygon | None = None
    is_sensitive: bool = Field(
        default=False, description="Left out of the public inventory altogether (security, privacy)."
    )


class AssetUpdate(WireModel):
    """Fields to change; absent fields stay as they are, `null` clears an optional one. `asset_number`
    and `asset_type` never change; the status moves through transitions."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    description: LongText | None = None
    predominant_use: PredominantUse | None = None
    legal_interest: LegalInterest | None = None
    controlling_department: Department | None = None
    council_district: CouncilDistrict | None = None
    zoning: Code | None = None
    street_number: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)] | None
    ) = None
    street_name: ShortText | None = None
    city: ShortText | None = None
    zip_code: ZipCode | None = None
    land_area_acres: Acres | None = None
    gross_sqft: SquareFeet | None = None
    rentable_sqft: SquareFeet | None = None
    floors: Annotated[int, Field(ge=1, le=200)] | None = None
    structure_quantity: Quantity | None = None
    structure_unit: StructureUnit | None = None
    year_built: Year | None = None
    year_acquired: Year | None = None
    historical_status: HistoricalStatus | None = None
    hcm_number: Annotated[int, Field(ge=1, le=99_999)] | None = None
    location: GeoPoint | None = None
    footprint: GeoPolygon | None = None
    is_sensitive: bool | None = None


# Fields an update may not set to null: the asset must always have them.
REQUIRED_FIELDS = frozenset(
    {
        "name",
        "predominant_use",
        "legal_interest",
        "controlling_department",
        "city",
        "historical_status",
        "is_sensitive",
    }
)


class AssetWarning(WireModel):
    """Something the registry accepted but a person should look at (a point outside the City)."""

    code: str = Field(description="A machine key, e.g. `location_outside_city`.")
    field: str
    message: str


class Asset(WireModel):
    id: uuid.UUID
    asset_number: str = Field(description="Permanent, never reused: `LA-RP-000123` (FRPP RPUID).")
    name: str
    description: str | None
    asset_type: AssetType
    predominant_use: PredominantUse
    legal_interest: LegalInterest
    status: AssetStatus
    cannot_dispose_reason: CannotDisposeReason | None = Field(
        description="Set while the status is `cannot_currently_be_disposed`."
    )
    status_reason: str | None = Field(description="The reason given with the last status change.")
    controlling_department: str
    council_district: CouncilDistrict | None
    zoning: str | None
    street_number: str | None
    street_name: str | None
    city: str
    zip_code: str | None
    land_area_acres: float | None
    gross_sqft: Int32 | None
    rentable_sqft: Int32 | None
    floors: SmallInt | None
    structure_quantity: float | None
    structure_unit: StructureUnit | None
    year_built: SmallInt | None
    year_acquired: SmallInt | None
    historical_status: HistoricalStatus
    hcm_number: Int32 | None
    location: GeoPoint | None
    footprint: GeoPolygon | None
    is_sensitive: bool
    apns: list[str] = Field(description="The parcels the asset stands on, as `####-###-###`.")
    warnings: list[AssetWarning] = Field(description="What the registry accepted but flags for review.")
    version: PositiveInt32
    created_at: datetime
    updated_at: datetime


class AssetPage(Page[Asset]):
    pass


class AssetTransition(WireModel):
    model_config = ConfigDict(extra="forbid")

    to: AssetStatus
    reason: LongText | None = Field(
        default=None, description="Why; required for the terminal moves (disposed, demolished, subdivided)."
    )
    cannot_dispose_reason: CannotDisposeReason | None = Field(
        default=None, description="Required with `to: cannot_currently_be_disposed`, refused otherwise."
    )


class PublicAsset(WireModel):
    """An asset in the public inventory: non-sensitive assets only, and only their public fields (no
    internal notes, status reasons, or version)."""

    id: uuid.UUID
    asset_number: str
    name: str
    asset_type: AssetType
    predominant_use: PredominantUse
    legal_interest: LegalInterest
    status: AssetStatus
    controlling_department: str
    council_district: CouncilDistrict | None
    zoning: str | None
    street_number: str | None
    street_name: str | None
    city: str
    zip_code: str | None
    land_area_acres: float | None
    gross_sqft: Int32 | None
    rentable_sqft: Int32 | None
    floors: SmallInt | None
    structure_quantity: float | None
    structure_unit: StructureUnit | None
    year_built: SmallInt | None
    year_acquired: SmallInt | None
    historical_status: HistoricalStatus
    hcm_number: Int32 | None
    location: GeoPoint | None
    footprint: GeoPolygon | None
    apns: list[str]
    updated_at: datetime


class PublicAssetPage(Page[PublicAsset]):
    pass
