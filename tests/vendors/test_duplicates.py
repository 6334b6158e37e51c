"""Duplicate candidates and merging through the HTTP API, and the scoring rules behind the candidates."""

from __future__ import annotations

import uuid

import pytest

from services.vendors.duplicates import scoring
from services.vendors.duplicates.queries import phone_spellings
from tests.problems import assert_problem
from tests.vendors.factories import READ, VENDORS, WRITE, create_vendor, record_certification, walk_vendor


def located_body(legal_name, *, line1="1200 Main St", postal_code="90015", phone=None, email=None, **extra):
    return {
        "legal_name": legal_name,
        "entity_type": "llc",
        "addresses": [{"line1": line1, "city": "Los Angeles", "region": "CA", "postal_code": postal_code}],
        "contacts": [{"name": "Office", "phone": phone, "email": email}],
        **extra,
    }


async def located(client, auth, legal_name, **fields):
    """A draft vendor with an address and a contact, the fields duplicates are found by."""
    return await create_vendor(client, auth, **located_body(legal_name, **fields))


async def set_tin(client, auth, vendor_id, tin="12-3456789", tin_type="ein"):
    response = await client.put(
        f"{VENDORS}/{vendor_id}/tax-profile", json={"tin_type": tin_type, "tin": tin}, headers=auth(WRITE)
    )
    assert response.status_code == 201, response.text


async def candidates(client, auth, vendor_id, **params):
    response = await client.get(
        f"{VENDORS}/{vendor_id}/duplicate-candidates", params=params, headers=auth(READ)
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def merge(
    client, auth, vendor_id, survivor_id, if_match='"v1"', reason="registered twice", scopes=WRITE
):
    headers = auth(scopes) | ({"If-Match": if_match} if if_match else {})
    return await client.post(
        f"{VENDORS}/{vendor_id}/merge", json={"survivor_id": survivor_id, "reason": reason}, headers=headers
    )


async def get(client, auth, vendor_id):
    response = await client.get(f"{VENDORS}/{vendor_id}", headers=auth(READ))
    assert response.status_code == 200, response.text
    return response.json()


# Scoring rules


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("acme construction", "acme construction", True),
        ("acme construction", "construction acme", True),
        ("bright star electric", "brightstar electric", True),
        ("acme construction", "acme constructors", True),
        ("acme construction", "acme consulting", False),
        ("acme construction", "zenith builders", False),
    ],
)
def test_name_similarity_tolerates_word_order_spacing_and_typos_not_other_words(a, b, alike):
    assert (scoring.name_similarity(a, b) >= scoring.NAME_THRESHOLD) is alike


def test_addresses_phones_and_postal_codes_compare_normalised():
    assert scoring.normalize_street("200 North Spring Street, Suite 5") == scoring.normalize_street(
        "200 N. Spring St Ste 5"
    )
    assert scoring.house_number("200 N Spring St") == "200"
    assert scoring.house_number("PO Box 12") is None
    assert scoring.normalize_postal_code("90012-3456") == scoring.normalize_postal_code("90012") == "90012"
    assert (
        scoring.normalize_phone("+1 (213) 555-0100")
        == scoring.normalize_phone("213.555.0100")
        == "2135550100"
    )
    assert scoring.normalize_phone("555") is None
    assert {"(213) 555-0100", "213-555-0100", "+1 213 555 0100", "2135550100"} <= phone_spellings(
        "213.555.0100"
    )


def test_evidence_combines_so_that_more_reasons_score_higher_but_only_a_tin_is_certain():
    assert scoring.combine([]) == 0
    assert scoring.combine([0.5]) == 0.5
    assert scoring.combine([0.7, 0.5]) == 0.85
    assert scoring.combine([0.7, 0.5, 0.4, 0.5]) < 1
    assert scoring.combine([1.0, 0.5]) == 1


def test_the_same_tin_settles_it_whatever_else_differs():
    row = {"legal_name": "Acme", "dba_names": [], "addresses": [], "contacts": []}
    other = row | {"legal_name": "Zenith Builders"}

    score, reasons = scoring.compare(scoring.traits_of(row, "f" * 64), scoring.traits_of(other, "f" * 64))
    unrelated, none = scoring.compare(scoring.traits_of(row, "f" * 64), scoring.traits_of(other, "e" * 64))

    assert (score, [r.code for r in reasons]) == (1.0, ["same_tin"])
    assert (unrelated, none) == (0, [])


# Candidates (the same TIN cannot occur here: the API refuses a TIN another live vendor holds)


async def test_candidates_are_scored_with_reasons_best_first(vendors, auth):
    subject = await located(
        vendors,
        auth,
        "ACME Construction, Inc.",
        line1="200 N Spring St",
        postal_code="90012",
        phone="+1 213 555 0100",
        email="office@acme.example",
    )
    await set_tin(vendors, auth, subject["id"])
    name_and_address = await located(
        vendors, auth, "Acme Constructors", line1="200 North Spring Street", postal_code="90012"
    )
    name_only = await located(vendors, auth, "Construction Acme LLC", postal_code="90033")
    phone_only = await located(vendors, auth, "Zenith Builders", postal_code="91331", phone="(213) 555-0100")
    email_only = await located(
        vendors, auth, "Pico Union Paving", postal_code="90006", email="OFFICE@acme.example"
    )
    await located(vendors, auth, "Acme Consulting Group", postal_code="90071")  # shares a word, not the name
    await located(vendors, auth, "Unrelated Plumbing", postal_code="90015")

    found = await candidates(vendors, auth, subject["id"])

    by_id = {c["vendor_id"]: c for c in found}
    assert found[0]["vendor_id"] == name_and_address["id"]
    assert set(by_id) == {name_and_address["id"], name_only["id"], phone_only["id"], email_only["id"]}
    assert [r["code"] for r in by_id[name_and_address["id"]]["reasons"]] == ["similar_name", "same_address"]
    assert 0.8 < by_id[name_and_address["id"]]["score"] < 1
    assert [r["code"] for r in by_id[name_only["id"]]["reasons"]] == ["similar_name"]
    assert by_id[name_only["id"]]["score"] == 0.7
    assert [r["code"] for r in by_id[phone_only["id"]]["reasons"]] == ["same_phone"]
    assert [r["code"] for r in by_id[email_only["id"]]["reasons"]] == ["same_email"]
    scores = [c["score"] for c in found]
    assert scores == sorted(scores, reverse=True)
    assert by_id[name_and_address["id"]]["vendor_number"] == name_and_address["vendor_number"]
    assert by_id[name_and_address["id"]]["legal_name"] == "Acme Constructors"


async def test_dba_names_count_as_names(vendors, auth):
    subject = await located(vendors, auth, "Boyle Heights Builders LLC", postal_code="90033")
    dba = await located(
        vendors, auth, "BHB Holdings", postal_code="91331", dba_names=["Boyle Heights Builders"]
    )

    found = await candidates(vendors, auth, subject["id"])

    assert [(c["vendor_id"], c["reasons"][0]["code"]) for c in found] == [(dba["id"], "similar_name")]


async def test_candidates_exclude_the_vendor_itself_and_merged_vendors_and_honour_limit(vendors, auth):
    subject = await located(vendors, auth, "Civic Center Glazing")
    twins = [await located(vendors, auth, "Civic Center Glazing", postal_code=f"9{n:04d}") for n in range(3)]
    assert (await merge(vendors, auth, twins[0]["id"], twins[1]["id"])).status_code == 200

    found = await candidates(vendors, auth, subject["id"])
    limited = await candidates(vendors, auth, subject["id"], limit=1)

    assert {c["vendor_id"] for c in found} == {twins[1]["id"], twins[2]["id"]}
    assert len(limited) == 1


async def test_a_vendor_with_nothing_in_common_has_no_candidates(vendors, auth):
    subject = await located(vendors, auth, "Quetzal Translation Services", postal_code="93535")
    assert await candidates(vendors, auth, subject["id"]) == []


async def test_candidate_errors(vendors, auth):
    subject = await located(vendors, auth, "Solo Firm")
    url = f"{VENDORS}/{subject['id']}/duplicate-candidates"

    assert_problem(await vendors.get(url), 401, "unauthorized")
    assert_problem(await vendors.get(url, headers=auth("audit:read")), 403, "forbidden")
    assert_problem(
        await vendors.get(f"{VENDORS}/{uuid.uuid4()}/duplicate-candidates", headers=auth(READ)),
        404,
        "not-found",
    )
    for limit in (0, 101, "many"):
        problem = assert_problem(
            await vendors.get(url, params={"limit": limit}, headers=auth(READ)), 422, "validation-error"
        )
        assert problem["errors"][0]["location"] == ["query", "limit"]


# Merge


async def certification_ids(client, auth, vendor_id):
    response = await client.get(f"{VENDORS}/{vendor_id}/certifications", headers=auth(READ))
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()["items"]}


async def test_merge_folds_the_duplicate_into_the_survivor(vendors, auth):
    survivor = await located(
        vendors,
        auth,
        "Lincoln Heights Masonry LLC",
        dba_names=["LH Masonry"],
        identifiers=[{"scheme": "LA-BTRC", "id": "0002345678-0001-5"}],
        commodity_codes=[{"scheme": "nigp", "code": "914-45"}],
    )
    merged = await located(
        vendors,
        auth,
        "Lincoln Hts Masonry",
        dba_names=["LH Masonry", "Heights Stoneworks"],
        identifiers=[
            {"scheme": "LA-BTRC", "id": "0002345678-0001-5"},
            {"scheme": "US-UEI", "id": "J7M9HPTGJ1S9"},
        ],
        commodity_codes=[{"scheme": "nigp", "code": "914-45"}, {"scheme": "naics", "code": "238140"}],
    )
    shared = await record_certification(vendors, auth, survivor["id"], type="sbe", certificate_number="BCA-1")
    same_certificate = await record_certification(
        vendors, auth, merged["id"], type="sbe", certificate_number="BCA-1"
    )
    other_certificate = await record_certification(
        vendors, auth, merged["id"], type="sbe", certificate_number="BCA-2"
    )
    await set_tin(vendors, auth, merged["id"])

    response = await merge(
        vendors, auth, merged["id"], survivor["id"], reason="registered twice by two departments"
    )

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["merged"]["status"] == "merged"
    assert result["merged"]["merged_into_id"] == survivor["id"]
    assert result["merged"]["version"] == 2
    gained = result["survivor"]
    assert gained["status"] == survivor["status"]
    assert gained["legal_name"] == "Lincoln Heights Masonry LLC"
    assert gained["dba_names"] == ["LH Masonry", "Heights Stoneworks"]
    assert gained["identifiers"] == [
        {"scheme": "LA-BTRC", "id": "0002345678-0001-5"},
        {"scheme": "US-UEI", "id": "J7M9HPTGJ1S9"},
    ]
    assert gained["commodity_codes"] == [
        {"scheme": "naics", "code": "238140"},
        {"scheme": "nigp", "code": "914-45"},
    ]
    assert gained["version"] == 2
    assert (result["certifications_moved"], result["certifications_kept"], result["tax_profile"]) == (
        1,
        1,
        "moved",
    )
    assert await certification_ids(vendors, auth, survivor["id"]) == {shared["id"], other_certificate["id"]}
    assert await certification_ids(vendors, auth, merged["id"]) == {same_certificate["id"]}
    assert await get(vendors, auth, merged["id"]) == result["merged"]
    assert await get(vendors, auth, survivor["id"]) == gained
    moved_profile = await vendors.get(f"{VENDORS}/{survivor['id']}/tax-profile", headers=auth(READ))
    assert moved_profile.json()["tin_masked"] == "**-***6789"
    assert (await vendors.get(f"{VENDORS}/{merged['id']}/tax-profile", headers=auth(READ))).status_code == 404
    search = await vendors.get(VENDORS, params={"q": "stoneworks", "status": "draft"}, headers=auth(READ))
    assert [v["id"] for v in search.json()["items"]] == [survivor["id"]]


async def test_merge_is_audited_on_both_vendors_with_the_reason(vendors, auth):
    survivor = await located(vendors, auth, "Survivor LLC")
    merged = await located(vendors, auth, "Survivor Inc", dba_names=["Old Name"])

    await merge(vendors, auth, merged["id"], survivor["id"], reason="same firm, W-9 on file")

    async def last_event(vendor_id):
        response = await vendors.get(
            "/v1/procurement/audit-events",
            params={"entity": "vendor", "entity_id": vendor_id},
            headers=auth("audit:read"),
        )
        return response.json()["items"][-1]

    on_merged, on_survivor = await last_event(merged["id"]), await last_event(survivor["id"])
    assert (on_merged["action"], on_survivor["action"]) == ("merge", "merge.absorb")
    assert on_merged["reason"] == on_survivor["reason"] == "same firm, W-9 on file"
    assert on_merged["changes"]["status"] == ["draft", "merged"]
    assert on_merged["changes"]["merged_into_id"] == [None, survivor["id"]]
    assert on_survivor["changes"]["dba_names"] == [[], ["Old Name"]]
    assert on_survivor["changes"]["merge"]["merged_vendor_id"] == merged["id"]


async def test_the_same_tin_on_both_is_possible_only_through_the_merge_that_resolves_it(vendors, auth):
    """A TIN already held elsewhere is refused at entry, so the workflow is: 409 names the holder, merge
    the newcomer into it, and the survivor keeps its profile."""
    holder = await located(vendors, auth, "Holder LLC")
    newcomer = await located(vendors, auth, "Holder Limited")
    await set_tin(vendors, auth, holder["id"])
    refused = await vendors.put(
        f"{VENDORS}/{newcomer['id']}/tax-profile",
        json={"tin_type": "ein", "tin": "12-3456789"},
        headers=auth(f"{WRITE} procurement:tax_reveal"),  # who may read TINs is told who holds one
    )
    assert refused.json()["existing_vendor_id"] == holder["id"]

    response = await merge(vendors, auth, newcomer["id"], refused.json()["existing_vendor_id"])

    assert response.status_code == 200
    assert response.json()["tax_profile"] == "none"
    kept = await vendors.get(f"{VENDORS}/{holder['id']}/tax-profile", headers=auth(READ))
    assert kept.json()["version"] == 1


async def test_vendors_with_different_tins_cannot_be_merged_and_nothing_changes(vendors, auth):
    survivor = await located(vendors, auth, "First Firm LLC")
    merged = await located(
        vendors, auth, "First Firm", dba_names=["FF"], commodity_codes=[{"scheme": "naics", "code": "2382"}]
    )
    await set_tin(vendors, auth, survivor["id"], "12-3456789")
    await set_tin(vendors, auth, merged["id"], "98-7654321")
    await record_certification(vendors, auth, merged["id"], type="sbe", certificate_number="BCA-9")

    response = await merge(vendors, auth, merged["id"], survivor["id"])

    problem = assert_problem(response, 409, "different-tins")
    assert "6789" not in response.text and "4321" not in response.text
    assert problem["detail"].startswith(f"Vendors {merged['vendor_number']} and {survivor['vendor_number']}")
    assert await get(vendors, auth, merged["id"]) == merged
    assert await get(vendors, auth, survivor["id"]) == survivor
    assert len(await certification_ids(vendors, auth, merged["id"])) == 1


async def test_merge_needs_if_match_of_the_merged_vendor(vendors, auth):
    survivor, merged = await located(vendors, auth, "A LLC"), await located(vendors, auth, "A Inc")

    assert_problem(
        await merge(vendors, auth, merged["id"], survivor["id"], if_match=None), 428, "precondition-required"
    )
    stale = assert_problem(
        await merge(vendors, auth, merged["id"], survivor["id"], if_match='"v2"'), 412, "precondition-failed"
    )
    assert stale["current_etag"] == '"v1"'
    assert (await get(vendors, auth, merged["id"]))["status"] == "draft"


async def test_merge_refusals(vendors, auth):
    survivor, merged = await located(vendors, auth, "B LLC"), await located(vendors, auth, "B Inc")
    third = await located(vendors, auth, "B Co")

    into_itself = assert_problem(
        await merge(vendors, auth, merged["id"], merged["id"]), 422, "validation-error"
    )
    unknown_survivor = assert_problem(
        await merge(vendors, auth, merged["id"], str(uuid.uuid4())), 422, "validation-error"
    )
    assert_problem(await merge(vendors, auth, str(uuid.uuid4()), survivor["id"]), 404, "not-found")
    missing_reason = await vendors.post(
        f"{VENDORS}/{merged['id']}/merge",
        json={"survivor_id": survivor["id"], "reason": " "},
        headers=auth(WRITE) | {"If-Match": '"v1"'},
    )
    assert (await merge(vendors, auth, merged["id"], survivor["id"])).status_code == 200
    again = assert_problem(
        await merge(vendors, auth, merged["id"], third["id"], if_match='"v2"'), 409, "conflict"
    )
    into_merged = assert_problem(await merge(vendors, auth, third["id"], merged["id"]), 409, "conflict")

    assert into_itself["errors"][0]["location"] == ["body", "survivor_id"]
    assert unknown_survivor["errors"][0]["location"] == ["body", "survivor_id"]
    assert assert_problem(missing_reason, 422, "validation-error")["errors"][0]["location"] == [
        "body",
        "reason",
    ]
    assert again["merged_into_id"] == survivor["id"]
    assert into_merged["merged_into_id"] == survivor["id"]
    assert (await get(vendors, auth, third["id"]))["status"] == "draft"


@pytest.mark.parametrize(
    "standing", [("submitted", "active", "suspended"), ("submitted", "active", "debarred")]
)
async def test_a_suspended_or_debarred_vendor_cannot_be_merged_away(vendors, auth, standing):
    survivor, merged = await located(vendors, auth, "C LLC"), await located(vendors, auth, "C Inc")
    await walk_vendor(vendors, auth, merged["id"], *standing)

    refused = await merge(vendors, auth, merged["id"], survivor["id"], if_match='"v4"')
    into_it = await merge(vendors, auth, survivor["id"], merged["id"])

    assert assert_problem(refused, 409, "conflict")["current_status"] == standing[-1]
    assert into_it.status_code == 200
    assert into_it.json()["survivor"]["status"] == standing[-1]


async def test_merge_needs_a_token_and_the_write_scope(vendors, auth):
    survivor, merged = await located(vendors, auth, "D LLC"), await located(vendors, auth, "D Inc")
    url = f"{VENDORS}/{merged['id']}/merge"
    body = {"survivor_id": survivor["id"], "reason": "dup"}

    assert_problem(await vendors.post(url, json=body, headers={"If-Match": '"v1"'}), 401, "unauthorized")
    assert_problem(await merge(vendors, auth, merged["id"], survivor["id"], scopes=READ), 403, "forbidden")


async def test_a_merge_retried_with_its_idempotency_key_is_replayed(vendors, auth):
    survivor, merged = await located(vendors, auth, "E LLC"), await located(vendors, auth, "E Inc")
    headers = auth(WRITE) | {"If-Match": '"v1"', "Idempotency-Key": f"merge-{uuid.uuid4()}"}
    body = {"survivor_id": survivor["id"], "reason": "dup"}

    first = await vendors.post(f"{VENDORS}/{merged['id']}/merge", json=body, headers=headers)
    retry = await vendors.post(f"{VENDORS}/{merged['id']}/merge", json=body, headers=headers)

    assert first.status_code == retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
