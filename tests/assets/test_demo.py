"""The demo sites, written through the registry's own services: where each stands, and a second load
into a registry that holds assets writes nothing."""

from __future__ import annotations

import asyncio

from services.assets.demo import load_demo_data, write_sites
from services.assets.seeding.sites import SITES
from tests.assets.factories import ASSETS, INVENTORY, READ, audit_actions, ok
from tests.conftest import migrated_database


async def by_name(assets, auth) -> dict[str, dict]:
    page = ok(await assets.get(ASSETS, params={"page_size": 500}, headers=auth(READ)))
    return {item["name"]: item for item in page["items"]}


async def test_the_sites_stand_where_the_programme_left_them(assets, auth, session):
    assert await write_sites(session) == len(SITES)
    sites = await by_name(assets, auth)

    jail = sites["Lincoln Heights Jail"]
    assert (jail["status"], jail["cannot_dispose_reason"]) == (
        "cannot_currently_be_disposed",
        "environmental",
    )
    assert (jail["gross_sqft"], jail["hcm_number"], jail["council_district"]) == (229_000, 587, 1)
    assert jail["apns"] == ["5447-013-900"]
    assert await audit_actions(assets, auth, "asset", jail["id"]) == [
        "create",
        "link_parcel",
        "transition:inactive",
        "transition:cannot_currently_be_disposed",
    ]
    lots = [item for name, item in sites.items() if name.startswith("Lincoln Heights parking lot")]
    assert len(lots) == 5 and {lot["status"] for lot in lots} == {"disposal_in_progress"}
    assert sites["Parker Center"]["status"] == "demolished"
    assert sites["Parker Center"]["apns"] == sites["Parker Center site"]["apns"] == ["5161-006-900"]
    assert [w["code"] for w in sites["Palmdale airport land"]["warnings"]] == ["location_outside_city"]
    assert {item["council_district"] for name, item in sites.items() if "City Hall" in name} == {14}

    public = ok(await assets.get(INVENTORY, params={"page_size": 500}))
    names = {item["name"] for item in public["items"]}
    assert "Lincoln Heights Jail" in names
    assert "Emergency Operations Center" not in names


def test_a_second_load_writes_nothing(server_url):
    with migrated_database(server_url, "assets_demo") as url:
        assert asyncio.run(load_demo_data(url)) == len(SITES)
        assert asyncio.run(load_demo_data(url)) == 0
