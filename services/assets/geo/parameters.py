"""The query parameters of the OGC API - Features endpoints, and the 400 they answer when one is bad.

OGC API - Features says a bad parameter is a 400 (/req/core/query-param-invalid), where the platform
answers 422: these routes follow the standard (docs/decisions.md). `GeoRoute` turns FastAPI's
validation errors into that 400, and the parsers below raise it for what FastAPI cannot check (the
arity and ranges of `bbox`, the intervals of `datetime`); every one names the parameter in `errors`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from services.assets.contracts import AssetStatus, AssetType, Department
from services.common.problems import FieldError, InvalidParameter
from services.common.unit_of_work import Handler, UnitOfWorkRoute

DEFAULT_LIMIT = 10
# The standard's example maximum is 10,000; a page of 1,000 footprints is already a few megabytes.
MAX_LIMIT = 1000

_NUMBER = r"-?[0-9]{1,3}(\.[0-9]{1,15})?"
BBOX_PATTERN = rf"^{_NUMBER}(,{_NUMBER}){{3}}$"
# RFC 3339 date-times, and intervals of two, either end open (`..`).
_INSTANT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
DATETIME_PATTERN = rf"^({_INSTANT}|({_INSTANT}|\.\.)/({_INSTANT}|\.\.))$"
CURSOR_PATTERN = r"^[A-Za-z0-9_.-]+$"


class GeoRoute(UnitOfWorkRoute):
    """A route whose bad parameters answer `InvalidParameter` (400), as OGC API - Features requires."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def parameters_answer_400(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise invalid(*_field_errors(exc.errors())) from exc

        return parameters_answer_400


def _field_errors(errors: Any) -> list[FieldError]:
    return [
        FieldError(location=list(e.get("loc", ())), message=e.get("msg", ""), code=e.get("type", "invalid"))
        for e in errors
    ]


def invalid(*errors: FieldError) -> InvalidParameter:
    names = ", ".join(sorted({f"`{error.location[1]}`" for error in errors if len(error.location) > 1}))
    return InvalidParameter(f"Invalid parameter {names}; see `errors`.", errors=list(errors))


def _error(name: str, message: str, code: str) -> InvalidParameter:
    return invalid(FieldError(location=["query", name], message=message, code=code))


@dataclass(frozen=True)
class BoundingBox:
    """West, south, east, north in WGS84 degrees; west > east crosses the antimeridian (OGC allows it)."""

    west: float
    south: float
    east: float
    north: float


def parse_bbox(value: str) -> BoundingBox:
    parts = value.split(",")
    if len(parts) != 4:
        raise _error(
            "bbox", f"takes 4 numbers (west,south,east,north in WGS84), not {len(parts)}", "bbox_arity"
        )
    if not re.fullmatch(BBOX_PATTERN, value):
        raise _error(
            "bbox", "takes 4 decimal numbers separated by commas, e.g. -118.3,34.0,-118.2,34.1", "bbox"
        )
    west, south, east, north = (float(part) for part in parts)
    if not all(-180 <= longitude <= 180 for longitude in (west, east)):
        raise _error("bbox", "longitudes (1st and 3rd numbers) lie within -180..180", "bbox_range")
    if not all(-90 <= latitude <= 90 for latitude in (south, north)):
        raise _error("bbox", "latitudes (2nd and 4th numbers) lie within -90..90", "bbox_range")
    if south > north:
        raise _error("bbox", "the south edge (2nd number) is above the north edge (4th)", "bbox_range")
    return BoundingBox(west, south, east, north)


@dataclass(frozen=True)
class Interval:
    """Closed at both ends; None is open. An instant is an interval of one instant."""

    start: datetime | None
    end: datetime | None


def parse_datetime(value: str) -> Interval:
    if not re.fullmatch(DATETIME_PATTERN, value):
        raise _error(
            "datetime",
            "takes an RFC 3339 date-time with offset, or an interval `start/end` with `..` for an open end",
            "datetime",
        )
    start, _, end = value.partition("/")
    if not end:
        instant = _instant(start)
        return Interval(instant, instant)
    interval = Interval(_instant(start), _instant(end))
    if interval.start and interval.end and interval.start > interval.end:
        raise _error("datetime", "the interval ends before it starts", "datetime_order")
    return interval


def _instant(text: str) -> datetime | None:
    if text == "..":
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise _error("datetime", f"`{text}` is not a date-time: {exc}", "datetime") from exc


Int32 = {"format": "int32"}
CouncilDistrict = Annotated[int, Field(ge=1, le=15, json_schema_extra=Int32)]


@dataclass(frozen=True)
class FeatureQuery:
    """The query parameters of `/collections/{collectionId}/items`, parsed."""

    bbox: BoundingBox | None
    interval: Interval | None
    limit: int
    page_token: str | None
    columns: dict[str, list[Any] | None]


async def feature_query(
    bbox: Annotated[
        str | None,
        Query(
            max_length=200,
            json_schema_extra={"pattern": BBOX_PATTERN},
            description="`west,south,east,north` in WGS84 degrees (CRS84), e.g. "
            "`-118.30,34.00,-118.20,34.10`: features whose footprint's bounds, or point, touch the box. "
            "A west edge east of the east edge crosses the antimeridian.",
        ),
    ] = None,
    datetime_: Annotated[
        str | None,
        Query(
            alias="datetime",
            max_length=100,
            json_schema_extra={"pattern": DATETIME_PATTERN},
            description="On the asset's `updated_at`: an RFC 3339 date-time with offset, or an "
            "interval `start/end` (both included) with `..` for an open end.",
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_LIMIT,
            json_schema_extra=Int32,
            description=f"Features per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}).",
        ),
    ] = DEFAULT_LIMIT,
    page_token: Annotated[
        str | None,
        Query(
            max_length=2048,
            json_schema_extra={"pattern": CURSOR_PATTERN},
            description="Set by the `next` link; not built by hand.",
        ),
    ] = None,
    status_: Annotated[
        list[AssetStatus] | None, Query(alias="status", max_length=10, description="Repeat for several.")
    ] = None,
    asset_type: Annotated[
        list[AssetType] | None,
        Query(alias="type", max_length=3, description="land, building or structure."),
    ] = None,
    department: Annotated[
        list[Department] | None,
        Query(max_length=30, description="Controlling department code, e.g. `GSD`; repeat for several."),
    ] = None,
    council_district: Annotated[
        list[CouncilDistrict] | None, Query(max_length=15, description="1–15; repeat for several.")
    ] = None,
) -> FeatureQuery:
    # A coroutine, not a class dependency: FastAPI would build a class in a worker thread.
    return FeatureQuery(
        bbox=parse_bbox(bbox) if bbox is not None else None,
        interval=parse_datetime(datetime_) if datetime_ is not None else None,
        limit=limit,
        page_token=page_token,
        columns={
            "status": status_,
            "asset_type": asset_type,
            "controlling_department": department,
            "council_district": council_district,
        },
    )


FeatureParams = Annotated[FeatureQuery, Depends(feature_query)]
