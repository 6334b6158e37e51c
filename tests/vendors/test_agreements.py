"""Contracts through the HTTP API: drafted from an award in force, signed, completed or terminated;
amended (never below zero); and subcontract commitments to active, certified subs.
"""

from __future__ import annotations

import uuid

import pytest

from tests.problems import assert_problem
from tests.vendors.factories import (
    CONTRACTS,
    DAY_AFTER,
    EVALUATE,
    VALID_IN_2030,
    VENDORS,
    WRITE,
    active_vendor,
    audit_actions,
    certify,
    move_award,
    with_intent,
)

PERIOD = {"start": "2030-05-01", "end": "2031-04-30"}


async def active_award(client, auth, clock, prices=("90000.00", "95000.00")):
    solicitation, vendor_ids, _, award = await with_intent(client, auth, clock, list(prices))
    clock.set(DAY_AFTER)
    response = await move_award(client, auth, award["id"], "active")
    assert response.status_code == 200, response.text
    return solicitation, vendor_ids, response.json()


async def drafted(client, auth, award, **overrides):
    response = await client.post(
        CONTRACTS, json={"award_id": award["id"], "period": PERIOD} | overrides, headers=auth(WRITE)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def contract_move(client, auth, contract_id, to, reason=None):
    return await client.post(
        f"{CONTRACTS}/{contract_id}/transitions", json={"to": to, "reason": reason}, headers=auth(WRITE)
    )


async def signed(client, auth, award):
    contract = await drafted(client, auth, award)
    response = await contract_move(client, auth, contract["id"], "active")
    assert response.status_code == 200, response.text
    return response.json()


async def amend(client, auth, contract, etag, **body):
    return await client.post(
        f"{CONTRACTS}/{contract['id']}/amendments",
        json={"description": "Change order 1: added resurfacing on Spring Street."} | body,
        headers=auth(WRITE) | {"If-Match": etag},
    )


async def commit(client, auth, contract, sub_vendor_id, amount="10000.00", **body):
    return await client.post(
        f"{CONTRACTS}/{contract['id']}/subcontracts",
        json={"sub_vendor_id": sub_vendor_id, "amount": {"amount": amount, "currency": "USD"}} | body,
        headers=auth(WRITE),
    )


# Contracts


async def test_a_contract_is_drafted_from_an_award_in_force(vendors, auth, clock):
    solicitation, (winner, _), award = await active_award(vendors, auth, clock)

    response = await vendors.post(
        CONTRACTS, json={"award_id": award["id"], "period": PERIOD}, headers=auth(WRITE)
    )

    assert response.status_code == 201, response.text
    contract = response.json()
    assert response.headers["location"] == f"{CONTRACTS}/{contract['id']}"
    assert response.headers["etag"] == '"v1"'
    assert contract["number"].startswith("C-2030-")
    assert contract["status"] == "draft" and contract["signed_date"] is None
    assert contract["vendor_id"] == winner and contract["department"] == "GSD"
    assert contract["solicitation_id"] == solicitation["id"] and contract["title"] == solicitation["title"]
    assert contract["original_value"] == contract["value"] == {"amount": "90000.00", "currency": "USD"}
    assert contract["period"] == PERIOD
    public = await vendors.get(f"{CONTRACTS}/{contract['id']}")
    assert public.status_code == 200 and public.json() == contract
    listed = await vendors.get(
        CONTRACTS, params={"vendor_id": winner, "department": "gsd", "status": "draft"}
    )
    assert [item["id"] for item in listed.json()["items"]] == [contract["id"]]
    assert (await vendors.get(CONTRACTS, params={"vendor_id": winner, "status": "active"})).json()[
        "items"
    ] == []
    assert await audit_actions(vendors, auth, "contract", contract["id"]) == ["create"]


async def test_only_an_active_award_without_a_contract_makes_one(vendors, auth, clock):
    _, _, _, intent = await with_intent(vendors, auth, clock, ["90000.00"])
    body = {"award_id": intent["id"], "period": PERIOD}

    assert_problem(await vendors.post(CONTRACTS, json=body, headers=auth(WRITE)), 409, "conflict")
    assert_problem(await vendors.post(CONTRACTS, json=body, headers=auth(EVALUATE)), 403, "forbidden")
    unknown = await vendors.post(CONTRACTS, json=body | {"award_id": str(uuid.uuid4())}, headers=auth(WRITE))
    assert assert_problem(unknown, 422, "validation-error")["errors"][0]["location"] == ["body", "award_id"]
    backwards = await vendors.post(
        CONTRACTS, json=body | {"period": {"start": "2031-01-01", "end": "2030-01-01"}}, headers=auth(WRITE)
    )
    assert_problem(backwards, 422, "validation-error")

    clock.set(DAY_AFTER)
    await move_award(vendors, auth, intent["id"], "active")
    first = await drafted(vendors, auth, intent, title="Civic Center resurfacing, phase 1")
    assert first["title"] == "Civic Center resurfacing, phase 1"
    second = await vendors.post(CONTRACTS, json=body, headers=auth(WRITE))
    assert assert_problem(second, 409, "conflict")["contract_id"] == first["id"]


async def test_a_draft_changes_in_place_with_if_match_and_an_active_one_does_not(vendors, auth, clock):
    _, _, award = await active_award(vendors, auth, clock)
    contract = await drafted(vendors, auth, award)
    url = f"{CONTRACTS}/{contract['id']}"

    assert_problem(
        await vendors.patch(url, json={"title": "X"}, headers=auth(WRITE)), 428, "precondition-required"
    )
    stale = await vendors.patch(url, json={"title": "X"}, headers=auth(WRITE) | {"If-Match": '"v9"'})
    assert_problem(stale, 412, "precondition-failed")
    nulled = await vendors.patch(url, json={"period": None}, headers=auth(WRITE) | {"If-Match": '"v1"'})
    assert_problem(nulled, 422, "validation-error")

    changed = await vendors.patch(
        url,
        json={"period": {"start": "2030-06-01", "end": "2031-05-31"}, "signed_date": "2030-05-20"},
        headers=auth(WRITE) | {"If-Match": '"v1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"v2"' and changed.json()["period"]["start"] == "2030-06-01"

    active = await contract_move(vendors, auth, contract["id"], "active")
    assert active.json()["signed_date"] == "2030-05-20"  # as set on the draft
    late = await vendors.patch(url, json={"title": "X"}, headers=auth(WRITE) | {"If-Match": '"v3"'})
    assert assert_problem(late, 409, "conflict")["current_status"] == "active"


async def test_contracts_move_draft_active_then_completed_or_terminated(vendors, auth, clock):
    _, _, award = await active_award(vendors, auth, clock)
    contract = await drafted(vendors, auth, award)

    skipped = await contract_move(vendors, auth, contract["id"], "completed")
    assert assert_problem(skipped, 409, "invalid-transition")["allowed_transitions"] == ["active"]
    active = await contract_move(vendors, auth, contract["id"], "active")
    assert active.json()["status"] == "active"
    assert active.json()["signed_date"] == "2030-04-13"  # signed today, Los Angeles
    assert_problem(await contract_move(vendors, auth, contract["id"], "terminated"), 422, "validation-error")
    terminated = await contract_move(
        vendors, auth, contract["id"], "terminated", reason="Default: no performance."
    )
    assert terminated.json()["status"] == "terminated"
    assert_problem(await contract_move(vendors, auth, contract["id"], "active"), 409, "invalid-transition")
    assert_problem(await contract_move(vendors, auth, uuid.uuid4(), "active"), 404, "not-found")
    assert await audit_actions(vendors, auth, "contract", contract["id"]) == [
        "create",
        "transition:active",
        "transition:terminated",
    ]


# Amendments


async def test_amendments_change_the_value_and_the_end_date_never_below_zero(vendors, auth, clock):
    _, _, award = await active_award(vendors, auth, clock)
    contract = await drafted(vendors, auth, award)
    change = {"value_change": {"amount": "12500.00", "currency": "USD"}}

    on_draft = await amend(vendors, auth, contract, '"v1"', **change)
    assert assert_problem(on_draft, 409, "conflict")["current_status"] == "draft"
    contract = (await contract_move(vendors, auth, contract["id"], "active")).json()
    etag = f'"v{contract["version"]}"'

    assert_problem(await amend(vendors, auth, contract, '"v1"', **change), 412, "precondition-failed")
    first = await amend(vendors, auth, contract, etag, **change, new_period_end="2031-10-31")
    assert first.status_code == 201, first.text
    amendment = first.json()
    assert amendment["number"] == 1 and amendment["value_change"]["amount"] == "12500.00"
    assert amendment["effective_date"] == "2030-04-13"
    assert first.headers["location"] == f"{CONTRACTS}/{contract['id']}/amendments/{amendment['id']}"
    amended = (await vendors.get(f"{CONTRACTS}/{contract['id']}")).json()
    assert amended["value"]["amount"] == "102500.00" and amended["original_value"]["amount"] == "90000.00"
    assert amended["period"]["end"] == "2031-10-31"
    etag = f'"v{amended["version"]}"'

    below_zero = await amend(
        vendors, auth, contract, etag, value_change={"amount": "-102500.01", "currency": "USD"}
    )
    problem = assert_problem(below_zero, 422, "validation-error")
    assert problem["errors"][0]["location"] == ["body", "value_change", "amount"]
    for bad in (
        {},  # changes nothing
        {"value_change": {"amount": "0.00", "currency": "USD"}},
        {"value_change": {"amount": -5, "currency": "USD"}},
        {"value_change": {"amount": "-5.00", "currency": "EUR"}},
        {"new_period_end": "2030-01-01"},  # before the start
    ):
        assert_problem(await amend(vendors, auth, contract, etag, **bad), 422, "validation-error")

    to_zero = await amend(
        vendors, auth, contract, etag, value_change={"amount": "-102500.00", "currency": "USD"}
    )
    assert to_zero.status_code == 201, to_zero.text
    assert (await vendors.get(f"{CONTRACTS}/{contract['id']}")).json()["value"]["amount"] == "0.00"
    listed = await vendors.get(f"{CONTRACTS}/{contract['id']}/amendments")
    assert [item["number"] for item in listed.json()["items"]] == [1, 2]
    one = await vendors.get(f"{CONTRACTS}/{contract['id']}/amendments/{amendment['id']}")
    assert one.json() == amendment
    assert_problem(
        await vendors.get(f"{CONTRACTS}/{contract['id']}/amendments/{uuid.uuid4()}"), 404, "not-found"
    )


# Subcontract commitments


async def test_subcontract_commitments_name_active_certified_subs(vendors, auth, clock):
    _, (prime, _), award = await active_award(vendors, auth, clock)
    contract = await signed(vendors, auth, award)
    sub = await active_vendor(vendors, auth, name="Highland Park Striping LLC")
    await certify(vendors, auth, sub, "sbe", **VALID_IN_2030)
    await certify(vendors, auth, sub, "dbe", effective_date="2029-01-01", expiration_date="2030-04-12")

    certified = await commit(vendors, auth, contract, sub, "15000.00", certification_type="sbe")
    assert certified.status_code == 201, certified.text
    assert certified.json()["certification_type"] == "sbe"
    assert certified.json()["committed_date"] == "2030-04-13" and certified.json()["status"] == "committed"
    assert (
        certified.headers["location"] == f"{CONTRACTS}/{contract['id']}/subcontracts/{certified.json()['id']}"
    )

    expired = await commit(vendors, auth, contract, sub, certification_type="dbe")
    assert assert_problem(expired, 422, "validation-error")["errors"][0]["location"] == [
        "body",
        "certification_type",
    ]
    back_then = await commit(
        vendors, auth, contract, sub, certification_type="dbe", committed_date="2030-04-12"
    )
    assert back_then.status_code == 201, back_then.text
    never_held = await commit(vendors, auth, contract, sub, certification_type="lbe")
    assert_problem(never_held, 422, "validation-error")
    uncertified = await commit(vendors, auth, contract, sub, "5000.00")
    assert uncertified.status_code == 201 and uncertified.json()["certification_type"] is None

    listed = await vendors.get(f"{CONTRACTS}/{contract['id']}/subcontracts")
    assert [item["amount"]["amount"] for item in listed.json()["items"]] == [
        "15000.00",
        "10000.00",
        "5000.00",
    ]
    assert prime != sub


@pytest.mark.parametrize(
    ("who", "status", "slug"),
    [
        ("prime", 422, "validation-error"),
        ("unknown", 422, "validation-error"),
        ("suspended", 409, "conflict"),
    ],
)
async def test_a_sub_is_a_registered_active_vendor_other_than_the_prime(
    vendors, auth, clock, who, status, slug
):
    _, (prime, _), award = await active_award(vendors, auth, clock)
    contract = await signed(vendors, auth, award)
    sub = {"prime": prime, "unknown": str(uuid.uuid4())}.get(who)
    if who == "suspended":
        sub = await active_vendor(vendors, auth, name="Suspended Sub Inc")
        await vendors.post(
            f"{VENDORS}/{sub}/transitions",
            json={"to": "suspended", "reason": "Lapsed bond"},
            headers=auth(WRITE),
        )

    problem = assert_problem(await commit(vendors, auth, contract, sub), status, slug)

    if status == 422:
        assert problem["errors"][0]["location"] == ["body", "sub_vendor_id"]


async def test_commitments_stay_within_the_contract_and_are_cancelled_with_a_reason(vendors, auth, clock):
    _, _, award = await active_award(vendors, auth, clock)
    contract = await signed(vendors, auth, award)
    sub = await active_vendor(vendors, auth, name="Eagle Rock Concrete Co")

    committed = (await commit(vendors, auth, contract, sub, "60000.00")).json()
    too_much = await commit(vendors, auth, contract, sub, "30000.01")
    assert_problem(too_much, 422, "validation-error")
    lowered = await amend(
        vendors,
        auth,
        contract,
        f'"v{contract["version"]}"',
        value_change={"amount": "-30000.01", "currency": "USD"},
    )
    assert "committed to subcontractors" in assert_problem(lowered, 409, "conflict")["detail"]

    url = f"{CONTRACTS}/{contract['id']}/subcontracts/{committed['id']}"
    no_reason = await vendors.post(f"{url}/transitions", json={"to": "cancelled"}, headers=auth(WRITE))
    assert_problem(no_reason, 422, "validation-error")
    cancelled = await vendors.post(
        f"{url}/transitions",
        json={"to": "cancelled", "reason": "Sub went out of business."},
        headers=auth(WRITE),
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await vendors.post(
        f"{url}/transitions", json={"to": "cancelled", "reason": "x"}, headers=auth(WRITE)
    )
    assert_problem(again, 409, "invalid-transition")
    assert (await vendors.get(url)).json()["version"] == 2
    assert (await commit(vendors, auth, contract, sub, "90000.00")).status_code == 201
    assert await audit_actions(vendors, auth, "subcontract", committed["id"]) == [
        "commit",
        "transition:cancelled",
    ]


async def test_closed_contracts_take_no_commitments(vendors, auth, clock):
    _, _, award = await active_award(vendors, auth, clock)
    contract = await signed(vendors, auth, award)
    await contract_move(vendors, auth, contract["id"], "completed")
    sub = await active_vendor(vendors, auth, name="Late Sub LLC")

    assert (
        assert_problem(await commit(vendors, auth, contract, sub), 409, "conflict")["current_status"]
        == "completed"
    )
    assert_problem(await commit(vendors, auth, {"id": uuid.uuid4()}, sub), 404, "not-found")


async def test_contract_lists_are_public_paged_and_checked(vendors, auth, clock):
    _, _, award = await active_award(vendors, auth, clock)
    contract = await drafted(vendors, auth, award)

    by_award = await vendors.get(CONTRACTS, params={"award_id": award["id"], "page_size": 1})
    assert [item["id"] for item in by_award.json()["items"]] == [contract["id"]]
    assert_problem(await vendors.get(CONTRACTS, params={"page_token": "forged"}), 400, "invalid-page-token")
    assert_problem(await vendors.get(CONTRACTS, params={"department": "XYZ"}), 422, "validation-error")
    assert_problem(await vendors.get(f"{CONTRACTS}/{uuid.uuid4()}"), 404, "not-found")
    assert_problem(await vendors.get(f"{CONTRACTS}/{uuid.uuid4()}/subcontracts"), 404, "not-found")
