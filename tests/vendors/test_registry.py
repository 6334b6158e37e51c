"""The vendor registry through its HTTP API: create, read, change, status moves, search, paging."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.vendors.factories import VENDORS, create_vendor, move_vendor

PROBLEM = "application/problem+json"


def acme_body(**overrides):
    body = {
        "legal_name": "ACME Construction, Inc.",
        "dba_names": ["Acme Builders"],
        "entity_type": "corporation",
        "identifiers": [
            {"scheme": "US-UEI", "id": "J7M9HPTGJ1S9"},
            {"scheme": "LA-BTRC", "id": "0002345678-0001-5"},
        ],
        "addresses": [
            {
                "kind": "physical",
                "line1": "200 N Spring St",
                "city": "Los Angeles",
                "region": "CA",
                "postal_code": "90012",
            }
        ],
        "contacts": [
            {"role": "primary", "name": "Ana Ruiz", "email": "Ana@Acme.example", "phone": "+1 213 555 0100"}
        ],
        "commodity_codes": [{"scheme": "nigp", "code": "91445"}, {"scheme": "naics", "code": "236220"}],
        "size_class": "small",
    }
    return body | overrides


async def create_acme(client, auth, **overrides):
    return await create_vendor(client, auth, **acme_body(**overrides))


async def test_create_returns_the_vendor_in_draft_with_location_and_etag(vendors, auth):
    response = await vendors.post(VENDORS, json=acme_body(), headers=auth())

    assert response.status_code == 201
    vendor = response.json()
    assert response.headers["location"] == f"{VENDORS}/{vendor['id']}"
    assert response.headers["etag"] == '"v1"'
    assert vendor["status"] == "draft"
    assert vendor["vendor_number"].startswith("VND-") and len(vendor["vendor_number"]) == 10
    assert vendor["commodity_codes"] == [
        {"scheme": "naics", "code": "236220"},
        {"scheme": "nigp", "code": "914-45"},
    ]
    assert vendor["contacts"][0]["email"] == "ana@acme.example"


async def test_vendor_numbers_are_distinct(vendors, auth):
    first, second = await create_acme(vendors, auth), await create_acme(vendors, auth, legal_name="Other LLC")
    assert first["vendor_number"] != second["vendor_number"]


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"legal_name": ""}, ["body", "legal_name"]),
        ({"entity_type": "guild"}, ["body", "entity_type"]),
        ({"identifiers": [{"scheme": "US-UEI", "id": "short"}]}, ["body", "identifiers", 0]),
        ({"commodity_codes": [{"scheme": "nigp", "code": "62-0"}]}, ["body", "commodity_codes", 0]),
        ({"contacts": [{"name": "X", "email": "not-an-email"}]}, ["body", "contacts", 0, "email"]),
        ({"unexpected": True}, ["body", "unexpected"]),
    ],
)
async def test_invalid_vendor_is_a_422_problem_naming_the_field(vendors, auth, change, location):
    response = await vendors.post(VENDORS, json=acme_body(**change), headers=auth())

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "urn:cityops:problem:validation-error"
    assert any(error["location"][: len(location)] == location for error in problem["errors"]), problem


async def test_writing_needs_a_token_and_the_write_scope(vendors, auth):
    anonymous = await vendors.post(VENDORS, json=acme_body())
    reader = await vendors.post(VENDORS, json=acme_body(), headers=auth("procurement:read"))

    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert reader.status_code == 403
    assert 'error="insufficient_scope"' in reader.headers["www-authenticate"]
    assert reader.json()["required_scopes"] == ["procurement:write"]


async def test_get_reads_the_vendor_and_unknown_ids_are_404(vendors, auth):
    vendor = await create_acme(vendors, auth)

    found = await vendors.get(f"{VENDORS}/{vendor['id']}", headers=auth("procurement:read"))
    missing = await vendors.get(f"{VENDORS}/{uuid.uuid4()}", headers=auth("procurement:read"))
    malformed = await vendors.get(f"{VENDORS}/not-a-uuid", headers=auth("procurement:read"))

    assert found.status_code == 200 and found.json() == vendor
    assert found.headers["etag"] == '"v1"'
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert malformed.status_code == 422


async def test_patch_requires_if_match_and_refuses_a_stale_one(vendors, auth):
    vendor = await create_acme(vendors, auth)
    url = f"{VENDORS}/{vendor['id']}"

    unconditional = await vendors.patch(url, json={"legal_name": "New Name Inc"}, headers=auth())
    changed = await vendors.patch(
        url, json={"legal_name": "New Name Inc"}, headers=auth() | {"If-Match": '"v1"'}
    )
    stale = await vendors.patch(url, json={"size_class": "large"}, headers=auth() | {"If-Match": '"v1"'})

    assert unconditional.status_code == 428
    assert changed.status_code == 200
    assert changed.json()["legal_name"] == "New Name Inc" and changed.json()["version"] == 2
    assert changed.headers["etag"] == '"v2"'
    assert stale.status_code == 412
    assert stale.json()["current_etag"] == '"v2"'


async def test_patch_changes_only_the_fields_sent(vendors, auth):
    vendor = await create_acme(vendors, auth)

    response = await vendors.patch(
        f"{VENDORS}/{vendor['id']}",
        json={"commodity_codes": [{"scheme": "unspsc", "code": "72101500"}]},
        headers=auth() | {"If-Match": '"v1"'},
    )

    assert response.status_code == 200
    updated = response.json()
    assert updated["commodity_codes"] == [{"scheme": "unspsc", "code": "72101500"}]
    assert updated["legal_name"] == vendor["legal_name"]
    assert updated["addresses"] == vendor["addresses"]


async def test_patch_cannot_null_a_required_field(vendors, auth):
    vendor = await create_acme(vendors, auth)
    response = await vendors.patch(
        f"{VENDORS}/{vendor['id']}", json={"legal_name": None}, headers=auth() | {"If-Match": '"v1"'}
    )
    assert response.status_code == 422


async def test_lifecycle_follows_the_state_machine(vendors, auth):
    vendor = await create_acme(vendors, auth)
    vid = vendor["id"]

    skipped = await move_vendor(vendors, auth, vid, "active")
    assert skipped.status_code == 409
    assert skipped.json()["allowed_transitions"] == ["submitted"]
    assert skipped.json()["current_status"] == "draft"

    assert (await move_vendor(vendors, auth, vid, "submitted")).json()["status"] == "submitted"
    assert (await move_vendor(vendors, auth, vid, "active")).json()["status"] == "active"
    assert (await move_vendor(vendors, auth, vid, "suspended")).status_code == 422  # a reason is required
    suspended = await move_vendor(vendors, auth, vid, "suspended", reason="Insurance certificate expired")
    assert suspended.json()["status"] == "suspended" and suspended.json()["version"] == 4
    assert (await move_vendor(vendors, auth, vid, "active")).json()["status"] == "active"
    assert (await move_vendor(vendors, auth, vid, "debarred", reason="Confirmed exclusion")).json()[
        "status"
    ] == "debarred"
    assert (await move_vendor(vendors, auth, vid, "active")).status_code == 409


async def test_merged_is_not_reachable_through_transitions(vendors, auth):
    vendor = await create_acme(vendors, auth)
    response = await move_vendor(vendors, auth, vendor["id"], "merged")
    assert response.status_code == 409
    assert "/merge" in response.json()["detail"]


async def test_changes_leave_audit_events_with_actor_and_reason(vendors, auth):
    vendor = await create_acme(vendors, auth)
    await move_vendor(vendors, auth, vendor["id"], "submitted")
    await move_vendor(vendors, auth, vendor["id"], "active")
    await move_vendor(vendors, auth, vendor["id"], "suspended", reason="W-9 mismatch")

    forbidden = await vendors.get("/v1/procurement/audit-events", headers=auth("procurement:read"))
    events = await vendors.get(
        "/v1/procurement/audit-events",
        params={"entity": "vendor", "entity_id": vendor["id"]},
        headers=auth("audit:read", sub="auditor"),
    )

    assert forbidden.status_code == 403
    items = events.json()["items"]
    assert [e["action"] for e in items] == [
        "create",
        "transition:submitted",
        "transition:active",
        "transition:suspended",
    ]
    assert items[-1]["reason"] == "W-9 mismatch"
    assert items[-1]["changes"] == {"status": ["active", "suspended"]}
    assert items[0]["actor"] == "tester"


async def test_search_matches_normalised_names_and_dbas(vendors, auth):
    acme = await create_acme(vendors, auth, legal_name="ACME Construction, Inc.", dba_names=["Acme Builders"])
    await create_acme(vendors, auth, legal_name="Green Leaf Landscaping LLC", dba_names=[])

    async def search(q):
        response = await vendors.get(VENDORS, params={"q": q}, headers=auth("procurement:read"))
        assert response.status_code == 200, response.text
        return [v["id"] for v in response.json()["items"]]

    assert await search("acme construction incorporated") == [acme["id"]]
    assert await search("ACME CONSTR") == [acme["id"]]  # word prefixes
    assert await search("builders") == [acme["id"]]
    assert await search("green leaf l.l.c.") != [acme["id"]]
    assert await search("!!!") == []  # no searchable words: nothing matches


async def test_commodity_filter_matches_the_code_hierarchy(vendors, auth):
    roofing = await create_acme(vendors, auth, commodity_codes=[{"scheme": "nigp", "code": "914-45-10"}])
    await create_acme(
        vendors, auth, legal_name="Paper Co", commodity_codes=[{"scheme": "nigp", "code": "620-80"}]
    )

    async def matching(commodity):
        response = await vendors.get(VENDORS, params={"commodity": commodity}, headers=auth())
        return response

    assert [v["id"] for v in (await matching("nigp:914")).json()["items"]] == [roofing["id"]]
    assert [v["id"] for v in (await matching("nigp:914-45")).json()["items"]] == [roofing["id"]]
    assert (await matching("nigp:914-46")).json()["items"] == []
    assert (await matching("naics:236220")).json()["items"] == []
    assert (await matching("colour:red")).status_code == 422
    assert (await matching("nigp:abc")).status_code == 422


async def test_status_and_updated_since_filters(vendors, auth):
    draft = await create_acme(vendors, auth)
    submitted = await create_acme(vendors, auth, legal_name="Second Vendor LLC")
    await move_vendor(vendors, auth, submitted["id"], "submitted")
    after_creation = datetime.now(UTC) + timedelta(hours=1)

    only_submitted = await vendors.get(VENDORS, params={"status": "submitted"}, headers=auth())
    both = await vendors.get(VENDORS, params=[("status", "submitted"), ("status", "draft")], headers=auth())
    none_since = await vendors.get(
        VENDORS, params={"updated_since": after_creation.isoformat()}, headers=auth()
    )
    naive = await vendors.get(VENDORS, params={"updated_since": "2026-01-01T00:00:00"}, headers=auth())

    assert [v["id"] for v in only_submitted.json()["items"]] == [submitted["id"]]
    assert {v["id"] for v in both.json()["items"]} == {draft["id"], submitted["id"]}
    assert none_since.json()["items"] == []
    assert naive.status_code == 422  # timestamps need an offset


async def test_paging_visits_every_vendor_once_in_creation_order(vendors, auth):
    created = [(await create_acme(vendors, auth, legal_name=f"Vendor {i} LLC"))["id"] for i in range(7)]

    seen, token, pages = [], None, 0
    while True:
        params = {"page_size": 3} | ({"page_token": token} if token else {})
        page = (await vendors.get(VENDORS, params=params, headers=auth())).json()
        seen += [v["id"] for v in page["items"]]
        pages += 1
        token = page["next_page_token"]
        if token is None:
            break

    assert seen == created
    assert pages == 3


async def test_page_tokens_are_tamper_proof_and_tied_to_their_filters(vendors, auth):
    for i in range(3):
        await create_acme(vendors, auth, legal_name=f"Vendor {i} LLC")
    first = (await vendors.get(VENDORS, params={"page_size": 1}, headers=auth())).json()
    token = first["next_page_token"]

    tampered = await vendors.get(VENDORS, params={"page_token": token[:-2] + "xx"}, headers=auth())
    other_filter = await vendors.get(
        VENDORS, params={"page_token": token, "status": "active"}, headers=auth()
    )
    too_big = await vendors.get(VENDORS, params={"page_size": 501}, headers=auth())

    assert tampered.status_code == 400 and tampered.json()["type"] == "urn:cityops:problem:invalid-page-token"
    assert other_filter.status_code == 400
    assert too_big.status_code == 422


async def test_create_with_an_idempotency_key_is_replayed_not_repeated(vendors, auth):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await vendors.post(VENDORS, json=acme_body(), headers=auth() | key)
    retry = await vendors.post(VENDORS, json=acme_body(), headers=auth() | key)
    changed = await vendors.post(VENDORS, json=acme_body(legal_name="Different"), headers=auth() | key)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.headers["location"] == first.headers["location"]
    assert changed.status_code == 422
    listed = (await vendors.get(VENDORS, params={"q": "acme"}, headers=auth())).json()["items"]
    assert len(listed) == 1
