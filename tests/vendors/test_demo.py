"""The demo data loader, in a database of its own: it commits, unlike the rolled-back tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import date

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select, text

from services.common.clock import city_today
from services.common.db import create_engine
from services.vendors.app import create_app
from services.vendors.certifications.models import CertificationRow
from services.vendors.demo import DEFAULT_VENDORS, Generator, load_demo_data
from services.vendors.registry.models import VendorCommodityRow, VendorRow
from services.vendors.registry.names import normalize_name
from services.vendors.settings import VendorsSettings
from tests.conftest import JWT_SECRET, migrated_database


@pytest.fixture(scope="module")
def demo_url(server_url: str) -> Iterator[str]:
    with migrated_database(server_url, "demo") as url:
        yield url


@pytest.fixture(scope="module")
async def loaded(demo_url: str) -> list[int]:
    """Two loaders started at once on the empty registry: one loads, the other finds it loaded."""
    counts = await asyncio.gather(load_demo_data(demo_url), load_demo_data(demo_url))
    return sorted(counts)


@pytest.fixture(scope="module")
async def api(demo_url: str, loaded: list[int]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(VendorsSettings(database_url=demo_url, jwt_secret=JWT_SECRET, log_json=False))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://vendors.test") as client,
    ):
        yield client


async def scalar(url: str, statement):
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(statement)
    finally:
        await engine.dispose()


async def test_loads_300_vendors_once_even_when_two_loaders_race(demo_url, loaded):
    assert loaded == [0, DEFAULT_VENDORS]
    assert await scalar(demo_url, select(func.count()).select_from(VendorRow)) == DEFAULT_VENDORS
    assert await load_demo_data(demo_url) == 0
    assert await scalar(demo_url, select(func.count()).select_from(VendorRow)) == DEFAULT_VENDORS


async def test_every_vendor_reads_back_through_the_api(api, auth):
    response = await api.get(
        "/v1/procurement/vendors", params={"page_size": 500}, headers=auth("procurement:read")
    )

    assert response.status_code == 200, response.text
    vendors = response.json()["items"]
    assert len(vendors) == DEFAULT_VENDORS
    assert len({v["vendor_number"] for v in vendors}) == DEFAULT_VENDORS
    assert len({v["legal_name"] for v in vendors}) == DEFAULT_VENDORS
    assert all(v["commodity_codes"] and v["addresses"] and v["contacts"] for v in vendors)
    assert sum(v["status"] == "active" for v in vendors) > DEFAULT_VENDORS * 0.7
    assert {"corporation", "llc", "sole_proprietorship", "nonprofit"} <= {v["entity_type"] for v in vendors}
    assert (
        sum(any(i["scheme"] == "LA-BTRC" for i in v["identifiers"]) for v in vendors) > DEFAULT_VENDORS * 0.8
    )
    located = [v["addresses"][0]["city"] for v in vendors]
    assert located.count("Los Angeles") > DEFAULT_VENDORS * 0.3


async def test_derived_fields_match_what_the_api_would_write(demo_url):
    engine = create_engine(demo_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(select(VendorRow.__table__))).mappings().all()  # type: ignore[attr-defined]
            next_number = await connection.scalar(text("SELECT nextval('vendors.vendor_number_seq')"))
            without_codes = await connection.scalar(
                select(func.count())
                .select_from(VendorRow)
                .where(
                    ~select(VendorCommodityRow.vendor_id)
                    .where(VendorCommodityRow.vendor_id == VendorRow.id)
                    .exists()
                )
            )
    finally:
        await engine.dispose()

    for row in rows:
        assert row["normalized_name"] == normalize_name(row["legal_name"])
        assert (
            row["search_text"].split()[: len(row["normalized_name"].split())]
            == row["normalized_name"].split()
        )
    assert max(int(row["vendor_number"].removeprefix("VND-")) for row in rows) < next_number
    assert without_codes == 0


async def test_certifications_span_current_expiring_and_expired(api, auth):
    headers = auth("procurement:read")
    expiring = await api.get(
        "/v1/procurement/certifications",
        params={"expiring_within_days": 30, "page_size": 500},
        headers=headers,
    )
    items = expiring.json()["items"]
    assert any(c["status"] == "expired" for c in items)
    assert any(c["status"] == "verified" and 0 <= c["days_until_expiration"] <= 30 for c in items)

    everything = (
        await api.get("/v1/procurement/certifications", params={"page_size": 500}, headers=headers)
    ).json()["items"]
    statuses = {c["status"] for c in everything}
    assert {"verified", "expired", "pending", "superseded"} <= statuses
    assert {c["agency_code"] for c in everything} >= {"LA-BCA", "CA-DGS", "SBA"}
    assert all(
        date.fromisoformat(c["expiration_date"]) > date.fromisoformat(c["effective_date"]) for c in everything
    )


async def test_the_public_directory_and_filters_have_demo_firms(api, auth):
    directory = await api.get("/v1/procurement/directory", params={"page_size": 500})
    assert directory.status_code == 200
    entries = directory.json()["items"]
    assert len(entries) > 50
    assert all(entry["certifications"] for entry in entries)

    wbe = await api.get(
        "/v1/procurement/vendors",
        params={"certification": "wbe", "page_size": 500},
        headers=auth("procurement:read"),
    )
    assert wbe.status_code == 200 and wbe.json()["items"]


async def test_certificates_reference_only_existing_vendors(demo_url):
    orphans = await scalar(
        demo_url,
        select(func.count())
        .select_from(CertificationRow)
        .where(~select(VendorRow.id).where(VendorRow.id == CertificationRow.vendor_id).exists()),
    )
    assert orphans == 0


def test_the_same_seed_and_day_give_the_same_firms():
    numbers = [f"VND-{n:06d}" for n in range(1, 41)]
    first = Generator(city_today()).generate(numbers)
    second = Generator(city_today()).generate(numbers)

    def content(data):
        return (
            [(v["legal_name"], v["status"], v["addresses"], v["contacts"]) for v in data.vendors],
            [
                (c["type"], c["agency_code"], c["certificate_number"], c["expiration_date"])
                for c in data.certifications
            ],
        )

    assert content(first) == content(second)
