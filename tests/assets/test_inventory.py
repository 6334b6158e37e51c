"""The public inventory: without a token, non-sensitive assets only, and never a field kept from the
public (internal notes, status reasons, the sensitivity flag itself, versions)."""

from __future__ import annotations

from services.assets.contracts import Asset, PublicAsset
from tests.assets.factories import ASSETS, INVENTORY, READ, WRITE, building_body, create_asset, land_body, ok
from tests.problems import assert_problem

NEVER_PUBLIC = {
    "description",
    "status_reason",
    "cannot_dispose_reason",
    "is_sensitive",
    "version",
    "created_at",
    "warnings",
}


def test_the_public_model_leaves_out_what_is_never_public():
    assert set(PublicAsset.model_fields) == set(Asset.model_fields) - NEVER_PUBLIC


async def test_the_inventory_lists_non_sensitive_assets_without_a_token(assets, auth):
    public = await create_asset(assets, auth, building_body(description="Internal: broker notes"))
    sensitive = await create_asset(
        assets, auth, land_body(is_sensitive=True, name="Water pumping plant site")
    )

    response = await assets.get(INVENTORY, params={"page_size": 500})
    page = ok(response)
    ids = {item["id"] for item in page["items"]}
    assert public["id"] in ids
    assert sensitive["id"] not in ids
    assert response.headers["cache-control"] == "public, max-age=300"
    item = next(item for item in page["items"] if item["id"] == public["id"])
    assert set(item) & NEVER_PUBLIC == set()
    assert item["asset_number"] == public["asset_number"]
    assert item["location"] == public["location"]
    assert "Internal" not in response.text


async def test_one_public_asset_and_a_sensitive_one_is_404(assets, auth):
    public = await create_asset(assets, auth)
    sensitive = await create_asset(assets, auth, land_body(is_sensitive=True))

    item = ok(await assets.get(f"{INVENTORY}/{public['id']}"))
    assert item["name"] == public["name"] and set(item) & NEVER_PUBLIC == set()
    assert_problem(await assets.get(f"{INVENTORY}/{sensitive['id']}"), 404, "not-found")
    assert_problem(await assets.get(f"{INVENTORY}/{sensitive['id']}", headers=auth()), 404, "not-found")
    # Staff with the scope read it whole at /assets.
    assert ok(await assets.get(f"{ASSETS}/{sensitive['id']}", headers=auth(READ)))["is_sensitive"] is True


async def test_an_asset_marked_sensitive_leaves_the_inventory(assets, auth):
    asset = await create_asset(assets, auth)
    etag = (await assets.get(f"{ASSETS}/{asset['id']}", headers=auth(READ))).headers["etag"]
    ok(
        await assets.patch(
            f"{ASSETS}/{asset['id']}", json={"is_sensitive": True}, headers={**auth(WRITE), "If-Match": etag}
        )
    )
    assert_problem(await assets.get(f"{INVENTORY}/{asset['id']}"), 404, "not-found")


async def test_the_inventory_takes_the_asset_filters(assets, auth):
    jail = await create_asset(assets, auth)
    lot = await create_asset(assets, auth, land_body(council_district=14))
    mine = {jail["id"], lot["id"]}

    async def listed(**params):
        return {
            item["id"]
            for item in ok(await assets.get(INVENTORY, params={"page_size": 500, **params}))["items"]
        } & mine

    assert await listed(type="land") == {lot["id"]}
    assert await listed(council_district=1) == {jail["id"]}
    assert await listed(department="GSD") == {jail["id"]}
    assert await listed(status="active") == mine
    assert_problem(await assets.get(INVENTORY, params={"council_district": 99}), 422, "validation-error")


async def test_a_token_sent_to_the_inventory_must_be_valid(assets):
    response = await assets.get(INVENTORY, headers={"Authorization": "Bearer not-a-token"})
    assert_problem(response, 401, "unauthorized")
