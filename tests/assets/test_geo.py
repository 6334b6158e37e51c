"""OGC API - Features at /geo: each endpoint, validated against the published GeoJSON and OGC schemas;
bounding boxes against coordinates computed here; paging by `next` links to the end; `datetime` and
property filters; sensitive assets hidden from the public as in the inventory; every bad parameter a
400 (or 404) problem that names it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from services.common.clock import pinned_time
from tests.assets.factories import (
    GEO,
    INVENTORY,
    ITEMS,
    READ,
    building_body,
    create_asset,
    land_body,
    ok,
    point,
    square,
    structure_body,
)
from tests.assets.geo_validator import assert_right_hand_rule, assert_valid
from tests.problems import assert_problem

GEOJSON = "application/geo+json"
# An empty stretch of the Mojave, far from any demo site: the tests' assets are alone in it.
WEST, SOUTH = -116.5, 35.0


def spot(column: int, row: int, step: float = 0.01) -> tuple[float, float]:
    """A position on a grid in the tests' stretch, `step` degrees apart."""
    return round(WEST + column * step, 7), round(SOUTH + row * step, 7)


def bbox(west: float, south: float, east: float, north: float) -> str:
    return ",".join(str(value) for value in (west, south, east, north))


async def features(client: httpx.AsyncClient, headers: Any = None, **params: Any) -> dict[str, Any]:
    response = await client.get(ITEMS, params=params, headers=headers)
    body = ok(response)
    assert response.headers["content-type"] == GEOJSON
    assert_valid(body, ogc="featureCollectionGeoJSON", geojson="FeatureCollection")
    return body


def ids(collection: dict[str, Any]) -> set[str]:
    return {feature["id"] for feature in collection["features"]}


def link(document: dict[str, Any], rel: str) -> dict[str, Any] | None:
    return next((each for each in document["links"] if each["rel"] == rel), None)


async def located_land(
    client: httpx.AsyncClient, auth: Any, longitude: float, latitude: float, **fields: Any
):
    return await create_asset(client, auth, land_body(location=point(longitude, latitude), **fields))


async def test_the_landing_page_links_the_definition_conformance_and_collections(assets):
    response = await assets.get(GEO)
    page = ok(response)
    assert response.headers["content-type"] == "application/json"
    assert_valid(page, ogc="landingPage")
    rels = {each["rel"]: each for each in page["links"]}
    assert rels["self"]["href"] == f"http://assets.test{GEO}"
    assert rels["service-desc"]["href"] == "http://assets.test/openapi.json"
    assert ok(await assets.get(rels["service-desc"]["href"]))["paths"][
        ITEMS.replace("assets/items", "{collectionId}/items")
    ]
    conformance = ok(await assets.get(rels["conformance"]["href"]))
    assert_valid(conformance, ogc="confClasses")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conformance["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance["conformsTo"]
    collections = ok(await assets.get(rels["data"]["href"]))
    assert_valid(collections, ogc="collections")
    assert [collection["id"] for collection in collections["collections"]] == ["assets"]


async def test_the_collection_describes_its_extent_and_links_its_items(assets, auth):
    west, south = spot(0, 0)
    await create_asset(
        assets, auth, building_body(location=point(west, south), footprint=square(west, south, 0.002))
    )

    collection = ok(await assets.get(f"{GEO}/collections/assets"))
    assert_valid(collection, ogc="collection")
    box = collection["extent"]["spatial"]["bbox"][0]
    assert box[0] <= west and box[1] <= south and box[2] >= west + 0.002 and box[3] >= south + 0.002
    first, last = collection["extent"]["temporal"]["interval"][0]
    assert first <= last
    items = link(collection, "items")
    assert items is not None and items["type"] == GEOJSON
    assert items["href"] == f"http://assets.test{ITEMS}"
    assert_problem(await assets.get(f"{GEO}/collections/parcels"), 404, "not-found")
    assert_problem(await assets.get(f"{GEO}/collections/parcels/items"), 404, "not-found")


async def test_features_are_geojson_with_the_footprint_else_the_point_in_lon_lat_order(assets, auth):
    west, south = spot(1, 1)
    with_footprint = await create_asset(
        assets,
        auth,
        building_body(location=point(west + 0.0005, south + 0.0005), footprint=square(west, south, 0.001)),
    )
    lot = await located_land(assets, auth, west + 0.003, south + 0.0002)
    where = bbox(west - 0.001, south - 0.001, west + 0.004, south + 0.002)

    collection = await features(assets, bbox=where)
    found = {feature["id"]: feature for feature in collection["features"]}
    assert set(found) == {with_footprint["id"], lot["id"]}
    assert found[with_footprint["id"]]["geometry"] == with_footprint["footprint"]
    assert with_footprint["footprint"]["coordinates"][0][0] == [west, south]  # longitude first
    assert found[lot["id"]]["geometry"] == {"type": "Point", "coordinates": [west + 0.003, south + 0.0002]}
    for feature in collection["features"]:
        assert_right_hand_rule(feature)
    properties = found[lot["id"]]["properties"]
    assert properties["asset_number"] == lot["asset_number"] and properties["asset_type"] == "land"
    assert "is_sensitive" not in properties and "location" not in properties
    assert (collection["numberMatched"], collection["numberReturned"]) == (2, 2)
    assert datetime.fromisoformat(collection["timeStamp"]).tzinfo is not None
    assert link(collection, "self")["href"].startswith(f"http://assets.test{ITEMS}?")
    assert link(collection, "collection")["href"] == f"http://assets.test{GEO}/collections/assets"
    assert link(collection, "next") is None


async def test_one_feature_links_itself_its_collection_and_its_record(assets, auth):
    west, south = spot(2, 2)
    lot = await located_land(assets, auth, west, south)

    response = await assets.get(f"{ITEMS}/{lot['id']}")
    feature = ok(response)
    assert response.headers["content-type"] == GEOJSON
    assert_valid(feature, ogc="featureGeoJSON", geojson="Feature")
    assert feature["id"] == lot["id"] and feature["geometry"]["coordinates"] == [west, south]
    rels = {each["rel"]: each["href"] for each in feature["links"]}
    assert rels["self"] == f"http://assets.test{ITEMS}/{lot['id']}"
    assert rels["collection"] == f"http://assets.test{GEO}/collections/assets"
    assert rels["alternate"] == f"http://assets.test{INVENTORY}/{lot['id']}"
    assert ok(await assets.get(rels["alternate"]))["asset_number"] == lot["asset_number"]
    assert ok(await assets.get(rels["self"]))["id"] == lot["id"]


async def test_bbox_selects_what_touches_the_box_computed_here(assets, auth):
    # A 5 × 5 grid of points 0.01° apart, and a footprint straddling the box's east edge.
    made = {}
    for column in range(5):
        for row in range(5):
            longitude, latitude = spot(column, row)
            made[(longitude, latitude)] = (await located_land(assets, auth, longitude, latitude))["id"]
    west, south = spot(1, 1)
    east, north = spot(3, 2)
    straddling = await create_asset(
        assets,
        auth,
        building_body(location=point(east + 0.001, south), footprint=square(east - 0.001, south, 0.004)),
    )

    expected = {
        asset_id
        for (longitude, latitude), asset_id in made.items()
        if west <= longitude <= east and south <= latitude <= north  # edges included
    }
    assert len(expected) == 6
    assert ids(await features(assets, bbox=bbox(west, south, east, north), limit=100)) == expected | {
        straddling["id"]
    }
    # Just inside the grid's last row: nothing of the row above, and not the footprint.
    nudged = bbox(west - 0.005, south - 0.005, west + 0.005, south + 0.005)
    assert ids(await features(assets, bbox=nudged)) == {made[(west, south)]}


async def test_a_bbox_across_the_antimeridian(assets, auth):
    east_side = await located_land(assets, auth, 179.95, -16.5)
    west_side = await located_land(assets, auth, -179.95, -16.5)
    elsewhere = await located_land(assets, auth, 178.0, -16.5)

    found = ids(await features(assets, bbox="179.9,-17,-179.9,-16"))
    assert found == {east_side["id"], west_side["id"]}
    assert elsewhere["id"] not in found


async def test_next_links_page_through_every_feature_once(assets, auth):
    made = set()
    for column in range(7):
        longitude, latitude = spot(column, 10)
        made.add((await located_land(assets, auth, longitude, latitude))["id"])
    west, south = spot(0, 10)
    east, north = spot(6, 10)

    response = await assets.get(ITEMS, params={"bbox": bbox(west, south, east, north), "limit": 3})
    seen: list[str] = []
    returned = []
    while True:
        page = ok(response)
        assert_valid(page, ogc="featureCollectionGeoJSON", geojson="FeatureCollection")
        assert page["numberMatched"] == 7
        returned.append(page["numberReturned"])
        seen += [feature["id"] for feature in page["features"]]
        following = link(page, "next")
        if following is None:
            break
        assert following["type"] == GEOJSON and "bbox=" in following["href"]
        response = await assets.get(following["href"])
    assert returned == [3, 3, 1]
    assert len(seen) == len(set(seen)) and set(seen) == made

    first = ok(await assets.get(ITEMS, params={"bbox": bbox(west, south, east, north), "limit": 3}))
    token = httpx.URL(link(first, "next")["href"]).params["page_token"]
    # A token is only good for the query that issued it.
    other = await assets.get(
        ITEMS, params={"bbox": bbox(west, south, east, 35.2), "limit": 3, "page_token": token}
    )
    assert_problem(other, 400, "invalid-page-token")


async def test_datetime_selects_on_the_time_of_the_last_change(assets, auth):
    times = [datetime(2030, month, 1, 12, tzinfo=UTC) for month in (1, 2, 3)]
    made = []
    for column, at in enumerate(times):
        with pinned_time(at):
            made.append((await located_land(assets, auth, *spot(column, 20)))["id"])
    where = bbox(*spot(0, 20), *spot(2, 20))

    async def selected(value: str) -> set[str]:
        return ids(await features(assets, bbox=where, datetime=value))

    assert await selected("2030-02-01T12:00:00Z") == {made[1]}
    assert await selected("2030-02-01T04:00:00-08:00") == {made[1]}  # the same instant in Los Angeles
    assert await selected("2030-01-15T00:00:00Z/2030-03-01T12:00:00Z") == {made[1], made[2]}
    assert await selected("../2030-02-01T12:00:00Z") == {made[0], made[1]}
    assert await selected("2030-02-02T00:00:00Z/..") == {made[2]}
    assert await selected("../..") == set(made)


async def test_property_filters(assets, auth):
    jail = await create_asset(assets, auth, building_body(location=point(*spot(0, 30)), footprint=None))
    lot = await located_land(assets, auth, *spot(1, 30), council_district=14)
    viaduct = await create_asset(
        assets, auth, structure_body(location=point(*spot(2, 30)), controlling_department="BOE")
    )
    await assets.post(
        f"/v1/real-estate/assets/{lot['id']}/transitions",
        json={"to": "inactive"},
        headers=auth(READ + " real_estate:write"),
    )
    where = bbox(*spot(0, 30), *spot(2, 30))

    async def selected(**params: Any) -> set[str]:
        return ids(await features(assets, bbox=where, **params))

    assert await selected(type="land") == {lot["id"]}
    assert await selected(type=["land", "structure"]) == {lot["id"], viaduct["id"]}
    assert await selected(status="inactive") == {lot["id"]}
    assert await selected(department="boe") == {viaduct["id"]}
    assert await selected(council_district=1) == {jail["id"]}
    assert await selected(council_district=14, type="building") == set()


async def test_sensitive_assets_are_hidden_from_the_public_and_shown_with_the_read_scope(assets, auth):
    public = await located_land(assets, auth, *spot(0, 40))
    sensitive = await located_land(assets, auth, *spot(1, 40), is_sensitive=True, name="Water pumping plant")
    where = bbox(*spot(0, 40), *spot(1, 40))

    anonymous = await features(assets, bbox=where)
    assert ids(anonymous) == {public["id"]} and anonymous["numberMatched"] == 1
    assert "Water pumping plant" not in str(anonymous)
    assert_problem(await assets.get(f"{ITEMS}/{sensitive['id']}"), 404, "not-found")
    # A token without the scope sees what the public sees.
    other = auth("procurement:read")
    assert ids(await features(assets, headers=other, bbox=where)) == {public["id"]}
    assert_problem(await assets.get(f"{ITEMS}/{sensitive['id']}", headers=other), 404, "not-found")

    staff = await features(assets, headers=auth(READ), bbox=where)
    assert ids(staff) == {public["id"], sensitive["id"]} and staff["numberMatched"] == 2
    shown = {feature["id"]: feature["properties"]["is_sensitive"] for feature in staff["features"]}
    assert shown == {public["id"]: False, sensitive["id"]: True}
    one = ok(await assets.get(f"{ITEMS}/{sensitive['id']}", headers=auth(READ)))
    assert one["geometry"]["coordinates"] == list(spot(1, 40))
    assert {each["rel"]: each["href"] for each in one["links"]}["alternate"].endswith(
        f"/v1/real-estate/assets/{sensitive['id']}"
    )

    # The collection's extent is that of what the caller may see, and the token's pages stay its own.
    staff_page = ok(await assets.get(ITEMS, params={"bbox": where, "limit": 1}, headers=auth(READ)))
    token = httpx.URL(link(staff_page, "next")["href"]).params["page_token"]
    leaked = await assets.get(ITEMS, params={"bbox": where, "limit": 1, "page_token": token})
    assert_problem(leaked, 400, "invalid-page-token")


async def test_an_asset_without_a_place_is_no_feature(assets, auth):
    viaduct = await create_asset(assets, auth, structure_body())  # no point, no footprint
    assert_problem(await assets.get(f"{ITEMS}/{viaduct['id']}", headers=auth(READ)), 404, "not-found")
    assert ok(await assets.get(f"{INVENTORY}/{viaduct['id']}"))["location"] is None


async def test_a_token_sent_must_be_valid(assets):
    bad = {"Authorization": "Bearer not-a-token"}
    assert_problem(await assets.get(ITEMS, headers=bad), 401, "unauthorized")
    assert_problem(await assets.get(GEO, headers=bad), 401, "unauthorized")


BAD_PARAMETERS = [
    ("bbox", "-118.3,34.0,-118.2"),
    ("bbox", "-118.3,34.0,0,-118.2,34.1,100"),
    ("bbox", "west,34.0,-118.2,34.1"),
    ("bbox", "-118.3,34.0,-118.2,34.1,"),
    ("bbox", "-181,34.0,-118.2,34.1"),
    ("bbox", "-118.3,34.0,-118.2,90.5"),
    ("bbox", "-118.3,34.1,-118.2,34.0"),
    ("bbox", "1," * 120 + "1"),
    ("limit", "0"),
    ("limit", "1001"),
    ("limit", "ten"),
    ("datetime", "yesterday"),
    ("datetime", "2030-01-01"),
    ("datetime", "2030-13-01T00:00:00Z"),
    ("datetime", "2030-01-01T00:00:00"),
    ("datetime", "2030-03-01T00:00:00Z/2030-01-01T00:00:00Z"),
    ("datetime", "2030-01-01T00:00:00Z/"),
    ("status", "bogus"),
    ("type", "ship"),
    ("department", "NOPE"),
    ("council_district", "16"),
]


@pytest.mark.parametrize(("name", "value"), BAD_PARAMETERS)
async def test_a_bad_parameter_is_a_400_that_names_it(assets, name, value):
    problem = assert_problem(await assets.get(ITEMS, params={name: value}), 400, "invalid-parameter")
    assert [error["location"][:2] for error in problem["errors"]] == [["query", name]]
    assert f"`{name}`" in problem["detail"]


async def test_unknown_collections_and_features_are_404(assets, auth):
    for path in (
        f"{GEO}/collections/nope",
        f"{GEO}/collections/nope/items",
        f"{ITEMS}/0190b3f8-0000-7000-8000-000000000000",
        f"{ITEMS}/not-a-uuid",
    ):
        assert_problem(await assets.get(path), 404, "not-found")
    assert_problem(await assets.get(ITEMS, params={"page_token": "forged"}), 400, "invalid-page-token")


def test_every_parameter_is_bounded_in_the_document(assets_app):
    document = assets_app.openapi()
    operations = [
        operation
        for path, item in document["paths"].items()
        if path.startswith(GEO)
        for operation in item.values()
    ]
    assert len(operations) == 6
    for operation in operations:
        assert "422" not in operation["responses"], operation["operationId"]
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            for option in schema.get("anyOf", [schema]):
                kind = option.get("type")
                if kind == "string":
                    assert "maxLength" in option, parameter["name"]
                elif kind == "array":
                    assert "maxItems" in option, parameter["name"]
                elif kind == "integer":
                    assert option["format"] == "int32" and {"minimum", "maximum"} <= set(option)
        if operation.get("parameters"):
            assert "urn:cityops:problem:invalid-parameter" in operation["responses"]["400"]["x-problem-types"]


async def test_a_bbox_query_is_an_index_scan_on_the_extent(session):
    # Few rows make a sequential scan the cheaper plan; forbidding it shows the index answers the query.
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = await session.scalar(
        text(
            "EXPLAIN SELECT id FROM assets.assets "
            "WHERE extent && box(point(-118.3, 34.0), point(-118.2, 34.1))"
        )
    )
    assert "ix_assets_extent" in plan
