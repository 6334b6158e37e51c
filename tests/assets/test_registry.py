"""The asset registry through its HTTP API: create, read, change, list with filters and paging, and every
rule of an asset's fields, each refused with a problem naming the field and the rule."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from services.common.clock import city_today, utcnow
from tests.assets.factories import (
    ASSETS,
    LHJ_POINT,
    PALMDALE_POINT,
    READ,
    WRITE,
    audit_actions,
    building_body,
    create_asset,
    land_body,
    ok,
    square,
    structure_body,
)
from tests.problems import assert_problem


def field_errors(problem: dict) -> dict[str, str]:
    """{field: rule code} of a validation problem's `errors`."""
    return {str(error["location"][-1]): error["code"] for error in problem["errors"]}


async def test_create_answers_the_active_asset_with_its_number_location_and_etag(assets, auth):
    response = await assets.post(ASSETS, json=building_body(), headers=auth(WRITE))

    asset = ok(response, 201)
    assert response.headers["location"] == f"{ASSETS}/{asset['id']}"
    assert response.headers["etag"]
    assert asset["status"] == "active"
    assert asset["asset_number"].startswith("LA-RP-") and len(asset["asset_number"]) == 12
    assert asset["gross_sqft"] == 229_000 and asset["hcm_number"] == 587
    assert asset["location"] == LHJ_POINT
    assert asset["warnings"] == []
    assert asset["apns"] == []
    assert asset["version"] == 1


async def test_each_type_with_its_own_size(assets, auth):
    land = await create_asset(assets, auth, land_body())
    structure = await create_asset(assets, auth, structure_body())

    assert (land["asset_type"], land["land_area_acres"]) == ("land", 0.42)
    assert (structure["structure_quantity"], structure["structure_unit"]) == (3500, "linear_feet")


async def test_asset_numbers_are_distinct_and_never_change(assets, auth):
    first = await create_asset(assets, auth)
    second = await create_asset(assets, auth, land_body())
    assert first["asset_number"] != second["asset_number"]

    read = await assets.get(f"{ASSETS}/{first['id']}", headers=auth(READ))
    refused = await assets.patch(
        f"{ASSETS}/{first['id']}",
        json={"asset_number": "LA-RP-999999"},
        headers={**auth(WRITE), "If-Match": read.headers["etag"]},
    )
    problem = assert_problem(refused, 422, "validation-error")
    assert problem["errors"][0]["location"] == ["body", "asset_number"]
    assert problem["errors"][0]["code"] == "extra_forbidden"


async def test_a_point_outside_the_city_is_kept_with_a_warning(assets, auth):
    asset = await create_asset(assets, auth, land_body(location=PALMDALE_POINT, city="Palmdale"))

    assert asset["location"] == PALMDALE_POINT
    assert [w["code"] for w in asset["warnings"]] == ["location_outside_city"]
    assert asset["warnings"][0]["field"] == "location"
    read = ok(await assets.get(f"{ASSETS}/{asset['id']}", headers=auth(READ)))
    assert read["warnings"] == asset["warnings"]


async def test_a_footprint_outside_the_city_is_flagged_too(assets, auth):
    asset = await create_asset(assets, auth, building_body(footprint=square(west=-118.1, south=34.6)))
    assert [w["code"] for w in asset["warnings"]] == ["footprint_outside_city"]


async def test_coordinates_are_rounded_to_seven_decimals(assets, auth):
    point = {"type": "Point", "coordinates": [-118.228812345678, 34.067612345678]}
    asset = await create_asset(assets, auth, building_body(location=point))
    assert asset["location"]["coordinates"] == [-118.2288123, 34.0676123]


async def test_a_clockwise_footprint_is_stored_counter_clockwise(assets, auth):
    clockwise = square()
    clockwise["coordinates"][0].reverse()
    asset = await create_asset(assets, auth, building_body(footprint=clockwise))

    ring = asset["footprint"]["coordinates"][0]
    signed_area = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))
    assert signed_area > 0  # counter-clockwise: RFC 7946's right-hand rule
    assert ring[0] == ring[-1]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (land_body(land_area_acres=None), "land_area_acres", "required_for_asset_type"),
        (land_body(gross_sqft=1000), "gross_sqft", "not_allowed_for_asset_type"),
        (land_body(year_built=1990), "year_built", "not_allowed_for_asset_type"),
        (land_body(structure_unit="each"), "structure_unit", "not_allowed_for_asset_type"),
        (building_body(gross_sqft=None, rentable_sqft=None), "gross_sqft", "required_for_asset_type"),
        (building_body(gross_sqft=0, rentable_sqft=None), "gross_sqft", "must_be_positive"),
        (building_body(gross_sqft=1000, rentable_sqft=1001), "rentable_sqft", "rentable_exceeds_gross"),
        (building_body(land_area_acres=1.5), "land_area_acres", "not_allowed_for_asset_type"),
        (structure_body(structure_unit=None), "structure_unit", "required_for_asset_type"),
        (structure_body(structure_quantity=None), "structure_quantity", "required_for_asset_type"),
        (structure_body(gross_sqft=10), "gross_sqft", "not_allowed_for_asset_type"),
        (land_body(predominant_use="office"), "predominant_use", "use_not_for_asset_type"),
        (building_body(predominant_use="parking_lot"), "predominant_use", "use_not_for_asset_type"),
        (structure_body(predominant_use="library"), "predominant_use", "use_not_for_asset_type"),
        (building_body(hcm_number=None), "hcm_number", "required_for_historical_status"),
    ],
)
async def test_rules_of_an_asset_are_422_naming_field_and_rule(assets, auth, body, field, code):
    response = await assets.post(ASSETS, json=body, headers=auth(WRITE))

    problem = assert_problem(response, 422, "validation-error")
    assert field_errors(problem) == {field: code}


async def test_every_breach_is_reported_at_once(assets, auth):
    body = land_body(land_area_acres=None, gross_sqft=10, predominant_use="office")
    problem = assert_problem(
        await assets.post(ASSETS, json=body, headers=auth(WRITE)), 422, "validation-error"
    )
    assert field_errors(problem) == {
        "land_area_acres": "required_for_asset_type",
        "gross_sqft": "not_allowed_for_asset_type",
        "predominant_use": "use_not_for_asset_type",
    }


async def test_years_in_the_future_are_refused(assets, auth):
    next_year = city_today().year + 1
    body = building_body(year_built=next_year, year_acquired=next_year)
    problem = assert_problem(
        await assets.post(ASSETS, json=body, headers=auth(WRITE)), 422, "validation-error"
    )
    assert field_errors(problem) == {"year_built": "year_in_future", "year_acquired": "year_in_future"}


@pytest.mark.parametrize(
    ("change", "location", "code"),
    [
        ({"name": ""}, ["body", "name"], "string_too_short"),
        ({"asset_type": "vehicle"}, ["body", "asset_type"], "enum"),
        ({"legal_interest": "borrowed"}, ["body", "legal_interest"], "enum"),
        ({"controlling_department": "XYZ"}, ["body", "controlling_department"], "enum"),
        ({"council_district": 0}, ["body", "council_district"], "greater_than_equal"),
        ({"council_district": 16}, ["body", "council_district"], "less_than_equal"),
        ({"zip_code": "9001"}, ["body", "zip_code"], "string_pattern_mismatch"),
        ({"gross_sqft": -5}, ["body", "gross_sqft"], "greater_than_equal"),
        ({"historical_status": "old"}, ["body", "historical_status"], "enum"),
        (
            {"location": {"type": "Point", "coordinates": [-200, 34]}},
            ["body", "location", "coordinates"],
            "longitude_out_of_range",
        ),
        (
            {"location": {"type": "Point", "coordinates": [-118, 95]}},
            ["body", "location", "coordinates"],
            "latitude_out_of_range",
        ),
        (
            {"location": {"type": "Point", "coordinates": [-118]}},
            ["body", "location", "coordinates"],
            "too_short",
        ),
        (
            {"location": {"type": "Polygon", "coordinates": [-118, 34]}},
            ["body", "location", "type"],
            "literal_error",
        ),
        ({"unexpected": 1}, ["body", "unexpected"], "extra_forbidden"),
    ],
)
async def test_malformed_fields_are_422_naming_the_field(assets, auth, change, location, code):
    problem = assert_problem(
        await assets.post(ASSETS, json=building_body(**change), headers=auth(WRITE)), 422, "validation-error"
    )
    assert problem["errors"][0]["location"] == location
    assert problem["errors"][0]["code"] == code


def _ring(*positions):
    return {"type": "Polygon", "coordinates": [list(map(list, positions))]}


@pytest.mark.parametrize(
    ("footprint", "code"),
    [
        (_ring((0, 0), (1, 0), (1, 1), (0, 1)), "polygon_ring_not_closed"),
        (_ring((0, 0), (1, 1), (1, 0), (0, 1), (0, 0)), "polygon_self_intersection"),
        (_ring((0, 0), (1, 0), (0, 0)), "too_short"),
        (_ring((0, 0), (1, 0), (2, 0), (0, 0)), "polygon_self_intersection"),  # doubles back on itself
        (_ring((0, 0), (1, 0), (1, 1), (0, 1), (0, 0)) | {"type": "LineString"}, "literal_error"),
        (_ring((0, 0), (181, 0), (1, 1), (0, 0)), "longitude_out_of_range"),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]],
                    [[2, 2], [3, 2], [3, 3], [2, 2]],  # a hole outside its shell
                ],
            },
            "polygon_invalid",
        ),
    ],
)
async def test_bad_footprints_are_422_naming_the_rule(assets, auth, footprint, code):
    problem = assert_problem(
        await assets.post(ASSETS, json=building_body(footprint=footprint), headers=auth(WRITE)),
        422,
        "validation-error",
    )
    assert problem["errors"][0]["location"][:2] == ["body", "footprint"]
    assert problem["errors"][0]["code"] == code


async def test_get_an_unknown_asset_is_404(assets, auth):
    response = await assets.get(f"{ASSETS}/01900000-0000-7000-8000-000000000000", headers=auth(READ))
    assert_problem(response, 404, "not-found")


async def test_reads_need_the_read_scope_and_writes_the_write_scope(assets, auth):
    assert_problem(await assets.get(ASSETS), 401, "unauthorized")
    assert_problem(await assets.get(ASSETS, headers=auth("procurement:read")), 403, "forbidden")
    assert_problem(await assets.post(ASSETS, json=building_body(), headers=auth(READ)), 403, "forbidden")
    assert_problem(await assets.post(ASSETS, json=building_body()), 401, "unauthorized")


async def change(assets, auth, asset, body, etag=None):
    if etag is None:
        etag = (await assets.get(f"{ASSETS}/{asset['id']}", headers=auth(READ))).headers["etag"]
    return await assets.patch(f"{ASSETS}/{asset['id']}", json=body, headers={**auth(WRITE), "If-Match": etag})


async def test_patch_changes_fields_bumps_the_version_and_is_audited(assets, auth):
    asset = await create_asset(assets, auth)
    response = await change(
        assets, auth, asset, {"name": "Lincoln Heights Jail (former)", "council_district": 1}
    )

    changed = ok(response)
    assert changed["name"] == "Lincoln Heights Jail (former)"
    assert changed["version"] == 2
    read = await assets.get(f"{ASSETS}/{asset['id']}", headers=auth(READ))
    assert read.headers["etag"] == response.headers["etag"]
    assert await audit_actions(assets, auth, "asset", asset["id"]) == ["create", "update"]


async def test_patch_null_clears_an_optional_field_and_refuses_a_required_one(assets, auth):
    asset = await create_asset(assets, auth)
    cleared = ok(await change(assets, auth, asset, {"footprint": None, "zoning": None}))
    assert cleared["footprint"] is None and cleared["zoning"] is None

    problem = assert_problem(await change(assets, auth, cleared, {"name": None}), 422, "validation-error")
    assert field_errors(problem) == {"name": "not_nullable"}


async def test_patch_checks_the_rules_on_the_asset_as_it_would_be(assets, auth):
    asset = await create_asset(assets, auth)
    problem = assert_problem(
        await change(assets, auth, asset, {"gross_sqft": 150_000}), 422, "validation-error"
    )
    assert field_errors(problem) == {"rentable_sqft": "rentable_exceeds_gross"}
    problem = assert_problem(
        await change(assets, auth, asset, {"historical_status": "local_hcm", "hcm_number": None}),
        422,
        "validation-error",
    )
    assert field_errors(problem) == {"hcm_number": "required_for_historical_status"}


async def test_patch_cannot_change_the_asset_type(assets, auth):
    asset = await create_asset(assets, auth)
    problem = assert_problem(
        await change(assets, auth, asset, {"asset_type": "land"}), 422, "validation-error"
    )
    assert problem["errors"][0]["location"] == ["body", "asset_type"]


async def test_patch_without_if_match_is_428_and_with_a_stale_one_412(assets, auth):
    asset = await create_asset(assets, auth)
    url = f"{ASSETS}/{asset['id']}"
    etag = (await assets.get(url, headers=auth(READ))).headers["etag"]

    assert_problem(
        await assets.patch(url, json={"name": "X"}, headers=auth(WRITE)), 428, "precondition-required"
    )
    ok(await change(assets, auth, asset, {"name": "Y"}, etag=etag))
    stale = await change(assets, auth, asset, {"name": "Z"}, etag=etag)
    assert_problem(stale, 412, "precondition-failed")
    assert ok(await assets.get(url, headers=auth(READ)))["name"] == "Y"


async def test_patch_that_changes_nothing_keeps_the_version(assets, auth):
    asset = await create_asset(assets, auth)
    same = ok(await change(assets, auth, asset, {"name": asset["name"]}))
    assert same["version"] == 1


async def test_create_with_an_idempotency_key_is_replayed(assets, auth):
    headers = {**auth(WRITE), "Idempotency-Key": "lhj-registration-1"}
    first = await assets.post(ASSETS, json=building_body(), headers=headers)
    again = await assets.post(ASSETS, json=building_body(), headers=headers)

    assert first.status_code == again.status_code == 201
    assert first.json()["asset_number"] == again.json()["asset_number"]
    other = await assets.post(ASSETS, json=building_body(name="Other"), headers=headers)
    assert_problem(other, 422, "unprocessable-entity")


async def test_list_filters_by_status_type_department_district_and_interest(assets, auth):
    jail = await create_asset(assets, auth)
    lot = await create_asset(assets, auth, land_body(council_district=14, legal_interest="leased"))
    bridge = await create_asset(assets, auth, structure_body())
    mine = {jail["id"], lot["id"], bridge["id"]}

    async def listed(**params):
        response = await assets.get(ASSETS, params={"page_size": 500, **params}, headers=auth(READ))
        return {item["id"] for item in ok(response)["items"]} & mine

    assert await listed(type="land") == {lot["id"]}
    assert await listed(type=["land", "structure"]) == {lot["id"], bridge["id"]}
    assert await listed(department="gsd") == {jail["id"]}
    assert await listed(council_district=14) == {lot["id"], bridge["id"]}
    assert await listed(legal_interest="leased") == {lot["id"]}
    assert await listed(status="active") == mine
    assert await listed(status="excess") == set()


async def test_list_refuses_bad_filters(assets, auth):
    for params in (
        {"council_district": 16},
        {"type": "vehicle"},
        {"status": "gone"},
        {"updated_since": "2030-01-01"},
    ):
        assert_problem(await assets.get(ASSETS, params=params, headers=auth(READ)), 422, "validation-error")


async def test_updated_since_and_keyset_pages(assets, auth):
    before = utcnow() - timedelta(seconds=1)
    created = [await create_asset(assets, auth, land_body(name=f"Lot {n}")) for n in range(5)]
    ids = [asset["id"] for asset in created]

    seen, token = [], None
    while True:
        params = {
            "page_size": 2,
            "updated_since": before.isoformat(),
            **({"page_token": token} if token else {}),
        }
        page = ok(await assets.get(ASSETS, params=params, headers=auth(READ)))
        seen += [item["id"] for item in page["items"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert [i for i in seen if i in ids] == ids

    later = utcnow() + timedelta(days=1)
    empty = ok(await assets.get(ASSETS, params={"updated_since": later.isoformat()}, headers=auth(READ)))
    assert empty["items"] == []


async def test_a_page_token_is_bound_to_its_filters(assets, auth):
    for n in range(3):
        await create_asset(assets, auth, land_body(name=f"Lot {n}"))
    page = ok(await assets.get(ASSETS, params={"page_size": 1, "type": "land"}, headers=auth(READ)))
    other = await assets.get(
        ASSETS,
        params={"page_size": 1, "type": "building", "page_token": page["next_page_token"]},
        headers=auth(READ),
    )
    assert_problem(other, 400, "invalid-page-token")
