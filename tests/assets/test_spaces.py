"""Spaces inside assets and their occupancy history, through the HTTP API: codes unique in an asset,
spaces that fit the asset's area, occupancy records never overwritten (an end or a correction is a new
record), no overlap in a space (refused by the service and by the database), and an asset's utilization
on a day checked against figures computed here from the same dates."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.common.clock import pinned_time, utcnow
from tests.assets.factories import (
    ASSETS,
    OCCUPANCIES,
    READ,
    SPACES,
    WRITE,
    audit_actions,
    building_body,
    create_asset,
    create_space,
    end_occupancy,
    land_body,
    move_asset,
    occupancy_on,
    occupy,
    ok,
    space_body,
    structure_body,
)
from tests.conftest import migrated_database
from tests.problems import assert_problem

NOWHERE = "01900000-0000-7000-8000-000000000000"


def field_errors(problem: dict) -> dict[str, str]:
    return {str(error["location"][-1]): error["code"] for error in problem["errors"]}


async def patch_space(assets, auth, space: dict, body: dict, etag: str | None = None):
    if etag is None:
        etag = (await assets.get(f"{SPACES}/{space['id']}", headers=auth(READ))).headers["etag"]
    return await assets.patch(f"{SPACES}/{space['id']}", json=body, headers={**auth(WRITE), "If-Match": etag})


# Spaces


async def test_a_space_is_created_with_its_location_and_etag_and_read_back(assets, auth):
    building = await create_asset(assets, auth)
    response = await assets.post(
        f"{ASSETS}/{building['id']}/spaces", json=space_body("3-301a"), headers=auth(WRITE)
    )

    space = ok(response, 201)
    assert response.headers["location"] == f"{SPACES}/{space['id']}"
    assert response.headers["etag"] == '"v1"'
    assert (space["asset_id"], space["code"], space["floor"], space["use"]) == (
        building["id"],
        "3-301A",
        3,
        "office",
    )
    read = await assets.get(f"{SPACES}/{space['id']}", headers=auth(READ))
    assert ok(read) == space
    assert read.headers["etag"] == '"v1"'
    assert await audit_actions(assets, auth, "space", space["id"]) == ["create"]


async def test_codes_are_unique_within_an_asset_whatever_their_case(assets, auth):
    building = await create_asset(assets, auth)
    other = await create_asset(assets, auth, building_body(name="City Hall East"))
    first = await create_space(assets, auth, building["id"], space_body("suite-1"))

    taken = await assets.post(
        f"{ASSETS}/{building['id']}/spaces", json=space_body("SUITE-1"), headers=auth(WRITE)
    )
    problem = assert_problem(taken, 409, "conflict")
    assert problem["existing_space_id"] == first["id"]
    assert field_errors(problem) == {"code": "code_taken"}
    assert (await create_space(assets, auth, other["id"], space_body("suite-1")))["code"] == "SUITE-1"


async def test_a_buildings_spaces_add_up_to_at_most_its_rentable_square_feet(assets, auth):
    building = await create_asset(assets, auth, building_body(gross_sqft=12_000, rentable_sqft=10_000))
    url = f"{ASSETS}/{building['id']}/spaces"
    await create_space(assets, auth, building["id"], space_body("A", rentable_sqft=6_000))

    over = await assets.post(url, json=space_body("B", rentable_sqft=4_001), headers=auth(WRITE))
    problem = assert_problem(over, 422, "validation-error")
    assert field_errors(problem) == {"rentable_sqft": "exceeds_asset_area"}
    assert "4000 are left" in problem["errors"][0]["message"]
    ok(await assets.post(url, json=space_body("B", rentable_sqft=4_000), headers=auth(WRITE)), 201)


async def test_a_building_without_rentable_figure_is_bounded_by_its_gross(assets, auth):
    building = await create_asset(assets, auth, building_body(gross_sqft=3_000, rentable_sqft=None))
    url = f"{ASSETS}/{building['id']}/spaces"
    over = await assets.post(url, json=space_body("A", rentable_sqft=3_001), headers=auth(WRITE))
    assert field_errors(assert_problem(over, 422, "validation-error")) == {
        "rentable_sqft": "exceeds_asset_area"
    }
    ok(await assets.post(url, json=space_body("A", rentable_sqft=3_000), headers=auth(WRITE)), 201)


async def test_lots_of_land_fit_its_acres_and_have_no_floor(assets, auth):
    lot = await create_asset(assets, auth, land_body(land_area_acres=0.42))
    url = f"{ASSETS}/{lot['id']}/spaces"
    area = math.floor(0.42 * 43_560)  # 18,295 square feet
    lot_a = space_body("LOT-A", floor=None, use="parking", rentable_sqft=area + 1)

    assert field_errors(
        assert_problem(await assets.post(url, json=lot_a, headers=auth(WRITE)), 422, "validation-error")
    ) == {"rentable_sqft": "exceeds_asset_area"}
    with_floor = space_body("LOT-A", floor=1, use="parking", rentable_sqft=area)
    assert field_errors(
        assert_problem(await assets.post(url, json=with_floor, headers=auth(WRITE)), 422, "validation-error")
    ) == {"floor": "not_allowed_for_asset_type"}
    ok(await assets.post(url, json={**lot_a, "rentable_sqft": area}, headers=auth(WRITE)), 201)


async def test_structures_and_final_assets_take_no_space(assets, auth):
    bridge = await create_asset(assets, auth, structure_body())
    refused = await assets.post(f"{ASSETS}/{bridge['id']}/spaces", json=space_body(), headers=auth(WRITE))
    assert field_errors(assert_problem(refused, 409, "conflict")) == {"asset_id": "asset_type_has_no_spaces"}

    gone = await create_asset(assets, auth)
    ok(await move_asset(assets, auth, gone["id"], "demolished", reason="Demolished."))
    final = await assets.post(f"{ASSETS}/{gone['id']}/spaces", json=space_body(), headers=auth(WRITE))
    assert_problem(final, 409, "invalid-transition")


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("code", "x" * 41, "string_too_long"),
        ("code", "-starts-with-a-dash", "string_pattern_mismatch"),
        ("code", "", "string_too_short"),
        ("rentable_sqft", -1, "greater_than_equal"),
        ("rentable_sqft", 100_000_001, "less_than_equal"),
        ("floor", 201, "less_than_equal"),
        ("use", "ballroom", "enum"),
        ("name", "n" * 201, "string_too_long"),
        ("status", "open", "extra_forbidden"),
    ],
)
async def test_malformed_space_fields_are_422_naming_the_field(assets, auth, field, value, code):
    building = await create_asset(assets, auth)
    body = space_body(**{field: value})
    response = await assets.post(f"{ASSETS}/{building['id']}/spaces", json=body, headers=auth(WRITE))
    problem = assert_problem(response, 422, "validation-error")
    assert [(e["location"], e["code"]) for e in problem["errors"]] == [(["body", field], code)]


async def test_unknown_assets_and_spaces_are_404(assets, auth):
    assert_problem(
        await assets.post(f"{ASSETS}/{NOWHERE}/spaces", json=space_body(), headers=auth(WRITE)),
        404,
        "not-found",
    )
    assert_problem(await assets.get(f"{ASSETS}/{NOWHERE}/spaces", headers=auth(READ)), 404, "not-found")
    assert_problem(await assets.get(f"{SPACES}/{NOWHERE}", headers=auth(READ)), 404, "not-found")
    nowhere = await assets.patch(
        f"{SPACES}/{NOWHERE}", json={"name": "x"}, headers={**auth(WRITE), "If-Match": '"v1"'}
    )
    assert_problem(nowhere, 404, "not-found")
    assert_problem(await assets.get(f"{ASSETS}/{NOWHERE}/occupancy", headers=auth(READ)), 404, "not-found")


async def test_patch_a_space_with_if_match(assets, auth):
    building = await create_asset(assets, auth, building_body(gross_sqft=12_000, rentable_sqft=10_000))
    space = await create_space(assets, auth, building["id"], space_body("A", rentable_sqft=6_000))
    await create_space(assets, auth, building["id"], space_body("B", rentable_sqft=4_000))
    url = f"{SPACES}/{space['id']}"

    assert_problem(
        await assets.patch(url, json={"name": "x"}, headers=auth(WRITE)), 428, "precondition-required"
    )
    changed = await patch_space(assets, auth, space, {"name": "Records room", "floor": None}, '"v1"')
    assert (ok(changed)["name"], ok(changed)["floor"], ok(changed)["version"]) == ("Records room", None, 2)
    assert changed.headers["etag"] == '"v2"'
    stale = await patch_space(assets, auth, space, {"name": "Other"}, '"v1"')
    assert assert_problem(stale, 412, "precondition-failed")["current_etag"] == '"v2"'

    too_big = await patch_space(assets, auth, space, {"rentable_sqft": 6_001})
    assert field_errors(assert_problem(too_big, 422, "validation-error")) == {
        "rentable_sqft": "exceeds_asset_area"
    }
    cleared = await patch_space(assets, auth, space, {"code": None, "use": None})
    assert field_errors(assert_problem(cleared, 422, "validation-error")) == {
        "code": "not_nullable",
        "use": "not_nullable",
    }
    taken = await patch_space(assets, auth, space, {"code": "b"})
    assert field_errors(assert_problem(taken, 409, "conflict")) == {"code": "code_taken"}
    assert ok(await patch_space(assets, auth, space, {"rentable_sqft": 5_000}))["rentable_sqft"] == 5_000
    assert await audit_actions(assets, auth, "space", space["id"]) == ["create", "update", "update"]


async def test_spaces_list_pages_and_takes_updated_since(assets, auth):
    building = await create_asset(assets, auth)
    since = utcnow() - timedelta(seconds=1)
    codes = ["F1", "F2", "F3"]
    for code in codes:
        await create_space(assets, auth, building["id"], space_body(code))
    seen, token = [], None
    while True:
        params = {
            "page_size": 1,
            "updated_since": since.isoformat(),
            **({"page_token": token} if token else {}),
        }
        page = ok(await assets.get(f"{ASSETS}/{building['id']}/spaces", params=params, headers=auth(READ)))
        seen += [item["code"] for item in page["items"]]
        if not (token := page["next_page_token"]):
            break
    assert seen == codes
    later = {"updated_since": (utcnow() + timedelta(days=1)).isoformat()}
    assert (
        ok(await assets.get(f"{ASSETS}/{building['id']}/spaces", params=later, headers=auth(READ)))["items"]
        == []
    )


async def test_a_space_created_with_an_idempotency_key_is_replayed(assets, auth):
    building = await create_asset(assets, auth)
    headers = {**auth(WRITE), "Idempotency-Key": "lhj-suite-301"}
    url = f"{ASSETS}/{building['id']}/spaces"
    first = await assets.post(url, json=space_body(), headers=headers)
    again = await assets.post(url, json=space_body(), headers=headers)

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert_problem(
        await assets.post(url, json=space_body("4-401"), headers=headers), 422, "unprocessable-entity"
    )


async def test_spaces_and_occupancy_need_their_scopes(assets, auth):
    building = await create_asset(assets, auth)
    space = await create_space(assets, auth, building["id"])
    assert_problem(await assets.get(f"{SPACES}/{space['id']}"), 401, "unauthorized")
    assert_problem(await assets.get(f"{ASSETS}/{building['id']}/occupancy"), 401, "unauthorized")
    writes = [
        (f"{ASSETS}/{building['id']}/spaces", space_body("X")),
        (f"{SPACES}/{space['id']}/occupancies", {"department": "GSD", "start_date": "2025-01-01"}),
    ]
    for url, body in writes:
        assert_problem(await assets.post(url, json=body, headers=auth(READ)), 403, "forbidden")
    assert_problem(
        await assets.get(f"{SPACES}/{space['id']}/occupancies", headers=auth(WRITE.split()[1])),
        403,
        "forbidden",
    )


# Occupancy


async def test_an_occupancy_is_recorded_with_its_occupant(assets, auth):
    building = await create_asset(assets, auth)
    space = await create_space(assets, auth, building["id"])

    response = await occupy(assets, auth, space["id"], "2025-01-01", department="lapd", note="Records unit")
    record = ok(response, 201)
    assert response.headers["location"] == f"{OCCUPANCIES}/{record['id']}"
    assert (record["department"], record["organization"], record["occupant_name"]) == (
        "LAPD",
        None,
        "Police Department",
    )
    assert (record["start_date"], record["end_date"], record["is_current"]) == ("2025-01-01", None, True)
    assert (record["space_id"], record["asset_id"], record["recorded_by"]) == (
        space["id"],
        building["id"],
        "tester",
    )
    assert ok(await assets.get(response.headers["location"], headers=auth(READ))) == record

    other = await create_space(assets, auth, building["id"], space_body("3-302"))
    outside = ok(
        await occupy(assets, auth, other["id"], "2025-01-01", organization="Homeboy Industries"), 201
    )
    assert (outside["department"], outside["occupant_name"]) == (None, "Homeboy Industries")
    assert await audit_actions(assets, auth, "occupancy", record["id"]) == ["create"]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"start_date": "2025-01-01"}, "department", "occupant_required"),
        (
            {"department": "GSD", "organization": "LA Conservancy", "start_date": "2025-01-01"},
            "organization",
            "one_occupant_only",
        ),
        (
            {"department": "GSD", "start_date": "2025-02-01", "end_date": "2025-01-31"},
            "end_date",
            "ends_before_start",
        ),
        ({"department": "XYZ", "start_date": "2025-01-01"}, "department", "enum"),
        ({"department": "GSD", "start_date": "2025-13-01"}, "start_date", "date_from_datetime_parsing"),
        ({"department": "GSD"}, "start_date", "missing"),
        ({"organization": "o" * 201, "start_date": "2025-01-01"}, "organization", "string_too_long"),
    ],
)
async def test_bad_occupancies_are_422_naming_the_field(assets, auth, body, field, code):
    building = await create_asset(assets, auth)
    space = await create_space(assets, auth, building["id"])
    response = await assets.post(f"{SPACES}/{space['id']}/occupancies", json=body, headers=auth(WRITE))
    problem = assert_problem(response, 422, "validation-error")
    assert (problem["errors"][0]["location"], problem["errors"][0]["code"]) == (["body", field], code)


async def test_an_occupancy_of_an_unknown_space_or_record_is_404(assets, auth):
    assert_problem(await occupy(assets, auth, NOWHERE, "2025-01-01"), 404, "not-found")
    assert_problem(await assets.get(f"{SPACES}/{NOWHERE}/occupancies", headers=auth(READ)), 404, "not-found")
    assert_problem(await assets.get(f"{OCCUPANCIES}/{NOWHERE}", headers=auth(READ)), 404, "not-found")
    assert_problem(await end_occupancy(assets, auth, NOWHERE, "2025-01-01"), 404, "not-found")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2025-06-30", None),  # the last day of the other
        ("2024-01-01", "2025-01-01"),  # the first day of the other
        ("2025-03-01", "2025-03-31"),  # inside it
        ("2024-01-01", None),  # open-ended, from before it
    ],
)
async def test_an_overlapping_occupancy_is_409_naming_the_record_in_the_way(assets, auth, start, end):
    building = await create_asset(assets, auth)
    space = await create_space(assets, auth, building["id"])
    held = ok(await occupy(assets, auth, space["id"], "2025-01-01", "2025-06-30"), 201)

    problem = assert_problem(
        await occupy(assets, auth, space["id"], start, end, department="GSD"), 409, "conflict"
    )
    assert problem["conflicting_occupancy_id"] == held["id"]
    assert held["id"] in problem["detail"] and "Police Department" in problem["detail"]


async def test_occupancies_that_meet_without_sharing_a_day_are_accepted(assets, auth):
    building = await create_asset(assets, auth)
    space = await create_space(assets, auth, building["id"])
    ok(await occupy(assets, auth, space["id"], "2025-01-01", "2025-06-30"), 201)
    ok(await occupy(assets, auth, space["id"], "2025-07-01", department="GSD"), 201)
    ok(
        await occupy(assets, auth, space["id"], "2024-01-01", "2024-12-31", organization="LA Conservancy"),
        201,
    )
    other = await create_space(assets, auth, building["id"], space_body("3-302"))
    ok(await occupy(assets, auth, other["id"], "2025-01-01"), 201)  # another space, the same dates


async def test_ending_records_a_new_record_and_keeps_the_old_one(assets, auth):
    building = await create_asset(assets, auth)
    space = await create_space(assets, auth, building["id"])
    original = ok(await occupy(assets, auth, space["id"], "2025-01-01"), 201)

    response = await end_occupancy(assets, auth, original["id"], "2025-06-30", reason="Moved to 100 W 1st St")
    ended = ok(response, 201)
    assert response.headers["location"] == f"{OCCUPANCIES}/{ended['id']}"
    assert (ended["start_date"], ended["end_date"], ended["supersedes_id"]) == (
        "2025-01-01",
        "2025-06-30",
        original["id"],
    )
    assert (ended["department"], ended["reason"], ended["is_current"]) == (
        "LAPD",
        "Moved to 100 W 1st St",
        True,
    )
    kept = ok(await assets.get(f"{OCCUPANCIES}/{original['id']}", headers=auth(READ)))
    assert kept == {**original, "is_current": False, "superseded_by_id": ended["id"]}

    history = ok(await assets.get(f"{SPACES}/{space['id']}/occupancies", headers=auth(READ)))["items"]
    assert [item["id"] for item in history] == [original["id"], ended["id"]]
    current = {"current": "true"}
    listed = ok(await assets.get(f"{SPACES}/{space['id']}/occupancies", params=current, headers=auth(READ)))
    assert [item["id"] for item in listed["items"]] == [ended["id"]]

    # The days after the end are free again; the old, open-ended record no longer holds them.
    ok(await occupy(assets, auth, space["id"], "2025-07-01", department="GSD"), 201)
    assert await audit_actions(assets, auth, "occupancy", ended["id"]) == ["end"]


async def test_an_end_is_refused_on_a_superseded_or_ended_record_or_before_the_start(assets, auth):
    building = await create_asset(assets, auth)
    space = await create_space(assets, auth, building["id"])
    original = ok(await occupy(assets, auth, space["id"], "2025-01-01"), 201)

    early = await end_occupancy(assets, auth, original["id"], "2024-12-31")
    assert field_errors(assert_problem(early, 422, "validation-error")) == {"end_date": "ends_before_start"}
    ended = ok(await end_occupancy(assets, auth, original["id"], "2025-06-30"), 201)

    superseded = assert_problem(
        await end_occupancy(assets, auth, original["id"], "2025-05-31"), 409, "conflict"
    )
    assert superseded["superseded_by_id"] == ended["id"]
    again = assert_problem(await end_occupancy(assets, auth, ended["id"], "2025-05-31"), 409, "conflict")
    assert field_errors(again) == {"end_date": "already_ended"}
    assert_problem(
        await assets.post(f"{OCCUPANCIES}/{ended['id']}/end", json={}, headers=auth(WRITE)),
        422,
        "validation-error",
    )


async def test_a_correction_supersedes_the_record_and_keeps_it(assets, auth):
    building = await create_asset(assets, auth)
    space = await create_space(assets, auth, building["id"])
    wrong = ok(await occupy(assets, auth, space["id"], "2025-01-01", department="LAPD"), 201)
    url = f"{OCCUPANCIES}/{wrong['id']}/corrections"
    body = {"department": "LAFD", "start_date": "2025-02-01", "end_date": "2025-12-31"}

    no_reason = await assets.post(url, json=body, headers=auth(WRITE))
    assert field_errors(assert_problem(no_reason, 422, "validation-error")) == {"reason": "missing"}
    corrected = ok(
        await assets.post(url, json={**body, "reason": "Fire, not Police"}, headers=auth(WRITE)), 201
    )
    assert (corrected["department"], corrected["start_date"], corrected["supersedes_id"]) == (
        "LAFD",
        "2025-02-01",
        wrong["id"],
    )
    assert ok(await assets.get(f"{OCCUPANCIES}/{wrong['id']}", headers=auth(READ)))["department"] == "LAPD"
    assert_problem(
        await assets.post(url, json={**body, "reason": "Again"}, headers=auth(WRITE)), 409, "conflict"
    )


async def test_a_correction_that_overlaps_another_record_is_409(assets, auth):
    building = await create_asset(assets, auth)
    space = await create_space(assets, auth, building["id"])
    first = ok(await occupy(assets, auth, space["id"], "2025-01-01", "2025-06-30"), 201)
    second = ok(await occupy(assets, auth, space["id"], "2025-07-01", department="GSD"), 201)
    body = {
        "department": "LAPD",
        "start_date": "2025-01-01",
        "end_date": "2025-07-15",
        "reason": "Left later",
    }

    refused = await assets.post(f"{OCCUPANCIES}/{first['id']}/corrections", json=body, headers=auth(WRITE))
    assert assert_problem(refused, 409, "conflict")["conflicting_occupancy_id"] == second["id"]


async def test_the_history_pages_in_the_order_recorded(assets, auth):
    building = await create_asset(assets, auth)
    space = await create_space(assets, auth, building["id"])
    recorded = [
        ok(await occupy(assets, auth, space["id"], f"{year}-01-01", f"{year}-12-31"), 201)["id"]
        for year in (2023, 2021, 2022)
    ]
    seen, token = [], None
    while True:
        params = {"page_size": 2, **({"page_token": token} if token else {})}
        page = ok(await assets.get(f"{SPACES}/{space['id']}/occupancies", params=params, headers=auth(READ)))
        seen += [item["id"] for item in page["items"]]
        if not (token := page["next_page_token"]):
            break
    assert seen == recorded


async def test_the_database_refuses_an_overlap_and_any_change_to_a_record(assets, auth, session):
    building = await create_asset(assets, auth)
    space = await create_space(assets, auth, building["id"])
    held = ok(await occupy(assets, auth, space["id"], "2025-01-01"), 201)
    insert = text(
        "INSERT INTO assets.occupancies (id, space_id, department, start_date, recorded_by, recorded_at) "
        "VALUES (:id, :space_id, 'GSD', :start, 'sql', now())"
    )
    values = {"id": uuid.uuid4(), "space_id": uuid.UUID(space["id"]), "start": date(2026, 1, 1)}

    with pytest.raises(DBAPIError, match=f"overlaps current occupancy {held['id']}") as refused:
        async with session.begin_nested():
            await session.execute(insert, values)
    assert refused.value.orig.sqlstate == "23P01"  # type: ignore[union-attr]
    for statement in (
        "UPDATE assets.occupancies SET end_date = '2025-12-31' WHERE id = :id",
        "DELETE FROM assets.occupancies WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="never changed"):
            async with session.begin_nested():
                await session.execute(text(statement), {"id": uuid.UUID(held["id"])})
    unchanged = ok(await assets.get(f"{OCCUPANCIES}/{held['id']}", headers=auth(READ)))
    assert unchanged["end_date"] is None


@pytest.fixture(scope="module")
def committed_url(server_url: str) -> Iterator[str]:
    """A database of its own, for transactions that commit and run side by side."""
    with migrated_database(server_url, "spaces") as url:
        yield url


async def test_two_writers_of_one_space_take_turns_and_the_second_overlap_is_refused(committed_url):
    asset_id, space_id = uuid.uuid4(), uuid.uuid4()
    setup = await asyncpg.connect(committed_url)
    try:
        await setup.execute(
            "INSERT INTO assets.assets (version, created_at, updated_at, id, asset_number, name, asset_type, "
            "predominant_use, legal_interest, status, controlling_department, city, historical_status, "
            "gross_sqft) VALUES (1, now(), now(), $1, 'LA-RP-T00001', 'Jail', 'building', 'office', 'owned', "
            "'active', 'GSD', 'Los Angeles', 'not_evaluated', 1000)",
            asset_id,
        )
        await setup.execute(
            "INSERT INTO assets.spaces (version, created_at, updated_at, id, asset_id, code, use, rentable_sqft) "
            "VALUES (1, now(), now(), $1, $2, 'A', 'office', 1000)",
            space_id,
            asset_id,
        )
    finally:
        await setup.close()
    insert = (
        "INSERT INTO assets.occupancies (id, space_id, department, start_date, recorded_by, recorded_at) "
        "VALUES ($1, $2, $3, $4, 'sql', now())"
    )
    first, second = await asyncpg.connect(committed_url), await asyncpg.connect(committed_url)
    try:
        first_id = uuid.uuid4()
        held = first.transaction()
        await held.start()
        await first.execute(insert, first_id, space_id, "GSD", date(2025, 1, 1))
        waiting = second.transaction()
        await waiting.start()
        # Both read no overlap before either commits: the second waits on the space's lock, then sees it.
        blocked = asyncio.ensure_future(
            second.execute(insert, uuid.uuid4(), space_id, "LAPD", date(2025, 6, 1))
        )
        await asyncio.sleep(0.3)
        assert not blocked.done()
        await held.commit()
        with pytest.raises(asyncpg.ExclusionViolationError, match=str(first_id)):
            await blocked
        await waiting.rollback()
    finally:
        await first.close()
        await second.close()


# Utilization and vacancy


def occupied_on(day: date, holdings: list[tuple[int, date, date | None]]) -> int:
    """Square feet occupied on `day`, from (square feet, first day, last day or None) of each holding."""
    return sum(sqft for sqft, first, last in holdings if first <= day and (last is None or day <= last))


async def test_utilization_on_a_day_follows_the_current_records(assets, auth):
    building = await create_asset(assets, auth, building_body(gross_sqft=60_000, rentable_sqft=50_000))
    sizes = {"A": 5_000, "B": 12_000, "C": 3_000, "D": 7_500}
    spaces = {
        code: await create_space(assets, auth, building["id"], space_body(code, rentable_sqft=sqft))
        for code, sqft in sizes.items()
    }
    a = ok(await occupy(assets, auth, spaces["A"]["id"], "2025-01-01"), 201)
    ok(await end_occupancy(assets, auth, a["id"], "2025-06-30"), 201)
    ok(await occupy(assets, auth, spaces["B"]["id"], "2025-03-01", organization="LA Conservancy"), 201)
    wrong = ok(await occupy(assets, auth, spaces["C"]["id"], "2024-01-01"), 201)
    correction = {
        "department": "GSD",
        "start_date": "2025-05-01",
        "end_date": "2025-09-30",
        "reason": "Dates",
    }
    ok(
        await assets.post(f"{OCCUPANCIES}/{wrong['id']}/corrections", json=correction, headers=auth(WRITE)),
        201,
    )
    # As the current records have it: D is never occupied, C only from May to September.
    holdings = [
        (sizes["A"], date(2025, 1, 1), date(2025, 6, 30)),
        (sizes["B"], date(2025, 3, 1), None),
        (sizes["C"], date(2025, 5, 1), date(2025, 9, 30)),
    ]
    rentable = sum(sizes.values())

    for day in [
        date(2024, 6, 1),
        date(2025, 1, 1),
        date(2025, 3, 1),
        date(2025, 6, 30),
        date(2025, 7, 1),
        date(2026, 1, 1),
    ]:
        report = await occupancy_on(assets, auth, building["id"], day.isoformat())
        occupied = occupied_on(day, holdings)
        occupied_spaces = sum(
            1 for _, first, last in holdings if first <= day and (last is None or day <= last)
        )
        assert report == {
            "asset_id": building["id"],
            "as_of": day.isoformat(),
            "spaces": 4,
            "occupied_spaces": occupied_spaces,
            "rentable_sqft": rentable,
            "occupied_sqft": occupied,
            "vacant_sqft": rentable - occupied,
            "utilization_rate": round(occupied / rentable, 4),
            "vacancy_rate": round((rentable - occupied) / rentable, 4),
            "asset_area_sqft": 50_000,
            "unassigned_sqft": 50_000 - rentable,
            "warnings": [],
        }, day
    assert (await occupancy_on(assets, auth, building["id"], "2025-06-30"))["occupied_sqft"] == 20_000


async def test_utilization_is_as_of_today_in_los_angeles_by_default(assets, auth):
    building = await create_asset(assets, auth)
    space = await create_space(assets, auth, building["id"], space_body(rentable_sqft=4_000))
    ok(await occupy(assets, auth, space["id"], "2025-07-01"), 201)
    # 04:30 on July 1 in UTC is still June 30 in Los Angeles: the space is not occupied yet.
    with pinned_time(datetime(2025, 7, 1, 4, 30, tzinfo=UTC)):
        before = await occupancy_on(assets, auth, building["id"])
    with pinned_time(datetime(2025, 7, 1, 7, 30, tzinfo=UTC)):
        after = await occupancy_on(assets, auth, building["id"])
    assert (before["as_of"], before["occupied_sqft"], before["utilization_rate"]) == ("2025-06-30", 0, 0.0)
    assert (after["as_of"], after["occupied_sqft"], after["utilization_rate"]) == ("2025-07-01", 4_000, 1.0)


async def test_an_asset_without_spaces_has_no_rate(assets, auth):
    bridge = await create_asset(assets, auth, structure_body())
    report = await occupancy_on(assets, auth, bridge["id"], "2025-01-01")
    assert (
        report["spaces"],
        report["rentable_sqft"],
        report["utilization_rate"],
        report["vacancy_rate"],
    ) == (
        0,
        0,
        None,
        None,
    )
    assert (report["asset_area_sqft"], report["unassigned_sqft"]) == (None, None)
    bad_day = await assets.get(
        f"{ASSETS}/{bridge['id']}/occupancy", params={"as_of": "soon"}, headers=auth(READ)
    )
    assert assert_problem(bad_day, 422, "validation-error")["errors"][0]["location"] == ["query", "as_of"]


async def test_a_building_re_measured_below_its_spaces_is_flagged(assets, auth):
    building = await create_asset(assets, auth, building_body(gross_sqft=12_000, rentable_sqft=10_000))
    await create_space(assets, auth, building["id"], space_body(rentable_sqft=10_000))
    etag = (await assets.get(f"{ASSETS}/{building['id']}", headers=auth(READ))).headers["etag"]
    ok(
        await assets.patch(
            f"{ASSETS}/{building['id']}",
            json={"rentable_sqft": 8_000},
            headers={**auth(WRITE), "If-Match": etag},
        )
    )
    report = await occupancy_on(assets, auth, building["id"], "2025-01-01")
    assert [w["code"] for w in report["warnings"]] == ["spaces_exceed_asset_area"]
    assert (report["asset_area_sqft"], report["unassigned_sqft"], report["vacant_sqft"]) == (8_000, 0, 10_000)
