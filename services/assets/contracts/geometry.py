"""GeoJSON (RFC 7946) geometries of the registry: a WGS84 point, and a footprint polygon.

Positions are `[longitude, latitude]` in WGS84, rounded to 7 decimal places (about 1 cm, RFC 7946 §11.2).
A footprint's rings must close and the polygon must be valid in the OGC Simple Features sense (no
self-intersection, holes inside the shell), which GEOS decides through `shapely`; it is stored with the
right-hand rule (exterior counter-clockwise, holes clockwise, RFC 7946 §3.1.6) whatever winding it came in.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Self

import shapely
from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from shapely.geometry import Polygon as ShapelyPolygon
from shapely.geometry.polygon import orient

from services.common.stored import from_database
from services.common.wire import WireModel

DECIMALS = 7
MAX_POSITIONS = 10_000
MAX_RINGS = 100

Position = Annotated[list[float], Field(min_length=2, max_length=2)]

# The City of Los Angeles's extent (west, south, east, north) in WGS84, the bounding box of its boundary.
# A box, not the boundary: a point outside it is certainly outside the City; one inside it may still lie
# in an enclave (Beverly Hills, Culver City).
CITY_EXTENT = (-118.6682, 33.7037, -118.1553, 34.3373)


def in_city_extent(longitude: float, latitude: float) -> bool:
    west, south, east, north = CITY_EXTENT
    return west <= longitude <= east and south <= latitude <= north


def _checked_position(position: list[float], where: str) -> list[float]:
    longitude, latitude = position
    if not (math.isfinite(longitude) and math.isfinite(latitude)):
        raise PydanticCustomError("position_not_finite", "{where} must hold finite numbers", {"where": where})
    if not -180 <= longitude <= 180:
        raise PydanticCustomError(
            "longitude_out_of_range",
            "{where}: longitude {longitude} is outside -180..180 (positions are [longitude, latitude])",
            {"where": where, "longitude": longitude},
        )
    if not -90 <= latitude <= 90:
        raise PydanticCustomError(
            "latitude_out_of_range",
            "{where}: latitude {latitude} is outside -90..90 (positions are [longitude, latitude])",
            {"where": where, "latitude": latitude},
        )
    return [round(longitude, DECIMALS), round(latitude, DECIMALS)]


class GeoPoint(WireModel):
    """A GeoJSON Point: `{"type": "Point", "coordinates": [longitude, latitude]}` in WGS84."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["Point"]
    coordinates: Position = Field(description="`[longitude, latitude]`, WGS84, rounded to 7 decimals.")

    @field_validator("coordinates")
    @classmethod
    def _in_range(cls, value: list[float], info: ValidationInfo) -> list[float]:
        return value if from_database(info) else _checked_position(value, "the point")

    @property
    def longitude(self) -> float:
        return self.coordinates[0]

    @property
    def latitude(self) -> float:
        return self.coordinates[1]


class GeoPolygon(WireModel):
    """A GeoJSON Polygon: an exterior ring and optional holes, each a closed list of at least four
    positions. Must not self-intersect."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["Polygon"]
    coordinates: Annotated[list[Annotated[list[Position], Field(min_length=4)]], Field(min_length=1)] = Field(
        description="Linear rings, exterior first: `[[[lon, lat], …, first position again]]`."
    )

    @model_validator(mode="after")
    def _valid(self, info: ValidationInfo) -> Self:
        if from_database(info):
            return self
        rings = self.coordinates
        if len(rings) > MAX_RINGS or sum(len(ring) for ring in rings) > MAX_POSITIONS:
            raise PydanticCustomError(
                "polygon_too_large",
                "a footprint has at most {rings} rings and {positions} positions",
                {"rings": MAX_RINGS, "positions": MAX_POSITIONS},
            )
        checked = [
            [_checked_position(p, f"ring {r} position {i}") for i, p in enumerate(ring)]
            for r, ring in enumerate(rings)
        ]
        for number, ring in enumerate(checked):
            if ring[0] != ring[-1]:
                raise PydanticCustomError(
                    "polygon_ring_not_closed",
                    "ring {ring} does not close: its last position {last} must repeat its first {first}",
                    {"ring": number, "first": ring[0], "last": ring[-1]},
                )
        polygon = ShapelyPolygon(checked[0], checked[1:])
        reason = shapely.is_valid_reason(polygon)
        if reason != "Valid Geometry":
            code = "polygon_self_intersection" if "Self-intersection" in reason else "polygon_invalid"
            raise PydanticCustomError(
                code, "the polygon is not valid (OGC Simple Features): {reason}", {"reason": reason}
            )
        oriented = orient(polygon, sign=1.0)  # RFC 7946 right-hand rule
        self.coordinates = [
            _ring(oriented.exterior.coords),
            *(_ring(hole.coords) for hole in oriented.interiors),
        ]
        return self

    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the exterior ring."""
        longitudes = [p[0] for p in self.coordinates[0]]
        latitudes = [p[1] for p in self.coordinates[0]]
        return min(longitudes), min(latitudes), max(longitudes), max(latitudes)


def _ring(coords: object) -> list[list[float]]:
    return [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in coords]  # type: ignore[attr-defined]
