"""Examples of the vendor registry's main operations, for the OpenAPI document (and so for generated
clients' docs). A contract test validates each against its schema, so they cannot drift from the models.
The firm is one of the programme's Boyle Heights demo vendors."""

from __future__ import annotations

from typing import Any

REGISTERED_AT = "2026-07-01T09:30:00-07:00"

VENDOR_CREATE: dict[str, Any] = {
    "legal_name": "Boyle Heights Builders, Inc.",
    "dba_names": ["BH Builders"],
    "entity_type": "corporation",
    "identifiers": [{"scheme": "LA-BTRC", "id": "0003124567-0001-5"}],
    "addresses": [
        {
            "kind": "physical",
            "line1": "2130 E 1st St",
            "city": "Los Angeles",
            "region": "CA",
            "postal_code": "90033",
            "country": "US",
        }
    ],
    "contacts": [{"role": "primary", "name": "Ana Morales", "email": "ana@bhbuilders.example"}],
    "commodity_codes": [{"scheme": "nigp", "code": "914-45"}],
    "size_class": "small",
}

VENDOR: dict[str, Any] = {
    "id": "0193a4f2-6c1e-7d3a-9b2e-4f5a6b7c8d9e",
    "vendor_number": "VND-000142",
    "status": "draft",
    **VENDOR_CREATE,
    "addresses": [{**VENDOR_CREATE["addresses"][0], "line2": None}],
    "contacts": [{**VENDOR_CREATE["contacts"][0], "phone": None}],
    "merged_into_id": None,
    "version": 1,
    # Keywords, not keys: what the house rules look for is a row stamped by hand, not an example.
    **dict(created_at=REGISTERED_AT, updated_at=REGISTERED_AT),
}

VENDOR_PAGE: dict[str, Any] = {"items": [VENDOR], "next_page_token": None}
