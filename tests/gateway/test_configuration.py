"""Configuring the gateway: its own CITYOPS_GATEWAY_* settings and the upstream table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from gateway.upstreams import PROJECT_ROOT, UPSTREAMS, Upstream

from .conftest import JWT_SECRET, Server


def test_cors_origins_read_as_a_list_or_comma_separated(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CITYOPS_GATEWAY_CORS_ORIGINS", "https://a.example.city, https://b.example.city")
    assert GatewaySettings().cors_origins == ["https://a.example.city", "https://b.example.city"]

    monkeypatch.setenv("CITYOPS_GATEWAY_CORS_ORIGINS", '["https://c.example.city"]')
    assert GatewaySettings().cors_origins == ["https://c.example.city"]

    monkeypatch.delenv("CITYOPS_GATEWAY_CORS_ORIGINS")
    assert GatewaySettings().cors_origins == []


def test_gateway_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CITYOPS_GATEWAY_PORT", "9000")
    monkeypatch.setenv("CITYOPS_GATEWAY_RATE_LIMIT", "50/second")
    monkeypatch.setenv("CITYOPS_GATEWAY_MAX_BODY_BYTES", "2048")
    settings = GatewaySettings()
    assert (settings.port, settings.rate_limit, settings.max_body_bytes) == (9000, "50/second", 2048)


def test_an_upstream_s_url_comes_from_cityops_service_url(monkeypatch: pytest.MonkeyPatch):
    vendors = next(u for u in UPSTREAMS if u.name == "vendors")
    monkeypatch.delenv("CITYOPS_VENDORS_URL", raising=False)
    assert GatewaySettings().url_for(vendors) == "http://127.0.0.1:8001"

    monkeypatch.setenv("CITYOPS_VENDORS_URL", "http://vendors.internal:8001")
    assert GatewaySettings().url_for(vendors) == "http://vendors.internal:8001"
    explicit = GatewaySettings(upstream_urls={"vendors": "http://10.1.2.3:8001"})
    assert explicit.url_for(vendors) == "http://10.1.2.3:8001"


def test_the_upstream_table_points_at_each_service_s_snapshot():
    vendors = next(u for u in UPSTREAMS if u.name == "vendors")
    assert vendors.prefix == "/v1/procurement"
    assert vendors.openapi_snapshot == PROJECT_ROOT / "services" / "vendors" / "openapi.json"
    assets = next(u for u in UPSTREAMS if u.name == "assets")
    assert (assets.prefix, assets.default_url) == ("/v1/real-estate", "http://127.0.0.1:8002")
    assert assets.openapi_snapshot == PROJECT_ROOT / "services" / "assets" / "openapi.json"
    assert len({u.prefix for u in UPSTREAMS}) == len(UPSTREAMS)
    with pytest.raises(ValueError, match="prefix"):
        Upstream("broken", "/v1/broken/", "http://x", vendors.openapi_snapshot)


async def test_the_default_table_forwards_to_the_service_it_names(
    monkeypatch: pytest.MonkeyPatch,
    serve: Callable[[Any], Server],
    vendors_server: Server,
    assets_server: Server,
    auth,
):
    """The gateway as `cityops` runs it: no upstream list given, addresses from CITYOPS_<SERVICE>_URL."""
    monkeypatch.setenv("CITYOPS_VENDORS_URL", vendors_server.url)
    monkeypatch.setenv("CITYOPS_ASSETS_URL", assets_server.url)
    gateway = serve(create_app(GatewaySettings(jwt_secret=JWT_SECRET, log_json=False, log_level="WARNING")))

    async with httpx.AsyncClient(base_url=gateway.url) as client:
        listed = await client.get("/v1/procurement/vendors", headers=auth("procurement:read"))
        assets = await client.get("/v1/real-estate/assets", headers=auth("real_estate:read"))
        inventory = await client.get("/v1/real-estate/inventory")
        document = await client.get("/openapi.json")
        ready = await client.get("/readyz")
    assert listed.status_code == 200, listed.text
    assert assets.status_code == 200, assets.text
    assert inventory.status_code == 200, inventory.text
    paths = document.json()["paths"]
    assert "/v1/procurement/vendors" in paths and "/v1/real-estate/assets" in paths
    assert ready.json() == {"status": "ready", "upstreams": {"vendors": "ready", "assets": "ready"}}
