"""`/geo`: the asset registry as OGC API - Features (Part 1: Core, GeoJSON), public like the inventory.

Links are absolute, on the address the client called (through the gateway, the gateway's). Features
answer `application/geo+json`; the landing page, conformance and collections `application/json`. Absent
members are left out rather than null: the OGC schemas type them, and null is none of their values.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, Response
from fastapi.responses import JSONResponse

from services.assets.access import READ, Viewer
from services.assets.contracts import (
    CONFORMANCE_CORE,
    CONFORMANCE_GEOJSON,
    CONFORMANCE_OAS30,
    AssetFeature,
    AssetFeatureCollection,
    GeoCollection,
    GeoCollectionList,
    GeoConformance,
    GeoExtent,
    GeoLandingPage,
    GeoLink,
    GeoSpatialExtent,
    GeoTemporalExtent,
)
from services.assets.geo import service
from services.assets.geo.parameters import FeatureParams, GeoRoute
from services.common.auth import Principal
from services.common.clock import utcnow
from services.common.db import Session
from services.common.forwarded import public_url
from services.common.pagination import Pager
from services.common.problems import (
    InvalidPageToken,
    InvalidParameter,
    NotFound,
    Unauthorized,
    problem_responses,
)
from services.common.unit_of_work import service_router

router = service_router(route_class=GeoRoute, tags=["geo"])

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.1"
# Public answers are the same for every anonymous caller: shared caches may keep them a few minutes.
PUBLIC_CACHE = "public, max-age=300"

CollectionId = Annotated[
    str,
    Path(
        alias="collectionId",
        max_length=64,
        json_schema_extra={"pattern": "^[a-z][a-z0-9-]*$"},
        description="The collection: `assets`.",
    ),
]
FeatureId = Annotated[
    str,
    Path(
        alias="featureId",
        max_length=64,
        json_schema_extra={"pattern": "^[0-9a-fA-F-]+$"},
        description="The feature's id: the asset's id.",
    ),
]


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


def _href(request: Request, route: str, **params: str) -> str:
    """The absolute URL of one of the service's routes, on the address the client called."""
    path = request.app.url_path_for(route, **params)
    return str(public_url(request).replace(path=path, query=""))


def _cache(response: Response, viewer: Principal | None) -> None:
    response.headers["Cache-Control"] = PUBLIC_CACHE if viewer is None else "private, no-cache"


def _is_staff(viewer: Principal | None) -> bool:
    return viewer is not None and viewer.has(READ)


@router.get(
    "/geo",
    response_model=GeoLandingPage,
    response_model_exclude_none=True,
    summary="The OGC API - Features landing page",
    description="Links to the API definition, the conformance declaration and the collections.",
    responses=problem_responses(Unauthorized),
)
async def geo_landing(request: Request, viewer: Viewer, response: Response) -> GeoLandingPage:
    _cache(response, viewer)
    root = public_url(request).replace(path="", query="")
    return GeoLandingPage(
        title="CityOps Real Estate: features",
        description="The City's real-estate assets as GeoJSON features (OGC API - Features, Part 1: Core).",
        links=[
            GeoLink(href=_href(request, "geo_landing"), rel="self", type=JSON, title="This document"),
            GeoLink(
                href=f"{root}/openapi.json", rel="service-desc", type=OPENAPI, title="The API definition"
            ),
            GeoLink(href=f"{root}/docs", rel="service-doc", type="text/html", title="The API documentation"),
            GeoLink(
                href=_href(request, "geo_conformance"), rel="conformance", type=JSON, title="Conformance"
            ),
            GeoLink(href=_href(request, "geo_collections_list"), rel="data", type=JSON, title="Collections"),
        ],
    )


@router.get(
    "/geo/conformance",
    response_model=GeoConformance,
    response_model_exclude_none=True,
    summary="The conformance classes implemented",
    responses=problem_responses(Unauthorized),
)
async def geo_conformance(viewer: Viewer, response: Response) -> GeoConformance:
    _cache(response, viewer)
    return GeoConformance(conforms_to=[CONFORMANCE_CORE, CONFORMANCE_GEOJSON, CONFORMANCE_OAS30])


async def _collection(request: Request, session: Session, staff: bool) -> GeoCollection:
    extents = await service.extents(session, staff=staff)
    extent = None
    if extents.bbox and extents.first_updated and extents.last_updated:
        extent = GeoExtent(
            spatial=GeoSpatialExtent(bbox=[list(extents.bbox)]),
            temporal=GeoTemporalExtent(interval=[[extents.first_updated, extents.last_updated]]),
        )
    ids = {"collectionId": service.COLLECTION_ID}
    return GeoCollection(
        id=service.COLLECTION_ID,
        title=service.COLLECTION_TITLE,
        description=service.COLLECTION_DESCRIPTION,
        links=[
            GeoLink(
                href=_href(request, "geo_collection_get", **ids),
                rel="self",
                type=JSON,
                title="This collection",
            ),
            GeoLink(
                href=_href(request, "geo_items_list", **ids), rel="items", type=GEOJSON, title="Its features"
            ),
        ],
        extent=extent,
    )


@router.get(
    "/geo/collections",
    response_model=GeoCollectionList,
    response_model_exclude_none=True,
    summary="The feature collections",
    description="One collection, `assets`, whose extent is that of the features the caller may see.",
    responses=problem_responses(Unauthorized),
)
async def geo_collections_list(
    request: Request, session: Session, viewer: Viewer, response: Response
) -> GeoCollectionList:
    _cache(response, viewer)
    collection = await _collection(request, session, _is_staff(viewer))
    return GeoCollectionList(
        links=[
            GeoLink(href=_href(request, "geo_collections_list"), rel="self", type=JSON, title="This document")
        ],
        collections=[collection],
    )


@router.get(
    "/geo/collections/{collectionId}",
    response_model=GeoCollection,
    response_model_exclude_none=True,
    summary="A feature collection",
    responses=problem_responses(Unauthorized, InvalidParameter, NotFound),
)
async def geo_collection_get(
    collection_id: CollectionId, request: Request, session: Session, viewer: Viewer, response: Response
) -> GeoCollection:
    service.check_collection(collection_id)
    _cache(response, viewer)
    return await _collection(request, session, _is_staff(viewer))


@router.get(
    "/geo/collections/{collectionId}/items",
    response_model=AssetFeatureCollection,
    response_class=GeoJSONResponse,
    summary="Features of a collection",
    description="GeoJSON features, oldest first, `limit` at a time; follow the `next` link while there is "
    "one. Filters combine with AND, values of one filter with OR. `numberMatched` counts every feature "
    "the query matches. A bad parameter is a 400 naming it (OGC API - Features), not a 422.",
    responses=problem_responses(Unauthorized, InvalidParameter, InvalidPageToken, NotFound),
)
async def geo_items_list(
    collection_id: CollectionId,
    query: FeatureParams,
    request: Request,
    session: Session,
    viewer: Viewer,
) -> Response:
    service.check_collection(collection_id)
    pager = Pager(query.limit, query.page_token, request.app.state.page_token_serializer)
    page = await service.features_page(session, query, pager, staff=_is_staff(viewer))
    self_url = public_url(request)
    links = [
        GeoLink(href=str(self_url), rel="self", type=GEOJSON, title="This page"),
        GeoLink(
            href=_href(request, "geo_collection_get", collectionId=service.COLLECTION_ID),
            rel="collection",
            type=JSON,
            title="The collection",
        ),
    ]
    if page.next_page_token is not None:
        following = self_url.include_query_params(page_token=page.next_page_token)
        links.append(GeoLink(href=str(following), rel="next", type=GEOJSON, title="The next page"))
    body = {
        "type": "FeatureCollection",
        "features": page.features,
        "links": [link.model_dump(exclude_none=True) for link in links],
        "timeStamp": utcnow().isoformat(),
        "numberMatched": page.number_matched,
        "numberReturned": len(page.features),
    }
    answer = GeoJSONResponse(body)
    _cache(answer, viewer)
    return answer


@router.get(
    "/geo/collections/{collectionId}/items/{featureId}",
    response_model=AssetFeature,
    response_class=GeoJSONResponse,
    summary="A feature",
    description="404 for an asset without a place, and, without `real_estate:read`, for a sensitive one, "
    "as for one that does not exist.",
    responses=problem_responses(Unauthorized, InvalidParameter, NotFound),
)
async def geo_item_get(
    collection_id: CollectionId, feature_id: FeatureId, request: Request, session: Session, viewer: Viewer
) -> Response:
    service.check_collection(collection_id)
    staff = _is_staff(viewer)
    found = await service.get_feature(session, feature_id, staff=staff)
    # The same asset as the platform's JSON record: the full one for staff, the inventory's otherwise.
    record = _href(request, "assets_get" if staff else "inventory_get", asset_id=found["id"])
    ids = {"collectionId": service.COLLECTION_ID}
    links = [
        GeoLink(href=_href(request, "geo_item_get", **ids, featureId=found["id"]), rel="self", type=GEOJSON),
        GeoLink(href=record, rel="alternate", type=JSON, title="The asset's record"),
        GeoLink(href=_href(request, "geo_collection_get", **ids), rel="collection", type=JSON),
    ]
    found["links"] = [link.model_dump(exclude_none=True) for link in links]
    answer = GeoJSONResponse(found)
    _cache(answer, viewer)
    return answer
