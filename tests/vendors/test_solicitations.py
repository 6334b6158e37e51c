"""Solicitations through the HTTP API: drafting, publication, the clock-driven open and closed states,
transitions, listing, addenda (with the late-addendum extension) and anonymous questions.

Time is moved with the `clock` fixture, which pins the platform's clock that every rule reads.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.problems import assert_problem
from tests.vendors.factories import (
    EVALUATE,
    READ,
    SOLICITATIONS,
    T0,
    TENDER_END,
    TENDER_START,
    VENDORS,
    WRITE,
    active_vendor,
    audit_actions,
    draft,
    iso,
    move_solicitation,
    published,
    solicitation_body,
    supplier,
)

# Drafting


async def test_a_draft_gets_a_reference_an_ocid_a_location_and_an_etag(vendors, auth, clock):
    response = await vendors.post(SOLICITATIONS, json=solicitation_body(), headers=auth(WRITE))

    assert response.status_code == 201, response.text
    solicitation = response.json()
    assert response.headers["location"] == f"{SOLICITATIONS}/{solicitation['id']}"
    assert response.headers["etag"] == '"v1"'
    assert solicitation["status"] == "draft"
    assert solicitation["reference"].startswith("IFB-2030-")
    assert solicitation["ocid"] == f"ocds-cityops-{solicitation['reference']}"
    assert solicitation["buyer_department"] == "GSD"
    assert solicitation["estimated_value"] == {"amount": "250000.00", "currency": "USD"}
    assert solicitation["items"][0]["classification"] == {"scheme": "nigp", "code": "745-40"}
    assert solicitation["bid_count"] is None
    assert solicitation["published_at"] is None


async def test_references_are_distinct_and_follow_the_type_while_a_draft(vendors, auth, clock):
    first, second = await draft(vendors, auth), await draft(vendors, auth)
    assert first["reference"] != second["reference"]

    response = await vendors.patch(
        f"{SOLICITATIONS}/{first['id']}", json={"type": "rfp"}, headers=auth(WRITE) | {"If-Match": '"v1"'}
    )

    assert response.status_code == 200, response.text
    number = first["reference"].split("-", 1)[1]
    assert response.json()["reference"] == f"RFP-{number}"
    assert response.json()["ocid"] == f"ocds-cityops-RFP-{number}"


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"buyer_department": "XYZ"}, ["body", "buyer_department"]),
        ({"estimated_value": {"amount": 1250.5, "currency": "USD"}}, ["body", "estimated_value", "amount"]),
        ({"estimated_value": {"amount": "12.345", "currency": "USD"}}, ["body", "estimated_value", "amount"]),
        (
            {"estimated_value": {"amount": "10.00", "currency": "usd"}},
            ["body", "estimated_value", "currency"],
        ),
        ({"type": "auction"}, ["body", "type"]),
        ({"funding_source": "private"}, ["body", "funding_source"]),
        ({"tender_period": {"start": iso(TENDER_END), "end": iso(TENDER_START)}}, ["body", "tender_period"]),
        (
            {"tender_period": {"start": "2030-03-14T16:00:00", "end": iso(TENDER_END)}},
            ["body", "tender_period"],
        ),
        (
            {"tender_period": {"start": "0001-01-01T00:00:00+05:00", "end": iso(TENDER_END)}},
            ["body", "tender_period"],
        ),
        ({"enquiry_period": {"start": iso(T0), "end": iso(TENDER_END + timedelta(days=1))}}, ["body"]),
        ({"items": [solicitation_body()["items"][0]] * 2}, ["body", "items"]),
        ({"items": [{**solicitation_body()["items"][0], "quantity": "0"}]}, ["body", "items", 0, "quantity"]),
        (
            {
                "items": [
                    {**solicitation_body()["items"][0], "classification": {"scheme": "nigp", "code": "7"}}
                ]
            },
            ["body", "items", 0],
        ),
        ({"surprise": True}, ["body", "surprise"]),
    ],
)
async def test_an_invalid_draft_is_a_422_naming_the_field(vendors, auth, clock, change, location):
    response = await vendors.post(SOLICITATIONS, json=solicitation_body(**change), headers=auth(WRITE))

    problem = assert_problem(response, 422, "validation-error")
    assert any(error["location"][: len(location)] == location for error in problem["errors"]), problem


async def test_drafting_needs_a_token_with_the_write_scope(vendors, auth, clock):
    assert_problem(await vendors.post(SOLICITATIONS, json=solicitation_body()), 401, "unauthorized")
    assert_problem(
        await vendors.post(SOLICITATIONS, json=solicitation_body(), headers=auth(READ)), 403, "forbidden"
    )


async def test_an_idempotent_retry_returns_the_first_draft(vendors, auth, clock):
    headers = auth(WRITE) | {"Idempotency-Key": str(uuid.uuid4())}
    first = await vendors.post(SOLICITATIONS, json=solicitation_body(), headers=headers)
    again = await vendors.post(SOLICITATIONS, json=solicitation_body(), headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"


async def test_drafts_are_hidden_from_the_public_and_shown_to_staff(vendors, auth, clock):
    solicitation = await draft(vendors, auth)
    url = f"{SOLICITATIONS}/{solicitation['id']}"

    assert_problem(await vendors.get(url), 404, "not-found")
    assert_problem(await vendors.get(url, headers=auth("procurement:bid")), 404, "not-found")
    staff = await vendors.get(url, headers=auth(READ))
    assert staff.status_code == 200 and staff.headers["etag"] == '"v1"'

    public_ids = [
        item["id"] for item in (await vendors.get(SOLICITATIONS, params={"page_size": 500})).json()["items"]
    ]
    staff_ids = [
        item["id"]
        for item in (await vendors.get(SOLICITATIONS, params={"page_size": 500}, headers=auth(READ))).json()[
            "items"
        ]
    ]
    assert solicitation["id"] not in public_ids
    assert solicitation["id"] in staff_ids


async def test_a_bad_token_on_a_public_read_is_401_not_anonymous(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    response = await vendors.get(
        f"{SOLICITATIONS}/{solicitation['id']}", headers={"Authorization": "Bearer not-a-token"}
    )
    assert_problem(response, 401, "unauthorized")


async def test_unknown_or_malformed_ids(vendors, auth, clock):
    assert_problem(await vendors.get(f"{SOLICITATIONS}/{uuid.uuid4()}", headers=auth(READ)), 404, "not-found")
    assert_problem(await vendors.get(f"{SOLICITATIONS}/not-a-uuid"), 422, "validation-error")


# Changing a draft


async def test_patch_preconditions_and_merged_checks(vendors, auth, clock):
    solicitation = await draft(vendors, auth)
    url = f"{SOLICITATIONS}/{solicitation['id']}"

    assert_problem(
        await vendors.patch(url, json={"title": "X"}, headers=auth(WRITE)), 428, "precondition-required"
    )
    assert_problem(
        await vendors.patch(url, json={"title": "X"}, headers=auth(WRITE) | {"If-Match": '"v7"'}),
        412,
        "precondition-failed",
    )
    too_short = {"tender_period": {"start": iso(T0 + timedelta(days=1)), "end": iso(T0 + timedelta(days=2))}}
    problem = assert_problem(
        await vendors.patch(url, json=too_short, headers=auth(WRITE) | {"If-Match": '"v1"'}),
        422,
        "validation-error",
    )
    assert "enquiry period" in problem["detail"]
    assert_problem(
        await vendors.patch(url, json={"title": None}, headers=auth(WRITE) | {"If-Match": '"v1"'}),
        422,
        "validation-error",
    )

    response = await vendors.patch(
        url,
        json={"title": "Asphalt, Civic Center", "estimated_value": None},
        headers=auth(WRITE) | {"If-Match": '"v1"'},
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"v2"'
    assert response.json()["title"] == "Asphalt, Civic Center"
    assert response.json()["estimated_value"] is None
    assert await audit_actions(vendors, auth, "solicitation", solicitation["id"]) == ["create", "update"]


async def test_a_published_solicitation_is_not_patched(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    response = await vendors.patch(
        f"{SOLICITATIONS}/{solicitation['id']}",
        json={"title": "X"},
        headers=auth(WRITE) | {"If-Match": '"v2"'},
    )
    problem = assert_problem(response, 409, "conflict")
    assert problem["current_status"] == "published"


# Publication and the clock


async def test_publication_makes_it_public_and_the_clock_opens_and_closes_it(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    url = f"{SOLICITATIONS}/{solicitation['id']}"
    assert solicitation["status"] == "published"
    assert solicitation["published_at"] == iso(T0)

    public = await vendors.get(url)
    assert public.status_code == 200 and public.json()["status"] == "published"

    clock.set(TENDER_START)
    opened = (await vendors.get(url)).json()
    assert opened["status"] == "open"
    clock.set(TENDER_END - timedelta(microseconds=1))
    assert (await vendors.get(url)).json()["status"] == "open"
    clock.set(TENDER_END)
    closed = (await vendors.get(url)).json()
    assert closed["status"] == "closed"
    # Nothing was written: the status is read from the clock.
    assert closed["version"] == opened["version"] == solicitation["version"]


async def test_the_status_filter_follows_the_clock_in_sql(vendors, auth, clock):
    early = await published(vendors, auth)
    late = await published(
        vendors,
        auth,
        tender_period={"start": iso(TENDER_END), "end": iso(TENDER_END + timedelta(days=10))},
        enquiry_period=None,
    )
    clock.set(TENDER_START + timedelta(hours=1))

    async def ids(status):
        response = await vendors.get(SOLICITATIONS, params={"status": status, "page_size": 500})
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert early["id"] in await ids("open") and late["id"] not in await ids("open")
    assert late["id"] in await ids("published") and early["id"] not in await ids("published")
    clock.set(TENDER_END)
    assert early["id"] in await ids("closed") and late["id"] in await ids("open")


async def test_publication_needs_items_and_a_future_close(vendors, auth, clock):
    empty = await draft(vendors, auth, items=[])
    assert_problem(await move_solicitation(vendors, auth, empty["id"], "published"), 409, "conflict")

    stale = await draft(vendors, auth)
    clock.set(TENDER_END + timedelta(days=1))
    problem = assert_problem(
        await move_solicitation(vendors, auth, stale["id"], "published"), 409, "conflict"
    )
    assert problem["tender_period"]["end"].startswith("2030-04-03")


async def test_open_and_closed_are_not_moves(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    problem = assert_problem(
        await move_solicitation(vendors, auth, solicitation["id"], "open"), 409, "invalid-transition"
    )
    assert problem["allowed_transitions"] == ["cancelled"]


async def test_illegal_moves_are_409_with_the_allowed_ones(vendors, auth, clock):
    solicitation = await draft(vendors, auth)
    problem = assert_problem(
        await move_solicitation(
            vendors, auth, solicitation["id"], "opened", scopes=EVALUATE + " procurement:write"
        ),
        409,
        "invalid-transition",
    )
    assert problem["current_status"] == "draft"
    assert problem["allowed_transitions"] == ["cancelled", "published"]


async def test_moves_need_their_scopes(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    assert_problem(
        await move_solicitation(vendors, auth, solicitation["id"], "cancelled", "x", scopes=READ),
        403,
        "forbidden",
    )
    clock.set(TENDER_END)
    problem = assert_problem(
        await move_solicitation(vendors, auth, solicitation["id"], "opened", scopes=WRITE), 403, "forbidden"
    )
    assert problem["required_scopes"] == ["procurement:evaluate"]
    no_token = await vendors.post(
        f"{SOLICITATIONS}/{solicitation['id']}/transitions", json={"to": "cancelled"}
    )
    assert_problem(no_token, 401, "unauthorized")


async def test_cancellation_needs_a_reason_and_is_final(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    assert_problem(
        await move_solicitation(vendors, auth, solicitation["id"], "cancelled"), 422, "validation-error"
    )

    response = await move_solicitation(
        vendors, auth, solicitation["id"], "cancelled", reason="Funding withdrawn"
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    clock.set(TENDER_START)
    assert (await vendors.get(f"{SOLICITATIONS}/{solicitation['id']}")).json()["status"] == "cancelled"
    problem = assert_problem(
        await move_solicitation(vendors, auth, solicitation["id"], "published"), 409, "invalid-transition"
    )
    assert problem["allowed_transitions"] == []
    assert await audit_actions(vendors, auth, "solicitation", solicitation["id"]) == [
        "create",
        "transition:published",
        "transition:cancelled",
    ]


async def test_transition_of_an_unknown_solicitation_is_404(vendors, auth, clock):
    assert_problem(await move_solicitation(vendors, auth, uuid.uuid4(), "published"), 404, "not-found")


# Listing


async def test_list_filters_combine_and_pages_follow(vendors, auth, clock):
    marker = f"LIB-{uuid.uuid4().hex[:6]}"
    library = [
        await published(
            vendors,
            auth,
            buyer_department="LIB",
            title=f"{marker} books {n}",
            items=[
                {
                    "id": "1",
                    "description": "Books",
                    "classification": {"scheme": "nigp", "code": "715-05"},
                    "quantity": "100",
                    "unit": "each",
                }
            ],
        )
        for n in range(3)
    ]
    await published(vendors, auth, buyer_department="LIB", type="rfp")

    params = {"buyer_department": "lib", "type": "ifb", "commodity": "nigp:715", "page_size": 2}
    first = await vendors.get(SOLICITATIONS, params=params)
    assert first.status_code == 200, first.text
    assert first.json()["next_page_token"]
    second = await vendors.get(SOLICITATIONS, params=params | {"page_token": first.json()["next_page_token"]})
    listed = [item["id"] for item in first.json()["items"] + second.json()["items"]]
    assert listed == [solicitation["id"] for solicitation in library]
    assert second.json()["next_page_token"] is None

    other = await vendors.get(
        SOLICITATIONS, params={"page_token": first.json()["next_page_token"], "type": "rfp"}
    )
    assert_problem(other, 400, "invalid-page-token")


async def test_list_by_commodity_matches_additional_classifications(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    response = await vendors.get(SOLICITATIONS, params={"commodity": "unspsc:301115", "page_size": 500})
    assert solicitation["id"] in [item["id"] for item in response.json()["items"]]
    assert_problem(await vendors.get(SOLICITATIONS, params={"commodity": "nigp:7"}), 422, "validation-error")


async def test_updated_since_sees_stored_changes(vendors, auth, clock):
    marker = f"Sync {uuid.uuid4().hex[:8]}"
    older = await published(vendors, auth, title=f"{marker} older")
    clock.set(T0 + timedelta(days=1))
    newer = await published(vendors, auth, title=f"{marker} newer")

    response = await vendors.get(
        SOLICITATIONS, params={"updated_since": iso(T0 + timedelta(hours=1)), "page_size": 500}
    )
    listed = [item["id"] for item in response.json()["items"]]
    assert newer["id"] in listed and older["id"] not in listed


@pytest.mark.parametrize(
    "params",
    [
        {"status": "pending"},
        {"page_size": 0},
        {"updated_since": "2030-01-01T00:00:00"},
        {"updated_since": "1700000000"},
        {"buyer_department": "XYZ"},
        {"funding_source": "x"},
    ],
)
async def test_bad_list_parameters_are_422(vendors, clock, params):
    assert_problem(await vendors.get(SOLICITATIONS, params=params), 422, "validation-error")


# Addenda


async def test_an_addendum_late_in_the_period_extends_the_close(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    url = f"{SOLICITATIONS}/{solicitation['id']}"
    issued_at = TENDER_END - timedelta(days=1)
    clock.set(issued_at)

    response = await vendors.post(
        f"{url}/addenda",
        json={"title": "Revised quantities", "description": "Item 1 is now 1,400 tons."},
        headers=auth(WRITE),
    )

    assert response.status_code == 201, response.text
    addendum = response.json()
    assert response.headers["location"] == f"{url}/addenda/{addendum['id']}"
    assert addendum["number"] == 1
    assert addendum["close_extended_from"] == iso(TENDER_END)
    assert addendum["close_extended_to"] == iso(issued_at + timedelta(days=3))
    after = (await vendors.get(url)).json()
    assert after["tender_period"]["end"] == iso(issued_at + timedelta(days=3))
    clock.set(TENDER_END + timedelta(hours=1))
    assert (await vendors.get(url)).json()["status"] == "open"


async def test_an_early_addendum_leaves_the_close_alone(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    url = f"{SOLICITATIONS}/{solicitation['id']}"
    clock.set(TENDER_START)
    for title in ("Pre-bid meeting notes", "Plan holders list"):
        response = await vendors.post(
            f"{url}/addenda", json={"title": title, "description": "See attached."}, headers=auth(WRITE)
        )
        assert response.status_code == 201, response.text
        assert response.json()["close_extended_to"] is None

    listed = await vendors.get(f"{url}/addenda", params={"page_size": 1})
    assert listed.status_code == 200
    assert [a["number"] for a in listed.json()["items"]] == [1]
    rest = await vendors.get(
        f"{url}/addenda", params={"page_size": 1, "page_token": listed.json()["next_page_token"]}
    )
    assert [a["title"] for a in rest.json()["items"]] == ["Plan holders list"]
    assert (await vendors.get(url)).json()["tender_period"]["end"] == iso(TENDER_END)


async def test_addenda_only_between_publication_and_close(vendors, auth, clock):
    body = {"title": "Change", "description": "A change."}
    unpublished = await draft(vendors, auth)
    problem = assert_problem(
        await vendors.post(f"{SOLICITATIONS}/{unpublished['id']}/addenda", json=body, headers=auth(WRITE)),
        409,
        "conflict",
    )
    assert problem["current_status"] == "draft"

    solicitation = await published(vendors, auth)
    assert_problem(
        await vendors.post(f"{SOLICITATIONS}/{solicitation['id']}/addenda", json=body, headers=auth(READ)),
        403,
        "forbidden",
    )
    clock.set(TENDER_END)
    problem = assert_problem(
        await vendors.post(f"{SOLICITATIONS}/{solicitation['id']}/addenda", json=body, headers=auth(WRITE)),
        409,
        "conflict",
    )
    assert problem["current_status"] == "closed"
    assert_problem(await vendors.get(f"{SOLICITATIONS}/{unpublished['id']}/addenda"), 404, "not-found")


# Questions and answers


async def test_questions_are_public_but_the_asker_is_shown_only_to_staff(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    vendor_id = await active_vendor(vendors, auth)
    url = f"{SOLICITATIONS}/{solicitation['id']}/questions"

    asked = await vendors.post(
        url, json={"question": "Is recycled asphalt acceptable?"}, headers=supplier(auth, vendor_id)
    )
    assert asked.status_code == 201, asked.text
    question = asked.json()
    assert question["asker"]["vendor_id"] == vendor_id
    assert asked.headers["location"] == f"{url}/{question['id']}"

    answered = await vendors.post(
        f"{url}/{question['id']}/answer", json={"answer": "Up to 15% RAP."}, headers=auth(WRITE)
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["answer"] == "Up to 15% RAP."

    public = (await vendors.get(url)).json()["items"]
    assert public[0]["question"] == "Is recycled asphalt acceptable?"
    assert public[0]["answer"] == "Up to 15% RAP."
    assert public[0]["asker"] is None
    assert vendor_id not in (await vendors.get(url)).text
    reader = (await vendors.get(url, headers=auth(READ))).json()["items"]
    assert reader[0]["asker"] is None
    staff = (await vendors.get(url, headers=auth(WRITE))).json()["items"]
    assert staff[0]["asker"] == {"vendor_id": vendor_id, "subject": f"user-of-{vendor_id}"}


async def test_a_question_is_answered_once(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    vendor_id = await active_vendor(vendors, auth)
    url = f"{SOLICITATIONS}/{solicitation['id']}/questions"
    question = (
        await vendors.post(url, json={"question": "Delivery site?"}, headers=supplier(auth, vendor_id))
    ).json()
    answer_url = f"{url}/{question['id']}/answer"

    assert_problem(
        await vendors.post(answer_url, json={"answer": "Yard 3."}, headers=auth(READ)), 403, "forbidden"
    )
    assert (
        await vendors.post(answer_url, json={"answer": "Yard 3."}, headers=auth(WRITE))
    ).status_code == 200
    assert_problem(
        await vendors.post(answer_url, json={"answer": "Yard 4."}, headers=auth(WRITE)), 409, "conflict"
    )
    assert_problem(
        await vendors.post(f"{url}/{uuid.uuid4()}/answer", json={"answer": "?"}, headers=auth(WRITE)),
        404,
        "not-found",
    )
    assert_problem(
        await vendors.post(answer_url, json={"answer": ""}, headers=auth(WRITE)), 422, "validation-error"
    )


async def test_questions_only_in_the_enquiry_period_from_active_vendors(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    url = f"{SOLICITATIONS}/{solicitation['id']}/questions"
    body = {"question": "Can we bid alternates?"}
    vendor_id = await active_vendor(vendors, auth)

    assert_problem(await vendors.post(url, json=body), 401, "unauthorized")
    assert_problem(await vendors.post(url, json=body, headers=auth(WRITE)), 403, "forbidden")
    assert_problem(await vendors.post(url, json=body, headers=auth("procurement:bid")), 403, "forbidden")
    assert_problem(await vendors.post(url, json=body, headers=supplier(auth, uuid.uuid4())), 403, "forbidden")
    suspended = await active_vendor(vendors, auth, name="Suspended Supply Co")
    moved = await vendors.post(
        f"{VENDORS}/{suspended}/transitions",
        json={"to": "suspended", "reason": "Insurance lapsed"},
        headers=auth(WRITE),
    )
    assert moved.status_code == 200
    problem = assert_problem(
        await vendors.post(url, json=body, headers=supplier(auth, suspended)), 409, "conflict"
    )
    assert problem["vendor_status"] == "suspended"

    clock.set(T0 + timedelta(days=20))
    problem = assert_problem(
        await vendors.post(url, json=body, headers=supplier(auth, vendor_id)), 409, "conflict"
    )
    assert problem["enquiry_period"]["end"] == iso(T0 + timedelta(days=20))
