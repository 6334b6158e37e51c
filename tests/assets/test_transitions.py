"""An asset's status moves only along its lifecycle, through `POST /assets/{id}/transitions`: every legal
move, every illegal one (409 with the allowed moves), the hold that returns to where it was, the ends
each type can reach, the reasons some moves need, and final statuses that freeze the asset."""

from __future__ import annotations

import pytest

from tests.assets.factories import (
    ASSETS,
    READ,
    WRITE,
    audit_actions,
    building_body,
    create_asset,
    land_body,
    move_asset,
    ok,
    structure_body,
)
from tests.problems import assert_problem

FINAL = {"reason": "Recorded for the test."}

# Each path from `active`, one move at a time, with what the move needs.
PATHS = [
    [("inactive", {}), ("active", {})],
    [
        ("excess", {}),
        ("inactive", {}),
        ("excess", {}),
        ("surplus", {}),
        ("disposal_in_progress", {}),
        ("disposed", FINAL),
    ],
    [("excess", {}), ("surplus", {}), ("retained", {}), ("active", {})],
    [("excess", {}), ("surplus", {}), ("disposal_in_progress", {}), ("retained", {}), ("inactive", {})],
    [("demolished", FINAL)],
    [("inactive", {}), ("demolished", FINAL)],
]


@pytest.mark.parametrize("path", PATHS)
async def test_legal_paths_move_and_are_audited(assets, auth, path):
    asset = await create_asset(assets, auth)
    for to, extra in path:
        asset = ok(await move_asset(assets, auth, asset["id"], to, **extra))
        assert asset["status"] == to
    assert asset["version"] == 1 + len(path)
    actions = await audit_actions(assets, auth, "asset", asset["id"])
    assert actions == ["create", *(f"transition:{to}" for to, _ in path)]


# (status reached by `route`, a target it may not go to)
ILLEGAL = [
    ([], "surplus"),  # Council declares surplus only what a department declared excess
    ([], "disposed"),
    ([], "retained"),
    ([], "active"),
    (["excess"], "disposal_in_progress"),
    (["excess", "surplus"], "active"),
    (["excess", "surplus", "disposal_in_progress"], "inactive"),
    (["excess", "surplus", "disposal_in_progress"], "demolished"),
    (["inactive"], "surplus"),
]


@pytest.mark.parametrize(("route", "to"), ILLEGAL)
async def test_illegal_moves_are_409_with_the_allowed_ones(assets, auth, route, to):
    asset = await create_asset(assets, auth)
    for step in route:
        asset = ok(await move_asset(assets, auth, asset["id"], step))

    problem = assert_problem(
        await move_asset(assets, auth, asset["id"], to, **FINAL), 409, "invalid-transition"
    )
    assert problem["current_status"] == asset["status"]
    assert to not in problem["allowed_transitions"]
    assert problem["allowed_transitions"]
    unchanged = ok(await assets.get(f"{ASSETS}/{asset['id']}", headers=auth(READ)))
    assert (unchanged["status"], unchanged["version"]) == (asset["status"], asset["version"])


async def test_the_allowed_moves_from_active_of_each_type(assets, auth):
    expected = {
        "building": ["cannot_currently_be_disposed", "demolished", "excess", "inactive"],
        "structure": ["cannot_currently_be_disposed", "demolished", "excess", "inactive"],
        "land": ["cannot_currently_be_disposed", "excess", "inactive", "subdivided"],
    }
    for body in (building_body(), structure_body(), land_body()):
        asset = await create_asset(assets, auth, body)
        problem = assert_problem(
            await move_asset(assets, auth, asset["id"], "active"), 409, "invalid-transition"
        )
        assert problem["allowed_transitions"] == expected[body["asset_type"]]


async def test_land_is_subdivided_not_demolished_and_buildings_the_reverse(assets, auth):
    land = await create_asset(assets, auth, land_body())
    assert_problem(
        await move_asset(assets, auth, land["id"], "demolished", **FINAL), 409, "invalid-transition"
    )
    assert ok(await move_asset(assets, auth, land["id"], "subdivided", **FINAL))["status"] == "subdivided"

    building = await create_asset(assets, auth)
    assert_problem(
        await move_asset(assets, auth, building["id"], "subdivided", **FINAL), 409, "invalid-transition"
    )


@pytest.mark.parametrize(
    "held_from",
    [[], ["inactive"], ["excess"], ["excess", "surplus"], ["excess", "surplus", "disposal_in_progress"]],
)
async def test_cannot_currently_be_disposed_returns_to_the_status_held_before(assets, auth, held_from):
    asset = await create_asset(assets, auth)
    for step in held_from:
        asset = ok(await move_asset(assets, auth, asset["id"], step))
    before = asset["status"]

    held = ok(
        await move_asset(
            assets, auth, asset["id"], "cannot_currently_be_disposed", cannot_dispose_reason="environmental",
            reason="Lead and asbestos to remediate.",
        )
    )  # fmt: skip
    assert held["cannot_dispose_reason"] == "environmental"
    assert held["status_reason"] == "Lead and asbestos to remediate."

    other = "retained" if before != "retained" else "active"
    problem = assert_problem(await move_asset(assets, auth, asset["id"], other), 409, "invalid-transition")
    assert problem["allowed_transitions"] == [before]

    back = ok(await move_asset(assets, auth, asset["id"], before))
    assert back["status"] == before
    assert back["cannot_dispose_reason"] is None


async def test_the_hold_needs_its_reason_and_only_the_hold_takes_one(assets, auth):
    asset = await create_asset(assets, auth)
    problem = assert_problem(
        await move_asset(assets, auth, asset["id"], "cannot_currently_be_disposed"), 422, "validation-error"
    )
    assert problem["errors"][0]["location"] == ["body", "cannot_dispose_reason"]
    assert problem["errors"][0]["code"] == "required_for_status"

    problem = assert_problem(
        await move_asset(assets, auth, asset["id"], "inactive", cannot_dispose_reason="legal"),
        422,
        "validation-error",
    )
    assert problem["errors"][0]["code"] == "not_allowed_for_status"

    problem = assert_problem(
        await move_asset(
            assets, auth, asset["id"], "cannot_currently_be_disposed", cannot_dispose_reason="haunted"
        ),
        422,
        "validation-error",
    )
    assert problem["errors"][0]["location"] == ["body", "cannot_dispose_reason"]


@pytest.mark.parametrize("to", ["demolished"])
async def test_final_moves_need_a_reason(assets, auth, to):
    asset = await create_asset(assets, auth)
    problem = assert_problem(await move_asset(assets, auth, asset["id"], to), 422, "validation-error")
    assert problem["errors"][0]["location"] == ["body", "reason"]
    assert problem["errors"][0]["code"] == "required_for_status"


async def test_a_final_asset_is_read_only(assets, auth):
    asset = await create_asset(assets, auth)
    gone = ok(await move_asset(assets, auth, asset["id"], "demolished", **FINAL))
    assert gone["status_reason"] == FINAL["reason"]

    problem = assert_problem(await move_asset(assets, auth, asset["id"], "active"), 409, "invalid-transition")
    assert problem["allowed_transitions"] == []
    etag = (await assets.get(f"{ASSETS}/{asset['id']}", headers=auth(READ))).headers["etag"]
    patch = await assets.patch(
        f"{ASSETS}/{asset['id']}", json={"name": "Rebuilt"}, headers={**auth(WRITE), "If-Match": etag}
    )
    assert_problem(patch, 409, "invalid-transition")


async def test_transitions_are_refused_for_unknown_status_unknown_asset_and_without_scope(assets, auth):
    asset = await create_asset(assets, auth)
    assert_problem(await move_asset(assets, auth, asset["id"], "vanished"), 422, "validation-error")
    assert_problem(
        await move_asset(assets, auth, "01900000-0000-7000-8000-000000000000", "inactive"), 404, "not-found"
    )
    refused = await assets.post(
        f"{ASSETS}/{asset['id']}/transitions", json={"to": "inactive"}, headers=auth(READ)
    )
    assert_problem(refused, 403, "forbidden")
