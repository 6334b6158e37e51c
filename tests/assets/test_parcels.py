"""Parcels by APN, and their links to assets: APNs in either written form, stored as digits and shown
dashed; links many to many, each a new version of its asset; retired parcels take no new links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.common.clock import utcnow
from tests.assets.factories import (
    ASSETS,
    PARCELS,
    READ,
    WRITE,
    audit_actions,
    building_body,
    create_asset,
    create_parcel,
    land_body,
    link,
    move_asset,
    ok,
)
from tests.problems import assert_problem


async def test_an_apn_with_or_without_dashes_is_stored_as_digits_and_shown_dashed(assets, auth):
    response = await assets.post(
        PARCELS, json={"apn": "5447013900", "situs_address": "401 N Avenue 19"}, headers=auth(WRITE)
    )

    parcel = ok(response, 201)
    assert parcel["apn"] == "5447-013-900"
    assert response.headers["location"] == f"{PARCELS}/5447-013-900"
    for written in ("5447-013-900", "5447013900"):
        assert ok(await assets.get(f"{PARCELS}/{written}", headers=auth(READ)))["apn"] == "5447-013-900"


async def test_a_registered_apn_is_409_whichever_way_it_is_written(assets, auth):
    await create_parcel(assets, auth, "5447-013-900")
    problem = assert_problem(
        await assets.post(PARCELS, json={"apn": "5447013900"}, headers=auth(WRITE)), 409, "conflict"
    )
    assert problem["errors"][0] == {
        "location": ["body", "apn"],
        "message": "5447-013-900 is registered",
        "code": "apn_taken",
    }


@pytest.mark.parametrize(
    "apn",
    [
        "544701390",
        "54470139001",
        "5447-13-900",
        "5447_013_900",
        "ABCD-013-900",
        "٥٤٤٧٠١٣٩٠٠",
        "54-47013900",
        " ",
    ],
)
async def test_malformed_apns_are_422_naming_the_field_and_rule(assets, auth, apn):
    problem = assert_problem(
        await assets.post(PARCELS, json={"apn": apn}, headers=auth(WRITE)), 422, "validation-error"
    )
    assert problem["errors"][0]["location"] == ["body", "apn"]
    assert problem["errors"][0]["code"] == "apn_format"


async def test_a_malformed_apn_in_the_path_is_422_naming_it(assets, auth):
    problem = assert_problem(
        await assets.get(f"{PARCELS}/12-34", headers=auth(READ)), 422, "validation-error"
    )
    assert problem["errors"][0] == {
        "location": ["path", "apn"],
        "message": problem["errors"][0]["message"],
        "code": "apn_format",
    }
    assert_problem(await assets.get(f"{PARCELS}/5447-013-901", headers=auth(READ)), 404, "not-found")


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("lot_area_sqft", 0, "greater_than"),
        ("assessor_use_code", "01", "string_pattern_mismatch"),
        ("pin", "x" * 21, "string_too_long"),
        ("retired_on", "2020-01-01", "extra_forbidden"),
    ],
)
async def test_malformed_parcel_fields(assets, auth, field, value, code):
    body = {"apn": "5447-013-900", field: value}
    problem = assert_problem(
        await assets.post(PARCELS, json=body, headers=auth(WRITE)), 422, "validation-error"
    )
    assert problem["errors"][0]["location"] == ["body", field]
    assert problem["errors"][0]["code"] == code


async def test_patch_a_parcel_with_if_match(assets, auth):
    await create_parcel(assets, auth, "5447-013-900")
    url = f"{PARCELS}/5447-013-900"
    etag = (await assets.get(url, headers=auth(READ))).headers["etag"]

    assert_problem(
        await assets.patch(url, json={"zoning": "PF-1"}, headers=auth(WRITE)), 428, "precondition-required"
    )
    changed = ok(await assets.patch(url, json={"zoning": "PF-1"}, headers={**auth(WRITE), "If-Match": etag}))
    assert (changed["zoning"], changed["version"]) == ("PF-1", 2)
    stale = await assets.patch(url, json={"zoning": "C2"}, headers={**auth(WRITE), "If-Match": etag})
    assert_problem(stale, 412, "precondition-failed")
    assert await audit_actions(assets, auth, "parcel", "5447013900") == ["create", "update"]


async def test_parcels_list_pages_in_apn_order_and_takes_updated_since(assets, auth):
    since = utcnow() - timedelta(seconds=1)
    apns = ["5161-005-900", "5161-006-900", "5161-007-900"]
    for apn in reversed(apns):
        await create_parcel(assets, auth, apn)
    seen, token = [], None
    while True:
        params = {
            "page_size": 1,
            "updated_since": since.isoformat(),
            **({"page_token": token} if token else {}),
        }
        page = ok(await assets.get(PARCELS, params=params, headers=auth(READ)))
        seen += [item["apn"] for item in page["items"]]
        if not (token := page["next_page_token"]):
            break
    assert [apn for apn in seen if apn in apns] == apns
    later = (utcnow() + timedelta(days=1)).isoformat()
    assert ok(await assets.get(PARCELS, params={"updated_since": later}, headers=auth(READ)))["items"] == []


async def test_parcels_need_a_token(assets, auth):
    assert_problem(await assets.get(PARCELS), 401, "unauthorized")
    assert_problem(
        await assets.post(PARCELS, json={"apn": "5447013900"}, headers=auth(READ)), 403, "forbidden"
    )


async def test_link_and_unlink_many_to_many(assets, auth):
    jail = await create_asset(assets, auth)
    lot = await create_asset(assets, auth, land_body())
    await create_parcel(assets, auth, "5447-013-900")
    await create_parcel(assets, auth, "5447013901")

    linked = await link(assets, auth, jail, "5447013900")
    asset = ok(linked)
    assert asset["apns"] == ["5447-013-900"]
    assert asset["version"] == 2
    assert (
        linked.headers["etag"]
        == (await assets.get(f"{ASSETS}/{jail['id']}", headers=auth(READ))).headers["etag"]
    )
    assert ok(await link(assets, auth, jail, "5447-013-901"))["apns"] == ["5447-013-900", "5447-013-901"]
    ok(await link(assets, auth, lot, "5447-013-900"))

    on_parcel = ok(await assets.get(f"{PARCELS}/5447-013-900/assets", headers=auth(READ)))
    assert {item["id"] for item in on_parcel["items"]} == {jail["id"], lot["id"]}
    of_asset = ok(await assets.get(f"{ASSETS}/{jail['id']}/parcels", headers=auth(READ)))
    assert [item["apn"] for item in of_asset["items"]] == ["5447-013-900", "5447-013-901"]

    etag = (await assets.get(f"{ASSETS}/{jail['id']}", headers=auth(READ))).headers["etag"]
    unlinked = await assets.delete(
        f"{ASSETS}/{jail['id']}/parcels/5447-013-900", headers={**auth(WRITE), "If-Match": etag}
    )
    assert ok(unlinked)["apns"] == ["5447-013-901"]
    assert await audit_actions(assets, auth, "asset", jail["id"]) == [
        "create",
        "link_parcel",
        "link_parcel",
        "unlink_parcel",
    ]
    on_parcel = ok(await assets.get(f"{PARCELS}/5447-013-900/assets", headers=auth(READ)))
    assert [item["id"] for item in on_parcel["items"]] == [lot["id"]]


async def test_linking_again_changes_nothing(assets, auth):
    asset = await create_asset(assets, auth)
    await create_parcel(assets, auth, "5447-013-900")
    first = ok(await link(assets, auth, asset, "5447-013-900"))
    again = ok(await link(assets, auth, asset, "5447013900"))
    assert again["version"] == first["version"] == 2


async def test_link_errors(assets, auth):
    asset = await create_asset(assets, auth)
    await create_parcel(assets, auth, "5447-013-900")
    url = f"{ASSETS}/{asset['id']}/parcels/5447-013-900"

    assert_problem(await assets.put(url, headers=auth(WRITE)), 428, "precondition-required")
    assert_problem(
        await assets.put(url, headers={**auth(WRITE), "If-Match": '"v7"'}), 412, "precondition-failed"
    )
    assert_problem(await link(assets, auth, asset, "5447-013-999"), 404, "not-found")
    assert_problem(await link(assets, auth, asset, "5447-13"), 422, "validation-error")
    nowhere = f"{ASSETS}/01900000-0000-7000-8000-000000000000/parcels/5447-013-900"
    assert_problem(await assets.put(nowhere, headers={**auth(WRITE), "If-Match": '"v1"'}), 404, "not-found")
    assert_problem(await assets.put(url, headers={**auth(READ), "If-Match": '"v1"'}), 403, "forbidden")
    etag = (await assets.get(f"{ASSETS}/{asset['id']}", headers=auth(READ))).headers["etag"]
    not_linked = await assets.delete(url, headers={**auth(WRITE), "If-Match": etag})
    assert_problem(not_linked, 404, "not-found")


async def test_a_retired_parcel_takes_no_new_link_but_keeps_its_links(assets, auth):
    kept = await create_asset(assets, auth)
    newcomer = await create_asset(assets, auth, land_body())
    await create_parcel(assets, auth, "5447-013-900")
    ok(await link(assets, auth, kept, "5447-013-900"))
    etag = (await assets.get(f"{PARCELS}/5447-013-900", headers=auth(READ))).headers["etag"]
    ok(
        await assets.patch(
            f"{PARCELS}/5447-013-900",
            json={"retired_on": "2030-01-01"},
            headers={**auth(WRITE), "If-Match": etag},
        )
    )

    problem = assert_problem(await link(assets, auth, newcomer, "5447-013-900"), 409, "conflict")
    assert problem["errors"][0]["code"] == "parcel_retired"
    assert ok(await assets.get(f"{ASSETS}/{kept['id']}", headers=auth(READ)))["apns"] == ["5447-013-900"]


async def test_a_final_asset_takes_no_link(assets, auth):
    asset = await create_asset(assets, auth, building_body())
    await create_parcel(assets, auth, "5447-013-900")
    ok(await move_asset(assets, auth, asset["id"], "demolished", reason="Gone."))
    assert_problem(await link(assets, auth, asset, "5447-013-900"), 409, "invalid-transition")
