"""The public directory of certified vendors: no token, public fields only, current certificates only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.vendors.certifications.validity import city_today

VENDORS = "/v1/procurement/vendors"
CERTIFICATIONS = "/v1/procurement/certifications"
DIRECTORY = "/v1/procurement/directory"
PROBLEM = "application/problem+json"

ENTRY_FIELDS = {
    "vendor_id",
    "vendor_number",
    "legal_name",
    "dba_names",
    "entity_type",
    "size_class",
    "location",
    "contact",
    "commodity_codes",
    "certifications",
}


def days(n: int) -> str:
    return (city_today() + timedelta(days=n)).isoformat()


def vendor_body(name, **overrides):
    body = {
        "legal_name": name,
        "dba_names": [f"{name} DBA"],
        "entity_type": "sole_proprietorship",
        "identifiers": [{"scheme": "US-UEI", "id": "J7M9HPTGJ1S9"}, {"scheme": "LA-BTRC", "id": "0002345678-0001-5"}],
        "addresses": [
            {"kind": "mailing", "line1": "PO Box 86", "city": "Pasadena", "region": "CA", "postal_code": "91101"},
            {"kind": "physical", "line1": "1412 E 7th St", "line2": "Unit 3", "city": "Los Angeles",
             "region": "CA", "postal_code": "90021"},
        ],
        "contacts": [
            {"role": "primary", "name": "Rosa Delgado", "email": "rosa@home.example", "phone": "+1 323 555 0101"},
            {"role": "billing", "name": "Sam Ortiz", "email": "ar@firm.example", "phone": "+1 323 555 0102"},
            {"role": "bids", "name": "Bids Desk", "email": "bids@firm.example", "phone": "+1 323 555 0103"},
        ],
        "commodity_codes": [{"scheme": "nigp", "code": "910-39"}, {"scheme": "naics", "code": "561720"}],
        "size_class": "micro",
    }  # fmt: skip
    return body | overrides


async def vendor(client, auth, name, *, status="active", **overrides):
    response = await client.post(VENDORS, json=vendor_body(name, **overrides), headers=auth())
    assert response.status_code == 201, response.text
    vendor_id = response.json()["id"]
    path = {"draft": [], "submitted": ["submitted"], "active": ["submitted", "active"],
            "suspended": ["submitted", "active", "suspended"]}[status]  # fmt: skip
    for to in path:
        moved = await client.post(
            f"{VENDORS}/{vendor_id}/transitions", json={"to": to, "reason": "t"}, headers=auth()
        )
        assert moved.status_code == 200, moved.text
    return vendor_id


async def certify(
    client,
    auth,
    vendor_id,
    *,
    kind="wbe",
    agency="WBENC",
    number="W-1",
    start=-300,
    end=400,
    to=("verified",),
):
    body = {"type": kind, "agency_code": agency, "certificate_number": number,
            "effective_date": days(start), "expiration_date": days(end)}  # fmt: skip
    response = await client.post(f"{VENDORS}/{vendor_id}/certifications", json=body, headers=auth())
    assert response.status_code == 201, response.text
    for status in to:
        moved = await client.post(
            f"{CERTIFICATIONS}/{response.json()['id']}/transitions",
            json={"to": status, "reason": "t"},
            headers=auth(),
        )
        assert moved.status_code == 200, moved.text


async def directory(client, **params):
    response = await client.get(DIRECTORY, params=params | {"page_size": 500})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_the_directory_needs_no_token_and_shows_public_fields_only(vendors, auth):
    vendor_id = await vendor(vendors, auth, "Delgado Cleaning")
    await certify(vendors, auth, vendor_id)
    await certify(vendors, auth, vendor_id, kind="sbe", agency="LA-METRO", number="M-7")

    response = await vendors.get(DIRECTORY)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    [entry] = response.json()["items"]
    assert set(entry) == ENTRY_FIELDS
    assert entry["vendor_id"] == vendor_id
    assert entry["legal_name"] == "Delgado Cleaning"
    assert entry["location"] == {"city": "Los Angeles", "region": "CA", "postal_code": "90021"}
    assert entry["contact"] == {"name": "Bids Desk", "email": "bids@firm.example", "phone": "+1 323 555 0103"}
    assert entry["commodity_codes"] == [
        {"scheme": "naics", "code": "561720"},
        {"scheme": "nigp", "code": "910-39"},
    ]
    assert [(c["type"], c["agency_code"], c["program_basis"]) for c in entry["certifications"]] == [
        ("sbe", "LA-METRO", "race_sex_neutral"),
        ("wbe", "WBENC", "race_sex_conscious"),
    ]
    assert entry["certifications"][1]["agency_name"] == "Women's Business Enterprise National Council"
    text = response.text
    for secret in (
        "J7M9HPTGJ1S9",
        "0002345678",
        "1412 E 7th St",
        "PO Box",
        "ar@firm.example",
        "rosa@home.example",
        "identifiers",
    ):
        assert secret not in text


async def test_the_primary_contact_stands_in_when_there_is_none_for_bids(vendors, auth):
    contacts = [{"role": "primary", "name": "Kim Park", "email": "kim@park.example"}]
    vendor_id = await vendor(vendors, auth, "Park Engineering", contacts=contacts, addresses=[])
    await certify(vendors, auth, vendor_id)

    [entry] = await directory(vendors)

    assert entry["contact"] == {"name": "Kim Park", "email": "kim@park.example", "phone": None}
    assert entry["location"] is None


async def test_only_active_vendors_with_a_current_verified_certificate_are_listed(vendors, auth):
    await certify(vendors, auth, await vendor(vendors, auth, "Listed Firm"))
    await certify(vendors, auth, await vendor(vendors, auth, "Suspended Firm", status="suspended"))
    await certify(vendors, auth, await vendor(vendors, auth, "Submitted Firm", status="submitted"))
    await certify(vendors, auth, await vendor(vendors, auth, "Pending Cert Firm"), to=())
    await certify(vendors, auth, await vendor(vendors, auth, "Expired Cert Firm"), start=-800, end=-1)
    await certify(vendors, auth, await vendor(vendors, auth, "Revoked Cert Firm"), to=("verified", "revoked"))
    await vendor(vendors, auth, "Uncertified Firm")

    assert [entry["legal_name"] for entry in await directory(vendors)] == ["Listed Firm"]


async def test_an_entry_lists_only_its_current_certificates(vendors, auth):
    vendor_id = await vendor(vendors, auth, "Mixed History Firm")
    await certify(vendors, auth, vendor_id, number="NOW")
    await certify(vendors, auth, vendor_id, number="OLD", start=-900, end=-200)
    await certify(vendors, auth, vendor_id, kind="dvbe", agency="CA-DGS", number="PENDING", to=())

    [entry] = await directory(vendors)

    assert [c["certificate_number"] for c in entry["certifications"]] == ["NOW"]
    assert entry["certifications"][0]["expiration_date"] == days(400)


async def test_filters_by_certification_commodity_and_name(vendors, auth):
    cleaner = await vendor(vendors, auth, "Eastside Janitorial")
    await certify(vendors, auth, cleaner)
    builder = await vendor(
        vendors, auth, "Westside Builders", commodity_codes=[{"scheme": "naics", "code": "236220"}]
    )
    await certify(vendors, auth, builder, kind="dbe", agency="CUCP", number="D-1")

    assert [e["legal_name"] for e in await directory(vendors, certification="dbe")] == ["Westside Builders"]
    assert [e["legal_name"] for e in await directory(vendors, commodity="nigp:910")] == [
        "Eastside Janitorial"
    ]
    assert [e["legal_name"] for e in await directory(vendors, commodity="naics:2362")] == [
        "Westside Builders"
    ]
    assert [e["legal_name"] for e in await directory(vendors, q="eastside")] == ["Eastside Janitorial"]
    assert await directory(vendors, q="westside", certification="wbe") == []


async def test_the_directory_pages(vendors, auth):
    for n in range(3):
        await certify(vendors, auth, await vendor(vendors, auth, f"Paged Firm {n}"))

    names, token = [], None
    while True:
        params = {"page_size": 2} | ({"page_token": token} if token else {})
        page = (await vendors.get(DIRECTORY, params=params)).json()
        names += [entry["legal_name"] for entry in page["items"]]
        token = page["next_page_token"]
        if token is None:
            break

    assert names == ["Paged Firm 0", "Paged Firm 1", "Paged Firm 2"]


@pytest.mark.parametrize(
    ("params", "status", "slug"),
    [
        ({"certification": "vip"}, 422, "validation-error"),
        ({"commodity": "nigp:62-0"}, 422, "validation-error"),
        ({"commodity": "sic:1234"}, 422, "validation-error"),
        ({"q": "..."}, 400, "bad-request"),
        ({"page_token": "forged"}, 400, "invalid-page-token"),
    ],
)
async def test_bad_directory_queries_are_precise_problems(vendors, params, status, slug):
    response = await vendors.get(DIRECTORY, params=params)

    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == f"urn:cityops:problem:{slug}"
