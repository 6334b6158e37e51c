"""`cityops seed --scale N` for the real-estate registry, at a small scale: what it writes obeys the rules
the API enforces, reads back through the API, and a second load writes nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from services.assets.app import create_app
from services.assets.contracts import AssetStatus
from services.assets.registry import rules
from services.assets.seeding.inventory import counts
from services.assets.seeding.loader import load_scale_data
from services.assets.settings import AssetsSettings
from services.common.db import create_engine
from tests.assets.factories import ASSETS, INVENTORY, PARCELS, WRITE, building_body
from tests.conftest import JWT_SECRET, migrated_database

SCALE = 0.02


def test_the_scale_counts_portfolio_sized_at_one():
    assert counts(1) == (7_500, 9_000)
    assert counts(0.0001) == (1, 1)
    with pytest.raises(ValueError, match="scale"):
        counts(0)


async def read_all(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> list[dict]:
    items, token = [], None
    while True:
        params = {"page_size": 500, **({"page_token": token} if token else {})}
        page = (await client.get(path, params=params, headers=headers)).json()
        items += page["items"]
        if not (token := page["next_page_token"]):
            return items


def test_the_scaled_inventory_obeys_the_rules_and_reads_back_through_the_api(server_url, auth):
    async def scenario(url: str) -> None:
        result = await load_scale_data(url, SCALE)
        assert (result.loaded, result.parcels, result.assets) == (True, *counts(SCALE))
        assert result.links >= counts(SCALE)[0]  # every parcel holds an asset, some two

        app = create_app(AssetsSettings(database_url=url, jwt_secret=JWT_SECRET, log_json=False))
        async with (
            LifespanManager(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://assets.test") as client,
        ):
            assets = await read_all(client, ASSETS, auth(WRITE))
            parcels = await read_all(client, PARCELS, auth(WRITE))
            public = await read_all(client, INVENTORY, {})
            created = await client.post(ASSETS, json=building_body(), headers=auth(WRITE))

        assert len(assets) == result.assets and len(parcels) == result.parcels
        assert len({asset["asset_number"] for asset in assets}) == len(assets)
        for asset in assets:
            assert rules.breaches(asset, 9999) == [], asset
            held = asset["status"] == AssetStatus.cannot_currently_be_disposed
            assert (asset["cannot_dispose_reason"] is not None) == held
        statuses = {asset["status"] for asset in assets}
        assert "active" in statuses and len(statuses) >= 4
        assert {asset["asset_type"] for asset in assets} == {"land", "building", "structure"}
        linked = {apn for asset in assets for apn in asset["apns"]}
        assert linked == {parcel["apn"] for parcel in parcels}
        assert {item["id"] for item in public} == {
            asset["id"] for asset in assets if not asset["is_sensitive"]
        }
        # Numbers came from the API's sequence: the next registration continues after them.
        assert created.status_code == 201, created.text
        assert created.json()["asset_number"] > max(asset["asset_number"] for asset in assets)

        again = await load_scale_data(url, SCALE)
        assert not again.loaded
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                assert (
                    await connection.scalar(text("SELECT count(*) FROM assets.assets")) == result.assets + 1
                )
        finally:
            await engine.dispose()

    with migrated_database(server_url, "assets_scale") as url:
        asyncio.run(scenario(url))
