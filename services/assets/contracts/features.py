"""Wire models of the OGC API - Features (Part 1: Core) view of the asset registry, in GeoJSON.

The shapes are those of the standard's building blocks (`landingPage`, `confClasses`, `collections`,
`collection`, `featureCollectionGeoJSON`, `featureGeoJSON`, `link`); the tests validate every answer
against the published files. Features are RFC 7946 GeoJSON: positions `[longitude, latitude]` in WGS84.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.assets.contracts.assets import (
    AssetStatus,
    AssetType,
    HistoricalStatus,
    LegalInterest,
    PredominantUse,
    StructureUnit,
)
from services.assets.contracts.geometry import GeoPoint, GeoPolygon

# The conformance classes this API implements (OGC 17-069r4, clause 2).
CONFORMANCE_CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
CONFORMANCE_GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
CONFORMANCE_OAS30 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
CRS84: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN: Final = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

Text = Annotated[str, Field(max_length=2048)]
Short = Annotated[str, Field(max_length=200)]
# RFC 3339 date-times, bounded in length as OpenAPI linters ask of every string.
Timestamp = Annotated[datetime, Field(json_schema_extra={"maxLength": 40})]
# Integers with the bounds and format OpenAPI linters ask of every integer.
Int32 = Annotated[int, Field(ge=0, le=2_147_483_647, json_schema_extra={"format": "int32"})]


class GeoLink(BaseModel):
    """A web link (RFC 8288): where `href` leads, and its relation to this document (`rel`)."""

    href: Text = Field(description="An absolute URL, on the address the client called.")
    rel: Annotated[str, Field(max_length=100)] = Field(
        description="`self`, `alternate`, `next`, `collection`, `items`, `data`, `conformance`, "
        "`service-desc`…"
    )
    type: Annotated[str, Field(max_length=100)] | None = Field(default=None, description="Its media type.")
    title: Annotated[str, Field(max_length=200)] | None = None


class GeoLandingPage(BaseModel):
    title: Annotated[str, Field(max_length=200)]
    description: Annotated[str, Field(max_length=2000)]
    links: list[GeoLink] = Field(max_length=20)


class GeoConformance(BaseModel):
    conforms_to: list[Annotated[str, Field(max_length=200)]] = Field(alias="conformsTo", max_length=20)

    model_config = ConfigDict(populate_by_name=True)


class GeoSpatialExtent(BaseModel):
    bbox: list[Annotated[list[float], Field(min_length=4, max_length=4)]] = Field(
        min_length=1,
        max_length=1,
        description="One box: west, south, east, north (WGS84 longitude and latitude).",
    )
    crs: Literal["http://www.opengis.net/def/crs/OGC/1.3/CRS84"] = CRS84


class GeoTemporalExtent(BaseModel):
    interval: list[Annotated[list[Timestamp], Field(min_length=2, max_length=2)]] = Field(
        min_length=1,
        max_length=1,
        description="The first and last `updated_at` of the collection's features.",
    )
    trs: Literal["http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"] = GREGORIAN


class GeoExtent(BaseModel):
    spatial: GeoSpatialExtent
    temporal: GeoTemporalExtent


class GeoCollection(BaseModel):
    id: Annotated[str, Field(max_length=64)]
    title: Annotated[str, Field(max_length=200)]
    description: Annotated[str, Field(max_length=2000)]
    links: list[GeoLink] = Field(max_length=20)
    extent: GeoExtent | None = Field(default=None, description="Absent while the collection has no feature.")
    item_type: Literal["feature"] = Field(default="feature", alias="itemType")
    crs: list[Literal["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]] = Field(default=[CRS84], max_length=1)

    model_config = ConfigDict(populate_by_name=True)


class GeoCollectionList(BaseModel):
    links: list[GeoLink] = Field(max_length=20)
    collections: list[GeoCollection] = Field(max_length=100)


class AssetFeatureProperties(BaseModel):
    """An asset's public fields (those of the public inventory); its place is the feature's geometry."""

    asset_number: Annotated[str, Field(max_length=24)]
    name: Short
    asset_type: AssetType
    predominant_use: PredominantUse
    legal_interest: LegalInterest
    status: AssetStatus
    controlling_department: Annotated[str, Field(max_length=10)]
    council_district: Int32 | None
    zoning: Short | None
    street_number: Short | None
    street_name: Short | None
    city: Short
    zip_code: Short | None
    land_area_acres: float | None
    gross_sqft: Int32 | None
    rentable_sqft: Int32 | None
    floors: Int32 | None
    structure_quantity: float | None
    structure_unit: StructureUnit | None
    year_built: Int32 | None
    year_acquired: Int32 | None
    historical_status: HistoricalStatus
    hcm_number: Int32 | None
    apns: list[Annotated[str, Field(max_length=12)]] = Field(max_length=1000)
    updated_at: Timestamp = Field(description="The time `datetime` selects on.")
    is_sensitive: bool | None = Field(
        default=None,
        description="Only for a caller with `real_estate:read`, to whom sensitive assets are shown too.",
    )


class AssetFeature(BaseModel):
    """An asset as a GeoJSON Feature: its footprint when it has one, else its point."""

    type: Literal["Feature"]
    id: Annotated[str, Field(max_length=64)] = Field(description="The asset's id.")
    geometry: GeoPolygon | GeoPoint
    properties: AssetFeatureProperties
    links: list[GeoLink] | None = Field(default=None, max_length=20, description="On a single feature.")


class AssetFeatureCollection(BaseModel):
    """A page of features: `links` holds `next` while more match."""

    type: Literal["FeatureCollection"]
    features: list[AssetFeature] = Field(max_length=1000)
    links: list[GeoLink] = Field(max_length=20)
    time_stamp: Timestamp = Field(alias="timeStamp", description="When the answer was made.")
    number_matched: Int32 = Field(alias="numberMatched", description="Features matching the query.")
    number_returned: Int32 = Field(alias="numberReturned", description="Features in this page.")

    model_config = ConfigDict(populate_by_name=True)
