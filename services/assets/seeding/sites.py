"""The programme's own sites, for demo data: Lincoln Heights Jail and the Lincoln Heights parking lots it
put out for housing, and the Civic Center Master Plan around City Hall.

From the programme's documents and the public record (../shared/reference/real-estate.md §2.1): Lincoln
Heights Jail is 229,000 square feet, Art Deco of 1931, Historic-Cultural Monument No. 587, in Council
District 1, with lead and asbestos to remediate; Council declared it an economic-opportunity site, not
surplus, and its exclusive negotiating agreement was extended for environmental reasons. Five Lincoln
Heights parking lots went to an exclusive negotiating agreement for housing in March 2018. The Civic
Center is in Council District 14. Other figures (areas, years, coordinates) are close to the real sites
but illustrative, and the APNs are well-formed but not taken from the Assessor's roll: demo data, not a
record of the City's holdings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Site:
    """An asset to register (`AssetCreate` fields), the status moves that bring it to where it stands
    (each `AssetTransition` fields), and the APNs of its parcels."""

    key: str
    asset: dict[str, Any]
    moves: tuple[dict[str, Any], ...] = ()
    apns: tuple[str, ...] = ()
    parcel_fields: dict[str, dict[str, Any]] = field(default_factory=dict)


def _point(longitude: float, latitude: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [longitude, latitude]}


def _box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


_SURPLUS_FOR_HOUSING = (
    {"to": "excess", "reason": "The Department of Transportation no longer needs the lot for parking."},
    {"to": "surplus", "reason": "Council declared the lot surplus for affordable housing."},
    {"to": "disposal_in_progress", "reason": "Exclusive negotiating agreement for housing, March 2018."},
)

SITES: tuple[Site, ...] = (
    Site(
        key="lincoln-heights-jail",
        asset={
            "name": "Lincoln Heights Jail",
            "description": "Vacant former City jail; economic-opportunity site (RFI 2016, RFP, exclusive "
            "negotiating agreement with Lincoln Property Company and the Fifteen Group).",
            "asset_type": "building",
            "predominant_use": "courthouse_jail",
            "legal_interest": "owned",
            "controlling_department": "GSD",
            "council_district": 1,
            "zoning": "PF-1",
            "street_number": "401",
            "street_name": "N Avenue 19",
            "zip_code": "90031",
            "gross_sqft": 229_000,
            "floors": 5,
            "year_built": 1931,
            "historical_status": "local_hcm",
            "hcm_number": 587,
            "location": _point(-118.2288, 34.0676),
            "footprint": _box(-118.2296, 34.0670, -118.2281, 34.0683),
        },
        moves=(
            {"to": "inactive", "reason": "Vacant since the jail closed; caretaker status."},
            {
                "to": "cannot_currently_be_disposed",
                "cannot_dispose_reason": "environmental",
                "reason": "Lead and asbestos remediation before the negotiated redevelopment can close.",
            },
        ),
        apns=("5447-013-900",),
        parcel_fields={"5447-013-900": {"situs_address": "401 N Avenue 19", "zoning": "PF-1"}},
    ),
    *(
        Site(
            key=f"lincoln-heights-lot-{number}",
            asset={
                "name": f"Lincoln Heights parking lot {number}",
                "asset_type": "land",
                "predominant_use": "parking_lot",
                "legal_interest": "owned",
                "controlling_department": "DOT",
                "council_district": 1,
                "zoning": "C2-1VL",
                "land_area_acres": acres,
                "location": _point(longitude, latitude),
            },
            moves=_SURPLUS_FOR_HOUSING,
            apns=(apn,),
        )
        for number, (acres, longitude, latitude, apn) in enumerate(
            (
                (0.41, -118.2105, 34.0727, "5205-021-900"),
                (0.23, -118.2093, 34.0741, "5205-022-901"),
                (0.35, -118.2079, 34.0752, "5205-024-900"),
                (0.18, -118.2120, 34.0709, "5205-019-902"),
                (0.29, -118.2066, 34.0760, "5205-026-900"),
            ),
            start=1,
        )
    ),
    Site(
        key="city-hall",
        asset={
            "name": "Los Angeles City Hall",
            "asset_type": "building",
            "predominant_use": "office",
            "legal_interest": "owned",
            "controlling_department": "GSD",
            "council_district": 14,
            "zoning": "C2-4D",
            "street_number": "200",
            "street_name": "N Spring St",
            "zip_code": "90012",
            "gross_sqft": 890_000,
            "rentable_sqft": 620_000,
            "floors": 28,
            "year_built": 1928,
            "historical_status": "local_hcm",
            "hcm_number": 150,
            "location": _point(-118.2427, 34.0537),
        },
        apns=("5161-005-900",),
    ),
    Site(
        key="parker-center",
        asset={
            "name": "Parker Center",
            "description": "Former police headquarters; cleared for the Civic Center Master Plan.",
            "asset_type": "building",
            "predominant_use": "police_station",
            "legal_interest": "owned",
            "controlling_department": "GSD",
            "council_district": 14,
            "street_number": "150",
            "street_name": "N Los Angeles St",
            "zip_code": "90012",
            "gross_sqft": 366_000,
            "year_built": 1955,
            "historical_status": "evaluated_not_historic",
            "location": _point(-118.2412, 34.0529),
        },
        moves=(
            {"to": "inactive", "reason": "The police moved to the new headquarters."},
            {"to": "demolished", "reason": "Demolished for the Civic Center Master Plan."},
        ),
        apns=("5161-006-900",),
    ),
    Site(
        key="parker-center-site",
        asset={
            "name": "Parker Center site",
            "description": "Civic Center Master Plan: site of a new City office building.",
            "asset_type": "land",
            "predominant_use": "vacant",
            "legal_interest": "owned",
            "controlling_department": "GSD",
            "council_district": 14,
            "zoning": "C2-4D",
            "land_area_acres": 3.4,
            "location": _point(-118.2412, 34.0529),
        },
        apns=("5161-006-900",),
    ),
    Site(
        key="city-hall-east",
        asset={
            "name": "City Hall East",
            "asset_type": "building",
            "predominant_use": "office",
            "legal_interest": "owned",
            "controlling_department": "GSD",
            "council_district": 14,
            "street_number": "200",
            "street_name": "N Main St",
            "zip_code": "90012",
            "gross_sqft": 775_000,
            "rentable_sqft": 540_000,
            "floors": 18,
            "year_built": 1972,
            "location": _point(-118.2414, 34.0528),
        },
        apns=("5161-007-900",),
    ),
    Site(
        key="los-angeles-mall",
        asset={
            "name": "Los Angeles Mall",
            "description": "Civic Center Master Plan: to be redeveloped with City Hall South.",
            "asset_type": "building",
            "predominant_use": "other",
            "legal_interest": "owned",
            "controlling_department": "GSD",
            "council_district": 14,
            "street_number": "201",
            "street_name": "N Los Angeles St",
            "zip_code": "90012",
            "gross_sqft": 220_000,
            "rentable_sqft": 150_000,
            "year_built": 1974,
            "location": _point(-118.2406, 34.0518),
        },
        moves=({"to": "excess", "reason": "Civic Center Master Plan: the site is to be redeveloped."},),
        apns=("5161-008-900",),
    ),
    Site(
        key="emergency-operations-center",
        asset={
            "name": "Emergency Operations Center",
            "asset_type": "building",
            "predominant_use": "other_institutional",
            "legal_interest": "owned",
            "controlling_department": "LAPD",
            "council_district": 14,
            "street_number": "500",
            "street_name": "E Temple St",
            "zip_code": "90012",
            "gross_sqft": 160_000,
            "year_built": 2007,
            "location": _point(-118.2365, 34.0508),
            "is_sensitive": True,
        },
    ),
    Site(
        key="palmdale-airport-land",
        asset={
            "name": "Palmdale airport land",
            "description": "Land held by Los Angeles World Airports outside the City.",
            "asset_type": "land",
            "predominant_use": "vacant",
            "legal_interest": "owned",
            "controlling_department": "AIR",
            "city": "Palmdale",
            "land_area_acres": 17_750,
            "year_acquired": 1970,
            "location": _point(-118.0846, 34.6294),
        },
    ),
)
