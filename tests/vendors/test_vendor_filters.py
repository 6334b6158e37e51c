"""The vendor list's certification filters: `certification` (a type) and `as_of` (the day it must hold)."""

from __future__ import annotations

import pytest

from tests.vendors.factories import READ, VENDORS, certify, days, draft_vendor

PROBLEM = "application/problem+json"


async def listed(client, auth, **params):
    response = await client.get(VENDORS, params=params | {"page_size": 500}, headers=auth(READ))
    assert response.status_code == 200, response.text
    return {vendor["legal_name"] for vendor in response.json()["items"]}


async def test_certification_lists_vendors_holding_a_verified_current_one(vendors, auth):
    holder = await draft_vendor(vendors, auth, "Verified WBE Inc")
    await certify(vendors, auth, holder)
    await certify(vendors, auth, await draft_vendor(vendors, auth, "Pending WBE Inc"), to=())
    await certify(vendors, auth, await draft_vendor(vendors, auth, "Rejected WBE Inc"), to=("rejected",))
    await certify(
        vendors,
        auth,
        await draft_vendor(vendors, auth, "Expired WBE Inc"),
        effective_date=days(-800),
        expiration_date=days(-1),
    )
    await certify(
        vendors,
        auth,
        await draft_vendor(vendors, auth, "Revoked WBE Inc"),
        to=("verified", "revoked"),
    )
    await certify(vendors, auth, await draft_vendor(vendors, auth, "Verified SBE Inc"), "sbe")
    await certify(
        vendors,
        auth,
        await draft_vendor(vendors, auth, "Future WBE Inc"),
        effective_date=days(30),
        expiration_date=days(400),
    )

    assert await listed(vendors, auth, certification="wbe") == {"Verified WBE Inc"}
    assert await listed(vendors, auth, certification="sbe") == {"Verified SBE Inc"}
    assert await listed(vendors, auth, certification="dvbe") == set()


async def test_as_of_on_both_sides_of_an_expiration_date(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth, "Harbor Freight Lines LLC")
    await certify(vendors, auth, vendor_id, effective_date=days(-100), expiration_date=days(10))

    assert await listed(vendors, auth, certification="wbe", as_of=days(10)) == {"Harbor Freight Lines LLC"}
    assert await listed(vendors, auth, certification="wbe", as_of=days(11)) == set()
    assert await listed(vendors, auth, certification="wbe", as_of=days(-100)) == {"Harbor Freight Lines LLC"}
    assert await listed(vendors, auth, certification="wbe", as_of=days(-101)) == set()


async def test_as_of_in_the_past_sees_a_certificate_that_has_since_expired(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth, "Sunset Printing Corp")
    await certify(vendors, auth, vendor_id, effective_date=days(-700), expiration_date=days(-30))

    assert await listed(vendors, auth, certification="wbe") == set()
    assert await listed(vendors, auth, certification="wbe", as_of=days(-31)) == {"Sunset Printing Corp"}
    assert await listed(vendors, auth, certification="wbe", as_of=days(-30)) == {"Sunset Printing Corp"}
    assert await listed(vendors, auth, certification="wbe", as_of=days(-29)) == set()


async def test_a_revoked_certificate_counted_until_the_day_it_was_revoked(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth, "Wilshire Staffing Inc")
    await certify(vendors, auth, vendor_id, to=("verified", "revoked"))

    assert await listed(vendors, auth, certification="wbe", as_of=days(-1)) == {"Wilshire Staffing Inc"}
    assert await listed(vendors, auth, certification="wbe", as_of=days(0)) == set()


async def test_certification_combines_with_the_other_filters_and_pages(vendors, auth):
    for name in ("Alameda Tile One Inc", "Alameda Tile Two Inc", "Alameda Tile Three Inc"):
        await certify(vendors, auth, await draft_vendor(vendors, auth, name))
    await draft_vendor(vendors, auth, "Alameda Tile Uncertified Inc")

    names, token = set(), None
    while True:
        params = {"certification": "wbe", "q": "alameda tile", "page_size": 2}
        response = await vendors.get(
            VENDORS, params=params | ({"page_token": token} if token else {}), headers=auth(READ)
        )
        page = response.json()
        names |= {vendor["legal_name"] for vendor in page["items"]}
        token = page["next_page_token"]
        if token is None:
            break

    assert names == {"Alameda Tile One Inc", "Alameda Tile Two Inc", "Alameda Tile Three Inc"}
    assert await listed(vendors, auth, certification="wbe", status="active") == set()


async def test_a_vendor_with_two_matching_certificates_is_listed_once(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth, "Double Certified Inc")
    await certify(vendors, auth, vendor_id, certificate_number="A")
    await certify(vendors, auth, vendor_id, certificate_number="B")

    response = await vendors.get(VENDORS, params={"certification": "wbe"}, headers=auth(READ))

    assert [vendor["id"] for vendor in response.json()["items"]] == [vendor_id]


@pytest.mark.parametrize(
    ("params", "location"),
    [
        ({"as_of": "2026-01-01"}, None),
        ({"certification": "vip"}, ["query", "certification"]),
        ({"certification": "wbe", "as_of": "yesterday"}, ["query", "as_of"]),
    ],
)
async def test_bad_certification_filters_are_422(vendors, auth, params, location):
    response = await vendors.get(VENDORS, params=params, headers=auth(READ))

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    if location is None:
        assert "as_of" in problem["detail"]
    else:
        assert any(error["location"] == location for error in problem["errors"]), problem


async def test_the_filters_need_a_token(vendors):
    response = await vendors.get(VENDORS, params={"certification": "wbe"})
    assert response.status_code == 401
