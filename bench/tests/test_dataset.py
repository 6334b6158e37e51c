"""The loaded vendors are what the API itself would have stored: it reads, searches and extends them."""

from __future__ import annotations

import uuid
from collections import Counter

from bench.dataset import PATHS, VendorFactory
from bench.tests.conftest import VENDOR_COUNT
from bench.tests.helpers import VENDORS, every_page
from services.vendors.contracts import VendorStatus


async def test_every_loaded_vendor_reads_back_through_the_api(service, loaded_ids, auth):
    pages = await every_page(service, auth(), {"page_size": 50})
    # Oldest first: the loaded vendors lead, before any registered since.
    vendors = [vendor for page in pages for vendor in page][:VENDOR_COUNT]

    assert [uuid.UUID(v["id"]) for v in vendors] == sorted(loaded_ids)
    assert {v["vendor_number"] for v in vendors} == {f"VND-{n:06d}" for n in range(1, VENDOR_COUNT + 1)}
    for vendor in vendors:
        assert vendor["commodity_codes"], vendor["id"]
        assert vendor["addresses"] and vendor["contacts"] and vendor["identifiers"]
        assert vendor["version"] == 1 + len(PATHS[VendorStatus(vendor["status"])])


async def test_the_registry_gets_a_realistic_mix_of_statuses(service, auth):
    pages = await every_page(service, auth(), {"page_size": 500})
    statuses = Counter(vendor["status"] for vendor in pages[0])

    assert statuses["active"] > VENDOR_COUNT / 2
    assert len(statuses) >= 4


async def test_every_status_change_of_a_loaded_vendor_is_in_its_audit_trail(service, auth):
    suspended = await service.get(VENDORS, params={"status": "suspended"}, headers=auth())
    vendor = suspended.json()["items"][0]

    trail = await service.get(
        "/v1/procurement/audit-events",
        params={"entity": "vendor", "entity_id": vendor["id"]},
        headers=auth("audit:read"),
    )

    events = trail.json()["items"]
    assert [event["action"] for event in events] == [
        "create",
        "transition:submitted",
        "transition:active",
        "transition:suspended",
    ]
    assert events[0]["changes"]["vendor_number"] == vendor["vendor_number"]
    assert events[-1]["reason"]


async def test_loaded_vendors_are_found_by_name_and_by_commodity(service, auth):
    vendor = (await service.get(VENDORS, headers=auth())).json()["items"][7]
    nigp = next(code["code"] for code in vendor["commodity_codes"] if code["scheme"] == "nigp")

    by_name = await every_page(service, auth(), {"q": vendor["legal_name"]})
    by_class = await every_page(service, auth(), {"commodity": f"nigp:{nigp[:3]}"})

    assert vendor["id"] in {v["id"] for page in by_name for v in page}
    assert vendor["id"] in {v["id"] for page in by_class for v in page}


async def test_a_vendor_registered_after_the_load_takes_the_next_number(service, loaded_ids, auth):
    registration = VendorFactory(seed=7).registration()

    created = await service.post(
        VENDORS, json=registration.model_dump(mode="json"), headers=auth("procurement:write")
    )

    assert created.status_code == 201, created.text
    assert created.json()["vendor_number"] == f"VND-{VENDOR_COUNT + 1:06d}"


def test_the_factory_is_deterministic():
    first, second = VendorFactory(seed=1), VendorFactory(seed=1)

    assert [first.registration() for _ in range(20)] == [second.registration() for _ in range(20)]
