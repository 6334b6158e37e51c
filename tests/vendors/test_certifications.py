"""Certifications through the HTTP API: recording, the state machine, derived expiry, corrections,
the expiring list and the certifying agencies."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.common.clock import city_today
from services.vendors.certifications.validity import displayed_status
from tests.problems import assert_problem
from tests.vendors.factories import (
    CERTIFICATIONS,
    READ,
    VENDORS,
    WRITE,
    audit_actions,
    certification_body,
    certify,
    days,
    draft_vendor,
    move_certification,
    record_certification,
)

AGENCIES = "/v1/procurement/certifying-agencies"


# Recording


async def test_create_records_a_pending_certification_with_location_etag_and_basis(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)

    response = await vendors.post(
        f"{VENDORS}/{vendor_id}/certifications",
        json=certification_body(agency_code=" la-bca "),
        headers=auth(WRITE),
    )

    assert response.status_code == 201
    certification = response.json()
    assert response.headers["location"] == f"{CERTIFICATIONS}/{certification['id']}"
    assert response.headers["etag"] == '"v1"'
    assert certification["vendor_id"] == vendor_id
    assert certification["status"] == "pending"
    assert certification["agency_code"] == "LA-BCA"
    assert certification["program_basis"] == "race_sex_conscious"
    assert certification["verified_at"] is None
    assert await audit_actions(vendors, auth, "certification", certification["id"]) == ["create"]


@pytest.mark.parametrize(
    ("certification_type", "basis"),
    [
        ("mbe", "race_sex_conscious"),
        ("dbe", "race_sex_conscious"),
        ("acdbe", "race_sex_conscious"),
        ("sbe", "race_sex_neutral"),
        ("lbe", "race_sex_neutral"),
        ("dvbe", "race_sex_neutral"),
    ],
)
async def test_program_basis_follows_the_type(vendors, auth, certification_type, basis):
    vendor_id = await draft_vendor(vendors, auth)
    certification = await record_certification(vendors, auth, vendor_id, type=certification_type)
    assert certification["program_basis"] == basis


async def test_an_idempotent_retry_returns_the_first_certification(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    headers = auth(WRITE) | {"Idempotency-Key": f"cert-{uuid.uuid4()}"}
    url = f"{VENDORS}/{vendor_id}/certifications"

    first = await vendors.post(url, json=certification_body(), headers=headers)
    retry = await vendors.post(url, json=certification_body(), headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    listed = await vendors.get(url, headers=auth(READ))
    assert [c["id"] for c in listed.json()["items"]] == [first.json()["id"]]


async def test_the_same_certificate_twice_is_a_409_naming_the_first(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    first = await record_certification(vendors, auth, vendor_id)

    response = await vendors.post(
        f"{VENDORS}/{vendor_id}/certifications", json=certification_body(), headers=auth(WRITE)
    )

    problem = assert_problem(response, 409, "conflict")
    assert problem["existing_certification_id"] == first["id"]
    # Another type, agency or number is another certificate.
    await record_certification(vendors, auth, vendor_id, type="sbe")
    await record_certification(vendors, auth, vendor_id, agency_code="CPUC")
    await record_certification(vendors, auth, vendor_id, certificate_number="BCA-99999")


async def test_unknown_agency_is_a_422_naming_it(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)

    response = await vendors.post(
        f"{VENDORS}/{vendor_id}/certifications",
        json=certification_body(agency_code="XX-NOPE"),
        headers=auth(WRITE),
    )

    problem = assert_problem(response, 422, "validation-error")
    assert "XX-NOPE" in problem["detail"]
    assert problem["errors"][0]["location"] == ["body", "agency_code"]
    assert problem["errors"][0]["code"] == "unknown_agency"


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"expiration_date": days(-300)}, ["body"]),
        ({"expiration_date": days(-301)}, ["body"]),
        ({"type": "vip"}, ["body", "type"]),
        ({"certificate_number": ""}, ["body", "certificate_number"]),
        ({"effective_date": "2026-02-30"}, ["body", "effective_date"]),
        ({"status": "verified"}, ["body", "status"]),
    ],
)
async def test_invalid_certification_is_a_422_naming_the_field(vendors, auth, change, location):
    vendor_id = await draft_vendor(vendors, auth)

    response = await vendors.post(
        f"{VENDORS}/{vendor_id}/certifications", json=certification_body(**change), headers=auth(WRITE)
    )

    problem = assert_problem(response, 422, "validation-error")
    assert any(error["location"][: len(location)] == location for error in problem["errors"]), problem


async def test_create_for_an_unknown_vendor_is_404(vendors, auth):
    response = await vendors.post(
        f"{VENDORS}/{uuid.uuid4()}/certifications", json=certification_body(), headers=auth(WRITE)
    )
    assert_problem(response, 404, "not-found")


async def test_writing_needs_a_token_with_the_write_scope(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    url = f"{VENDORS}/{vendor_id}/certifications"

    assert_problem(await vendors.post(url, json=certification_body()), 401, "unauthorized")
    assert_problem(await vendors.post(url, json=certification_body(), headers=auth(READ)), 403, "forbidden")
    certification = await record_certification(vendors, auth, vendor_id)
    transition = f"{CERTIFICATIONS}/{certification['id']}/transitions"
    assert_problem(
        await vendors.post(transition, json={"to": "verified"}, headers=auth(READ)), 403, "forbidden"
    )
    assert_problem(await vendors.post(transition, json={"to": "verified"}), 401, "unauthorized")


async def test_reading_needs_the_read_scope(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    certification = await record_certification(vendors, auth, vendor_id)
    urls = [
        f"{CERTIFICATIONS}/{certification['id']}",
        f"{VENDORS}/{vendor_id}/certifications",
        CERTIFICATIONS,
        AGENCIES,
    ]
    for url in urls:
        assert_problem(await vendors.get(url), 401, "unauthorized")
        assert_problem(await vendors.get(url, headers=auth("real_estate:read")), 403, "forbidden")


# Reading


async def test_get_returns_the_certification_with_its_etag(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    created = await record_certification(vendors, auth, vendor_id)

    response = await vendors.get(f"{CERTIFICATIONS}/{created['id']}", headers=auth(READ))

    assert response.status_code == 200
    assert response.headers["etag"] == '"v1"'
    assert response.json() == created


async def test_get_unknown_or_malformed_id(vendors, auth):
    assert_problem(
        await vendors.get(f"{CERTIFICATIONS}/{uuid.uuid4()}", headers=auth(READ)), 404, "not-found"
    )
    assert_problem(
        await vendors.get(f"{CERTIFICATIONS}/not-a-uuid", headers=auth(READ)), 422, "validation-error"
    )


async def test_a_vendors_certifications_are_paged_and_filtered(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    other_vendor = await draft_vendor(vendors, auth, "Other Firm Inc")
    created = [
        await record_certification(vendors, auth, vendor_id, type=kind, agency_code=agency)
        for kind, agency in [("wbe", "LA-BCA"), ("sb", "CA-DGS"), ("dvbe", "CA-DGS")]
    ]
    await record_certification(vendors, auth, other_vendor)
    url = f"{VENDORS}/{vendor_id}/certifications"

    seen, token = [], None
    while True:
        params = {"page_size": 2} | ({"page_token": token} if token else {})
        page = (await vendors.get(url, params=params, headers=auth(READ))).json()
        seen += [c["id"] for c in page["items"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert seen == [c["id"] for c in created]

    by_agency = await vendors.get(url, params={"agency_code": "ca-dgs"}, headers=auth(READ))
    assert {c["type"] for c in by_agency.json()["items"]} == {"sb", "dvbe"}
    by_type = await vendors.get(url, params={"type": "dvbe"}, headers=auth(READ))
    assert [c["id"] for c in by_type.json()["items"]] == [created[2]["id"]]


async def test_a_page_token_cannot_be_reused_with_other_filters(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    for number in ("A-1", "A-2"):
        await record_certification(vendors, auth, vendor_id, certificate_number=number)
    url = f"{VENDORS}/{vendor_id}/certifications"
    token = (await vendors.get(url, params={"page_size": 1}, headers=auth(READ))).json()["next_page_token"]

    response = await vendors.get(url, params={"page_token": token, "type": "sbe"}, headers=auth(READ))

    assert_problem(response, 400, "invalid-page-token")


async def test_certifications_of_an_unknown_vendor_is_404(vendors, auth):
    response = await vendors.get(f"{VENDORS}/{uuid.uuid4()}/certifications", headers=auth(READ))
    assert_problem(response, 404, "not-found")


# The state machine


async def test_verification_records_when(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    certification = await record_certification(vendors, auth, vendor_id)

    response = await move_certification(vendors, auth, certification["id"], "verified")

    assert response.status_code == 200
    assert response.headers["etag"] == '"v2"'
    assert response.json()["status"] == "verified"
    assert response.json()["verified_at"] is not None
    assert await audit_actions(vendors, auth, "certification", certification["id"]) == [
        "create",
        "transition:verified",
    ]


async def test_rejection_needs_a_reason_and_is_final(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    certification = await record_certification(vendors, auth, vendor_id)

    assert_problem(
        await move_certification(vendors, auth, certification["id"], "rejected"), 422, "validation-error"
    )
    response = await move_certification(
        vendors, auth, certification["id"], "rejected", reason="Ownership below 51%."
    )
    assert response.json()["status"] == "rejected"

    problem = assert_problem(
        await move_certification(vendors, auth, certification["id"], "verified"), 409, "invalid-transition"
    )
    assert problem["allowed_transitions"] == []


async def test_an_illegal_move_is_409_with_the_allowed_ones(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    certification = await record_certification(vendors, auth, vendor_id)

    problem = assert_problem(
        await move_certification(vendors, auth, certification["id"], "revoked", reason="x"),
        409,
        "invalid-transition",
    )

    assert problem["current_status"] == "pending"
    assert problem["allowed_transitions"] == ["rejected", "verified"]


async def test_expired_cannot_be_set_by_hand(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    certification = await certify(vendors, auth, vendor_id)

    problem = assert_problem(
        await move_certification(vendors, auth, certification["id"], "expired"), 409, "invalid-transition"
    )

    assert "expiration date" in problem["detail"]
    assert problem["allowed_transitions"] == ["revoked", "superseded"]


async def test_revocation_needs_a_reason_and_ends_the_certificate_today(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    certification = await certify(vendors, auth, vendor_id)

    assert_problem(
        await move_certification(vendors, auth, certification["id"], "revoked"), 422, "validation-error"
    )
    response = await move_certification(
        vendors, auth, certification["id"], "revoked", reason="Decertified by BCA."
    )

    assert response.json()["status"] == "revoked"
    assert response.json()["ended_on"] == days(0)
    events = await vendors.get(
        "/v1/procurement/audit-events",
        params={"entity": "certification", "entity_id": certification["id"]},
        headers=auth(),
    )
    revocation = events.json()["items"][-1]
    assert revocation["changes"] == {"status": ["verified", "revoked"]}
    assert revocation["reason"] == "Decertified by BCA."


async def test_a_renewal_supersedes_the_old_certificate(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    old = await certify(vendors, auth, vendor_id, effective_date=days(-700), expiration_date=days(20))
    renewal = await certify(
        vendors,
        auth,
        vendor_id,
        certificate_number="BCA-20001",
        effective_date=days(0),
        expiration_date=days(730),
    )

    response = await move_certification(
        vendors, auth, old["id"], "superseded", reason=f"Renewed as {renewal['id']}."
    )

    assert response.status_code == 200
    assert response.json()["status"] == "superseded"
    assert response.json()["ended_on"] == days(0)


async def test_transition_of_unknown_certification_is_404_and_bad_target_422(vendors, auth):
    assert_problem(await move_certification(vendors, auth, uuid.uuid4(), "verified"), 404, "not-found")
    vendor_id = await draft_vendor(vendors, auth)
    certification = await record_certification(vendors, auth, vendor_id)
    assert_problem(
        await move_certification(vendors, auth, certification["id"], "approved"), 422, "validation-error"
    )


# Derived expiry


async def test_a_verified_certification_past_its_expiration_reads_as_expired(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    last_day_yesterday = await certify(
        vendors, auth, vendor_id, effective_date=days(-400), expiration_date=days(-1)
    )
    last_day_today = await certify(
        vendors,
        auth,
        vendor_id,
        certificate_number="BCA-2",
        effective_date=days(-400),
        expiration_date=days(0),
    )
    pending_past = await record_certification(
        vendors,
        auth,
        vendor_id,
        certificate_number="BCA-3",
        effective_date=days(-400),
        expiration_date=days(-1),
    )

    assert last_day_yesterday["status"] == "expired"
    assert last_day_today["status"] == "verified"
    read = await vendors.get(f"{CERTIFICATIONS}/{last_day_yesterday['id']}", headers=auth(READ))
    assert read.json()["status"] == "expired"
    assert pending_past["status"] == "pending"

    url = f"{VENDORS}/{vendor_id}/certifications"
    expired = await vendors.get(url, params={"status": "expired"}, headers=auth(READ))
    assert [c["id"] for c in expired.json()["items"]] == [last_day_yesterday["id"]]
    current = await vendors.get(url, params={"status": "verified"}, headers=auth(READ))
    assert [c["id"] for c in current.json()["items"]] == [last_day_today["id"]]


async def test_an_expired_certification_can_still_be_superseded(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    certification = await certify(
        vendors, auth, vendor_id, effective_date=days(-400), expiration_date=days(-10)
    )

    response = await move_certification(vendors, auth, certification["id"], "superseded")

    assert response.json()["status"] == "superseded"


# Corrections (PATCH)


async def test_a_pending_certification_can_be_corrected_with_if_match(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    certification = await record_certification(vendors, auth, vendor_id)
    url = f"{CERTIFICATIONS}/{certification['id']}"

    response = await vendors.patch(
        url,
        json={"certificate_number": "BCA-10243", "expiration_date": days(500)},
        headers=auth(WRITE) | {"If-Match": '"v1"'},
    )

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"v2"'
    assert response.json()["certificate_number"] == "BCA-10243"
    assert response.json()["expiration_date"] == days(500)
    events = await vendors.get(
        "/v1/procurement/audit-events",
        params={"entity": "certification", "entity_id": certification["id"]},
        headers=auth(),
    )
    update = events.json()["items"][-1]
    assert update["action"] == "update"
    assert update["changes"]["certificate_number"] == ["BCA-10234", "BCA-10243"]


async def test_patch_preconditions(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    certification = await record_certification(vendors, auth, vendor_id)
    url = f"{CERTIFICATIONS}/{certification['id']}"
    body = {"certificate_number": "BCA-1"}

    assert_problem(await vendors.patch(url, json=body, headers=auth(WRITE)), 428, "precondition-required")
    stale = await vendors.patch(url, json=body, headers=auth(WRITE) | {"If-Match": '"v7"'})
    assert_problem(stale, 412, "precondition-failed")
    assert stale.json()["current_etag"] == '"v1"'
    assert_problem(
        await vendors.patch(url, json=body, headers=auth(READ) | {"If-Match": '"v1"'}), 403, "forbidden"
    )
    assert_problem(await vendors.patch(url, json=body, headers={"If-Match": '"v1"'}), 401, "unauthorized")
    missing = await vendors.patch(
        f"{CERTIFICATIONS}/{uuid.uuid4()}", json=body, headers=auth(WRITE) | {"If-Match": '"v1"'}
    )
    assert_problem(missing, 404, "not-found")
    unchanged = await vendors.get(url, headers=auth(READ))
    assert unchanged.json()["certificate_number"] == "BCA-10234"


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"expiration_date": days(-300)}, ["body", "expiration_date"]),  # not after the stored effective date
        ({"effective_date": days(400)}, ["body", "effective_date"]),  # not before the stored expiration date
        ({"agency_code": "NOPE"}, ["body", "agency_code"]),
        ({"certificate_number": None}, ["body", "certificate_number"]),
        ({"status": "verified"}, ["body", "status"]),
    ],
)
async def test_patch_rejects_invalid_corrections(vendors, auth, change, location):
    vendor_id = await draft_vendor(vendors, auth)
    certification = await record_certification(vendors, auth, vendor_id)
    url = f"{CERTIFICATIONS}/{certification['id']}"

    response = await vendors.patch(url, json=change, headers=auth(WRITE) | {"If-Match": '"v1"'})

    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["location"] == location
    unchanged = await vendors.get(url, headers=auth(READ))
    assert unchanged.headers["etag"] == '"v1"'
    assert unchanged.json() == certification


async def test_patch_into_a_duplicate_is_409(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    first = await record_certification(vendors, auth, vendor_id)
    second = await record_certification(vendors, auth, vendor_id, certificate_number="BCA-2")

    response = await vendors.patch(
        f"{CERTIFICATIONS}/{second['id']}",
        json={"certificate_number": first["certificate_number"]},
        headers=auth(WRITE) | {"If-Match": '"v1"'},
    )

    assert_problem(response, 409, "conflict")
    assert response.json()["existing_certification_id"] == first["id"]


async def test_a_verified_certification_cannot_be_patched(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    certification = await certify(vendors, auth, vendor_id)

    response = await vendors.patch(
        f"{CERTIFICATIONS}/{certification['id']}",
        json={"expiration_date": days(900)},
        headers=auth(WRITE) | {"If-Match": '"v2"'},
    )

    problem = assert_problem(response, 409, "invalid-transition")
    assert "supersede" in problem["detail"]


# The expiring list


async def test_expiring_list_shows_soon_expiring_and_expired_soonest_first(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth, "Crenshaw Supply Co")
    soon = await certify(vendors, auth, vendor_id, certificate_number="S", expiration_date=days(10))
    expired = await certify(vendors, auth, vendor_id, certificate_number="E", expiration_date=days(-5))
    await certify(vendors, auth, vendor_id, certificate_number="L", expiration_date=days(100))
    await record_certification(
        vendors, auth, vendor_id, certificate_number="P", expiration_date=days(5)
    )  # pending
    revoked = await certify(vendors, auth, vendor_id, certificate_number="R", expiration_date=days(3))
    await move_certification(vendors, auth, revoked["id"], "revoked", reason="Fraud.")

    response = await vendors.get(CERTIFICATIONS, params={"expiring_within_days": 30}, headers=auth(READ))

    assert response.status_code == 200
    items = response.json()["items"]
    assert [(c["id"], c["status"], c["days_until_expiration"]) for c in items] == [
        (expired["id"], "expired", -5),
        (soon["id"], "verified", 10),
    ]
    assert items[0]["vendor_legal_name"] == "Crenshaw Supply Co"
    assert items[0]["vendor_number"].startswith("VND-")

    without_expired = await vendors.get(
        CERTIFICATIONS, params={"expiring_within_days": 30, "include_expired": "false"}, headers=auth(READ)
    )
    assert [c["id"] for c in without_expired.json()["items"]] == [soon["id"]]


async def test_expiring_list_pages_in_expiration_order(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    for offset in (20, -3, 7, 0):
        await certify(vendors, auth, vendor_id, certificate_number=f"N{offset}", expiration_date=days(offset))

    seen, token = [], None
    while True:
        params = {"expiring_within_days": 30, "page_size": 1} | ({"page_token": token} if token else {})
        page = (await vendors.get(CERTIFICATIONS, params=params, headers=auth(READ))).json()
        seen += [c["days_until_expiration"] for c in page["items"]]
        token = page["next_page_token"]
        if token is None:
            break

    assert seen == [-3, 0, 7, 20]


async def test_the_full_list_filters_by_type_and_status(vendors, auth):
    vendor_id = await draft_vendor(vendors, auth)
    wbe = await certify(vendors, auth, vendor_id)
    await record_certification(vendors, auth, vendor_id, type="sbe")

    response = await vendors.get(
        CERTIFICATIONS, params={"type": "wbe", "status": "verified"}, headers=auth(READ)
    )

    assert [c["id"] for c in response.json()["items"]] == [wbe["id"]]
    assert response.json()["items"][0]["days_until_expiration"] == 400


@pytest.mark.parametrize(
    "params",
    [
        {"expiring_within_days": -1},
        {"expiring_within_days": "soon"},
        {"status": "lapsed"},
        {"updated_since": "2026-01-01T00:00:00"},  # no offset
        {"page_size": 0},
    ],
)
async def test_bad_list_parameters_are_422(vendors, auth, params):
    response = await vendors.get(CERTIFICATIONS, params=params, headers=auth(READ))
    assert_problem(response, 422, "validation-error")


# Certifying agencies


async def test_agencies_are_reference_data_from_the_migration(vendors, auth):
    response = await vendors.get(AGENCIES, headers=auth(READ))

    assert response.status_code == 200
    agencies = {a["code"]: a for a in response.json()["items"]}
    assert {"LA-BCA", "CA-DGS", "CUCP", "LACO-DCBA", "LA-METRO", "SBA", "WBENC", "NMSDC", "CPUC"} <= set(
        agencies
    )
    assert agencies["LA-BCA"]["jurisdiction"] == "City of Los Angeles"
    assert "dbe" in agencies["CUCP"]["certification_types"]
    assert agencies["SBA"]["url"].startswith("https://")


async def test_agencies_are_paged_by_code(vendors, auth):
    first = (await vendors.get(AGENCIES, params={"page_size": 5}, headers=auth(READ))).json()
    rest = (
        await vendors.get(
            AGENCIES, params={"page_size": 500, "page_token": first["next_page_token"]}, headers=auth(READ)
        )
    ).json()

    codes = [a["code"] for a in first["items"] + rest["items"]]
    assert codes == sorted(codes) and len(codes) == len(set(codes)) >= 9
    assert rest["next_page_token"] is None


def test_the_day_turns_at_midnight_in_los_angeles_not_utc():
    evening_in_los_angeles = datetime(2026, 11, 22, 3, 30, tzinfo=UTC)  # 19:30 on the 21st, PST
    assert city_today(evening_in_los_angeles) == date(2026, 11, 21)
    assert displayed_status("verified", date(2026, 11, 21), city_today(evening_in_los_angeles)) == "verified"
