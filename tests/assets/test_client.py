"""The typed client against the real assets app: what other services get back is the contract model."""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.assets.client import AssetNotFound, AssetsClient, AssetsUnavailable
from services.assets.contracts import Asset
from services.common.http import create_client
from tests.assets.factories import READ, create_asset


@pytest.fixture
async def client_of(assets, assets_app):
    """`client_of(token)`: an AssetsClient with the kernel's HTTP policy, on the assets app as the
    `assets` fixture set it up (its database work rolled back after the test)."""
    made = []

    def make(token: str) -> AssetsClient:
        http = create_client("http://assets.test", transport=httpx.ASGITransport(assets_app), retries=0)
        made.append(http)
        return AssetsClient(http, token)

    yield make
    for http in made:
        await http.aclose()


async def test_get_asset_returns_the_contract_model(assets, auth, token, client_of):
    created = await create_asset(assets, auth)
    asset = await client_of(token(READ)).get_asset(uuid.UUID(created["id"]))

    assert isinstance(asset, Asset)
    assert (asset.asset_number, asset.gross_sqft, asset.status.value) == (
        created["asset_number"],
        229_000,
        "active",
    )


async def test_an_unknown_asset_is_asset_not_found(token, client_of):
    with pytest.raises(AssetNotFound):
        await client_of(token(READ)).get_asset(uuid.uuid4())


async def test_a_refusal_is_unavailable_not_a_missing_asset(assets, auth, token, client_of):
    created = await create_asset(assets, auth)
    with pytest.raises(AssetsUnavailable, match="403"):
        await client_of(token("procurement:read")).get_asset(uuid.UUID(created["id"]))


async def test_a_dead_registry_is_unavailable(token):
    http = create_client("http://127.0.0.1:9", retries=0, connect_timeout=0.5)
    try:
        with pytest.raises(AssetsUnavailable):
            await AssetsClient(http, lambda: token(READ)).get_asset(uuid.uuid4())
    finally:
        await http.aclose()


def test_the_client_is_made_with_the_kernel_policy():
    client = AssetsClient.create("http://assets.internal:8002", "t")
    assert isinstance(client.http, httpx.AsyncClient)
    assert str(client.http.base_url) == "http://assets.internal:8002"
