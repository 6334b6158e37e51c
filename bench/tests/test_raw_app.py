"""The baseline does the service's work: same bodies, same pages, same refusals. Otherwise the
benchmark's service-vs-raw ratio would compare different things."""

from __future__ import annotations

import uuid

from bench.tests.helpers import VENDORS, every_page


async def test_the_baseline_returns_the_service_body_and_etag_for_a_vendor(service, raw, loaded_ids, auth):
    for vendor_id in (loaded_ids[0], loaded_ids[len(loaded_ids) // 2], loaded_ids[-1]):
        from_service = await service.get(f"{VENDORS}/{vendor_id}", headers=auth())
        from_raw = await raw.get(f"{VENDORS}/{vendor_id}", headers=auth())

        assert from_raw.status_code == from_service.status_code == 200
        assert from_raw.json() == from_service.json()
        assert from_raw.headers["etag"] == from_service.headers["etag"]


async def test_the_baseline_pages_the_list_as_the_service_does(service, raw, auth):
    service_pages = await every_page(service, auth())
    raw_pages = await every_page(raw, auth())

    assert len(raw_pages) == len(service_pages) >= 3
    assert raw_pages == service_pages


async def test_the_baseline_refuses_what_the_service_refuses(service, raw, auth):
    unknown = f"{VENDORS}/{uuid.uuid4()}"
    cases = [
        (unknown, {}),
        (unknown, {"Authorization": "Bearer not-a-token"}),
        (unknown, auth(secret="another-secret-" + "z" * 20)),
        (unknown, auth("safety:read")),
        (unknown, auth()),
        (f"{VENDORS}?page_token=forged", auth()),
    ]
    for path, headers in cases:
        from_service = await service.get(path, headers=headers)
        from_raw = await raw.get(path, headers=headers)

        assert from_raw.status_code == from_service.status_code, (path, headers, from_service.text)
        assert from_raw.headers["content-type"] == "application/problem+json"
