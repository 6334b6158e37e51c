"""Payments through the HTTP API: recording a line with every rule it must meet (vendors, department,
contract, tier, dates, amounts, `external_ref`), reading it back, and listing with the spend filters.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import text

from tests.problems import assert_problem
from tests.vendors.factories import PAYMENTS, READ, WRITE, active_vendor, audit_actions, contract_of


def payment_body(vendor_id, **overrides):
    body = {
        "vendor_id": str(vendor_id),
        "department": "GSD",
        "category": {"scheme": "nigp", "code": "620-80-21"},
        "amount": {"amount": "1250.00", "currency": "USD"},
        "paid_date": "2026-03-14",
    }
    body.update(overrides)
    return body


async def record(client, auth, body):
    response = await client.post(PAYMENTS, json=body, headers=auth(WRITE))
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_payment_is_recorded_with_its_fiscal_year_derived(vendors, auth, clock):
    vendor = await active_vendor(vendors, auth)
    response = await vendors.post(
        PAYMENTS, json=payment_body(vendor, paid_date="2025-07-01", external_ref="AP-1"), headers=auth(WRITE)
    )
    assert response.status_code == 201, response.text
    payment = response.json()
    assert response.headers["location"] == f"{PAYMENTS}/{payment['id']}"
    assert response.headers["etag"] == '"v1"'
    assert payment["fiscal_year"] == 2026  # July 2025 opens FY2026
    assert payment["tier"] == "prime" and payment["prime_vendor_id"] is None
    assert payment["amount"] == {"amount": "1250.00", "currency": "USD"}
    assert payment["category"] == {"scheme": "nigp", "code": "620-80-21"}
    june = await record(vendors, auth, payment_body(vendor, paid_date="2026-06-30"))
    assert june["fiscal_year"] == 2026

    read = await vendors.get(f"{PAYMENTS}/{payment['id']}", headers=auth(READ))
    assert read.status_code == 200 and read.json() == payment
    assert await audit_actions(vendors, auth, "payment", payment["id"]) == ["create"]


async def test_the_fiscal_year_is_never_taken_from_the_client(vendors, auth, clock):
    vendor = await active_vendor(vendors, auth)
    response = await vendors.post(PAYMENTS, json=payment_body(vendor, fiscal_year=2020), headers=auth(WRITE))
    problem = assert_problem(response, 422, "validation-error")
    assert "fiscal_year" in problem["errors"][0]["message"]


async def test_undashed_nigp_codes_are_stored_dashed_and_corrections_are_negative(vendors, auth, clock):
    vendor = await active_vendor(vendors, auth)
    payment = await record(
        vendors,
        auth,
        payment_body(
            vendor,
            category={"scheme": "nigp", "code": "6208021"},
            amount={"amount": "-40.5", "currency": "USD"},
        ),
    )
    assert payment["category"]["code"] == "620-80-21"
    assert payment["amount"]["amount"] == "-40.50"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": {"amount": "0.00", "currency": "USD"}}, "amount"),
        ({"amount": {"amount": 12.5, "currency": "USD"}}, "amount"),
        ({"amount": {"amount": "12.345", "currency": "USD"}}, "amount"),
        ({"amount": {"amount": "12.00", "currency": "EUR"}}, None),
        ({"department": "XYZ"}, "department"),
        ({"category": {"scheme": "nigp", "code": "62-8"}}, "category"),
        ({"paid_date": "2026-02-30"}, "paid_date"),
        ({"tier": "sub"}, None),
        ({"external_ref": ""}, "external_ref"),
        ({"external_ref": "x" * 81}, "external_ref"),
    ],
)
async def test_an_invalid_line_is_a_422_naming_the_field(vendors, auth, clock, change, field):
    vendor = await active_vendor(vendors, auth)
    response = await vendors.post(PAYMENTS, json=payment_body(vendor, **change), headers=auth(WRITE))
    problem = assert_problem(response, 422, "validation-error")
    if field is not None:
        assert problem["errors"][0]["location"][:2] == ["body", field], problem


async def test_vendors_must_be_registered_and_not_merged_away(vendors, auth, clock, session):
    unknown = uuid.uuid4()
    problem = assert_problem(
        await vendors.post(PAYMENTS, json=payment_body(unknown), headers=auth(WRITE)), 422, "validation-error"
    )
    assert problem["errors"] == [
        {
            "location": ["body", "vendor_id"],
            "message": f"no vendor has id {unknown}",
            "code": "unknown_vendor",
        }
    ]
    survivor = await active_vendor(vendors, auth, name="Harbor Janitorial LLC")
    merged = await active_vendor(vendors, auth, name="Harbor Janitorial Services LLC")
    await session.execute(
        text("UPDATE vendors.vendors SET status = 'merged', merged_into_id = :s WHERE id = :m"),
        {"s": survivor, "m": merged},
    )
    conflict = assert_problem(
        await vendors.post(PAYMENTS, json=payment_body(merged), headers=auth(WRITE)), 409, "conflict"
    )
    assert conflict["merged_into_id"] == survivor


async def test_sub_lines_name_another_vendor_as_their_prime(vendors, auth, clock):
    prime = await active_vendor(vendors, auth, name="Pacific Paving LLC")
    sub = await active_vendor(vendors, auth, name="Garcia Striping LLC")
    line = await record(vendors, auth, payment_body(sub, tier="sub", prime_vendor_id=prime))
    assert (line["tier"], line["vendor_id"], line["prime_vendor_id"]) == ("sub", sub, prime)

    for change in ({"tier": "sub"}, {"prime_vendor_id": prime}, {"tier": "sub", "prime_vendor_id": sub}):
        response = await vendors.post(PAYMENTS, json=payment_body(sub, **change), headers=auth(WRITE))
        assert_problem(response, 422, "validation-error")
    unknown_prime = await vendors.post(
        PAYMENTS, json=payment_body(sub, tier="sub", prime_vendor_id=str(uuid.uuid4())), headers=auth(WRITE)
    )
    assert assert_problem(unknown_prime, 422, "validation-error")["errors"][0]["location"] == [
        "body",
        "prime_vendor_id",
    ]


async def test_a_contract_must_be_the_vendors_on_prime_lines_and_the_primes_on_sub_lines(
    vendors, auth, clock, session
):
    prime = await active_vendor(vendors, auth, name="Pacific Paving LLC")
    sub = await active_vendor(vendors, auth, name="Garcia Striping LLC")
    contract_id, number = await contract_of(session, prime)

    on_contract = await record(vendors, auth, payment_body(prime, contract_id=contract_id))
    assert on_contract["contract_id"] == contract_id
    sub_line = await record(
        vendors, auth, payment_body(sub, tier="sub", prime_vendor_id=prime, contract_id=contract_id)
    )
    assert sub_line["contract_id"] == contract_id

    for body in (
        payment_body(sub, contract_id=contract_id),  # a prime line to another vendor than the holder
        payment_body(prime, tier="sub", prime_vendor_id=sub, contract_id=contract_id),  # the sub holds it
    ):
        problem = assert_problem(
            await vendors.post(PAYMENTS, json=body, headers=auth(WRITE)), 422, "validation-error"
        )
        assert problem["errors"][0]["code"] == "contract_of_another_vendor"
        assert number in problem["errors"][0]["message"]
    unknown = await vendors.post(
        PAYMENTS, json=payment_body(prime, contract_id=str(uuid.uuid4())), headers=auth(WRITE)
    )
    assert assert_problem(unknown, 422, "validation-error")["errors"][0]["code"] == "unknown_contract"


async def test_an_external_ref_is_recorded_once(vendors, auth, clock):
    vendor = await active_vendor(vendors, auth)
    first = await record(vendors, auth, payment_body(vendor, external_ref="AP-2026-000001"))
    again = await vendors.post(
        PAYMENTS,
        json=payment_body(vendor, external_ref="AP-2026-000001", paid_date="2026-03-15"),
        headers=auth(WRITE),
    )
    assert assert_problem(again, 409, "conflict")["existing_payment_id"] == first["id"]


async def test_a_payment_cannot_be_dated_after_the_citys_today(vendors, auth, clock):
    vendor = await active_vendor(vendors, auth)
    clock.set(datetime.fromisoformat("2026-03-15T06:30:00+00:00"))  # still the 14th in Los Angeles
    assert (
        await vendors.post(PAYMENTS, json=payment_body(vendor, paid_date="2026-03-14"), headers=auth(WRITE))
    ).status_code == 201
    response = await vendors.post(
        PAYMENTS, json=payment_body(vendor, paid_date="2026-03-15"), headers=auth(WRITE)
    )
    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["code"] == "future_date"


async def test_writing_and_reading_need_their_scopes(vendors, auth, clock):
    vendor = await active_vendor(vendors, auth)
    assert_problem(await vendors.post(PAYMENTS, json=payment_body(vendor)), 401, "unauthorized")
    assert_problem(
        await vendors.post(PAYMENTS, json=payment_body(vendor), headers=auth(READ)), 403, "forbidden"
    )
    assert_problem(await vendors.get(PAYMENTS), 401, "unauthorized")
    assert_problem(await vendors.get(PAYMENTS, headers=auth("procurement:bid")), 403, "forbidden")
    assert_problem(await vendors.get(f"{PAYMENTS}/{uuid.uuid4()}", headers=auth(READ)), 404, "not-found")
    assert_problem(await vendors.get(f"{PAYMENTS}/not-an-id", headers=auth(READ)), 422, "validation-error")


async def test_list_filters_combine_and_pages_follow(vendors, auth, clock, session):
    paving = await active_vendor(vendors, auth, name="Pacific Paving LLC")
    striping = await active_vendor(vendors, auth, name="Garcia Striping LLC")
    contract_id, _ = await contract_of(session, paving, department="BSS")
    lines = [
        payment_body(paving, department="BSS", paid_date="2025-06-30", contract_id=contract_id),  # FY2025
        payment_body(paving, department="BSS", paid_date="2025-07-01", contract_id=contract_id),
        payment_body(paving, department="GSD", paid_date="2025-09-15"),
        payment_body(
            striping,
            department="BSS",
            paid_date="2025-10-01",
            tier="sub",
            prime_vendor_id=paving,
            contract_id=contract_id,
        ),
        payment_body(striping, department="DOT", paid_date="2026-02-01"),
    ]
    recorded = [await record(vendors, auth, line) for line in lines]
    ids = [payment["id"] for payment in recorded]

    async def listed(**params):
        response = await vendors.get(PAYMENTS, params=params, headers=auth(READ))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"] if item["id"] in ids]

    assert await listed(vendor_id=paving) == ids[:3]
    assert await listed(contract_id=contract_id) == [ids[0], ids[1], ids[3]]
    assert await listed(department=["BSS", "DOT"]) == [ids[0], ids[1], ids[3], ids[4]]
    assert await listed(fiscal_year=2026, vendor_id=paving) == ids[1:3]
    assert await listed(paid_from="2025-07-01", paid_to="2025-10-01") == ids[1:4]
    assert await listed(tier="sub") == [ids[3]]

    first = await vendors.get(PAYMENTS, params={"vendor_id": paving, "page_size": 2}, headers=auth(READ))
    page = first.json()
    assert [item["id"] for item in page["items"]] == ids[:2]
    rest = await vendors.get(
        PAYMENTS,
        params={"vendor_id": paving, "page_size": 2, "page_token": page["next_page_token"]},
        headers=auth(READ),
    )
    assert [item["id"] for item in rest.json()["items"]] == ids[2:3]
    assert rest.json()["next_page_token"] is None
    other_filters = await vendors.get(
        PAYMENTS, params={"vendor_id": striping, "page_token": page["next_page_token"]}, headers=auth(READ)
    )
    assert_problem(other_filters, 400, "invalid-page-token")


@pytest.mark.parametrize(
    "params",
    [
        {"paid_from": "2026-02-01", "paid_to": "2026-01-01"},
        {"fiscal_year": "twenty"},
        {"tier": "tertiary"},
        {"department": "NOPE"},
        {"vendor_id": "nope"},
    ],
)
async def test_bad_list_parameters_are_422(vendors, auth, params):
    assert_problem(await vendors.get(PAYMENTS, params=params, headers=auth(READ)), 422, "validation-error")
