"""The public directory of certified vendors: no token, public fields only, current certificates only."""

from __future__ import annotations

import pytest

from tests.vendors.factories import certify, create_vendor, days

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


def firm_body(name, **overrides):
    """A sole proprietor's firm with everything the directory might show or hide."""
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


async def firm(client, auth, name, *, status="active", **overrides):
    return (await create_vendor(client, auth, status=status, **firm_body(name, **overrides)))["id"]


async def directory(client, **params):
    response = await client.get(DIRECTORY, params=params | {"page_size": 500})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_the_directory_needs_no_token_and_shows_public_fields_only(vendors, auth):
    vendor_id = await firm(vendors, auth, "Delgado Cleaning")
    await certify(vendors, auth, vendor_id, agency_code="WBENC")
    await certify(vendors, auth, vendor_id, "sbe", agency_code="LA-METRO", certificate_number="M-7")

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
    vendor_id = await firm(vendors, auth, "Park Engineering", contacts=contacts, addresses=[])
    await certify(vendors, auth, vendor_id)

    [entry] = await directory(vendors)

    assert entry["contact"] == {"name": "Kim Park", "email": "kim@park.example", "phone": None}
    assert entry["location"] is None


async def test_only_active_vendors_with_a_current_verified_certificate_are_listed(vendors, auth):
    await certify(vendors, auth, await firm(vendors, auth, "Listed Firm"))
    await certify(vendors, auth, await firm(vendors, auth, "Suspended Firm", status="suspended"))
    await certify(vendors, auth, await firm(vendors, auth, "Submitted Firm", status="submitted"))
    await certify(vendors, auth, await firm(vendors, auth, "Pending Cert Firm"), to=())
    await certify(
        vendors,
        auth,
        await firm(vendors, auth, "Expired Cert Firm"),
        effective_date=days(-800),
        expiration_date=days(-1),
    )
    await certify(vendors, auth, await firm(vendors, auth, "Revoked Cert Firm"), to=("verified", "revoked"))
    await firm(vendors, auth, "Uncertified Firm")

    assert [entry["legal_name"] for entry in await directory(vendors)] == ["Listed Firm"]


async def test_an_entry_lists_only_its_current_certificates(vendors, auth):
    vendor_id = await firm(vendors, auth, "Mixed History Firm")
    await certify(vendors, auth, vendor_id, certificate_number="NOW")
    await certify(
        vendors,
        auth,
        vendor_id,
        certificate_number="OLD",
        effective_date=days(-900),
        expiration_date=days(-200),
    )
    await certify(vendors, auth, vendor_id, "dvbe", agency_code="CA-DGS", certificate_number="PENDING", to=())

    [entry] = await directory(vendors)

    assert [c["certificate_number"] for c in entry["certifications"]] == ["NOW"]
    assert entry["certifications"][0]["expiration_date"] == days(400)


async def test_filters_by_certification_commodity_and_name(vendors, auth):
    cleaner = await firm(vendors, auth, "Eastside Janitorial")
    await certify(vendors, auth, cleaner)
    builder = await firm(
        vendors, auth, "Westside Builders", commodity_codes=[{"scheme": "naics", "code": "236220"}]
    )
    await certify(vendors, auth, builder, "dbe", agency_code="CUCP", certificate_number="D-1")

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
        await certify(vendors, auth, await firm(vendors, auth, f"Paged Firm {n}"))

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
        ({"page_token": "forged"}, 400, "invalid-page-token"),
    ],
)
async def test_bad_directory_queries_are_precise_problems(vendors, params, status, slug):
    response = await vendors.get(DIRECTORY, params=params)

    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == f"urn:cityops:problem:{slug}"
